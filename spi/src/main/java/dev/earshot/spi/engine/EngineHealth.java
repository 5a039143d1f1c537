package dev.earshot.spi.engine;

import static java.util.Objects.requireNonNull;

/**
 * How a speech engine is doing right now, as the host shows it in readiness and the pipelines API.
 *
 * @param status {@link Status#UP}, or {@link Status#DEGRADED} while it works only in part (e.g. an out-of-process
 *               engine restarting its program: sessions stay open but their audio is dropped), or {@link Status#DOWN}
 * @param detail what is wrong and what the engine does about it, for people; empty when up
 */
public record EngineHealth(Status status, String detail) {

    public enum Status { UP, DEGRADED, DOWN }

    private static final EngineHealth UP = new EngineHealth(Status.UP, "");

    public EngineHealth {
        requireNonNull(status, "status is null");
        requireNonNull(detail, "detail is null");
    }

    public static EngineHealth up() {
        return UP;
    }

    public static EngineHealth degraded(String detail) {
        return new EngineHealth(Status.DEGRADED, detail);
    }

    public static EngineHealth down(String detail) {
        return new EngineHealth(Status.DOWN, detail);
    }
}
