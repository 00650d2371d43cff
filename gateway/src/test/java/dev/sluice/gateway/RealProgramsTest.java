package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import org.junit.jupiter.api.Test;

/**
 * Real compiled programs deploy and run over HTTP. {@code wat2wasm} (wabt 1.0.32 built for WASI at -O0, 3 MB,
 * 12 411 functions, the largest with 21 380 locals) was refused with 422 {@code too-complex} by the old 1 024-locals
 * cap. Over HTTP a function's only argument is its name, so wat2wasm, which wants a file name, runs to its own usage
 * error: exit code 1, which the gateway reports as {@code function-failed} with the code, after the program's
 * option parser and startup ran. (The scheduler's RealProgramsTest passes it arguments and checks its output.)
 */
class RealProgramsTest extends TenantApiTestBase {
    @Test
    void wat2wasmDeploysOverHttpAndRunsToItsOwnExit() {
        long started = System.nanoTime();
        Reply deployed = server.deploy(key, "wat2wasm", TestModules.load("wat2wasm"));
        long deployMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals(201, deployed.status(), deployed.toString());
        assertEquals(TestModules.load("wat2wasm").length, deployed.json().get("size").asLong());

        started = System.nanoTime();
        Reply invoked = server.call(key, "POST", "/v1/functions/wat2wasm/invoke", new byte[0],
                "application/octet-stream");
        long invokeMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("wat2wasm over HTTP: deploy %d ms, invoke %d ms, %s fuel%n", deployMs, invokeMs,
                invoked.header("Sluice-Fuel-Used").orElse("?"));
        assertEquals(502, invoked.status(), invoked.toString());
        assertEquals("function-failed", invoked.problemType());
        assertEquals(1, invoked.json().get("exit-code").asInt(), invoked.toString());
        assertTrue(invoked.json().get("fuel-used").asLong() > 10_000, invoked.toString());

        Reply hello = server.deploy(key, "hello", TestModules.load("hello"));
        assertEquals(201, hello.status(), hello.toString());
        Reply greeted = server.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(200, greeted.status(), greeted.toString());
    }
}
