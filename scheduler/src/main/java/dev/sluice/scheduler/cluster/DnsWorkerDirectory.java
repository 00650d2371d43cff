package dev.sluice.scheduler.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Workers behind a Kubernetes headless Service ({@code worker-discovery: dns}): the Service name resolves to one A
 * (or AAAA) record per ready worker pod, re-resolved every refresh interval. Each address becomes a worker with the
 * configured port and max-concurrency, its id being {@code address:port}.
 *
 * <p>When a lookup fails the previous list stays: a DNS hiccup must not empty the cluster, while a worker that is
 * really gone fails its calls and the balancer ejects it. Note that the JDK's resolver caches answers for
 * {@code networkaddress.cache.ttl} (30 s by default), which bounds how fast {@link #SYSTEM} sees changes.
 *
 * <p>Threading: a background thread (unless {@link Builder#manualRefresh()}) calls {@link #refresh()}; readers get
 * an immutable snapshot from a volatile field.
 */
public final class DnsWorkerDirectory implements WorkerDirectory {
    private static final System.Logger LOG = System.getLogger(DnsWorkerDirectory.class.getName());

    /** Looks a name up; {@link #SYSTEM} asks the JDK's resolver. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String name) throws UnknownHostException;
    }

    public static final Resolver SYSTEM = name -> List.of(InetAddress.getAllByName(name));

    private final String name;
    private final int port;
    private final int maxConcurrency;
    private final Resolver resolver;
    private final DirectoryRefresher refresher;
    private volatile List<WorkerAddress> workers = List.of();

    private DnsWorkerDirectory(Builder builder) {
        this.name = builder.name;
        this.port = builder.port;
        this.maxConcurrency = builder.maxConcurrency;
        this.resolver = builder.resolver;
        refresh();
        this.refresher = DirectoryRefresher.every(builder.refreshEvery, "sluice-dns-discovery", this::refresh);
    }

    /**
     * @param name           the headless Service's DNS name ({@code worker-dns-name})
     * @param port           the workers' internal port ({@code worker-port})
     * @param maxConcurrency each worker's limit ({@code worker-max-concurrency})
     */
    public static Builder builder(String name, int port, int maxConcurrency) {
        return new Builder(name, port, maxConcurrency);
    }

    /** Resolves the name now and replaces the list, or keeps it if the lookup fails. */
    public void refresh() {
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(name);
        } catch (UnknownHostException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "worker-dns-name: cannot resolve ''{0}'' ({1}); keeping the {2} "
                    + "workers known", name, e.toString(), workers.size());
            return;
        }
        Set<String> seen = new LinkedHashSet<>();
        List<WorkerAddress> found = new ArrayList<>();
        for (InetAddress address : addresses) {
            String host = address.getHostAddress();
            String id = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
            if (seen.add(id)) {
                found.add(new WorkerAddress(id, host, port, maxConcurrency));
            }
        }
        workers = DirectoryRefresher.settle(found, workers);
    }

    @Override
    public List<WorkerAddress> workers() {
        return workers;
    }

    @Override
    public void close() {
        refresher.close();
    }

    public static final class Builder {
        private final String name;
        private final int port;
        private final int maxConcurrency;
        private Resolver resolver = SYSTEM;
        private Duration refreshEvery = Duration.ofSeconds(5);

        private Builder(String name, int port, int maxConcurrency) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("worker-dns-name: blank (expected: the workers' headless "
                        + "Service name)");
            }
            // Validated here, not at the first record: a bad port must fail at start, not on the first lookup.
            new WorkerAddress("check", "check", port, maxConcurrency);
            this.name = name;
            this.port = port;
            this.maxConcurrency = maxConcurrency;
        }

        public Builder resolver(Resolver resolver) {
            this.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /** How often to resolve again (default 5 s). */
        public Builder refreshEvery(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("dns refresh interval: " + interval + " (expected: > 0)");
            }
            this.refreshEvery = interval;
            return this;
        }

        /** No background thread: the owner calls {@link DnsWorkerDirectory#refresh()} (tests). */
        public Builder manualRefresh() {
            this.refreshEvery = null;
            return this;
        }

        public DnsWorkerDirectory build() {
            return new DnsWorkerDirectory(this);
        }
    }
}
