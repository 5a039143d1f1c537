package dev.earshot.plugins.vosk;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.EngineStat;
import dev.earshot.spi.engine.ModelInfo;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * A Vosk speech engine: one loaded {@link Model}, shared by every session, and one native recognizer per session,
 * kept warm for a later session when it ends.
 *
 * <h2>Warm recognizers</h2>
 * A Vosk recognizer on a model with a look-ahead graph (the small models: {@code HCLr.fst} and {@code Gr.fst})
 * composes its decoding graph lazily and keeps what it composed: its first utterances cost more CPU than later
 * ones, and it holds 35 to 60 MiB once it has decoded a few. So when a session ends, its recognizer is reset (no
 * audio, text or adaptation carries over; only the composed graph) and kept for a later session, up to
 * {@code warm-recognizers} of them, each for at most {@code warm-for} unused; then it is freed and its memory given
 * back. Recognizers with a grammar (phrases) and ones whose session failed are never kept. A kept recognizer gives
 * the same words as a new one; its word times are moved back to the new session's clock, since Vosk counts them
 * from a recognizer's first audio ({@code TestVoskWarmRecognizers}).
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
 *   <li>{@code warm-recognizers}: how many recognizers are kept for later sessions; default 2, 0 frees every
 *       recognizer when its session ends.</li>
 *   <li>{@code warm-for}: how long a kept recognizer may stay unused before it is freed; default 5m.</li>
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
    static final int DEFAULT_WARM_RECOGNIZERS = 2;
    static final String DEFAULT_WARM_FOR = "5m";
    private static final AtomicInteger SWEEPERS = new AtomicInteger();
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

    private final int warmLimit;
    private final long warmForNanos;
    /** Guarded by itself: reset recognizers for later sessions, the most recently used last. */
    private final ArrayDeque<Warm> warm = new ArrayDeque<>();
    /** Guarded by warm: frees kept recognizers left unused for {@code warm-for}; null while none is kept. */
    private ScheduledFuture<?> sweep;
    /** One thread, for the sweep only; null when nothing is kept ({@code warm-recognizers=0}); ended by close. */
    private final ScheduledExecutorService sweeper;
    private final AtomicLong warmStarts = new AtomicLong();
    private final AtomicLong coldStarts = new AtomicLong();

    /** A kept recognizer: its Vosk clock (samples decoded in all) and when it was kept. */
    private record Warm(Recognizer recognizer, long samples, long keptNanos) {
    }

    private VoskEngine(Model model, Path modelFolder, AudioFormat inputFormat, System.Logger logger, ModelInfo info,
                       int warmLimit, Duration warmFor) {
        this.info = info;
        this.model = model;
        this.modelFolder = modelFolder;
        this.inputFormat = inputFormat;
        this.logger = logger;
        this.warmLimit = warmLimit;
        this.warmForNanos = warmFor.toNanos();
        this.sweeper = warmLimit == 0 ? null : Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "earshot-vosk-warm-" + SWEEPERS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
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
        int warmLimit = config.getInt("warm-recognizers", DEFAULT_WARM_RECOGNIZERS, 0, 64);
        Duration warmFor = config.getDuration("warm-for", Duration.ofMinutes(5));
        if (warmFor.isNegative() || warmFor.isZero()) {
            throw config.invalid("warm-for", config.get("warm-for").orElse(""), "a duration above 0, such as 5m");
        }
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
        return new VoskEngine(model, modelFolder, format, logger, VoskModelFolder.describe(modelFolder, languages),
                warmLimit, warmFor);
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
            Warm kept = grammar == null ? takeWarm() : null;
            Recognizer recognizer;
            if (kept != null) {
                recognizer = kept.recognizer();
                warmStarts.incrementAndGet();
            } else {
                float rate = inputFormat.sampleRate();
                recognizer = grammar == null
                        ? new Recognizer(model, rate)
                        : new Recognizer(model, rate, grammar);
                if (recognizer.getPointer() == null) {
                    throw new IOException("Vosk could not create a recognizer for the phrases " + grammar
                            + " (see its log on standard error)");
                }
                coldStarts.incrementAndGet();
            }
            try {
                recognizer.setWords(options.words());
                recognizer.setMaxAlternatives(options.maxAlternatives());
                boolean keepable = grammar == null;
                VoskRecognizer created = new VoskRecognizer(recognizer, kept == null ? 0 : kept.samples(), inputFormat,
                        listener, (used, samples, reusable) -> release(used, samples, reusable && keepable));
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

    /** The most recently kept recognizer, or null. */
    private Warm takeWarm() {
        synchronized (warm) {
            return warm.pollLast();
        }
    }

    /**
     * A session's recognizer is done: it is reset and kept for a later session when there is room and the engine is
     * open, else freed. Runs on the session's thread; the reset (well under a millisecond after the session's final)
     * runs under the pool's lock, so that a full pool costs no reset.
     */
    private void release(Recognizer recognizer, long samples, boolean reusable) {
        openRecognizers.decrementAndGet();
        if (reusable && warmLimit > 0 && lifecycle.readLock().tryLock()) {
            try {
                if (!closed) {
                    synchronized (warm) {
                        if (warm.size() < warmLimit) {
                            // Reset only when kept. A final first, so that the next session's clock starts after
                            // every sample decoded so far.
                            recognizer.getFinalResult();
                            recognizer.reset();
                            warm.addLast(new Warm(recognizer, samples, System.nanoTime()));
                            if (sweep == null) {
                                long period = warmForNanos / 4 + 1;
                                sweep = sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
                            }
                            return;
                        }
                    }
                }
            } catch (RuntimeException e) {
                logger.log(System.Logger.Level.WARNING, "a Vosk recognizer could not be reset for another session;"
                        + " freed instead: " + e);
            } finally {
                lifecycle.readLock().unlock();
            }
        }
        recognizer.close();
    }

    /** Frees the kept recognizers unused for {@code warm-for}; stops itself when none is left. */
    private void sweep() {
        long now = System.nanoTime();
        List<Recognizer> expired = new ArrayList<>();
        synchronized (warm) {
            while (!warm.isEmpty() && now - warm.peekFirst().keptNanos() >= warmForNanos) {
                expired.add(warm.pollFirst().recognizer());
            }
            if (warm.isEmpty() && sweep != null) {
                sweep.cancel(false);
                sweep = null;
            }
        }
        expired.forEach(Recognizer::close);
    }

    /** How many reset recognizers are kept for later sessions now. */
    public int warmRecognizers() {
        synchronized (warm) {
            return warm.size();
        }
    }

    /** Sessions that started on a kept recognizer since the engine was created. */
    public long warmStarts() {
        return warmStarts.get();
    }

    /** Sessions that started on a new recognizer since the engine was created. */
    public long coldStarts() {
        return coldStarts.get();
    }

    /**
     * The recognizer pool in {@code /q/metrics}: {@code earshot_engine_recognizers_kept} (warm now),
     * {@code earshot_engine_recognizers_reused_total} and {@code earshot_engine_recognizers_created_total} (sessions
     * that started on a kept and on a new recognizer).
     */
    @Override
    public List<EngineStat> stats() {
        return List.of(
                EngineStat.gauge("recognizers.kept", "Reset recognizers kept warm for later sessions (warm-recognizers)",
                        this::warmRecognizers),
                EngineStat.counter("recognizers.reused", "Sessions that started on a kept (warm) recognizer",
                        this::warmStarts),
                EngineStat.counter("recognizers.created", "Sessions that started on a new recognizer",
                        this::coldStarts));
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
            List<Recognizer> kept;
            synchronized (warm) {
                kept = warm.stream().map(Warm::recognizer).toList();
                warm.clear();
                if (sweep != null) {
                    sweep.cancel(false);
                    sweep = null;
                }
            }
            kept.forEach(Recognizer::close);
            if (sweeper != null) {
                sweeper.shutdownNow();
                try {
                    sweeper.awaitTermination(1, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
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
