package com.example.energyengine;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.ModelInfo;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;

import java.util.List;
import java.util.Optional;

/** Shares nothing between sessions but its settings: each session gets an {@link EnergyRecognizer} of its own. */
final class EnergyEngine implements SpeechEngine {

    private final EnergyRecognizer.Settings settings;

    EnergyEngine(EnergyRecognizer.Settings settings) {
        this.settings = settings;
    }

    @Override
    public AudioFormat inputFormat() {
        return AudioFormat.SPEECH_16K; // the host converts every session's audio to 16 kHz mono
    }

    @Override
    public Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) {
        return new EnergyRecognizer(settings, inputFormat(), listener);
    }

    @Override
    public Optional<ModelInfo> modelInfo() {
        return Optional.of(new ModelInfo("energy", "sound above " + settings.thresholdDb() + " dBFS, no words",
                "", "", "", List.of()));
    }

    @Override
    public void close() {
        // nothing shared to release
    }
}
