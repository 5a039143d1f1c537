package dev.earshot.webrtc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An SDP offer checked in Java before any native code sees it: SDP text ({@code v=0} first, every line
 * {@code <letter>=<value>}), at least one {@code m=audio} section on {@code UDP/TLS/RTP/SAVPF} that sends audio and
 * lists an {@code opus/48000} payload, ICE credentials and a DTLS fingerprint. Anything else is an
 * {@link InvalidOfferException} naming what is wrong.
 *
 * @param audioMid      the {@code a=mid} of the first usable audio section ("" when it has none)
 * @param opusPayload   the payload type of Opus in that section
 * @param audioSections number of {@code m=audio} sections
 */
public record OpusOffer(String audioMid, int opusPayload, int audioSections) {

    /** Longest SDP line accepted (real offers have lines of at most a few hundred characters). */
    static final int MAX_LINE = 4096;

    /** Thrown for an offer that cannot be answered; the message says why, for a 400 reply. */
    public static final class InvalidOfferException extends Exception {
        public InvalidOfferException(String message) {
            super(message);
        }
    }

    public static OpusOffer parse(String sdp) throws InvalidOfferException {
        if (sdp == null || sdp.isBlank()) {
            throw new InvalidOfferException("the offer is empty: send an SDP offer with an Opus audio section");
        }
        String[] lines = sdp.split("\r?\n", -1);
        if (!lines[0].equals("v=0")) {
            throw new InvalidOfferException("not an SDP offer: the first line must be 'v=0', got '" + shorten(lines[0]) + "'");
        }
        boolean sessionUfrag = false, sessionPwd = false, sessionFingerprint = false, origin = false;
        List<Section> sections = new ArrayList<>();
        Section current = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() && i == lines.length - 1) {
                break; // the line end after the last line
            }
            if (line.length() > MAX_LINE) {
                throw new InvalidOfferException("SDP line " + (i + 1) + " is longer than " + MAX_LINE + " characters");
            }
            if (line.length() < 2 || line.charAt(1) != '=' || line.charAt(0) < 'a' || line.charAt(0) > 'z') {
                throw new InvalidOfferException("SDP line " + (i + 1) + " is not '<letter>=<value>': '" + shorten(line) + "'");
            }
            for (int k = 0; k < line.length(); k++) {
                char c = line.charAt(k);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new InvalidOfferException("SDP line " + (i + 1) + " holds a control character (0x"
                            + Integer.toHexString(c) + ")");
                }
            }
            char type = line.charAt(0);
            String value = line.substring(2);
            if (type == 'm') {
                current = Section.of(value, i + 1);
                sections.add(current);
                continue;
            }
            if (type == 'o') {
                origin = true;
            }
            if (type != 'a') {
                continue;
            }
            if (current == null) {
                sessionUfrag |= value.startsWith("ice-ufrag:");
                sessionPwd |= value.startsWith("ice-pwd:");
                sessionFingerprint |= value.startsWith("fingerprint:");
            } else {
                current.attribute(value);
            }
        }
        if (!origin) {
            throw new InvalidOfferException("not an SDP offer: it has no 'o=' line");
        }
        List<Section> audio = sections.stream().filter(s -> s.media.equals("audio")).toList();
        if (audio.isEmpty()) {
            throw new InvalidOfferException("the offer has no audio section ('m=audio ...'): WHIP ingest here takes audio");
        }
        String lastProblem = null;
        for (Section section : audio) {
            String problem = section.problem(sessionUfrag, sessionPwd, sessionFingerprint);
            if (problem == null) {
                return new OpusOffer(section.mid, section.opusPayload, audio.size());
            }
            lastProblem = problem;
        }
        throw new InvalidOfferException(lastProblem);
    }

    private static String shorten(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "...";
    }

    private static final class Section {
        final String media;
        final int line;
        final String protocol;
        final List<String> payloads;
        String mid = "";
        int opusPayload = -1;
        String direction = "sendrecv";
        boolean ufrag, pwd, fingerprint;

        private Section(String media, int line, String protocol, List<String> payloads) {
            this.media = media;
            this.line = line;
            this.protocol = protocol;
            this.payloads = payloads;
        }

        static Section of(String value, int line) throws InvalidOfferException {
            String[] parts = value.trim().split(" +");
            if (parts.length < 4) {
                throw new InvalidOfferException("SDP line " + line + ": 'm=" + shorten(value)
                        + "' needs '<media> <port> <protocol> <formats>'");
            }
            return new Section(parts[0], line, parts[2], List.of(parts).subList(3, parts.length));
        }

        void attribute(String value) {
            if (value.startsWith("mid:")) {
                mid = value.substring(4).trim();
            } else if (value.startsWith("rtpmap:")) {
                String[] parts = value.substring(7).trim().split("\\s+", 2);
                if (parts.length == 2 && payloads.contains(parts[0]) && opusPayload < 0
                        && parts[1].toLowerCase(Locale.ROOT).startsWith("opus/48000")) {
                    try {
                        opusPayload = Integer.parseInt(parts[0]);
                    } catch (NumberFormatException e) {
                        // not a payload number: this rtpmap does not count
                    }
                }
            } else if (value.equals("sendrecv") || value.equals("sendonly") || value.equals("recvonly") || value.equals("inactive")) {
                direction = value;
            } else if (value.startsWith("ice-ufrag:")) {
                ufrag = true;
            } else if (value.startsWith("ice-pwd:")) {
                pwd = true;
            } else if (value.startsWith("fingerprint:")) {
                fingerprint = true;
            }
        }

        String problem(boolean sessionUfrag, boolean sessionPwd, boolean sessionFingerprint) {
            String where = "the audio section (SDP line " + line + ")";
            if (!protocol.equals("UDP/TLS/RTP/SAVPF") && !protocol.equals("RTP/SAVPF")) {
                return where + " uses '" + shorten(protocol) + "'; WebRTC needs UDP/TLS/RTP/SAVPF";
            }
            if (opusPayload < 0) {
                return where + " offers no Opus ('a=rtpmap:<pt> opus/48000/2' for one of its formats " + payloads + ")";
            }
            if (direction.equals("recvonly") || direction.equals("inactive")) {
                return where + " is " + direction + ": a WHIP client must send audio (sendonly or sendrecv)";
            }
            if (!ufrag && !sessionUfrag || !pwd && !sessionPwd) {
                return where + " has no ICE credentials (a=ice-ufrag and a=ice-pwd)";
            }
            if (!fingerprint && !sessionFingerprint) {
                return where + " has no DTLS fingerprint (a=fingerprint)";
            }
            return null;
        }
    }
}
