package dev.sluice.config.vault;

import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Holds the session's token and keeps it usable: logs in on first use (by {@code vault-auth}), renews the token once
 * less than a third of its TTL remains, logs in again when renewal is refused, the token expired or a call was
 * refused with 403, and retries that call once. Every decision reads the injected clock, so {@link #maintain()} and
 * {@link #call} behave the same whether a scheduler or a test drives them.
 *
 * <p>A static token ({@code vault-auth = token}) cannot log in again: "logging in" re-reads the token file (or
 * {@code $VAULT_TOKEN}) and looks the token up, so an operator or agent that rotates the file is picked up; a token
 * that expired and was not replaced makes every call fail with {@link VaultException.Denied}.
 *
 * <p>Secrets (token, secret id, JWT) live only in {@link Grant} and local variables; no message, log line or
 * {@code toString} holds one. Threading: state changes happen under one lock; readers see a volatile grant.
 */
final class TokenKeeper {
    private static final System.Logger LOG = System.getLogger(TokenKeeper.class.getName());

    /** What a request needs: a driver bound to the token, and the token for raw requests. */
    static final class Grant {
        final String token;
        final Vault driver;
        final Instant obtained;
        final Duration ttl; // zero: never expires
        final boolean renewable;
        final Duration grantedTtl; // the TTL at login, to notice renewals capped by a max TTL
        final Instant renewAt;
        final boolean afterRefusal; // obtained because a call was refused (403) with the grant before it

        Grant(String token, Vault driver, Instant obtained, Duration ttl, boolean renewable, Duration grantedTtl,
                Instant renewAt) {
            this(token, driver, obtained, ttl, renewable, grantedTtl, renewAt, false);
        }

        private Grant(String token, Vault driver, Instant obtained, Duration ttl, boolean renewable,
                Duration grantedTtl, Instant renewAt, boolean afterRefusal) {
            this.token = token;
            this.driver = driver;
            this.obtained = obtained;
            this.ttl = ttl;
            this.renewable = renewable;
            this.grantedTtl = grantedTtl;
            this.renewAt = renewAt;
            this.afterRefusal = afterRefusal;
        }

        static Grant of(String token, Vault driver, Instant now, Duration ttl, boolean renewable, Duration granted) {
            // A hostile lease_duration near Long.MAX would overflow the arithmetic below and in expires().
            ttl = ttl.compareTo(MAX_TTL) > 0 ? MAX_TTL : ttl;
            granted = granted.compareTo(MAX_TTL) > 0 ? MAX_TTL : granted;
            // Renew when a third of the TTL remains; a token without TTL never needs it.
            Instant renewAt = ttl.isZero() ? Instant.MAX : now.plus(ttl.multipliedBy(2).dividedBy(3));
            return new Grant(token, driver, now, ttl, renewable, granted, renewAt);
        }

        Instant expires() {
            return ttl.isZero() ? Instant.MAX : obtained.plus(ttl);
        }

        boolean expired(Instant now) {
            return !now.isBefore(expires());
        }

        Grant retryAt(Instant at) {
            return new Grant(token, driver, obtained, ttl, renewable, grantedTtl, at, afterRefusal);
        }

        Grant afterRefusal() {
            return new Grant(token, driver, obtained, ttl, renewable, grantedTtl, renewAt, true);
        }

        @Override
        public String toString() {
            return "Grant[ttl " + ttl.toSeconds() + " s, renewable " + renewable + "]";
        }
    }

    /** One attempt of a call with a grant; returns Vault's answer or throws on transport failure. */
    interface Attempt {
        Reply run(Grant grant);
    }

    private final dev.sluice.config.VaultConfig config;
    private final Map<String, String> environment;
    private final InstantSource clock;
    private final HttpClient http;
    /** The longest TTL taken from Vault; anything longer is treated as this. */
    static final Duration MAX_TTL = Duration.ofDays(3650);
    /**
     * The first wait after a failed login; doubled on each further failure up to {@link #MAX_BACKOFF}. The cap is
     * 10 s, not more: one login at a time is what spares Vault (single flight), the back-off spares the callers the
     * timeout; a longer cap would only delay the recovery after Vault comes back.
     */
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    /**
     * How long a token obtained because of a 403 must have lived before another 403 may replace it: Vault answers
     * 403 both for a bad token and for a path the policy does not grant, and the second must not log in per call.
     */
    static final Duration RELOGIN_MIN_AGE = Duration.ofSeconds(10);

    private final Object lock = new Object();
    private volatile Grant grant;
    private CompletableFuture<Grant> inFlight; // the one login or renewal under way; guarded by lock
    private VaultException lastFailure; // the last failed login, until retryAt; guarded by lock
    private Instant retryAt = Instant.MIN;
    private Duration backoff = Duration.ZERO;
    private volatile Vault anonymous;
    private volatile Consumer<Instant> onChange = at -> {};

    TokenKeeper(dev.sluice.config.VaultConfig config, Map<String, String> environment, InstantSource clock,
            HttpClient http) {
        this.config = config;
        this.environment = Map.copyOf(environment);
        this.clock = clock;
        this.http = http;
    }

    /** Told the instant of the next renewal whenever it changes (the session's scheduler). */
    void onChange(Consumer<Instant> listener) {
        this.onChange = listener;
    }

    String address() {
        return config.address();
    }

    /** When the token is next due for renewal (or, after a failed login, when one may be tried); null before any. */
    Instant nextRenewal() {
        Grant g = grant;
        if (g == null) {
            return null;
        }
        synchronized (lock) {
            return lastFailure != null && retryAt.isAfter(g.renewAt) ? retryAt : g.renewAt;
        }
    }

    /** The driver without a token, for logins; made once (the driver logs each instance's namespace). */
    private Vault anonymous() {
        Vault v = anonymous;
        if (v == null) {
            v = driver(null);
            anonymous = v;
        }
        return v;
    }

    /** A driver bound to {@code token} (null: none, for logins) on the shared client, KV engine version 2. */
    Vault driver(String token) {
        try {
            io.github.jopenlibs.vault.VaultConfig c = new io.github.jopenlibs.vault.VaultConfig()
                    // Never the process environment or ~/.vault-token: the session's inputs are explicit.
                    .environmentLoader(new EnvironmentLoader() {
                        @Override
                        public String loadVariable(String name) {
                            return null;
                        }
                    })
                    .address(config.address())
                    .token(token)
                    .engineVersion(2)
                    .prefixPathDepth(config.mount().split("/").length)
                    .httpClient(http);
            if (!config.namespace().isEmpty()) {
                c.nameSpace(config.namespace());
            }
            return Vault.create(c.build(), 2);
        } catch (io.github.jopenlibs.vault.VaultException e) {
            throw new VaultException.Malformed("vault client configuration: " + e.getClass().getSimpleName(), null);
        }
    }

    /**
     * Runs {@code attempt} with a usable token; on 403 logs in again and runs it once more. Answers other than 403
     * are returned for the caller to judge.
     *
     * @throws VaultException.Denied when the call is refused after a fresh login, or no login succeeds
     */
    Reply call(String what, Attempt attempt) {
        Grant used = current();
        Reply reply = attempt.run(used);
        if (reply.status() != 403) {
            return reply;
        }
        Instant now = clock.instant();
        if (used.afterRefusal && now.isBefore(used.obtained.plus(RELOGIN_MIN_AGE))) {
            // This token came from a login made because of a 403 moments ago: the policy is the likelier cause.
            throw new VaultException.Denied(what + ": permission denied (403) (" + describe() + "): the policy "
                    + "does not grant it, or the token was revoked (a token from a fresh login is not replaced "
                    + "again within " + RELOGIN_MIN_AGE.toSeconds() + " s)", null);
        }
        LOG.log(System.Logger.Level.INFO, "{0}: refused with 403; logging in again and retrying once", what);
        Grant fresh = refresh(used);
        reply = attempt.run(fresh);
        if (reply.status() == 403) {
            throw new VaultException.Denied(what + ": permission denied (403) even after a fresh login ("
                    + describe() + "): the policy does not grant it", null);
        }
        return reply;
    }

    /** Renews or replaces the token if it is due; never throws (a failure is logged and retried later). */
    void maintain() {
        if (grant == null) {
            return;
        }
        try {
            current();
        } catch (VaultException e) {
            LOG.log(System.Logger.Level.WARNING, "Vault token maintenance failed: {0}", e.getMessage());
        } catch (RuntimeException e) {
            // Only the type: a driver's message may quote an answer.
            LOG.log(System.Logger.Level.WARNING, "Vault token maintenance failed: {0}", e.getClass().getName());
        }
    }

    /** A grant that is not due for renewal, renewing or logging in as needed. */
    Grant current() {
        Grant g = grant;
        Instant now = clock.instant();
        if (g != null && now.isBefore(g.renewAt)) {
            return g;
        }
        return refresh(null);
    }

    /**
     * Renews or replaces the grant, one login or renewal at a time for all callers: a caller that finds one under
     * way waits for it (at most {@code vault-timeout-ms}) instead of running its own, or goes on with the old grant
     * while it is still valid. After a failed login, callers until the back-off ends (1 s, doubling to 10 s) fail at
     * once with the remembered reason instead of each waiting out the timeout again.
     *
     * @param refused the grant a call was refused with (403), to replace; null to renew or log in when due
     */
    private Grant refresh(Grant refused) {
        CompletableFuture<Grant> flight;
        Grant g;
        Instant now;
        boolean renewing;
        boolean mine = false;
        synchronized (lock) {
            g = grant;
            now = clock.instant();
            if (refused == null ? g != null && now.isBefore(g.renewAt) : g != null && g != refused) {
                return g; // still good, or another thread replaced the refused grant meanwhile
            }
            renewing = refused == null && g != null && !g.expired(now);
            if (inFlight != null) {
                if (renewing) {
                    return g; // another thread is renewing it; it is still valid meanwhile
                }
                flight = inFlight;
            } else {
                if (!renewing && lastFailure != null && now.isBefore(retryAt)) {
                    throw again(lastFailure, Duration.between(now, retryAt));
                }
                flight = new CompletableFuture<>();
                inFlight = flight;
                mine = true;
            }
        }
        // The login or renewal runs outside the lock, so waiters can give up after the timeout on their own.
        return mine ? lead(flight, g, now, renewing, refused != null) : await(flight);
    }

    /** Runs the login or renewal this caller took on, outside the lock, and hands its outcome to every waiter. */
    private Grant lead(CompletableFuture<Grant> flight, Grant g, Instant now, boolean renewing,
            boolean refused) {
        Grant next;
        try {
            if (renewing) {
                next = renew(g, now);
            } else {
                if (g != null && g.expired(now) && !refused) {
                    LOG.log(System.Logger.Level.INFO, "Vault token expired; logging in again ({0})", describe());
                }
                next = refused ? login().afterRefusal() : login();
            }
        } catch (RuntimeException | Error e) {
            VaultException failure = e instanceof VaultException v ? v : new VaultException.Malformed("login ("
                    + describe() + "): " + e.getClass().getSimpleName(), null);
            synchronized (lock) {
                inFlight = null;
                backoff = backoff.isZero() ? FIRST_BACKOFF : backoff.multipliedBy(2);
                if (backoff.compareTo(MAX_BACKOFF) > 0) {
                    backoff = MAX_BACKOFF;
                }
                lastFailure = failure;
                retryAt = clock.instant().plus(backoff);
                if (grant != null) {
                    onChange.accept(nextRenewalLocked());
                }
            }
            flight.completeExceptionally(failure);
            if (e instanceof Error err) {
                throw err;
            }
            throw failure;
        }
        synchronized (lock) {
            inFlight = null;
            lastFailure = null;
            backoff = Duration.ZERO;
            install(next);
        }
        flight.complete(next);
        return next;
    }

    private Instant nextRenewalLocked() {
        Grant g = grant;
        return lastFailure != null && retryAt.isAfter(g.renewAt) ? retryAt : g.renewAt;
    }

    private Grant await(CompletableFuture<Grant> flight) {
        try {
            return flight.get(config.timeoutMs(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof VaultException v) {
                throw v;
            }
            throw new VaultException.Malformed("login (" + describe() + "): "
                    + e.getCause().getClass().getSimpleName(), null);
        } catch (TimeoutException e) {
            throw new VaultException.Unavailable("login (" + describe() + "): the login under way did not finish "
                    + "within " + config.timeoutMs() + " ms", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException.Unavailable("login (" + describe() + "): interrupted", e);
        }
    }

    /** The remembered login failure, of the same kind, saying when the next login may be tried. */
    private static VaultException again(VaultException failure, Duration left) {
        String message = failure.getMessage() + " (the last login failed; the next is tried in "
                + Math.max(1, left.toMillis() / 1000) + " s)";
        return switch (failure) {
            case VaultException.Unavailable u -> new VaultException.Unavailable(message, null);
            case VaultException.Sealed x -> new VaultException.Sealed(message);
            case VaultException.Denied d -> new VaultException.Denied(message, null);
            case VaultException.Malformed m -> new VaultException.Malformed(message, null);
        };
    }

    private Grant install(Grant g) {
        grant = g;
        onChange.accept(g.renewAt);
        return g;
    }

    /** Renew-self; when refused or capped by a max TTL, a new login; when Vault is away, the old token for now. */
    private Grant renew(Grant g, Instant now) {
        boolean canLogin = !config.auth().equals("token");
        if (!g.renewable) {
            if (canLogin) {
                LOG.log(System.Logger.Level.INFO, "Vault token is not renewable; logging in again ({0})", describe());
                return loginOrKeep(g, now);
            }
            // A static token that cannot be renewed: use it until it expires, re-reading the file then.
            return g.retryAt(g.expires());
        }
        AuthResponse renewed;
        try {
            renewed = g.driver.auth().renewSelf();
        } catch (io.github.jopenlibs.vault.VaultException e) {
            int status = e.getHttpStatusCode();
            if (status >= 400 && status < 500) {
                LOG.log(System.Logger.Level.INFO, "Vault refused to renew the token ({0}); logging in again ({1})",
                        status, describe());
                return loginOrKeep(g, now);
            }
            VaultException failure = status <= 0 ? Reply.transport("renew-self", config.address(), e)
                    : Reply.fromDriver(e, "renew-self", config.address()).failure("renew-self");
            return keep(g, now, failure);
        } catch (RuntimeException e) {
            return keep(g, now, new VaultException.Malformed("renew-self: " + e.getClass().getSimpleName(), null));
        }
        Duration ttl = Duration.ofSeconds(Math.max(0, renewed.getAuthLeaseDuration()));
        if (canLogin && ttl.compareTo(g.grantedTtl.dividedBy(3)) < 0) {
            // Renewal is capped by the token's max TTL: a fresh login gives a full TTL again.
            LOG.log(System.Logger.Level.INFO, "Vault token renewal capped at {0} s (max TTL); logging in again",
                    ttl.toSeconds());
            return loginOrKeep(g, now);
        }
        if (ttl.isZero()) {
            return g.retryAt(g.expires());
        }
        return Grant.of(g.token, g.driver, now, ttl, renewed.isAuthRenewable(), g.grantedTtl);
    }

    private Grant loginOrKeep(Grant g, Instant now) {
        try {
            return login();
        } catch (VaultException e) {
            return keep(g, now, e);
        }
    }

    /** Keeps a still-valid token after a failed renewal and tries again soon; an expired one is the failure. */
    private Grant keep(Grant g, Instant now, VaultException failure) {
        if (g.expired(now)) {
            throw failure;
        }
        Duration left = Duration.between(now, g.expires());
        Duration backoff = left.dividedBy(4);
        if (backoff.compareTo(Duration.ofSeconds(1)) < 0) {
            backoff = Duration.ofSeconds(1);
        } else if (backoff.compareTo(Duration.ofSeconds(30)) > 0) {
            backoff = Duration.ofSeconds(30);
        }
        LOG.log(System.Logger.Level.WARNING, "Vault token renewal failed ({0}); keeping the current token, valid "
                + "for {1} s more, and retrying", failure.getMessage(), left.toSeconds());
        return g.retryAt(now.plus(backoff));
    }

    /** How this session logs in, for messages: the method and where its credentials come from, never them. */
    String describe() {
        return switch (config.auth()) {
            case "token" -> "vault-auth token from " + (config.tokenFile().isEmpty() ? "$" + dev.sluice.config.VaultConfig.TOKEN_ENV
                    : "vault-token-file " + config.tokenFile());
            case "approle" -> "vault-auth approle at auth/" + config.effectiveAuthMount();
            default -> "vault-auth kubernetes role " + config.kubernetesRole() + " at auth/"
                    + config.effectiveAuthMount();
        };
    }

    private Grant login() {
        Instant now = clock.instant();
        Grant g = switch (config.auth()) {
            case "token" -> tokenLogin(now);
            case "approle" -> {
                String roleId = credential("vault-role-id-file", config.roleIdFile(),
                        dev.sluice.config.VaultConfig.ROLE_ID_ENV);
                String secretId = credential("vault-secret-id-file", config.secretIdFile(),
                        dev.sluice.config.VaultConfig.SECRET_ID_ENV);
                yield authLogin(now, driver -> driver.auth().loginByAppRole(config.effectiveAuthMount(), roleId,
                        secretId));
            }
            default -> {
                String jwt = credential("vault-kubernetes-jwt-file", config.kubernetesJwtFile(), null);
                yield authLogin(now, driver -> driver.auth().loginByKubernetes(config.kubernetesRole(), jwt,
                        "auth/" + config.effectiveAuthMount()));
            }
        };
        LOG.log(System.Logger.Level.INFO, "Vault login ok ({0}); token TTL {1}", describe(),
                g.ttl.isZero() ? "none" : g.ttl.toSeconds() + " s");
        return g;
    }

    private interface LoginCall {
        AuthResponse run(Vault anonymous) throws io.github.jopenlibs.vault.VaultException;
    }

    private Grant authLogin(Instant now, LoginCall call) {
        String what = "login (" + describe() + ")";
        AuthResponse auth;
        try {
            auth = call.run(anonymous());
        } catch (io.github.jopenlibs.vault.VaultException e) {
            throw loginFailure(what, e);
        } catch (RuntimeException e) {
            throw new VaultException.Malformed(what + ": Vault's answer could not be parsed ("
                    + e.getClass().getSimpleName() + ")", null);
        }
        String token = auth.getAuthClientToken();
        if (token == null || token.isEmpty()) {
            throw new VaultException.Malformed(what + ": the answer holds no client token", null);
        }
        Duration ttl = Duration.ofSeconds(Math.max(0, auth.getAuthLeaseDuration()));
        return Grant.of(token, driver(token), now, ttl, auth.isAuthRenewable(), ttl);
    }

    private Grant tokenLogin(Instant now) {
        String token = credential("vault-token-file", config.tokenFile(), dev.sluice.config.VaultConfig.TOKEN_ENV);
        String what = "lookup-self (" + describe() + ")";
        Vault driver = driver(token);
        LookupResponse self;
        try {
            self = driver.auth().lookupSelf();
        } catch (io.github.jopenlibs.vault.VaultException e) {
            if (e.getHttpStatusCode() == 403) {
                throw new VaultException.Denied(what + ": Vault refused the token (403): it expired, was revoked or "
                        + "is wrong, and a static token cannot log in again; put a valid token there", null);
            }
            throw loginFailure(what, e);
        } catch (RuntimeException e) {
            throw new VaultException.Malformed(what + ": Vault's answer could not be parsed ("
                    + e.getClass().getSimpleName() + ")", null);
        }
        Duration ttl = Duration.ofSeconds(Math.max(0, self.getTTL()));
        return Grant.of(token, driver, now, ttl, self.isRenewable(), ttl);
    }

    private VaultException loginFailure(String what, io.github.jopenlibs.vault.VaultException e) {
        int status = e.getHttpStatusCode();
        if (status <= 0) {
            return Reply.transport(what, config.address(), e);
        }
        if (status >= 400 && status < 500 && status != 429) {
            // The body is not quoted: a login error may echo what was sent.
            return new VaultException.Denied(what + ": Vault refused the login (" + status + ")", null);
        }
        return Reply.fromDriver(e, what, config.address()).failure(what);
    }

    /** A credential from its file (trailing newline stripped), else from the environment variable. */
    private String credential(String key, String file, String env) {
        String value;
        String source;
        if (!file.isEmpty()) {
            source = key + " " + file;
            try {
                value = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                throw new VaultException.Denied(describe() + ": cannot read " + source + " ("
                        + e.getClass().getSimpleName() + ")", null);
            }
        } else if (env != null) {
            source = "$" + env;
            value = environment.getOrDefault(env, "").strip();
        } else {
            throw new VaultException.Denied(describe() + ": " + key + " is not set", null);
        }
        if (value.isEmpty()) {
            throw new VaultException.Denied(describe() + ": " + source + " is empty (expected: the credential, in "
                    + key + (env == null ? "" : " or $" + env) + ")", null);
        }
        return value;
    }
}
