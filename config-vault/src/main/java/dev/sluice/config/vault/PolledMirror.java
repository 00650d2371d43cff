package dev.sluice.config.vault;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The {@link VaultMirror} over {@code <vault-prefix>/}: lists the folders level by level (never {@code secrets/}),
 * reads every path's metadata, and reads data only for paths whose current version differs from the previous poll's
 * entry. The lists of one level, the metadata reads and the data reads each run concurrently on the session's pool
 * (at most its size at once), because each is a round trip and a tree of a hundred paths would otherwise cost a
 * hundred round trips in a row. Any failure fails the whole poll: the previous tree stays the last one returned.
 *
 * <p>Names Vault lists that this client cannot address (spaces, say) are skipped with a warning: they cannot be a
 * path Sluice reads, and one of them must not stop every other change from applying.
 */
final class PolledMirror implements VaultMirror {
    private static final System.Logger LOG = System.getLogger(PolledMirror.class.getName());
    private static final int MAX_DEPTH = 8;
    /**
     * The most paths and folders one poll reads: a LIST of 100k names (a hostile Vault, a runaway Terraform) would
     * otherwise turn every poll into 100k metadata reads. Past it the poll fails, so the last good tree stays.
     */
    static final int MAX_PATHS = 10_000;

    private final DriverKv kv;
    private final String root; // "<prefix>/"
    private final ExecutorService pool;
    private final int maxPaths;
    private VaultTree last = VaultTree.EMPTY;

    PolledMirror(DriverKv kv, String prefix, ExecutorService pool) {
        this(kv, prefix, pool, MAX_PATHS);
    }

    PolledMirror(DriverKv kv, String prefix, ExecutorService pool, int maxPaths) {
        this.kv = kv;
        this.root = prefix + "/";
        this.pool = pool;
        this.maxPaths = maxPaths;
    }

    @Override
    public VaultTree poll() {
        List<String> paths = new ArrayList<>();
        List<String> level = List.of("");
        for (int depth = 0; !level.isEmpty(); depth++) {
            if (depth == MAX_DEPTH) {
                LOG.log(System.Logger.Level.WARNING, "Vault folder {0}: folders deeper than {1} levels are ignored "
                        + "(first: {2})", root, MAX_DEPTH, level.get(0));
                break;
            }
            List<String> folders = level;
            List<List<String>> listed = parallel(folders, f -> kv.list(root + f));
            List<String> next = new ArrayList<>();
            for (int i = 0; i < folders.size(); i++) {
                for (String name : listed.get(i)) {
                    String rel = folders.get(i) + name;
                    if (rel.equals(VaultLayout.SECRETS)) {
                        continue; // function secrets are read per function, never mirrored
                    }
                    boolean folder = name.endsWith("/");
                    String segment = folder ? name.substring(0, name.length() - 1) : name;
                    if (!DriverKv.addressable(segment)) {
                        LOG.log(System.Logger.Level.WARNING, "Vault folder {0}: ignoring ''{1}'' (expected: letters, "
                                + "digits and ._@+=,~-)", root, shown(rel));
                        continue;
                    }
                    (folder ? next : paths).add(rel);
                    if (paths.size() + next.size() > maxPaths) {
                        throw new VaultException.Malformed("poll of " + root + ": more than " + maxPaths
                                + " paths and folders under " + root + " (expected: at most " + maxPaths
                                + "; the last good tree stays in force)", null);
                    }
                }
            }
            level = next;
        }

        List<Optional<KvMetadata>> metadata = parallel(paths, p -> kv.metadata(root + p));
        Map<String, KvEntry> entries = new LinkedHashMap<>();
        List<String> changed = new ArrayList<>();
        List<KvMetadata> toRead = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            Optional<KvMetadata> m = metadata.get(i);
            if (m.isEmpty() || !m.get().currentLive()) {
                continue; // deleted between the list and the metadata read, or its current version deleted
            }
            KvEntry previous = last.entries().get(paths.get(i));
            if (previous != null && previous.version() == m.get().currentVersion()) {
                entries.put(paths.get(i), previous);
            } else {
                changed.add(paths.get(i));
                toRead.add(m.get());
            }
        }
        List<Optional<KvEntry>> read = parallel(toRead, kv::read);
        for (int i = 0; i < changed.size(); i++) {
            read.get(i).ifPresent(entry -> entries.put(changedPath(entry), entry));
        }
        last = VaultTree.of(entries);
        return last;
    }

    private String changedPath(KvEntry entry) {
        return entry.path().substring(root.length());
    }

    /** {@code f} over {@code inputs} on the pool, results in order; the first failure cancels the rest. */
    private <I, O> List<O> parallel(List<I> inputs, Function<I, O> f) {
        if (inputs.size() == 1) {
            return List.of(f.apply(inputs.get(0)));
        }
        List<Future<O>> futures = new ArrayList<>(inputs.size());
        List<O> out = new ArrayList<>(inputs.size());
        try {
            for (I input : inputs) {
                futures.add(pool.submit(() -> f.apply(input)));
            }
            for (Future<O> future : futures) {
                out.add(future.get());
            }
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new VaultException.Unavailable("poll of " + root + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException.Unavailable("poll of " + root + ": interrupted", e);
        } catch (CancellationException | java.util.concurrent.RejectedExecutionException e) {
            throw new VaultException.Unavailable("poll of " + root + ": the session is closed", e);
        } finally {
            for (Future<O> future : futures) {
                future.cancel(true);
            }
        }
    }

    private static String shown(String name) {
        StringBuilder out = new StringBuilder();
        name.codePoints().limit(64).forEach(c -> out.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return out.toString();
    }
}
