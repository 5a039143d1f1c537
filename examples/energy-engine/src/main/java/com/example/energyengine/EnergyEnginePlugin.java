package com.example.energyengine;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.engine.SpeechEngineFactory;

import java.time.Duration;
import java.util.List;

/**
 * Provides the engine type {@code energy}: no model, no speech recognition; every stretch of sound louder than a
 * threshold becomes one final transcript, {@code "<label> <seconds> s"}, with one word spanning it.
 *
 * <pre>
 * earshot.engines.levels.type=energy
 * earshot.engines.levels.threshold=-35     # dBFS a 20 ms window must reach to count as sound
 * earshot.engines.levels.min-sound=200ms   # shorter sounds are ignored
 * earshot.engines.levels.hang=500ms        # this much quiet ends a sound
 * earshot.engines.levels.label=sound       # the transcript's word
 * earshot.pipelines.door.engine=levels
 * </pre>
 */
public final class EnergyEnginePlugin implements Plugin {

    @Override
    public String name() {
        return "energy-engine";
    }

    @Override
    public Iterable<SpeechEngineFactory> engineFactories() {
        return List.of(new SpeechEngineFactory() {
            @Override
            public String name() {
                return "energy";
            }

            @Override
            public SpeechEngine create(PluginContext context) {
                PluginConfig config = context.config();
                int threshold = config.getInt("threshold", -35, -90, 0);
                Duration minSound = config.getDuration("min-sound", Duration.ofMillis(200));
                Duration hang = config.getDuration("hang", Duration.ofMillis(500));
                if (hang.toMillis() < EnergyRecognizer.WINDOW_MS) {
                    throw config.invalid("hang", config.get("hang").orElse(""),
                            "at least " + EnergyRecognizer.WINDOW_MS + "ms (one analysis window)");
                }
                String label = config.getString("label", "sound").trim();
                if (label.isEmpty() || label.contains(" ")) {
                    throw config.invalid("label", label, "one word, e.g. sound");
                }
                return new EnergyEngine(new EnergyRecognizer.Settings(threshold, minSound, hang, label));
            }
        });
    }
}
