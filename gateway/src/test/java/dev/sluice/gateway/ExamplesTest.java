package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed {@code examples/<language>/hello.wasm} modules, deployed and invoked through the real HTTP API: every
 * language gives the same answer. Only the committed builds are read, so no toolchain is needed here.
 */
class ExamplesTest extends TenantApiTestBase {

    /** {@code examples/<language>/hello.wasm}, found from the working directory (Maven runs this in gateway/). */
    private static byte[] example(String language) {
        Path relative = Path.of("examples", language, "hello.wasm");
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path module = dir.resolve(relative);
            if (Files.isRegularFile(module)) {
                try {
                    return Files.readAllBytes(module);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new AssertionError(relative + " not found in " + Path.of("").toAbsolutePath() + " or above");
    }

    private Reply deployAndInvoke(String language, String query, String body) {
        String name = "hello-" + language;
        Reply deployed = server.deploy(key, name, example(language));
        assertEquals(201, deployed.status(), deployed.toString());
        byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        return server.call(key, body == null ? "GET" : "POST", "/v1/functions/" + name + "/invoke" + query, bytes,
                "text/plain");
    }

    private static void assertPlainText(String expectedBody, Reply reply) {
        assertEquals(200, reply.status(), reply.toString());
        String contentType = reply.header("Content-Type").orElse("");
        assertTrue(contentType.startsWith("text/plain"), contentType);
        assertEquals(expectedBody, reply.body());
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust", "assemblyscript", "wat"})
    void exampleGreetsTheNamedCallerAndCountsTheBodyBytes(String language) {
        assertPlainText("hello ada\nyou sent 3 bytes\n", deployAndInvoke(language, "?name=ada", "xyz"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust", "assemblyscript", "wat"})
    void exampleWithoutQueryOrBodyGreetsTheWorld(String language) {
        assertPlainText("hello world\nyou sent 0 bytes\n", deployAndInvoke(language, "", null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust", "assemblyscript", "wat"})
    void examplePercentDecodesTheFirstNameParameter(String language) {
        assertPlainText("hello Jörg M\nyou sent 2 bytes\n",
                deployAndInvoke(language, "?x=1&nam=no&name=J%C3%B6rg+M&name=ada", "é"));
    }
}
