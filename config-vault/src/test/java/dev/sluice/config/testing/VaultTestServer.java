package dev.sluice.config.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Vault-API-compatible HTTP server for tests, speaking the real wire format of the subset Sluice uses: KV v2
 * (data read/write with versions, metadata read/list/delete), token lookup-self/renew-self, AppRole and
 * Kubernetes login. Tokens carry a TTL measured on the injected clock, so tests expire them by advancing a fake
 * clock rather than sleeping. {@link #seal()} makes every call answer 503 "Vault is sealed"; {@link #close()}
 * makes it unreachable.
 *
 * <p>Responses are byte-for-byte what the strict vault-java-driver expects: {@code Content-Type} exactly
 * {@code application/json}, {@code auth.policies} an array, {@code renewable} a boolean, numbers as JSON numbers.
 *
 * <p>For tests of a client's resilience and cost: tokens may have a max TTL past which renewal is capped (as Vault
 * caps it), tokens can be revoked mid-run ({@link #revoke}, {@link #revokeLogins}), renewals refused, paths denied
 * by policy ({@link #deny}), one request failed ({@link #failNext}) or answered with garbage ({@link #garble}),
 * every answer delayed ({@link #latency}), and requests counted by kind ({@link #count}).
 *
 * <p>Threading: the JDK server runs handlers on a pool, so a client's concurrent requests overlap (latency is spent
 * outside the lock); every handler's state access synchronizes on this server, so state changes made by the test
 * thread (seal, add role, write) are seen by the next request.
 */
public final class VaultTestServer implements AutoCloseable {
    private record Token(String id, String accessor, List<String> policies, Instant created, Duration ttl,
            Instant expires, boolean renewable, String displayName, String path, Duration maxTtl) {
        /** Never the id: a test's failure message must not teach anyone to print tokens. */
        @Override
        public String toString() {
            return "Token[" + displayName + "]";
        }
    }

    private record Version(int number, Map<String, Object> data, Instant created, Instant deleted) {}

    private final InstantSource clock;
    private volatile HttpServer server;
    private final int port;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    // key: "<mount>/<path>"; versions kept in order, number = index + 1.
    private final Map<String, List<Version>> kv = new LinkedHashMap<>();
    private final Map<String, String> appRoles = new LinkedHashMap<>(); // role_id -> secret_id
    private final Map<String, String> kubernetesRoles = new LinkedHashMap<>(); // role -> accepted jwt
    private final List<String> requests = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> issued = new ArrayList<>();
    private final List<String> denied = new ArrayList<>();
    private final List<String> garbled = new ArrayList<>();
    private final Map<String, Integer> failNext = new LinkedHashMap<>();
    private final ExecutorService executor;
    private Duration loginTtl = Duration.ofHours(1);
    private Duration loginMaxTtl = Duration.ZERO;
    private boolean loginRenewable = true;
    private boolean refuseRenewals;
    private Duration latency = Duration.ZERO;
    private boolean sealed;
    private String contentType = "application/json";

    private VaultTestServer(InstantSource clock) {
        this.clock = clock;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = server.getAddress().getPort();
        server.createContext("/", this::handle);
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "vault-test-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
    }

    /** Starts a server on 127.0.0.1 on a free port; the caller closes it. */
    public static VaultTestServer start(InstantSource clock) {
        return new VaultTestServer(clock);
    }

    /** Base address for a client, e.g. {@code http://127.0.0.1:41234}. */
    public String address() {
        return "http://127.0.0.1:" + port;
    }

    /** Issues a root-like token with the given TTL (zero means it never expires, as Vault's root token). */
    public synchronized String issueToken(Duration ttl, String... policies) {
        return mint(List.of(policies), ttl, "token", "auth/token/create", Duration.ZERO, !ttl.isZero()).id();
    }

    /**
     * Issues a token whose renewals stop at {@code maxTtl} after its creation (Vault then answers a renewal with the
     * TTL capped to what is left, and the token expires at its max TTL).
     */
    public synchronized String issueToken(Duration ttl, Duration maxTtl, String... policies) {
        return mint(List.of(policies), ttl, "token", "auth/token/create", maxTtl, !ttl.isZero()).id();
    }

    /** Issues a token with a TTL that renew-self refuses to extend ("lease is not renewable"). */
    public synchronized String issueNonRenewableToken(Duration ttl, String... policies) {
        return mint(List.of(policies), ttl, "token", "auth/token/create", Duration.ZERO, false).id();
    }

    /** Revokes one token now: every later call with it is refused with 403, as after expiry. */
    public synchronized void revoke(String token) {
        tokens.remove(token);
    }

    /** Revokes every token the login endpoints issued (a test does not see those tokens), as after expiry. */
    public synchronized void revokeLogins() {
        tokens.values().removeIf(t -> t.path().endsWith("/login"));
    }

    /** Every token id issued so far, revoked or not: for tests that prove no token text leaks anywhere. */
    public synchronized List<String> tokensIssued() {
        return List.copyOf(issued);
    }

    /** How many tokens are alive now (not revoked, not expired). */
    public synchronized int liveTokens() {
        Instant now = clock.instant();
        return (int) tokens.values().stream().filter(t -> t.expires() == null || now.isBefore(t.expires())).count();
    }

    /** Max TTL of tokens issued by the login endpoints; zero: none. */
    public synchronized void loginMaxTtl(Duration maxTtl) {
        loginMaxTtl = maxTtl;
    }

    /** Whether tokens issued by the login endpoints may be renewed. */
    public synchronized void loginRenewable(boolean renewable) {
        loginRenewable = renewable;
    }

    /** Refuses every renew-self with 403, as a policy without {@code auth/token/renew-self} does. */
    public synchronized void refuseRenewals(boolean refuse) {
        refuseRenewals = refuse;
    }

    /** Refuses, with 403 for every token, requests whose path after {@code /v1/} starts with {@code prefix}. */
    public synchronized void deny(String prefix) {
        denied.add(prefix);
    }

    /** Answers requests whose path after {@code /v1/} starts with {@code prefix} with 200 and a body that is not JSON. */
    public synchronized void garble(String prefix) {
        garbled.add(prefix);
    }

    /** The next request whose path after {@code /v1/} starts with {@code prefix} is answered with {@code status}. */
    public synchronized void failNext(String prefix, int status) {
        failNext.put(prefix, status);
    }

    /** Delays every answer by {@code delay} (spent outside the server's lock, so concurrent requests overlap). */
    public synchronized void latency(Duration delay) {
        latency = delay;
    }

    /** Writes a KV v2 version directly ({@code mount/path}, e.g. {@code secret/sluice/config}); returns its number. */
    public synchronized int put(String mountAndPath, Map<String, ?> data) {
        List<Version> versions = kv.computeIfAbsent(mountAndPath, k -> new ArrayList<>());
        Version v = new Version(versions.size() + 1,
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(data)), clock.instant(), null);
        versions.add(v);
        return v.number();
    }

    /** Soft-deletes the current version of {@code mount/path}, as {@code DELETE <mount>/data/<path>} does. */
    public synchronized void softDelete(String mountAndPath) {
        List<Version> versions = kv.get(mountAndPath);
        if (versions != null && !versions.isEmpty()) {
            Version last = versions.get(versions.size() - 1);
            versions.set(versions.size() - 1, new Version(last.number(), last.data(), last.created(), clock.instant()));
        }
    }

    /** Whether {@code mount/path} has metadata (any version, even deleted). */
    public synchronized boolean exists(String mountAndPath) {
        return kv.containsKey(mountAndPath);
    }

    /**
     * How many requests so far have this method and a path (after {@code /v1/}, without the query) starting with
     * {@code pathPrefix}; the driver's list is {@code GET ...?list=true} and counts as method {@code LIST}.
     */
    public synchronized long count(String method, String pathPrefix) {
        return requests.stream().filter(r -> {
            String m = r.substring(0, r.indexOf(' '));
            String uri = r.substring(r.indexOf(' ') + 1);
            int q = uri.indexOf('?');
            String path = q < 0 ? uri : uri.substring(0, q);
            if (m.equals("GET") && q >= 0 && uri.substring(q).contains("list=true")) {
                m = "LIST";
            }
            return m.equals(method) && path.startsWith("/v1/" + pathPrefix);
        }).count();
    }

    /** Forgets the requests counted so far. */
    public synchronized void resetRequests() {
        requests.clear();
        namespaces.clear();
    }

    /** The {@code X-Vault-Namespace} header of every request so far ("" when absent), in order. */
    public synchronized List<String> namespaces() {
        return List.copyOf(namespaces);
    }

    public synchronized void addAppRole(String roleId, String secretId) {
        appRoles.put(roleId, secretId);
    }

    public synchronized void addKubernetesRole(String role, String jwt) {
        kubernetesRoles.put(role, jwt);
    }

    /** TTL of tokens issued by the login endpoints. */
    public synchronized void loginTtl(Duration ttl) {
        loginTtl = ttl;
    }

    /** Only for the test that proves the driver rejects anything but exactly {@code application/json}. */
    synchronized void contentType(String value) {
        contentType = value;
    }

    public synchronized void seal() {
        sealed = true;
    }

    public synchronized void unseal() {
        sealed = false;
    }

    /** "METHOD /path?query" of every request so far, for tests that count calls. */
    public synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    /**
     * Makes Vault unreachable, as a host that is down: the listener closes, so connections are refused, while every
     * token and secret is kept for {@link #comeBack()}.
     */
    public synchronized void goAway() {
        server.stop(0);
    }

    /** Listens again on the same port after {@link #goAway()}, with the state it had. */
    public synchronized void comeBack() {
        try {
            HttpServer again = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
            again.createContext("/", this::handle);
            again.setExecutor(executor);
            again.start();
            server = again;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on port " + port + " again", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private Token mint(List<String> policies, Duration ttl, String displayName, String path, Duration maxTtl,
            boolean renewable) {
        Instant now = clock.instant();
        Token token = new Token("hvs." + UUID.randomUUID().toString().replace("-", ""),
                UUID.randomUUID().toString(), policies, now, ttl, ttl.isZero() ? null : now.plus(ttl),
                renewable, displayName, path, maxTtl);
        tokens.put(token.id(), token);
        issued.add(token.id());
        return token;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Reply reply;
            String type;
            Duration delay;
            synchronized (this) {
                type = contentType;
                delay = latency;
                URI uri = exchange.getRequestURI();
                requests.add(exchange.getRequestMethod() + " " + uri);
                String namespace = exchange.getRequestHeaders().getFirst("X-Vault-Namespace");
                namespaces.add(namespace == null ? "" : namespace);
                try {
                    reply = route(exchange.getRequestMethod(), uri.getPath(), query(uri.getRawQuery()),
                            exchange.getRequestHeaders().getFirst("X-Vault-Token"),
                            body.length == 0 ? Map.of() : Json.parseObject(new String(body, StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException e) {
                    reply = errors(400, e.getMessage());
                }
            }
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            byte[] out = reply.body == null ? new byte[0] : reply.body instanceof Garbage g
                    ? g.text().getBytes(StandardCharsets.UTF_8) : Json.write(reply.body).getBytes(StandardCharsets.UTF_8);
            // Exactly "application/json": the driver compares the whole header value.
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(reply.status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                exchange.getResponseBody().write(out);
            }
        }
    }

    private record Reply(int status, Object body) {}

    private record Garbage(String text) {}

    private static Reply ok(Object body) {
        return new Reply(200, body);
    }

    private static Reply errors(int status, String message) {
        return new Reply(status, Map.of("errors", List.of(message)));
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                q.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
            }
        }
        return q;
    }

    private Reply route(String method, String path, Map<String, String> query, String tokenHeader,
            Map<String, Object> body) {
        if (sealed) {
            return errors(503, "Vault is sealed");
        }
        if (!path.startsWith("/v1/")) {
            return errors(404, "no handler for route \"" + path + "\"");
        }
        String rest = path.substring(4);
        for (Map.Entry<String, Integer> fail : failNext.entrySet()) {
            if (rest.startsWith(fail.getKey())) {
                failNext.remove(fail.getKey());
                return errors(fail.getValue(), "injected failure");
            }
        }
        if (garbled.stream().anyMatch(rest::startsWith)) {
            return new Reply(200, new Garbage("<html>not vault</html>"));
        }
        boolean login = rest.startsWith("auth/") && rest.endsWith("/login") && method.equals("POST")
                && !rest.startsWith("auth/token/");
        if (login && body.containsKey("role_id")) {
            String roleId = string(body, "role_id");
            String secretId = string(body, "secret_id");
            if (roleId == null || !appRoles.containsKey(roleId) || !appRoles.get(roleId).equals(secretId)) {
                return errors(400, "invalid role or secret ID");
            }
            return login(mint(List.of("default"), loginTtl, "approle", rest, loginMaxTtl, loginRenewable),
                    Map.of("role_name", roleId));
        }
        if (login && body.containsKey("jwt")) {
            String role = string(body, "role");
            String jwt = string(body, "jwt");
            if (role == null || !kubernetesRoles.containsKey(role)) {
                return errors(400, "invalid role name \"" + role + "\"");
            }
            if (!kubernetesRoles.get(role).equals(jwt)) {
                return errors(403, "permission denied");
            }
            return login(mint(List.of("default"), loginTtl, "kubernetes-" + role, rest, loginMaxTtl,
                    loginRenewable), Map.of("role", role));
        }
        Token token = tokenHeader == null ? null : tokens.get(tokenHeader);
        if (token != null && token.expires() != null && !clock.instant().isBefore(token.expires())) {
            tokens.remove(token.id());
            token = null;
        }
        if (token == null || denied.stream().anyMatch(rest::startsWith)) {
            return errors(403, "permission denied");
        }
        if (rest.equals("auth/token/lookup-self") && method.equals("GET")) {
            return ok(lookup(token));
        }
        if (rest.equals("auth/token/renew-self") && (method.equals("POST") || method.equals("PUT"))) {
            if (refuseRenewals) {
                return errors(403, "permission denied");
            }
            if (!token.renewable()) {
                return errors(400, "lease is not renewable");
            }
            Duration ttl = token.ttl();
            long increment = seconds(body.get("increment"));
            if (increment > 0) {
                ttl = Duration.ofSeconds(Math.min(increment, token.ttl().toSeconds()));
            }
            Instant expires = clock.instant().plus(ttl);
            if (!token.maxTtl().isZero() && expires.isAfter(token.created().plus(token.maxTtl()))) {
                // As Vault: the TTL is capped to what the max TTL leaves (with a warning we do not model).
                expires = token.created().plus(token.maxTtl());
            }
            Token renewed = new Token(token.id(), token.accessor(), token.policies(), token.created(),
                    token.ttl(), expires, true, token.displayName(), token.path(), token.maxTtl());
            tokens.put(renewed.id(), renewed);
            return login(renewed, Map.of());
        }
        if (rest.equals("auth/token/revoke-self") && (method.equals("POST") || method.equals("PUT"))) {
            tokens.remove(token.id());
            return new Reply(204, null);
        }
        String[] parts = rest.split("/", 3);
        if (parts.length >= 2 && (parts[1].equals("data") || parts[1].equals("metadata"))) {
            String key = parts[0] + "/" + (parts.length == 3 ? parts[2] : "");
            boolean list = method.equals("LIST") || (method.equals("GET") && "true".equals(query.get("list")));
            if (parts[1].equals("metadata")) {
                if (list) {
                    return list(key.endsWith("/") ? key : key + "/");
                }
                if (method.equals("GET")) {
                    return kv.containsKey(key) ? ok(Map.of("data", metadata(kv.get(key)))) : new Reply(404, errorsBody());
                }
                if (method.equals("DELETE")) {
                    kv.remove(key);
                    return new Reply(204, null);
                }
            } else {
                if (method.equals("GET")) {
                    return read(key, query.get("version"));
                }
                if (method.equals("POST") || method.equals("PUT")) {
                    if (!(body.get("data") instanceof Map<?, ?> data)) {
                        return errors(400, "no data provided");
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> values = (Map<String, Object>) data;
                    List<Version> versions = kv.computeIfAbsent(key, k -> new ArrayList<>());
                    Version v = new Version(versions.size() + 1,
                            java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values)), clock.instant(), null);
                    versions.add(v);
                    return ok(Map.of("data", versionMetadata(v)));
                }
                if (method.equals("DELETE")) {
                    List<Version> versions = kv.get(key);
                    if (versions != null && !versions.isEmpty()) {
                        Version last = versions.get(versions.size() - 1);
                        versions.set(versions.size() - 1,
                                new Version(last.number(), last.data(), last.created(), clock.instant()));
                    }
                    return new Reply(204, null);
                }
            }
            return errors(405, "unsupported operation");
        }
        return errors(404, "no handler for route \"" + rest + "\"");
    }

    private static Map<String, Object> errorsBody() {
        return Map.of("errors", List.of());
    }

    private Reply read(String key, String versionParam) {
        List<Version> versions = kv.get(key);
        if (versions == null || versions.isEmpty()) {
            return new Reply(404, errorsBody());
        }
        Version v = versions.get(versions.size() - 1);
        if (versionParam != null && !versionParam.isEmpty() && !versionParam.equals("0")) {
            int n = Integer.parseInt(versionParam);
            if (n < 1 || n > versions.size()) {
                return new Reply(404, errorsBody());
            }
            v = versions.get(n - 1);
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("data", v.deleted() == null ? v.data() : null);
        data.put("metadata", versionMetadata(v));
        // Vault answers 404 with the metadata for a soft-deleted version.
        return new Reply(v.deleted() == null ? 200 : 404, envelope(data));
    }

    private Reply list(String prefix) {
        TreeSet<String> keys = new TreeSet<>();
        for (String key : kv.keySet()) {
            if (key.startsWith(prefix) && key.length() > prefix.length()) {
                String tail = key.substring(prefix.length());
                int slash = tail.indexOf('/');
                keys.add(slash < 0 ? tail : tail.substring(0, slash + 1));
            }
        }
        if (keys.isEmpty()) {
            return new Reply(404, errorsBody());
        }
        return ok(envelope(Map.of("keys", List.copyOf(keys))));
    }

    private Map<String, Object> envelope(Map<String, Object> data) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("request_id", UUID.randomUUID().toString());
        out.put("lease_id", "");
        out.put("renewable", false);
        out.put("lease_duration", 0);
        out.put("data", data);
        out.put("wrap_info", null);
        out.put("warnings", null);
        out.put("auth", null);
        return out;
    }

    private static Map<String, Object> versionMetadata(Version v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("created_time", v.created().toString());
        m.put("custom_metadata", null);
        m.put("deletion_time", v.deleted() == null ? "" : v.deleted().toString());
        m.put("destroyed", false);
        m.put("version", v.number());
        return m;
    }

    private static Map<String, Object> metadata(List<Version> versions) {
        Map<String, Object> byNumber = new LinkedHashMap<>();
        for (Version v : versions) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("created_time", v.created().toString());
            m.put("deletion_time", v.deleted() == null ? "" : v.deleted().toString());
            m.put("destroyed", false);
            byNumber.put(Integer.toString(v.number()), m);
        }
        Version last = versions.get(versions.size() - 1);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cas_required", false);
        m.put("created_time", versions.get(0).created().toString());
        m.put("current_version", last.number());
        m.put("custom_metadata", null);
        m.put("delete_version_after", "0s");
        m.put("max_versions", 0);
        m.put("oldest_version", versions.get(0).number());
        m.put("updated_time", last.created().toString());
        m.put("versions", byNumber);
        return m;
    }

    private Map<String, Object> lookup(Token t) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("accessor", t.accessor());
        d.put("creation_time", t.created().getEpochSecond());
        d.put("creation_ttl", t.ttl().toSeconds());
        d.put("display_name", t.displayName());
        d.put("entity_id", "");
        d.put("expire_time", t.expires() == null ? null : t.expires().toString());
        d.put("explicit_max_ttl", 0);
        d.put("id", t.id());
        d.put("meta", null);
        d.put("num_uses", 0);
        d.put("orphan", true);
        d.put("path", t.path());
        d.put("policies", t.policies());
        d.put("renewable", t.renewable());
        d.put("ttl", remaining(t));
        d.put("type", "service");
        return envelope(d);
    }

    private long remaining(Token t) {
        return t.expires() == null ? 0 : Math.max(0, Duration.between(clock.instant(), t.expires()).toSeconds());
    }

    private Reply login(Token t, Map<String, String> metadata) {
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("client_token", t.id());
        auth.put("accessor", t.accessor());
        auth.put("policies", t.policies());
        auth.put("token_policies", t.policies());
        auth.put("metadata", metadata);
        auth.put("lease_duration", remaining(t));
        auth.put("renewable", t.renewable());
        auth.put("entity_id", "");
        auth.put("token_type", "service");
        auth.put("orphan", true);
        Map<String, Object> out = envelope(null);
        out.put("auth", auth);
        return ok(out);
    }

    /** A renewal increment as Vault takes it: seconds as a number or text, or a duration such as "20m". */
    private static long seconds(Object increment) {
        if (increment instanceof Number n) {
            return n.longValue();
        }
        if (increment instanceof String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([smh]?)").matcher(text.strip());
            if (m.matches()) {
                long value = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "m" -> value * 60;
                    case "h" -> value * 3600;
                    default -> value;
                };
            }
        }
        return 0;
    }

    private static String string(Map<String, Object> body, String key) {
        return body.get(key) instanceof String s ? s : null;
    }
}
