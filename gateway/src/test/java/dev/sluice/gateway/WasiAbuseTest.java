package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.scheduler.testing.WasiCallModules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's WASI bombs over real HTTP: a 1-page function calling {@code fd_read} on stdin twenty times with one
 * iovec of length {@code 0x7ffffff0} (before: 2 GiB allocated per call, 504 after 10.4 s against a 3 s timeout, and
 * other tenants' calls refused with 503 while four ran). Now every call gets {@code EFAULT}, which the bomb passes to
 * {@code proc_exit}, so it is answered well within its timeout with a {@code function-failed} problem carrying exit
 * code 21, and another tenant's {@code hello} succeeds meanwhile and afterwards.
 */
class WasiAbuseTest extends TenantApiTestBase {
    /** Well within the bombs' 3 000 ms timeout, and generous for a loaded machine: a bomb now takes milliseconds. */
    private static final long ANSWERED_WITHIN_MS = 1_500;
    private static final int EFAULT = 21;
    private static final List<String> FD_READ = List.of("i32", "i32", "i32", "i32");

    /** twenty {@code fd_read(0, [iovec (16, length)], 1, 512)} calls, then {@code proc_exit(errno)}. */
    private static byte[] fdReadBomb(int length) {
        return WasiCallModules.calling("fd_read", FD_READ, true, new long[] {0, 1024, 1, 512},
                Map.of(1024, 16, 1028, length), 20, 1);
    }

    private Reply invoke(String apiKey, String name, byte[] body) {
        return server.call(apiKey, "POST", "/v1/functions/" + name + "/invoke", body, "application/octet-stream");
    }

    /** The bomb's answer: prompt, never a timeout or an internal error, and a problem document if not a result. */
    private void assertAnsweredPromptly(String bomb) {
        long started = System.nanoTime();
        Reply reply = invoke(key, bomb, "some input".getBytes());
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertTrue(ms < ANSWERED_WITHIN_MS, bomb + " answered after " + ms + " ms: " + reply);
        assertNotEquals(504, reply.status(), reply.toString());
        assertNotEquals(500, reply.status(), reply.toString());
        // The guest got EFAULT from every call and exited with it: a problem document saying so.
        assertEquals("function-failed", reply.problemType(), reply.toString());
        assertEquals(EFAULT, reply.json().get("exit-code").asInt(), reply.toString());
    }

    private void assertHelloSucceeds(String apiKey) {
        Reply reply = invoke(apiKey, "hello", new byte[0]);
        assertEquals(200, reply.status(), reply.toString());
        assertEquals("hello \n", reply.body());
    }

    @Test
    void fdReadBombsAreAnsweredWithinTheirTimeoutWhileAnotherTenantsHelloSucceeds() throws Exception {
        String bystander = server.tenantWithKey("bystander", "{}");
        assertEquals(201, server.deploy(bystander, "hello", TestModules.load("hello")).status());
        for (var bomb : Map.of("bomb", 0x7FFF_FFF0, "bomb-negative", 0xFFFF_FFFF).entrySet()) {
            Reply deployed = server.call(key, "PUT", "/v1/functions/" + bomb.getKey() + "?timeout-ms=3000",
                    fdReadBomb(bomb.getValue()), "application/wasm");
            assertEquals(201, deployed.status(), deployed.toString());
        }
        assertAnsweredPromptly("bomb");
        assertAnsweredPromptly("bomb-negative");

        try (var pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> bombs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String bomb = i % 2 == 0 ? "bomb" : "bomb-negative";
                bombs.add(pool.submit(() -> {
                    for (int n = 0; n < 5; n++) {
                        assertAnsweredPromptly(bomb);
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 10; i++) {
                assertHelloSucceeds(bystander);
            }
            for (Future<?> f : bombs) {
                waitFor(f);
            }
        }
        assertHelloSucceeds(bystander);
    }

    private static void waitFor(Future<?> f) throws InterruptedException, TimeoutException {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError a) {
                throw a;
            }
            throw new AssertionError(e.getCause());
        }
    }
}
