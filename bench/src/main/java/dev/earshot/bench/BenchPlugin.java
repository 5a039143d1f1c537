package dev.earshot.bench;

import dev.earshot.plugins.vosk.VoskPlugin;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.engine.SpeechEngineFactory;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Instruments for the benchmarks:
 * <ul>
 * <li>engine {@code null}: decodes nothing, records the hand-off latency of each frame (offer to recognizer), so the
 * gateway's own ceiling can be measured;</li>
 * <li>engine {@code timed-vosk}: the Vosk engine with the time of each recognizer call recorded;</li>
 * <li>sink {@code clock}: records when each final arrives, optionally taking {@code delay} per event.</li>
 * </ul>
 */
final class BenchPlugin implements Plugin {

    /** Per session: offer time (System.nanoTime) of each frame, indexed by sequence modulo the ring size. */
    final Map<String, long[]> offerTimes = new ConcurrentHashMap<>();
    static final int RING = 256;
    final long[] handOffNanos = new long[2_000_000];
    final AtomicInteger handOffs = new AtomicInteger();
    final AtomicLong nullFrames = new AtomicLong();

    /**
     * Per session: [0] when its last accept() returned, [1] when flush() started, [2] when flush() returned, [3] when
     * the recognizer reported the final hypothesis from flush().
     */
    final Map<String, long[]> voskTimes = new ConcurrentHashMap<>();
    final Map<String, Long> finalArrivals = new ConcurrentHashMap<>();
    final AtomicLong sinkDelayMillis = new AtomicLong();
    final AtomicLong finalsDelivered = new AtomicLong();
    /** Finals the timed Vosk engine reported (before any sink). */
    final AtomicLong finalsProduced = new AtomicLong();

    private final VoskPlugin vosk = new VoskPlugin();

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public Iterable<SpeechEngineFactory> engineFactories() {
        SpeechEngineFactory voskFactory = vosk.engineFactories().iterator().next();
        return List.of(new SpeechEngineFactory() {
            @Override
            public String name() {
                return "null";
            }

            @Override
            public SpeechEngine create(PluginContext context) {
                return new NullEngine();
            }
        }, new SpeechEngineFactory() {
            @Override
            public String name() {
                return "timed-vosk";
            }

            @Override
            public SpeechEngine create(PluginContext context) throws Exception {
                return new TimedEngine(voskFactory.create(context));
            }
        });
    }

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new TranscriptSinkFactory() {
            @Override
            public String name() {
                return "clock";
            }

            @Override
            public TranscriptSink create(PluginContext context) {
                return new TranscriptSink() {
                    @Override
                    public void deliver(TranscriptEvent event) throws Exception {
                        if (event.isFinal()) {
                            finalArrivals.putIfAbsent(event.session(), System.nanoTime());
                            finalsDelivered.incrementAndGet();
                        }
                        long delay = sinkDelayMillis.get();
                        if (delay > 0) {
                            Thread.sleep(delay);
                        }
                    }
                };
            }
        });
    }

    void recordOffer(String session, long sequence) {
        offerTimes.computeIfAbsent(session, s -> new long[RING])[(int) (sequence % RING)] = System.nanoTime();
    }

    private final class NullEngine implements SpeechEngine {
        @Override
        public AudioFormat inputFormat() {
            return AudioFormat.SPEECH_16K;
        }

        @Override
        public Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) {
            String session = options.session().id();
            return new Recognizer() {
                @Override
                public void accept(AudioFrame frame) {
                    long[] times = offerTimes.get(session);
                    if (times != null) {
                        int index = handOffs.getAndIncrement();
                        if (index < handOffNanos.length) {
                            handOffNanos[index] = System.nanoTime() - times[(int) (frame.sequence() % RING)];
                        }
                    }
                    nullFrames.incrementAndGet();
                }

                @Override
                public void flush() {
                    listener.onHypothesis(Hypothesis.finalResult("null", List.of()));
                }

                @Override
                public void close() {
                    offerTimes.remove(session);
                }
            };
        }

        @Override
        public void close() {
        }
    }

    private final class TimedEngine implements SpeechEngine {
        private final SpeechEngine delegate;

        TimedEngine(SpeechEngine delegate) {
            this.delegate = delegate;
        }

        @Override
        public AudioFormat inputFormat() {
            return delegate.inputFormat();
        }

        @Override
        public Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) throws Exception {
            long[] times = new long[4];
            voskTimes.put(options.session().id(), times);
            Recognizer recognizer = delegate.createRecognizer(options, hypothesis -> {
                if (hypothesis.isFinal() && !hypothesis.text().isEmpty()) {
                    finalsProduced.incrementAndGet();
                }
                if (hypothesis.isFinal() && times[1] != 0 && times[3] == 0) {
                    times[3] = System.nanoTime();
                }
                listener.onHypothesis(hypothesis);
            });
            return new Recognizer() {
                @Override
                public void accept(AudioFrame frame) throws Exception {
                    recognizer.accept(frame);
                    times[0] = System.nanoTime();
                }

                @Override
                public void flush() throws Exception {
                    times[1] = System.nanoTime();
                    recognizer.flush();
                    times[2] = System.nanoTime();
                }

                @Override
                public void close() {
                    recognizer.close();
                }
            };
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
