package dev.earshot.gateway.protocol.wyomingserver;

import dev.earshot.gateway.protocol.ClientFlow;
import dev.earshot.gateway.protocol.ConnectionGuard;
import dev.earshot.gateway.protocol.ProtocolConnection;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.ModelInfo;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.source.SessionOutcome;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import org.jboss.logging.Logger;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * One Wyoming client connection (Home Assistant's STT, or any Wyoming client).
 *
 * <h2>Events</h2>
 * <ul>
 * <li>{@code describe} -> {@code info}; {@code ping} -> {@code pong} (its {@code text} echoed).</li>
 * <li>{@code transcribe} {name, language}: remembered for the next audio.</li>
 * <li>{@code audio-start} {rate, width, channels} opens a pipeline session; {@code audio-chunk} payloads (any
 * width 1-4 bytes, any rate and channel count: converted to 16-bit here, resampled and down-mixed by the session)
 * feed it; {@code audio-stop} ends it. Replies: {@code transcript-start} at audio-start, one
 * {@code transcript-chunk} {text} per final as it comes (text to append), then {@code transcript} {text, language}
 * with the whole text, then {@code transcript-stop}. A client that knows only {@code transcript} skips the others.
 * The connection stays open for the next request.</li>
 * <li>Anything else (unknown types, bad JSON, wrong types, truncated or oversized events, audio in a format other
 * than the one announced) gets {@code error} {text, code} and the connection is closed.</li>
 * </ul>
 *
 * <h2>Flow</h2>
 * Decoding never runs on the event loop: sessions decode on the gateway's decoding pool. Sessions are
 * {@link Pacing#PACED}: when a session's queue is full, the socket is paused and no further event is read until the
 * session's drain signal, so nothing is dropped and memory stays bounded (the session's queue, one event, one read).
 * Replies respect the write queue ({@link ClientFlow}): while it is full no event is handled and nothing is read; a
 * client that leaves it full for {@code earshot.ingest.write-stall-timeout} is closed. A client that has sent no
 * complete event within {@code earshot.ingest.handshake-timeout} is closed.
 */
final class WyomingConnection extends ProtocolConnection {

    private static final Logger LOG = Logger.getLogger(WyomingConnection.class);

    /** The configured limits of every connection. */
    record Limits(String pipeline, int maxHeaderBytes, long maxMessageBytes, Duration idleTimeout,
                  Duration handshakeTimeout, Duration writeStallTimeout, ConnectionGuard guard) {
    }

    private final NetSocket socket;
    private final GatewayRuntime runtime;
    private final Limits limits;
    private final Supplier<JsonObject> info;
    private final WyomingReader reader;

    private String language;
    /** Width in bytes of the audio announced by audio-start (1 to 4). */
    private int width;
    private AudioFormat announced;
    private final StringBuilder text = new StringBuilder();
    private long frameSequence;
    private boolean processing;
    private boolean greeted;

    WyomingConnection(NetSocket socket, GatewayRuntime runtime, Limits limits, Supplier<JsonObject> info, Runnable onDone) {
        super(Vertx.currentContext(), limits.idleTimeout(), "earshot.ingest.wyoming.idle-timeout", onDone);
        this.socket = requireNonNull(socket, "socket is null");
        this.runtime = requireNonNull(runtime, "runtime is null");
        this.limits = limits;
        this.info = requireNonNull(info, "info is null");
        this.reader = new WyomingReader(limits.maxHeaderBytes(), limits.maxMessageBytes());
        this.flow = new ClientFlow(context, socket, socket, limits.writeStallTimeout(), this::process, this::onStalled);
    }

    void start() {
        socket.handler(this::onBytes);
        socket.exceptionHandler(error -> LOG.debugf("wyoming connection %s: %s", socket.remoteAddress(), error.toString()));
        socket.closeHandler(ignored -> release());
        startIdleTimer();
        context.owner().setTimer(Math.max(1, limits.handshakeTimeout().toMillis()), id -> {
            if (!greeted && !closing) {
                String message = "no complete event within " + limits.handshakeTimeout().toMillis()
                        + " ms (earshot.ingest.handshake-timeout)";
                limits.guard().closed("wyoming", "handshake-timeout", String.valueOf(socket.remoteAddress()), message);
                fail("handshake-timeout", message);
            }
        });
    }

    /** The client left its write queue full past the stall timeout: closed without waiting for it to read. */
    private void onStalled() {
        limits.guard().closed("wyoming", "write-stall", String.valueOf(socket.remoteAddress()), "it read none of its "
                + "replies for " + limits.writeStallTimeout().toSeconds() + " s (earshot.ingest.write-stall-timeout)");
        release();
        // Not socket.close(): it waits for the replies the client never reads, and reading resumes meanwhile.
        ConnectionGuard.hangUp(socket);
    }

    /** Refuses a connection over the limit: an error event, then close. */
    static void refuse(NetSocket socket, String code, String message) {
        socket.write(WyomingReader.encode("error", new JsonObject().put("text", message).put("code", code), null))
                .onComplete(ignored -> socket.close());
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    private void onBytes(Buffer bytes) {
        lastActivity = System.nanoTime();
        if (closing) {
            return;
        }
        reader.append(bytes);
        process();
        if (awaitingTranscript() && reader.buffered() > 0) {
            // The next request came before this one's transcript: read no more until it is answered.
            flow.hold(ClientFlow.Hold.ORDER);
        }
    }

    /** Audio stopped, its transcript not yet sent: later events wait in order. */
    private boolean awaitingTranscript() {
        return endRequested && session != null;
    }

    /** Handles complete events until more bytes are needed or the session's queue is full. */
    private void process() {
        if (processing) {
            return;
        }
        processing = true;
        try {
            while (!closing && pending.isEmpty() && !awaitingTranscript() && flow.writable()) {
                WyomingReader.Event event = reader.next();
                if (event == null) {
                    return;
                }
                greeted = true;
                handle(event);
            }
        } catch (WyomingReader.ProtocolException e) {
            fail(e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.debugf(e, "wyoming connection %s: event failed", socket.remoteAddress());
            fail("internal", "cannot handle the event: " + e);
        } finally {
            processing = false;
        }
    }

    private void handle(WyomingReader.Event event) throws WyomingReader.ProtocolException {
        JsonObject data = event.data();
        switch (event.type()) {
            case "describe" -> write("info", info.get(), null);
            case "ping" -> {
                JsonObject pong = new JsonObject();
                if (data.getValue("text") instanceof String t) {
                    pong.put("text", t);
                }
                write("pong", pong, null);
            }
            case "transcribe" -> {
                if (session != null) {
                    throw new WyomingReader.ProtocolException("bad-order", "transcribe during audio (after audio-start, before audio-stop)");
                }
                Object lang = data.getValue("language");
                if (lang != null && !(lang instanceof String)) {
                    throw new WyomingReader.ProtocolException("bad-data", "transcribe: \"language\" must be a string");
                }
                Object name = data.getValue("name");
                if (name != null && !(name instanceof String)) {
                    throw new WyomingReader.ProtocolException("bad-data", "transcribe: \"name\" must be a string");
                }
                if (lang != null && !speaks((String) lang)) {
                    throw new WyomingReader.ProtocolException("unsupported-language", "transcribe: the model of pipeline '"
                            + limits.pipeline() + "' does not speak '" + WyomingReader.printable((String) lang)
                            + "' (it speaks " + modelLanguages() + "); ask for one of those, or point "
                            + "earshot.ingest.wyoming.pipeline at a pipeline with a model for that language");
                }
                language = (String) lang;
            }
            case "audio-start" -> {
                if (session != null) {
                    throw new WyomingReader.ProtocolException("bad-order", "audio-start while audio is already started");
                }
                startAudio(data);
            }
            case "audio-chunk" -> onChunk(data, event.payload());
            case "audio-stop" -> onStop();
            // As the reference servers do: events this server has no use for are skipped (their payload was read).
            default -> LOG.debugf("wyoming connection %s: ignored the event '%s' (this server handles describe, ping,"
                    + " transcribe, audio-start, audio-chunk, audio-stop)", socket.remoteAddress(),
                    WyomingReader.printable(event.type()));
        }
    }

    /** The languages {@code info} lists for the pipeline's model. */
    private List<String> modelLanguages() {
        JsonArray asr = info.get().getJsonArray("asr");
        JsonArray models = asr == null || asr.isEmpty() ? null : asr.getJsonObject(0).getJsonArray("models");
        JsonArray languages = models == null || models.isEmpty() ? null : models.getJsonObject(0).getJsonArray("languages");
        return languages == null ? List.of() : languages.stream().map(String::valueOf).toList();
    }

    /** Whether the model speaks the language (its primary subtag: {@code en-GB} is {@code en}); an empty list: any. */
    private boolean speaks(String language) {
        return new ModelInfo("model", "", "", "", "", modelLanguages()).speaks(language);
    }

    private void startAudio(JsonObject data) throws WyomingReader.ProtocolException {
        int rate = WyomingReader.integer(data, "rate", AudioFormat.MIN_SAMPLE_RATE, AudioFormat.MAX_SAMPLE_RATE);
        int bytes = WyomingReader.integer(data, "width", 1, 4);
        int channels = WyomingReader.integer(data, "channels", 1, AudioFormat.MAX_CHANNELS);
        Pipeline pipeline = runtime.pipeline(limits.pipeline()).orElse(null);
        if (pipeline == null) {
            throw new WyomingReader.ProtocolException("no-pipeline", "pipeline '" + limits.pipeline()
                    + "' does not exist (earshot.ingest.wyoming.pipeline)");
        }
        AudioFormat format = new AudioFormat(rate, channels);
        try {
            nextSession(pipeline.openSession(new SessionRequest("wyoming:" + socket.remoteAddress(), format, Pacing.PACED,
                    Map.of("client", String.valueOf(socket.remoteAddress()), "language", language == null ? "" : language),
                    true, 0, List.of(), this, context)));
        } catch (SessionRefusedException e) {
            // "busy" (a limit; retry later), "decode-load" (decoding is at capacity; retry later) or "refused".
            throw new WyomingReader.ProtocolException(e.reason(), e.getMessage());
        }
        announced = format;
        width = bytes;
        text.setLength(0);
        write("transcript-start", language == null ? new JsonObject() : new JsonObject().put("language", language), null);
    }

    private void onChunk(JsonObject data, Buffer payload) throws WyomingReader.ProtocolException {
        if (session == null) {
            // Some clients skip audio-start: the first chunk announces the format.
            startAudio(data);
        } else if (endRequested) {
            throw new WyomingReader.ProtocolException("bad-order", "audio-chunk after audio-stop");
        } else {
            int rate = WyomingReader.integer(data, "rate", AudioFormat.MIN_SAMPLE_RATE, AudioFormat.MAX_SAMPLE_RATE);
            int bytes = WyomingReader.integer(data, "width", 1, 4);
            int channels = WyomingReader.integer(data, "channels", 1, AudioFormat.MAX_CHANNELS);
            if (rate != announced.sampleRate() || bytes != width || channels != announced.channels()) {
                throw new WyomingReader.ProtocolException("format-changed", "audio-chunk is " + rate + " Hz, " + bytes
                        + " bytes, " + channels + " channels; audio-start announced " + announced.sampleRate() + " Hz, "
                        + width + " bytes, " + announced.channels() + " channels");
            }
        }
        if (payload == null) {
            return;
        }
        int block = width * announced.channels();
        if (payload.length() % block != 0) {
            throw new WyomingReader.ProtocolException("bad-payload", "audio-chunk payload of " + payload.length()
                    + " bytes is not whole samples (" + block + " bytes each)");
        }
        byte[] pcm = width == 2 ? payload.getBytes() : toPcm16(payload.getBytes());
        int frameBytes = Math.max(announced.bytesPerFrame(), announced.bytesFor(Duration.ofMillis(100)));
        for (int offset = 0; offset < pcm.length; offset += frameBytes) {
            int length = Math.min(frameBytes, pcm.length - offset);
            pending.add(AudioFrame.copyOf(announced, pcm, offset, length, frameSequence++, Instant.now()));
        }
        pump();
    }

    /** 8-bit (unsigned, as WAV), 24 and 32-bit samples to s16le, with the WAV reader's conversion. */
    private byte[] toPcm16(byte[] samples) throws WyomingReader.ProtocolException {
        Wav.Header header = new Wav.Header(announced, width * 8, Wav.PCM, 0, samples.length);
        try (InputStream in = Wav.pcm16(new ByteArrayInputStream(samples), header)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new WyomingReader.ProtocolException("bad-payload", "audio-chunk payload: " + e.getMessage());
        }
    }

    private void onStop() {
        if (session == null) {
            // Nothing was sent: nothing was said.
            write("transcript-start", new JsonObject(), null);
            sendTranscript();
            return;
        }
        if (!endRequested) {
            endRequested = true;
            pump();
        }
    }

    @Override
    protected boolean offer(Session target, Object item) {
        return target.offer((AudioFrame) item);
    }

    @Override
    protected void resumed() {
        process(); // events that arrived before the pause
    }

    @Override
    protected boolean waitingForUs() {
        return endRequested;
    }

    @Override
    protected void closeIdle(String message) {
        fail("idle", message);
    }

    // ---- session events (on this connection's context) ----------------------------------------------------------

    @Override
    public void onTranscript(TranscriptEvent event) {
        if (!event.isFinal() || closing) {
            return;
        }
        String chunk = (text.length() == 0 ? "" : " ") + event.text();
        text.append(chunk);
        write("transcript-chunk", new JsonObject().put("text", chunk), null);
    }

    @Override
    protected void sessionClosed(SessionOutcome outcome) {
        if (outcome.isEnded() && endRequested) {
            session = null;
            pending.clear();
            sendTranscript();
            flow.release(ClientFlow.Hold.ORDER);
            process(); // the next request may already be buffered
        } else if (outcome.isEnded()) {
            // Ended by a pipeline stop before audio-stop: the text so far, then the reason.
            session = null;
            sendTranscript();
            fail("stopping", "pipeline '" + limits.pipeline() + "' stopped");
        } else {
            session = null;
            fail("session-closed", "session closed: " + outcome);
        }
    }

    private void sendTranscript() {
        JsonObject transcript = new JsonObject().put("text", text.toString());
        if (language != null) {
            transcript.put("language", language);
        }
        write("transcript", transcript, null);
        write("transcript-stop", new JsonObject(), null);
        text.setLength(0);
        endRequested = false;
    }

    // ---- writing and closing ------------------------------------------------------------------------------------

    private void write(String type, JsonObject data, Buffer payload) {
        if (!closing) {
            socket.write(WyomingReader.encode(type, data, payload));
            flow.wrote();
        }
    }

    private void fail(String code, String message) {
        if (closing) {
            return;
        }
        LOG.debugf("wyoming connection %s closed (%s): %s", socket.remoteAddress(), code, message);
        Buffer error = WyomingReader.encode("error", new JsonObject().put("text", message).put("code", code), null);
        closeConnection();
        if (socket.writeQueueFull()) {
            ConnectionGuard.hangUp(socket); // a client that reads nothing would never see the error
            return;
        }
        socket.write(error).onComplete(ignored -> socket.close());
        // Backstop: a close that waits for a client that stopped reading hangs up after the stall timeout.
        context.owner().setTimer(Math.max(1, limits.writeStallTimeout().toMillis()), id -> ConnectionGuard.hangUp(socket));
    }
}
