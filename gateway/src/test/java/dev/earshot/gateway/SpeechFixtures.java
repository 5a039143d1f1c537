package dev.earshot.gateway;

import dev.earshot.audio.Wav;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real recorded speech for tests (Debian's pocketsphinx-testdata, installed by .ci/run), its reference transcripts,
 * audio variants made with sox, a plain Vosk loop as the baseline, and word error rates.
 */
public final class SpeechFixtures {

    public static final Path DATA = Path.of("/usr/share/pocketsphinx/test/data");
    public static final Path LIBRIVOX = DATA.resolve("librivox");
    public static final Path MODEL = Path.of(System.getProperty("test.earshot.home", "target/test-home")).resolve("model/en-us");
    public static final Path AUDIO = Path.of("target/test-audio");

    private SpeechFixtures() {
    }

    /** Clip file name to reference text, in file order. */
    public static Map<String, String> librivoxReferences() {
        Path transcription = LIBRIVOX.resolve("transcription");
        if (!Files.isRegularFile(transcription)) {
            throw new IllegalStateException(transcription + " is missing: install the Debian package pocketsphinx-testdata"
                    + " (.ci/run does)");
        }
        Map<String, String> references = new LinkedHashMap<>();
        Pattern line = Pattern.compile("<s>\\s*(.*?)\\s*</s>\\s*\\((.+)\\)");
        try {
            for (String text : Files.readAllLines(transcription)) {
                Matcher m = line.matcher(text.trim());
                if (m.matches()) {
                    references.put(m.group(2) + ".wav", m.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return references;
    }

    /** A LibriVox clip converted by sox with the given output options, e.g. {@code "-r", "8000"}; named prefix-clip. */
    public static Path soxVariant(String prefix, String clip, String... options) {
        String[] args = new String[options.length + 2];
        args[0] = LIBRIVOX.resolve(clip).toString();
        System.arraycopy(options, 0, args, 1, options.length);
        args[options.length + 1] = "OUT";
        return sox(prefix + "-" + clip, args);
    }

    /** Word errors and words over several transcripts, with a per-clip table for the test output. */
    public static final class WerTally {
        private int errors;
        private int words;
        private final StringBuilder table;

        public WerTally(String heading) {
            table = new StringBuilder("\nclip | words | errors | " + heading + "\n");
        }

        /** Counts one transcript against its reference; returns its word errors. */
        public int add(String clip, String reference, String hypothesis) {
            int clipErrors = wordErrors(reference, hypothesis);
            errors += clipErrors;
            words += words(reference);
            table.append(clip).append(" | ").append(words(reference)).append(" | ").append(clipErrors).append(" | ")
                    .append(hypothesis).append('\n');
            return clipErrors;
        }

        /** Word error rate in percent. */
        public double wer() {
            return 100.0 * errors / words;
        }

        /** "what: N errors in M words, WER x.y%" */
        public String summary(String what) {
            return String.format("%s: %d errors in %d words, WER %.1f%%%n", what, errors, words, wer());
        }

        /** The per-clip table followed by the summary. */
        public String report(String what) {
            return table + summary(what);
        }
    }

    /**
     * Runs sox (installed by .ci/run) in its repeatable mode ({@code -R}): the same arguments give the same audio on
     * every run and machine. Without it, every synthesised noise and every dither (which sox adds when it resamples or
     * changes the gain of 16-bit audio) is new each run, and a test on noisy speech passes or fails with the draw.
     * Fails the test with sox's output when sox fails.
     */
    public static Path sox(String name, String... args) {
        try {
            Files.createDirectories(AUDIO);
            Path out = AUDIO.resolve(name);
            List<String> command = new ArrayList<>();
            command.add("sox");
            command.add("-R");
            command.addAll(Arrays.asList(args));
            for (int i = 0; i < command.size(); i++) {
                if (command.get(i).equals("OUT")) {
                    command.set(i, out.toString());
                }
            }
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (process.waitFor() != 0) {
                throw new IllegalStateException("sox failed (" + String.join(" ", command) + "): " + output);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run sox: install the Debian package sox (.ci/run does)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The finals of a plain Vosk recognizer fed the WAV's PCM in chunks of {@code chunkBytes}, joined by spaces. */
    public static String plainVosk(Model model, Path wav, int chunkBytes) throws IOException {
        return String.join(" ", plainVoskFinals(model, wav, chunkBytes));
    }

    /** The non-empty finals of a plain Vosk recognizer fed the WAV's PCM in chunks of {@code chunkBytes}. */
    public static List<String> plainVoskFinals(Model model, Path wav, int chunkBytes) throws IOException {
        byte[] file = Files.readAllBytes(wav);
        Wav.Header header = Wav.parse(file);
        List<String> finals = new ArrayList<>();
        try (Recognizer recognizer = new Recognizer(model, header.format().sampleRate());
             InputStream pcm = Wav.pcm16(new java.io.ByteArrayInputStream(file, (int) header.dataOffset(),
                     file.length - (int) header.dataOffset()), header)) {
            recognizer.setWords(true);
            byte[] chunk = new byte[chunkBytes];
            int read;
            while ((read = pcm.readNBytes(chunk, 0, chunk.length)) > 0) {
                if (recognizer.acceptWaveForm(chunk, read)) {
                    finals.add(text(recognizer.getResult()));
                }
            }
            finals.add(text(recognizer.getFinalResult()));
        }
        return finals.stream().filter(t -> !t.isEmpty()).toList();
    }

    private static String text(String voskJson) {
        Matcher m = Pattern.compile("\"text\"\\s*:\\s*\"([^\"]*)\"").matcher(voskJson);
        return m.find() ? m.group(1).trim() : "";
    }

    /** Word-level edit distance between reference and hypothesis. */
    public static int wordErrors(String reference, String hypothesis) {
        String[] ref = reference.trim().isEmpty() ? new String[0] : reference.trim().split("\\s+");
        String[] hyp = hypothesis.trim().isEmpty() ? new String[0] : hypothesis.trim().split("\\s+");
        int[][] d = new int[ref.length + 1][hyp.length + 1];
        for (int i = 0; i <= ref.length; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= hyp.length; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= ref.length; i++) {
            for (int j = 1; j <= hyp.length; j++) {
                int substitution = d[i - 1][j - 1] + (ref[i - 1].equals(hyp[j - 1]) ? 0 : 1);
                d[i][j] = Math.min(substitution, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
            }
        }
        return d[ref.length][hyp.length];
    }

    public static int words(String text) {
        return text.trim().isEmpty() ? 0 : text.trim().split("\\s+").length;
    }
}
