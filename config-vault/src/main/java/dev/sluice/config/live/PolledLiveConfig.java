package dev.sluice.config.live;

import dev.sluice.config.ConfigException;
import dev.sluice.config.ConfigSource;
import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.vault.KvEntry;
import dev.sluice.config.vault.VaultException;
import dev.sluice.config.vault.VaultLayout;
import dev.sluice.config.vault.VaultMirror;
import dev.sluice.config.vault.VaultTree;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The file and Vault, polled. Each check reads the file (its bytes, hashed: an editor's atomic rename is just a new
 * content at the same path) and polls the Vault mirror; when neither changed since the last check it returns
 * {@link RefreshResult.Unchanged} without calling a listener. Otherwise it builds the candidate: the file's keys, with
 * Vault's {@code config} keys over them, parsed whole by {@link SluiceConfig}; restart-only keys keep the values in
 * force (logged once per change as needing a restart); every listener prepares it, and only when all accept do all
 * the apply actions run and the snapshot swap. A refused candidate is remembered by what the sources held, so it is
 * refused (and logged) once, not at every check, until a source changes again. A listener failing with anything
 * but a {@link ConfigException} (a store timing out, a bug), or a check throwing at all, is no verdict on the
 * candidate: that attempt is refused, and the next check tries the candidate again. The file is read only when it is
 * a regular file of at most {@value #MAX_FILE_BYTES} bytes; otherwise it is refused, naming it.
 *
 * <p>A Vault that cannot be read leaves everything in force and the status {@code DEGRADED}; until a tree read from
 * Vault has applied once (Vault away at start, or its first tree refused), the process runs on {@code initial}, the
 * configuration it was built from, and the status is {@code STARTING} (not ready) with the reason. The poller
 * then backs off: it waits one period after the first failure and doubles the wait after each further one, up to
 * 10 s (or the period, when that is longer), so a Vault coming back is not hammered by every gateway at once yet is
 * noticed within 10 s (the session's own login back-off is capped the same way). {@link #refresh} always checks at once. A file
 * change is still applied while Vault is away, over the Vault tree last read.
 *
 * <p>Threading: {@link #current}, {@link #tree} and {@link #status} read volatile immutable values; checks (the
 * poller's and {@link #refresh}'s) hold one lock, so listeners are never called concurrently.
 */
final class PolledLiveConfig implements LiveConfig {
    private static final System.Logger LOG = System.getLogger(PolledLiveConfig.class.getName());
    /** The longest wait between checks while Vault cannot be read, unless the period is longer. */
    static final long MAX_BACKOFF_MS = 10_000;
    /** The largest configuration file read: a few KiB in practice; a larger one is refused, never read whole. */
    static final int MAX_FILE_BYTES = 1024 * 1024;

    private record Snapshot(SluiceConfig config, VaultTree tree) {}

    /** One read of the file: what was seen (a digest of the bytes, or the failure), and the values or the failure. */
    private record FileRead(String seen, Map<String, String> values, Optional<String> error) {}

    /** A candidate checked whole: refused with a reason, or ready to apply. */
    private sealed interface Outcome {}

    /** {@code retry}: not the candidate's fault (a listener failed), so it is not remembered as seen. */
    private record Refusal(String reason, boolean retry) implements Outcome {
        Refusal(String reason) {
            this(reason, false);
        }
    }

    private record Prepared(SluiceConfig config, VaultTree tree, List<Runnable> actions, List<String> changed,
                            List<String> needRestart, Map<String, String> pendingRestart) implements Outcome {}

    private final Optional<Path> file;
    private final SluiceConfig initial;
    private final Optional<VaultMirror> vault;
    private final InstantSource clock;
    private final PollScheduler scheduler;
    private final List<ConfigListener> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();

    private volatile Snapshot snapshot;
    private volatile ConfigStatus status;
    private volatile boolean closed;

    // Guarded by lock.
    private boolean started;
    private String fileSeen;
    private VaultTree vaultSeen;
    /** Whether a tree read from Vault was ever in force: until then the process is STARTING (not ready). */
    private boolean vaultApplied;
    private Optional<String> refusal = Optional.empty();
    private Optional<String> vaultFailure = Optional.empty();
    private Class<?> vaultFailureKind;
    private int consecutiveFailures;
    /** Checks in a row whose candidate a listener failed (not refused) to prepare: backs the poller off too. */
    private int listenerFailures;
    private long polls;
    private long failures;
    private long refusals;
    private long applied;
    private Optional<Instant> lastApplied = Optional.empty();
    private Optional<Instant> lastPoll = Optional.empty();
    private Map<String, String> restartWarned = Map.of();

    PolledLiveConfig(Optional<Path> file, SluiceConfig initial, Optional<VaultMirror> vault, InstantSource clock,
                     PollScheduler scheduler) {
        this.file = Objects.requireNonNull(file, "file");
        this.initial = Objects.requireNonNull(initial, "initial");
        this.vault = Objects.requireNonNull(vault, "vault");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.snapshot = new Snapshot(initial, VaultTree.EMPTY);
        this.listeners.add(new LogLevelListener());
        this.status = computeStatus();
    }

    @Override
    public SluiceConfig current() {
        return snapshot.config();
    }

    @Override
    public VaultTree tree() {
        return snapshot.tree();
    }

    @Override
    public ConfigStatus status() {
        return status;
    }

    @Override
    public void addListener(ConfigListener listener) {
        Objects.requireNonNull(listener, "listener");
        lock.lock();
        try {
            if (started) {
                // A late listener would have missed the first configuration and every change since.
                throw new IllegalStateException("addListener: after start() (expected: before)");
            }
            listeners.add(listener);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void start() {
        lock.lock();
        try {
            if (started || closed) {
                throw new IllegalStateException("start: " + (closed ? "closed" : "already started"));
            }
            started = true;
            if (check(true) instanceof RefreshResult.Refused) {
                startOnFileAlone();
            }
            status = computeStatus();
        } finally {
            lock.unlock();
        }
        if (file.isPresent() || vault.isPresent()) {
            scheduler.schedule(this::poll, nextDelay());
        }
    }

    @Override
    public RefreshResult refresh() {
        lock.lock();
        try {
            if (!started) {
                throw new IllegalStateException("refresh: before start()");
            }
            RefreshResult result = check(false);
            status = computeStatus();
            return result;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.close();
    }

    /** The wait before the poller's next check: the period, or the backoff while Vault cannot be read. */
    Duration nextDelay() {
        long period = snapshot.config().configPollMs();
        int failed;
        lock.lock();
        try {
            failed = Math.max(consecutiveFailures, listenerFailures);
        } finally {
            lock.unlock();
        }
        long ceiling = Math.max(period, MAX_BACKOFF_MS);
        long delay = period;
        for (int i = 1; i < failed && delay < ceiling; i++) {
            delay *= 2;
        }
        return Duration.ofMillis(Math.min(delay, ceiling));
    }

    private void poll() {
        if (closed) {
            return;
        }
        try {
            refresh();
        } catch (RuntimeException e) {
            // A bug must not end the polling: the next check may well succeed.
            LOG.log(Level.ERROR, "configuration check failed", e);
        } finally {
            if (!closed) {
                scheduler.schedule(this::poll, nextDelay());
            }
        }
    }

    /**
     * One check of the sources; the caller holds the lock. Whatever a check throws (a bug, an OutOfMemoryError) is a
     * refusal with the reason in the status, not a status left OK; the candidate is not remembered as seen, so the
     * next check tries it again.
     */
    private RefreshResult check(boolean first) {
        String fileBefore = fileSeen;
        VaultTree vaultBefore = vaultSeen;
        try {
            return checkSources(first);
        } catch (RuntimeException | Error e) {
            fileSeen = fileBefore;
            vaultSeen = vaultBefore;
            listenerFailures++;
            String reason = "configuration check failed (" + e.getClass().getName() + ")";
            refusals++;
            refusal = Optional.of(reason);
            LOG.log(Level.ERROR, reason + "; the last-known-good stays in force", e);
            return new RefreshResult.Refused(reason);
        }
    }

    private RefreshResult checkSources(boolean first) {
        String fileBefore = fileSeen;
        VaultTree vaultBefore = vaultSeen;
        polls++;
        FileRead read = readFile();
        VaultTree polled = null;
        if (vault.isPresent()) {
            try {
                polled = vault.get().poll();
                vaultRead();
            } catch (VaultException e) {
                vaultFailed(e.getClass(), describe(e));
            } catch (RuntimeException e) {
                vaultFailed(e.getClass(), "vault: cannot be read (" + e.getClass().getSimpleName() + ")");
            }
        } else {
            lastPoll = Optional.of(clock.instant());
        }
        boolean fileChanged = !read.seen().equals(fileSeen);
        boolean vaultChanged = polled != null && (vaultSeen == null || !sameEntries(polled, vaultSeen));
        if (!first && !fileChanged && !vaultChanged) {
            return vault.isPresent() && polled == null
                    ? new RefreshResult.Unavailable(vaultFailure.orElseThrow())
                    : new RefreshResult.Unchanged();
        }
        fileSeen = read.seen();
        if (polled != null) {
            vaultSeen = polled;
        }
        boolean fromVault = vaultSeen != null;
        VaultTree tree = fromVault ? vaultSeen : VaultTree.EMPTY;
        Outcome outcome;
        if (first && vault.isPresent() && !fromVault) {
            // Vault cannot be read at start: keep what the process was built from (the probe's configuration, which
            // may hold Vault's config keys), not the file re-read, until Vault applies.
            outcome = evaluate(initial.asMap(), VaultTree.EMPTY, true);
        } else {
            outcome = read.error().<Outcome>map(Refusal::new).orElseGet(() -> evaluate(read.values(), tree, first));
        }
        RefreshResult result = commit(outcome, first);
        if (fromVault && outcome instanceof Prepared) {
            vaultApplied = true;
        }
        if (outcome instanceof Refusal refused && refused.retry()) {
            fileSeen = fileBefore;
            vaultSeen = vaultBefore;
            listenerFailures++;
        } else {
            listenerFailures = 0;
        }
        return result;
    }

    /**
     * At start, when the sources' first configuration is refused. Without Vault: the file's own values. With Vault:
     * {@code initial}, which is what the process was built from (with Vault, the probe's configuration, Vault's
     * {@code config} path included), so a restart-only key Vault set is not later reported as needing a restart;
     * without Vault's objects, and the status stays STARTING until a tree from Vault applies.
     */
    private void startOnFileAlone() {
        Map<String, String> values = vault.isPresent() ? initial.asMap() : readFile().values();
        Outcome outcome = values == null ? new Refusal("unreadable") : evaluate(values, VaultTree.EMPTY, true);
        if (outcome instanceof Refusal && file.isPresent()) {
            // The file broke after the process parsed it: start on what it parsed.
            outcome = evaluate(initial.asMap(), VaultTree.EMPTY, true);
        }
        if (outcome instanceof Refusal refused) {
            throw new ConfigException("configuration refused at start: " + refused.reason());
        }
        Prepared prepared = (Prepared) outcome;
        prepared.actions().forEach(this::runApply);
        snapshot = new Snapshot(prepared.config(), prepared.tree());
        applied++;
        lastApplied = Optional.of(clock.instant());
        LOG.log(Level.WARNING, vault.isPresent()
                ? "started on the configuration the process was built from, without Vault's objects, not ready until"
                        + " Vault's configuration applies: " + refusal.or(() -> vaultFailure).orElse("")
                : "started on the configuration file's own values until the refused configuration is fixed: "
                        + refusal.orElse(""));
    }

    private FileRead readFile() {
        if (file.isEmpty()) {
            return new FileRead("none", initial.asMap(), Optional.empty());
        }
        Path path = file.get();
        byte[] bytes;
        try {
            // Never open what is not a regular file: a FIFO would block the check (and the lock) for good, and a
            // device or directory is a mistake. Bounded: a huge file is refused, not read into the heap.
            if (Files.exists(path) && !Files.isRegularFile(path)) {
                String reason = path + ": not a regular file (expected: the configuration file)";
                return new FileRead("error: " + reason, null, Optional.of(reason));
            }
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                return tooLarge(path, size);
            }
            try (InputStream in = Files.newInputStream(path)) {
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            }
            if (bytes.length > MAX_FILE_BYTES) {
                return tooLarge(path, bytes.length);
            }
        } catch (NoSuchFileException e) {
            String reason = path + ": missing (expected: the configuration file)";
            return new FileRead("error: " + reason, null, Optional.of(reason));
        } catch (IOException e) {
            String reason = path + ": cannot be read (" + e.getClass().getSimpleName() + ")";
            return new FileRead("error: " + reason, null, Optional.of(reason));
        }
        String digest = sha256(bytes);
        try {
            return new FileRead(digest, FileConfigSource.parse(path, bytes).values(), Optional.empty());
        } catch (ConfigException e) {
            return new FileRead(digest, null, Optional.of(e.getMessage()));
        }
    }

    private static FileRead tooLarge(Path path, long size) {
        String reason = path + ": " + size + " bytes (expected: at most " + MAX_FILE_BYTES + ")";
        return new FileRead("error: " + reason, null, Optional.of(reason));
    }

    /** Builds the candidate from the file's values and the tree, and has every listener prepare it. */
    private Outcome evaluate(Map<String, String> fileValues, VaultTree tree, boolean first) {
        Snapshot inForce = snapshot;
        String fileName = file.map(Path::toString).orElse("configuration");
        SluiceConfig desired;
        try {
            desired = SluiceConfig.from(ConfigSource.of(fileName, fileValues));
        } catch (ConfigException e) {
            return new Refusal(named(fileName, e));
        }
        KvEntry entry = tree.entries().get(VaultLayout.CONFIG);
        if (entry != null) {
            String where = "vault " + initial.vault().mount() + "/" + entry.path();
            try {
                Map<String, String> merged = new HashMap<>(fileValues);
                merged.putAll(VaultConfigJson.parse(where, entry.dataJson()));
                desired = SluiceConfig.from(ConfigSource.of(where, merged));
            } catch (ConfigException e) {
                return new Refusal(named(where, e));
            }
        }
        Map<String, String> desiredValues = desired.asMap();
        Map<String, String> inForceValues = inForce.config().asMap();
        SluiceConfig next = desired;
        List<String> needRestart = new ArrayList<>();
        Map<String, String> pending = new TreeMap<>();
        if (!first) {
            Map<String, String> kept = new HashMap<>(desiredValues);
            for (String key : union(desiredValues.keySet(), inForceValues.keySet())) {
                if (!SluiceConfig.LIVE_KEYS.contains(key)
                        && !Objects.equals(desiredValues.get(key), inForceValues.get(key))) {
                    needRestart.add(key);
                    pending.put(key, desiredValues.get(key));
                    String inForceValue = inForceValues.get(key);
                    if (inForceValue == null) {
                        kept.remove(key); // unset in force (worker-secret, redis-uri): stays unset
                    } else {
                        kept.put(key, inForceValue);
                    }
                }
            }
            if (!needRestart.isEmpty()) {
                try {
                    next = SluiceConfig.from(ConfigSource.of(fileName, kept));
                } catch (ConfigException e) {
                    return new Refusal(named(fileName, e) + " (with the restart-only keys in force)");
                }
            }
        }
        List<String> changed = changes(next, tree, inForce);
        if (!first && changed.isEmpty()) {
            return new Prepared(next, inForce.tree(), List.of(), changed, needRestart, pending);
        }
        Candidate candidate = new Candidate(next, tree, inForce.config(), inForce.tree(), first);
        List<Runnable> actions = new ArrayList<>();
        for (ConfigListener listener : listeners) {
            try {
                Runnable action = listener.prepare(candidate);
                if (action != null) {
                    actions.add(action);
                }
            } catch (ConfigException e) {
                return new Refusal(e.getMessage());
            } catch (RuntimeException e) {
                // Not a verdict on the candidate (a store timing out, a bug): refused this time, tried again at the
                // next check. The reason names the class only: the status is shown on /health/ready.
                LOG.log(Level.WARNING, "a configuration listener failed to check a candidate, tried again at the"
                        + " next check: " + e.getClass().getName() + ": " + e.getMessage());
                return new Refusal("a configuration listener failed (" + e.getClass().getName() + ")", true);
            }
        }
        return new Prepared(next, tree, actions, changed, needRestart, pending);
    }

    private RefreshResult commit(Outcome outcome, boolean first) {
        Instant now = clock.instant();
        if (outcome instanceof Refusal refused) {
            refusals++;
            // A retried failure is logged once, not at every attempt.
            boolean again = refused.retry() && refusal.equals(Optional.of(refused.reason()));
            refusal = Optional.of(refused.reason());
            LOG.log(again ? Level.DEBUG : Level.WARNING,
                    "configuration refused, the last-known-good stays in force: " + refused.reason());
            return new RefreshResult.Refused(refused.reason());
        }
        Prepared prepared = (Prepared) outcome;
        refusal = Optional.empty();
        if (!prepared.pendingRestart().equals(restartWarned)) {
            if (!prepared.needRestart().isEmpty()) {
                // Keys only: values such as worker-secret or redis-uri may be secrets.
                LOG.log(Level.WARNING, "configuration keys changed that apply only at the next start (needs a"
                        + " restart; the values in force are kept): " + String.join(", ", prepared.needRestart()));
            }
            restartWarned = prepared.pendingRestart();
        }
        if (!first && prepared.changed().isEmpty()) {
            return prepared.needRestart().isEmpty()
                    ? new RefreshResult.Unchanged()
                    : new RefreshResult.Applied(List.of(), prepared.needRestart());
        }
        prepared.actions().forEach(this::runApply);
        snapshot = new Snapshot(prepared.config(), prepared.tree());
        applied++;
        lastApplied = Optional.of(now);
        if (!first) {
            LOG.log(Level.INFO, "configuration applied: " + String.join(", ", prepared.changed()));
        }
        return new RefreshResult.Applied(prepared.changed(), prepared.needRestart());
    }

    private void runApply(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            // The contract says apply does not fail; when one does anyway, the others still apply.
            LOG.log(Level.ERROR, "a configuration listener failed to apply a prepared configuration", e);
        }
    }

    private void vaultRead() {
        if (vaultFailure.isPresent()) {
            LOG.log(Level.INFO, "Vault can be read again");
        }
        vaultFailure = Optional.empty();
        vaultFailureKind = null;
        consecutiveFailures = 0;
        lastPoll = Optional.of(clock.instant());
    }

    private void vaultFailed(Class<?> kind, String reason) {
        failures++;
        consecutiveFailures++;
        // Once per outage (and per kind of failure), not at every retry.
        LOG.log(kind.equals(vaultFailureKind) ? Level.DEBUG : Level.WARNING,
                "Vault cannot be read, the last-known-good configuration stays in force: " + reason);
        vaultFailure = Optional.of(reason);
        vaultFailureKind = kind;
    }

    private ConfigStatus computeStatus() {
        List<String> reasons = new ArrayList<>();
        vaultFailure.ifPresent(reasons::add);
        refusal.ifPresent(reasons::add);
        ConfigStatus.State state;
        if (!started) {
            state = ConfigStatus.State.STARTING;
            reasons.add("not started");
        } else if (vault.isPresent() && !vaultApplied) {
            // Never ready before Vault's tenants, plans and keys are in force: a replica ready without them answers
            // 401 to every Vault tenant, and a rolling deploy would retire the replicas that still serve them.
            state = ConfigStatus.State.STARTING;
            if (reasons.isEmpty()) {
                reasons.add("vault: its configuration has not applied yet");
            }
        } else {
            state = reasons.isEmpty() ? ConfigStatus.State.OK : ConfigStatus.State.DEGRADED;
        }
        Optional<String> reason = reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
        return new ConfigStatus(vault.isPresent() ? "vault" : "file", state, reason, lastApplied, lastPoll, polls,
                failures, refusals, applied);
    }

    private static String describe(VaultException e) {
        String kind = switch (e) {
            case VaultException.Unavailable u -> "unavailable";
            case VaultException.Sealed s -> "sealed";
            case VaultException.Denied d -> "denied";
            case VaultException.Malformed m -> "malformed answer";
        };
        return "vault " + kind + ": " + e.getMessage();
    }

    /** The message naming where the value came from; parse errors name it already, range errors do not. */
    private static String named(String where, ConfigException e) {
        String message = e.getMessage();
        return message.startsWith(where) ? message : where + ": " + message;
    }

    /** The live keys whose value changes, then the Vault paths that were added, removed or rewritten. */
    private static List<String> changes(SluiceConfig next, VaultTree tree, Snapshot inForce) {
        List<String> changed = new ArrayList<>();
        Map<String, String> nextValues = next.asMap();
        Map<String, String> inForceValues = inForce.config().asMap();
        for (String key : SluiceConfig.LIVE_KEYS) {
            if (!Objects.equals(nextValues.get(key), inForceValues.get(key))) {
                changed.add(key);
            }
        }
        for (String path : union(tree.entries().keySet(), inForce.tree().entries().keySet())) {
            if (!same(tree.entries().get(path), inForce.tree().entries().get(path))) {
                changed.add(path);
            }
        }
        return changed;
    }

    private static boolean sameEntries(VaultTree a, VaultTree b) {
        return a.entries().keySet().equals(b.entries().keySet())
                && a.entries().keySet().stream().allMatch(p -> same(a.entries().get(p), b.entries().get(p)));
    }

    /** Same version of the same secret; the creation time tells a path deleted and written again from version 1. */
    private static boolean same(KvEntry a, KvEntry b) {
        return a != null && b != null && a.version() == b.version() && a.createdAt().equals(b.createdAt());
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
