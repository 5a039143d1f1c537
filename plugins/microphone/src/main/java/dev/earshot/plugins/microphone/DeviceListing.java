package dev.earshot.plugins.microphone;

import dev.earshot.spi.source.CaptureDevice;

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
import java.util.TreeSet;

/**
 * The capture devices with the formats their capture lines take, for the host's device listing
 * ({@link MicrophoneSourceFactory#devices()}, {@code GET /api/devices/audio}): the {@code device} option matches their
 * name (or a unique part of name or description).
 */
final class DeviceListing {

    private DeviceListing() {
    }

    /**
     * Lists the devices. The JDK enumerates them once per process, when first asked (by this call or by a microphone
     * source): a device plugged in later appears after a restart. Blocking (the JDK asks ALSA).
     */
    static List<CaptureDevice> list() {
        List<CaptureDevice> devices = new ArrayList<>();
        for (Mixer.Info info : AudioSystem.getMixerInfo()) {
            Mixer mixer;
            try {
                mixer = AudioSystem.getMixer(info);
            } catch (RuntimeException e) {
                continue; // a mixer that disappeared between listing and asking
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
            devices.add(new CaptureDevice(info.getName(), info.getDescription(), info.getVendor(), info.getVersion(),
                    pcm16, group(formats)));
        }
        return devices;
    }

    /**
     * Groups formats by encoding, sample size and byte order, with the channel counts (a range) and sample rates
     * ({@code any} when the device resamples) of each group.
     */
    static List<CaptureDevice.Format> group(List<AudioFormat> formats) {
        Map<String, int[]> channels = new LinkedHashMap<>();
        Map<String, TreeSet<Integer>> rates = new LinkedHashMap<>();
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
            rates.computeIfAbsent(key, k -> new TreeSet<>()).add(Math.round(format.getSampleRate()));
        }
        List<CaptureDevice.Format> groups = new ArrayList<>();
        first.forEach((key, format) -> {
            int[] range = channels.get(key);
            String channelText = range[0] == Integer.MAX_VALUE ? "any"
                    : range[0] == range[1] ? Integer.toString(range[0]) : range[0] + "-" + range[1];
            TreeSet<Integer> rateSet = rates.get(key);
            String rateText = rateSet.contains(Math.round(AudioSystem.NOT_SPECIFIED)) ? "any"
                    : String.join(",", rateSet.stream().map(String::valueOf).toList());
            groups.add(new CaptureDevice.Format(format.getEncoding().toString(), format.getSampleSizeInBits(),
                    format.getSampleSizeInBits() <= 8 ? "" : format.isBigEndian() ? "big-endian" : "little-endian",
                    channelText, rateText));
        });
        return groups;
    }
}
