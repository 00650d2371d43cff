package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SchedulerSettingsTest {
    @Test
    void defaultsLeaveEveryTenantRoomForOthers() {
        var defaults = SchedulerSettings.defaults();
        assertTrue(defaults.workers() >= 2);
        assertEquals(Math.max(1, defaults.workers() - 1), defaults.maxConcurrentPerTenant());
        assertEquals(64, defaults.queuePerTenant());
        assertEquals(1 << 20, defaults.maxStdoutBytes());
        assertEquals(64 << 10, defaults.maxStderrBytes());
        assertEquals(8L << 20, defaults.workerStackBytes());
    }

    @Test
    void nonPositiveValuesAreRejectedNamingTheSetting() {
        var e = assertThrows(SchedulerException.InvalidInput.class,
                () -> new SchedulerSettings(0, 1, 1, 1, 1, 1));
        assertEquals("workers: 0 (expected: > 0)", e.getMessage());
        e = assertThrows(SchedulerException.InvalidInput.class, () -> new SchedulerSettings(1, 1, 1, 1, -5, 1));
        assertEquals("max-stderr-bytes: -5 (expected: > 0)", e.getMessage());
    }
}
