package dev.sluice.gateway.metrics;

import dev.sluice.config.live.ConfigStatus;
import dev.sluice.scheduler.InvocationObserver;
import dev.sluice.scheduler.WorkerLoad;
import dev.sluice.tenancy.quota.Quotas;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One process's metrics: it owns the OpenTelemetry {@link SdkMeterProvider}, read on demand by the Prometheus
 * exporter's reader (pull: nothing is collected between scrapes, and the exporter's own HTTP server is never started;
 * {@link MetricsService} serves the text). The rest of Sluice records through the typed methods here and never sees an
 * OpenTelemetry type.
 *
 * <p>Cardinality is bounded by construction: the only open-ended label is the tenant id (tenants exist only when an
 * operator creates them); function names, keys, paths and bodies are never labels. Every other label takes a value
 * from a fixed set named here. Each instrument keeps at most {@value #CARDINALITY_LIMIT} label sets (the SDK's default,
 * 2,000, would fold {@code sluice_invocations_total} from about 150 tenants on): that is every series of 1,000 tenants;
 * past it, new label sets are summed into one series labelled {@code otel_metric_overflow="true"}. Built once per
 * process, closed with it; thread-safe.
 */
public final class SluiceMetrics implements AutoCloseable {
    private static final AttributeKey<String> TENANT = AttributeKey.stringKey("tenant");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
    private static final AttributeKey<String> QUOTA = AttributeKey.stringKey("quota");
    private static final AttributeKey<String> COMMAND = AttributeKey.stringKey("command");
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("operation");
    /**
     * The Redis commands Sluice sends (quota scripts, the registry, discovery, the connection's handshake), each its
     * own {@code command} label; anything else is {@code other}.
     */
    public static final Set<String> REDIS_COMMANDS = Set.of("eval", "evalsha", "get", "set", "setnx", "psetex",
            "mget", "del", "exists", "expire", "pexpire", "incr", "incrby", "keys", "scan", "hget", "hmget", "hgetall",
            "hset", "hsetnx", "hdel", "hincrby", "sadd", "srem", "smembers", "zadd", "zrem", "zcount", "zscore",
            "zrangebyscore", "time", "ping", "hello", "auth", "select", "client", "cluster", "script", "info");
    /** Sub-millisecond to the longest timeout a plan allows, in seconds (Prometheus' unit for durations). */
    /** Label sets per instrument: {@link InvocationOutcomeKind}'s 13 outcomes for 1,000 tenants. */
    static final int CARDINALITY_LIMIT = 13_000;
    /**
     * Tenants whose labels are kept ready ({@link TenantLabels}): as many as the instruments keep series for. Past
     * it, labels are built per call, as before the cache.
     */
    static final int CACHED_TENANTS = 1_000;
    private static final List<Double> DURATION_BUCKETS = List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0);

    private final SdkMeterProvider provider;
    private final PrometheusMetricReader reader;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final LongSupplier nanoTime;
    private final Meter meter;
    private final LongCounter invocations;
    private final DoubleHistogram invocationDuration;
    private final LongCounter fuel;
    private final LongCounter throttles;
    private final LongUpDownCounter inFlight;
    private final LongCounter deploys;
    private final DoubleHistogram queueWait;
    private final LongUpDownCounter queued;
    private final DoubleHistogram deployDuration;
    private final DoubleHistogram compileDuration;
    /** The {@code command} label of each Redis keyword, upper case as Lettuce names it: no allocation per command. */
    private final Map<String, Attributes> redisCommandLabels;
    private final Attributes otherRedisCommand;
    private final DoubleHistogram redisDuration;
    private final LongCounter redisFailures;
    private final DoubleHistogram vaultDuration;
    private final LongCounter vaultFailures;
    private final LongCounter accessLogDropped;
    /**
     * Totals without labels for {@link #live()}: reading the SDK's instruments would collect every series (all tenants)
     * on each poll; these cost one adder increment per event.
     */
    private final long startedNanos;
    private final LongAdder ran = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder refusedByQuota = new LongAdder();
    private final LongAdder handling = new LongAdder();
    /** Per tenant id, its label sets: built once, not on every invocation (5 per call before). */
    private final ConcurrentHashMap<String, TenantLabels> tenantLabels = new ConcurrentHashMap<>();

    /** A tenant's label sets: {@code tenant} alone, and with each invocation outcome. */
    private static final class TenantLabels {
        final Attributes tenant;
        final Attributes[] outcomes;

        TenantLabels(String tenant) {
            this.tenant = Attributes.of(TENANT, tenant);
            InvocationOutcomeKind[] kinds = InvocationOutcomeKind.values();
            this.outcomes = new Attributes[kinds.length];
            for (InvocationOutcomeKind kind : kinds) {
                outcomes[kind.ordinal()] = Attributes.of(TENANT, tenant, OUTCOME, kind.label());
            }
        }
    }

    private SluiceMetrics(LongSupplier nanoTime, List<MetricReader> readers) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.startedNanos = nanoTime.getAsLong();
        // No target_info or otel_scope labels: a scrape shows Sluice's series only, each with its own labels.
        this.reader = PrometheusMetricReader.builder()
                .setOtelScopeLabelsEnabled(false)
                .setTargetInfoMetricEnabled(false)
                .build();
        var providerBuilder = SdkMeterProvider.builder()
                .setResource(Resource.empty())
                .registerMetricReader(reader, type -> CARDINALITY_LIMIT);
        // Others beside the Prometheus reader: OTLP push (otlp-endpoint), flushed when the provider closes.
        readers.forEach(r -> providerBuilder.registerMetricReader(r, type -> CARDINALITY_LIMIT));
        this.provider = providerBuilder.build();
        this.meter = provider.get("dev.sluice.gateway");
        this.invocations = meter.counterBuilder("sluice.invocations")
                .setDescription("Invocations answered, by tenant and outcome.").build();
        this.invocationDuration = meter.histogramBuilder("sluice.invocation.duration").setUnit("s")
                .setDescription("Time from admission to the outcome of an invocation, by tenant.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.fuel = meter.counterBuilder("sluice.fuel.used")
                .setDescription("Fuel charged for guest runs, by tenant.").build();
        this.throttles = meter.counterBuilder("sluice.throttles")
                .setDescription("Calls refused by a quota, by tenant and quota kind.").build();
        this.inFlight = meter.upDownCounterBuilder("sluice.invocations.in_flight")
                .setDescription("Invocations being handled now, by tenant.").build();
        this.deploys = meter.counterBuilder("sluice.deploys")
                .setDescription("Deploys answered, by tenant and outcome.").build();
        this.queueWait = meter.histogramBuilder("sluice.invocation.queue_wait").setUnit("s")
                .setDescription("Time an admitted invocation waited for a worker, by tenant.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.queued = meter.upDownCounterBuilder("sluice.invocations.queued")
                .setDescription("Admitted invocations waiting for their first worker now, by tenant.").build();
        this.deployDuration = meter.histogramBuilder("sluice.deploy.duration").setUnit("s")
                .setDescription("Time from a deploy's module read to its answer (validation, instrumentation, "
                        + "compile within compile-budget-ms), by tenant.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        // Not the deploy's duration: that stops at compile-budget-ms, this is the whole compile, also in the background.
        this.compileDuration = meter.histogramBuilder("sluice.module.compile.duration").setUnit("s")
                .setDescription("Module compiles finished (not loads from the compiled cache), whole, however long "
                        + "the deploy waited for them.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.redisCommandLabels = REDIS_COMMANDS.stream().collect(Collectors.toUnmodifiableMap(
                c -> c.toUpperCase(Locale.ROOT), c -> Attributes.of(COMMAND, c)));
        this.otherRedisCommand = Attributes.of(COMMAND, "other");
        this.redisDuration = meter.histogramBuilder("sluice.redis.command.duration").setUnit("s")
                .setDescription("Redis commands answered, by command.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.redisFailures = meter.counterBuilder("sluice.redis.command.failures")
                .setDescription("Redis commands failed (timed out, refused, disconnected, an error reply), by command.")
                .build();
        this.vaultDuration = meter.histogramBuilder("sluice.vault.request.duration").setUnit("s")
                .setDescription("Vault requests answered, by operation.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.vaultFailures = meter.counterBuilder("sluice.vault.request.failures")
                .setDescription("Vault requests failed (unreachable, timed out, an error status), by operation.")
                .build();
        this.accessLogDropped = meter.counterBuilder("sluice.access_log.dropped")
                .setDescription("Access log lines dropped because the writer's queue was full.").build();
    }

    /** @param nanoTime the monotonic clock durations are measured with */
    public static SluiceMetrics create(LongSupplier nanoTime) {
        return new SluiceMetrics(nanoTime, List.of());
    }

    /** ... also read by {@code readers} (OTLP push, see OtlpExport), which the metrics close with them. */
    public static SluiceMetrics create(LongSupplier nanoTime, List<MetricReader> readers) {
        return new SluiceMetrics(nanoTime, List.copyOf(readers));
    }

    /** A point in time to measure a duration from, on this instance's clock. */
    public long start() {
        return nanoTime.getAsLong();
    }

    /** One invocation answered: counted by outcome, timed from {@code startNanos}, its fuel charged to the tenant. */
    public void invoked(String tenant, InvocationOutcomeKind outcome, long fuelUsed, long startNanos) {
        TenantLabels labels = labels(tenant);
        Attributes byTenant = labels.tenant;
        invocations.add(1, labels.outcomes[outcome.ordinal()]);
        invocationDuration.record(Math.max(0, nanoTime.getAsLong() - startNanos) / 1e9, byTenant);
        if (fuelUsed > 0) {
            fuel.add(fuelUsed, byTenant);
        }
        switch (outcome) {
            case OK -> ran.increment();
            case EXITED, TRAP, TIMEOUT, MEMORY_LIMIT, OUTPUT_LIMIT, STACK_EXHAUSTED, FUEL_EXHAUSTED, WORKER_LOST -> {
                ran.increment();
                failed.increment();
            }
            // Never dispatched: refused (a quota counts in throttled), no capacity, or a bad request.
            case THROTTLED, REFUSED, OVERLOADED, ERROR -> { }
        }
    }

    /** The process's counters now, since it started ({@link LiveCounters}). */
    public LiveCounters live() {
        return new LiveCounters(Math.max(0, nanoTime.getAsLong() - startedNanos) / 1_000_000, ran.sum(),
                failed.sum(), refusedByQuota.sum(), Math.max(0, handling.sum()));
    }

    /** A call refused by a quota. */
    public void throttled(String tenant, QuotaKind quota) {
        throttles.add(1, Attributes.of(TENANT, tenant, QUOTA, quota.label()));
        refusedByQuota.increment();
    }

    /** An invocation entered ({@code +1}) or left ({@code -1}) the gateway. */
    public void inFlight(String tenant, int delta) {
        inFlight.add(delta, labels(tenant).tenant);
        handling.add(delta);
    }

    /** The tenant's labels, cached for the first {@value #CACHED_TENANTS} tenants seen (a bounded map). */
    private TenantLabels labels(String tenant) {
        TenantLabels labels = tenantLabels.get(tenant);
        if (labels == null) {
            labels = new TenantLabels(tenant);
            if (tenantLabels.size() < CACHED_TENANTS) {
                TenantLabels raced = tenantLabels.putIfAbsent(tenant, labels);
                labels = raced != null ? raced : labels;
            }
        }
        return labels;
    }

    /** One deploy answered; {@code outcome} is {@code deployed}, {@code refused} or {@code failed}. */
    public void deployed(String tenant, DeployOutcomeKind outcome) {
        deploys.add(1, Attributes.of(TENANT, tenant, OUTCOME, outcome.label()));
    }

    /** The live configuration's counters, read at each scrape. */
    public void observeConfig(Supplier<ConfigStatus> status) {
        Objects.requireNonNull(status, "status");
        meter.counterBuilder("sluice.config.polls").setDescription("Checks of the configuration sources.")
                .buildWithCallback(m -> m.record(status.get().polls()));
        meter.counterBuilder("sluice.config.failures")
                .setDescription("Checks of the configuration sources that could not read one.")
                .buildWithCallback(m -> m.record(status.get().failures()));
        meter.counterBuilder("sluice.config.refusals")
                .setDescription("Configurations read but refused as invalid; the previous one stayed in force.")
                .buildWithCallback(m -> m.record(status.get().refusals()));
        meter.counterBuilder("sluice.config.applied")
                .setDescription("Configurations applied.")
                .buildWithCallback(m -> m.record(status.get().applied()));
    }

    /** The shared quota store's fail-open events, read at each scrape. */
    public void observeQuotas(Quotas quotas) {
        Objects.requireNonNull(quotas, "quotas");
        meter.counterBuilder("sluice.quota.fallbacks")
                .setDescription("Quota checks answered locally because the shared store was unavailable (fail-open).")
                .buildWithCallback(m -> m.record(quotas.fallbacks()));
        meter.counterBuilder("sluice.quota.store.refusals")
                .setDescription("Calls refused because the shared quota store was unavailable (fail-closed).")
                .buildWithCallback(m -> m.record(quotas.refusals()));
        meter.counterBuilder("sluice.quota.breaker.openings")
                .setDescription("Times the circuit breaker in front of the shared quota store opened.")
                .buildWithCallback(m -> m.record(quotas.breakerOpenings()));
        meter.counterBuilder("sluice.quota.debited")
                .setDescription("Invocations and fuel granted by the fail-open fallback, debited in the store later.")
                .buildWithCallback(m -> m.record(quotas.debited()));
        meter.counterBuilder("sluice.usage.dropped")
                .setDescription("Usage events lost while the shared store was away beyond the buffer's bound.")
                .buildWithCallback(m -> m.record(quotas.usageDropped()));
        meter.gaugeBuilder("sluice.usage.buffered").ofLongs()
                .setDescription("Usage events waiting to be written to the shared store.")
                .buildWithCallback(m -> m.record(quotas.usageBuffered()));
    }

    /**
     * An admitted invocation of {@code tenant}, about to be dispatched: counted as queued from now. Returns the
     * observer the dispatcher tells when the call leaves the queue; {@link Queued#ended} settles a call that never
     * left it (its queue full, timed out waiting, a shutdown).
     */
    public Queued queued(String tenant) {
        return new Queued(tenant);
    }

    /** A deploy's module was read {@code startNanos} ago (on {@link #start()}'s clock) and the deploy is answered. */
    public void deployTimed(String tenant, long startNanos) {
        deployDuration.record(Math.max(0, nanoTime.getAsLong() - startNanos) / 1e9, Attributes.of(TENANT, tenant));
    }

    /** A module compile finished after {@code nanos} (see {@code CompileListener}); loads from the disk cache are not. */
    public void moduleCompiled(long nanos) {
        compileDuration.record(Math.max(0, nanos) / 1e9);
    }

    /**
     * One Redis command ended, after {@code nanos}. {@code command} is the protocol keyword; any outside
     * {@link #REDIS_COMMANDS} is labelled {@code other}, so the label's values are a fixed set.
     */
    public void redisCommand(String command, long nanos, boolean failed) {
        // On Lettuce's I/O thread for every command: one map lookup, no allocation (Lettuce names them upper case).
        Attributes attributes = command == null ? otherRedisCommand : redisCommandLabels.get(command);
        if (attributes == null) {
            attributes = redisCommandLabels.getOrDefault(command.toUpperCase(Locale.ROOT), otherRedisCommand);
        }
        if (failed) {
            redisFailures.add(1, attributes);
        } else {
            redisDuration.record(Math.max(0, nanos) / 1e9, attributes);
        }
    }

    /** One Vault request ended after {@code nanos}; {@code operation} is one of a fixed set (see the Vault client). */
    public void vaultRequest(String operation, long nanos, boolean failed) {
        Attributes attributes = Attributes.of(OPERATION, operation);
        if (failed) {
            vaultFailures.add(1, attributes);
        } else {
            vaultDuration.record(Math.max(0, nanos) / 1e9, attributes);
        }
    }

    /** An access log line the writer could not take (its queue full): lost, and counted here. */
    public void accessLogDropped() {
        accessLogDropped.add(1);
    }

    /**
     * The process's worker threads, read at each scrape: those running a guest, all of them, and the invocations of
     * every tenant waiting for one (a worker process knows tenants only by an internal id, never shown, so these carry
     * no tenant label).
     */
    public void observeWorkers(Supplier<WorkerLoad> load) {
        Objects.requireNonNull(load, "load");
        var busy = meter.gaugeBuilder("sluice.worker.threads.busy").ofLongs()
                .setDescription("Worker threads running a guest now.").buildObserver();
        var threads = meter.gaugeBuilder("sluice.worker.threads").ofLongs()
                .setDescription("Worker threads in the pool.").buildObserver();
        var queuedCalls = meter.gaugeBuilder("sluice.worker.queued").ofLongs()
                .setDescription("Invocations waiting for a worker thread now, all tenants together.").buildObserver();
        // One read per scrape: the three come from one moment of the pool (one lock taken, not three).
        meter.batchCallback(() -> {
            WorkerLoad now = load.get();
            busy.record(now.busy());
            threads.record(now.workers());
            queuedCalls.record(now.queued());
        }, busy, threads, queuedCalls);
    }

    /**
     * One admitted invocation's place in its tenant's {@code queued} gauge and its queue wait: the dispatcher calls
     * {@link #started} on its own thread (quick, never throws); the gateway calls {@link #ended} once the dispatch
     * returned or threw. The gauge counts the wait for the first worker only: a remote call a busy worker puts back
     * waits again, which the queue-wait histogram records but the gauge does not.
     */
    public final class Queued implements InvocationObserver {
        private final Attributes tenant;
        private final AtomicBoolean waiting = new AtomicBoolean(true);

        private Queued(String tenant) {
            this.tenant = labels(tenant).tenant;
            queued.add(1, this.tenant);
        }

        @Override
        public void started(long queueWaitNanos) {
            queueWait.record(Math.max(0, queueWaitNanos) / 1e9, tenant);
            leave();
        }

        /** The dispatch is over: a call that never left the queue leaves the gauge now. */
        public void ended() {
            leave();
        }

        private void leave() {
            if (waiting.compareAndSet(true, false)) {
                queued.add(-1, tenant);
            }
        }
    }

    /** The content type of {@link #scrape}: Prometheus text exposition 0.0.4. */
    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    /** Collects every instrument now and writes the Prometheus text exposition. */
    public void scrape(OutputStream out) throws IOException {
        writer.write(out, reader.collect());
    }

    @Override
    public void close() {
        provider.close();
    }

    /** How an invocation ended, as its {@code outcome} label. */
    public enum InvocationOutcomeKind {
        OK, EXITED, TRAP, TIMEOUT, MEMORY_LIMIT, OUTPUT_LIMIT, STACK_EXHAUSTED, FUEL_EXHAUSTED, THROTTLED, REFUSED,
        OVERLOADED, WORKER_LOST, ERROR;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Which quota refused a call, as the {@code quota} label. */
    public enum QuotaKind {
        RATE, CONCURRENCY, FUEL_DAY, INVOCATIONS_MINUTE, INVOCATIONS_DAY;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** How a deploy ended, as its {@code outcome} label. */
    public enum DeployOutcomeKind {
        DEPLOYED, REFUSED, FAILED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Ended spans the trace export queue dropped because it was full (tracing on), read at each scrape. */
    public void spansDropped(LongSupplier dropped) {
        Objects.requireNonNull(dropped, "dropped");
        meter.counterBuilder("sluice.trace.spans.dropped")
                .setDescription("Ended spans dropped because the trace export queue was full (slow collector).")
                .buildWithCallback(m -> m.record(dropped.getAsLong()));
    }
}
