package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SchedulerSettingsTest {
    @Test
    void defaultsLeaveEveryTenantRoomForOthers() {
        var defaults = SchedulerSettings.defaults();
        int processors = Runtime.getRuntime().availableProcessors();
        assertEquals(Math.max(8, 4 * processors), defaults.workers());
        assertEquals(defaults.workers() / 4, defaults.maxConcurrentPerTenant());
        assertEquals(defaults.workers() / 4, defaults.reservedWorkers());
        assertEquals(64, defaults.queuePerTenant());
        assertEquals(1 << 20, defaults.maxStdoutBytes());
        assertEquals(64 << 10, defaults.maxStderrBytes());
        assertEquals(8L << 20, defaults.workerStackBytes());
    }

    @Test
    void aTwoCoreMachineGetsEightGuestThreadsTwoPerTenantAndTwoInReserve() {
        var settings = SchedulerSettings.forProcessors(2);
        assertEquals(8, settings.workers(), "more guest threads than cores: the OS time-slices them");
        assertEquals(2, settings.maxConcurrentPerTenant());
        assertEquals(2, settings.reservedWorkers());
        assertEquals(1, settings.compileThreads(), "compiling is bounded by cores, not by guest threads");
        assertTrue(3 * settings.maxConcurrentPerTenant() <= settings.workers() - settings.reservedWorkers(),
                "three tenants at their cap leave the reserve untouched");
        var big = SchedulerSettings.forProcessors(32);
        assertEquals(128, big.workers());
        assertEquals(32, big.maxConcurrentPerTenant());
        assertEquals(32, big.reservedWorkers());
        assertEquals(16, big.compileThreads());
    }

    @Test
    void theReserveMustLeaveAWorkerForTenantsAlreadyRunning() {
        var e = assertThrows(SchedulerException.InvalidInput.class,
                () -> new SchedulerSettings(4, 1, 1, 1, 1, 1, 0, 1, 4));
        assertEquals("reserved-workers: 4 (expected: 0..3, fewer than the 4 workers)", e.getMessage());
        e = assertThrows(SchedulerException.InvalidInput.class,
                () -> new SchedulerSettings(4, 1, 1, 1, 1, 1, 0, 1, -1));
        assertEquals("reserved-workers: -1 (expected: 0..3, fewer than the 4 workers)", e.getMessage());
        assertEquals(0, new SchedulerSettings(3, 1, 1, 1, 1, 1).reservedWorkers(), "too small a pool to set aside");
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
