package dev.sluice.gateway.core;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of the core's tests: a fresh {@link CoreFixture} in its own data directory for each test, opened before the
 * subclass's own {@code @BeforeEach} and closed after the test.
 */
abstract class CoreTest {
    @TempDir
    Path dataDir;
    CoreFixture core;

    @BeforeEach
    void openCore() {
        core = new CoreFixture(dataDir);
    }

    @AfterEach
    void closeCore() {
        core.close();
    }
}
