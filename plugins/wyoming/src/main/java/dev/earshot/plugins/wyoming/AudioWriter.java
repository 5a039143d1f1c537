package dev.earshot.plugins.wyoming;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.wyoming.WyomingEncoder;
import dev.earshot.wyoming.WyomingEvent;

import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes one session's audio to a Wyoming program: {@code transcribe} (with the configured language) and
 * {@code audio-start} when an utterance begins, then one {@code audio-chunk} per frame, 16-bit PCM in the settings'
 * format. One thread at a time (the recognizer's worker); the chunk buffer is reused.
 */
final class AudioWriter {

    private final WyomingSettings settings;
    private final byte[] chunk = new byte[65_536];

    AudioWriter(WyomingSettings settings) {
        this.settings = settings;
    }

    void start(OutputStream out) throws IOException {
        Map<String, Object> transcribe = new LinkedHashMap<>();
        if (!settings.language().isEmpty()) {
            transcribe.put("language", settings.language());
        }
        WyomingEncoder.write(out, WyomingEvent.of("transcribe", transcribe));
        WyomingEncoder.write(out, WyomingEvent.of("audio-start", format()));
    }

    void chunk(OutputStream out, AudioFrame frame) throws IOException {
        byte[] bytes = frame.length() <= chunk.length ? chunk : new byte[frame.length()];
        frame.copyTo(bytes, 0);
        WyomingEncoder.write(out, "audio-chunk", format(), bytes, 0, frame.length());
    }

    private Map<String, Object> format() {
        AudioFormat format = settings.format();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("rate", (long) format.sampleRate());
        data.put("width", 2L);
        data.put("channels", (long) format.channels());
        return data;
    }
}
