package dev.sluice.loadtest;

import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one admin write costs as the metadata grows: a {@code ./sluice serve} process (a separate JVM, local tenancy)
 * opens a data directory pre-generated with N tenants and N keys (one per tenant, written directly in the stores'
 * JSON format, so 100,000 take seconds to set up), then this tool times sequential PUT tenant (create), issue key
 * and revoke key over HTTP: p50/p99/max per kind, the server's CPU per write and the bytes it wrote per write
 * ({@code /proc/PID/io}: {@code wchar}, bytes handed to write calls, and {@code write_bytes}, bytes sent to the
 * device; both include whatever else the server wrote meanwhile, e.g. the usage flush every 5 s).
 *
 * <p>{@code AdminWriteLatency [--tenants 1000,10000,100000] [--writes 300] [--warmup 50]}. Loopback only; the data
 * directories are temporary and deleted at the end.
 */
public final class AdminWriteLatency {
    private static final Pattern KEY_ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f]{16})\"");
    private static final String STAMP = Instant.parse("2026-01-01T00:00:00Z").toString();

    private AdminWriteLatency() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "tenants", "writes", "warmup");
        int[] sizes = Arrays.stream(options.getOrDefault("tenants", "1000,10000,100000").split(","))
                .mapToInt(s -> Integer.parseInt(s.strip())).toArray();
        int writes = Integer.parseInt(options.getOrDefault("writes", "300"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "50"));
        System.out.printf("admin writes, sequential over HTTP/1.1 to ./sluice serve (local tenancy); %d warm-up + %d"
                + " measured per kind; %d CPUs%n", warmup, writes, Runtime.getRuntime().availableProcessors());
        System.out.printf("%-8s %-12s %9s %9s %9s %12s %14s %14s%n", "tenants", "write", "p50 ms", "p99 ms", "max ms",
                "cpu ms/op", "wchar B/op", "disk B/op");
        for (int size : sizes) {
            Path dir = Files.createTempDirectory("sluice-admin-writes");
            try {
                run(dir, size, writes, warmup);
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void run(Path dir, int tenants, int writes, int warmup) throws Exception {
        generate(dir.resolve("data"), tenants);
        int port = RoleProcess.freePort();
        try (RoleProcess sluice = RoleProcess.launch("sluice", "serve", port, dir,
                Map.of("port", Integer.toString(port)))) {
            sluice.awaitReady(true, Duration.ofSeconds(300));
            URI base = sluice.uri();
            SequentialLatency.requireLoopback(base);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // Warm-up: every kind of write, on tenants and keys the measured writes do not touch.
            List<String> warmKeys = new ArrayList<>();
            for (int i = 0; i < warmup; i++) {
                send(http, putTenant(base, "warm-" + i), 201);
                warmKeys.add(keyId(send(http, issueKey(base, tenantName(i)), 201)));
            }
            for (int i = 0; i < warmup; i++) {
                send(http, revokeKey(base, tenantName(i), warmKeys.get(i)), 204);
            }
            List<String> issued = new ArrayList<>();
            measure(sluice, tenants, "put-tenant", writes, i -> send(http, putTenant(base, "new-" + i), 201));
            measure(sluice, tenants, "issue-key", writes,
                    i -> issued.add(keyId(send(http, issueKey(base, tenantName(warmup + i)), 201))));
            measure(sluice, tenants, "revoke-key", writes,
                    i -> send(http, revokeKey(base, tenantName(warmup + i), issued.get(i)), 204));
        }
    }

    interface Write {
        void run(int i) throws IOException, InterruptedException;
    }

    private static void measure(RoleProcess sluice, int tenants, String kind, int writes, Write write)
            throws IOException, InterruptedException {
        Percentiles latencies = new Percentiles(writes);
        long[] ioBefore = io(sluice.pid());
        double cpuBefore = sluice.cpuSeconds();
        for (int i = 0; i < writes; i++) {
            long started = System.nanoTime();
            write.run(i);
            latencies.add(System.nanoTime() - started);
        }
        double cpu = sluice.cpuSeconds() - cpuBefore;
        long[] ioAfter = io(sluice.pid());
        System.out.printf("%-8d %-12s %9.2f %9.2f %9.2f %12.2f %,14d %,14d%n", tenants, kind,
                latencies.percentile(50) / 1e6, latencies.percentile(99) / 1e6, latencies.percentile(100) / 1e6,
                cpu * 1e3 / writes, (ioAfter[0] - ioBefore[0]) / writes, (ioAfter[1] - ioBefore[1]) / writes);
    }

    /** {@code wchar} and {@code write_bytes} of the process, -1 each where {@code /proc} does not tell. */
    static long[] io(long pid) {
        long[] io = {-1, -1};
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
                if (line.startsWith("wchar:")) {
                    io[0] = Long.parseLong(line.substring(6).strip());
                } else if (line.startsWith("write_bytes:")) {
                    io[1] = Long.parseLong(line.substring(12).strip());
                }
            }
        } catch (IOException | RuntimeException notLinux) {
            // Keep -1: the latencies are still worth reporting.
        }
        return io;
    }

    static String tenantName(int i) {
        return String.format("t-%07d", i);
    }

    /**
     * {@code tenants.json} and {@code keys.json} with {@code tenants} tenants and one key each, as the file stores
     * write them (version 1), so the server opens them as it would its own.
     */
    static void generate(Path data, int tenants) throws IOException {
        Files.createDirectories(data);
        try (BufferedWriter out = Files.newBufferedWriter(data.resolve("tenants.json"), StandardCharsets.UTF_8)) {
            out.write("{\"version\":1,\"tenants\":[");
            for (int i = 0; i < tenants; i++) {
                String name = tenantName(i);
                out.write((i == 0 ? "" : ",") + "\n{\"id\":\"" + name + "\",\"uid\":\"" + uid(name, i)
                        + "\",\"overrides\":{},\"created-at\":\"" + STAMP + "\",\"updated-at\":\"" + STAMP + "\"}");
            }
            out.write("]}\n");
        }
        try (BufferedWriter out = Files.newBufferedWriter(data.resolve("keys.json"), StandardCharsets.UTF_8)) {
            out.write("{\"version\":1,\"keys\":[");
            for (int i = 0; i < tenants; i++) {
                out.write((i == 0 ? "" : ",") + "\n{\"id\":\"" + String.format("%016x", i) + "\",\"tenant\":\""
                        + uid(tenantName(i), i) + "\",\"name\":\"bench\",\"secret-sha256\":\""
                        + String.format("%064x", i) + "\",\"created-at\":\"" + STAMP
                        + "\",\"scopes\":[\"invoke\"]}");
            }
            out.write("]}\n");
        }
    }

    private static String uid(String name, int i) {
        return name + "." + String.format("%032x", i);
    }

    private static HttpRequest.Builder putTenant(URI base, String name) {
        return admin(base, "/admin/v1/tenants/" + name).PUT(HttpRequest.BodyPublishers.ofString(
                "{\"requests-per-second\": 100}"));
    }

    private static HttpRequest.Builder issueKey(URI base, String tenant) {
        return admin(base, "/admin/v1/tenants/" + tenant + "/keys").POST(HttpRequest.BodyPublishers.ofString(
                "{\"name\": \"bench\"}"));
    }

    private static HttpRequest.Builder revokeKey(URI base, String tenant, String keyId) {
        return admin(base, "/admin/v1/tenants/" + tenant + "/keys/" + keyId).DELETE();
    }

    private static HttpRequest.Builder admin(URI base, String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + RoleProcess.ADMIN_TOKEN)
                .header("Content-Type", "application/json");
    }

    private static String send(HttpClient http, HttpRequest.Builder request, int status)
            throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != status) {
            throw new IllegalStateException(request.build().method() + " " + request.build().uri() + ": "
                    + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private static String keyId(String body) {
        Matcher matcher = KEY_ID.matcher(body);
        if (!matcher.find()) {
            throw new IllegalStateException("no key id in " + body);
        }
        return matcher.group(1);
    }
}
