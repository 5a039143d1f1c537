package dev.earshot.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Pi-class profile ({@code pi-profile}): the packaged gateway on ONE core ({@code taskset -c 0}) with a set of JVM
 * flags and environment, as the launchers start it. Per profile: RSS (VmRSS of /proc/PID/status) idle with the model
 * loaded, the highest RSS with one and with four live vosk-server clients (real-time LibriVox with 1 s pauses, looped;
 * gated, as live audio is by default), the recognizer's real-time factor (earshot_decode_seconds_total over
 * earshot_audio_decoded_seconds_total) and the gateway's CPU per second of audio streamed with one client. With
 * {@code --nmt=true} each profile also runs with native memory tracking and prints what the JVM commits.
 *
 * <p>The profile {@code shipped} is read from deploy/debian/earshot.service (its Environment= lines and the flags of
 * its ExecStart=), so the figures are those of the service the .deb installs; the others show what each flag buys.
 */
final class PiProfile {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Profile(String name, Map<String, String> env, List<String> flags) {
    }

    private final Bench bench;
    private final Path app;
    private final byte[] speech;

    PiProfile(Bench bench) throws IOException {
        this.bench = bench;
        this.app = Path.of(bench.options.getOrDefault("home", "gateway/target/quarkus-app")).toAbsolutePath()
                .resolve("quarkus-run.jar");
        this.speech = GateAudio.speechWithPauses(bench.clips, 1000);
    }

    /** The profiles compared: each adds one change to the one before it. */
    static List<Profile> profiles() throws IOException {
        List<Profile> all = new ArrayList<>();
        List<String> flags = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC"));
        all.add(new Profile("before (-Xmx256m, serial GC)", Map.of(), List.copyOf(flags)));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MALLOC_ARENA_MAX", "1");
        all.add(new Profile("+ MALLOC_ARENA_MAX=1", Map.copyOf(env), List.copyOf(flags)));
        flags.set(0, "-Xmx64m");
        flags.addAll(0, List.of("-Xms8m"));
        flags.addAll(List.of("-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=25"));
        all.add(new Profile("+ heap -Xms8m -Xmx64m, free ratios 10/25", Map.copyOf(env), List.copyOf(flags)));
        flags.add("-Xss256k");
        all.add(new Profile("+ -Xss256k", Map.copyOf(env), List.copyOf(flags)));
        flags.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=16m"));
        all.add(new Profile("+ C1 only, code cache 16m", Map.copyOf(env), List.copyOf(flags)));
        flags.addAll(List.of("-XX:MaxMetaspaceSize=80m", "-XX:CICompilerCount=1"));
        all.add(new Profile("+ metaspace bound 80m, 1 compiler thread", Map.copyOf(env), List.copyOf(flags)));
        env.put("MALLOC_TRIM_THRESHOLD_", "131072");
        all.add(new Profile("+ MALLOC_TRIM_THRESHOLD_=131072", Map.copyOf(env), List.copyOf(flags)));
        List<String> noShare = new ArrayList<>(flags);
        noShare.add("-Xshare:off");
        all.add(new Profile("+ -Xshare:off (no CDS)", Map.copyOf(env), noShare));
        all.add(shipped());
        return all;
    }

    /** The flags and environment of deploy/debian/earshot.service. */
    static Profile shipped() throws IOException {
        List<String> unit = Files.readAllLines(Path.of("deploy/debian/earshot.service"));
        Map<String, String> env = new LinkedHashMap<>();
        List<String> flags = new ArrayList<>();
        Pattern environment = Pattern.compile("Environment=(\\w+)=(\\S+)");
        for (String line : unit) {
            Matcher m = environment.matcher(line.trim());
            if (m.matches()) {
                env.put(m.group(1), m.group(2));
            }
            if (line.startsWith("ExecStart=")) {
                List<String> words = Arrays.asList(line.substring("ExecStart=".length()).trim().split("\\s+"));
                for (String word : words.subList(1, words.indexOf("-jar"))) {
                    if (!word.startsWith("-Dquarkus.config.locations=")) {
                        flags.add(word);
                    }
                }
            }
        }
        if (flags.isEmpty()) {
            throw new IllegalStateException("deploy/debian/earshot.service has no ExecStart= with java flags");
        }
        return new Profile("shipped (deploy/debian/earshot.service)", env, flags);
    }

