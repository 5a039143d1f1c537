package dev.earshot.gateway.protocol.wyomingserver;

import dev.earshot.gateway.TestLink;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Zeroconf advertising of the Wyoming server, seen by python-zeroconf (the library Home Assistant discovers with) on
 * another host: a browser in the test link's client namespace finds {@code _wyoming._tcp} with the gateway's LAN
 * address and port, and sees it leave when the gateway stops. A loopback-only server is not advertised.
 */
class ZeroconfAdvertiserTest {

    @BeforeAll
    static void link() {
        TestLink.up();
    }

    @Test
    void homeAssistantsZeroconfLibraryOnTheLanFindsTheServerAndSeesItLeave() throws Exception {
        Path script = Path.of(getClass().getResource("/zeroconf/browse_wyoming.py").toURI());
        Process browser = new ProcessBuilder("ip", "netns", "exec", TestLink.NAMESPACE, TestLink.PYTHON,
                script.toString(), TestLink.CLIENT_ADDRESS, "60").redirectErrorStream(true).start();
        List<JsonObject> seen = new CopyOnWriteArrayList<>();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    if (line.startsWith("{")) {
                        seen.add(new JsonObject(line));
                    }
                }
            } catch (Exception ignored) {
                // the browser ended
            }
        }, "zeroconf-browser-reader");
        reader.start();
        String name = "earshot-test-" + ProcessHandle.current().pid();
        try {
            await(seen, e -> e.getString("change").equals("browsing"), output, "the browser runs");
            ZeroconfAdvertiser advertiser = new ZeroconfAdvertiser(name, TestLink.HOST_ADDRESS, 10300);
            try {
                assertTrue(advertiser.awaitStarted(15_000), "registered within 15 s");
                JsonObject added = await(seen, e -> e.getString("change").equals("added"), output, "the service is found");
                assertEquals(name + "." + ZeroconfAdvertiser.SERVICE_TYPE, added.getString("name"));
                assertEquals(List.of(TestLink.HOST_ADDRESS), added.getJsonArray("addresses").getList());
                assertEquals(10300, added.getInteger("port"));
            } finally {
                advertiser.close();
            }
            await(seen, e -> e.getString("change").equals("removed"), output, "the goodbye withdraws it");
        } finally {
            browser.destroy();
            if (!browser.waitFor(10, TimeUnit.SECONDS)) {
                browser.destroyForcibly();
            }
            reader.join(5000);
        }
    }

    @Test
    void aServerOnLoopbackIsNotAdvertisedAndAnyAddressMeansEveryLanAddress() throws Exception {
        assertEquals(List.of(), ZeroconfAdvertiser.addresses("127.0.0.1"));
        assertEquals(List.of(), ZeroconfAdvertiser.addresses("::1"));
        assertEquals(List.of(InetAddress.getByName(TestLink.HOST_ADDRESS)), ZeroconfAdvertiser.addresses(TestLink.HOST_ADDRESS));
        List<InetAddress> any = ZeroconfAdvertiser.addresses("0.0.0.0");
        assertTrue(any.contains(InetAddress.getByName(TestLink.HOST_ADDRESS)), "0.0.0.0 covers the link: " + any);
        assertTrue(any.stream().noneMatch(InetAddress::isLoopbackAddress), "never loopback: " + any);
    }

    private static JsonObject await(List<JsonObject> seen, Predicate<JsonObject> what, List<String> output,
                                    String description) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonObject event : seen) {
                if (what.test(event)) {
                    return event;
                }
            }
            Thread.sleep(50);
        }
        fail("timed out: " + description + "; the browser printed: " + output);
        return null;
    }
}
