package dev.sluice.loadtest;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http1.Http1Config;

/**
 * The peer that {@link PeerRatio} measures Sluice against: a bare Helidon SE {@link WebServer} with the main listener
 * settings Sluice uses where they bear on speed (HTTP/1.1 only, {@code tcpNoDelay}), answering {@code GET /hello} with
 * {@code hello\n} and {@code POST /echo} with its body, and nothing else: no WebAssembly, no tenancy, no quotas.
 *
 * <p>{@code java ... dev.sluice.loadtest.BareHello [PORT]} (0 or none: a free port) listens on 127.0.0.1, prints
 * {@code port N} on a line of its own and runs until the process is stopped.
 */
public final class BareHello {
    private static final byte[] HELLO = "hello\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private BareHello() {}

    public static void main(String[] args) {
        WebServer server = start(args.length > 0 ? Integer.parseInt(args[0]) : 0);
        System.out.println("port " + server.port());
        System.out.flush();
    }

    /** Starts the server on loopback; the caller stops it. */
    static WebServer start(int port) {
        return WebServer.builder()
                .host("127.0.0.1")
                .port(port)
                .protocolsDiscoverServices(false)
                .addProtocol(Http1Config.create())
                .connectionOptions(options -> options.tcpNoDelay(true))
                .routing(routing -> routing(routing))
                .build()
                .start();
    }

    static void routing(HttpRules rules) {
        rules.get("/hello", (req, res) -> res.send(HELLO))
                .post("/echo", (req, res) -> res.send(req.content().as(byte[].class)));
    }
}
