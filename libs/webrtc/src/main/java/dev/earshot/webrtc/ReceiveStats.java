package dev.earshot.webrtc;

import dev.onvoid.webrtc.RTCStats;
import dev.onvoid.webrtc.RTCStatsReport;
import dev.onvoid.webrtc.RTCStatsType;

import java.util.Locale;
import java.util.Map;

/**
 * What WebRTC's receive side did to a peer's audio (the inbound-rtp audio stats of the W3C statistics): packets,
 * and how much audio the jitter buffer made up (concealment: packets late or lost) or stretched and squeezed
 * (deceleration, acceleration) to keep playout going. All sample counts are at the decoded rate (48 kHz for Opus).
 * A peer whose audio went through untouched has all three at or near zero.
 *
 * @param packetsReceived       RTP packets received
 * @param packetsLost           RTP packets lost (by sequence numbers)
 * @param jitterSeconds         interarrival jitter
 * @param samplesReceived       samples played out by the jitter buffer (decoded and made up)
 * @param concealedSamples      samples made up for late or lost packets
 * @param insertedSamples       samples inserted to slow playout down (deceleration)
 * @param removedSamples        samples removed to speed playout up (acceleration)
 */
public record ReceiveStats(long packetsReceived, long packetsLost, double jitterSeconds, long samplesReceived,
                           long concealedSamples, long insertedSamples, long removedSamples) {

    /** The rate of the sample counts: Opus, the only codec the gateway answers with, decodes at 48 kHz. */
    public static final int SAMPLE_RATE = 48_000;

    /** No figures: the connection was gone or reported no audio. */
    public static final ReceiveStats NONE = new ReceiveStats(0, 0, 0, 0, 0, 0, 0);

    /** The first inbound audio RTP stream of a report, or {@link #NONE}. */
    static ReceiveStats of(RTCStatsReport report) {
        for (RTCStats stats : report.getStats().values()) {
            Map<String, Object> a = stats.getAttributes();
            if (stats.getType() == RTCStatsType.INBOUND_RTP && "audio".equals(String.valueOf(a.get("kind")))) {
                return new ReceiveStats(number(a, "packetsReceived"), number(a, "packetsLost"),
                        a.get("jitter") instanceof Number n ? n.doubleValue() : 0, number(a, "totalSamplesReceived"),
                        number(a, "concealedSamples"), number(a, "insertedSamplesForDeceleration"),
                        number(a, "removedSamplesForAcceleration"));
            }
        }
        return NONE;
    }

    private static long number(Map<String, Object> attributes, String name) {
        return attributes.get(name) instanceof Number n ? n.longValue() : 0;
    }

    public double concealedSeconds() {
        return (double) concealedSamples / SAMPLE_RATE;
    }

    public double insertedSeconds() {
        return (double) insertedSamples / SAMPLE_RATE;
    }

    public double removedSeconds() {
        return (double) removedSamples / SAMPLE_RATE;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d packets, %d lost, jitter %.1f ms; %.2f s played, %.2f s concealed,"
                        + " %.2f s inserted, %.2f s removed", packetsReceived, packetsLost, jitterSeconds * 1000,
                (double) samplesReceived / SAMPLE_RATE, concealedSeconds(), insertedSeconds(), removedSeconds());
    }
}