    void run() throws Exception {
        int seconds = bench.option("pi-seconds", 30);
        boolean nmt = "true".equals(bench.options.get("nmt"));
        String wanted = bench.options.getOrDefault("profiles", "all");
        List<Profile> profiles = new ArrayList<>();
        if (bench.options.containsKey("flags")) {
            // One profile from the command line: --flags="-Xmx64m -XX:+UseSerialGC" --env="MALLOC_ARENA_MAX=1 ..."
            Map<String, String> env = new LinkedHashMap<>();
            for (String pair : bench.options.getOrDefault("env", "").trim().split("\\s+")) {
                if (pair.contains("=")) {
                    env.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
                }
            }
            profiles.add(new Profile("--flags", env, List.of(bench.options.get("flags").trim().split("\\s+"))));
            wanted = "none";
        }
        for (Profile profile : profiles()) {
            if (wanted.equals("all") || (wanted.equals("shipped") && profile.name().startsWith("shipped"))) {
                profiles.add(profile);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Profile profile : profiles) {
            Map<String, Object> row = measure(profile, seconds, false);
            if (nmt) {
                Map<String, Object> tracked = measure(profile, Math.min(seconds, 10), true);
                row.put("jvmCommittedIdleMiB", tracked.get("jvmCommittedIdleMiB"));
                row.put("jvmCommittedFourMiB", tracked.get("jvmCommittedFourMiB"));
                row.put("nmtIdle", tracked.get("nmtIdle"));
            }
            rows.add(row);
            System.out.println("pi-profile: " + row);
        }
        bench.results.put("piProfile", rows);
        System.out.println();
        System.out.println("== Pi-class profile: packaged gateway on one core (taskset -c 0); RSS from /proc/PID/status");
        System.out.printf(Locale.ROOT, "  %-44s %9s %9s %9s %6s %10s %s%n", "profile", "idle MiB", "1 sess", "4 sess",
                "RTF", "CPU/aud s", nmt ? "JVM committed idle / 4 sessions (NMT)" : "");
        for (Map<String, Object> row : rows) {
            System.out.printf(Locale.ROOT, "  %-44s %9s %9s %9s %6s %10s %s%n", row.get("profile"), row.get("rssIdleMiB"),
                    row.get("rssOneSessionMiB"), row.get("rssFourSessionsMiB"), row.get("realTimeFactor"),
                    row.get("cpuPerAudioSecond"), nmt ? row.get("jvmCommittedIdleMiB") + " / " + row.get("jvmCommittedFourMiB") : "");
        }
        for (Map<String, Object> row : rows) {
            System.out.println("  " + row.get("profile") + ": " + row.get("env") + " " + row.get("flags"));
        }
    }

    private Map<String, Object> measure(Profile profile, int seconds, boolean nmt) throws Exception {
        Path work = Files.createTempDirectory("earshot-bench-pi");
        int httpPort = GatewayProcess.freePort();
        int voskPort = GatewayProcess.freePort();
        List<String> command = new ArrayList<>(List.of("taskset", "-c", "0",
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(profile.flags());
        if (nmt) {
            command.add("-XX:NativeMemoryTracking=summary");
        }
        command.addAll(List.of("-Dquarkus.http.port=" + httpPort, "-Dearshot.ingest.vosk.port=" + voskPort,
                "-Dearshot.ingest.wyoming.port=" + GatewayProcess.freePort(), "-Dearshot.data-dir=" + work.resolve("data"),
                "-jar", app.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("gateway.log").toFile());
        builder.environment().putAll(profile.env());
        Process gateway = builder.start();
        HttpClient http = HttpClient.newHttpClient();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("profile", profile.name());
        try {
            long started = System.nanoTime();
            GatewayProcess.awaitReady(http, httpPort, gateway, work, Duration.ofSeconds(180));
            row.put("readySeconds", Bench.round((System.nanoTime() - started) / 1e9));
            Thread.sleep(5000);
            long pid = gateway.pid(); // taskset execs java in place
            row.put("rssIdleMiB", rssMiB(pid));
            if (nmt) {
                row.put("nmtIdle", nmt(pid));
                row.put("jvmCommittedIdleMiB", committed((String) row.get("nmtIdle")));
            }
            URI uri = URI.create("ws://127.0.0.1:" + voskPort + "/");
            Map<String, Double> before = metrics(http, httpPort);
            long cpuBefore = GatewayProcess.cpuTicks(pid);
            Phase one = phase(http, uri, 1, seconds, pid);
            double cpu = (GatewayProcess.cpuTicks(pid) - cpuBefore) / 100.0;
            Map<String, Double> after = metrics(http, httpPort);
            row.put("rssOneSessionMiB", one.peakRss);
            row.put("realTimeFactor", Bench.round((after.get("earshot_decode_seconds_total") - before.get("earshot_decode_seconds_total"))
                    / (after.get("earshot_audio_decoded_seconds_total") - before.get("earshot_audio_decoded_seconds_total"))));
            row.put("cpuPerAudioSecond", Bench.round(cpu / one.audioSeconds));
            row.put("finalsOneSession", one.finals);
            Phase four = phase(http, uri, 4, seconds, pid);
            row.put("rssFourSessionsMiB", four.peakRss);
            row.put("finalsFourSessions", four.finals);
            if (nmt) {
                row.put("jvmCommittedFourMiB", committed(nmt(pid)));
            }
            row.put("rssAfterMiB", rssMiB(pid));
            row.put("env", profile.env());
            row.put("flags", String.join(" ", profile.flags()));
        } finally {
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly();
            }
        }
        return row;
    }

    private record Phase(double peakRss, int finals, double audioSeconds) {
    }

    /** {@code sessions} real-time vosk-server clients for {@code seconds}; samples RSS every 200 ms. */
    private Phase phase(HttpClient http, URI uri, int sessions, int seconds, long pid) throws Exception {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            Client client = new Client(speech.length / sessions * i / Speech.FRAME_BYTES * Speech.FRAME_BYTES);
            client.socket = http.newWebSocketBuilder().buildAsync(uri, client).get(10, TimeUnit.SECONDS);
            client.socket.sendText("{\"config\": {\"sample_rate\": 16000}}", true).get(10, TimeUnit.SECONDS);
            clients.add(client);
        }
        double peak = 0;
        long begin = System.nanoTime();
        for (int tick = 0; tick < seconds * 10; tick++) {
            for (Client client : clients) {
                client.sendNext();
            }
            if (tick % 2 == 0) {
                peak = Math.max(peak, rssMiB(pid));
            }
            long wait = begin + TimeUnit.MILLISECONDS.toNanos(100L * (tick + 1)) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
        for (Client client : clients) {
            client.sending.get(10, TimeUnit.SECONDS);
            client.socket.sendText("{\"eof\" : 1}", true);
        }
        int finals = 0;
        for (Client client : clients) {
            while (!client.closed.isDone()) {
                peak = Math.max(peak, rssMiB(pid));
                Thread.sleep(200);
            }
            client.closed.get();
            finals += client.finals.get();
        }
        return new Phase(Bench.round(peak), finals, seconds);
    }

    private final class Client implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        private final AtomicInteger finals = new AtomicInteger();
        private WebSocket socket;
        private CompletableFuture<WebSocket> sending = CompletableFuture.completedFuture(null);
        private int offset;

        Client(int offset) {
            this.offset = offset;
        }

        void sendNext() {
            if (!sending.isDone()) {
                return;
            }
            if (offset + Speech.FRAME_BYTES > speech.length) {
                offset = 0;
            }
            sending = socket.sendBinary(ByteBuffer.wrap(speech, offset, Speech.FRAME_BYTES), true);
            offset += Speech.FRAME_BYTES;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode reply = JSON.readTree(text.toString());
                    if (reply.has("text") && !reply.get("text").asText().isBlank()) {
                        finals.incrementAndGet();
                    }
                } catch (IOException e) {
                    closed.completeExceptionally(e);
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    private static Map<String, Double> metrics(HttpClient http, int port) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> sums = new LinkedHashMap<>();
        for (String line : body.split("\n")) {
            for (String name : List.of("earshot_decode_seconds_total", "earshot_audio_decoded_seconds_total")) {
                if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                    sums.merge(name, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
                }
            }
        }
        sums.putIfAbsent("earshot_decode_seconds_total", 0.0);
        sums.putIfAbsent("earshot_audio_decoded_seconds_total", 0.0);
        return sums;
    }

    private static String nmt(long pid) throws Exception {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(pid), "VM.native_memory", "summary").redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        jcmd.getInputStream().transferTo(out);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        StringBuilder summary = new StringBuilder();
        Pattern area = Pattern.compile("^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
        for (String line : out.toString().split("\n")) {
            Matcher m = area.matcher(line);
            if (line.startsWith("Total:")) {
                summary.append("total ").append(line.replaceAll(".*committed=(\\d+)KB.*", "$1"));
            } else if (m.matches() && Long.parseLong(m.group(2)) >= 1024) {
                summary.append(", ").append(m.group(1).trim().toLowerCase(Locale.ROOT)).append(' ')
                        .append(Long.parseLong(m.group(2)) / 1024);
            }
        }
        // Every figure in MiB; the total was read in KiB.
        String text = summary.toString();
        Matcher total = Pattern.compile("^total (\\d+)").matcher(text);
        return total.find() ? text.replaceFirst("^total \\d+", "total " + Long.parseLong(total.group(1)) / 1024) : text;
    }

    private static double committed(String nmt) {
        Matcher m = Pattern.compile("^total (\\d+)").matcher(nmt == null ? "" : nmt);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static double rssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Math.round(Long.parseLong(line.replaceAll("[^0-9]", "")) / 102.4) / 10.0;
            }
        }
        return Double.NaN;
    }
}
