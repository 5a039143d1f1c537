package dev.earshot.gateway;

import dev.earshot.gateway.protocol.RawClients;
import dev.earshot.gateway.protocol.ThirdPartyClients;
import dev.earshot.gateway.plugin.PluginJars;
import dev.earshot.spi.SpiVersion;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11's combined attack on the packaged gateway under the shipped {@code -Xmx256m -XX:+ExitOnOutOfMemoryError},
 * with a token, all at once from 127.0.0.1: 20 concurrent maximum-size uploads (LibriVox at 192 kHz, 8 channels,
 * 32-bit float, padded to just under the 50M limit: large in bytes, 8.5 s in time, so admitted ones are answered 200),
 * 20 Wyoming clients writing {@code describe} without reading, 300 idle connections spread over the HTTP, vosk-server
 * and Wyoming ports (each reopened when the gateway closes it, while the attack lasts) and a zip-bomb plugin upload.
 * Meanwhile a vosk-server client from 127.0.0.2 and a Wyoming client from 127.0.0.3 (the Python clients) transcribe
 * LibriVox round after round, as well as they did before the attack. The process never exits, every upload gets 200,
 * 400, 413 or 503, and heap after GC, threads and file descriptors come back to the baseline.
 */
class AttackIT {

    private static final String TOKEN = "attack-it-token-0123456789";
    private static final String UPLOAD_CLIP = "sense_and_sensibility_01_austen_64kb-0870.wav";
    private static final int UPLOADS = 20;
    private static final int FLOODERS = 20;
    private static final int IDLE_PER_PORT = 100;
    /** Every attacker stops by itself by then (the write-stall timeout, 30 s, closes held flooders before). */
    private static final Duration ATTACK = Duration.ofSeconds(45);
    private static final long FLOOD_LIMIT = 64L << 20;
    private static final long MIB = 1 << 20;

    @TempDir
    Path workDir;

