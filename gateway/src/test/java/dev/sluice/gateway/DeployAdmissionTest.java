package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.TenantId;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each tenant's share of the deploy threads, without HTTP (DeployFairnessTest covers it over HTTP). */
class DeployAdmissionTest {
    private static final TenantId FLOODER = TenantId.of("flooder");
    private static final TenantId OTHER = TenantId.of("other");

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
}
