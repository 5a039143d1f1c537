package dev.earshot.bench;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.gateway.speech.SpeechGateMode;
import dev.earshot.plugins.vosk.VoskPlugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The speech gate ({@code gate}, {@code gate-silence}): always-on streams (the LibriVox clips between 30-60 s of
 * room tone) decoded ungated and gated side by side in one process and run, CPU time per audio second, word errors
 * against the references, word times, the always-on streams two cores carry, the same stream through the packaged
 * gateway's vosk-server endpoint against a plain Vosk loop; and long room tone and synthetic sounds gated, which must
 * give no words at all.
 */
final class GateBench {

    private final Bench bench;
    private final Path home;

    GateBench(Bench bench) {
        this.bench = bench;
        this.home = Path.of(bench.options.getOrDefault("home", "gateway/target/quarkus-app")).toAbsolutePath();
    }

    /** What one decoded stream gave. */
    private record Decoded(double cpuSeconds, List<TranscriptEvent> finals, int nonEmptyPartials, double detectorSeconds,
                           double keptFromRecognizerSeconds) {
        String text() {
            return String.join(" ", finals.stream().map(TranscriptEvent::text).filter(t -> !t.isBlank()).toList());
        }

        List<Word> words() {
            return finals.stream().flatMap(e -> e.words().stream()).toList();
        }
    }

    /** How long the live mode keeps trying to open refused sessions: 60 s of 100 ms ticks. */
    private static final int ADMIT_TICKS = 600;

    private final class Runtime implements AutoCloseable {
        final Vertx vertx = Vertx.vertx();
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final GatewayRuntime runtime;

        Runtime() throws Exception {
            Map<ComponentKind, Map<String, Map<String, String>>> components = new EnumMap<>(ComponentKind.class);
            // Each round's session starts on a new recognizer, as an always-on stream does (Bench.voskEngine).
            components.put(ComponentKind.ENGINE, Map.of("vosk", bench.voskEngine("vosk")));
            Map<String, PipelineSettings> pipelines = Map.of(
                    "ungated", new PipelineSettings("ungated", true, Optional.empty(), "vosk", List.of(), List.of(), 50, 128, SpeechGateMode.OFF),
                    "gated", new PipelineSettings("gated", true, Optional.empty(), "vosk", List.of(), List.of(), 50, 128, SpeechGateMode.ON));
            Path data = Bench.tempData();
            RuntimeSettings settings = new RuntimeSettings(home, data, pipelines, components, Map.of(),
                    java.lang.Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(5), Duration.ofSeconds(10), 256);
            runtime = new GatewayRuntime(vertx, registry, settings, PluginRegistry.of(List.of(new VoskPlugin())));
            runtime.start();
        }

        double counter(String name) {
            FunctionCounter counter = registry.find(name).tag("pipeline", "gated").functionCounter();
            return counter == null ? 0 : counter.count();
        }

