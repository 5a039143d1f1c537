package dev.earshot.plugins.wyoming;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.audio.AudioFormat;

import java.time.Duration;
import java.util.List;

/**
 * What both Wyoming engines share, read from {@code earshot.engines.<id>.*}.
 *
 * @param format         the audio the program takes ({@code sample-rate}, mono s16le)
 * @param language       sent in {@code transcribe} when set
 * @param startTimeout   how long a new link may take to be usable (process started, socket connected)
 * @param backoffMin     first wait before a restart/reconnect; doubled after each failure...
 * @param backoffMax     ...up to this
 * @param finalTimeout   how long the end of an utterance waits for the program's {@code transcript}
 * @param writeTimeout   a link that takes no audio for this long is treated as hung and restarted
 * @param queueFrames    bound of the queue between the session and the link's writer
 * @param maxEventBytes  bound of an event's header line, data and payload read from the program
 */
record WyomingSettings(AudioFormat format, String language, Duration startTimeout, Duration backoffMin,
                       Duration backoffMax, Duration finalTimeout, Duration writeTimeout, int queueFrames,
                       int maxEventBytes) {

    /** The declarations of the options {@link #read} reads, with the back-off keys under {@code backoffPrefix}. */
    static List<PluginOption> options(String backoffPrefix, String backoffWhat) {
        return List.of(
                PluginOption.integer("sample-rate", 16_000, "The sample rate the program takes (mono 16-bit PCM), "
                        + AudioFormat.MIN_SAMPLE_RATE + " to " + AudioFormat.MAX_SAMPLE_RATE + " Hz."),
                PluginOption.string("language", null, "Sent in transcribe when set, e.g. en."),
                PluginOption.duration("start-timeout", "10s", "How long a new link may take to be usable."),
                PluginOption.duration(backoffPrefix + "-min", "200ms", "First wait before " + backoffWhat
                        + ", doubled after each failure up to " + backoffPrefix + "-max."),
                PluginOption.duration(backoffPrefix + "-max", "30s", "Longest wait before " + backoffWhat + "; at least "
                        + backoffPrefix + "-min."),
                PluginOption.duration("final-timeout", "30s", "How long the end of an utterance waits for the"
                        + " program's transcript."),
                PluginOption.duration("write-timeout", "10s", "A link that takes no audio for this long is treated as"
                        + " hung and restarted."),
                PluginOption.integer("queue-frames", 500, "Bound of the queue between a session and its link's writer,"
                        + " 1 to 100000 frames."),
                PluginOption.size("max-event-size", "1M", "Bound of one event read from the program (header line, data"
                        + " and payload), at most 1G."));
    }

    static WyomingSettings read(PluginConfig config, String backoffPrefix) {
        int rate = config.getInt("sample-rate", 16_000, AudioFormat.MIN_SAMPLE_RATE, AudioFormat.MAX_SAMPLE_RATE);
        String language = config.getString("language", "");
        Duration startTimeout = positive(config, "start-timeout", config.getDuration("start-timeout", Duration.ofSeconds(10)));
        Duration min = positive(config, backoffPrefix + "-min", config.getDuration(backoffPrefix + "-min", Duration.ofMillis(200)));
        Duration max = config.getDuration(backoffPrefix + "-max", Duration.ofSeconds(30));
        if (max.compareTo(min) < 0) {
            throw new PluginException(config.key(backoffPrefix + "-max") + ": " + max.toMillis() + " ms must be at least "
                    + config.key(backoffPrefix + "-min") + " (" + min.toMillis() + " ms)");
        }
        Duration finalTimeout = positive(config, "final-timeout", config.getDuration("final-timeout", Duration.ofSeconds(30)));
        Duration writeTimeout = positive(config, "write-timeout", config.getDuration("write-timeout", Duration.ofSeconds(10)));
        int queueFrames = config.getInt("queue-frames", 500, 1, 100_000);
        long maxEvent = config.getBytes("max-event-size", 1024 * 1024);
        if (maxEvent > Integer.MAX_VALUE / 2) {
            throw config.invalid("max-event-size", config.get("max-event-size").orElse(""), "at most 1G");
        }
        return new WyomingSettings(new AudioFormat(rate, 1), language, startTimeout, min, max, finalTimeout, writeTimeout,
                queueFrames, (int) maxEvent);
    }

    private static Duration positive(PluginConfig config, String key, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw config.invalid(key, value.toString(), "a positive duration such as 250ms or 5s");
        }
        return value;
    }
}
