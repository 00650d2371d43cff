package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/local/cluster}, the laptop set-up of the README, does what it says: {@code up} starts Redis, three
 * workers and two gateways as real processes and returns once each is ready; a function deployed through gateway 1
 * is invoked through gateway 2; {@code down} leaves none of the six processes running. The script runs the classes
 * under test (through {@code SLUICE_CLUSTER_CLASSPATH}) instead of the packaged jar, on free loopback ports, with its
 * state in a temporary directory.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class LocalClusterScriptTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPT = Path.of(System.getProperty("user.dir")).getParent()
            .resolve("deploy/local/cluster");

    @TempDir
    Path state;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    final List<Integer> gatewayPorts = List.of(freePort(), freePort());
    final List<Integer> workerPorts = List.of(freePort(), freePort(), freePort());
    final int redisPort = freePort();

    @AfterEach
    void stopWhatIsLeft() throws Exception {
        cluster("down"); // idempotent: after a passing test there is nothing left to stop
    }

    @Test
    void upStartsSixProcessesThatShareFunctionsAndDownStopsThemAll() throws Exception {
        Result up = cluster("up");
        assertEquals(0, up.exit, "cluster up failed:\n" + up.output + "\n" + logs());
        List<Long> pids = pids();
        assertEquals(6, pids.size(), "one pid file per process: " + pids);
        for (long pid : pids) {
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " runs");
        }
        Result status = cluster("status");
        assertEquals(0, status.exit, status.output);
        assertFalse(status.output.contains("stopped"), status.output);

        String admin = Files.readString(state.resolve("admin-token")).strip();
        URI one = URI.create("http://127.0.0.1:" + gatewayPorts.get(0));
        URI two = URI.create("http://127.0.0.1:" + gatewayPorts.get(1));
        expect(201, HttpRequest.newBuilder(one.resolve("/admin/v1/tenants/acme"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{}")));
        String key = JSON.readTree(expect(201, HttpRequest.newBuilder(one.resolve("/admin/v1/tenants/acme/keys"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"laptop\"}")))).get("key").asText();
        expect(201, HttpRequest.newBuilder(one.resolve("/v1/functions/hello"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load("hello"))));

        HttpResponse<String> invoked = invokeWithin(two.resolve("/v1/functions/hello/invoke?name=ada"), key,
                Duration.ofSeconds(30));
        assertEquals(200, invoked.statusCode(), invoked.body() + "\n" + logs());
        assertEquals("hello name=ada\n", invoked.body());

        Result down = cluster("down");
        assertEquals(0, down.exit, down.output);
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "pid " + pid + " still runs after down:\n" + down.output);
        }
        Result after = cluster("status");
        assertEquals(1, after.exit, "status says nothing runs:\n" + after.output);
    }

    /** Gateway 2 learns of the function through Redis within a second; allow a loaded machine more. */
    HttpResponse<String> invokeWithin(URI uri, String key, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            HttpResponse<String> reply = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key)
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (reply.statusCode() != 404 || System.nanoTime() > deadline) {
                return reply;
            }
            Thread.sleep(100); // another process's view converges in real time
        }
    }

    String expect(int status, HttpRequest.Builder request) throws Exception {
        HttpResponse<String> reply = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, reply.statusCode(), reply.body() + "\n" + logs());
        return reply.body();
    }

    record Result(int exit, String output) {}

    Result cluster(String command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("SLUICE_CLUSTER_DIR", state.toString());
        env.put("SLUICE_CLUSTER_REDIS_PORT", Integer.toString(redisPort));
        env.put("SLUICE_CLUSTER_GATEWAY_PORTS", join(gatewayPorts));
        env.put("SLUICE_CLUSTER_WORKER_PORTS", join(workerPorts));
        env.put("SLUICE_CLUSTER_WAIT_S", "180");
        env.put("SLUICE_CLUSTER_CLASSPATH", System.getProperty("java.class.path"));
        env.put("SLUICE_JAVA_OPTS", String.join(" ", GatewayProcess.SMALL_JVM));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "cluster " + command + " returns");
        return new Result(process.exitValue(), output);
    }

    List<Long> pids() throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> files = Files.list(state)) {
            for (Path dir : files.filter(Files::isDirectory).toList()) {
                Path pid = dir.resolve("pid");
                if (Files.exists(pid)) {
                    pids.add(Long.parseLong(Files.readString(pid).strip()));
                }
            }
        }
        return pids;
    }

    String logs() {
        try (Stream<Path> files = Files.list(state)) {
            return files.filter(Files::isDirectory).map(d -> d.resolve("log")).filter(Files::exists).map(log -> {
                try {
                    List<String> lines = Files.readAllLines(log);
                    return "== " + log + "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40),
                            lines.size()));
                } catch (IOException e) {
                    return "== " + log + ": " + e;
                }
            }).collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    static String join(List<Integer> ports) {
        return ports.stream().map(String::valueOf).collect(Collectors.joining(" "));
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
