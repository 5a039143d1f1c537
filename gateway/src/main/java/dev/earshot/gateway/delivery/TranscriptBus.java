package dev.earshot.gateway.delivery;

import dev.earshot.spi.transcript.TranscriptEvent;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Fans every transcript event out to live subscribers (the SSE stream). Subscribers must not block: each hops to its
 * own context and applies its own bounds.
 */
public final class TranscriptBus {

    private final CopyOnWriteArrayList<Consumer<TranscriptEvent>> subscribers = new CopyOnWriteArrayList<>();

    public AutoCloseable subscribe(Consumer<TranscriptEvent> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    public void publish(TranscriptEvent event) {
        for (Consumer<TranscriptEvent> subscriber : subscribers) {
            try {
                subscriber.accept(event);
            } catch (RuntimeException e) {
                System.getLogger(TranscriptBus.class.getName()).log(System.Logger.Level.WARNING,
                        "transcript subscriber failed; it keeps its subscription", e);
            }
        }
    }
}
