package dev.earshot.plugins.file;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.Pacing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileSourceTest {

    private static final Path LIBRIVOX_WAV =
            Path.of("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav");
    private static final Path GOFORWARD_RAW = Path.of("/usr/share/pocketsphinx/test/data/goforward.raw");
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path home;

    // ---------------------------------------------------------------- delivery

    @Test
    void playsAWavFileWholeAndInOrder() throws Exception {
        byte[] file = Files.readAllBytes(LIBRIVOX_WAV);
        FakeSourceContext sessions = new FakeSourceContext(session -> session.consumerDelayMillis = 2);
        CaptureSource source = create("wav-source", Map.of("path", LIBRIVOX_WAV.toString()));
        source.start(sessions);
        FakeSession session = sessions.only();
        assertTrue(session.finished.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "session finished");

        assertEquals(AudioFormat.SPEECH_16K, session.format);
        assertEquals(Pacing.PACED, session.pacing);
        assertEquals("file:" + LIBRIVOX_WAV, session.origin);
        assertEquals(Map.of("path", LIBRIVOX_WAV.toString()), session.attributes);
        assertArrayEquals(Arrays.copyOfRange(file, 44, file.length), session.received());
        assertContiguous(session);
        assertEquals(1, session.ends.get());
        assertEquals(0, session.closes.get());
        assertEquals(0, session.offers.get());
        assertEquals(session.sequences.size(), session.puts.get());
        assertTrue(session.blockedPuts.get() > 0, "a fast reader meets a full queue and waits for the consumer");
        assertEquals(0, session.dropped.get());
        int frameBytes = 3200; // 100 ms at 16 kHz mono
        List<Integer> lengths = session.frameLengths;
        assertTrue(lengths.subList(0, lengths.size() - 1).stream().allMatch(length -> length == frameBytes), lengths.toString());

        awaitReaderGone("wav-source");
        source.close();
        assertEquals(0, session.closes.get(), "an ended session is left to finish");
        assertEquals(List.of("end"), session.calls.subList(session.calls.size() - 1, session.calls.size()));
    }

    @Test
    void playsARawFileWholeAndInOrder() throws Exception {
        byte[] file = Files.readAllBytes(GOFORWARD_RAW);
        FakeSourceContext sessions = new FakeSourceContext(session -> session.consumerDelayMillis = 1);
        CaptureSource source = create("raw-source", Map.of("path", GOFORWARD_RAW.toString(), "frame", "20ms"));
        source.start(sessions);
        FakeSession session = sessions.only();
        assertTrue(session.finished.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "session finished");

        assertEquals(AudioFormat.SPEECH_16K, session.format);
        assertArrayEquals(file, session.received());
        assertContiguous(session);
        assertEquals(1, session.ends.get());
        List<Integer> lengths = session.frameLengths;
        assertEquals(file.length / 640 + 1, lengths.size());
        assertEquals(file.length % 640, lengths.get(lengths.size() - 1), "the last frame is shorter");
        source.close();
    }

    @Test
    void convertsAnEightBitStereoWavTo16Bit() throws Exception {
        int rate = 44_100;
        byte[] data = new byte[rate * 2 * 3 / 2]; // 1.5 s
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 37 + i / 1000);
        }
        Path wav = home.resolve("stereo8.wav");
        Files.write(wav, wav8(rate, 2, data));
        byte[] expected = new byte[data.length * 2];
        for (int i = 0; i < data.length; i++) {
            int sample = ((data[i] & 0xff) - 128) << 8;
            expected[2 * i] = (byte) sample;
            expected[2 * i + 1] = (byte) (sample >> 8);
        }

        FakeSourceContext sessions = new FakeSourceContext();
        CaptureSource source = create("stereo8", Map.of("path", wav.toString()));
        source.start(sessions);
        FakeSession session = sessions.only();
        assertTrue(session.finished.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "session finished");

        assertEquals(new AudioFormat(rate, 2), session.format);
        assertArrayEquals(expected, session.received());
        assertContiguous(session);
        assertTrue(session.frameLengths.stream().allMatch(length -> length % 4 == 0), "whole stereo sample frames");
        assertEquals(4410 * 4, session.frameLengths.get(0));
        source.close();
    }

    @Test
    void explicitFormatWinsOverTheExtension() throws Exception {
        Path raw = home.resolve("actually-raw.wav");
        byte[] pcm = new byte[8000 * 2 * 2]; // 1 s of 8 kHz stereo
        Arrays.fill(pcm, (byte) 3);
        Files.write(raw, pcm);
        FakeSourceContext sessions = new FakeSourceContext();
        CaptureSource source = create("forced-raw",
                Map.of("path", raw.toString(), "format", "RAW", "sample-rate", "8000", "channels", "2"));
        source.start(sessions);
        FakeSession session = sessions.only();
        assertTrue(session.finished.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertEquals(new AudioFormat(8000, 2), session.format);
        assertArrayEquals(pcm, session.received());
        source.close();
    }

    // ---------------------------------------------------------------- realtime

    @Test
    void realtimeUsesLivePacingAndKeepsPace() throws Exception {
        byte[] data = new byte[16_000]; // 0.5 s of 16 kHz mono
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        Path wav = home.resolve("half-second.wav");
        Files.write(wav, concat(Wav.header(AudioFormat.SPEECH_16K, data.length), data));

        FakeSourceContext sessions = new FakeSourceContext();
        CaptureSource source = create("live", Map.of("path", wav.toString(), "realtime", "true"));
        long startNanos = System.nanoTime();
        source.start(sessions);
        FakeSession session = sessions.only();
        assertTrue(session.finished.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));

        assertEquals(Pacing.LIVE, session.pacing);
        assertEquals(5, session.offers.get());
        assertEquals(0, session.puts.get());
        assertArrayEquals(data, session.received());
        assertEquals(1, session.ends.get());
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(session.endNanos - startNanos);
        assertTrue(elapsedMillis >= 350 && elapsedMillis < 10_000, "0.5 s of audio took " + elapsedMillis + " ms");
        source.close();
    }

    @Test
    void realtimeScheduleHasNoRoundingDrift() {
        assertEquals(1_000_000_000L, FileSource.nanosOf(44_100, 44_100));
        assertEquals(22_675L, FileSource.nanosOf(1, 44_100));
        long tenHours = 10L * 3600 * 192_000;
        assertEquals(10L * 3600 * 1_000_000_000L, FileSource.nanosOf(tenHours, 192_000));
        assertEquals(3_600_000_000_000L * 24 * 365, FileSource.nanosOf(192_000L * 3600 * 24 * 365, 192_000));
    }

    // ---------------------------------------------------------------- close

    @Test
    void closeMidStreamStopsTheReaderAndClosesTheSession() throws Exception {
        FakeSourceContext sessions = new FakeSourceContext(FakeSession::hold);
        CaptureSource source = create("closed-mid-stream", Map.of("path", LIBRIVOX_WAV.toString(), "frame", "20ms"));
        source.start(sessions);
        FakeSession session = sessions.only();
        waitFor(() -> session.blockedPuts.get() > 0, "the reader blocks on the full queue");
        assertTrue(readerAlive("closed-mid-stream"));

        source.close();
        session.sourceClosed = true;
        assertFalse(readerAlive("closed-mid-stream"), "the reader thread is gone when close returns");
        assertEquals(1, session.closes.get());
        assertEquals(0, session.ends.get());

        session.release();
        source.close(); // twice is fine
        Thread.sleep(100);
        assertEquals(0, session.callsAfterSourceClosed.get(), "calls after close: " + session.calls);
        assertEquals(1, session.closes.get());
    }

    @Test
    void closeFromInsidePutDoesNotDeadlock() throws Exception {
        AtomicReference<CaptureSource> holder = new AtomicReference<>();
        AtomicLong closeMillis = new AtomicLong(-1);
        AtomicReference<String> closingThread = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        FakeSourceContext sessions = new FakeSourceContext(session -> session.onWrite = frame -> {
            if (frame.sequence() == 2) {
                long start = System.nanoTime();
                closingThread.set(Thread.currentThread().getName());
                holder.get().close();
                closeMillis.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                session.sourceClosed = true;
                closed.countDown();
            }
        });
        CaptureSource source = create("self-closing", Map.of("path", LIBRIVOX_WAV.toString()));
        holder.set(source);
        source.start(sessions);
        FakeSession session = sessions.only();

        assertTrue(closed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "close from the reader returned");
        assertEquals("earshot-file-self-closing", closingThread.get());
        assertTrue(closeMillis.get() < 2000, "close on the reader thread must not wait for itself: " + closeMillis + " ms");
        awaitReaderGone("self-closing");
        assertEquals(1, session.closes.get());
        assertEquals(0, session.ends.get());
        assertEquals(0, session.callsAfterSourceClosed.get(), "calls after close: " + session.calls);
        source.close();
        assertEquals(1, session.closes.get());
    }

    @Test
    void stopsWhenTheHostClosesTheSession() throws Exception {
        FakeSourceContext sessions = new FakeSourceContext(session -> session.onWrite = frame -> {
            if (frame.sequence() == 3) {
                session.hostClose();
            }
        });
        CaptureSource source = create("host-closed", Map.of("path", LIBRIVOX_WAV.toString()));
        source.start(sessions);
        FakeSession session = sessions.only();
        awaitReaderGone("host-closed");
        assertEquals(4, session.puts.get(), "the reader stops at the first refused frame");
        assertEquals(0, session.ends.get());
        source.close();
        assertEquals(0, session.closes.get(), "the host closed it already");
    }

    @Test
    void closeBeforeStartIsFinalAndStartTwiceIsAnError() throws Exception {
        CaptureSource closedEarly = create("closed-early", Map.of("path", LIBRIVOX_WAV.toString()));
        closedEarly.close();
        closedEarly.close();
        FakeSourceContext none = new FakeSourceContext();
        assertThrows(IllegalStateException.class, () -> closedEarly.start(none));
        assertTrue(none.sessions.isEmpty());

        CaptureSource twice = create("started-twice", Map.of("path", LIBRIVOX_WAV.toString()));
        FakeSourceContext sessions = new FakeSourceContext();
        twice.start(sessions);
        assertThrows(IllegalStateException.class, () -> twice.start(sessions));
        assertEquals(1, sessions.sessions.size());
        twice.close();
        assertFalse(readerAlive("started-twice"));
    }

    // ---------------------------------------------------------------- errors

    @Test
    void aReadErrorMidFileIsLoggedAndClosesTheSession() throws Exception {
        byte[] data = new byte[16_000 * 2 * 20]; // 20 s, far more than the reader buffers ahead
        Path wav = home.resolve("shrinking.wav");
        Files.write(wav, concat(Wav.header(AudioFormat.SPEECH_16K, data.length), data));
        FakeSourceContext sessions = new FakeSourceContext(FakeSession::hold);
        TestPluginContext context = TestPluginContext.source("shrinking", Map.of("path", wav.toString()), home);
        CaptureSource source = new FileSourceFactory().create(context);
        source.start(sessions);
        FakeSession session = sessions.only();
        waitFor(() -> session.blockedPuts.get() > 0, "the reader blocks on the full queue");
        try (FileChannel channel = FileChannel.open(wav, StandardOpenOption.WRITE)) {
            channel.truncate(200_000);
        }
        session.release();
        awaitReaderGone("shrinking");

        assertEquals(1, session.closes.get());
        assertEquals(0, session.ends.get());
        List<TestPluginContext.RecordingLogger.Entry> errors = context.logger().entries(System.Logger.Level.ERROR);
        assertEquals(1, errors.size(), context.logger().entries().toString());
        assertTrue(errors.get(0).message().contains(wav.toString()), errors.get(0).message());
        assertTrue(errors.get(0).message().contains("truncated WAV"), errors.get(0).message());
        source.close();
        assertEquals(1, session.closes.get());
    }

    @Test
    void aMissingFileNamesTheKeyAndThePath() {
        Path missing = home.resolve("nope.wav");
        PluginException e = assertThrows(PluginException.class,
                () -> create("missing", Map.of("path", missing.toString())));
        assertEquals("earshot.sources.missing.path: file " + missing + " does not exist", e.getMessage());

        e = assertThrows(PluginException.class, () -> create("missing", Map.of("path", "nope.wav")));
        assertEquals("earshot.sources.missing.path: file " + missing + " does not exist (resolved from 'nope.wav')",
                e.getMessage());

        e = assertThrows(PluginException.class, () -> create("no-path", Map.of()));
        assertTrue(e.getMessage().startsWith("earshot.sources.no-path.path is required"), e.getMessage());

        e = assertThrows(PluginException.class, () -> create("folder", Map.of("path", home.toString())));
        assertTrue(e.getMessage().startsWith("earshot.sources.folder.path: " + home + " is a folder"), e.getMessage());
    }

    @Test
    void aBadWavFileNamesTheKeyAndTheProblem() throws IOException {
        Path bad = home.resolve("tagged.wav");
        Files.write(bad, new byte[]{'I', 'D', '3', 3, 0, 0, 0, 0, 0, 0, 0, 0});
        PluginException e = assertThrows(PluginException.class, () -> create("bad", Map.of("path", bad.toString())));
        assertEquals("earshot.sources.bad.path: " + bad + ": not a WAV file: expected 'RIFF' at byte 0, found 'ID3\\u0003'",
                e.getMessage());

        Path alaw = home.resolve("alaw.wav");
        byte[] header = wav8(8000, 1, new byte[100]);
        header[20] = 6;
        Files.write(alaw, header);
        e = assertThrows(PluginException.class, () -> create("alaw", Map.of("path", alaw.toString())));
        assertEquals("earshot.sources.alaw.path: " + alaw + ": WAV encoding 6 (A-law) is not supported; convert to PCM",
                e.getMessage());

        Path truncated = home.resolve("truncated.wav");
        Files.write(truncated, concat(Wav.header(AudioFormat.SPEECH_16K, 64_000), new byte[1200]));
        e = assertThrows(PluginException.class, () -> create("cut", Map.of("path", truncated.toString())));
        assertEquals("earshot.sources.cut.path: " + truncated
                + ": truncated WAV: data chunk declares 64000 bytes, only 1200 present", e.getMessage());
    }

    @Test
    void badOptionValuesNameTheFullKey() {
        String path = LIBRIVOX_WAV.toString();
        assertInvalid("earshot.sources.opts.frame: 'abc' is not valid", Map.of("path", path, "frame", "abc"));
        assertInvalid("earshot.sources.opts.frame: '0ms' is not valid", Map.of("path", path, "frame", "0ms"));
        assertInvalid("earshot.sources.opts.frame: '11s' is not valid", Map.of("path", path, "frame", "11s"));
        assertInvalid("earshot.sources.opts.format: 'mp3' is not valid", Map.of("path", path, "format", "mp3"));
        assertInvalid("earshot.sources.opts.sample-rate: '2000' is not valid", Map.of("path", path, "sample-rate", "2000"));
        assertInvalid("earshot.sources.opts.channels: '0' is not valid", Map.of("path", path, "channels", "0"));
        assertInvalid("earshot.sources.opts.realtime: 'maybe' is not valid", Map.of("path", path, "realtime", "maybe"));
    }

    @Test
    void readsEveryOptionAndWarnsAboutRawOptionsOnAWav() throws Exception {
        Map<String, String> options = new HashMap<>(Map.of("path", LIBRIVOX_WAV.toString(), "format", "auto",
                "sample-rate", "8000", "channels", "2", "frame", "250ms", "realtime", "false"));
        TestPluginContext context = TestPluginContext.source("all-options", options, home)
                .withOptions(new FileSourceFactory().options());
        CaptureSource source = new FileSourceFactory().create(context);
        assertEquals(List.of(), List.copyOf(context.config().unreadKeys()));
        assertEquals(List.of(), List.copyOf(context.config().undeclaredReads()), "every option read is declared");
        List<TestPluginContext.RecordingLogger.Entry> warnings = context.logger().entries(System.Logger.Level.WARNING);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).message().contains("earshot.sources.all-options.sample-rate"), warnings.get(0).message());
        source.close();
    }

    // ---------------------------------------------------------------- helpers

    private CaptureSource create(String name, Map<String, String> options) {
        return new FileSourceFactory().create(TestPluginContext.source(name, options, home));
    }

    private void assertInvalid(String messageStart, Map<String, String> options) {
        PluginException e = assertThrows(PluginException.class, () -> create("opts", options));
        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
    }

    private static void assertContiguous(FakeSession session) {
        assertEquals(LongStream.range(0, session.sequences.size()).boxed().toList(), session.sequences);
    }

    static boolean readerAlive(String instanceName) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(thread -> thread.getName().equals("earshot-file-" + instanceName) && thread.isAlive());
    }

    private static void awaitReaderGone(String instanceName) throws InterruptedException {
        waitFor(() -> !readerAlive(instanceName), "reader thread of " + instanceName + " ends");
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /** An 8-bit PCM WAV file. */
    static byte[] wav8(int rate, int channels, byte[] data) {
        ByteBuffer wav = ByteBuffer.allocate(44 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes()).putInt(36 + data.length).put("WAVE".getBytes());
        wav.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) channels).putInt(rate)
                .putInt(rate * channels).putShort((short) channels).putShort((short) 8);
        wav.put("data".getBytes()).putInt(data.length).put(data);
        return wav.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
