package dev.earshot.gateway.delivery;

import dev.earshot.gateway.plugin.PluginCalls;

import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.function.ToDoubleFunction;

/**
 * The meters of one sink ({@code earshot_sink_*}, tagged with the sink id) and the log line of every transcript it
 * loses: a dropped or rejected final is always logged as an error and counted as
 * {@code earshot_sink_dropped_total{type="final"}}.
 */
final class SinkMetrics {

    private static final System.Logger LOG = System.getLogger(SinkChannel.class.getName());

    private final String id;
    private final Tags tags;
    final Counter delivered;
    final Counter failed;
    final Counter retried;
    final Counter spooled;
    final Counter droppedPartials;
    final Counter droppedFinals;

    SinkMetrics(String id, MeterRegistry registry) {
        this.id = id;
        this.tags = Tags.of("sink", id);
        droppedFinals = Counter.builder("earshot.sink.dropped").description("Events not delivered")
                .tags(tags.and("type", "final")).register(registry);
        delivered = Counter.builder("earshot.sink.delivered").description("Events delivered").tags(tags).register(registry);
        failed = Counter.builder("earshot.sink.failed").description("Delivery attempts that failed").tags(tags).register(registry);
        retried = Counter.builder("earshot.sink.retried").description("Delivery attempts that repeated an earlier one")
                .tags(tags).register(registry);
        spooled = Counter.builder("earshot.sink.spooled").description("Finals written to the sink's on-disk spool")
                .tags(tags).register(registry);
        droppedPartials = Counter.builder("earshot.sink.dropped").description("Events not delivered")
                .tags(tags.and("type", "partial")).register(registry);
    }

    /** Registers the gauges of the channel's memory queue and spool (they hold the channel strongly). */
    void registerGauges(MeterRegistry registry, SinkChannel channel) {
        gauge(registry, "earshot.sink.queue.depth", "Events waiting for the sink in memory", channel, SinkChannel::depth);
        gauge(registry, "earshot.sink.queue.capacity", "Bound of the sink's queue", channel, SinkChannel::capacity);
        gauge(registry, "earshot.sink.spool.bytes", "Bytes of finals waiting in the sink's on-disk spool",
                channel, c -> c.spool().bytes());
        gauge(registry, "earshot.sink.spool.events", "Finals waiting in the sink's on-disk spool",
                channel, c -> c.spool().events());
        gauge(registry, "earshot.sink.spool.limit.bytes", "Bound of the sink's on-disk spool",
                channel, c -> c.spool().maxBytes());
    }

    /** An event that will not be delivered: a final is logged as an error. */
    void dropped(TranscriptEvent event, String why) {
        if (event.isFinal()) {
            droppedFinals.increment();
            LOG.log(System.Logger.Level.ERROR, "sink '" + id + "' dropped final transcript " + event.id() + " because "
                    + why + ": " + event.text());
        } else {
            droppedPartials.increment();
        }
    }

    /** A final that left the spool undelivered ({@link FinalSpool.DropListener}). */
    void droppedFromSpool(String eventId, String why) {
        droppedFinals.increment();
        LOG.log(System.Logger.Level.ERROR, "sink '" + id + "' dropped final transcript " + eventId + " because " + why);
    }

    /** An event the receiver rejected for good (a {@link DeliveryException} that is not retryable). */
    void rejected(TranscriptEvent event, DeliveryException rejected) {
        if (event.isFinal()) {
            droppedFinals.increment();
            LOG.log(System.Logger.Level.ERROR, "sink '" + id + "' rejected final transcript " + event.id()
                    + " for good, not retrying it: " + PluginCalls.describe(rejected));
        } else {
            droppedPartials.increment();
            LOG.log(System.Logger.Level.WARNING, "sink '" + id + "' rejected partial " + event.id() + ": "
                    + PluginCalls.describe(rejected));
        }
    }

    private <T> void gauge(MeterRegistry registry, String name, String description, T target, ToDoubleFunction<T> value) {
        Gauge.builder(name, target, value).description(description).tags(tags).strongReference(true).register(registry);
    }
}
