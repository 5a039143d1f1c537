package dev.earshot.spi.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EngineHealthTest {

    @Test
    void factoriesSetStatusAndDetail() {
        assertSame(EngineHealth.up(), EngineHealth.up());
        assertEquals(new EngineHealth(EngineHealth.Status.UP, ""), EngineHealth.up());
        assertEquals(new EngineHealth(EngineHealth.Status.DEGRADED, "slow"), EngineHealth.degraded("slow"));
        assertEquals(EngineHealth.Status.DOWN, EngineHealth.down("no model").status());
        assertNotEquals(EngineHealth.down("a"), EngineHealth.down("b"));
    }

    @Test
    void nullsAreRejectedByName() {
        assertEquals("detail is null", assertThrows(NullPointerException.class, () -> EngineHealth.down(null)).getMessage());
        assertEquals("status is null",
                assertThrows(NullPointerException.class, () -> new EngineHealth(null, "")).getMessage());
    }
}
