package dev.earshot.gateway.protocol.voskserver;

import dev.earshot.gateway.protocol.ClientFlow;
import dev.earshot.gateway.protocol.ConnectionGuard;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One vosk-server WebSocket client: one pipeline session, opened at its first audio (or eof/reset) with the
 * {@code config} it sent before (vosk-server creates its recognizer at the same point).
 *
 * <h2>Protocol, as alphacep/vosk-server's {@code asr_server.py}</h2>
 * <ul>
 * <li>{@code {"config": {"sample_rate", "words", "max_alternatives", "phrase_list"}}}: no reply. A config after the
 * session opened changes nothing (as in vosk-server).</li>
 * <li>Binary 16-bit mono PCM: exactly one reply per message, sent once its audio is decoded: a final
 * ({@code {"result": [...], "text": "..."}}, or {@code {"alternatives": [...]}} with max_alternatives) when an
 * utterance ended during it, otherwise the current {@code {"partial": "..."}} (repeated when nothing changed).</li>
 * <li>{@code {"reset": 1}}: the final of the audio so far ({@code {"text": ""}} when there is none); the session
 * goes on. {@code {"eof": 1}}: the final, then the server closes the WebSocket (1000).</li>
 * </ul>
 * Bad input (invalid JSON, wrong types, unknown commands, oversized messages) closes the connection with a
 * WebSocket status and a reason: 1007 for content, 1009 for size, 1011 when the pipeline fails, 1013 when it is at
 * its session limit, 1001 when idle or shutting down.
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
final class VoskConnection implements SessionListener {

    private static final Logger LOG = Logger.getLogger(VoskConnection.class);
    /** Most n-best alternatives a client may ask for. */
    static final int MAX_ALTERNATIVES = 100;
    private static final Object RESET = new Object();
    private static final int REASON_MAX = 120;

    /** The configured limits of every connection. */
    record Limits(String pipeline, long maxMessageBytes, Duration idleTimeout, Duration writeStallTimeout,
                  ConnectionGuard guard) {
    }

    /** A client message owed a reply: once {@code end} items are decoded. */
    private record Owed(long end, boolean reset) {
    }

    private final ServerWebSocket socket;
    private final GatewayRuntime runtime;
    private final Limits limits;
    private final Runnable onDone;
    private final Context context;
    private final ClientFlow flow;
    private final Runnable hangUp;

    // Client configuration (vosk-server's defaults, except the rate: the engine's usual 16 kHz).
    private int sampleRate = 16_000;
    private boolean words = true;
    private int maxAlternatives;
    private List<String> phrases = List.of();

    private Session session;
    /** Frames and resets not yet accepted by the session (its queue was full). */
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private final ArrayDeque<Owed> owed = new ArrayDeque<>();
    private final List<TranscriptEvent> finals = new ArrayList<>();
    private String partial = "";
    private long itemsQueued;
    private long itemsDecoded;
    private long frameSequence;
    private int carry = -1;
    private boolean eofRequested;
    private boolean ended;
    private boolean closing;
    private long lastActivity = System.nanoTime();
    private long idleTimer = -1;

    /** @param hangUp closes the client's TCP connection at once (for a client that reads nothing, not even a close) */
    VoskConnection(ServerWebSocket socket, GatewayRuntime runtime, Limits limits, Runnable hangUp, Runnable onDone) {
        this.socket = requireNonNull(socket, "socket is null");
        this.runtime = requireNonNull(runtime, "runtime is null");
        this.limits = requireNonNull(limits, "limits is null");
        this.onDone = requireNonNull(onDone, "onDone is null");
        this.context = Vertx.currentContext();
        this.hangUp = requireNonNull(hangUp, "hangUp is null");
        this.flow = new ClientFlow(context, socket, socket, limits.writeStallTimeout(), () -> { }, this::onStalled);
    }

