package dev.earshot.gateway.protocol.voskserver;

import dev.earshot.spi.audio.AudioFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a vosk-server client asks for in its {@code {"config": {...}}} message, read as vosk-server reads it: numbers
 * may come as JSON numbers or as numeric strings ({@code "sample_rate": "16000"}), {@code words} as a boolean, a
 * number or {@code "true"}/{@code "false"}, and keys it does not know are ignored. {@code model} names the pipeline
 * (or the engine) the connection's session runs in.
 *
 * @param sampleRate      the audio's sample rate in Hz; without a config, {@code earshot.ingest.vosk.default-sample-rate}
 * @param words           whether finals carry word timings ({@code result})
 * @param maxAlternatives 0 for the best hypothesis only, else up to this many alternatives
 * @param phrases         a phrase list to restrict recognition to, or empty
 * @param model           the {@code model} the client named, or null
 */
record VoskClientConfig(int sampleRate, boolean words, int maxAlternatives, List<String> phrases, String model) {

    /** Most n-best alternatives a client may ask for. */
    static final int MAX_ALTERNATIVES = 100;

    /** A config message that cannot be taken; the message says which key and what it must be. */
    static final class InvalidConfig extends Exception {
        InvalidConfig(String message) {
            super(message, null, false, false);
        }
    }

    VoskClientConfig {
        phrases = List.copyOf(phrases);
    }

    /** The configuration of a client that sends no {@code config}: vosk-server's (words on). */
    static VoskClientConfig defaults(int sampleRate) {
        return new VoskClientConfig(sampleRate, true, 0, List.of(), null);
    }

    /** This configuration with the keys of one {@code config} object applied; the keys it lacks keep their values. */
    VoskClientConfig with(JsonObject config) throws InvalidConfig {
        int rate = sampleRate;
        boolean wantWords = words;
        int alternatives = maxAlternatives;
        List<String> phraseList = phrases;
        String modelName = model;
        for (Map.Entry<String, Object> entry : config) {
            Object value = entry.getValue();
            switch (entry.getKey()) {
                case "sample_rate" -> {
                    Double n = number(value);
                    if (n == null || Math.round(n) < AudioFormat.MIN_SAMPLE_RATE || Math.round(n) > AudioFormat.MAX_SAMPLE_RATE) {
                        throw new InvalidConfig("config.sample_rate must be a number from " + AudioFormat.MIN_SAMPLE_RATE
                                + " to " + AudioFormat.MAX_SAMPLE_RATE + ", such as 16000 (got " + shown(value) + ")");
                    }
                    rate = (int) Math.round(n);
                }
                case "words" -> wantWords = flag(value);
                case "max_alternatives" -> {
                    Double n = number(value);
                    if (n == null || n != Math.rint(n) || n < 0 || n > MAX_ALTERNATIVES) {
                        throw new InvalidConfig("config.max_alternatives must be an integer from 0 to " + MAX_ALTERNATIVES
                                + " (got " + shown(value) + ")");
                    }
                    alternatives = n.intValue();
                }
                case "phrase_list" -> phraseList = phrases(value);
                case "model" -> {
                    if (value != null && !(value instanceof String)) {
                        throw new InvalidConfig("config.model must be a string naming a pipeline or an engine (got "
                                + shown(value) + ")");
                    }
                    modelName = value == null || ((String) value).isBlank() ? null : ((String) value).trim();
                }
                default -> {
                    // vosk-server ignores what it does not know.
                }
            }
        }
        return new VoskClientConfig(rate, wantWords, alternatives, phraseList, modelName);
    }

    /** A finite JSON number, or a string holding one; null otherwise. */
    private static Double number(Object value) {
        double n;
        if (value instanceof Number number) {
            n = number.doubleValue();
        } else if (value instanceof String text) {
            try {
                n = Double.parseDouble(text.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return Double.isFinite(n) ? n : null;
    }

    private static boolean flag(Object value) throws InvalidConfig {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Number n) {
            return n.doubleValue() != 0;
        }
        if (value instanceof String text) {
            switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> {
                    return true;
                }
                case "false", "0", "no", "" -> {
                    return false;
                }
                default -> {
                }
            }
        }
        throw new InvalidConfig("config.words must be true or false (got " + shown(value) + ")");
    }

    private static List<String> phrases(Object value) throws InvalidConfig {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof JsonArray array)) {
            throw new InvalidConfig("config.phrase_list must be an array of strings (got " + shown(value) + ")");
        }
        List<String> list = new ArrayList<>(array.size());
        for (Object phrase : array) {
            if (!(phrase instanceof String s)) {
                throw new InvalidConfig("config.phrase_list must be an array of strings (got " + shown(phrase)
                        + " in it)");
            }
            list.add(s);
        }
        return list;
    }

    /** A value as an error message shows it: short, printable. */
    static String shown(Object value) {
        String text = value instanceof String s ? '"' + s + '"' : String.valueOf(value);
        text = text.replaceAll("\\p{Cntrl}", "?");
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
