package dev.sluice.scheduler.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The WebAssembly test fixtures in {@code src/test/resources/wasm}, shared with other modules' tests through the
 * scheduler's test-jar. Each {@code <name>.wasm} is built from {@code <name>.wat} by {@code build.sh}; the .wat
 * comment states the module's exact behaviour.
 */
public final class TestModules {
    private TestModules() {}

    /** The bytes of {@code /wasm/<name>.wasm}, e.g. {@code load("hello")}. */
    public static byte[] load(String name) {
        String resource = "/wasm/" + name + ".wasm";
        try (InputStream in = TestModules.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test module " + resource + " on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }
}
