package dev.sluice.loadtest;

import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Start-to-ready of {@code sluice serve} over a data directory holding N distinct small functions (issue 12), and the
 * first call of functions not used since the start.
 *
 * <p>For each N: a server is started on an empty data directory to make a tenant and key through the admin API and
 * stopped; then N functions of that tenant are written straight into the store's files ({@code modules/<hex>.wasm},
 * the {@code hello} test module with a custom section holding the function's number, so every digest differs, and
 * {@code functions.json}), as deploys would have left them. Then two rounds: start the server, time JVM start
 * (just before the process is spawned) to {@code /health/ready} answering 200 (polled every 5 ms), then call a
 * sample of functions once each, sequentially ({@code --pause-ms} apart, so each call is measured alone), and stop
 * it. Round 1 calls sample A (never run: nothing derived from them cached on disk, as after an upgrade); round 2 (a
 * restart) calls A again (what round 1 left cached on disk: validated form and compiled classes, as after deploys)
 * and a fresh sample B; further rounds (--rounds) call A and yet another fresh sample.
 *
 * <pre>loadtest/run StartToReady [--functions 0,1000,10000] [--sample 20] [--pause-ms 300] [--rounds 2]
 *     [--dir /tmp/sluice-start]</pre>
 */
public final class StartToReady {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(10);

    private StartToReady() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "functions", "sample", "dir", "pause-ms", "rounds");
        long pauseMillis = Long.parseLong(options.getOrDefault("pause-ms", "300"));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "2"));
        List<Integer> counts = Stream.of(options.getOrDefault("functions", "0,1000,10000").split(","))
                .map(String::strip).map(Integer::parseInt).toList();
        int sample = Integer.parseInt(options.getOrDefault("sample", "20"));
        Path root = Path.of(options.getOrDefault("dir", Files.createTempDirectory("sluice-start").toString()));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        System.out.printf("load average at start: %s%n", loadAverage());
        System.out.printf("%8s %6s %12s %22s %22s %22s%n", "functions", "round", "ready ms", "first call A p50/max",
                "first call B p50/max", "");
        for (int n : counts) {
            Path dir = root.resolve("n" + n);
            String key = prepare(http, dir, n);
            List<String> a = sample(n, sample, 0);
            List<String> b = sample(n, sample, 1);
            for (int round = 1; round <= rounds; round++) {
                long[] ready = new long[1];
                try (RoleProcess sluice = start(dir, ready)) {
                    String first = calls(http, sluice.uri(), key, a, pauseMillis);
                    String second = round >= 2 ? calls(http, sluice.uri(), key, round == 2 ? b
                            : sample(n, sample, round - 1), pauseMillis) : "-";
                    System.out.printf("%8d %6d %12d %22s %22s%n", n, round, ready[0], first, second);
                }
            }
        }
        System.out.printf("load average at end: %s%n", loadAverage());
    }

    /** A data directory with a tenant, its key (returned) and {@code n} functions f0..f(n-1). */
    private static String prepare(HttpClient http, Path dir, int n) throws Exception {
        deleteRecursively(dir);
        String key;
        String tenant;
        int port = RoleProcess.freePort();
        try (RoleProcess sluice = RoleProcess.launch("sluice-template", "serve", port, dir,
                Map.of("port", Integer.toString(port)))) {
            sluice.awaitReady(true, READY_TIMEOUT);
            BenchTenant made = BenchTenant.create(http, sluice.uri(), RoleProcess.ADMIN_TOKEN, "start");
            key = made.key;
            made.deploy(sluice.uri(), "hello"); // the store's name for the tenant, read back below
        }
        Path data = dir.resolve("data");
        java.util.regex.Matcher stored = java.util.regex.Pattern.compile("\"tenant\"\\s*:\\s*\"([^\"]+)\"")
                .matcher(Files.readString(data.resolve("functions.json")));
        if (!stored.find()) {
            throw new IllegalStateException("no function in " + data.resolve("functions.json"));
        }
        tenant = stored.group(1);
        Files.createDirectories(data.resolve("modules"));
        byte[] hello = TestModules.load("hello");
        StringBuilder index = new StringBuilder("{\"version\":1,\"functions\":[");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < n; i++) {
            byte[] module = withCustomSection(hello, "sluice-start-" + i);
            String hex = HexFormat.of().formatHex(sha.digest(module));
            Files.write(data.resolve("modules").resolve(hex + ".wasm"), module);
            index.append(i == 0 ? "" : ",").append("{\"tenant\":\"").append(tenant).append("\",\"name\":\"f")
                    .append(i).append("\",\"digest\":\"sha256:").append(hex).append("\",\"size\":")
                    .append(module.length).append(",\"memoryPages\":16,\"timeoutMs\":10000,")
                    .append("\"deployedAt\":\"2026-01-01T00:00:00Z\",\"fuel\":null}");
        }
        index.append("]}");
        Files.writeString(data.resolve("functions.json"), index);
        return key;
    }

    private static RoleProcess start(Path dir, long[] readyMillis) throws Exception {
        int port = RoleProcess.freePort();
        HttpClient probe = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        long started = System.nanoTime();
        RoleProcess sluice = RoleProcess.launch("sluice", "serve", port, dir, Map.of("port", Integer.toString(port)));
        URI ready = sluice.uri().resolve("/health/ready");
        while (true) {
            try {
                if (probe.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() - started > READY_TIMEOUT.toNanos()) {
                sluice.close();
                throw new IllegalStateException("not ready within " + READY_TIMEOUT + ":\n" + sluice.tail());
            }
            Thread.sleep(5); // a separate process starts in real time
        }
        readyMillis[0] = (System.nanoTime() - started) / 1_000_000;
        return sluice;
    }

    /** Calls each function once, in order; p50/max in ms, or "-" when there are none. */
    private static String calls(HttpClient http, URI base, String key, List<String> functions, long pauseMillis)
            throws Exception {
        if (functions.isEmpty()) {
            return "-";
        }
        List<Double> millis = new ArrayList<>();
        for (String function : functions) {
            Thread.sleep(pauseMillis); // each call alone, after what the previous one set off (a compile) settles
            long started = System.nanoTime();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    base.resolve("/v1/functions/" + function + "/invoke")).header("Authorization", "Bearer " + key)
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            millis.add((System.nanoTime() - started) / 1e6);
            if (response.statusCode() != 200 || !response.body().contains("hello")) {
                throw new IllegalStateException(function + ": " + response.statusCode() + " " + response.body());
            }
        }
        millis.sort(null);
        return String.format("%.1f / %.1f", millis.get((millis.size() - 1) / 2), millis.getLast());
    }

    /** {@code size} function names spread over 0..n-1, sample {@code which} of disjoint ones. */
    private static List<String> sample(int n, int size, int which) {
        List<String> names = new ArrayList<>();
        if (n < 8 * size) {
            return n == 0 ? names : List.of("f" + which % n);
        }
        int step = n / size;
        for (int i = 0; i < size; i++) {
            names.add("f" + (i * step + which * (step / 8)));
        }
        return names;
    }

    /** The module with a custom section appended: the same program under another digest. */
    static byte[] withCustomSection(byte[] module, String name) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        leb(content, nameBytes.length);
        content.writeBytes(nameBytes);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(module);
        out.write(0);
        leb(out, content.size());
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7F;
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
