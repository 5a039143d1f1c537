package dev.earshot.plugins.vosk;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.ModelInfo;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * A Vosk speech engine: one loaded {@link Model}, shared by every session, and one native recognizer per session.
 *
 * <h2>Options</h2> (under the engine's prefix, e.g. {@code earshot.engines.vosk.*})
 * <ul>
 *   <li>{@code model}: the unpacked Vosk model folder (with {@code am/}, {@code conf/}, {@code graph/}), resolved
 *       against the gateway's home; default {@code model/en-us}, where the gateway unpacks its bundled model.</li>
 *   <li>{@code library-path}: optional, the folder holding libvosk (or the file itself), for platforms the Vosk jar
 *       has no library for, e.g. linux-aarch64 on a Raspberry Pi. Process-wide: see {@link VoskNative}.</li>
 *   <li>{@code sample-rate}: the sample rate recognizers take, in Hz; default 16000. Input is mono.</li>
 *   <li>{@code log-level}: the Vosk (Kaldi) native log level, process-wide: -3 silent, -2 errors, -1 warnings
 *       (default), 0 info, above 0 debug.</li>
 *   <li>{@code languages}: the languages the model speaks, comma-separated BCP 47 tags ({@code en-US,en-GB});
 *       default: from the model folder's name ({@code en-us} gives {@code en}). Clients that ask for another
 *       language are refused (Wyoming's {@code transcribe}).</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Thread-safe. {@link #createRecognizer} may run concurrently on several session workers; the Vosk model is
 * read-only once loaded. {@link #close()} waits for recognizer creations in progress and then frees the model;
 * recognizers still open keep the native model alive (Vosk counts references), so closing early is safe, though
 * the host closes every recognizer first.
 */
public final class VoskEngine implements SpeechEngine {

    static final String DEFAULT_MODEL = "model/en-us";
    static final int DEFAULT_SAMPLE_RATE = 16_000;
    static final int DEFAULT_LOG_LEVEL = -1;
    private static final String MODEL_HINT = "point it at an unpacked Vosk model (a folder with am/, conf/, graph/)";

    private final Model model;
    private final Path modelFolder;
    private final ModelInfo info;
    private final AudioFormat inputFormat;
    private final System.Logger logger;
    private final AtomicInteger openRecognizers = new AtomicInteger();
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Guarded by lifecycle. */
    private boolean closed;

    private VoskEngine(Model model, Path modelFolder, AudioFormat inputFormat, System.Logger logger, ModelInfo info) {
        this.info = info;
        this.model = model;
        this.modelFolder = modelFolder;
        this.inputFormat = inputFormat;
        this.logger = logger;
    }

    /**
     * Reads every option, loads libvosk if needed and loads the model. Blocks for the model load (about half a
     * second for the small English model, many seconds for large ones).
     *
     * @throws PluginException naming the key, the value and the fix, when an option is wrong, libvosk cannot be
     *                         loaded, or the model folder is missing, not a model, or fails to load
     */
    static VoskEngine open(PluginContext context) {
        requireNonNull(context, "context is null");
        PluginConfig config = requireNonNull(context.config(), "context.config() is null");
        System.Logger logger = requireNonNull(context.logger(), "context.logger() is null");

        String modelSetting = config.getString("model", DEFAULT_MODEL);
        Optional<Path> libraryPath = config.get("library-path").map(context::resolvePath);
        int sampleRate = config.getInt("sample-rate", DEFAULT_SAMPLE_RATE,
                AudioFormat.MIN_SAMPLE_RATE, AudioFormat.MAX_SAMPLE_RATE);
        int logLevel = config.getInt("log-level", DEFAULT_LOG_LEVEL, -3, 10);
        String languages = config.get("languages").orElse(null);
        if (languages != null && !languages.matches("\\s*[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*(\\s*,\\s*[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)*\\s*")) {
            throw config.invalid("languages", languages, "comma-separated language tags such as en-US,en-GB");
        }

        Path modelFolder = context.resolvePath(modelSetting).toAbsolutePath().normalize();
        checkModelFolder(config, modelFolder);
        VoskNative.load(config, libraryPath, logLevel, logger);

        long started = System.nanoTime();
        Model model;
        try {
            model = new Model(modelFolder.toString());
        } catch (IOException e) {
            throw new PluginException(config.key("model") + ": cannot load the Vosk model in " + modelFolder + ": "
                    + e.getMessage() + " (Vosk logs the reason on standard error unless log-level is -3; the folder "
                    + "may be damaged or hold a model for another Vosk version); " + MODEL_HINT, e);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        AudioFormat format = new AudioFormat(sampleRate, 1);
        logger.log(System.Logger.Level.INFO, "loaded Vosk model " + modelFolder + " in " + millis
                + " ms; recognizers take " + format);
        return new VoskEngine(model, modelFolder, format, logger, VoskModelFolder.describe(modelFolder, languages));
    }

    private static void checkModelFolder(PluginConfig config, Path folder) {
        String key = config.key("model");
        if (!Files.exists(folder)) {
            throw new PluginException(key + ": folder " + folder + " does not exist; " + MODEL_HINT);
        }
        if (!Files.isDirectory(folder)) {
            throw new PluginException(key + ": " + folder + " is a file, not a folder; " + MODEL_HINT
                    + " (unpack the downloaded archive first)");
        }
        if (isModel(folder)) {
            return;
        }
        String nested = nestedModel(folder)
                .map(inner -> " (it holds one in " + inner + ": point " + key + " there)")
                .orElse("");
        throw new PluginException(key + ": folder " + folder + " is not a Vosk model, it has no am/final.mdl"
                + nested + "; " + MODEL_HINT);
    }

    /** Vosk takes the current layout (am/final.mdl) and the old flat one (final.mdl at the top). */
    private static boolean isModel(Path folder) {
        return Files.isRegularFile(folder.resolve("am").resolve("final.mdl"))
                || Files.isRegularFile(folder.resolve("final.mdl"));
    }

    /** A model one level down: what unpacking a downloaded model archive into the configured folder gives. */
    private static Optional<Path> nestedModel(Path folder) {
        try (Stream<Path> children = Files.list(folder)) {
            List<Path> models = children.filter(Files::isDirectory).filter(VoskEngine::isModel).limit(2).toList();
            return models.size() == 1 ? Optional.of(models.get(0)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public AudioFormat inputFormat() {
        return inputFormat;
    }

    @Override
    public Optional<ModelInfo> modelInfo() {
        return Optional.of(info);
    }

    /** The model folder this engine loaded. */
    public Path modelFolder() {
        return modelFolder;
    }

    /** How many recognizers made by this engine are not closed yet. */
    public int openRecognizers() {
        return openRecognizers.get();
    }

    /**
     * Makes a native recognizer for one session, configured from the options: word timings, n-best alternatives
     * and, when phrases are given, a grammar of those phrases plus {@code [unk]} (Vosk ignores words its model does
     * not know, so write them as the model's vocabulary does, usually lowercase; models with a static graph ignore
     * grammars altogether).
     *
     * @throws IllegalStateException when the engine is closed
     * @throws IOException           when Vosk cannot create the recognizer
     */
    @Override
    public VoskRecognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) throws IOException {
        requireNonNull(options, "options is null");
        requireNonNull(listener, "listener is null");
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the Vosk engine for " + modelFolder + " is closed");
            }
            String grammar = VoskJson.grammar(options.phrases());
            float rate = inputFormat.sampleRate();
            Recognizer recognizer = grammar == null
                    ? new Recognizer(model, rate)
                    : new Recognizer(model, rate, grammar);
            if (recognizer.getPointer() == null) {
                throw new IOException("Vosk could not create a recognizer for the phrases " + grammar
                        + " (see its log on standard error)");
            }
            try {
                recognizer.setWords(options.words());
                recognizer.setMaxAlternatives(options.maxAlternatives());
                VoskRecognizer created = new VoskRecognizer(recognizer, inputFormat, listener,
                        openRecognizers::decrementAndGet);
                openRecognizers.incrementAndGet();
                return created;
            } catch (RuntimeException | Error e) {
                recognizer.close();
                throw e;
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Frees the model. Idempotent and thread-safe. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            int open = openRecognizers.get();
            if (open > 0) {
                logger.log(System.Logger.Level.WARNING, "closing the Vosk engine for " + modelFolder + " while "
                        + open + " recognizer(s) are open; they keep the model in memory until they close");
            }
            model.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "VoskEngine[" + modelFolder + ", " + inputFormat + "]";
    }
}