    @Test
    void theCombinedAttackLeavesTheProcessAliveNormalClientsServedAndNothingHeld() throws Exception {
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        // 8.5 s at 192 kHz x 8 x 4 bytes = 52,224,000 bytes of audio: just under 50M (52,428,800 bytes).
        Path upload = SpeechFixtures.sox("attack-192k-8ch-float.wav", SpeechFixtures.LIBRIVOX.resolve(UPLOAD_CLIP).toString(),
                "-r", "192000", "-c", "8", "-b", "32", "-e", "floating-point", "OUT", "pad", "0", "1.4");
        assertTrue(Files.size(upload) > 52_000_000 && Files.size(upload) <= 50L << 20, "upload size " + Files.size(upload));
        Map<String, String> bombResources = new HashMap<>(PluginJars.metadata("com.example.bomb.Plain", "bomb", SpiVersion.CURRENT));
        bombResources.remove("META-INF/services/dev.earshot.spi.Plugin");
        Path bomb = PluginJars.build(Files.createDirectories(workDir.resolve("jars")), "services-bomb.jar",
                PluginJars.hookPlugin("bomb", "bomb", ""), bombResources,
                PluginJars.bomb("META-INF/services/dev.earshot.spi.Plugin", "com.example.bomb.Plain\n", 600L << 20));

        Path log = workDir.resolve("gateway.log");
        PackagedGateway packaged = PackagedGateway.launch(workDir, log, PackagedGateway.freePort(), "-Xmx256m",
                "-XX:+ExitOnOutOfMemoryError", "-Dearshot.api.token=" + TOKEN, "-Dearshot.data-dir=" + workDir.resolve("data"));
        Process gateway = packaged.process;
        ExecutorService attackers = Executors.newCachedThreadPool();
        try {
            assertEquals(200, packaged.awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + ProcessFigures.tail(log));
            NormalClients normal = new NormalClients(packaged, references);
            Round warmUp = normal.round();
            System.out.print(warmUp.vosk.report("warm-up: LibriVox through vosk-server from 127.0.0.2"));
            System.out.print(warmUp.wyoming.report("warm-up: LibriVox through Wyoming from 127.0.0.3"));
            ProcessFigures baseline = ProcessFigures.of(gateway);

            long start = System.nanoTime();
            long deadline = start + ATTACK.toNanos();
            AtomicBoolean attacking = new AtomicBoolean(true);
            IdleConnections idle = new IdleConnections(List.of(packaged.port, packaged.voskPort, packaged.wyomingPort));
            Future<?> idleKeeper = attackers.submit(() -> idle.keep(attacking));
            List<Future<long[]>> floods = new ArrayList<>();
            for (int i = 0; i < FLOODERS; i++) {
                floods.add(attackers.submit(() -> flood(packaged.wyomingPort, deadline)));
            }
            List<Future<String>> uploads = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                uploads.add(attackers.submit(() -> packaged.rawPost("/api/transcribe", "audio/wav", upload)));
            }
            Future<String> bombUpload = attackers.submit(() -> packaged.rawPost("/api/plugins", "application/java-archive", bomb));
            List<Future<?>> attacks = new ArrayList<>(floods);
            attacks.addAll(uploads);
            attacks.add(bombUpload);
            Future<List<Round>> during = attackers.submit(() -> normal.roundsWhile(
                    () -> !attacks.stream().allMatch(Future::isDone), deadline + TimeUnit.SECONDS.toNanos(60)));

            long peakRss = 0;
            while (!(during.isDone() && attacks.stream().allMatch(Future::isDone)) && gateway.isAlive()
                    && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(90)) {
                peakRss = Math.max(peakRss, ProcessFigures.rssKiB(gateway));
                Thread.sleep(250);
            }
            attacking.set(false);
            assertTrue(gateway.isAlive(), "the gateway survived the attack; log:\n" + ProcessFigures.tail(log));
            idleKeeper.get(30, TimeUnit.SECONDS);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

            Map<Integer, Integer> statuses = new TreeMap<>();
            java.util.Set<String> refusals = new java.util.TreeSet<>();
            SpeechFixtures.WerTally uploaded = new SpeechFixtures.WerTally("transcript (upload, 192 kHz 8 ch float)");
            for (Future<String> future : uploads) {
                String answer = future.get(10, TimeUnit.SECONDS);
                int status = PackagedGateway.answerStatus(answer);
                statuses.merge(status, 1, Integer::sum);
                assertTrue(List.of(200, 400, 413, 503).contains(status), "upload answered " + answer);
                if (status == 200) {
                    String text = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getString("text");
                    uploaded.add(UPLOAD_CLIP, references.get(UPLOAD_CLIP), text);
                } else if (status == 503) {
                    assertTrue(answer.contains("\r\nRetry-After: "), answer);
                    refusals.add(answer.substring(answer.indexOf("\r\n\r\n") + 4).trim());
                }
            }
            String bombAnswer = bombUpload.get(10, TimeUnit.SECONDS);
            long floodBytes = 0;
            long floodMax = 0;
            int refusedAtOnce = 0;
            for (Future<long[]> flood : floods) {
                long[] result = flood.get(10, TimeUnit.SECONDS);
                floodBytes += result[0];
                floodMax = Math.max(floodMax, result[0]);
                refusedAtOnce += result[1] < TimeUnit.SECONDS.toNanos(10) ? 1 : 0;
            }
            List<Round> rounds = during.get(10, TimeUnit.SECONDS);

            Thread.sleep(3_000); // connections closed by the test are released
            ProcessFigures after = ProcessFigures.of(gateway);
            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!back(baseline, after) && System.nanoTime() < settle) {
                Thread.sleep(2_000);
                after = ProcessFigures.of(gateway);
            }

            System.out.printf("attack: %d s under -Xmx256m; %d uploads of %d bytes: statuses %s%n", seconds, UPLOADS,
                    Files.size(upload), statuses);
            refusals.forEach(refusal -> System.out.println("attack: upload refused: " + refusal));
            System.out.printf("attack: zip-bomb plugin (%d bytes, services file inflating to 600 MiB): %d %s%n", Files.size(bomb),
                    PackagedGateway.answerStatus(bombAnswer), bombAnswer.substring(bombAnswer.indexOf("\r\n\r\n") + 4).trim());
            System.out.printf("attack: %d Wyoming describe flooders: %d refused at once, %d held then closed; %.1f MiB out"
                    + " in all, at most %.1f MiB for one%n", FLOODERS, refusedAtOnce, FLOODERS - refusedAtOnce,
                    floodBytes / (double) MIB, floodMax / (double) MIB);
            System.out.println("attack: idle connections (" + IDLE_PER_PORT + " per port kept open while the attack lasts) "
                    + idle.report(Map.of(packaged.port, "HTTP", packaged.voskPort, "vosk-server", packaged.wyomingPort, "Wyoming")));
            System.out.printf("attack: normal clients transcribed LibriVox %d times each during the attack, %s%n", rounds.size(),
                    rounds.stream().map(r -> String.format("WER vosk %.1f%% Wyoming %.1f%%", r.vosk.wer(), r.wyoming.wer())).toList());
            System.out.printf("attack: heap after GC %d -> %d KiB; threads %d -> %d; fds %d -> %d; RSS %d -> peak %d -> %d KiB%n",
                    baseline.heapKiB(), after.heapKiB(), baseline.threads(), after.threads(), baseline.fds(), after.fds(),
                    baseline.rssKiB(), peakRss, after.rssKiB());
            System.out.print(uploaded.report("uploads answered 200"));

