package dev.earshot.bench;

import dev.earshot.audio.Wav;
import dev.earshot.spi.audio.AudioFormat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The speech gate's benchmark audio, made with sox (16 kHz mono 16-bit): the LibriVox clips between stretches of
 * pink-noise room tone, the clips with short pauses, long room tone alone, and a mix of tones, chirps and clicks.
 * Levels are peak levels ({@code gain -n}), as in the gate's unit tests.
 */
final class GateAudio {

    /** Seconds of room tone before the first clip, between clips and after the last: 30 to 60 s. */
    static final int[] TONE_SECONDS = {45, 30, 60, 40, 50, 35};

    private final Path folder;

    GateAudio(Path folder) throws IOException {
        this.folder = Files.createDirectories(folder);
    }

    /** Room tone (pink noise at {@code dbfs}) between the clips: about 9% speech. */
    byte[] speechInRoomTone(List<Speech> clips, int dbfs) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i <= clips.size(); i++) {
            out.write(pinkNoise(TONE_SECONDS[i % TONE_SECONDS.length], dbfs, "piece" + i));
            if (i < clips.size()) {
                out.write(clips.get(i).pcm());
            }
        }
        return out.toByteArray();
    }

    /** The clips each preceded and followed by {@code pauseMillis} of digital silence. */
    static byte[] speechWithPauses(List<Speech> clips, int pauseMillis) throws IOException {
        byte[] pause = new byte[AudioFormat.SPEECH_16K.bytesPerSecond() * pauseMillis / 1000];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(pause);
        for (Speech clip : clips) {
            out.write(clip.pcm());
            out.write(pause);
        }
        return out.toByteArray();
    }

    /** Pink noise, peak at {@code dbfs}. */
    byte[] pinkNoise(int seconds, int dbfs, String tag) throws Exception {
        return sox("pink" + dbfs + "-" + seconds + "s-" + tag, "synth", String.valueOf(seconds), "pinknoise",
                "gain", "-n", String.valueOf(dbfs));
    }

    /** Ten-second pieces, peak at -20 dBFS: steady tones, rising and falling chirps, clicks, square and saw tones. */
    byte[] tonesChirpsClicks(int seconds) throws Exception {
        List<String[]> kinds = List.of(
                new String[]{"sine", "440"}, new String[]{"sine", "200-3000"}, new String[]{"square", "2"},
                new String[]{"sine", "1000"}, new String[]{"sine", "3000-200"}, new String[]{"square", "5"},
                new String[]{"triangle", "300"}, new String[]{"sine", "100-8000"}, new String[]{"sawtooth", "150"},
                new String[]{"square", "1"});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i * 10 < seconds; i++) {
            String[] kind = kinds.get(i % kinds.size());
            out.write(sox("mix-" + kind[0] + "-" + kind[1], "synth", "10", kind[0], kind[1], "gain", "-n", "-20"));
        }
        return out.toByteArray();
    }

    /**
     * Runs {@code sox -R -n -r 16000 -c 1 -b 16 FILE <effects>} (once per name) and returns the samples; {@code -R}
     * makes sox's noise and dither the same on every run and machine.
     */
    private byte[] sox(String name, String... effects) throws Exception {
        Path file = folder.resolve(name + ".wav");
        if (!Files.isRegularFile(file)) {
            List<String> command = new ArrayList<>(List.of("sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16",
                    file.toString()));
            command.addAll(List.of(effects));
            Process sox;
            try {
                sox = new ProcessBuilder(command).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IllegalStateException("sox is missing: apt-get install sox", e);
            }
            String output = new String(sox.getInputStream().readAllBytes());
            if (!sox.waitFor(60, TimeUnit.SECONDS) || sox.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        }
        return pcm(file);
    }

    static byte[] pcm(Path file) throws IOException {
        byte[] wav = Files.readAllBytes(file);
        Wav.Header header = Wav.parse(wav);
        return Wav.pcm16(new ByteArrayInputStream(wav, (int) header.dataOffset(), wav.length - (int) header.dataOffset()),
                header).readAllBytes();
    }

    /** The reference transcripts of the LibriVox clips, by file name. */
    static Map<String, String> references() throws IOException {
        Map<String, String> references = new LinkedHashMap<>();
        Pattern line = Pattern.compile("<s>\\s*(.*?)\\s*</s>\\s*\\((.+)\\)");
        for (String text : Files.readAllLines(Speech.LIBRIVOX.resolve("transcription"))) {
            Matcher m = line.matcher(text.trim());
            if (m.matches()) {
                references.put(m.group(2) + ".wav", m.group(1));
            }
        }
        return references;
    }

    /** Word-level edit distance (substitutions, deletions, insertions). */
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

    static String[] words(String text) {
        return text.trim().isEmpty() ? new String[0] : text.trim().split("\\s+");
    }
}
