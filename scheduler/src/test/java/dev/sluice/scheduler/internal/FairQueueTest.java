package dev.sluice.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.Overloaded;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules WorkerPool and the cluster balancer share, without threads. */
class FairQueueTest {
    @Test
    void aTenantWithOneWaitingIsServedBeforeAFloodingTenantRunningMore() {
        FairQueue<String> queue = new FairQueue<>(Integer.MAX_VALUE, 1000, 0);
        for (int i = 0; i < 1000; i++) {
            queue.offer("flood", "f" + i);
        }
        assertEquals("f0", queue.poll(1, any -> true));
        queue.offer("victim", "v");
        assertEquals("v", queue.poll(1, any -> true), "the victim runs nothing, the flood one");
        assertEquals(999, queue.queued("flood"));
    }

    @Test
    void aFullTenantQueueIsRefusedWhileOthersStillQueue() {
        FairQueue<String> queue = new FairQueue<>(4, 2, 0);
        queue.offer("a", "a1");
        queue.offer("a", "a2");
        Overloaded e = assertThrows(Overloaded.class, () -> queue.offer("a", "a3"));
        assertEquals("the tenant has 2 invocations waiting (limit: 2)", e.getMessage(), "no owner string: it is the tenant's internal uid");
        queue.offer("b", "b1");
        assertEquals(3, queue.queued());
    }

    @Test
    void tiesGoRoundRobinAndThePerTenantCapHolds() {
        FairQueue<String> queue = new FairQueue<>(2, 10, 0);
        queue.offer("a", "a1");
        queue.offer("a", "a2");
        queue.offer("a", "a3");
        queue.offer("b", "b1");
        queue.offer("b", "b2");
        assertEquals("a1", queue.poll(10, any -> true));
        assertEquals("b1", queue.poll(10, any -> true));
        assertEquals("a2", queue.poll(10, any -> true));
        assertEquals("b2", queue.poll(10, any -> true));
        assertNull(queue.poll(10, any -> true), "a runs its cap of 2");
        queue.finished("a");
        assertEquals("a3", queue.poll(10, any -> true));
    }

    @Test
    void theReserveGoesOnlyToTenantsRunningNothing() {
        FairQueue<String> queue = new FairQueue<>(10, 10, 1);
        queue.offer("a", "a1");
        queue.offer("a", "a2");
        assertEquals("a1", queue.poll(2, any -> true));
        assertFalse(queue.hasNext(1, any -> true), "the last free slot is reserved");
        queue.offer("b", "b1");
        assertEquals("b1", queue.poll(1, any -> true));
    }

    @Test
    void anUnservableHeadSkipsItsTenantAndRemovedItemsLeaveNoTrace() {
        FairQueue<String> queue = new FairQueue<>(10, 10, 0);
        queue.offer("a", "a1");
        queue.offer("b", "b1");
        assertEquals("b1", queue.poll(5, item -> !item.startsWith("a")));
        assertTrue(queue.remove("a", "a1"));
        assertFalse(queue.remove("a", "a1"));
        assertEquals(0, queue.queued());
        queue.offer("c", "c1");
        queue.offer("c", "c2");
        assertEquals(List.of("c2"), queue.removeIf("c2"::equals));
        assertEquals(1, queue.queued("c"));
        queue.finished("b");
        assertThrows(IllegalStateException.class, () -> queue.finished("b"));
    }
}
