package dev.earshot.gateway.api;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.DataLine;
import javax.sound.sampled.Line;
import javax.sound.sampled.Mixer;
import javax.sound.sampled.TargetDataLine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The capture devices this gateway process can open, as the {@code microphone} source sees them: its
 * {@code device} option matches their {@code name} (or a unique part of name or description).
 */
@Path("/api/devices/audio")
@Produces(MediaType.APPLICATION_JSON)
public class DevicesResource {

    /** One capture device: the mixer's name and description, and the formats its capture lines take, grouped. */
    @RegisterForReflection
    public record AudioDevice(String name, String description, String vendor, String version,
                              boolean takes16BitPcm, List<FormatRange> formats) {
    }

    /**
     * A group of formats a capture line takes: one encoding, sample size and byte order, with the channel counts
     * and sample rates ({@code any} when the device resamples) it takes.
     */
    @RegisterForReflection
    public record FormatRange(String encoding, int bits, String byteOrder, String channels, String sampleRates) {
    }

    /**
     * Lists the devices. The JDK enumerates them once per process, when first asked (by this call or by a
     * microphone source): a device plugged in later appears after a restart. Blocking (the JDK asks ALSA), so it
     * runs on a worker thread, as every non-reactive REST method here.
     */
    @GET
    public List<AudioDevice> list() {
        List<AudioDevice> devices = new ArrayList<>();
        for (Mixer.Info info : AudioSystem.getMixerInfo()) {
            Mixer mixer;
            try {
                mixer = AudioSystem.getMixer(info);
            } catch (RuntimeException e) {
                continue;
            }
            List<AudioFormat> formats = new ArrayList<>();
            for (Line.Info line : mixer.getTargetLineInfo()) {
                if (line instanceof DataLine.Info data && TargetDataLine.class.isAssignableFrom(data.getLineClass())) {
                    formats.addAll(List.of(data.getFormats()));
                }
            }
            if (formats.isEmpty()) {
                continue;
            }
            boolean pcm16 = formats.stream().anyMatch(f -> AudioFormat.Encoding.PCM_SIGNED.equals(f.getEncoding())
                    && f.getSampleSizeInBits() == 16 && !f.isBigEndian());
            devices.add(new AudioDevice(info.getName(), text(info.getDescription()), text(info.getVendor()),
                    text(info.getVersion()), pcm16, group(formats)));
        }
        return devices;
    }

    private static List<FormatRange> group(List<AudioFormat> formats) {
        Map<String, int[]> channels = new LinkedHashMap<>();
        Map<String, java.util.TreeSet<Integer>> rates = new LinkedHashMap<>();
        Map<String, AudioFormat> first = new LinkedHashMap<>();
        for (AudioFormat format : formats) {
            String key = format.getEncoding() + "/" + format.getSampleSizeInBits() + "/"
                    + (format.getSampleSizeInBits() > 8 ? format.isBigEndian() : "");
            first.putIfAbsent(key, format);
            int count = format.getChannels();
            int[] range = channels.computeIfAbsent(key, k -> new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE});
            if (count != AudioSystem.NOT_SPECIFIED) {
                range[0] = Math.min(range[0], count);
                range[1] = Math.max(range[1], count);
            }
            rates.computeIfAbsent(key, k -> new java.util.TreeSet<>()).add(Math.round(format.getSampleRate()));
        }
        List<FormatRange> groups = new ArrayList<>();
        first.forEach((key, format) -> {
            int[] range = channels.get(key);
            String channelText = range[0] == Integer.MAX_VALUE ? "any"
                    : range[0] == range[1] ? Integer.toString(range[0]) : range[0] + "-" + range[1];
            java.util.TreeSet<Integer> rateSet = rates.get(key);
            String rateText = rateSet.contains(Math.round(AudioSystem.NOT_SPECIFIED)) ? "any"
                    : String.join(",", rateSet.stream().map(String::valueOf).toList());
            groups.add(new FormatRange(format.getEncoding().toString(), format.getSampleSizeInBits(),
                    format.getSampleSizeInBits() <= 8 ? "" : format.isBigEndian() ? "big-endian" : "little-endian",
                    channelText, rateText));
        });
        return groups;
    }

    private static String text(String value) {
        return value == null ? "" : value;
    }
}
