package dev.sluice.gateway.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A worker's admission gives the slot back when the guest is done, but a stopping worker waits for the answer too:
 * the port closes only once every admitted call's answer is written.
 */
class WorkerAdmissionTest {
    @Test
    void theSlotComesBackBeforeTheAnswerButTheDrainWaitsForTheAnswer() throws Exception {
        WorkerAdmission admission = new WorkerAdmission(1);
        WorkerAdmission.Permit permit = admission.tryEnter().orElseThrow();
        assertTrue(admission.tryEnter().isEmpty(), "full while the guest runs");

        permit.releaseSlot();
        assertEquals(0, admission.running());
        WorkerAdmission.Permit next = admission.tryEnter().orElseThrow(() ->
                new AssertionError("the next call finds room while the first answer is still being written"));
        next.close();

        admission.drain();
        assertFalse(admission.awaitIdle(0), "an answer still being written keeps the worker from being idle");
        permit.close();
        permit.close(); // idempotent
        assertTrue(admission.awaitIdle(0), "every answer written");
        assertEquals(0, admission.running());
        assertTrue(admission.tryEnter().isEmpty(), "draining refuses");
    }

    @Test
    void aStopWaitsForAQuietMomentAfterTheLastAnswerBoundedByWhatIsLeft() {
        java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong(5_000_000_000L);
        WorkerAdmission admission = new WorkerAdmission(2, nanos::get);
        assertEquals(0, admission.quietWaitMillis(1000, 5000), "no answer yet: nothing to wait for");
        admission.tryEnter().orElseThrow().close();
        assertEquals(1000, admission.quietWaitMillis(1000, 5000));
        assertEquals(300, admission.quietWaitMillis(1000, 300), "never past the grace");
        nanos.addAndGet(400_000_000L);
        assertEquals(600, admission.quietWaitMillis(1000, 5000));
        nanos.addAndGet(2_000_000_000L);
        assertEquals(0, admission.quietWaitMillis(1000, 5000));
    }
}
