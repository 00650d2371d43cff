package dev.sluice.gateway.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gateway → worker wire format: what one end writes the other reads back exactly; garbage is a 400. */
class InternalProtocolTest {
    private static final FunctionSpec SPEC = new FunctionSpec("acme", FunctionName.of("hello"),
            "sha256:" + "ab".repeat(32), 682, 17, 1234, Instant.parse("2026-11-28T10:00:00Z"), 98_765);

    @Test
    void anInvocationCrossesTheWireUnchangedIncludingBinaryStdinAndNonAsciiEnvironment() {
        byte[] stdin = {0, (byte) 0xff, 10, 13, 0x7f, 'x'};
        InvocationRequest request = new InvocationRequest(stdin, List.of("hello", "ünï"),
                Map.of("QUERY_STRING", "a=1&b=ü", "HTTP_X_EMPTY", "", "CONTENT_LENGTH", "6"));
        InternalProtocol.Invocation decoded = InternalProtocol.decode(InternalProtocol.encode(SPEC, request));
        assertEquals(SPEC, decoded.function());
        assertArrayEquals(stdin, decoded.request().stdin());
        assertEquals(request.args(), decoded.request().args());
        assertEquals(request.env(), decoded.request().env());
    }

    @Test
    void aResultSplitsBackIntoStdoutAndStderr() {
        byte[] body = InternalProtocol.body("warn\n".getBytes(), "out".getBytes());
        InvocationResult result = InternalProtocol.result(3, body, 5, 42, 7);
        assertEquals("out", new String(result.stdout()));
        assertEquals("warn\n", new String(result.stderr()));
        assertEquals(3, result.exitCode());
        assertEquals(7, result.fuelUsed());
        assertEquals(42, result.elapsed().toNanos());
        assertEquals("a message: with ünï\ncode", InternalProtocol.decodeMessage(
                InternalProtocol.encodeMessage("a message: with ünï\ncode")));
        assertFalse(InternalProtocol.encodeMessage("x\r\ny").contains("\n"), "a header value never breaks a line");
    }

    @Test
    void malformedBodiesAreInvalidRequestProblems() {
        byte[] valid = InternalProtocol.encode(SPEC, new InvocationRequest(new byte[0], List.of(), Map.of()));
        byte[] lengthTooLong = valid.clone();
        ByteBuffer.wrap(lengthTooLong).putInt(valid.length);
        String json = new String(valid, 4, valid.length - 4);
        for (byte[] body : new byte[][] {new byte[0], {0, 0}, lengthTooLong, frame("[1]"), frame("{}"),
                frame(json.replace("\"fuel\":98765", "\"fuel\":-1")),
                frame(json.replace("\"name\":\"hello\"", "\"name\":\"../x\""))}) {
            ProblemException e = assertThrows(ProblemException.class, () -> InternalProtocol.decode(body));
            assertEquals(ProblemType.INVALID_REQUEST, e.type(), e.getMessage());
        }
    }

    private static final dev.sluice.scheduler.assets.AttachedAssets ASSETS = new dev.sluice.scheduler.assets
            .AttachedAssets(new dev.sluice.scheduler.assets.AssetTree("sha256:" + "cd".repeat(32), 3, 17),
            new dev.sluice.scheduler.files.AssetMount("/", true));

    @Test
    void theFunctionsAssetsAndTheGrantedScratchCrossTheWireButNoHostPath() {
        FunctionSpec withAssets = SPEC.withAssets(java.util.Optional.of(ASSETS));
        var scratch = new dev.sluice.scheduler.files.ScratchLimits(65_536, 64);
        InvocationRequest request = new InvocationRequest(new byte[0], List.of(), Map.of(),
                new dev.sluice.scheduler.files.FunctionFiles(java.util.Optional.of(java.nio.file.Path.of("/gw/x")),
                        ASSETS.mount(), scratch));
        byte[] body = InternalProtocol.encode(withAssets, request);
        assertFalse(new String(body, java.nio.charset.StandardCharsets.UTF_8).contains("/gw/x"),
                "the gateway's directory is its own");
        assertTrue(new String(body, java.nio.charset.StandardCharsets.UTF_8).contains("\"assets\":{\"digest\":\"sha256:"
                + "cd".repeat(32) + "\",\"files\":3,\"bytes\":17,\"path\":\"/\",\"writable\":true}"),
                "the assets' fields, in their order");
        InternalProtocol.Invocation decoded = InternalProtocol.decode(body);
        assertEquals(withAssets, decoded.function());
        assertEquals(new dev.sluice.scheduler.files.FunctionFiles(java.util.Optional.empty(), ASSETS.mount(),
                scratch), decoded.request().files(), "the worker finds the tree itself");

        var none = InternalProtocol.decode(InternalProtocol.encode(SPEC, new InvocationRequest(new byte[0],
                List.of(), Map.of())));
        assertEquals(java.util.Optional.empty(), none.function().assets());
        assertEquals(dev.sluice.scheduler.files.FunctionFiles.NONE, none.request().files());
    }

    @Test
    void assetsAndScratchOutsideTheirBoundsAreInvalidRequestProblems() {
        byte[] valid = InternalProtocol.encode(SPEC.withAssets(java.util.Optional.of(ASSETS)),
                new InvocationRequest(new byte[0], List.of(), Map.of(), new dev.sluice.scheduler.files.FunctionFiles(
                        java.util.Optional.empty(), ASSETS.mount(),
                        new dev.sluice.scheduler.files.ScratchLimits(65_536, 64))));
        String json = new String(valid, 4, valid.length - 4, java.nio.charset.StandardCharsets.UTF_8);
        for (String bad : List.of(
                json.replace("sha256:" + "cd".repeat(32), "sha256:../../etc"),
                json.replace("\"files\":3", "\"files\":100001"),
                json.replace("\"bytes\":17", "\"bytes\":" + Long.MAX_VALUE),
                json.replace("\"bytes\":17", "\"bytes\":-1"),
                json.replace("\"path\":\"/\"", "\"path\":\"../x\""),
                json.replace("\"path\":\"/\",", ""),
                json.replace("\"bytes\":65536", "\"bytes\":" + (1L << 40)),
                json.replace("\"inodes\":64", "\"inodes\":" + Integer.MAX_VALUE + "0"))) {
            assertFalse(bad.equals(json), "the replacement applies: " + bad);
            ProblemException e = assertThrows(ProblemException.class, () -> InternalProtocol.decode(frame(bad)),
                    bad);
            assertEquals(ProblemType.INVALID_REQUEST, e.type(), e.getMessage());
        }
    }

    @Test
    void theSecretComparisonAcceptsOnlyTheExactSecret() {
        String secret = "s".repeat(40);
        assertTrue(InternalProtocol.secretMatches(secret, secret));
        assertFalse(InternalProtocol.secretMatches(secret, null));
        assertFalse(InternalProtocol.secretMatches(secret, ""));
        assertFalse(InternalProtocol.secretMatches(secret, secret + "s"));
        assertFalse(InternalProtocol.secretMatches(secret, "s".repeat(39) + "t"));
    }

    private static byte[] frame(String json) {
        byte[] bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).array();
    }
}
