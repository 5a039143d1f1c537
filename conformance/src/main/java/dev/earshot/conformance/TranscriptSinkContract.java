package dev.earshot.conformance;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link TranscriptSink} contract. Extend it and make the sink, twice: once against a receiver that takes
 * events, once against one that is down or slow (a closed port, a receiver that stalls):
 *
 * <pre>{@code
 * class MySinkConformanceTest extends TranscriptSinkContract {
 *     protected TranscriptSink createSink() throws Exception { ... receiver up ... }
 *     protected TranscriptSink createSinkWithUnavailableReceiver() throws Exception { ... closed port ... }
 * }
 * }</pre>
 *
 * <p>Checked: partials and finals are delivered from one thread in order and close returns; {@code close()} is
 * idempotent; while the receiver is unavailable every delivery returns or throws within the time limit, and the
 * sink keeps nothing it could not deliver (the host spools finals): heap stays flat over many large events.
 */
public abstract class TranscriptSinkContract {

    protected abstract TranscriptSink createSink() throws Exception;

    /** The sink against a receiver that is down or slow; by default the same as {@link #createSink()}. */
    protected TranscriptSink createSinkWithUnavailableReceiver() throws Exception {
        return createSink();
    }

    /** How long one delivery may take (with a receiver that is down). */
    protected Duration deliveryLimit() {
        return Duration.ofSeconds(15);
    }

    /** Events sent to the unavailable receiver; each carries about 64 KiB of text. */
    protected int unavailableEvents() {
        return 300;
    }

    private final List<TranscriptSink> created = new ArrayList<>();

    @AfterEach
    void closeSinks() throws Exception {
        for (TranscriptSink sink : created) {
            sink.close();
        }
    }

    protected static TranscriptEvent event(long sequence, boolean isFinal, String text) {
        return new TranscriptEvent("conformance-" + sequence, isFinal ? TranscriptEvent.Type.FINAL : TranscriptEvent.Type.PARTIAL,
                "conformance", "conformance-session", sequence, text,
                isFinal ? List.of(new Word("hello", 0.1, 0.4, 0.9)) : List.of(), List.of(), sequence * 0.5, Instant.now());
    }

    @Test
    void deliversInOrderAndClosesIdempotently() throws Exception {
        TranscriptSink sink = createSink();
        Watchdog.run(deliveryLimit().multipliedBy(2), "deliveries and close", () -> {
            for (int i = 0; i < 5; i++) {
                if (sink.acceptsPartials()) {
                    sink.deliver(event(2L * i, false, "hello"));
                }
                sink.deliver(event(2L * i + 1, true, "hello world " + i));
            }
            sink.close();
            sink.close();
        });
    }

    @Test
    void anUnavailableReceiverNeitherBlocksForeverNorGrowsMemory() throws Exception {
        TranscriptSink sink = createSinkWithUnavailableReceiver();
        created.add(sink);
        String text = "word ".repeat(64 * 1024 / 5);
        long heapBefore = Watchdog.retainedHeap();
        int failed = 0;
        for (int i = 0; i < unavailableEvents(); i++) {
            TranscriptEvent event = event(i, true, text);
            try {
                Watchdog.run(deliveryLimit(), "delivery " + i + " to an unavailable receiver", () -> sink.deliver(event));
            } catch (AssertionError hang) {
                throw hang;
            } catch (Exception refused) {
                failed++;
            }
        }
        long grown = Watchdog.retainedHeap() - heapBefore;
        long sent = (long) unavailableEvents() * text.length();
        int refusedCount = failed;
        assertTrue(grown < Math.min(sent / 2, 16L * 1024 * 1024), () -> "heap grew by " + grown / 1024 + " KiB after "
                + unavailableEvents() + " events of 64 KiB (" + refusedCount + " refused): the sink keeps what it could not deliver");
    }
}
