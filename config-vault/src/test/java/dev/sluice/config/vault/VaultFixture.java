package dev.sluice.config.vault;

import dev.sluice.config.VaultConfig;
import dev.sluice.config.testing.VaultTestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** What the Vault client tests share: a fake clock, configs for each auth method, and a log capture. */
final class VaultFixture {
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-29T00:00:00Z"));
    final InstantSource clock = now::get;

    void advance(Duration d) {
        now.updateAndGet(t -> t.plus(d));
    }

    static VaultConfig config(String address, String auth, String tokenFile, String roleIdFile, String secretIdFile,
            String kubernetesRole, String jwtFile, String namespace, long timeoutMs) {
        return new VaultConfig(address, "secret", "sluice", namespace, auth, tokenFile, roleIdFile, secretIdFile, "",
                kubernetesRole, jwtFile, timeoutMs);
    }

    static VaultConfig tokenConfig(String address, Path tokenFile) {
        return config(address, "token", tokenFile == null ? "" : tokenFile.toString(), "", "", "", "/nonexistent",
                "", 5_000);
    }

    /** A session without the background renewer: the test drives renewal by its clock and {@code maintain()}. */
    DriverSession tokenSession(VaultTestServer vault, Path dir) {
        Path file = write(dir.resolve("token"), vault.issueToken(Duration.ZERO, "root") + "\n");
        return DriverSession.open(tokenConfig(vault.address(), file), Map.of(), clock, false);
    }

    static Path write(Path file, String text) {
        try {
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Captures every log record (formatted, with any stack trace) from Sluice's Vault code and the driver. */
    static final class LogCapture extends Handler implements AutoCloseable {
        private final List<String> lines = new ArrayList<>();
        private final List<Logger> loggers = new ArrayList<>();
        private final List<Level> levels = new ArrayList<>();
        private final SimpleFormatter formatter = new SimpleFormatter();

        LogCapture() {
            setLevel(Level.ALL);
            for (String name : List.of("dev.sluice", "io.github.jopenlibs")) {
                Logger logger = Logger.getLogger(name);
                loggers.add(logger);
                levels.add(logger.getLevel());
                logger.setLevel(Level.ALL);
                logger.addHandler(this);
            }
        }

        @Override
        public synchronized void publish(LogRecord record) {
            lines.add(formatter.format(record));
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            for (int i = 0; i < loggers.size(); i++) {
                loggers.get(i).removeHandler(this);
                loggers.get(i).setLevel(levels.get(i));
            }
        }
    }
}