    void start() {
        socket.textMessageHandler(this::onText);
        socket.binaryMessageHandler(this::onBinary);
        socket.exceptionHandler(error -> LOG.debugf("vosk connection %s: %s", socket.remoteAddress(), error.toString()));
        socket.closeHandler(ignored -> onSocketClosed());
        armIdleTimer(limits.idleTimeout().toMillis());
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
        if (closing || eofRequested) {
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
        if (!(value instanceof JsonObject config)) {
            fail(1007, "\"config\" must be an object");
            return;
        }
        int rate = sampleRate;
        boolean wantWords = words;
        int alternatives = maxAlternatives;
        List<String> phraseList = phrases;
        for (Map.Entry<String, Object> entry : config) {
            Object v = entry.getValue();
            switch (entry.getKey()) {
                case "sample_rate" -> {
                    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())
                            || Math.round(n.doubleValue()) < AudioFormat.MIN_SAMPLE_RATE
                            || Math.round(n.doubleValue()) > AudioFormat.MAX_SAMPLE_RATE) {
                        fail(1007, "config.sample_rate must be a number from " + AudioFormat.MIN_SAMPLE_RATE + " to "
                                + AudioFormat.MAX_SAMPLE_RATE);
                        return;
                    }
                    rate = (int) Math.round(n.doubleValue());
                }
                case "words" -> {
                    if (!(v instanceof Boolean) && !(v instanceof Number)) {
                        fail(1007, "config.words must be true or false");
                        return;
                    }
                    wantWords = truthy(v);
                }
                case "max_alternatives" -> {
                    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                            || n.doubleValue() < 0 || n.doubleValue() > MAX_ALTERNATIVES) {
                        fail(1007, "config.max_alternatives must be an integer from 0 to " + MAX_ALTERNATIVES);
                        return;
                    }
                    alternatives = n.intValue();
                }
                case "phrase_list" -> {
                    if (v == null) {
                        phraseList = List.of();
                        break;
                    }
                    if (!(v instanceof JsonArray array)) {
                        fail(1007, "config.phrase_list must be an array of strings");
                        return;
                    }
                    List<String> list = new ArrayList<>(array.size());
                    for (Object phrase : array) {
                        if (!(phrase instanceof String s)) {
                            fail(1007, "config.phrase_list must be an array of strings");
                            return;
                        }
                        list.add(s);
                    }
                    phraseList = List.copyOf(list);
                }
                default -> {
                    // vosk-server ignores what it does not know (e.g. "model" of other versions).
                }
            }
        }
        if (session != null) {
            LOG.debugf("vosk connection %s: config after the first audio changes nothing (as in vosk-server)",
                    socket.remoteAddress());
            return;
        }
        sampleRate = rate;
        words = wantWords;
        maxAlternatives = alternatives;
        phrases = phraseList;
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
        if (closing || eofRequested) {
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
        eofRequested = true;
        pump();
    }

    /** Opens the session on first use; false (connection closing) when it cannot be opened. */
    private boolean openSession() {
        if (session != null) {
            return true;
        }
        Pipeline pipeline = runtime.pipeline(limits.pipeline()).orElse(null);
        if (pipeline == null) {
            fail(1011, "pipeline '" + limits.pipeline() + "' does not exist (earshot.ingest.vosk.pipeline)");
            return false;
        }
        try {
            session = pipeline.openSession(new SessionRequest("vosk:" + socket.remoteAddress(),
                    new AudioFormat(sampleRate, 1), Pacing.PACED, Map.of("client", String.valueOf(socket.remoteAddress())),
                    words, maxAlternatives, phrases, this, context));
            return true;
        } catch (SessionRefusedException e) {
            fail(e.retryable() ? 1013 : 1011, e.getMessage());
            return false;
        }
    }

    /** Hands pending frames and resets to the session until its queue is full; then waits for it with the socket paused. */
    private void pump() {
        if (closing || session == null) {
            return;
        }
        while (!pending.isEmpty()) {
            Object item = pending.peek();
            boolean accepted = item == RESET ? session.flush() : session.offer((AudioFrame) item);
            if (!accepted) {
                if (session.isOpen()) {
                    flow.hold(ClientFlow.Hold.SESSION);
                    session.onDrain(this::pump);
                }
                return;
            }
            pending.poll();
        }
        if (flow.held(ClientFlow.Hold.SESSION)) {
            flow.release(ClientFlow.Hold.SESSION);
            lastActivity = System.nanoTime();
        }
        if (eofRequested && !ended) {
            ended = true;
            session.end();
        }
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
    public void onClosed(String reason) {
        if (closing) {
            return;
        }
        if ("ended".equals(reason)) {
            // After the client's eof, or ended by a pipeline stop: either way the final is flushed and sent.
            sendOwedReplies();
            send(finalReply());
            if (eofRequested) {
                close((short) 1000, null);
            } else {
                fail(1001, "pipeline '" + limits.pipeline() + "' stopped");
            }
        } else {
            fail(reason.startsWith("pipeline stopped") || reason.contains("stopping") ? 1001 : 1011,
                    "session closed: " + reason);
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
        if (maxAlternatives > 0) {
            JsonArray alternatives = new JsonArray();
            int ranks = events.stream().mapToInt(e -> e.alternatives().size()).min().orElse(0);
            if (events.isEmpty() || ranks == 0) {
                StringBuilder text = new StringBuilder();
                JsonArray result = new JsonArray();
                for (TranscriptEvent e : events) {
                    text.append(text.length() == 0 ? "" : " ").append(e.text());
                    e.words().forEach(w -> result.add(word(w)));
                }
                JsonObject only = new JsonObject().put("confidence", events.isEmpty() ? 0.0 : 1.0);
                if (words && !result.isEmpty()) {
                    only.put("result", result);
                }
                alternatives.add(only.put("text", text.toString()));
            } else {
                for (int rank = 0; rank < ranks; rank++) {
                    double confidence = 0;
                    StringBuilder text = new StringBuilder();
                    JsonArray result = new JsonArray();
                    for (TranscriptEvent e : events) {
                        Alternative alternative = e.alternatives().get(rank);
                        confidence += alternative.confidence();
                        text.append(text.length() == 0 ? "" : " ").append(alternative.text());
                        alternative.words().forEach(w -> result.add(word(w)));
                    }
                    JsonObject entry = new JsonObject().put("confidence", confidence);
                    if (words && !result.isEmpty()) {
                        entry.put("result", result);
                    }
                    alternatives.add(entry.put("text", text.toString()));
                }
            }
            return new JsonObject().put("alternatives", alternatives).encode();
        }
        StringBuilder text = new StringBuilder();
        JsonArray result = new JsonArray();
        for (TranscriptEvent e : events) {
            text.append(text.length() == 0 ? "" : " ").append(e.text());
            e.words().forEach(w -> result.add(word(w)));
        }
        JsonObject reply = new JsonObject();
        if (words && !result.isEmpty()) {
            reply.put("result", result);
        }
        return reply.put("text", text.toString()).encode();
    }

    /** A word as vosk-server writes it: conf (when known), end, start, word. */
    private static JsonObject word(Word word) {
        JsonObject json = new JsonObject();
        if (!Double.isNaN(word.confidence())) {
            json.put("conf", word.confidence());
        }
        return json.put("end", word.end()).put("start", word.start()).put("word", word.word());
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
        if (closing) {
            return;
        }
        closing = true;
        release();
        String shortReason = reason == null ? null : truncate(reason);
        socket.close(status, shortReason);
    }

    private void onSocketClosed() {
        closing = true;
        release();
    }

    private void release() {
        if (idleTimer >= 0) {
            context.owner().cancelTimer(idleTimer);
            idleTimer = -1;
        }
        pending.clear();
        owed.clear();
        finals.clear();
        Session current = session;
        if (current != null) {
            current.close();
        }
        flow.close();
        Runnable done = onDoneOnce();
        if (done != null) {
            done.run();
        }
    }

    private boolean doneRun;

    private Runnable onDoneOnce() {
        if (doneRun) {
            return null;
        }
        doneRun = true;
        return onDone;
    }

    /** One timer per connection, re-armed for the remaining time: not touched per message. */
    private void armIdleTimer(long delayMillis) {
        idleTimer = context.owner().setTimer(Math.max(1, delayMillis), id -> {
            idleTimer = -1;
            if (closing) {
                return;
            }
            long idleNanos = limits.idleTimeout().toNanos();
            long quiet = System.nanoTime() - lastActivity;
            boolean waitingForUs = flow.held(ClientFlow.Hold.SESSION) || !flow.writable() || !owed.isEmpty()
                    || (eofRequested && !closing);
            if (waitingForUs) {
                lastActivity = System.nanoTime();
                armIdleTimer(limits.idleTimeout().toMillis());
            } else if (quiet >= idleNanos) {
                fail(1001, "idle for " + limits.idleTimeout().toSeconds() + " s (earshot.ingest.vosk.idle-timeout)");
            } else {
                armIdleTimer((idleNanos - quiet) / 1_000_000);
            }
        });
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

    /** A close reason fits 123 bytes of UTF-8. */
    private static String truncate(String reason) {
        byte[] utf8 = reason.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= REASON_MAX) {
            return reason;
        }
        String cut = new String(utf8, 0, REASON_MAX - 3, StandardCharsets.UTF_8);
        while (cut.getBytes(StandardCharsets.UTF_8).length > REASON_MAX - 3) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "...";
    }
}
