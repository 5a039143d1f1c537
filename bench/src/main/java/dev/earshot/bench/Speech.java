package dev.earshot.bench;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav;
import org.vosk.Recognizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The benchmark audio: the LibriVox clips of Debian's pocketsphinx-testdata as 16 kHz mono PCM. */
record Speech(String name, byte[] pcm) {

    static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");
    static final int FRAME_BYTES = 3200;

    private static final Pattern TEXT = Pattern.compile("\"text\" : \"([^\"]*)\"");

    double seconds() {
        return pcm.length / (double) AudioFormat.SPEECH_16K.bytesPerSecond();
    }

    static List<Speech> librivox() throws IOException {
        if (!Files.isDirectory(LIBRIVOX)) {
            throw new IllegalStateException(LIBRIVOX + " is missing: apt-get install pocketsphinx-testdata");
        }
        List<Speech> clips = new ArrayList<>();
        try (Stream<Path> files = Files.list(LIBRIVOX)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".wav")).sorted().toList()) {
                byte[] wav = Files.readAllBytes(file);
                Wav.Header header = Wav.parse(wav);
                if (!header.format().equals(AudioFormat.SPEECH_16K)) {
                    throw new IllegalStateException(file + " is " + header.format() + ", expected 16 kHz mono");
                }
                byte[] pcm = Wav.pcm16(new ByteArrayInputStream(wav, (int) header.dataOffset(),
                        wav.length - (int) header.dataOffset()), header).readAllBytes();
                clips.add(new Speech(file.getFileName().toString(), pcm));
            }
        }
        return clips;
    }

    static double totalSeconds(List<Speech> clips) {
        return clips.stream().mapToDouble(Speech::seconds).sum();
    }

    /**
     * Decodes PCM on a plain Vosk recognizer the way the gateway frames audio, in 100 ms chunks, taking each result at
     * an endpoint and, with {@code partials}, a partial per chunk (the gateway does, for its partial transcripts).
     * Ends the utterance with a final. The plain-Vosk baseline of every bench mode; returns the texts joined.
     */
    static String decode(Recognizer recognizer, byte[] pcm, boolean partials) {
        byte[] chunk = new byte[FRAME_BYTES];
        StringBuilder text = new StringBuilder();
        for (int offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
            int length = Math.min(FRAME_BYTES, pcm.length - offset);
            System.arraycopy(pcm, offset, chunk, 0, length);
            if (recognizer.acceptWaveForm(chunk, length)) {
                append(text, recognizer.getResult());
            } else if (partials) {
                recognizer.getPartialResult();
            }
        }
        append(text, recognizer.getFinalResult());
        return text.toString();
    }

    private static void append(StringBuilder text, String json) {
        Matcher matcher = TEXT.matcher(json);
        if (matcher.find() && !matcher.group(1).isEmpty()) {
            text.append(text.isEmpty() ? "" : " ").append(matcher.group(1));
        }
    }
}
