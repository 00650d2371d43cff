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
 * <p>Threading: the JDK server runs handlers on its own thread; every handler synchronizes on this server, so
 * state changes made by the test thread (seal, add role, write) are seen by the next request.
 */
public final class VaultTestServer implements AutoCloseable {
    private record Token(String id, String accessor, List<String> policies, Instant created, Duration ttl,
            Instant expires, boolean renewable, String displayName, String path) {}

    private record Version(int number, Map<String, Object> data, Instant created, Instant deleted) {}

    private final InstantSource clock;
    private final HttpServer server;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    // key: "<mount>/<path>"; versions kept in order, number = index + 1.
    private final Map<String, List<Version>> kv = new LinkedHashMap<>();
    private final Map<String, String> appRoles = new LinkedHashMap<>(); // role_id -> secret_id
    private final Map<String, String> kubernetesRoles = new LinkedHashMap<>(); // role -> accepted jwt
    private final List<String> requests = new ArrayList<>();
    private Duration loginTtl = Duration.ofHours(1);
    private boolean sealed;
    private String contentType = "application/json";

    private VaultTestServer(InstantSource clock) {
        this.clock = clock;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a server on 127.0.0.1 on a free port; the caller closes it. */
    public static VaultTestServer start(InstantSource clock) {
        return new VaultTestServer(clock);
    }

    /** Base address for a client, e.g. {@code http://127.0.0.1:41234}. */
    public String address() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Issues a root-like token with the given TTL (zero means it never expires, as Vault's root token). */
    public synchronized String issueToken(Duration ttl, String... policies) {
        return mint(List.of(policies), ttl, "token", "auth/token/create").id();
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

    @Override
    public void close() {
        server.stop(0);
    }

    private Token mint(List<String> policies, Duration ttl, String displayName, String path) {
        Instant now = clock.instant();
        Token token = new Token("hvs." + UUID.randomUUID().toString().replace("-", ""),
                UUID.randomUUID().toString(), policies, now, ttl, ttl.isZero() ? null : now.plus(ttl),
                !ttl.isZero(), displayName, path);
        tokens.put(token.id(), token);
        return token;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Reply reply;
            String type;
            synchronized (this) {
                type = contentType;
                URI uri = exchange.getRequestURI();
                requests.add(exchange.getRequestMethod() + " " + uri);
                try {
                    reply = route(exchange.getRequestMethod(), uri.getPath(), query(uri.getRawQuery()),
                            exchange.getRequestHeaders().getFirst("X-Vault-Token"),
                            body.length == 0 ? Map.of() : Json.parseObject(new String(body, StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException e) {
                    reply = errors(400, e.getMessage());
                }
            }
            byte[] out = reply.body == null ? new byte[0] : Json.write(reply.body).getBytes(StandardCharsets.UTF_8);
            // Exactly "application/json": the driver compares the whole header value.
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(reply.status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                exchange.getResponseBody().write(out);
            }
        }
    }

    private record Reply(int status, Object body) {}

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
        if (rest.equals("auth/approle/login") && method.equals("POST")) {
            String roleId = string(body, "role_id");
            String secretId = string(body, "secret_id");
            if (roleId == null || !appRoles.containsKey(roleId) || !appRoles.get(roleId).equals(secretId)) {
                return errors(400, "invalid role or secret ID");
            }
            return login(mint(List.of("default"), loginTtl, "approle", "auth/approle/login"),
                    Map.of("role_name", roleId));
        }
        if (rest.equals("auth/kubernetes/login") && method.equals("POST")) {
            String role = string(body, "role");
            String jwt = string(body, "jwt");
            if (role == null || !kubernetesRoles.containsKey(role)) {
                return errors(400, "invalid role name \"" + role + "\"");
            }
            if (!kubernetesRoles.get(role).equals(jwt)) {
                return errors(403, "permission denied");
            }
            return login(mint(List.of("default"), loginTtl, "kubernetes-" + role, "auth/kubernetes/login"),
                    Map.of("role", role));
        }
        Token token = tokenHeader == null ? null : tokens.get(tokenHeader);
        if (token != null && token.expires() != null && !clock.instant().isBefore(token.expires())) {
            tokens.remove(token.id());
            token = null;
        }
        if (token == null) {
            return errors(403, "permission denied");
        }
        if (rest.equals("auth/token/lookup-self") && method.equals("GET")) {
            return ok(lookup(token));
        }
        if (rest.equals("auth/token/renew-self") && (method.equals("POST") || method.equals("PUT"))) {
            if (!token.renewable()) {
                return errors(400, "lease is not renewable");
            }
            Duration ttl = token.ttl();
            Object increment = body.get("increment");
            if (increment instanceof Number n && n.longValue() > 0) {
                ttl = Duration.ofSeconds(Math.min(n.longValue(), token.ttl().toSeconds()));
            }
            Token renewed = new Token(token.id(), token.accessor(), token.policies(), token.created(),
                    token.ttl(), clock.instant().plus(ttl), true, token.displayName(), token.path());
            tokens.put(renewed.id(), renewed);
            return login(renewed, Map.of());
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

    private static String string(Map<String, Object> body, String key) {
        return body.get(key) instanceof String s ? s : null;
    }
}
