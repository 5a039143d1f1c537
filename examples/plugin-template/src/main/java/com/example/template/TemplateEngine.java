package com.example.template;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.transcript.Hypothesis;

import java.util.List;
import java.util.Locale;

/**
 * A speech engine: reports, at every flush, a final {@code "<word> <seconds> s"} for the audio since the last one.
 * Replace the recognizer with your decoder. Contract: one recognizer per session, called from one thread at a
 * time; no listener call after {@code close()} returned, also when the listener closes it from its callback.
 */
final class TemplateEngine implements SpeechEngine {

    private final String word;

    TemplateEngine(String word) {
        this.word = word;
    }

    @Override
    public AudioFormat inputFormat() {
        return AudioFormat.SPEECH_16K;
    }

    @Override
    public Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) {
        return new Recognizer() {
            private volatile boolean closed;
            private long bytes;

            @Override
            public void accept(AudioFrame frame) {
                bytes += frame.length();
            }

            @Override
            public void flush() {
                if (!closed && bytes > 0) {
                    double seconds = bytes / (double) inputFormat().bytesPerSecond();
                    bytes = 0;
                    listener.onHypothesis(Hypothesis.finalResult(String.format(Locale.ROOT, "%s %.2f s", word, seconds), List.of()));
                }
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    @Override
    public void close() {
        // release what the engine shares between sessions (a model) here
    }
}
