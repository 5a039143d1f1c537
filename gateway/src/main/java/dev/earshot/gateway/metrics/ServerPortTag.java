package dev.earshot.gateway.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Gives every Vert.x HTTP server meter ({@code http.server.*}) a {@code server.port} tag.
 *
 * <p>The gateway runs more than one Vert.x HTTP server: Quarkus's (the API, console, WHIP) and the vosk-server
 * listener on its own port. Quarkus's Vert.x binder tags a server's meters with {@code server.port} only when the
 * configured port is above 0, and Prometheus refuses two meters of one name with different tag keys. So a server on
 * an ephemeral port (0) beside one on a fixed port collided; the refusal was thrown inside the second server's bind
 * callback, Quarkus's start never completed, and the process could not be stopped by SIGTERM. With this filter the tag
 * keys are always the same: a server on port 0 is tagged {@code server.port="0"}.
 */
public class ServerPortTag {

    static final String NAME_PREFIX = "http.server.";
    static final String TAG = "server.port";

    @Produces
    @Singleton
    MeterFilter serverPortTag() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().startsWith(NAME_PREFIX) && id.getTag(TAG) == null ? id.withTag(Tag.of(TAG, "0")) : id;
            }
        };
    }
}
