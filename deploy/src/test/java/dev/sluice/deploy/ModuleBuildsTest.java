package dev.sluice.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Placeholder while the deploy checks are written: the module's directories exist where the docs say. */
class ModuleBuildsTest {
    @Test
    void deployDirectoryHoldsTheLocalClusterScript() {
        assertTrue(Files.isExecutable(Path.of("local", "cluster")), "deploy/local/cluster");
    }
}
