package dev.earshot.plugins.file;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Opens {@link FakeSession}s, each with a consumer thread; lets a test adjust a session before it is used. */
final class FakeSourceContext implements SourceContext {

    private final Consumer<FakeSession> setup;
    final List<FakeSession> sessions = new CopyOnWriteArrayList<>();

    FakeSourceContext() {
        this(session -> {
        });
    }

    FakeSourceContext(Consumer<FakeSession> setup) {
        this.setup = setup;
    }

    @Override
    public AudioSession openSession(String origin, AudioFormat format, Pacing pacing, Map<String, String> attributes) {
        FakeSession session = new FakeSession(origin, format, pacing, attributes);
        setup.accept(session);
        sessions.add(session);
        session.startConsumer();
        return session;
    }

    FakeSession only() {
        if (sessions.size() != 1) {
            throw new AssertionError("expected one session, found " + sessions.size());
        }
        return sessions.get(0);
    }
}
