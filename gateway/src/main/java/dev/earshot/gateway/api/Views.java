package dev.earshot.gateway.api;

import dev.earshot.audio.LevelMeter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.session.DecodeAdmission;
import dev.earshot.gateway.settings.PipelineSpec;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionGate;
import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.Redact;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The JSON shapes of the API. Failure texts come from plugins: URLs in them are shown without credentials. */
final class Views {

    private Views() {
    }

    @RegisterForReflection
    record PluginView(String name, String version, String spiVersion, boolean installed, String state, String failure,
                      String location, Map<String, List<String>> provides) {
        static PluginView of(LoadedPlugin plugin) {
            Map<String, List<String>> provides = new TreeMap<>();
            plugin.provides().forEach((kind, names) -> {
                if (!names.isEmpty()) {
                    provides.put(kind.section(), names);
                }
            });
            return new PluginView(plugin.name(), plugin.version(), plugin.spiVersion(), plugin.installed(),
                    plugin.state().name().toLowerCase(), Redact.urlsIn(plugin.failure()), plugin.location(), provides);
        }
    }

    /**
     * One plugin with the options each of its factories declares, by section and type:
     * {@code options.sinks.mqtt = [{name: "qos", type: "integer", ...}]}. A factory that declares none has an empty list.
     */
    @RegisterForReflection
    record PluginDetailView(String name, String version, String spiVersion, boolean installed, String state,
                            String failure, String location, Map<String, List<String>> provides,
                            Map<String, Map<String, List<OptionView>>> options) {
        static PluginDetailView of(LoadedPlugin plugin) {
            PluginView view = PluginView.of(plugin);
            Map<String, Map<String, List<OptionView>>> options = new TreeMap<>();
            plugin.options().forEach((kind, byType) -> {
                Map<String, List<OptionView>> types = new TreeMap<>();
                byType.forEach((type, declared) -> types.put(type, declared.stream().map(OptionView::of).toList()));
                if (!types.isEmpty()) {
                    options.put(kind.section(), types);
                }
            });
            return new PluginDetailView(view.name(), view.version(), view.spiVersion(), view.installed(), view.state(),
                    view.failure(), view.location(), view.provides(), options);
        }
    }

    /**
     * A declared option. {@code key} is how it is written under the instance's prefix ({@code headers.<key>} for a
     * map); a secret option never has a default here (nor anywhere else).
     */
    @RegisterForReflection
    record OptionView(String name, String key, String type, String defaultValue, boolean required, boolean secret,
                      List<String> allowedValues, String description) {
        static OptionView of(PluginOption option) {
            return new OptionView(option.name(), option.displayName(), option.type().label(),
                    option.secret() ? null : option.defaultValue(), option.required(), option.secret(),
                    option.allowedValues(), option.description());
        }
    }

    @RegisterForReflection
    record SinkView(String id, int queueDepth, int queueCapacity, long delivered, long retried, long droppedPartials,
                    long droppedFinals, boolean failing, long spooledEvents, long spoolBytes, long spoolLimit,
                    String spoolFull) {
        static SinkView of(SinkChannel sink) {
            var spool = sink.spool();
            return new SinkView(sink.id(), sink.depth(), sink.capacity(), sink.delivered(), sink.retried(),
                    sink.droppedPartials(), sink.droppedFinals(), sink.failing(), spool.events(), spool.bytes(),
                    spool.maxBytes(), spool.policy().configName());
        }
    }

    @RegisterForReflection
    record EngineView(String id, String type, String inputFormat, int openRecognizers, String health, String healthDetail) {
    }

    @RegisterForReflection
    /**
     * A pipeline's live state next to its spec. {@code readOnly}: it comes from the configuration file (its spec names
     * the components, whose options stay there); otherwise it was added through the API, its spec as stored, with
     * the options declared secret and those whose names speak of secrets masked.
     */
    record PipelineView(String name, String state, String failure, boolean enabled, String source, EngineView engine,
                        List<SinkView> sinks, List<String> hooks, int sessions, int maxSessions, int frameQueue,
                        double realtimeFactor, DecodeAdmission.View admission, boolean readOnly, JsonNode spec) {
        static PipelineView of(Pipeline pipeline, GatewayRuntime runtime) {
            var engine = pipeline.engine();
            List<SinkView> sinks = pipeline.sinks().stream().map(SinkView::of).toList();
            JsonNode spec = runtime.storedSpec(pipeline.name()).map(s -> (JsonNode) s.redacted((kind, type) -> runtime.plugins()
                            .<Object>factory(kind, type).map(provided -> provided.plugin().options().get(kind).getOrDefault(type, List.of()))
                            .orElse(List.of())))
                    .orElseGet(() -> PipelineSpec.describe(pipeline.settings()));
            return new PipelineView(pipeline.name(), pipeline.state().name().toLowerCase(), Redact.urlsIn(pipeline.failure()),
                    pipeline.settings().enabled(), pipeline.settings().source().orElse(null),
                    engine == null ? null : engineView(engine),
                    sinks, pipeline.hookIds(), pipeline.sessionCount(), pipeline.settings().maxSessions(),
                    pipeline.settings().frameQueue(), pipeline.realtimeFactor(), pipeline.admission(),
                    runtime.configured(pipeline.name()), spec);
        }
    }

    static EngineView engineView(EngineInstance engine) {
        var health = engine.health();
        return new EngineView(engine.id(), engine.spec().type(), engine.inputFormat().toString(), engine.openRecognizers(),
                health.status().name().toLowerCase(), health.detail().isEmpty() ? null : Redact.urlsIn(health.detail()));
    }

    /**
     * An open session. {@code levelDbfs} / {@code peakDbfs}: RMS and peak level of the last frame taken for decoding
     * (see {@link LevelMeter}; -100 is silence), null before the first frame.
     */
    @RegisterForReflection
    record SessionView(String id, String pipeline, String origin, String format, String pacing, String startedAt,
                       int queuedFrames, int queueCapacity, long framesReceived, long droppedFrames, long framesDecoded,
                       Double levelDbfs, Double peakDbfs, Map<String, String> attributes,
                       SessionGate.SpeechGateView speechGate, Double decodeCost, double lagSeconds) {
        static SessionView of(Session session) {
            var info = session.info();
            LevelMeter level = session.level();
            return new SessionView(session.id(), info.pipeline(), info.origin(), info.format().toString(),
                    session.pacing().name().toLowerCase(), info.startedAt().toString(), session.queuedFrames(),
                    session.queueCapacity(), session.framesReceived(), session.droppedFrames(), session.framesDecoded(),
                    tenths(level.rmsDbfs()), tenths(level.peakDbfs()), info.attributes(), session.speechGate(),
                    thousandths(session.decodeCost()), thousandths(session.lagSeconds(System.nanoTime())));
        }

        private static Double thousandths(double value) {
            return Double.isNaN(value) ? null : Math.round(value * 1000) / 1000.0;
        }

        private static Double tenths(double dbfs) {
            return Double.isNaN(dbfs) ? null : Math.round(dbfs * 10) / 10.0;
        }
    }
}
