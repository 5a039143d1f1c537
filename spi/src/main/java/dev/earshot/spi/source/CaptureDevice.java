package dev.earshot.spi.source;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A device a capture source type can open, as {@link CaptureSourceFactory#devices()} lists it (the gateway answers
 * {@code GET /api/devices/audio} with these). Which of the fields a source's options match is up to the source; the
 * {@code microphone} source's {@code device} option matches the name.
 *
 * @param name          the device's name, as the source's options name it
 * @param description   what the system says about it ({@code ""} when nothing)
 * @param vendor        its vendor ({@code ""} when unknown)
 * @param version       its version ({@code ""} when unknown)
 * @param takes16BitPcm whether it takes signed 16-bit little-endian PCM, the format sources deliver
 * @param formats       the formats it takes, grouped
 */
public record CaptureDevice(String name, String description, String vendor, String version, boolean takes16BitPcm,
                            List<Format> formats) {

    public CaptureDevice {
        requireNonNull(name, "name is null");
        description = description == null ? "" : description;
        vendor = vendor == null ? "" : vendor;
        version = version == null ? "" : version;
        formats = List.copyOf(requireNonNull(formats, "formats is null"));
    }

    /**
     * A group of formats a device takes: one encoding, sample size and byte order, with the channel counts and sample
     * rates it takes.
     *
     * @param encoding    e.g. {@code PCM_SIGNED}
     * @param bits        the sample size in bits
     * @param byteOrder   {@code little-endian}, {@code big-endian}, or {@code ""} for 8-bit samples
     * @param channels    a count, a range such as {@code 1-32}, or {@code any}
     * @param sampleRates comma-separated rates in Hz, or {@code any} when the device resamples
     */
    public record Format(String encoding, int bits, String byteOrder, String channels, String sampleRates) {

        public Format {
            requireNonNull(encoding, "encoding is null");
            requireNonNull(byteOrder, "byteOrder is null");
            requireNonNull(channels, "channels is null");
            requireNonNull(sampleRates, "sampleRates is null");
        }
    }
}