            assertEquals(400, PackagedGateway.answerStatus(bombAnswer), bombAnswer);
            assertTrue(statuses.getOrDefault(200, 0) >= 1, "some uploads were admitted and transcribed: " + statuses);
            assertTrue(uploaded.wer() <= 10.0, "uploads transcribed correctly: WER " + uploaded.wer());
            // A held flooder that the stall timeout closes must be gone, not read and discarded until it stops by itself.
            assertTrue(refusedAtOnce < FLOODERS, "some flooders were admitted, so the stall timeout was exercised");
            assertTrue(floodMax < FLOOD_LIMIT, "every flooder was held, then closed (none could write its 64 MiB)");
            assertTrue(!rounds.isEmpty(), "the normal clients transcribed during the attack");
            for (Round round : rounds) {
                assertTrue(round.vosk.wer() <= warmUp.vosk.wer(), "vosk-server client as good as in the warm-up: "
                        + round.vosk.report("during the attack"));
                assertTrue(round.wyoming.wer() <= warmUp.wyoming.wer(), "Wyoming client as good as in the warm-up: "
                        + round.wyoming.report("during the attack"));
            }
            assertTrue(back(baseline, after), "heap after GC, threads and fds back to the baseline: " + baseline + " -> " + after);
            assertTrue(gateway.isAlive(), "the gateway is alive at the end; log:\n" + ProcessFigures.tail(log));
        } finally {
            attackers.shutdownNow();
            Files.copy(log, Path.of("target/attack-gateway.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * The margins of {@link UploadMemoryIT}: heap after GC within 16 MiB (a few buffers pooled by Netty and the JIT's
     * and class data's growth, well under one 45 MiB upload held whole); four threads (pools that had not yet started
     * all their threads at the baseline) and four descriptors (files the JVM opened lazily, such as jar files read
     * on first use), far under the 300 connections and 20 clients.
     */
    private static boolean back(ProcessFigures baseline, ProcessFigures after) {
        return after.heapKiB() <= baseline.heapKiB() + 16 * 1024 && after.threads() <= baseline.threads() + 4
                && after.fds() <= baseline.fds() + 4;
    }

    /**
     * A Wyoming client from 127.0.0.1 that writes describe events and never reads; returns {bytes it got out, nanoseconds
     * until its writes failed or it stopped}.
     */
    private static long[] flood(int port, long deadline) throws IOException {
        byte[] describes = "{\"type\": \"describe\"}\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        try (Socket socket = RawClients.connect("127.0.0.1", port, 8 * 1024)) {
            long sent = RawClients.flood(socket.getOutputStream(), describes, FLOOD_LIMIT, deadline, new AtomicLong());
            return new long[]{sent, System.nanoTime() - start};
        }
    }

    /** The vosk-server and Wyoming clients' transcripts of the LibriVox clips in one round. */
    private record Round(SpeechFixtures.WerTally vosk, SpeechFixtures.WerTally wyoming) {
    }

    /** A normal vosk-server client from 127.0.0.2 and a normal Wyoming client from 127.0.0.3. */
    private static final class NormalClients {
        private final PackagedGateway gateway;
        private final Map<String, String> references;

        NormalClients(PackagedGateway gateway, Map<String, String> references) {
            this.gateway = gateway;
            this.references = new LinkedHashMap<>(references);
        }

        /** One round: each client transcribes every clip, both at the same time. */
        Round round() throws Exception {
            List<String> args = new ArrayList<>(List.of("127.0.0.1", String.valueOf(gateway.wyomingPort), "en"));
            references.keySet().forEach(clip -> args.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString()));
            Process wyomingClient = ThirdPartyClients.startFrom("127.0.0.3", "wyoming_client.py", args.toArray(String[]::new));
            SpeechFixtures.WerTally vosk = new SpeechFixtures.WerTally("transcript (vosk-server from 127.0.0.2)");
            for (Map.Entry<String, String> clip : references.entrySet()) {
                List<JsonObject> replies = ThirdPartyClients.replies(ThirdPartyClients.startFrom("127.0.0.2", "vosk_client.py",
                        "ws://127.0.0.1:" + gateway.voskPort + "/?access_token=" + TOKEN, "stream", "8000",
                        "{\"config\": {\"sample_rate\": 16000}}", SpeechFixtures.LIBRIVOX.resolve(clip.getKey()).toString()));
                assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"), "closed normally: " + replies);
                vosk.add(clip.getKey(), clip.getValue(), ThirdPartyClients.voskFinals(replies));
            }
            List<String> texts = ThirdPartyClients.wyomingTranscripts(ThirdPartyClients.replies(wyomingClient));
            assertEquals(references.size(), texts.size(), "one Wyoming transcript per clip: " + texts);
            SpeechFixtures.WerTally wyoming = new SpeechFixtures.WerTally("transcript (Wyoming from 127.0.0.3)");
            int i = 0;
            for (Map.Entry<String, String> clip : references.entrySet()) {
                wyoming.add(clip.getKey(), clip.getValue(), texts.get(i++));
            }
            return new Round(vosk, wyoming);
        }

        /** Rounds while {@code more} holds (at least one), never past {@code deadline}. */
        List<Round> roundsWhile(java.util.function.BooleanSupplier more, long deadline) throws Exception {
            List<Round> rounds = new ArrayList<>();
            do {
                rounds.add(round());
            } while (more.getAsBoolean() && System.nanoTime() < deadline);
            return rounds;
        }
    }

    /**
     * {@link #IDLE_PER_PORT} connections from 127.0.0.1 to each port that send nothing; one that the gateway closes
     * is opened again while the attack lasts. Counted per port: opened, refused with an answer (a Wyoming error event),
     * closed without an answer within 5 s (refused at once), closed later (the handshake timeout), open at the end.
     */
    private static final class IdleConnections {
        private final Map<Integer, List<SocketChannel>> open = new LinkedHashMap<>();
        private final Map<SocketChannel, Long> opened = new HashMap<>();
        private final Map<Integer, long[]> counts = new LinkedHashMap<>();

        IdleConnections(List<Integer> ports) {
            ports.forEach(port -> {
                open.put(port, new ArrayList<>());
                counts.put(port, new long[4]);
            });
        }

        Void keep(AtomicBoolean attacking) throws IOException, InterruptedException {
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            try {
                while (attacking.get()) {
                    for (Map.Entry<Integer, List<SocketChannel>> port : open.entrySet()) {
                        long[] count = counts.get(port.getKey());
                        List<SocketChannel> channels = port.getValue();
                        for (SocketChannel channel : List.copyOf(channels)) {
                            buffer.clear();
                            int read;
                            try {
                                read = channel.read(buffer);
                            } catch (IOException reset) {
                                read = -1;
                            }
                            if (read != 0) {
                                long lived = System.nanoTime() - opened.remove(channel);
                                count[read > 0 ? 1 : lived < TimeUnit.SECONDS.toNanos(5) ? 2 : 3]++;
                                channel.close();
                                channels.remove(channel);
                            }
                        }
                        while (channels.size() < IDLE_PER_PORT) {
                            SocketChannel channel = SocketChannel.open();
                            channel.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
                            channel.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port.getKey()));
                            channel.configureBlocking(false);
                            channels.add(channel);
                            opened.put(channel, System.nanoTime());
                            count[0]++;
                        }
                    }
                    Thread.sleep(1_000);
                }
            } finally {
                for (Map.Entry<Integer, List<SocketChannel>> port : open.entrySet()) {
                    for (SocketChannel channel : port.getValue()) {
                        channel.close();
                    }
                }
            }
            return null;
        }

        String report(Map<Integer, String> names) {
            StringBuilder report = new StringBuilder();
            counts.forEach((port, count) -> report.append(String.format("%s%s: %d opened, %d refused with an answer, %d closed"
                            + " without one within 5 s, %d closed later (handshake timeout), %d open at the end",
                    report.isEmpty() ? "" : "; ", names.get(port), count[0], count[1], count[2], count[3], open.get(port).size())));
            return report.toString();
        }
    }
}
