package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.gateway.http.Requests;
import dev.sluice.scheduler.testing.TestModules;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The edges of HTTP: what the server itself refuses before any route runs (Helidon's own 4xx), and what a function's
 * CGI output and request headers can and cannot do. Every error a client can get is a problem document with a stable
 * type, and none of it is an ERROR in the provider's log.
 */
class HttpEdgesTest extends TenantApiTestBase {
    @Override
    Map<String, String> settings() {
        // Helidon's backstop on bodies is 1 GiB + 64 KiB whatever these are (Sluice.payloadBackstop); a declared
        // Content-Length past it is refused before routing, and the routes' own caps are these.
        return Map.of("max-request-bytes", "1024", "default-max-module-bytes", "1024");
    }

    @Override
    String tenantLimits() {
        return "{\"max-module-bytes\": 65536}";
    }

    static Stream<Arguments> requestsTheServerRefusesBeforeRouting() {
        String big = "a".repeat(20_000);
        return Stream.of(
                Arguments.of("garbage request line", "THIS IS NOT HTTP\r\n\r\n", 400, "invalid-request"),
                Arguments.of("bad header line", "GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400,
                        "invalid-request"),
                Arguments.of("headers over the limit", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + big
                        + "\r\n\r\n", 431, "request-header-fields-too-large"),
                Arguments.of("many headers over the limit", "GET /health HTTP/1.1\r\nHost: x\r\n"
                        + "X-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(400)
                        + "\r\n", 431, "request-header-fields-too-large"),
                Arguments.of("request line over the limit", "GET /" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                        "uri-too-long"),
                Arguments.of("unknown HTTP version", "GET /health HTTP/1.0\r\n\r\n", 505,
                        "http-version-not-supported"),
                Arguments.of("body over the server's backstop", "POST /v1/functions/echo/invoke HTTP/1.1\r\n"
                        + "Host: x\r\nContent-Length: " + ((1L << 30) + 65536 + 1) + "\r\n\r\n", 413, "payload-too-large"),
                Arguments.of("both Content-Length and Transfer-Encoding", "POST /health HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "invalid-request"),
                Arguments.of("unknown transfer coding", "POST /health HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "not-implemented"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void requestsTheServerRefusesBeforeRouting(String what, String request, int status, String type) {
        try (ErrorLog log = ErrorLog.watch()) {
            RawHttp.Response response = RawHttp.exchange(server.sluice.port(), request);
            assertEquals(status, response.status(), response.toString());
            assertEquals(type, response.problemType(), response.toString());
            assertTrue(!response.text().contains("server log"), "the client cannot read our log: " + response);
            assertTrue(response.statusLine().matches("HTTP/1\\.1 \\d{3} [A-Z][A-Za-z -]+"), response.statusLine());
            assertEquals(List.of(), log.errors(), "a client's fault is not an ERROR");
        }
        assertEquals(200, server.call(null, "GET", "/health", null, null).status(), "the server is fine");
    }

    static Stream<Arguments> valuesARouteCannotParse() {
        String auth = "Authorization: Bearer KEY\r\n";
        return Stream.of(
                Arguments.of("bad Content-Type on an invocation", "POST /v1/functions/echo/invoke HTTP/1.1\r\nHost: x\r\n"
                        + auth + "Content-Type: ;;;\r\nContent-Length: 2\r\n\r\nhi"),
                Arguments.of("Content-Type parameter without a value", "POST /v1/functions/echo/invoke HTTP/1.1\r\n"
                        + "Host: x\r\n" + auth + "Content-Type: text/plain; charset\r\nContent-Length: 2\r\n\r\nhi"),
                Arguments.of("bad Content-Type on a JSON body", "PUT /admin/v1/tenants/x HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer " + TestServer.ADMIN_TOKEN + "\r\nContent-Type: /\r\n"
                        + "Content-Length: 2\r\n\r\n{}"),
                Arguments.of("bad percent-encoding in a path", "GET /v1/functions/%zz HTTP/1.1\r\nHost: x\r\n" + auth
                        + "\r\n"),
                Arguments.of("bad percent-encoding in a query", "PUT /v1/functions/f?memory-pages=%zz HTTP/1.1\r\n"
                        + "Host: x\r\n" + auth + "Content-Type: application/wasm\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("bad Content-Length", "POST /v1/functions/echo/invoke HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Content-Length: abc\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void valuesARouteCannotParse(String what, String request) {
        server.deploy(key, "echo", TestModules.load("echo"));
        try (ErrorLog log = ErrorLog.watch()) {
            RawHttp.Response response = RawHttp.exchange(server.sluice.port(), request.replace("KEY", key));
            assertTrue(response.status() >= 400 && response.status() < 500, response.toString());
            response.problemType();
            assertEquals(List.of(), log.errors(), "a client's fault is not an ERROR");
        }
    }

    @Test
    void malformedChunkedBodyOfAnInvocationIsAProblem() {
        server.deploy(key, "echo", TestModules.load("echo"));
        try (ErrorLog log = ErrorLog.watch()) {
            RawHttp.Response response = RawHttp.exchange(server.sluice.port(),
                    "POST /v1/functions/echo/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                            + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
            assertEquals(400, response.status(), response.toString());
            assertEquals("invalid-request", response.problemType(), response.toString());
            assertEquals(List.of(), log.errors(), "a client's fault is not an ERROR");
        }
    }

    static Stream<Arguments> bodyShorterThanItsContentLengthThenTheClientStopsSending() {
        return Stream.of(
                Arguments.of("invocation", "POST /v1/functions/echo/invoke HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer KEY\r\nContent-Type: text/plain\r\n"),
                Arguments.of("deploy", "PUT /v1/functions/other HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer KEY\r\nContent-Type: application/wasm\r\n"),
                Arguments.of("JSON body", "PUT /admin/v1/tenants/other HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer " + TestServer.ADMIN_TOKEN + "\r\nContent-Type: application/json\r\n"));
    }

    /** Ten bytes of a declared thousand, then end of stream: the client is gone or at fault, not the server. */
    @ParameterizedTest(name = "{0}")
    @MethodSource
    void bodyShorterThanItsContentLengthThenTheClientStopsSending(String what, String head) {
        server.deploy(key, "echo", TestModules.load("echo"));
        try (ErrorLog log = ErrorLog.watch()) {
            RawHttp.Response response = RawHttp.exchangeThenHalfClose(server.sluice.port(),
                    head.replace("KEY", key) + "Content-Length: 1000\r\n\r\n0123456789");
            assertEquals(400, response.status(), response.toString());
            assertEquals("invalid-request", response.problemType(), response.toString());
            assertEquals("close", response.header("Connection"), response.toString());
            assertTrue(response.text().contains("ended before the 1000 bytes its Content-Length declares"),
                    response.toString());
            assertEquals(List.of(), log.errors(), "a client's fault is not an ERROR");
        }
        assertEquals(200, server.call(null, "GET", "/health", null, null).status(), "the server is fine");
    }

    /**
     * A client that resets the connection while its body is read cannot get an answer: the server closes the
     * connection quietly instead of writing one into the reset socket (which Helidon logged as a WARNING with a stack
     * trace: "cannot send error response").
     */
    @Test
    void aClientResettingTheConnectionMidBodyGetsNoAnswerAndLogsNoWarning() throws Exception {
        server.deploy(key, "echo", TestModules.load("echo"));
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        // Our own DEBUG line, and Helidon's "socket closed": the last thing it logs for a connection.
        Logger requests = Logger.getLogger(Requests.class.getName());
        Logger connections = Logger.getLogger("io.helidon.webserver.ConnectionHandler");
        Level requestsLevel = requests.getLevel();
        Level connectionsLevel = connections.getLevel();
        requests.setLevel(Level.FINE);
        connections.setLevel(Level.FINE);
        Logger.getLogger("").addHandler(capture);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.sluice.port())) {
            socket.setSoTimeout(30_000);
            socket.setSoLinger(true, 0); // close sends a reset
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/functions/echo/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            // Helidon says "continue" when the route starts reading the body: the reset then comes mid-body.
            String interim = new String(socket.getInputStream().readNBytes(25), StandardCharsets.ISO_8859_1);
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", interim);
            out.write("0123456789".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } finally {
            try {
                awaitTrue(() -> records.stream().anyMatch(r -> String.valueOf(r.getMessage()).contains("socket closed")),
                        "the server never finished with the connection");
            } finally {
                Logger.getLogger("").removeHandler(capture);
                requests.setLevel(requestsLevel);
                connections.setLevel(connectionsLevel);
            }
        }
        List<String> warnings = records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(r -> r.getLoggerName() + ": " + r.getMessage()).toList();
        assertEquals(List.of(), warnings, "a client's reset is not worth a warning");
        assertTrue(records.stream().anyMatch(r -> r.getLoggerName().equals(Requests.class.getName())
                && r.getLevel() == Level.FINE && String.valueOf(r.getMessage()).contains("connection broken")),
                "logged at DEBUG");
        assertEquals(200, server.call(null, "GET", "/health", null, null).status(), "the server is fine");
    }

    private static void awaitTrue(BooleanSupplier condition, String failure) throws InterruptedException {
        for (int i = 0; i < 30_000 && !condition.getAsBoolean(); i++) {
            Thread.sleep(1);
        }
        assertTrue(condition.getAsBoolean(), failure);
    }

    @Test
    void chunkedBodyOverTheLimitIs413Problem() {
        server.deploy(key, "echo", TestModules.load("echo"));
        String chunk = Integer.toHexString(4096) + "\r\n" + "x".repeat(4096) + "\r\n";
        RawHttp.Response response = RawHttp.exchange(server.sluice.port(),
                "POST /v1/functions/echo/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                        + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk.repeat(40)
                        + "0\r\n\r\n");
        assertEquals(413, response.status(), response.toString());
        assertEquals("payload-too-large", response.problemType(), response.toString());
    }

    @Test
    void status204WithABodyIsSentWithoutTheBodyAndLogsNoError() {
        deploy("nocontent", "Status: 204 No Content\nX-Kept: yes\n\nthis body cannot be sent\n");
        try (ErrorLog log = ErrorLog.watch()) {
            Reply reply = invoke("nocontent");
            assertEquals(204, reply.status(), reply.toString());
            assertEquals(0, reply.response().body().length);
            assertEquals("yes", reply.header("X-Kept").orElseThrow());
            assertEquals(List.of(), log.errors(), "a guest's fault is not an ERROR");
        }
        // The connection is still usable: nothing of the dropped body is left on it to be read as a response.
        assertEquals(200, server.call(null, "GET", "/health", null, null).status());
    }

    @Test
    void status304WithABodyIsSentWithoutTheBody() {
        deploy("notmodified", "Status: 304 Not Modified\nETag: \"v1\"\n\nstale\n");
        try (ErrorLog log = ErrorLog.watch()) {
            Reply reply = invoke("notmodified");
            assertEquals(304, reply.status(), reply.toString());
            assertEquals(0, reply.response().body().length);
            assertEquals(List.of(), log.errors());
        }
    }

    static Stream<Arguments> oddButHarmlessFunctionHeaders() {
        return Stream.of(
                Arguments.of("non-ASCII header value", "Content-Type: text/plain\nX-Name: caf\u00e9\n\nhi"),
                Arguments.of("unparseable Content-Type", "Content-Type: ;;;\n\nhi"),
                Arguments.of("empty header value", "Content-Type: text/plain\nX-Empty:\n\nhi"),
                Arguments.of("Vary only", "Vary:\n\nhi"),
                Arguments.of("huge header value", "Content-Type: text/plain\nX-Big: " + "b".repeat(60_000) + "\n\nhi"),
                Arguments.of("Status 205 with a body", "Status: 205 Reset Content\n\nhi"),
                Arguments.of("Status 101", "Status: 101 Switching Protocols\n\nhi"),
                Arguments.of("Location that is not a URI", "Location: ht tp://\u00ff\n\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void oddButHarmlessFunctionHeaders(String what, String stdout) {
        deploy("odd", stdout);
        try (ErrorLog log = ErrorLog.watch()) {
            Reply reply = invoke("odd");
            assertTrue(reply.status() < 500 || reply.problemType().equals("invalid-function-response"),
                    reply.toString());
            assertEquals(List.of(), log.errors(), "a guest's fault is not an ERROR");
        }
        assertEquals(200, server.call(null, "GET", "/health", null, null).status());
    }

    @Test
    void functionResponsesVaryByAuthorizationMergedWithTheFunctionsOwnVary() {
        deploy("plain", "Content-Type: text/plain\n\nhi\n");
        Reply plain = invoke("plain");
        assertEquals(200, plain.status(), plain.toString());
        assertEquals(List.of("Authorization"), varyOf(plain), "the tenant, hence the answer, comes from the key");

        deploy("varies", "Content-Type: text/plain\nVary: Accept-Encoding, Accept-Language\n\nhi\n");
        assertEquals(List.of("Accept-Encoding", "Accept-Language", "Authorization"), varyOf(invoke("varies")));

        deploy("already", "Content-Type: text/plain\nVary: authorization\n\nhi\n");
        assertEquals(List.of("authorization"), varyOf(invoke("already")), "not repeated");

        deploy("star", "Content-Type: text/plain\nVary: *\n\nhi\n");
        assertEquals(List.of("*"), varyOf(invoke("star")), "'*' already varies by everything");
    }

    @Test
    void headerNamesWithUnderscoresNeverReachTheFunction() {
        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
        Reply reply = server.send(server.request("GET", "/v1/functions/env/invoke", null, null)
                .header("Authorization", "Bearer " + key)
                .header("X-Forwarded-For", "10.9.8.7")
                .header("X_Forwarded_For", "6.6.6.6")
                .header("X_Only_Underscores", "sneaky")
                .header("X.Forwarded.For", "7.7.7.7"));
        assertEquals(200, reply.status(), reply.toString());
        List<String> env = Arrays.asList(reply.body().split("\n"));
        assertTrue(env.contains("HTTP_X_FORWARDED_FOR=10.9.8.7"), env.toString());
        assertTrue(env.stream().noneMatch(line -> line.contains("6.6.6.6") || line.contains("7.7.7.7")),
                env.toString());
        assertTrue(env.stream().noneMatch(line -> line.startsWith("HTTP_X_ONLY_UNDERSCORES")), env.toString());
    }

    private void deploy(String name, String stdout) {
        Reply deployed = server.deploy(key, name, PrintingModule.printing(stdout));
        assertTrue(deployed.status() == 201 || deployed.status() == 200, deployed.toString());
    }

    private Reply invoke(String function) {
        return server.call(key, "GET", "/v1/functions/" + function + "/invoke", null, null);
    }

    private static List<String> varyOf(Reply reply) {
        List<String> values = reply.response().headers().allValues("Vary");
        return values.stream().flatMap(v -> Arrays.stream(v.split(","))).map(String::strip)
                .filter(v -> !v.isEmpty()).toList();
    }

    @Test
    void theEchoFixtureStillWorksWithTheseSettings() {
        server.deploy(key, "echo", TestModules.load("echo"));
        Reply reply = server.call(key, "POST", "/v1/functions/echo/invoke",
                "ping".getBytes(StandardCharsets.UTF_8), "text/plain");
        assertEquals(200, reply.status(), reply.toString());
        assertEquals("ping", reply.body());
    }
}
