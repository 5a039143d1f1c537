package dev.earshot.gateway.protocol.voskserver;

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
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.source.SessionOutcome;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.Optional;
import java.util.Comparator;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One vosk-server WebSocket client: one pipeline session, opened at its first audio (or eof/reset) with the
 * {@code config} it sent before (vosk-server creates its recognizer at the same point).
 *
 * <h2>Protocol, as alphacep/vosk-server's {@code asr_server.py}</h2>
 * <ul>
 * <li>{@code {"config": {"sample_rate", "words", "max_alternatives", "phrase_list", "model"}}}: no reply
 * ({@link VoskClientConfig}: numbers may be strings; {@code model} names the pipeline or engine; without a config the
 * rate is {@code earshot.ingest.vosk.default-sample-rate}, 8000 as in vosk-server). A config after the
 * session opened changes nothing (as in vosk-server).</li>
 * <li>Binary 16-bit mono PCM: exactly one reply per message, sent once its audio is decoded: a final
 * ({@code {"result": [...], "text": "..."}}, or {@code {"alternatives": [...]}} with max_alternatives) when an
 * utterance ended during it, otherwise the current {@code {"partial": "..."}} (repeated when nothing changed).</li>
 * <li>{@code {"reset": 1}}: the final of the audio so far ({@code {"text": ""}} when there is none); the session
 * goes on. {@code {"eof": 1}}: the final, then the server closes the WebSocket (1000).</li>
 * </ul>
 * Bad input (invalid JSON, wrong types, unknown commands, oversized messages) closes the connection with a
 * WebSocket status and a reason: 1007 for content, 1009 for size, 1011 when the pipeline fails, 1013 when it is at
 * its session limit or decoding is at capacity (a client whose {@code config.model} chose another pipeline than the
 * one checked before the handshake), 1001 when idle or shutting down.
 *
 * <h2>Flow</h2>
 * Sessions are {@link Pacing#PACED}: a client sending faster than real time (a file streamed as fast as the socket
 * allows) loses nothing: when the session's queue is full the WebSocket is paused (TCP pushes back on the client)
 * and resumed by the session's drain signal. Everything here runs on the WebSocket's event loop; decoding runs on
 * the gateway's decoding pool. Memory per connection: the session's frame queue plus at most one message.
 * Replies respect the write queue ({@link ClientFlow}): while it is full nothing is read from the client (the replies
 * still owed are bounded by the session's queue); a client that leaves it full for
 * {@code earshot.ingest.write-stall-timeout} is closed (1008, then its TCP connection).
 */
final class VoskConnection extends ProtocolConnection {

    private static final Logger LOG = Logger.getLogger(VoskConnection.class);
    private static final Object RESET = new Object();

    /** The configured limits of every connection. */
    record Limits(String pipeline, int defaultSampleRate, long maxMessageBytes, Duration idleTimeout,
                  Duration writeStallTimeout, ConnectionGuard guard) {
    }

    /** A client message owed a reply: once {@code end} items are decoded. */
    private record Owed(long end, boolean reset) {
    }

    private final ServerWebSocket socket;
    private final GatewayRuntime runtime;
    private final Limits limits;
    private final Runnable hangUp;

    /** What the client asked for; vosk-server's defaults until its config message. */
    private VoskClientConfig config;

    private final ArrayDeque<Owed> owed = new ArrayDeque<>();
    private final List<TranscriptEvent> finals = new ArrayList<>();
    private String partial = "";
    private long itemsQueued;
    private long itemsDecoded;
    private long frameSequence;
    private int carry = -1;

    /** @param hangUp closes the client's TCP connection at once (for a client that reads nothing, not even a close) */
    VoskConnection(ServerWebSocket socket, GatewayRuntime runtime, Limits limits, Runnable hangUp, Runnable onDone) {
        super(Vertx.currentContext(), limits.idleTimeout(), "earshot.ingest.vosk.idle-timeout", onDone);
        this.socket = requireNonNull(socket, "socket is null");
        this.runtime = requireNonNull(runtime, "runtime is null");
        this.limits = limits;
        this.hangUp = requireNonNull(hangUp, "hangUp is null");
        this.flow = new ClientFlow(context, socket, socket, limits.writeStallTimeout(), () -> { }, this::onStalled);
        this.config = VoskClientConfig.defaults(limits.defaultSampleRate());
    }

    void start() {
        socket.textMessageHandler(this::onText);
        socket.binaryMessageHandler(this::onBinary);
        socket.exceptionHandler(error -> LOG.debugf("vosk connection %s: %s", socket.remoteAddress(), error.toString()));
        socket.closeHandler(ignored -> release());
        startIdleTimer();
    }

    // ---- client messages ----------------------------------------------------------------------------------------

    private void onText(String text) {
        try {
            handleText(text);
        } catch (RuntimeException e) {
            // Nothing a client sends may break the connection's loop or the gateway; say what went wrong.
            LOG.debugf(e, "vosk connection %s: message failed", socket.remoteAddress());
            fail(1011, "cannot handle the message: " + e);
        }
    }

    private void handleText(String text) {
        lastActivity = System.nanoTime();
        if (closing || endRequested) {
            return;
        }
        if (text.length() > limits.maxMessageBytes()) {
            fail(1009, "message of " + text.length() + " characters exceeds " + limits.maxMessageBytes()
                    + " bytes (earshot.ingest.vosk.max-message-size)");
            return;
        }
        JsonObject message;
        try {
            message = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            message = null;
        }
        if (message == null || message.getMap() == null) {
            fail(1007, "invalid JSON: expected an object such as {\"eof\" : 1}");
            return;
        }
        if (message.containsKey("config")) {
            onConfig(message.getValue("config"));
        } else if (message.containsKey("eof")) {
            if (truthy(message.getValue("eof"))) {
                onEof();
            }
        } else if (message.containsKey("reset")) {
            if (truthy(message.getValue("reset"))) {
                onReset();
            }
        } else {
            fail(1007, "unknown message: expected \"config\", \"eof\" or \"reset\"");
        }
    }

    private void onConfig(Object value) {
        if (!(value instanceof JsonObject message)) {
            fail(1007, "\"config\" must be an object");
            return;
        }
        VoskClientConfig next;
        try {
            next = config.with(message);
        } catch (VoskClientConfig.InvalidConfig e) {
            fail(1007, e.getMessage());
            return;
        }
        if (session != null) {
            LOG.debugf("vosk connection %s: config after the first audio changes nothing (as in vosk-server)",
                    socket.remoteAddress());
            return;
        }
        if (next.model() != null && choosePipeline(next.model()) == null) {
            return;
        }
        config = next;
    }

    private void onBinary(Buffer data) {
        try {
            handleBinary(data);
        } catch (RuntimeException e) {
            LOG.debugf(e, "vosk connection %s: audio message failed", socket.remoteAddress());
            fail(1011, "cannot handle the message: " + e);
        }
    }

    private void handleBinary(Buffer data) {
        lastActivity = System.nanoTime();
        if (closing || endRequested) {
            return;
        }
        if (data.length() > limits.maxMessageBytes()) {
            fail(1009, "message of " + data.length() + " bytes exceeds " + limits.maxMessageBytes()
                    + " bytes (earshot.ingest.vosk.max-message-size)");
            return;
        }
        if (!openSession()) {
            return;
        }
        byte[] bytes = data.getBytes();
        int offset = 0;
        if (carry >= 0 && bytes.length > 0) {
            // A sample split between two messages: complete it.
            byte[] joined = new byte[bytes.length + 1];
            joined[0] = (byte) carry;
            System.arraycopy(bytes, 0, joined, 1, bytes.length);
            bytes = joined;
            carry = -1;
        }
        int whole = bytes.length - bytes.length % 2;
        if (whole < bytes.length) {
            carry = bytes[bytes.length - 1] & 0xff;
        }
        AudioFormat format = session.format();
        int frameBytes = Math.max(2, format.bytesFor(Duration.ofMillis(100)));
        while (offset < whole) {
            int length = Math.min(frameBytes, whole - offset);
            pending.add(AudioFrame.copyOf(format, bytes, offset, length, frameSequence++, Instant.now()));
            itemsQueued++;
            offset += length;
        }
        owe(false);
        pump();
    }

    private void onReset() {
        if (!openSession()) {
            return;
        }
        pending.add(RESET);
        itemsQueued++;
        owe(true);
        pump();
    }

    private void onEof() {
        if (!openSession()) {
            return;
        }
        endRequested = true;
        pump();
    }

    /** Opens the session on first use; false (connection closing) when it cannot be opened. */
    private boolean openSession() {
        if (session != null) {
            return true;
        }
        Pipeline pipeline;
        if (config.model() != null) {
            pipeline = choosePipeline(config.model());
            if (pipeline == null) {
                return false;
            }
        } else {
            pipeline = runtime.pipeline(limits.pipeline()).orElse(null);
            if (pipeline == null) {
                fail(1011, "pipeline '" + limits.pipeline() + "' does not exist (earshot.ingest.vosk.pipeline)");
                return false;
            }
        }
        try {
            session = pipeline.openSession(new SessionRequest("vosk:" + socket.remoteAddress(),
                    new AudioFormat(config.sampleRate(), 1), Pacing.PACED,
                    Map.of("client", String.valueOf(socket.remoteAddress())), config.words(), config.maxAlternatives(),
                    config.phrases(), this, context));
            return true;
        } catch (SessionRefusedException e) {
            fail(e.retryable() ? 1013 : 1011, e.getMessage());
            return false;
        }
    }

    /**
     * The pipeline a client's {@code model} names: a pipeline of that name, else the configured pipeline if its
     * engine has that id, else the first pipeline (by name) whose engine has it. Null, with the connection closing
     * (1007, naming what there is), when nothing matches.
     */
    private Pipeline choosePipeline(String model) {
        Optional<Pipeline> byName = runtime.pipeline(model);
        if (byName.isPresent()) {
            return byName.get();
        }
        List<Pipeline> all = runtime.pipelines().stream().sorted(Comparator.comparing(Pipeline::name)).toList();
        Optional<Pipeline> byEngine = runtime.pipeline(limits.pipeline())
                .filter(p -> p.engine() != null && p.engine().id().equals(model))
                .or(() -> all.stream().filter(p -> p.engine() != null && p.engine().id().equals(model)).findFirst());
        if (byEngine.isPresent()) {
            return byEngine.get();
        }
        String engines = all.stream().filter(p -> p.engine() != null).map(p -> p.engine().id()).distinct()
                .collect(Collectors.joining(", "));
        fail(1007, "config.model '" + VoskClientConfig.shown(model) + "' is neither a pipeline ("
                + all.stream().map(Pipeline::name).collect(Collectors.joining(", ")) + ") nor an engine (" + engines + ")");
        return null;
    }

    @Override
    protected boolean offer(Session target, Object item) {
        return item == RESET ? target.flush() : target.offer((AudioFrame) item);
    }

    @Override
    protected boolean waitingForUs() {
        return !owed.isEmpty() || (endRequested && !closing);
    }

    @Override
    protected void closeIdle(String message) {
        fail(1001, message);
    }

    private void owe(boolean reset) {
        owed.add(new Owed(itemsQueued, reset));
        sendOwedReplies();
    }

    // ---- session events (on this connection's context) ----------------------------------------------------------

    @Override
    public void onTranscript(TranscriptEvent event) {
        if (event.isFinal()) {
            finals.add(event);
            partial = "";
        } else {
            partial = event.text();
        }
    }

    @Override
    public void onDecoded(long items) {
        itemsDecoded = items;
        sendOwedReplies();
    }

    @Override
    protected void sessionClosed(SessionOutcome outcome) {
        if (outcome.isEnded()) {
            // After the client's eof, or ended by a pipeline stop: either way the final is flushed and sent.
            sendOwedReplies();
            send(finalReply());
            if (endRequested) {
                close((short) 1000, null);
            } else {
                fail(1001, "pipeline '" + limits.pipeline() + "' stopped");
            }
        } else {
            fail(outcome.kind() == SessionOutcome.Kind.STOPPING ? 1001 : 1011, "session closed: " + outcome);
        }
    }

    private void sendOwedReplies() {
        while (!owed.isEmpty() && owed.peek().end() <= itemsDecoded && !closing) {
            Owed next = owed.poll();
            if (next.reset() || !finals.isEmpty()) {
                send(finalReply());
            } else {
                send(new JsonObject().put("partial", partial).encode());
            }
        }
    }

    /** The finals received since the last reply, as one vosk-server final (empty text when there are none). */
    private String finalReply() {
        List<TranscriptEvent> events = List.copyOf(finals);
        finals.clear();
        return VoskReplies.finalReply(events, config.maxAlternatives(), config.words());
    }

    // ---- closing ------------------------------------------------------------------------------------------------

    private void send(String text) {
        if (!closing && !socket.isClosed()) {
            socket.writeTextMessage(text);
            flow.wrote();
        }
    }

    /** The client left its write queue full past the stall timeout: a close frame, and its connection closed. */
    private void onStalled() {
        String reason = "it read none of its replies for " + limits.writeStallTimeout().toSeconds()
                + " s (earshot.ingest.write-stall-timeout)";
        limits.guard().closed("vosk", "write-stall", String.valueOf(socket.remoteAddress()), reason);
        close((short) 1008, reason);
        hangUp.run();
    }

    private void fail(int status, String reason) {
        LOG.debugf("vosk connection %s closed (%d): %s", socket.remoteAddress(), status, reason);
        close((short) status, reason);
    }

    private void close(short status, String reason) {
        if (!closeConnection()) {
            return;
        }
        String shortReason = reason == null ? null : VoskReplies.truncate(reason);
        socket.close(status, shortReason);
    }

    @Override
    protected void releaseMore() {
        owed.clear();
        finals.clear();
    }

    private static boolean truthy(Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Number n) {
            return n.doubleValue() != 0;
        }
        if (value instanceof String s) {
            return !s.isEmpty();
        }
        return value != null;
    }
}
