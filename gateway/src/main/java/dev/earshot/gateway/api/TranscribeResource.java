package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.pipeline.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.pipeline.Session;
import dev.earshot.gateway.pipeline.SessionListener;
import dev.earshot.gateway.pipeline.SessionRefusedException;
import dev.earshot.gateway.pipeline.SessionRequest;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.audio.Wav;
import dev.earshot.spi.audio.WavFormatException;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code POST /api/transcribe}: a WAV file in, its final transcript out. */
@Path("/api/transcribe")
public class TranscribeResource {

    /** The reply: all finals of the upload joined, with word timings (seconds from the start of the audio). */
    @RegisterForReflection
    public record Transcript(String text, List<WordResult> result, String pipeline, String session, double duration) {
    }

    /** One word, named as vosk-server names it; {@code conf} is null when the engine gave none. */
    @RegisterForReflection
    public record WordResult(String word, double start, double end, Double conf) {
        static WordResult of(Word word) {
            return new WordResult(word.word(), word.start(), word.end(),
                    Double.isNaN(word.confidence()) ? null : word.confidence());
        }
    }

    @Inject
    Gateway gateway;

    @Inject
    EarshotConfig config;

    /**
     * Transcribes a WAV upload (PCM 8/16/24/32-bit or float, any rate and channel count) through a pipeline
     * ({@code ?pipeline=}, default {@code earshot.api.default-pipeline}). 400 for a body that is not a usable WAV,
     * 413 above {@code earshot.api.max-upload-size}, 503 (with {@code Retry-After}) when the pipeline is at its session
     * limit or the gateway is shutting down.
     */
    @POST
    @Consumes({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> transcribe(@QueryParam("pipeline") String pipelineName, byte[] body,
                                                @jakarta.ws.rs.core.Context HttpServerRequest request) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        if (gateway.shuttingDown()) {
            // Refused the same way during the whole drain, whether the pipeline is still stopping or has stopped.
            return CompletableFuture.completedFuture(ApiError.response(503,
                    "the gateway is shutting down: new uploads are refused; retry on another instance")
                    .header("Retry-After", "5").build());
        }
        Pipeline pipeline = Resources.pipeline(runtime, pipelineName == null || pipelineName.isBlank()
                ? config.api().defaultPipeline() : pipelineName);
        if (body == null || body.length == 0) {
            throw ApiError.of(Response.Status.BAD_REQUEST, "empty body: send a WAV file (Content-Type: audio/wav)");
        }
        Wav.Header header;
        try {
            header = Wav.parse(body);
        } catch (WavFormatException e) {
            throw ApiError.of(Response.Status.BAD_REQUEST, "the body is not a usable WAV file: " + e.getMessage());
        }
        AudioFormat format = header.format();
        Context home = Vertx.currentContext();
        CompletableFuture<Response> reply = new CompletableFuture<>();
        TranscriptCollector collector = new TranscriptCollector(pipeline.name(), reply);
        Session session;
        try {
            session = pipeline.openSession(new SessionRequest("api:transcribe", format, Pacing.PACED,
                    Map.of("client", String.valueOf(request.remoteAddress())), true, 0, List.of(), collector, home));
        } catch (SessionRefusedException e) {
            Response.ResponseBuilder refused = ApiError.response(503, e.getMessage());
            if (e.retryable()) {
                refused.header("Retry-After", "5");
            }
            return CompletableFuture.completedFuture(refused.build());
        }
        collector.session = session.id();
        InputStream data = new ByteArrayInputStream(body, (int) header.dataOffset(), (int) dataLength(header, body));
        InputStream pcm = Wav.pcm16(data, header);
        UploadFeeder feeder = new UploadFeeder(session, pcm, format.bytesFor(config.api().frameDuration()));
        collector.feeder = feeder;
        feeder.pump();
        long timer = home.owner().setTimer(config.api().transcribeTimeout().toMillis(), id -> {
            if (!reply.isDone()) {
                session.abort("transcription timed out");
                reply.complete(ApiError.response(504, "transcription did not finish within "
                        + config.api().transcribeTimeout().toSeconds() + " s (earshot.api.transcribe-timeout)").build());
            }
        });
        request.response().closeHandler(v -> session.close());
        return reply.whenComplete((r, e) -> home.owner().cancelTimer(timer));
    }

    private static long dataLength(Wav.Header header, byte[] body) {
        long available = body.length - header.dataOffset();
        return header.dataLength() < 0 ? available : Math.min(header.dataLength(), available);
    }

    /** Collects finals; completes the reply when the session closes. Called on the request's event loop. */
    private static final class TranscriptCollector implements SessionListener {
        private final String pipeline;
        private final CompletableFuture<Response> reply;
        private final List<TranscriptEvent> finals = new ArrayList<>();
        private String session = "";
        private UploadFeeder feeder;

        TranscriptCollector(String pipeline, CompletableFuture<Response> reply) {
            this.pipeline = pipeline;
            this.reply = reply;
        }

        @Override
        public void onTranscript(TranscriptEvent event) {
            if (event.isFinal()) {
                finals.add(event);
            }
        }

        @Override
        public void onClosed(String reason) {
            if (!"ended".equals(reason)) {
                reply.complete(ApiError.response(500, "transcription failed: " + reason).build());
                return;
            }
            if (feeder != null && !feeder.finished()) {
                // Ended by a pipeline stop before the whole upload was fed: a partial answer would look complete.
                reply.complete(ApiError.response(503, "pipeline '" + pipeline + "' stopped before the upload was transcribed")
                        .header("Retry-After", "5").build());
                return;
            }
            StringBuilder text = new StringBuilder();
            List<WordResult> words = new ArrayList<>();
            double duration = 0;
            for (TranscriptEvent event : finals) {
                text.append(text.length() == 0 ? "" : " ").append(event.text());
                event.words().forEach(word -> words.add(WordResult.of(word)));
                duration = Math.max(duration, event.audioEnd());
            }
            reply.complete(Response.ok(new Transcript(text.toString(), words, pipeline, session, duration))
                    .type(MediaType.APPLICATION_JSON_TYPE).build());
        }
    }

    /**
     * Feeds an in-memory upload to a paced session by demand: frames are offered until the queue is full, then the
     * feeder waits for the session's drain signal (on the request's event loop). Never blocks.
     */
    static final class UploadFeeder {
        private final Session session;
        private final InputStream pcm;
        private final byte[] buffer;
        private long sequence;
        private AudioFrame pending;
        private boolean finished;

        UploadFeeder(Session session, InputStream pcm, int frameBytes) {
            this.session = session;
            this.pcm = pcm;
            this.buffer = new byte[Math.max(frameBytes, session.format().bytesPerFrame())];
        }

        void pump() {
            while (true) {
                if (pending == null) {
                    pending = next();
                    if (pending == null) {
                        finished = true;
                        session.end();
                        return;
                    }
                }
                if (!session.offer(pending)) {
                    if (session.isOpen()) {
                        session.onDrain(this::pump);
                    }
                    return;
                }
                pending = null;
            }
        }

        /** True once every frame of the upload was queued. */
        boolean finished() {
            return finished;
        }

        private AudioFrame next() {
            try {
                int filled = pcm.readNBytes(buffer, 0, buffer.length);
                int whole = filled - filled % session.format().bytesPerFrame();
                return whole == 0 ? null
                        : AudioFrame.copyOf(session.format(), buffer, 0, whole, sequence++, Instant.now());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
