package dev.earshot.gateway.protocol.upload;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.runtime.GatewayRuntime;
import io.quarkus.runtime.annotations.RegisterForReflection;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.spi.transcript.Word;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code POST /api/transcribe}: a WAV file in, its final transcript out. Served on the Vert.x router (behind the
 * access guard, like every {@code /api} route) so that the body is decoded as it arrives and never held whole: see
 * {@link WavUpload}. Uploads in flight share one {@link UploadBudget}. Documented in {@code META-INF/openapi.yaml}.
 */
@ApplicationScoped
public class TranscribeRoute {

    static final String PATH = "/api/transcribe";
    /** After Quarkus's own Content-Length check (order -2, answers 413), before the REST routes. */
    static final int ORDER = -1;
    static final Set<String> CONTENT_TYPES = Set.of("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave",
            "application/octet-stream");

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

    @Inject
    ObjectMapper json;

    private volatile UploadBudget budget;
    private volatile long maxUploadSize;

    void routes(@Observes Router router) {
        maxUploadSize = new MemorySizeConverter().convert(config.api().maxUploadSize()).asLongValue();
        budget = new UploadBudget(config.api().maxUploadsInFlight(), config.api().uploadBufferBudget().asLongValue());
        router.route(PATH).order(ORDER).handler(this::transcribe);
    }

    /** The budget shared by all uploads (for tests and metrics). */
    UploadBudget budget() {
        return budget;
    }

    /**
     * Transcribes a WAV upload (PCM 8/16/24/32-bit or float, any rate and channel count) through a pipeline
     * ({@code ?pipeline=}, default {@code earshot.api.default-pipeline}). 400 for a body that is not a usable WAV,
     * 413 above {@code earshot.api.max-upload-size}, 503 (with {@code Retry-After}) when the pipeline is at its session
     * limit, the uploads in flight fill the budget, or the gateway is shutting down.
     */
    private void transcribe(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        UploadReply reply = new UploadReply(request, json, maxUploadSize);
        if (request.method() != HttpMethod.POST) {
            reply.header("Allow", "POST").error(405, "POST a WAV file to " + PATH);
            return;
        }
        String type = request.getHeader("Content-Type");
        String mediaType = type == null ? "application/octet-stream"
                : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!CONTENT_TYPES.contains(mediaType)) {
            reply.error(415, "Content-Type '" + type + "' is not accepted: send the WAV file as audio/wav");
            return;
        }
        GatewayRuntime runtime = gateway.runtime();
        if (runtime == null) {
            reply.error(503, "the gateway is starting");
            return;
        }
        if (gateway.shuttingDown()) {
            // Refused the same way during the whole drain, whether the pipeline is still stopping or has stopped.
            reply.retryAfter().error(503, "the gateway is shutting down: new uploads are refused; retry on another instance");
            return;
        }
        String name = request.getParam("pipeline");
        name = name == null || name.isBlank() ? config.api().defaultPipeline() : name;
        Pipeline pipeline = runtime.pipeline(name).orElse(null);
        if (pipeline == null) {
            reply.error(404, "unknown pipeline '" + name + "' (available: "
                    + String.join(", ", runtime.pipelines().stream().map(Pipeline::name).sorted().toList()) + ")");
            return;
        }
        UploadBudget.Reservation reservation = budget.tryReserve(WavUpload.HEADER_PHASE_BYTES);
        if (reservation == null) {
            reply.retryAfter().error(503, "the gateway is receiving as many uploads as it may at once ("
                    + budget.maxUploads() + " uploads, " + budget.maxBytes() / 1024 + " KiB of buffers: earshot.api.max-uploads-in-flight, "
                    + "earshot.api.upload-buffer-budget); retry later");
            return;
        }
        new WavUpload(ctx, reply, pipeline, reservation, config.api(), maxUploadSize).start();
    }
}
