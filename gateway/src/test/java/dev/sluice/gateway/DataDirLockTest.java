package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private final List<GatewayProcess> processes = new ArrayList<>();

    @AfterEach
    void killChildren() {
        processes.forEach(process -> process.kill(Duration.ZERO));
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
            GatewayProcess other = serve();
            assertTrue(other.awaitExit(Duration.ofSeconds(START_SECONDS)), "the second process did not exit");
            String stderr = other.errors().strip();
            assertEquals(1, other.exitValue(), stderr);
            assertEquals(1, stderr.lines().count(), stderr);
            assertEquals("sluice: cannot start: data-dir: " + dataDir.toRealPath() + " is in use by another Sluice (pid "
                    + ProcessHandle.current().pid() + "); stop it, or give this one another data-dir", stderr);
            assertEquals(200, health(held.port()), "the holder is unaffected");
        }
    }

    @Test
    void whileAnotherProcessServesThisOneIsRefusedAndAfterItIsKilledThisOneStarts() throws Exception {
        GatewayProcess other = serve();
        other.awaitPort(Duration.ofSeconds(START_SECONDS));
        ConfigException refused = assertThrows(ConfigException.class, this::start);
        assertTrue(refused.getMessage().contains("(pid " + other.pid() + ")"), refused.getMessage());

        // no shutdown hook runs: the OS drops the lock, the lock file stays
        assertTrue(other.kill(Duration.ofSeconds(START_SECONDS)));
        assertTrue(Files.exists(dataDir.resolve(DataDirLock.FILE)));
        try (Sluice after = start()) {
            assertEquals(200, health(after.port()));
        }
    }

    /** {@code sluice serve --config <file>} on our data directory, in a new JVM with our classpath. */
    private GatewayProcess serve() {
        GatewayProcess process = GatewayProcess.launch("other", work,
                Map.of("port", "0", "data-dir", dataDir.toString(), "workers", "1"), List.of());
        processes.add(process);
        return process;
    }

    private static int health(int port) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
