package dev.earshot.gateway.protocol;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which peer addresses may connect: loopback (optional) plus a list of CIDR blocks ({@code 192.168.1.0/24},
 * {@code 10.0.0.7}, {@code fd00::/8}). IPv4-mapped IPv6 peers ({@code ::ffff:a.b.c.d}) match IPv4 blocks.
 * {@link #any()} lets every peer in.
 */
public final class PeerFilter {

    private record Block(byte[] network, int prefix, String text) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final boolean everyone;
    private final boolean loopback;
    private final List<Block> blocks;

    private PeerFilter(boolean everyone, boolean loopback, List<Block> blocks) {
        this.everyone = everyone;
        this.loopback = loopback;
        this.blocks = List.copyOf(blocks);
    }

    public static PeerFilter any() {
        return new PeerFilter(true, true, List.of());
    }

    /**
     * @param key the setting the CIDRs come from, named in the error of a malformed entry
     * @throws IllegalArgumentException naming the key, the entry and the expected form
     */
    public static PeerFilter of(boolean loopback, List<String> cidrs, String key) {
        List<Block> blocks = new ArrayList<>();
        for (String raw : cidrs) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            blocks.add(parse(entry, key));
        }
        return new PeerFilter(false, loopback, blocks);
    }

    private static Block parse(String entry, String key) {
        int slash = entry.indexOf('/');
        String host = slash < 0 ? entry : entry.substring(0, slash);
        String fix = "; expected an IP address or a CIDR block such as 192.168.1.0/24 or fd00::/8";
        if (!host.matches("[0-9A-Fa-f:.]+") || (!host.contains(":") && !host.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) {
            throw new IllegalArgumentException(key + ": '" + entry + "' is not an IP address" + fix);
        }
        byte[] network;
        try {
            network = InetAddress.getByName(host).getAddress(); // a literal: no name look-up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(key + ": '" + entry + "' is not an IP address" + fix);
        }
        int bits = network.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException(key + ": '" + entry + "' has a prefix length outside 0-" + bits + fix);
            }
        }
        return new Block(network, prefix, entry.toLowerCase(Locale.ROOT));
    }

    public boolean allows(InetAddress peer) {
        if (everyone || (loopback && peer.isLoopbackAddress())) {
            return true;
        }
        byte[] address = peer.getAddress();
        if (address.length == 16 && isMappedV4(address)) {
            byte[] v4 = new byte[4];
            System.arraycopy(address, 12, v4, 0, 4);
            address = v4;
            try {
                if (loopback && InetAddress.getByAddress(v4).isLoopbackAddress()) {
                    return true;
                }
            } catch (UnknownHostException impossible) {
                return false;
            }
        }
        for (Block block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isMappedV4(byte[] address) {
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return false;
            }
        }
        return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
    }

    /** Who may connect, for the start-up log. */
    public String describe() {
        if (everyone) {
            return "any peer";
        }
        List<String> parts = new ArrayList<>();
        if (loopback) {
            parts.add("loopback");
        }
        blocks.forEach(b -> parts.add(b.text()));
        return parts.isEmpty() ? "no peer" : String.join(", ", parts);
    }
}
