package dev.earshot.gateway.protocol;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CIDR matching of the Wyoming allow-list, and its errors. */
class PeerFilterTest {

    private static final String KEY = "earshot.ingest.wyoming.allowed-peers";

    private static boolean allows(PeerFilter filter, String address) throws Exception {
        return filter.allows(InetAddress.getByName(address));
    }

    @Test
    void blocksLoopbackAndMappedAddresses() throws Exception {
        PeerFilter filter = PeerFilter.of(true, List.of("192.168.1.0/24", " 10.0.0.7 ", "fd00::/8"), KEY);
        assertTrue(allows(filter, "192.168.1.200"));
        assertFalse(allows(filter, "192.168.2.1"));
        assertTrue(allows(filter, "10.0.0.7"));
        assertFalse(allows(filter, "10.0.0.8"));
        assertTrue(allows(filter, "fd12::1"));
        assertFalse(allows(filter, "fe80::1"));
        assertTrue(allows(filter, "127.0.0.5"));
        assertTrue(allows(filter, "::1"));
        assertTrue(allows(filter, "::ffff:192.168.1.9"), "IPv4-mapped IPv6 matches the IPv4 block");
        assertEquals("loopback, 192.168.1.0/24, 10.0.0.7, fd00::/8", filter.describe());
    }

    @Test
    void oddPrefixesAndNoLoopback() throws Exception {
        PeerFilter filter = PeerFilter.of(false, List.of("172.16.0.0/12"), KEY);
        assertTrue(allows(filter, "172.31.255.255"));
        assertFalse(allows(filter, "172.32.0.0"));
        assertFalse(allows(filter, "127.0.0.1"));
        assertTrue(PeerFilter.any().allows(InetAddress.getByName("8.8.8.8")));
    }

    @Test
    void malformedEntriesNameTheKeyAndTheFix() {
        for (String bad : List.of("kitchen.local", "10.0.0.0/33", "10.0.0/8", "fd00::/129", "1.2.3.4/x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeerFilter.of(true, List.of(bad), KEY));
            assertTrue(e.getMessage().startsWith(KEY + ": '" + bad + "'") && e.getMessage().contains("CIDR"), e.getMessage());
        }
    }
}
