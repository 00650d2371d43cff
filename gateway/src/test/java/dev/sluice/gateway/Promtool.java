package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code promtool check metrics}, the linter Prometheus ships (Debian package {@code prometheus}), on a scrape; skipped
 * where it is not installed, except in CI.
 */
final class Promtool {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    private Promtool() {
    }

    static void accepts(String text, Path dir) throws IOException, InterruptedException {
        if (!Files.isExecutable(PROMTOOL)) {
            if ("true".equals(System.getenv("CI"))) {
                fail(PROMTOOL + " is missing (Debian package prometheus; .ci/run installs it)");
            }
            System.err.println(PROMTOOL + " not installed, promtool check skipped");
            return;
        }
        Path scraped = Files.createTempFile(dir, "scrape", ".txt");
        Files.writeString(scraped, text);
        Process promtool = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics")
                .redirectInput(scraped.toFile()).redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, promtool.exitValue(), "promtool check metrics:\n" + output + "\non:\n" + text);
    }
}
