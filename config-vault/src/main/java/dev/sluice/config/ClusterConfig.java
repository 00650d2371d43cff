package dev.sluice.config;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How gateways and workers find and trust each other when Sluice runs as {@code sluice gateway} and
 * {@code sluice worker}; {@code sluice serve} ignores it. Every key is validated here, with a message naming it.
 *
 * @param workerSecret         shared by every gateway and worker of one deployment; a worker refuses internal calls
 *                             without it. Empty when not configured (only a {@code serve} process may run without
 *                             it). Never printed: {@link #toString()} redacts it
 * @param workerHost           address the worker's internal (h2c) listener binds
 * @param workerPort           the worker's internal port; 0 picks a free one (tests)
 * @param workerAdvertiseHost  the host gateways should dial to reach this worker (empty: {@code workerHost})
 * @param workerId             what this worker calls itself in discovery (empty: generated at start)
 * @param workerMaxConcurrency invocations one worker runs at once; beyond it it refuses with worker-busy
 *                             (0: the {@code workers} setting)
 * @param workerDiscovery      {@code static}, {@code redis} or {@code dns}: how gateways find workers
 * @param workerAddresses      the {@code host:port} of each worker, for static discovery
 * @param workerDnsName        the headless Service name resolved for dns discovery
 * @param workerHeartbeatMs    how often a worker refreshes its Redis advertisement
 * @param workerModuleDir      where a worker reads module files by digest when modules are not shared through Redis
 *                             (a directory shared with the gateways; empty: none)
 */
public record ClusterConfig(String workerSecret, String workerHost, int workerPort, String workerAdvertiseHost,
                           String workerId, int workerMaxConcurrency, String workerDiscovery,
                           List<String> workerAddresses, String workerDnsName, long workerHeartbeatMs,
                           String workerModuleDir) {

    /** Environment variable that supplies the secret when the file does not (it wins over nothing, not over the file). */
    public static final String SECRET_ENV = "SLUICE_WORKER_SECRET";
    static final int MIN_SECRET_LENGTH = 32;

    static final List<String> KEYS = List.of("worker-secret", "worker-host", "worker-port", "worker-advertise-host",
            "worker-id", "worker-max-concurrency", "worker-discovery", "worker-addresses", "worker-dns-name",
            "worker-heartbeat-ms", "worker-module-dir");

    public ClusterConfig {
        if (workerSecret == null) {
            throw new ConfigException("worker-secret: missing");
        }
        if (!workerSecret.isEmpty() && workerSecret.length() < MIN_SECRET_LENGTH) {
            // The length only: the value itself never goes into a message.
            throw new ConfigException("worker-secret: " + workerSecret.length() + " characters (expected: at least "
                    + MIN_SECRET_LENGTH + ")");
        }
        if (workerHost == null || workerHost.isBlank()) {
            throw new ConfigException("worker-host: '" + workerHost + "' (expected: an address or host name)");
        }
        range("worker-port", workerPort, 0, 65535);
        if (workerAdvertiseHost == null) {
            throw new ConfigException("worker-advertise-host: missing");
        }
        if (workerId == null || workerId.length() > 200 || !workerId.matches("[A-Za-z0-9._:-]*")) {
            throw new ConfigException("worker-id: '" + workerId + "' (expected: up to 200 of A-Z a-z 0-9 . _ : -)");
        }
        range("worker-max-concurrency", workerMaxConcurrency, 0, 4096);
        if (!List.of("static", "redis", "dns").contains(workerDiscovery)) {
            throw new ConfigException("worker-discovery: '" + workerDiscovery
                    + "' (expected: static or redis or dns)");
        }
        workerAddresses = List.copyOf(workerAddresses);
        for (String address : workerAddresses) {
            hostPort(address);
        }
        if (workerDnsName == null) {
            throw new ConfigException("worker-dns-name: missing");
        }
        if (workerDiscovery.equals("dns") && workerDnsName.isBlank()) {
            throw new ConfigException("worker-dns-name: empty (expected: the workers' headless Service name when "
                    + "worker-discovery = dns)");
        }
        range("worker-heartbeat-ms", workerHeartbeatMs, 50, 60_000);
        if (workerModuleDir == null) {
            throw new ConfigException("worker-module-dir: missing");
        }
    }

    static ClusterConfig from(Map<String, String> raw, String source) {
        String addresses = raw.getOrDefault("worker-addresses", "").trim();
        return new ClusterConfig(
                Optional.ofNullable(raw.get("worker-secret")).orElse(""),
                raw.getOrDefault("worker-host", "127.0.0.1"),
                (int) number(raw, source, "worker-port", 8090),
                raw.getOrDefault("worker-advertise-host", ""),
                raw.getOrDefault("worker-id", ""),
                (int) number(raw, source, "worker-max-concurrency", 0),
                raw.getOrDefault("worker-discovery", "static"),
                addresses.isEmpty() ? List.of() : List.of(addresses.split("\\s*,\\s*")),
                raw.getOrDefault("worker-dns-name", ""),
                number(raw, source, "worker-heartbeat-ms", 500),
                raw.getOrDefault("worker-module-dir", ""));
    }

    /**
     * The secret from the file, else from {@code $SLUICE_WORKER_SECRET}, validated the same way; what the
     * {@code gateway} and {@code worker} roles use. A Vault source can supply {@code worker-secret} like any key.
     *
     * @throws ConfigException naming {@code worker-secret} when neither gives one
     */
    public String requireSecret(Map<String, String> environment) {
        if (!workerSecret.isEmpty()) {
            return workerSecret;
        }
        String fromEnv = environment.getOrDefault(SECRET_ENV, "");
        if (fromEnv.isEmpty()) {
            throw new ConfigException("worker-secret: missing (expected: at least " + MIN_SECRET_LENGTH
                    + " characters, in the configuration or $" + SECRET_ENV + "); every gateway and worker of a "
                    + "deployment shares it");
        }
        return withSecret(fromEnv).workerSecret();
    }

    /** This configuration with another secret (validated). */
    public ClusterConfig withSecret(String secret) {
        return new ClusterConfig(secret, workerHost, workerPort, workerAdvertiseHost, workerId, workerMaxConcurrency,
                workerDiscovery, workerAddresses, workerDnsName, workerHeartbeatMs, workerModuleDir);
    }

    /** The host gateways dial: {@code worker-advertise-host}, else {@code worker-host}. */
    public String effectiveAdvertiseHost() {
        return workerAdvertiseHost.isBlank() ? workerHost : workerAdvertiseHost;
    }

    /** {@code worker-id}, else a fresh random one (stable for this process only). */
    public String effectiveWorkerId() {
        if (!workerId.isEmpty()) {
            return workerId;
        }
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        return "worker-" + HexFormat.of().formatHex(random);
    }

    /** {@code worker-max-concurrency}, with 0 resolved to the number of worker threads. */
    public int effectiveMaxConcurrency(int workers) {
        return workerMaxConcurrency > 0 ? workerMaxConcurrency : workers;
    }

    /** Host and port of one {@code worker-addresses} entry ({@code host:port}, {@code [v6]:port}). */
    public static HostPort hostPort(String address) {
        String text = address == null ? "" : address.trim();
        int colon = text.lastIndexOf(':');
        String host = colon > 0 ? text.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        if (host.isBlank() || port < 1 || port > 65535) {
            throw new ConfigException("worker-addresses: '" + address + "' (expected: host:port, port 1..65535)");
        }
        return new HostPort(host, port);
    }

    /** One worker's address as configured. */
    public record HostPort(String host, int port) {}

    Map<String, String> asMap() {
        Map<String, String> map = new java.util.HashMap<>();
        if (!workerSecret.isEmpty()) {
            map.put("worker-secret", workerSecret);
        }
        map.put("worker-host", workerHost);
        map.put("worker-port", Integer.toString(workerPort));
        map.put("worker-advertise-host", workerAdvertiseHost);
        map.put("worker-id", workerId);
        map.put("worker-max-concurrency", Integer.toString(workerMaxConcurrency));
        map.put("worker-discovery", workerDiscovery);
        map.put("worker-addresses", String.join(",", workerAddresses));
        map.put("worker-dns-name", workerDnsName);
        map.put("worker-heartbeat-ms", Long.toString(workerHeartbeatMs));
        map.put("worker-module-dir", workerModuleDir);
        return map;
    }

    @Override
    public String toString() {
        return "ClusterConfig[worker-secret=" + (workerSecret.isEmpty() ? "" : "***") + ", worker-host=" + workerHost
                + ", worker-port=" + workerPort + ", worker-advertise-host=" + workerAdvertiseHost + ", worker-id="
                + workerId + ", worker-max-concurrency=" + workerMaxConcurrency + ", worker-discovery="
                + workerDiscovery + ", worker-addresses=" + workerAddresses + ", worker-dns-name=" + workerDnsName
                + ", worker-heartbeat-ms=" + workerHeartbeatMs + ", worker-module-dir=" + workerModuleDir + "]";
    }

    private static long number(Map<String, String> raw, String source, String key, long fallback) {
        String text = raw.get(key);
        long value = text == null ? fallback : SluiceConfig.parseLong(source, key, text);
        return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
    }

    private static void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }
}
