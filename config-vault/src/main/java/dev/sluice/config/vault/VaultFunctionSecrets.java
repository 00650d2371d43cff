package dev.sluice.config.vault;

import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.config.secrets.SecretName;
import dev.sluice.config.secrets.SecretValue;
import dev.sluice.config.secrets.SecretVersion;
import dev.sluice.config.secrets.SecretsException;
import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonValue;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Function secrets in Vault: each at {@code <prefix>/secrets/<owner>/<function>/<NAME>} as {@code {"value": ...}}
 * (see {@link VaultLayout}). Listing reads metadata only (version and time), never a value; delete destroys every
 * version. A Vault failure becomes {@link SecretsException.Unavailable} with Vault's reason, which names the path
 * and never a value. Thread-safe (each call is independent; the limit check and the write are two calls, so two
 * concurrent puts of new names can pass the limit by one each, which only bounds storage).
 */
public final class VaultFunctionSecrets implements FunctionSecrets {
    private static final System.Logger LOG = System.getLogger(VaultFunctionSecrets.class.getName());
    /** How many secrets of one function are read at once. */
    static final int READERS = 8;
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final VaultKv kv;
    private final String prefix;
    private final InstantSource clock;
    private final ThreadPoolExecutor readers;

    private VaultFunctionSecrets(VaultKv kv, String prefix, InstantSource clock) {
        this.kv = kv;
        this.prefix = prefix;
        this.clock = clock;
        // Daemon threads that end when idle: FunctionSecrets has no close(), and an idle gateway holds none.
        AtomicInteger n = new AtomicInteger();
        this.readers = new ThreadPoolExecutor(READERS, READERS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "vault-secrets-read-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        readers.allowCoreThreadTimeOut(true);
    }

    /** Secrets on {@code kv} under {@code <prefix>/secrets/}; {@code clock} dates what {@link #put} returns. */
    public static FunctionSecrets create(VaultKv kv, String prefix, InstantSource clock) {
        if (prefix == null || prefix.isEmpty() || prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix: '" + prefix + "' (expected: a folder such as sluice)");
        }
        return new VaultFunctionSecrets(kv, prefix, clock);
    }

    private String folder(String owner, String function) {
        check("owner", owner);
        check("function", function);
        return prefix + "/" + VaultLayout.secretsOf(owner, function);
    }

    private static void check(String field, String value) {
        if (value == null || !PART.matcher(value).matches()) {
            throw new SecretsException.Invalid(field + ": '" + (value == null ? "null" : value.length() > 64
                    ? value.substring(0, 64) + "..." : value) + "' (expected: a tenant uid or function name)");
        }
    }

    @Override
    public SecretVersion put(String owner, String function, SecretName name, SecretValue value) {
        String folder = folder(owner, function);
        return vault(() -> {
            List<String> names = names(folder);
            if (!names.contains(name.value()) && names.size() >= MAX_PER_FUNCTION) {
                throw new SecretsException.Invalid("function " + function + " holds " + names.size()
                        + " secrets (expected: at most " + MAX_PER_FUNCTION + "; delete one first)");
            }
            long version = kv.write(folder + name.value(), Map.of("value", value.reveal()));
            return new SecretVersion(name, version, clock.instant());
        });
    }

    @Override
    public List<SecretVersion> list(String owner, String function) {
        String folder = folder(owner, function);
        return vault(() -> {
            List<SecretVersion> out = new ArrayList<>();
            for (String n : names(folder)) {
                Optional<KvMetadata> metadata = kv.metadata(folder + n).filter(KvMetadata::currentLive);
                metadata.ifPresent(m -> out.add(new SecretVersion(SecretName.of(n), m.currentVersion(),
                        m.updatedAt())));
            }
            return List.copyOf(out);
        });
    }

    @Override
    public boolean delete(String owner, String function, SecretName name) {
        String path = folder(owner, function) + name.value();
        return vault(() -> {
            boolean existed = kv.metadata(path).isPresent();
            if (existed) {
                kv.destroy(path);
            }
            return existed;
        });
    }

    @Override
    public void deleteAll(String owner, String function) {
        String folder = folder(owner, function);
        vault(() -> {
            for (String n : kv.list(folder)) {
                if (!n.endsWith("/") && DriverKv.addressable(n)) {
                    kv.destroy(folder + n);
                }
            }
            return null;
        });
    }

    @Override
    public Map<String, String> values(String owner, String function) {
        String folder = folder(owner, function);
        return vault(() -> {
            List<String> names = names(folder);
            // One request per secret (data with its version metadata), up to READERS at once: this runs on the
            // invocation path at each cache expiry, and 64 secrets one after another would be 64 round trips.
            List<Optional<KvEntry>> entries = parallel(names, n -> kv.readLatest(folder + n));
            Map<String, String> out = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                Optional<KvEntry> entry = entries.get(i);
                if (entry.isEmpty()) {
                    continue; // deleted meanwhile
                }
                value(entry.get()).ifPresentOrElse(v -> out.put(n, v), () -> LOG.log(System.Logger.Level.WARNING,
                        "function secret {0} has no string \"value\"; not injected", entry.get().path()));
            }
            return Map.copyOf(out);
        });
    }

    /** {@code f} over {@code inputs} on the readers, results in order; the first failure cancels the rest. */
    private <I, O> List<O> parallel(List<I> inputs, Function<I, O> f) {
        if (inputs.size() <= 1) {
            return inputs.isEmpty() ? List.of() : List.of(f.apply(inputs.get(0)));
        }
        List<Future<O>> futures = new ArrayList<>(inputs.size());
        try {
            for (I input : inputs) {
                futures.add(readers.submit(() -> f.apply(input)));
            }
            List<O> out = new ArrayList<>(inputs.size());
            for (Future<O> future : futures) {
                out.add(future.get());
            }
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new VaultException.Unavailable("function secrets read: " + e.getCause().getClass().getSimpleName(),
                    null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException.Unavailable("function secrets read: interrupted", e);
        } catch (RejectedExecutionException e) {
            throw new VaultException.Unavailable("function secrets read: no reader thread available", e);
        } finally {
            for (Future<O> future : futures) {
                future.cancel(true);
            }
        }
    }

    /** The secret names of a folder: entries that are valid names (anything else was not written by Sluice). */
    private List<String> names(String folder) {
        List<String> names = new ArrayList<>();
        for (String n : kv.list(folder)) {
            if (n.endsWith("/")) {
                continue;
            }
            try {
                SecretName.of(n);
                names.add(n);
            } catch (SecretsException.Invalid e) {
                LOG.log(System.Logger.Level.WARNING, "ignoring {0}{1}: not a secret name", folder,
                        n.length() > 64 ? n.substring(0, 64) : n);
            }
        }
        return names;
    }

    private static Optional<String> value(KvEntry entry) {
        try {
            JsonValue v = Json.parse(entry.dataJson()).asObject().get("value");
            return v != null && v.isString() ? Optional.of(v.asString()) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static <T> T vault(Supplier<T> call) {
        try {
            return call.get();
        } catch (VaultException e) {
            // Vault's reason names the path and never a value (VaultException's contract).
            throw new SecretsException.Unavailable("function secrets: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "VaultFunctionSecrets[" + prefix + "/secrets/]";
    }
}
