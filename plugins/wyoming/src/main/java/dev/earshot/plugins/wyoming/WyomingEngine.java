package dev.earshot.plugins.wyoming;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.EngineHealth;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.wyoming.WyomingDecoder;
import dev.earshot.wyoming.WyomingEncoder;
import dev.earshot.wyoming.WyomingEvent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * A speech engine that is a Wyoming program: each session's recognizer gets a link of its own (see
 * {@link WyomingRecognizer}), opened by the {@link Link.Opener} (a child process or a TCP connection).
 * Degraded while any session's link is down and being restarted; up again when every link is back.
 */
final class WyomingEngine implements SpeechEngine {

    /** Why a session's link is down: what happened, when the next try is. */
    private record Outage(String reason, long retryAtNanos) {
    }

    private final String id;
    private final PluginConfig config;
    private final Link.Opener opener;
    private final WyomingSettings settings;
    private final System.Logger logger;
    private final Set<WyomingRecognizer> recognizers = ConcurrentHashMap.newKeySet();
    private final Map<WyomingRecognizer, Outage> outages = new ConcurrentHashMap<>();
    private final AtomicInteger created = new AtomicInteger();
    private final AtomicLong droppedFrames = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    private final AtomicLong lostUtterances = new AtomicLong();
    private final AtomicLong finalTimeouts = new AtomicLong();
    private volatile boolean closed;
    /** Set when the probe at creation failed (a server not up yet); cleared by the first link that comes up. */
    private volatile String unreachable;

    WyomingEngine(String id, PluginConfig config, Link.Opener opener, WyomingSettings settings, System.Logger logger) {
        this.id = requireNonNull(id, "id is null");
        this.config = requireNonNull(config, "config is null");
        this.opener = requireNonNull(opener, "opener is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.logger = requireNonNull(logger, "logger is null");
    }

    String id() {
        return id;
    }

    WyomingSettings settings() {
        return settings;
    }

    Link.Opener opener() {
        return opener;
    }

    System.Logger logger() {
        return logger;
    }

    String configKey(String key) {
        return config.key(key);
    }

    @Override
    public AudioFormat inputFormat() {
        return settings.format();
    }

    /**
     * Opens a link, asks {@code describe} and waits for {@code info} within the start timeout, then closes it.
     * Returns the names of the program's ASR models or programs, for the log.
     */
    String probe() throws IOException, InterruptedException {
        Link link = opener.open();
        try {
            try {
                WyomingEncoder.write(link.output(), WyomingEvent.of("describe", Map.of()));
                link.output().flush();
            } catch (IOException e) {
                // A program that exits at once closes its stdin before we write: say that, not "Stream closed".
                link.awaitEnd(500);
                String end = link.endReason();
                throw new IOException(opener.target() + " did not take 'describe': "
                        + (end != null && end.startsWith("exited") ? "it " + end : e.getMessage()), e);
            }
            WyomingDecoder codec = new WyomingDecoder(settings.maxEventBytes(), settings.maxEventBytes(),
                configKey("max-event-size"), configKey("max-event-size"));
            WyomingEvent[] info = new WyomingEvent[1];
            IOException[] failure = new IOException[1];
            Thread reader = new Thread(() -> {
                try {
                    WyomingEvent event;
                    while ((event = codec.read(link.input())) != null) {
                        if (event.type().equals("info")) {
                            info[0] = event;
                            return;
                        }
                    }
                } catch (IOException e) {
                    failure[0] = e;
                }
            }, "earshot-wyoming-" + id + "-probe");
            reader.setDaemon(true);
            reader.start();
            reader.join(settings.startTimeout().toMillis());
            if (reader.isAlive()) {
                link.close();
                reader.join(1_000);
                throw new IOException(opener.target() + " did not answer 'describe' within "
                        + settings.startTimeout().toMillis() + " ms (" + configKey("start-timeout") + ")");
            }
            if (info[0] == null) {
                link.awaitEnd(500);
                link.close();
                String end = link.endReason();
                throw new IOException(opener.target() + " did not answer 'describe': "
                        + (failure[0] != null ? failure[0].getMessage()
                        : end != null && end.startsWith("exited") ? "it " + end : "it closed its output"));
            }
            return describeInfo(info[0]);
        } finally {
            link.close();
        }
    }

    private static String describeInfo(WyomingEvent info) {
        List<String> names = new ArrayList<>();
        if (info.data().get("asr") instanceof List<?> programs) {
            for (Object program : programs) {
                if (program instanceof Map<?, ?> map && map.get("name") instanceof String name) {
                    names.add(name);
                }
            }
        }
        return names.isEmpty() ? "no ASR program listed" : String.join(", ", names);
    }

    @Override
    public Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) {
        if (closed) {
            throw new IllegalStateException("engine '" + id + "' is closed");
        }
        WyomingRecognizer recognizer = new WyomingRecognizer(this, options.session().id(), listener, created.incrementAndGet());
        recognizers.add(recognizer);
        recognizer.start();
        return recognizer;
    }

    @Override
    public EngineHealth health() {
        if (outages.isEmpty()) {
            String problem = unreachable;
            return problem == null ? EngineHealth.up() : EngineHealth.degraded(problem);
        }
        long now = System.nanoTime();
        StringBuilder detail = new StringBuilder();
        detail.append(outages.size()).append(" of ").append(recognizers.size()).append(" session link(s) down: ");
        boolean first = true;
        for (Map.Entry<WyomingRecognizer, Outage> entry : outages.entrySet()) {
            if (!first) {
                detail.append("; ");
            }
            first = false;
            Outage outage = entry.getValue();
            detail.append("session ").append(entry.getKey().session()).append(": ").append(outage.reason())
                    .append(", retrying in ").append(Math.max(0, TimeUnit.NANOSECONDS.toMillis(outage.retryAtNanos() - now)))
                    .append(" ms");
        }
        detail.append(" (").append(restarts.get()).append(" restart(s), ").append(droppedFrames.get())
                .append(" frame(s) dropped)");
        return EngineHealth.degraded(detail.toString());
    }

    long droppedFrames() {
        return droppedFrames.get();
    }

    long restarts() {
        return restarts.get();
    }

    long lostUtterances() {
        return lostUtterances.get();
    }

    int openRecognizers() {
        return recognizers.size();
    }

    Set<WyomingRecognizer> recognizers() {
        return Set.copyOf(recognizers);
    }

    void framesDropped(long frames) {
        droppedFrames.addAndGet(frames);
    }

    void finalTimedOut() {
        finalTimeouts.incrementAndGet();
    }

    void linkDown(WyomingRecognizer recognizer, String reason, long backoffNanos, int lost) {
        restarts.incrementAndGet();
        lostUtterances.addAndGet(lost);
        if (recognizers.contains(recognizer)) {
            outages.put(recognizer, new Outage(reason, System.nanoTime() + backoffNanos));
        }
    }

    void unreachable(String problem) {
        unreachable = problem;
    }

    void linkUp(WyomingRecognizer recognizer) {
        unreachable = null;
        if (outages.remove(recognizer) != null) {
            logger.log(System.Logger.Level.INFO, "engine '" + id + "', session " + recognizer.session()
                    + ": link to " + opener.target() + " is back");
        }
    }

    void released(WyomingRecognizer recognizer) {
        recognizers.remove(recognizer);
        outages.remove(recognizer);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (WyomingRecognizer recognizer : List.copyOf(recognizers)) {
            recognizer.close();
        }
    }
}
