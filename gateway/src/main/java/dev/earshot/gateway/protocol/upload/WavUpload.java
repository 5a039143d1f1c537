package dev.earshot.gateway.protocol.upload;

import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.source.SessionOutcome;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One {@code POST /api/transcribe}, decoded as its body arrives. The WAV header is read from the first bytes (up to
 * {@link #HEADER_LIMIT}); then the session is opened and every chunk that arrives is converted and fed to it as
 * frames. A file upload is paced by demand and loses no audio: while the session's frame queue is full the frames
 * wait, and once {@link #READ_AHEAD} bytes wait unread the request is paused (TCP then slows the client down) until
 * the queue drains. So an upload holds at most the read-ahead, one frame and its session's frame queue, whatever its
 * size: that is what it reserves in the {@link UploadBudget} once its format is known.
 *
 * <p>Everything runs on the request's event loop (the session's home context), without blocking.
 */
final class WavUpload implements SessionListener {

    /** Most bytes before the first audio byte (RIFF header and chunks before {@code data}). */
    static final int HEADER_LIMIT = 256 * 1024;
    /** Bytes of body read ahead of the frames before the request is paused. */
    static final int READ_AHEAD = 64 * 1024;
    /** What an upload reserves until its format is known. */
    static final long HEADER_PHASE_BYTES = HEADER_LIMIT + READ_AHEAD;

    private final HttpServerRequest request;
    private final UploadReply reply;
    private final Pipeline pipeline;
    private final UploadBudget.Reservation reservation;
    private final EarshotConfig.ApiConfig api;
    private final long maxSize;
    private final List<TranscriptEvent> finals = new ArrayList<>();
    private Context home;
    private Buffer head = Buffer.buffer();
    private Wav.Header header;
    private ArrivingBytes input;
    private InputStream pcm;
    private Session session;
    private byte[] frame;
    private int filled;
    private long sequence;
    private AudioFrame pending;
    private long received;
    private long timer = -1;
    private boolean bodyEnded;
    private boolean pcmDone;
    private boolean fed;
    private boolean pumping;
    private boolean awaitingDrain;
    private boolean paused;
    private boolean done;

    WavUpload(io.vertx.ext.web.RoutingContext ctx, UploadReply reply, Pipeline pipeline,
              UploadBudget.Reservation reservation, EarshotConfig.ApiConfig api, long maxSize) {
        this.request = ctx.request();
        this.reply = reply;
        this.pipeline = pipeline;
        this.reservation = reservation;
        this.api = api;
        this.maxSize = maxSize;
    }

    void start() {
        home = Vertx.currentContext();
        request.response().closeHandler(v -> clientGone());
        request.exceptionHandler(e -> clientGone());
        if (request.isEnded()) {
            onEnd();
            return;
        }
        request.handler(this::onData);
        request.endHandler(v -> onEnd());
        reply.writeContinue();
        request.resume();
    }

    private void onData(Buffer chunk) {
        if (done) {
            return;
        }
        received += chunk.length();
        if (received > maxSize) {
            fail(413, "the upload is larger than earshot.api.max-upload-size (" + maxSize + " bytes): send a shorter file"
                    + " or raise the limit");
            return;
        }
        if (header == null) {
            head.appendBuffer(chunk);
            readHeader();
        } else {
            input.add(chunk);
            pump();
        }
    }

    private void onEnd() {
        bodyEnded = true;
        if (done) {
            return;
        }
        if (header == null) {
            readHeader();
        } else {
            input.end();
            pump();
        }
    }

    /** Reads the WAV header once enough of the body has arrived, then opens the session and starts feeding it. */
    private void readHeader() {
        if (head.length() == 0) {
            if (bodyEnded) {
                fail(400, "empty body: send a WAV file (Content-Type: audio/wav)");
            }
            return;
        }
        Wav.Header parsed;
        try {
            parsed = Wav.readHeader(new ArrivingBytes(head, bodyEnded));
        } catch (IOException e) {
            if (e != ArrivingBytes.NOT_YET) {
                fail(400, "the body is not a usable WAV file: " + e.getMessage());
            } else if (head.length() > HEADER_LIMIT) {
                fail(400, "the body is not a usable WAV file: no audio within its first " + HEADER_LIMIT / 1024
                        + " KiB (chunks before 'data' are limited to that); move metadata chunks after the audio");
            }
            return;
        }
        AudioFormat format = parsed.format();
        int frameBytes = Math.max(format.bytesFor(api.frameDuration()), format.bytesPerFrame());
        long need = (long) pipeline.settings().frameQueue() * frameBytes + READ_AHEAD + 2L * frameBytes;
        if (!reservation.resize(need)) {
            reply.retryAfter();
            fail(503, "uploads in flight hold as many buffers as earshot.api.upload-buffer-budget allows; this "
                    + format + " upload needs " + need / 1024 + " KiB: retry later");
            return;
        }
        try {
            session = pipeline.openSession(new SessionRequest("api:transcribe", format, Pacing.PACED,
                    Map.of("client", String.valueOf(request.remoteAddress())), true, 0, List.of(), this, home));
        } catch (SessionRefusedException e) {
            if (e.retryable()) {
                reply.retryAfter();
            }
            fail(503, e.getMessage());
            return;
        }
        header = parsed;
        input = new ArrivingBytes();
        input.add(head.getBuffer((int) parsed.dataOffset(), head.length()));
        head = null;
        if (bodyEnded) {
            input.end();
        }
        pcm = Wav.pcm16(input, parsed);
        frame = new byte[frameBytes];
        timer = home.owner().setTimer(api.transcribeTimeout().toMillis(), id -> {
            timer = -1;
            fail(504, "transcription did not finish within " + api.transcribeTimeout().toSeconds()
                    + " s (earshot.api.transcribe-timeout)");
        });
        pump();
    }

    /**
     * Offers frames to the session until the queue is full (then waits for its drain signal) or the arrived bytes
     * run out (then waits for the next chunk); ends the session after the last frame.
     */
    private void pump() {
        if (pumping || done) {
            return;
        }
        pumping = true;
        try {
            while (!done && !awaitingDrain) {
                if (pending == null) {
                    if (pcmDone) {
                        if (!fed) {
                            fed = true;
                            session.end();
                        }
                        break;
                    }
                    if (!nextFrame()) {
                        break;
                    }
                    continue;
                }
                if (!session.offer(pending)) {
                    if (!session.isOpen()) {
                        break;
                    }
                    awaitingDrain = true;
                    session.onDrain(this::drained);
                    if (awaitingDrain) {
                        break;
                    }
                    continue; // drained at once
                }
                pending = null;
            }
        } finally {
            pumping = false;
        }
        flowControl();
    }

    private void drained() {
        awaitingDrain = false;
        pump();
    }

    /** Reads the next frame into {@code pending}; false while its bytes have not all arrived, or after a failure. */
    private boolean nextFrame() {
        try {
            while (filled < frame.length) {
                int count = pcm.read(frame, filled, frame.length - filled);
                if (count < 0) {
                    pcmDone = true;
                    break;
                }
                filled += count;
            }
        } catch (IOException e) {
            if (e != ArrivingBytes.NOT_YET) {
                fail(400, "the body is not a usable WAV file: " + e.getMessage());
            }
            return false;
        }
        AudioFormat format = session.format();
        int whole = filled - filled % format.bytesPerFrame();
        if (whole > 0) {
            pending = AudioFrame.copyOf(format, frame, 0, whole, sequence++, Instant.now());
        }
        filled = 0;
        return true;
    }

    /** Pauses the request while the read-ahead is full; after the audio, the rest of the body is read and dropped. */
    private void flowControl() {
        if (bodyEnded || done) {
            return;
        }
        if (pcmDone) {
            input.discard();
        }
        boolean full = !pcmDone && input.size() >= READ_AHEAD;
        if (full != paused) {
            paused = full;
            if (full) {
                request.pause();
            } else {
                request.resume();
            }
        }
    }

    @Override
    public void onTranscript(TranscriptEvent event) {
        if (event.isFinal()) {
            finals.add(event);
        }
    }

    @Override
    public void onClosed(SessionOutcome outcome) {
        if (!outcome.isEnded()) {
            fail(500, "transcription failed: " + outcome);
        } else if (!fed) {
            // Ended by a pipeline stop before the whole upload was fed: a partial answer would look complete.
            reply.retryAfter();
            fail(503, "pipeline '" + pipeline.name() + "' stopped before the upload was transcribed");
        } else {
            StringBuilder text = new StringBuilder();
            List<TranscribeRoute.WordResult> words = new ArrayList<>();
            double duration = 0;
            for (TranscriptEvent event : finals) {
                text.append(text.length() == 0 ? "" : " ").append(event.text());
                event.words().forEach(word -> words.add(TranscribeRoute.WordResult.of(word)));
                duration = Math.max(duration, event.audioEnd());
            }
            reply.send(200, new TranscribeRoute.Transcript(text.toString(), words, pipeline.name(), session.id(), duration));
            release();
        }
    }

    /** Answers with an error, closes the session (its listener is not called again) and gives the budget back. */
    private void fail(int status, String message) {
        reply.error(status, message);
        if (session != null) {
            session.close();
        }
        release();
    }

    private void clientGone() {
        if (!done) {
            if (session != null) {
                session.close();
            }
            release();
        }
    }

    private void release() {
        if (done) {
            return;
        }
        done = true;
        if (timer >= 0) {
            home.owner().cancelTimer(timer);
            timer = -1;
        }
        if (input != null) {
            input.discard();
        }
        head = null;
        pending = null;
        reservation.close();
    }
}
