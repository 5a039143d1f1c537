package com.example.tonesource;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;

import java.time.Duration;
import java.util.List;

/**
 * Provides the source type {@code tone}: a sine tone generated in real time, switched on and off in a beep pattern,
 * as live audio. A pipeline to try, measure or monitor without a microphone.
 *
 * <pre>
 * earshot.sources.beeper.type=tone
 * earshot.sources.beeper.frequency=440        # Hz
 * earshot.sources.beeper.level=-20            # peak level in dBFS
 * earshot.sources.beeper.beep=500ms           # tone on
 * earshot.sources.beeper.pause=500ms          # tone off (silence); 0 for a continuous tone
 * earshot.sources.beeper.sample-rate=16000
 * earshot.sources.beeper.session-length=0     # 0: one endless session; else a new session after this long
 * earshot.pipelines.test.source=beeper
 * </pre>
 */
public final class ToneSourcePlugin implements Plugin {

    @Override
    public String name() {
        return "tone-source";
    }

    @Override
    public Iterable<CaptureSourceFactory> sourceFactories() {
        return List.of(new CaptureSourceFactory() {
            @Override
            public String name() {
                return "tone";
            }

            @Override
            public CaptureSource create(PluginContext context) {
                PluginConfig config = context.config();
                int rate = config.getInt("sample-rate", 16_000, 8_000, 48_000);
                int frequency = config.getInt("frequency", 440, 20, rate / 2 - 1);
                int level = config.getInt("level", -20, -90, 0);
                Duration beep = positive(config, "beep", Duration.ofMillis(500));
                Duration pause = config.getDuration("pause", Duration.ofMillis(500));
                Duration sessionLength = config.getDuration("session-length", Duration.ZERO);
                if (pause.isNegative()) {
                    throw config.invalid("pause", config.get("pause").orElse(""), "0 or a positive duration, e.g. 500ms");
                }
                if (sessionLength.isNegative()) {
                    throw config.invalid("session-length", config.get("session-length").orElse(""),
                            "0 (one endless session) or a positive duration, e.g. 30s");
                }
                return new ToneSource(context.instanceName(), new Tone(rate, frequency, level, beep, pause), sessionLength,
                        context.logger());
            }
        });
    }

    private static Duration positive(PluginConfig config, String key, Duration defaultValue) {
        Duration value = config.getDuration(key, defaultValue);
        if (value.isNegative() || value.isZero()) {
            throw config.invalid(key, config.get(key).orElse(""), "a positive duration, e.g. 500ms");
        }
        return value;
    }
}
