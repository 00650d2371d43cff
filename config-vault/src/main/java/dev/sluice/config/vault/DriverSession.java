package dev.sluice.config.vault;

import dev.sluice.config.CallListener;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link VaultSession} on vault-java-driver 6.2.1: one shared HTTP client (bounded by {@code vault-timeout-ms}),
 * one {@link TokenKeeper}, KV on {@code vault-mount}, the mirror of {@code vault-prefix}, and one daemon thread that
 * renews the token ahead of its TTL even when no call comes. Calls also check the token before they run, so the
 * thread only matters for an idle session; its delays are computed from the injected clock (at least a second, at
 * most ten minutes, so a clock that jumps is caught up with).
 */
final class DriverSession implements VaultSession {
    static final int POOL_SIZE = 8;
    private static final Duration MIN_DELAY = Duration.ofSeconds(1);
    private static final Duration MAX_DELAY = Duration.ofMinutes(10);
    private static final Duration FAILED_TICK_DELAY = Duration.ofSeconds(30);
    private static final System.Logger LOG = System.getLogger(DriverSession.class.getName());

    private final InstantSource clock;
    private final BoundedHttpClient http;
    private final TokenKeeper keeper;
    private final DriverKv kv;
    private final PolledMirror mirror;
    private final ThreadPoolExecutor pool;
    private final ScheduledThreadPoolExecutor renewer; // null: driven by maintain() only (tests)
    private final Object scheduleLock = new Object();
    private ScheduledFuture<?> next;
    private volatile boolean closed;

    private DriverSession(dev.sluice.config.VaultConfig config, Map<String, String> environment, InstantSource clock,
            boolean background, CallListener calls) {
        this.clock = clock;
        this.http = BoundedHttpClient.create(Duration.ofMillis(config.timeoutMs()), BoundedHttpClient.MAX_BODY_BYTES,
                calls);
        this.keeper = new TokenKeeper(config, environment, clock, http);
        this.kv = new DriverKv(keeper, http, config);
        this.pool = new ThreadPoolExecutor(POOL_SIZE, POOL_SIZE, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemons("vault-call-"));
        pool.allowCoreThreadTimeOut(true);
        this.mirror = new PolledMirror(kv, config.prefix(), pool);
        if (background) {
            renewer = new ScheduledThreadPoolExecutor(1, daemons("vault-token-renewer-"));
            renewer.setRemoveOnCancelPolicy(true);
            keeper.onChange(this::schedule);
        } else {
            renewer = null;
        }
    }

    static DriverSession open(dev.sluice.config.VaultConfig config, Map<String, String> environment,
            InstantSource clock, boolean background) {
        return open(config, environment, clock, background, CallListener.NONE);
    }

    static DriverSession open(dev.sluice.config.VaultConfig config, Map<String, String> environment,
            InstantSource clock, boolean background, CallListener calls) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("vault-address: empty (expected: a Vault address to open a session)");
        }
        return new DriverSession(config, environment, clock, background, calls);
    }

    @Override
    public VaultKv kv() {
        return kv;
    }

    @Override
    public VaultMirror mirror() {
        return mirror;
    }

    /** Renews or replaces the token if it is due, by the injected clock; what the background thread runs. */
    void maintain() {
        keeper.maintain();
    }

    /** When the renewer runs next by the keeper's reckoning (renewal due, or a failed login's back-off over). */
    Instant nextRenewal() {
        return keeper.nextRenewal();
    }

    private void schedule(Instant renewAt) {
        if (closed || renewer == null) {
            return;
        }
        Duration delay = Duration.between(clock.instant(), renewAt);
        if (delay.compareTo(MIN_DELAY) < 0) {
            delay = MIN_DELAY;
        } else if (delay.compareTo(MAX_DELAY) > 0) {
            delay = MAX_DELAY;
        }
        synchronized (scheduleLock) {
            if (next != null) {
                next.cancel(false);
            }
            try {
                next = renewer.schedule(this::tick, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                next = null; // closed meanwhile
            }
        }
    }

    /**
     * One run of the renewer. It must never end the schedule: any failure is logged (its type only, as a driver's
     * message may quote an answer) and the next run is scheduled after {@link #FAILED_TICK_DELAY}.
     */
    void tick() {
        if (closed) {
            return;
        }
        Instant renewAt;
        try {
            keeper.maintain();
            renewAt = keeper.nextRenewal();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Vault token renewer failed ({0}); trying again in {1} s",
                    e.getClass().getName(), FAILED_TICK_DELAY.toSeconds());
            renewAt = clock.instant().plus(FAILED_TICK_DELAY);
        }
        if (renewAt != null) {
            schedule(renewAt);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (renewer != null) {
            renewer.shutdownNow();
        }
        pool.shutdownNow();
        http.close();
    }

    @Override
    public String toString() {
        return "VaultSession[" + keeper.address() + ", " + keeper.describe() + "]";
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
