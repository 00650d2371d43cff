package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.TenantId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each tenant's share of the deploy threads, without HTTP (DeployFairnessTest covers it over HTTP). */
class DeployAdmissionTest {
    private static final TenantId FLOODER = TenantId.of("flooder");
    private static final TenantId OTHER = TenantId.of("other");
    private static final TenantId THIRD = TenantId.of("third");

    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private DeployAdmission admission;

    @AfterEach
    void close() {
        requests.shutdownNow();
        if (admission != null) {
            admission.close();
        }
    }

    /** Starts a deploy of {@code tenant} that holds its deploy thread until {@code release} opens. */
    private Future<String> blockingDeploy(TenantId tenant, CountDownLatch running, CountDownLatch release) {
        DeployAdmission.Ticket ticket = admission.admit(tenant);
        return requests.submit(() -> {
            try (ticket) {
                return ticket.run(() -> {
                    running.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return "deployed";
                });
            }
        });
    }

    @Test
    void tenantOverItsShareIsRefusedAtOnceWhileAnotherTenantDeploys() throws Exception {
        admission = new DeployAdmission(2, 16, 1, Duration.ofSeconds(60));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> first = blockingDeploy(FLOODER, running, release);
        assertTrue(running.await(60, TimeUnit.SECONDS));
        Future<String> waiting = blockingDeploy(FLOODER, new CountDownLatch(1), release);

        ProblemException refused = assertThrows(ProblemException.class, () -> admission.admit(FLOODER));
        assertEquals(ProblemType.DEPLOY_LIMITED, refused.type());
        assertEquals("1", refused.headers().get("Retry-After"));
        assertEquals(2, refused.extensions().get("max-deploys-in-progress"));

        try (DeployAdmission.Ticket other = admission.admit(OTHER)) {
            assertEquals("other's", other.run(() -> "other's"), "the other tenant has a thread of its own");
        }
        release.countDown();
        assertEquals("deployed", first.get(60, TimeUnit.SECONDS));
        assertEquals("deployed", waiting.get(60, TimeUnit.SECONDS));
        try (DeployAdmission.Ticket again = admission.admit(FLOODER)) {
            assertEquals("again", again.run(() -> "again"), "places are given back");
        }
    }

    @Test
    void deployWaitingLongerThanTheMaximumForItsTenantsSlotIsRefused() throws Exception {
        admission = new DeployAdmission(2, 16, 1, Duration.ofMillis(50));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> first = blockingDeploy(FLOODER, running, release);
        assertTrue(running.await(60, TimeUnit.SECONDS));
        try (DeployAdmission.Ticket waiting = admission.admit(FLOODER)) {
            ProblemException refused = assertThrows(ProblemException.class, () -> waiting.run(() -> "never"));
            assertEquals(ProblemType.DEPLOY_LIMITED, refused.type());
        }
        release.countDown();
        assertEquals("deployed", first.get(60, TimeUnit.SECONDS));
    }

    @Test
    void aDeploysOwnFailureReachesTheCallerUnchanged() {
        admission = DeployAdmission.forProcessors(2);
        var rejected = new SchedulerException.ModuleRejected(SchedulerException.ModuleRejected.Reason.MALFORMED, "bad");
        try (DeployAdmission.Ticket ticket = admission.admit(OTHER)) {
            assertSame(rejected, assertThrows(SchedulerException.ModuleRejected.class, () -> ticket.run(() -> {
                throw rejected;
            })));
        }
    }

    /** Admits a deploy of {@code tenant} now and runs it on a request thread of its own. */
    private Future<String> deploy(TenantId tenant, Supplier<String> body) {
        DeployAdmission.Ticket ticket = admission.admit(tenant);
        return requests.submit(() -> {
            try (ticket) {
                return ticket.run(body);
            }
        });
    }

    /** A deploy that holds its thread until {@code release}, deaf to interrupts (parsing a module is, say). */
    private static String holdDeaf(CountDownLatch running, CountDownLatch release) {
        running.countDown();
        boolean interrupted = false;
        while (true) {
            try {
                release.await(60, TimeUnit.SECONDS);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return "deployed";
    }

    @Test
    void closeAnswersEveryQueuedAndWaitingDeployAtOnceWithUnavailable() throws Exception {
        admission = new DeployAdmission(2, 16, 1, Duration.ofSeconds(60));
        CountDownLatch running = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> flooder = deploy(FLOODER, () -> holdDeaf(running, release));
        Future<String> other = deploy(OTHER, () -> holdDeaf(running, release));
        assertTrue(running.await(60, TimeUnit.SECONDS), "both deploy threads busy");
        Future<String> queued = deploy(THIRD, () -> "ran after close");
        Future<String> waitingForSlot = deploy(FLOODER, () -> "ran after close");
        for (int i = 0; i < 60_000 && admission.queuedDeploys() == 0; i++) {
            Thread.sleep(1);
        }
        assertEquals(1, admission.queuedDeploys(), "the third tenant's deploy waits in the queue");

        admission.close();

        // Before the fix the queued caller waited forever and the slot waiter up to its 60 s.
        for (Future<String> dropped : List.of(queued, waitingForSlot)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> dropped.get(30, TimeUnit.SECONDS));
            ProblemException problem = assertInstanceOf(ProblemException.class, e.getCause());
            assertEquals(ProblemType.UNAVAILABLE, problem.type());
            assertEquals("1", problem.headers().get("Retry-After"));
        }
        assertThrows(ProblemException.class, () -> admission.admit(THIRD), "nothing is admitted after close");
        release.countDown();
        assertEquals("deployed", flooder.get(60, TimeUnit.SECONDS), "running deploys end in their own time");
        assertEquals("deployed", other.get(60, TimeUnit.SECONDS));
    }

    @Test
    void anInterruptedCallerLeavesItsTenantsSlotTakenUntilTheDeployReallyEnds() throws Exception {
        admission = new DeployAdmission(2, 16, 1, Duration.ofSeconds(5));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> answered = new AtomicReference<>();
        DeployAdmission.Ticket ticket = admission.admit(FLOODER);
        Thread caller = Thread.ofVirtual().start(() -> {
            try (ticket) {
                ticket.run(() -> holdDeaf(running, release));
            } catch (RuntimeException e) {
                answered.set(e);
            }
        });
        assertTrue(running.await(60, TimeUnit.SECONDS));
        caller.interrupt(); // the request thread gives up (server stopping, say); the deploy thread carries on
        caller.join(60_000);
        ProblemException problem = assertInstanceOf(ProblemException.class, answered.get());
        assertEquals(ProblemType.UNAVAILABLE, problem.type());

        // FLOODER's one running slot is still its first deploy's: a second would take the other tenants' thread.
        try (DeployAdmission.Ticket second = admission.admit(FLOODER)) {
            ProblemException refused = assertThrows(ProblemException.class, () -> second.run(() -> "ran beside it"));
            assertEquals(ProblemType.DEPLOY_LIMITED, refused.type());
        }
        try (DeployAdmission.Ticket other = admission.admit(OTHER)) {
            assertEquals("other's", other.run(() -> "other's"));
        }
        release.countDown();
        try (DeployAdmission.Ticket again = admission.admit(FLOODER)) {
            assertEquals("again", again.run(() -> "again"), "the slot came back when the deploy ended");
        }
    }
}
