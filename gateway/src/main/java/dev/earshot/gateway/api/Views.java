package dev.earshot.gateway.api;

import dev.earshot.audio.LevelMeter;
import dev.earshot.gateway.session.DecodeAdmission;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionGate;
import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.plugin.LoadedPlugin;
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
    record PipelineView(String name, String state, String failure, boolean enabled, String source, EngineView engine,
                        List<SinkView> sinks, List<String> hooks, int sessions, int maxSessions, int frameQueue,
                        double realtimeFactor, DecodeAdmission.View admission) {
        static PipelineView of(Pipeline pipeline) {
            var engine = pipeline.engine();
            List<SinkView> sinks = pipeline.sinks().stream().map(SinkView::of).toList();
            return new PipelineView(pipeline.name(), pipeline.state().name().toLowerCase(), Redact.urlsIn(pipeline.failure()),
                    pipeline.settings().enabled(), pipeline.settings().source().orElse(null),
                    engine == null ? null : engineView(engine),
                    sinks, pipeline.hookIds(), pipeline.sessionCount(), pipeline.settings().maxSessions(),
                    pipeline.settings().frameQueue(), pipeline.realtimeFactor(), pipeline.admission());
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
