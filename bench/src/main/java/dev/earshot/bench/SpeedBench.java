package dev.earshot.bench;

import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.plugins.vosk.VoskPlugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.Pacing;
import io.vertx.core.Vertx;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Speed: the gateway's decoding overhead against plain Vosk ({@code overhead}), its end-of-speech latency
 * ({@code latency}) and what a kept ("warm") Vosk recognizer saves against a new one ({@code warm}).
 */
final class SpeedBench {

    private final Bench bench;

    SpeedBench(Bench bench) {
        this.bench = bench;
    }

    // ---- overhead -----------------------------------------------------------------------------------------------

    /** Audio seconds decoded per CPU second: plain Vosk loops against the gateway, same bench.clips, same process. */
    void overhead() throws Exception {
        int rounds = bench.option("rounds", 5);
        double audio = Speech.totalSeconds(bench.clips);
        Vertx vertx = Vertx.vertx();
        try (Model shared = new Model(bench.model.toString())) {
            GatewayRuntime runtime = bench.runtime(vertx, new VoskPlugin(), "vosk", List.of(), 50, 16, Bench.tempData());
            try {
                Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
                double[] plain = new double[rounds];
                double[] plainPartials = new double[rounds];
                double[] gateway = new double[rounds];
                plainVosk(shared, false);
                gatewayRun(pipeline);
                for (int round = 0; round < rounds; round++) {
                    plain[round] = audio / plainVosk(shared, false);
                    plainPartials[round] = audio / plainVosk(shared, true);
                    gateway[round] = audio / gatewayRun(pipeline);
                    System.out.printf(Locale.ROOT, "overhead round %d: plain %.2f, plain+partials %.2f, gateway %.2f audio s per CPU s%n",
                            round + 1, plain[round], plainPartials[round], gateway[round]);
                }
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("audioSecondsPerRound", Bench.round(audio));
                figures.put("rounds", rounds);
                figures.put("plainVosk", Bench.round(Machine.median(plain)));
                figures.put("plainVoskWithPartials", Bench.round(Machine.median(plainPartials)));
                figures.put("gateway", Bench.round(Machine.median(gateway)));
                figures.put("ratioToPlain", Bench.round(Machine.median(gateway) / Machine.median(plain)));
                figures.put("ratioToPlainWithPartials", Bench.round(Machine.median(gateway) / Machine.median(plainPartials)));
                bench.results.put("overhead", figures);
                Bench.table("overhead (audio seconds per CPU second, medians of " + rounds + ")", figures);
            } finally {
                runtime.stop();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** CPU seconds to decode every clip with a plain Vosk loop (a new recognizer per clip, 100 ms chunks). */
    private double plainVosk(Model shared, boolean partials) throws Exception {
        long cpu = Machine.processCpuNanos();
        for (Speech clip : bench.clips) {
            try (Recognizer recognizer = new Recognizer(shared, 16000)) {
                recognizer.setWords(true);
                Speech.decode(recognizer, clip.pcm(), partials);
            }
        }
        return (Machine.processCpuNanos() - cpu) / 1e9;
    }

    /** CPU seconds to decode every clip through a gateway pipeline (one paced session per clip, in turn). */
    private double gatewayRun(Pipeline pipeline) throws Exception {
        long cpu = Machine.processCpuNanos();
        for (Speech clip : bench.clips) {
            Session session = pipeline.openSession(SessionRequest.of("bench:" + clip.name(), AudioFormat.SPEECH_16K, Pacing.PACED));
            Bench.feed(session, clip, false, null);
            session.end();
            session.closed().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        return (Machine.processCpuNanos() - cpu) / 1e9;
    }

    // ---- warm ---------------------------------------------------------------------------------------------------

    /** Other speech than the LibriVox clips: what a kept recognizer decoded for an earlier session. */
    private static final List<String> OTHER_SPEECH = List.of("goforward.raw", "numbers.raw", "something.raw");

    /**
     * Thread CPU seconds to decode the LibriVox clips on a new recognizer against one that decoded other speech first
     * and was reset (what the Vosk engine's {@code warm-recognizers} keep), same model, alternating, medians of
     * {@code --rounds}; the texts must be the same. Also the RSS a recognizer adds once it decoded all of that.
     */
    void warm() throws Exception {
        int rounds = bench.option("rounds", 3);
        List<byte[]> other = new ArrayList<>();
        for (String name : OTHER_SPEECH) {
            other.add(Files.readAllBytes(Speech.LIBRIVOX.resolveSibling(name)));
        }
        double[] fresh = new double[rounds];
        double[] kept = new double[rounds];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        String reference = null;
        double rssPerRecognizer = 0;
        try (Model model = new Model(bench.model.toString())) {
            for (int round = 0; round < rounds; round++) {
                for (boolean warm : new boolean[]{false, true}) {
                    double rssBefore = Machine.rssMiB();
                    try (Recognizer recognizer = new Recognizer(model, 16000)) {
                        recognizer.setWords(true);
                        if (warm) {
                            for (byte[] pcm : other) {
                                Speech.decode(recognizer, pcm, false);
                            }
                            recognizer.reset();
                        }
                        long cpu = threads.getCurrentThreadCpuTime();
                        StringBuilder text = new StringBuilder();
                        for (Speech clip : bench.clips) {
                            text.append(Speech.decode(recognizer, clip.pcm(), false)).append(" | ");
                        }
                        double seconds = (threads.getCurrentThreadCpuTime() - cpu) / 1e9;
                        (warm ? kept : fresh)[round] = seconds;
                        if (reference == null) {
                            reference = text.toString();
                        } else if (!reference.equals(text.toString())) {
                            throw new IllegalStateException("a " + (warm ? "kept" : "new") + " recognizer gave other words:\n"
                                    + text + "\nexpected\n" + reference);
                        }
                        if (warm) {
                            rssPerRecognizer = Math.max(rssPerRecognizer, Machine.rssMiB() - rssBefore);
                        }
                    }
                }
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("audioSeconds", Bench.round(Speech.totalSeconds(bench.clips)));
        figures.put("newRecognizerCpuSeconds", Bench.round(Machine.median(fresh)));
        figures.put("keptRecognizerCpuSeconds", Bench.round(Machine.median(kept)));
        figures.put("keptToNew", Bench.round(Machine.median(kept) / Machine.median(fresh)));
        figures.put("sameText", true);
        figures.put("rssPerRecognizerMiB", Math.round(rssPerRecognizer));
        bench.results.put("warm", figures);
        Bench.table("warm recognizers (thread CPU seconds for the LibriVox clips, medians of " + rounds + ")", figures);
    }

    // ---- latency ------------------------------------------------------------------------------------------------

    /** End of speech (last frame written, session ended) to the final at a sink, fed at real time. */
    void latency() throws Exception {
        int rounds = bench.option("rounds", 2);
        BenchPlugin probe = new BenchPlugin();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = bench.runtime(vertx, probe, "timed-vosk", List.of("clock"), 50, 16, Bench.tempData());
        List<Long> total = new ArrayList<>();
        List<Long> flush = new ArrayList<>();
        List<Long> own = new ArrayList<>();
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            for (int round = 0; round < rounds; round++) {
                for (Speech clip : bench.clips) {
                    Session session = pipeline.openSession(SessionRequest.of("bench:" + clip.name(), AudioFormat.SPEECH_16K, Pacing.PACED));
                    Bench.feed(session, clip, true, null);
                    long end = System.nanoTime();
                    session.end();
                    session.closed().toCompletableFuture().get(60, TimeUnit.SECONDS);
                    Long arrival = null;
                    for (int i = 0; i < 500 && (arrival = probe.finalArrivals.get(session.id())) == null; i++) {
                        Thread.sleep(10);
                    }
                    long[] times = probe.voskTimes.get(session.id());
                    if (arrival == null || times == null || times[3] == 0) {
                        continue; // no final from flush (the last final came before the end of audio)
                    }
                    total.add(arrival - end);
                    // Vosk's finalisation: flush() called to final hypothesis reported. The gateway's own part:
                    // scheduling the flush after the end of audio, and the final's way from the recognizer to the sink.
                    flush.add(times[3] - times[1]);
                    own.add((times[1] - Math.max(times[0], end)) + (arrival - times[3]));
                }
            }
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("samples", total.size());
        figures.put("endToFinalP50Ms", millis(total, 50));
        figures.put("endToFinalP99Ms", millis(total, 99));
        figures.put("voskFlushP50Ms", millis(flush, 50));
        figures.put("voskFlushP99Ms", millis(flush, 99));
        figures.put("gatewayOwnP50Ms", millis(own, 50));
        figures.put("gatewayOwnP99Ms", millis(own, 99));
        bench.results.put("latency", figures);
        Bench.table("latency (end of speech to final at the sink; real-time feed)", figures);
    }

    private static double millis(List<Long> nanos, double percentile) {
        long[] values = nanos.stream().mapToLong(Long::longValue).toArray();
        return Bench.round(Machine.percentile(values, values.length, percentile) / 1e6);
    }
}
