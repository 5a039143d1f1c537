package dev.earshot.gateway.settings;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * The keys {@code earshot.admission.*}: when new live sessions are refused because decoding is at capacity (see
 * {@code session.DecodeAdmission}). Ranges are checked here, so a bad value stops the start with the key named.
 *
 * @param enabled refuse new live sessions when decoding is at capacity
 * @param maxLoad the share of the decoding threads the live sessions may need together, 0.1 to 4 (1.0: all of them)
 * @param maxLag  how far behind real time a live session may be before new ones are refused, 200ms to 60s
 */
public record AdmissionSettings(boolean enabled, double maxLoad, Duration maxLag) {

    public static final AdmissionSettings DEFAULT = new AdmissionSettings(true, 1.0, Duration.ofSeconds(2));

    public AdmissionSettings {
        requireNonNull(maxLag, "maxLag is null");
        if (!(maxLoad >= 0.1 && maxLoad <= 4)) {
            throw new GatewayConfigException(java.util.List.of("earshot.admission.max-load: " + maxLoad
                    + " is not valid; expected a share of the decoding threads from 0.1 to 4 (1.0: all of them)"));
        }
        if (maxLag.toMillis() < 200 || maxLag.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new GatewayConfigException(java.util.List.of("earshot.admission.max-lag: " + maxLag.toMillis()
                    + " ms is not valid; expected 200ms to 60s"));
        }
    }
}