        /** Decodes a whole stream as one paced session (as fast as the engine takes it) and measures process CPU. */
        Decoded decode(String pipeline, byte[] pcm) throws Exception {
            List<TranscriptEvent> finals = new CopyOnWriteArrayList<>();
            AtomicInteger partials = new AtomicInteger();
            double detector = counter("earshot.speech.gate.detector.seconds");
            double kept = counter("earshot.speech.gate.saved.audio.seconds");
            long cpu = Machine.processCpuNanos();
            Session session = runtime.pipeline(pipeline).orElseThrow().openSession(new SessionRequest("vosk:bench",
                    AudioFormat.SPEECH_16K, Pacing.PACED, Map.of(), true, 0, List.of(), new SessionListener() {
                @Override
                public void onTranscript(TranscriptEvent event) {
                    if (event.isFinal()) {
                        if (!event.text().isBlank()) {
                            finals.add(event);
                        }
                    } else if (!event.text().isBlank()) {
                        partials.incrementAndGet();
                    }
                }
            }, null));
            for (int offset = 0, f = 0; offset < pcm.length; offset += Speech.FRAME_BYTES, f++) {
                session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset,
                        Math.min(Speech.FRAME_BYTES, pcm.length - offset), f, Instant.now()));
            }
            session.end();
            session.closed().toCompletableFuture().get(30, TimeUnit.MINUTES);
            double cpuSeconds = (Machine.processCpuNanos() - cpu) / 1e9;
            return new Decoded(cpuSeconds, finals, partials.get(), counter("earshot.speech.gate.detector.seconds") - detector,
                    counter("earshot.speech.gate.saved.audio.seconds") - kept);
        }

        /**
         * {@code sessions} live sessions of one pipeline fed the stream in real time (100 ms frames from one ticking
         * thread, each session starting at its own point of the stream). Sessions are opened as a live client opens
         * them: one refused for decode load (admission) is tried again a second later, while the admitted ones stream,
         * for at most {@link #ADMIT_TICKS}. Then {@code seconds} are measured: frames dropped, the deepest queue, the
         * cores used. Keeps up: all admitted, nothing dropped and no queue deeper than 1 s (10 frames: a gated session
         * hands its 0.3 s pre-roll to the recognizer at once when speech starts, so its queue peaks at each onset).
         */
        Map<String, Object> live(String pipeline, byte[] pcm, int sessions, int seconds) throws Exception {
            List<Session> open = new ArrayList<>();
            int[] offsets = new int[sessions];
            for (int i = 0; i < sessions; i++) {
                offsets[i] = (int) ((long) pcm.length * i / sessions / Speech.FRAME_BYTES * Speech.FRAME_BYTES);
            }
            int refusals = 0;
            int measureFrom = -1;
            int deepest = 0;
            long lateTicks = 0;
            long droppedBefore = 0;
            long cpu = 0;
            long measureBegin = 0;
            long begin = System.nanoTime();
            for (int tick = 0; measureFrom < 0 || tick < measureFrom + seconds * 10; tick++) {
                long wait = begin + TimeUnit.MILLISECONDS.toNanos(100L * tick) - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } else if (measureFrom >= 0) {
                    lateTicks++;
                }
                if (measureFrom < 0 && tick % 10 == 0) {
                    try {
                        while (open.size() < sessions) {
                            open.add(runtime.pipeline(pipeline).orElseThrow().openSession(SessionRequest.of("vosk:live",
                                    AudioFormat.SPEECH_16K, Pacing.LIVE)));
                        }
                    } catch (SessionRefusedException refused) {
                        refusals++;
                    }
                    if (open.size() == sessions || tick >= ADMIT_TICKS) {
                        measureFrom = tick;
                        droppedBefore = open.stream().mapToLong(Session::droppedFrames).sum();
                        cpu = Machine.processCpuNanos();
                        measureBegin = System.nanoTime();
                    }
                }
                for (int i = 0; i < open.size(); i++) {
                    if (offsets[i] + Speech.FRAME_BYTES > pcm.length) {
                        offsets[i] = 0;
                    }
                    Session session = open.get(i);
                    session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offsets[i], Speech.FRAME_BYTES, tick, Instant.now()));
                    offsets[i] += Speech.FRAME_BYTES;
                    if (measureFrom >= 0) {
                        deepest = Math.max(deepest, session.queuedFrames());
                    }
                }
            }
            double wall = (System.nanoTime() - measureBegin) / 1e9;
            double cores = (Machine.processCpuNanos() - cpu) / 1e9 / wall;
            long dropped = open.stream().mapToLong(Session::droppedFrames).sum() - droppedBefore;
            open.forEach(Session::close);
            for (Session session : open) {
                session.closed().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("liveSessions", sessions);
            row.put("admitted", open.size());
            row.put("refusalsWhileOpening", refusals);
            row.put("secondsToAdmit", measureFrom / 10);
            row.put("pipeline", pipeline);
            row.put("seconds", seconds);
            row.put("framesOffered", (long) open.size() * seconds * 10);
            row.put("framesDropped", dropped);
            row.put("deepestQueueSeconds", Bench.round(deepest * 0.1));
            row.put("lateTicks", lateTicks);
            row.put("coresUsed", Bench.round(cores));
            row.put("keptUp", open.size() == sessions && dropped == 0 && deepest <= 10);
            System.out.println("gate live: " + row);
            return row;
        }

        @Override
        public void close() throws Exception {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    // ---- gate ---------------------------------------------------------------------------------------------------

    void gate() throws Exception {
        int rounds = bench.option("rounds", 1);
        GateAudio audio = new GateAudio(Path.of("bench/target/gate-audio").toAbsolutePath());
        Map<String, String> references = GateAudio.references();
        String reference = String.join(" ", bench.clips.stream().map(c -> references.get(c.name())).toList());
        int referenceWords = GateAudio.words(reference).length;
        Map<String, byte[]> streams = new LinkedHashMap<>();
        streams.put("room tone -50 dBFS", audio.speechInRoomTone(bench.clips, -50));
        streams.put("room tone -35 dBFS", audio.speechInRoomTone(bench.clips, -35));
        streams.put("1 s pauses", GateAudio.speechWithPauses(bench.clips, 1000));
        double speechSeconds = Speech.totalSeconds(bench.clips);
        int cores = java.lang.Runtime.getRuntime().availableProcessors();

        List<Map<String, Object>> rows = new ArrayList<>();
        try (Runtime runtime = new Runtime()) {
            // Warm-up: JIT, the recognizer's first allocations and the detector's model load are not measured.
            runtime.decode("ungated", bench.clips.get(0).pcm());
            runtime.decode("gated", bench.clips.get(0).pcm());
            for (Map.Entry<String, byte[]> stream : rounds == 0 ? Map.<String, byte[]>of().entrySet() : streams.entrySet()) {
                double seconds = stream.getValue().length / (double) AudioFormat.SPEECH_16K.bytesPerSecond();
                double[] ungatedCpu = new double[rounds];
                double[] gatedCpu = new double[rounds];
                Decoded ungated = null;
                Decoded gated = null;
                for (int round = 0; round < rounds; round++) {
                    // Alternate the order so that a change in the machine's load hits both alike.
                    if (round % 2 == 0) {
                        ungated = runtime.decode("ungated", stream.getValue());
                        gated = runtime.decode("gated", stream.getValue());
                    } else {
                        gated = runtime.decode("gated", stream.getValue());
                        ungated = runtime.decode("ungated", stream.getValue());
                    }
                    ungatedCpu[round] = ungated.cpuSeconds();
                    gatedCpu[round] = gated.cpuSeconds();
                    System.out.printf(Locale.ROOT, "gate %s round %d: CPU ungated %.1f s, gated %.1f s for %.0f s of audio%n",
                            stream.getKey(), round + 1, ungated.cpuSeconds(), gated.cpuSeconds(), seconds);
                }
                double ungatedPerSecond = Machine.median(ungatedCpu) / seconds;
                double gatedPerSecond = Machine.median(gatedCpu) / seconds;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("stream", stream.getKey());
                row.put("audioSeconds", Bench.round(seconds));
                row.put("speechShare", Bench.round(speechSeconds / seconds));
                row.put("rounds", rounds);
                row.put("ungatedCpuSeconds", Bench.round(Machine.median(ungatedCpu)));
                row.put("gatedCpuSeconds", Bench.round(Machine.median(gatedCpu)));
                row.put("ungatedCpuPerAudioSecond", Bench.round(ungatedPerSecond));
                row.put("gatedCpuPerAudioSecond", Bench.round(gatedPerSecond));
                row.put("ratioGatedToUngated", Bench.round(gatedPerSecond / ungatedPerSecond));
                row.put("gatedDetectorCpuSeconds", Bench.round(gated.detectorSeconds()));
                row.put("gatedKeptFromRecognizerSeconds", Bench.round(gated.keptFromRecognizerSeconds()));
                row.put("referenceWords", referenceWords);
                row.put("ungatedWordErrors", GateAudio.wordErrors(reference, ungated.text()));
                row.put("gatedWordErrors", GateAudio.wordErrors(reference, gated.text()));
                row.putAll(timings(ungated.words(), gated.words()));
                // Derived, not run live: streams whose decoding fits in the cores' CPU seconds per second of audio.
                row.put("alwaysOnStreamsPerCoresUngated", (int) Math.floor(cores / ungatedPerSecond));
                row.put("alwaysOnStreamsPerCoresGated", (int) Math.floor(cores / gatedPerSecond));
                row.put("ungatedText", ungated.text());
                row.put("gatedText", gated.text());
                rows.add(row);
                Bench.table("speech gate: " + stream.getKey() + " (CPU per audio second, same process and run)", row);
            }
            String live = bench.options.getOrDefault("gate-live", "60,40");
            if (!live.equals("none")) {
                int liveSeconds = bench.option("live-seconds", 60);
                // "<gated>,<ungated>", each one count or several steps joined by ':' (60:80:100,30:40)
                String[] counts = live.split(",");
                for (int p = 0; p < counts.length && p < 2; p++) {
                    for (String step : counts[p].split(":")) {
                        rows.add(runtime.live(p == 0 ? "gated" : "ungated", streams.get("room tone -50 dBFS"),
                                Integer.parseInt(step.trim()), liveSeconds));
                    }
                }
            }
        }
        bench.results.put("gate", rows);
        printSummary(rows.stream().filter(r -> r.containsKey("stream")).toList(), cores);
        for (Map<String, Object> row : rows) {
            if (row.containsKey("liveSessions")) {
                Bench.table("speech gate: always-on live sessions in real time (room tone -50 dBFS stream, staggered)", row);
            }
        }

        if (!"false".equals(bench.options.get("gate-ws"))) {
            gateWebSocket(streams.get("room tone -50 dBFS"), reference);
        }
    }

    /** Each gated word against the ungated word of the same text nearest in time (within 1 s). */
    private static Map<String, Object> timings(List<Word> ungated, List<Word> gated) {
        int compared = 0;
        int within50 = 0;
        double worstStart = 0;
        double worstEnd = 0;
        String worst = "";
        for (Word word : gated) {
            Word match = null;
            for (Word w : ungated) {
                if (w.word().equals(word.word()) && Math.abs(w.start() - word.start()) < 1.0
                        && (match == null || Math.abs(w.start() - word.start()) < Math.abs(match.start() - word.start()))) {
                    match = w;
                }
            }
            if (match != null) {
                compared++;
                double start = Math.abs(match.start() - word.start());
                double end = Math.abs(match.end() - word.end());
                if (Math.max(start, end) > Math.max(worstStart, worstEnd)) {
                    worst = String.format(Locale.ROOT, "'%s' %.2f-%.2f s gated, %.2f-%.2f s ungated", word.word(),
                            word.start(), word.end(), match.start(), match.end());
                }
                worstStart = Math.max(worstStart, start);
                worstEnd = Math.max(worstEnd, end);
                if (start <= 0.05 && end <= 0.05) {
                    within50++;
                }
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("gatedWords", gated.size());
        figures.put("wordsFoundUngated", compared);
        figures.put("wordsWithin50ms", within50);
        figures.put("worstStartDifferenceMs", Bench.round(worstStart * 1000));
        figures.put("worstEndDifferenceMs", Bench.round(worstEnd * 1000));
        figures.put("worstWord", worst);
        return figures;
    }

    private static void printSummary(List<Map<String, Object>> rows, int cores) {
        System.out.println();
        System.out.println("== speech gate, summary (CPU seconds per audio second; streams per " + cores
                + " cores derived from it)");
        System.out.printf(Locale.ROOT, "  %-20s %8s %8s %6s %9s %9s %12s %9s %9s%n", "stream", "ungated", "gated",
                "ratio", "errors u", "errors g", "within 50ms", "streams u", "streams g");
        for (Map<String, Object> row : rows) {
            System.out.printf(Locale.ROOT, "  %-20s %8s %8s %6s %9s %9s %12s %9s %9s%n", row.get("stream"),
                    row.get("ungatedCpuPerAudioSecond"), row.get("gatedCpuPerAudioSecond"), row.get("ratioGatedToUngated"),
                    row.get("ungatedWordErrors") + "/" + row.get("referenceWords"),
                    row.get("gatedWordErrors") + "/" + row.get("referenceWords"),
                    row.get("wordsWithin50ms") + "/" + row.get("wordsFoundUngated"),
                    row.get("alwaysOnStreamsPerCoresUngated"), row.get("alwaysOnStreamsPerCoresGated"));
        }
    }

    // ---- the same stream through the vosk-server endpoint -------------------------------------------------------

    private void gateWebSocket(byte[] pcm, String reference) throws Exception {
        double seconds = pcm.length / (double) AudioFormat.SPEECH_16K.bytesPerSecond();
        Path app = home.resolve("quarkus-run.jar");
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("stream", "room tone -50 dBFS");
        figures.put("audioSeconds", Bench.round(seconds));
        double plain = plainVosk(pcm);
        figures.put("plainVoskLoopCpuSeconds", Bench.round(plain));
        for (String gate : List.of("auto", "off")) {
            Map<String, Object> run = GateClient.run(app, bench.clips.get(0).pcm(), pcm, gate);
            double cpu = (double) run.get("gatewayCpuSeconds");
            figures.put("gateway-" + gate + "-CpuSeconds", Bench.round(cpu));
            figures.put("gateway-" + gate + "-RatioToPlainLoop", Bench.round(cpu / plain));
            figures.put("gateway-" + gate + "-WordErrors", GateAudio.wordErrors(reference, (String) run.get("text")));
            figures.put("gateway-" + gate + "-IdleCpuSecondsBefore", run.get("idleCpuSeconds"));
        }
        figures.put("referenceWords", GateAudio.words(reference).length);
        bench.results.put("gateWebSocket", figures);
        Bench.table("speech gate through the vosk-server endpoint (packaged gateway process CPU, one plain client"
                + " sending as fast as the endpoint takes it; speech-gate auto = gated, off = ungated)", figures);
    }

    /** CPU seconds for a plain Vosk loop over the stream (one recognizer, 100 ms chunks, partials fetched). */
    private double plainVosk(byte[] pcm) throws Exception {
        try (Model model = new Model(bench.model.toString())) {
            long cpu = Machine.processCpuNanos();
            try (Recognizer recognizer = new Recognizer(model, 16000)) {
                recognizer.setWords(true);
                Speech.decode(recognizer, pcm, true);
            }
            return (Machine.processCpuNanos() - cpu) / 1e9;
        }
    }

    // ---- gate-silence: no invented words ------------------------------------------------------------------------

    void gateSilence() throws Exception {
        int seconds = bench.option("silence-seconds", 600);
        int mixSeconds = bench.option("mix-seconds", 300);
        GateAudio audio = new GateAudio(Path.of("bench/target/gate-audio").toAbsolutePath());
        Map<String, byte[]> streams = new LinkedHashMap<>();
        for (int dbfs : new int[]{-50, -35, -20}) {
            streams.put("pink noise " + dbfs + " dBFS, " + seconds + " s", audio.pinkNoise(seconds, dbfs, "long"));
        }
        streams.put("tones, chirps, clicks, " + mixSeconds + " s", audio.tonesChirpsClicks(mixSeconds));
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Runtime runtime = new Runtime()) {
            for (Map.Entry<String, byte[]> stream : streams.entrySet()) {
                Decoded gated = runtime.decode("gated", stream.getValue());
                double audioSeconds = stream.getValue().length / (double) AudioFormat.SPEECH_16K.bytesPerSecond();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("stream", stream.getKey());
                row.put("finals", gated.finals().size());
                row.put("nonEmptyPartials", gated.nonEmptyPartials());
                row.put("decodedSeconds", Bench.round(audioSeconds - gated.keptFromRecognizerSeconds()));
                row.put("cpuPerAudioSecond", Bench.round(gated.cpuSeconds() / audioSeconds));
                row.put("text", gated.text());
                rows.add(row);
                System.out.println("gate-silence: " + row);
            }
        }
        bench.results.put("gateSilence", rows);
        System.out.println();
        System.out.println("== speech gate: no invented words (gated; finals and non-empty partials)");
        for (Map<String, Object> row : rows) {
            System.out.printf(Locale.ROOT, "  %-34s finals %s, non-empty partials %s, decoded %s s, CPU per audio s %s%n",
                    row.get("stream"), row.get("finals"), row.get("nonEmptyPartials"), row.get("decodedSeconds"),
                    row.get("cpuPerAudioSecond"));
        }
    }
}
