package dev.earshot.plugins.wyoming;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real speech the tests use (Debian pocketsphinx-testdata) and the Wyoming program that decodes it. */
final class Speech {

    static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");
    /** The Wyoming STT program around Debian's PocketSphinx, run with Debian's python3 (not a pyenv one). */
    static final Path PROGRAM = Path.of("src/test/resources/programs/wyoming_pocketsphinx.py").toAbsolutePath();
    static final String PYTHON = "/usr/bin/python3";

    private Speech() {
    }

    /** Clip file name -> reference transcript. */
    static Map<String, String> librivoxReferences() throws IOException {
        Map<String, String> references = new LinkedHashMap<>();
        Pattern line = Pattern.compile("<s> (.*) </s> \\((.*)\\)");
        for (String text : Files.readAllLines(LIBRIVOX.resolve("transcription"))) {
            Matcher m = line.matcher(text.trim());
            if (m.matches()) {
                references.put(m.group(2) + ".wav", m.group(1));
            }
        }
        return references;
    }

    /** The 16 kHz mono PCM of a WAV clip. */
    static byte[] pcm(Path wav) throws IOException {
        try (InputStream in = Files.newInputStream(wav)) {
            Wav.Header header = Wav.readHeader(in);
            if (!header.format().equals(AudioFormat.SPEECH_16K) || header.bitsPerSample() != 16) {
                throw new IOException(wav + " is not 16 kHz mono 16-bit");
            }
            return in.readAllBytes();
        }
    }

    static byte[] clip(String name) throws IOException {
        return pcm(LIBRIVOX.resolve(name));
    }

    /** 100 ms frames. */
    static List<AudioFrame> frames(byte[] pcm, long firstSequence) {
        List<AudioFrame> frames = new ArrayList<>();
        long sequence = firstSequence;
        for (int offset = 0; offset < pcm.length; offset += 3200) {
            frames.add(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset, Math.min(3200, pcm.length - offset),
                    sequence++, Instant.now()));
        }
        return frames;
    }

    /** Word errors (substitutions, insertions, deletions) of a hypothesis against a reference. */
    static int wordErrors(String reference, String hypothesis) {
        String[] ref = words(reference);
        String[] hyp = words(hypothesis);
        int[] previous = new int[hyp.length + 1];
        int[] current = new int[hyp.length + 1];
        for (int j = 0; j <= hyp.length; j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= ref.length; i++) {
            current[0] = i;
            for (int j = 1; j <= hyp.length; j++) {
                int substitution = previous[j - 1] + (ref[i - 1].equals(hyp[j - 1]) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[hyp.length];
    }

    static int wordCount(String text) {
        return words(text).length;
    }

    private static String[] words(String text) {
        String clean = text.toLowerCase().replaceAll("[^a-z' ]", " ").trim();
        return clean.isEmpty() ? new String[0] : Arrays.stream(clean.split("\\s+")).toArray(String[]::new);
    }
}
