package dev.earshot.plugins.microphone;

import dev.earshot.spi.PluginException;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.DataLine;
import javax.sound.sampled.Mixer;
import javax.sound.sampled.TargetDataLine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.sound.sampled.LineUnavailableException;

import static java.util.Objects.requireNonNull;

/**
 * The capture devices the JDK sees: mixers of {@code javax.sound.sampled} with at least one capture line
 * ({@link TargetDataLine}). On Linux these are the ALSA cards ({@code "Device [plughw:1,0]"}) and ALSA's
 * {@code default} device (PulseAudio or PipeWire when one runs).
 */
final class CaptureDevices {

    /** A capture device: the mixer's name (what {@code device} matches) and its description. */
    record Device(String name, String description, Mixer.Info info) {
        @Override
        public String toString() {
            return "'" + name + "'" + (description.isBlank() ? "" : " (" + description + ")");
        }
    }

    private CaptureDevices() {
    }

    /** The devices with a capture line, in the order the JDK lists them. */
    static List<Device> list() {
        List<Device> devices = new ArrayList<>();
        for (Mixer.Info info : AudioSystem.getMixerInfo()) {
            Mixer mixer;
            try {
                mixer = AudioSystem.getMixer(info);
            } catch (RuntimeException e) {
                continue; // a mixer that disappeared between listing and asking
            }
            if (mixer.isLineSupported(new DataLine.Info(TargetDataLine.class, null))) {
                devices.add(new Device(info.getName(), info.getDescription() == null ? "" : info.getDescription(), info));
            }
        }
        return devices;
    }

    /**
     * The device {@code wanted} names: the one whose name equals it (ignoring case), else the only one whose name or
     * description contains it. Errors name the option, the value and the devices there are.
     *
     * @param key the option's full key, for messages
     */
    static Device select(List<Device> devices, String wanted, String key) {
        requireNonNull(devices, "devices is null");
        requireNonNull(wanted, "wanted is null");
        if (devices.isEmpty()) {
            throw new PluginException(key + ": no capture device matches '" + wanted + "': the JDK sees no capture"
                    + " devices at all (" + noDevicesHint() + ")");
        }
        for (Device device : devices) {
            if (device.name().equalsIgnoreCase(wanted)) {
                return device;
            }
        }
        String needle = wanted.toLowerCase(Locale.ROOT);
        List<Device> matches = devices.stream()
                .filter(d -> d.name().toLowerCase(Locale.ROOT).contains(needle)
                        || d.description().toLowerCase(Locale.ROOT).contains(needle))
                .toList();
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw new PluginException(key + ": no capture device matches '" + wanted + "'; available: "
                    + describe(devices) + " (GET /api/devices/audio lists them with their formats; the JDK lists devices once,"
                    + " when first asked: a device plugged in later needs a restart of the gateway)");
        }
        throw new PluginException(key + ": '" + wanted + "' matches several capture devices: " + describe(matches)
                + "; write more of the name");
    }

    /** The line of the system's default capture device for this format, with a message naming what is there. */
    static TargetDataLine defaultLine(AudioFormat format, String key) {
        DataLine.Info wanted = new DataLine.Info(TargetDataLine.class, format);
        List<Device> devices = list();
        if (devices.isEmpty()) {
            throw new PluginException(key + " is not set (the system's default capture device) and the JDK sees no"
                    + " capture devices at all (" + noDevicesHint() + ")");
        }
        try {
            return (TargetDataLine) AudioSystem.getLine(wanted);
        } catch (IllegalArgumentException | LineUnavailableException e) {
            throw new PluginException(key + " is not set and no capture device takes " + describe(format)
                    + "; available: " + describe(devices) + "; set " + key + " or another sample-rate/channels", e);
        }
    }

    /** The line of a device for this format, or an error naming the device and the format. */
    static TargetDataLine line(Device device, AudioFormat format, String key) {
        DataLine.Info wanted = new DataLine.Info(TargetDataLine.class, format);
        Mixer mixer = AudioSystem.getMixer(device.info());
        if (!mixer.isLineSupported(wanted)) {
            throw new PluginException(key + ": capture device " + device + " does not take " + describe(format)
                    + "; try another sample-rate or channels");
        }
        try {
            return (TargetDataLine) mixer.getLine(wanted);
        } catch (IllegalArgumentException | LineUnavailableException e) {
            throw new PluginException(key + ": capture device " + device + " has no line for " + describe(format)
                    + ": " + e.getMessage(), e);
        }
    }

    static String describe(List<Device> devices) {
        return devices.stream().map(Device::toString).collect(Collectors.joining(", "));
    }

    static String describe(AudioFormat format) {
        return (int) format.getSampleRate() + " Hz " + format.getChannels() + "-channel 16-bit PCM";
    }

    private static String noDevicesHint() {
        return "no sound card in /dev/snd this process may open, and no PulseAudio/PipeWire server it could reach"
                + " when it first looked (the JDK lists devices once per process); see README, Microphones";
    }
}
