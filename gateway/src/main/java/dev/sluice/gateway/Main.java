package dev.sluice.gateway;

import dev.sluice.config.ConfigException;
import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.TenancyException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code sluice serve|gateway|worker [--config FILE]}: starts Sluice in one of its roles ({@code serve}: all in one,
 * {@link GatewayRole}, {@link WorkerRole}) with its embedded defaults, or with the settings of FILE (default:
 * {@code sluice.conf} in the working directory when it exists, or {@code $SLUICE_CONFIG}).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
        PrintStream out = System.out;
        if (args.length == 0 || !List.of("serve", "gateway", "worker").contains(args[0])) {
            usage(out);
            System.exit(args.length > 0 && (args[0].equals("--help") || args[0].equals("help")) ? 0 : 2);
        }
        Optional<Path> configFile;
        try {
            configFile = configFile(args);
        } catch (IllegalArgumentException e) {
            System.err.println("sluice: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        try {
            SluiceConfig config = configFile.map(f -> SluiceConfig.from(FileConfigSource.load(f)))
                    .orElseGet(SluiceConfig::defaults);
            if (args[0].equals("worker")) {
                WorkerRole worker = WorkerRole.builder().config(config).environment(System.getenv()).start();
                Runtime.getRuntime().addShutdownHook(new Thread(worker::stop, "sluice-shutdown"));
                out.println("Sluice worker " + worker.id() + " is serving on h2c://" + config.cluster().workerHost()
                        + ":" + worker.port());
                return;
            }
            Sluice.Builder builder = args[0].equals("gateway")
                    ? GatewayRole.builder(config, System.getenv())
                    : Sluice.builder().config(config);
            Sluice sluice = builder
                    .configFile(configFile)
                    .environment(System.getenv())
                    .adminToken(Optional.ofNullable(System.getenv("SLUICE_ADMIN_TOKEN")).filter(t -> !t.isBlank()))
                    .secretsKey(Optional.ofNullable(System.getenv("SLUICE_SECRETS_KEY")))
                    .announce(token -> announce(out, token, config))
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(sluice::stop, "sluice-shutdown"));
            out.println("Sluice is serving on http://" + config.host() + ":" + sluice.port());
        } catch (ConfigException | TenancyException | SchedulerException e) {
            // Every failure we know how to name; messages never carry secrets (URIs are redacted).
            System.err.println("sluice: cannot start: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void announce(PrintStream out, String token, SluiceConfig config) {
        out.println("Generated the admin token (shown only now; also saved, readable by you alone, in "
                + config.dataDir().resolve("admin-token") + "):");
        out.println("  " + token);
    }

    private static Optional<Path> configFile(String[] args) {
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Optional.of(Path.of(args[++i]));
            }
            throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
        }
        String fromEnv = System.getenv("SLUICE_CONFIG");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(Path.of(fromEnv));
        }
        Path local = Path.of("sluice.conf");
        return Files.exists(local) ? Optional.of(local) : Optional.empty();
    }

    private static void usage(PrintStream out) {
        out.println("usage: sluice serve|gateway|worker [--config FILE]");
        out.println("  serve:   all in one process (the default set-up): tenant API and the in-process workers.");
        out.println("  gateway: the tenant API; runs functions on the workers of worker-addresses (or discovery).");
        out.println("  worker:  runs functions for gateways on its internal port (worker-port), nothing else.");
        out.println("  Settings come from FILE, else $SLUICE_CONFIG, else ./sluice.conf if present, else the embedded");
        out.println("  defaults (127.0.0.1:8080, data in ./sluice-data). gateway and worker need worker-secret (or");
        out.println("  $SLUICE_WORKER_SECRET). See docs/configuration.md and docs/architecture.md.");
        out.println("  With vault-address set, configuration, plans, tenants and keys also come from Vault, live (token");
        out.println("  from vault-token-file or $VAULT_TOKEN, or AppRole / Kubernetes login); see docs/vault.md.");
    }
}
