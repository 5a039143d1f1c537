package dev.earshot.gateway.delivery;

import dev.earshot.spi.transcript.TranscriptEvent;

/** Lets API tests publish events on the live bus directly, as a pipeline would. */
public final class TestBus {

    private TestBus() {
    }

    public static void publish(TranscriptBus bus, TranscriptEvent event) {
        bus.publish(event);
    }
}
