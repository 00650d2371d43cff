package dev.sluice.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core decides and the edge renders: no source in this package names an HTTP or JSON type, or the gateway's
 * HTTP edge, so the same decisions serve any protocol (and a test needs no server). Reads the sources, not the
 * bytecode, so it also catches a fully qualified name in code.
 */
class CoreIsHttpFreeTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/sluice/gateway/core");
    /** Anything of the gateway but the core itself is the edge; Helidon and Jackson are the edge's libraries. */
    private static final Pattern FORBIDDEN = Pattern.compile(
            "\\b(io\\.helidon\\.[\\w.]+|com\\.fasterxml\\.[\\w.]+|dev\\.sluice\\.gateway\\.(?!core\\b)[\\w.]+)");

    @Test
    void noCoreSourceNamesHelidonJacksonOrTheHttpEdge() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.list(SOURCES)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(sources.size() >= 10, "found the core's sources: " + sources);
        List<String> found = new ArrayList<>();
        for (Path source : sources) {
            Matcher matcher = FORBIDDEN.matcher(Files.readString(source));
            while (matcher.find()) {
                found.add(source.getFileName() + ": " + matcher.group());
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    void theScanWouldSeeAnEdgeImport() {
        String source = "import io.helidon.http.Status;\nimport dev.sluice.gateway.http.ProblemException;\n"
                + "import dev.sluice.gateway.core.Refusal;\nimport dev.sluice.gateway.Sluice;\n";
        List<String> found = new ArrayList<>();
        Matcher matcher = FORBIDDEN.matcher(source);
        while (matcher.find()) {
            found.add(matcher.group());
        }
        assertEquals(List.of("io.helidon.http.Status", "dev.sluice.gateway.http.ProblemException",
                "dev.sluice.gateway.Sluice"), found);
    }
}
