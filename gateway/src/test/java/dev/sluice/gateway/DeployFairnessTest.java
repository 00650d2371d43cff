package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.LargeModules;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deploys are bounded per tenant: a tenant flooding the gateway with large deploys gets {@code 429 deploy-limited}
 * (with {@code Retry-After}) beyond its share, at once and never after a hang, while another tenant's deploy and
 * first invocation go through without waiting for the flood's backlog. Over real HTTP against the production routing.
 */
class DeployFairnessTest {
    private static final int FLOOD = 16;
    private static final int FUNCTIONS_PER_MODULE = 2_500;

    @TempDir
    Path dataDir;

    private TestServer server;
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void close() {
        clients.shutdownNow();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void tenantFloodingLargeDeploysIsHeldToItsShareWhileAnotherTenantDeploysAndInvokes() throws Exception {
        server = TestServer.start(dataDir);
        String flooder = server.tenantWithKey("flooder", "{}");
        String victim = server.tenantWithKey("victim", "{}");
        List<byte[]> modules = new ArrayList<>();
        for (int i = 0; i < FLOOD; i++) {
            modules.add(LargeModules.generate(FUNCTIONS_PER_MODULE, i));
        }

        // The victim alone first (after a warm-up deploy that loads the classes), for comparison.
        assertEquals(201, server.deploy(victim, "warm-up", TestModules.load("plain")).status());
        long aloneStarted = System.nanoTime();
        assertEquals(201, server.deploy(victim, "alone", TestModules.load("echo")).status());
        long aloneMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - aloneStarted);

        CountDownLatch refused = new CountDownLatch(1);
        List<Future<Reply>> flood = new ArrayList<>();
        long floodStarted = System.nanoTime();
        for (int i = 0; i < FLOOD; i++) {
            byte[] module = modules.get(i);
            String name = "big-" + (i % 4); // redeploys of a few functions, as a CI loop would
            flood.add(clients.submit(() -> {
                Reply reply = server.deploy(flooder, name, module);
                if (reply.status() >= 400) {
                    refused.countDown();
                }
                return reply;
            }));
        }
        assertTrue(refused.await(60, TimeUnit.SECONDS), "the flooder was held to its share");

        long started = System.nanoTime();
        Reply deployed = server.deploy(victim, "hello", TestModules.load("hello"));
        long deployMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        Reply invoked = server.call(victim, "GET", "/v1/functions/hello/invoke", null, null);
        long totalMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        boolean floodStillRunning = flood.stream().anyMatch(f -> !f.isDone());
        assertEquals(201, deployed.status(), deployed.toString());
        assertEquals(200, invoked.status(), invoked.toString());

        int succeeded = 0;
        int limited = 0;
        for (Future<Reply> future : flood) {
            Reply reply = future.get(120, TimeUnit.SECONDS);
            if (reply.status() == 201 || reply.status() == 200) {
                succeeded++;
            } else {
                assertEquals("deploy-limited", reply.problemType(), reply.toString());
                assertEquals(429, reply.status());
                assertTrue(reply.header("Retry-After").isPresent(), reply.toString());
                limited++;
            }
        }
        long floodMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - floodStarted);
        System.out.printf("victim deploy alone %d ms; beside the flood: deploy %d ms, deploy+invoke %d ms;"
                        + " flood of %d modules of %d KB: %d deployed, %d deploy-limited, %d ms in all"
                        + " (victim done while the flood ran: %s)%n", aloneMillis, deployMillis, totalMillis, FLOOD,
                modules.getFirst().length / 1024, succeeded, limited, floodMillis, floodStillRunning);
        assertTrue(succeeded >= 1, "the flooder's share was served");
        assertTrue(limited >= 1, "beyond its share the flooder was refused");
        assertTrue(floodStillRunning, "the victim did not wait for the flood's backlog (took " + totalMillis + " ms)");
        assertTrue(deployMillis < 15_000, "victim deploy took " + deployMillis + " ms");
    }
}
