package dev.sluice.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The run the launcher makes once per jar ({@code --cds-training}) so the class-data-sharing archive it leaves holds
 * what real commands load: JSON parsing, tables, and the JDK HTTP client's whole request and response path, against a
 * throwaway server on a loopback port inside this JVM. Prints nothing; takes a few hundred milliseconds.
 */
final class Training {
    private static final String FUNCTION = """
            {"name":"hello","digest":"sha256:00112233445566778899aabbccddeeff","size":1234,"memory-pages":16,\
            "timeout-ms":1000,"fuel":1000000,"deployed-at":"2026-01-01T00:00:00Z","compiled":true,\
            "runs-with":{"memory-pages":16,"timeout-ms":1000,"fuel":1000000}}""";

    private Training() {}

    static void run() throws java.io.IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            exchange.getRequestBody().readAllBytes();
            boolean list = path.equals("/v1/functions") || path.endsWith("/tenants");
            String body = list ? "{\"functions\":[" + FUNCTION + "],\"tenants\":[]}"
                    : "{\"type\":\"https://sluice.dev/problems/not-found\",\"title\":\"Not Found\",\"status\":404,"
                    + "\"detail\":\"no function x\",\"instance\":\"" + path + "\"}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", list ? "application/json" : "application/problem+json");
            exchange.sendResponseHeaders(list ? 200 : 404, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        try {
            Map<String, String> env = Map.of("SLUICE_URL", "http://127.0.0.1:" + server.getAddress().getPort(),
                    "SLUICE_KEY", "training", "SLUICE_ADMIN_TOKEN", "training");
            Console quiet = new Console(OutputStream.nullOutputStream(), OutputStream.nullOutputStream(), false,
                    false, false);
            Cli cli = new Cli(env, "/nonexistent", quiet, "training");
            cli.run(new String[] {"functions"});
            cli.run(new String[] {"functions", "--json"});
            cli.run(new String[] {"function", "x"});
            cli.run(new String[] {"tenants", "list"});
            cli.run(new String[] {"help"});
        } finally {
            server.stop(0);
        }
    }
}
