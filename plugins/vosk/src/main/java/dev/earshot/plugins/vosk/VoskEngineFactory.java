package dev.earshot.plugins.vosk;

import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.SpeechEngineFactory;

import java.util.List;

/** Creates {@link VoskEngine}s: {@code earshot.engines.<id>.type=vosk}. Stateless and thread-safe. */
public final class VoskEngineFactory implements SpeechEngineFactory {

    public static final String NAME = "vosk";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PluginOption> options() {
        return List.of(
                PluginOption.path("model", VoskEngine.DEFAULT_MODEL, "The unpacked Vosk model folder (with am/, conf/,"
                        + " graph/), resolved against the gateway's home; the default is where the gateway unpacks its"
                        + " bundled model."),
                PluginOption.path("library-path", null, "The folder holding libvosk (or the file itself), for platforms"
                        + " the Vosk jar has no library for, e.g. linux-aarch64; process-wide."),
                PluginOption.integer("sample-rate", VoskEngine.DEFAULT_SAMPLE_RATE, "The sample rate recognizers take, "
                        + AudioFormat.MIN_SAMPLE_RATE + " to " + AudioFormat.MAX_SAMPLE_RATE + " Hz; input is mono."),
                PluginOption.integer("log-level", VoskEngine.DEFAULT_LOG_LEVEL, "The Vosk (Kaldi) native log level,"
                        + " process-wide: -3 silent, -2 errors, -1 warnings, 0 info, above 0 (up to 10) debug."),
                PluginOption.string("languages", null, "The languages the model speaks, comma-separated BCP 47 tags"
                        + " (en-US,en-GB); not set: from the model folder's name (en-us gives en). Clients that ask for"
                        + " another language are refused."),
                PluginOption.integer("warm-recognizers", VoskEngine.DEFAULT_WARM_RECOGNIZERS, "Recognizers kept, reset,"
                        + " for later sessions when theirs end (0 to 64): a kept one has composed part of the decoding"
                        + " graph already and decodes with less CPU, but holds 35 to 60 MiB while kept; 0 frees each"
                        + " recognizer with its session."),
                PluginOption.duration("warm-for", VoskEngine.DEFAULT_WARM_FOR, "How long a kept recognizer may stay"
                        + " unused before it is freed and its memory given back."));
    }

    /**
     * Reads the options, loads libvosk (once per process) and the model; blocks for the model load.
     *
     * @see VoskEngine for the options
     */
    @Override
    public VoskEngine create(PluginContext context) {
        return VoskEngine.open(context);
    }
}
