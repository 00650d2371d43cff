package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Sluice per data directory: a second one, in this JVM or in another process, refuses to start with one line
 * naming the directory and the holder's pid, and the first keeps serving; the lock goes with the holder, whether it
 * stops cleanly or is killed.
 */
class DataDirLockTest {
    private static final long START_SECONDS = 120; // a cold JVM on a loaded 2-core machine

    @TempDir
    Path dataDir;
    @TempDir
    Path work;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killChildren() {
        processes.forEach(Process::destroyForcibly);
    }

    private SluiceConfig config() {
        return SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dataDir.toString()));
    }

    private Sluice start() {
        return Sluice.builder().config(config()).adminToken(Optional.of("t")).start();
    }

    @Test
    void aSecondSluiceInTheSameProcessIsRefusedAndTheFirstKeepsServing() throws Exception {
        try (Sluice first = start()) {
            ConfigException refused = assertThrows(ConfigException.class, this::start);
            String message = refused.getMessage();
            assertTrue(message.startsWith("data-dir: " + dataDir.toRealPath() + " is in use by another Sluice"),
                    message);
            assertTrue(message.contains("(pid " + ProcessHandle.current().pid() + ")"), message);
            assertEquals(200, health(first.port()));
        }
        try (Sluice again = start()) {
            assertEquals(200, health(again.port()), "the lock went with the first one's stop");
        }
    }

    @Test
    void aSluiceInAnotherProcessIsRefusedWithOneLineNamingTheDirectoryAndOurPid() throws Exception {
        try (Sluice held = start()) {
            // A refused start in this JVM must not drop the OS lock (closing a second channel on the file would).
            assertThrows(ConfigException.class, this::start);
            Process other = serve();
            assertTrue(other.waitFor(START_SECONDS, TimeUnit.SECONDS), "the second process did not exit");
            String stderr = new String(other.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals(1, other.exitValue(), stderr);
            assertEquals(1, stderr.lines().count(), stderr);
            assertEquals("sluice: cannot start: data-dir: " + dataDir.toRealPath() + " is in use by another Sluice (pid "
                    + ProcessHandle.current().pid() + "); stop it, or give this one another data-dir", stderr);
            assertEquals(200, health(held.port()), "the holder is unaffected");
        }
    }

    @Test
    void whileAnotherProcessServesThisOneIsRefusedAndAfterItIsKilledThisOneStarts() throws Exception {
        Process other = serve();
        awaitServing(other);
        ConfigException refused = assertThrows(ConfigException.class, this::start);
        assertTrue(refused.getMessage().contains("(pid " + other.pid() + ")"), refused.getMessage());

        other.destroyForcibly(); // no shutdown hook runs: the OS drops the lock, the lock file stays
        assertTrue(other.waitFor(START_SECONDS, TimeUnit.SECONDS));
        assertTrue(Files.exists(dataDir.resolve(DataDirLock.FILE)));
        try (Sluice after = start()) {
            assertEquals(200, health(after.port()));
        }
    }

    /** {@code sluice serve --config <file>} on our data directory, in a new JVM with our classpath. */
    private Process serve() throws IOException {
        Path conf = work.resolve("sluice.conf");
        Files.writeString(conf, "port = 0\ndata-dir = " + dataDir + "\nworkers = 1\n");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config",
                conf.toString());
        builder.environment().remove("SLUICE_CONFIG");
        builder.environment().put("SLUICE_ADMIN_TOKEN", "child-token");
        builder.directory(work.toFile());
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static void awaitServing(Process process) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<Boolean> serving = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("Sluice is serving")) {
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        assertTrue(serving.get(START_SECONDS, TimeUnit.SECONDS), "the other process never served: "
                + new String(process.getErrorStream().readNBytes(process.getErrorStream().available()),
                StandardCharsets.UTF_8));
    }

    private static int health(int port) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
