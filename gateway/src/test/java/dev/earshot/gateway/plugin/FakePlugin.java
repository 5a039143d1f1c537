package dev.earshot.gateway.plugin;

import dev.earshot.spi.source.SessionOutcome;
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
import dev.earshot.spi.transcript.Word;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test plugin whose engine decodes nothing: it reports a partial per frame ("frames N") and a final with the
 * number of frames seen at flush. Lets the runtime's contracts be tested fast and exactly; real speech is tested
 * with the Vosk plugin elsewhere.
 */
public final class FakePlugin implements Plugin {

    public final Map<String, AtomicInteger> recognizersPerSession = new ConcurrentHashMap<>();
    public final AtomicInteger openRecognizers = new AtomicInteger();
    public final List<TranscriptEvent> delivered = new CopyOnWriteArrayList<>();
    public volatile Duration sinkDelay = Duration.ZERO;
    public volatile Duration decodeDelay = Duration.ZERO;
    /** What the engine reports as its {@link SpeechEngine#stats()} (none unless a test sets some). */
    public volatile List<dev.earshot.spi.engine.EngineStat> engineStats = List.of();

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public Iterable<SpeechEngineFactory> engineFactories() {
        return List.of(new SpeechEngineFactory() {
            @Override
            public String name() {
                return "counting";
            }

            @Override
            public SpeechEngine create(PluginContext context) {
                int rate = context.config().getInt("sample-rate", 16000, 8000, 48000);
                return new CountingEngine(new AudioFormat(rate, 1));
            }
        });
    }

    /** Calls seen by "probe" hooks: "started <session>", "stopped <session> <reason>". */
    public final List<String> hookCalls = new CopyOnWriteArrayList<>();

    @Override
    public Iterable<dev.earshot.spi.hook.SessionHookFactory> sessionHookFactories() {
        return List.of(new dev.earshot.spi.hook.SessionHookFactory() {
            @Override
            public String name() {
                return "probe";
            }

            @Override
            public dev.earshot.spi.hook.SessionHook create(PluginContext context) {
                String behaviour = context.config().getChoice("on-start", "record", java.util.Set.of("record", "throw", "hang"));
                return new dev.earshot.spi.hook.SessionHook() {
                    @Override
                    public void sessionStarted(dev.earshot.spi.hook.SessionInfo session) throws Exception {
                        hookCalls.add("started " + session.id());
                        if (behaviour.equals("throw")) {
                            throw new IllegalStateException("probe refuses " + session.origin());
                        } else if (behaviour.equals("hang")) {
                            Thread.sleep(60_000);
                        }
                    }

                    @Override
                    public void sessionStopped(dev.earshot.spi.hook.SessionInfo session, SessionOutcome reason) {
                        hookCalls.add("stopped " + session.id() + " " + reason);
                    }
                };
            }
        });
    }

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new TranscriptSinkFactory() {
            @Override
            public String name() {
                return "memory";
            }

            @Override
            public TranscriptSink create(PluginContext context) {
                return event -> {
                    if (!sinkDelay.isZero()) {
                        Thread.sleep(sinkDelay.toMillis());
                    }
                    delivered.add(event);
                };
            }
        });
    }

    final class CountingEngine implements SpeechEngine {
        private final AudioFormat format;

        CountingEngine(AudioFormat format) {
            this.format = format;
        }

        @Override
        public AudioFormat inputFormat() {
            return format;
        }

        @Override
        public Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) {
            recognizersPerSession.computeIfAbsent(options.session().id(), id -> new AtomicInteger()).incrementAndGet();
            openRecognizers.incrementAndGet();
            return new Recognizer() {
                private long frames;
                private long samples;
                private boolean closed;

                @Override
                public void accept(AudioFrame frame) {
                    if (closed) {
                        throw new IllegalStateException("accept after close");
                    }
                    if (!decodeDelay.isZero()) {
                        try {
                            Thread.sleep(decodeDelay.toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    frames++;
                    samples += frame.sampleCount();
                    listener.onHypothesis(Hypothesis.partial("frames " + frames));
                }

                @Override
                public void flush() {
                    double seconds = (double) samples / format.sampleRate();
                    listener.onHypothesis(Hypothesis.finalResult("frames " + frames + " samples " + samples,
                            List.of(new Word("frames", 0, seconds, 1.0))));
                }

                @Override
                public void close() {
                    if (!closed) {
                        closed = true;
                        openRecognizers.decrementAndGet();
                    }
                }
            };
        }

        @Override
        public List<dev.earshot.spi.engine.EngineStat> stats() {
            return engineStats;
        }

        @Override
        public void close() {
        }
    }
}
