package dev.earshot.plugins.vosk;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.hook.SessionInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The real speech the tests decode, and small helpers around it. */
final class SpeechSamples {

    static final Path DATA = Path.of("/usr/share/pocketsphinx/test/data");
    /** 16 kHz s16le mono, no header: "go forward ten meters". */
    static final Path GO_FORWARD = DATA.resolve("goforward.raw");
    static final String GO_FORWARD_TEXT = "go forward ten meters";
    /** 16 kHz mono 16-bit WAV from LibriVox: "he was not an ill disposed young man". */
    static final Path LIBRIVOX = DATA.resolve("librivox/sense_and_sensibility_01_austen_64kb-0880.wav");
    static final String LIBRIVOX_TEXT = "he was not an ill disposed young man";
    /** 100 ms at 16 kHz mono. */
    static final int CHUNK = 3200;

    private SpeechSamples() {
    }

    /** The unpacked English model the build prepares (system property {@code earshot.test.model}). */
    static Path modelFolder() {
        return Path.of(System.getProperty("earshot.test.model", "target/model/en-us")).toAbsolutePath().normalize();
    }

    static byte[] goForward() throws IOException {
        return Files.readAllBytes(GO_FORWARD);
    }

    static byte[] librivox() throws IOException {
        return wavPcm(LIBRIVOX, AudioFormat.SPEECH_16K);
    }

    /** The PCM of a RIFF/WAVE file, after checking that it is 16-bit PCM in the expected format. */
    static byte[] wavPcm(Path file, AudioFormat expected) throws IOException {
        ByteBuffer wav = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (wav.remaining() < 12 || wav.getInt(0) != 0x46464952 || wav.getInt(8) != 0x45564157) { // RIFF, WAVE
            throw new IOException(file + " is not a RIFF/WAVE file");
        }
        wav.position(12);
        boolean formatChecked = false;
        while (wav.remaining() >= 8) {
            int id = wav.getInt();
            int size = wav.getInt();
            if (size < 0 || size > wav.remaining()) {
                throw new IOException(file + ": chunk size " + size + " runs past the end of the file");
            }
            if (id == 0x20746d66) { // "fmt "
                int encoding = wav.getShort(wav.position()) & 0xffff;
                int channels = wav.getShort(wav.position() + 2) & 0xffff;
                int rate = wav.getInt(wav.position() + 4);
                int bits = wav.getShort(wav.position() + 14) & 0xffff;
                if (encoding != 1 || bits != 16 || channels != expected.channels() || rate != expected.sampleRate()) {
                    throw new IOException(file + ": encoding " + encoding + ", " + bits + " bits, " + channels
                            + " channels, " + rate + " Hz; expected 16-bit PCM " + expected);
                }
                formatChecked = true;
            } else if (id == 0x61746164) { // "data"
                if (!formatChecked) {
                    throw new IOException(file + ": data chunk before fmt chunk");
                }
                byte[] pcm = new byte[size];
                wav.get(pcm);
                return pcm;
            }
            wav.position(wav.position() + size + (size & 1));
        }
        throw new IOException(file + " has no data chunk");
    }

    /** {@code pcm} cut into frames of {@code chunk} bytes (the last may be shorter). */
    static List<AudioFrame> frames(AudioFormat format, byte[] pcm, int chunk) {
        int count = (pcm.length + chunk - 1) / chunk;
        AudioFrame[] frames = new AudioFrame[count];
        Instant now = Instant.now();
        for (int i = 0; i < count; i++) {
            int offset = i * chunk;
            frames[i] = AudioFrame.copyOf(format, pcm, offset, Math.min(chunk, pcm.length - offset), i, now);
        }
        return Arrays.asList(frames);
    }

    /** Feeds all of {@code pcm} in {@link #CHUNK}-byte frames, then flushes. */
    static void decode(Recognizer recognizer, byte[] pcm) throws Exception {
        for (AudioFrame frame : frames(AudioFormat.SPEECH_16K, pcm, CHUNK)) {
            recognizer.accept(frame);
        }
        recognizer.flush();
    }

    static double seconds(byte[] pcm) {
        return pcm.length / (double) AudioFormat.SPEECH_16K.bytesPerSecond();
    }

    static RecognizerOptions options(boolean words, int maxAlternatives, List<String> phrases) {
        return new RecognizerOptions(session(), words, maxAlternatives, phrases);
    }

    static RecognizerOptions defaults() {
        return RecognizerOptions.defaults(session());
    }

    static SessionInfo session() {
        return new SessionInfo("s1", "default", "test:speech", AudioFormat.SPEECH_16K, Instant.now(), Map.of());
    }

    /** Word-level edit distance (substitutions, insertions, deletions) between two texts. */
    static int wordErrors(String reference, String hypothesis) {
        String[] ref = reference.isBlank() ? new String[0] : reference.trim().split("\\s+");
        String[] hyp = hypothesis.isBlank() ? new String[0] : hypothesis.trim().split("\\s+");
        int[] previous = new int[hyp.length + 1];
        int[] current = new int[hyp.length + 1];
        for (int j = 0; j <= hyp.length; j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= ref.length; i++) {
            current[0] = i;
            for (int j = 1; j <= hyp.length; j++) {
                int substitution = previous[j - 1] + (ref[i - 1].equals(hyp[j - 1]) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[hyp.length];
    }
}
