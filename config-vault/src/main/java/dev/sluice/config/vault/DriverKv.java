package dev.sluice.config.vault;

import io.github.jopenlibs.vault.api.Logical;
import io.github.jopenlibs.vault.json.JsonArray;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.jopenlibs.vault.response.LogicalResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * KV version 2 on {@code vault-mount} through the session's token: data reads, writes, lists and destroys through
 * the driver, metadata reads as raw requests on the same shared client (the driver rewrites a metadata path into a
 * data path). Each call goes through {@link TokenKeeper#call}, so a refused token is replaced and the call retried
 * once. Thread-safe.
 */
final class DriverKv implements VaultKv {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._@+=,~-]+");

    private final TokenKeeper keeper;
    private final HttpClient http;
    private final dev.sluice.config.VaultConfig config;

    DriverKv(TokenKeeper keeper, HttpClient http, dev.sluice.config.VaultConfig config) {
        this.keeper = keeper;
        this.http = http;
        this.config = config;
    }

    /** Whether a name Vault listed is one this client can address (letters, digits and {@code ._@+=,~-}). */
    static boolean addressable(String segment) {
        return SEGMENT.matcher(segment).matches() && !segment.equals(".") && !segment.equals("..");
    }

    private static String checkPath(String path, boolean folder) {
        String p = folder && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (p == null || p.isEmpty()) {
            throw new IllegalArgumentException("path: empty (expected: a path relative to the mount)");
        }
        for (String segment : p.split("/", -1)) {
            if (!addressable(segment)) {
                throw new IllegalArgumentException("path: '" + path + "' (expected: segments of letters, digits "
                        + "and ._@+=,~- separated by single /)");
            }
        }
        return p;
    }

    private String mountPath(String path) {
        return config.mount() + "/" + path;
    }

    @Override
    public Optional<KvMetadata> metadata(String path) {
        String p = checkPath(path, false);
        String what = "metadata read of " + mountPath(p);
        Reply reply = keeper.call(what, grant -> raw(grant, "GET", "/v1/" + config.mount() + "/metadata/" + p, what))
                .expect(what, 200, 404);
        if (reply.status() == 404) {
            return Optional.empty();
        }
        JsonObject data = Reply.object(reply.json(what), "data", what);
        try {
            long current = data.getLong("current_version", 0);
            if (current < 1) {
                // Vault keeps metadata without versions after every version was destroyed one by one.
                return Optional.empty();
            }
            if (current > Integer.MAX_VALUE) {
                // The driver reads versions as int; no real KV secret gets this many versions.
                throw new VaultException.Malformed(what + ": not a KV version 2 metadata answer (current_version "
                        + current + " is out of range)", null);
            }
            JsonValue versions = data.get("versions");
            boolean live = true;
            if (versions != null && versions.isObject()) {
                JsonValue v = versions.asObject().get(Long.toString(current));
                if (v != null && v.isObject()) {
                    JsonValue deletion = v.asObject().get("deletion_time");
                    boolean deleted = deletion != null && deletion.isString() && !deletion.asString().isEmpty();
                    live = !deleted && !v.asObject().getBoolean("destroyed", false);
                }
            }
            return Optional.of(new KvMetadata(p, current, live, instant(data, "created_time", what),
                    instant(data, "updated_time", what)));
        } catch (UnsupportedOperationException | NumberFormatException e) {
            throw new VaultException.Malformed(what + ": not a KV version 2 metadata answer ("
                    + e.getClass().getSimpleName() + ")", null);
        }
    }

    @Override
    public OptionalLong currentVersion(String path) {
        return metadata(path).filter(KvMetadata::currentLive).map(m -> OptionalLong.of(m.currentVersion()))
                .orElse(OptionalLong.empty());
    }

    @Override
    public Optional<KvEntry> read(String path) {
        Optional<KvMetadata> metadata = metadata(path).filter(KvMetadata::currentLive);
        return metadata.isEmpty() ? Optional.empty() : read(metadata.get());
    }

    /**
     * The version {@code metadata} names, with the secret's creation time from it; empty when that version was
     * deleted meanwhile.
     */
    Optional<KvEntry> read(KvMetadata metadata) {
        String p = metadata.path();
        String what = "read of " + mountPath(p) + " version " + metadata.currentVersion();
        Reply reply = viaDriver(what, logical -> logical.read(mountPath(p), true,
                Math.toIntExact(metadata.currentVersion()))).expect(what, 200, 404);
        if (reply.status() == 404) {
            return Optional.empty();
        }
        JsonObject data = Reply.object(reply.json(what), "data", what);
        JsonObject values = Reply.object(data, "data", what);
        JsonObject versionMetadata = Reply.object(data, "metadata", what);
        long version = version(versionMetadata);
        if (version != metadata.currentVersion()) {
            throw new VaultException.Malformed(what + ": the answer is version " + version, null);
        }
        return Optional.of(new KvEntry(p, version, metadata.createdAt(), values.toString()));
    }

    /** The latest version in one data read (no metadata read first); 404, deleted or destroyed: empty. */
    @Override
    public Optional<KvEntry> readLatest(String path) {
        String p = checkPath(path, false);
        String what = "read of " + mountPath(p);
        Reply reply = viaDriver(what, logical -> logical.read(mountPath(p))).expect(what, 200, 404);
        if (reply.status() == 404) {
            return Optional.empty(); // none, or its latest version deleted (Vault answers 404 with the metadata)
        }
        JsonObject data = Reply.object(reply.json(what), "data", what);
        JsonObject versionMetadata = Reply.object(data, "metadata", what);
        JsonValue deletion = versionMetadata.get("deletion_time");
        if ((deletion != null && deletion.isString() && !deletion.asString().isEmpty())
                || (versionMetadata.get("destroyed") != null && versionMetadata.get("destroyed").isBoolean()
                        && versionMetadata.getBoolean("destroyed", false))) {
            return Optional.empty();
        }
        JsonObject values = Reply.object(data, "data", what);
        long version = version(versionMetadata);
        if (version < 1) {
            throw new VaultException.Malformed(what + ": the answer names no version", null);
        }
        return Optional.of(new KvEntry(p, version, instant(versionMetadata, "created_time", what), values.toString()));
    }

    @Override
    public List<String> list(String folder) {
        String p = checkPath(folder, true);
        String what = "list of " + mountPath(p) + "/";
        Reply reply = keeper.call(what, grant -> {
            try {
                LogicalResponse r = grant.driver.logical().list(mountPath(p) + "/");
                if (r == null) {
                    return new Reply(404, "");
                }
                return new Reply(r.getRestResponse().getStatus(),
                        new String(r.getRestResponse().getBody(), StandardCharsets.UTF_8));
            } catch (io.github.jopenlibs.vault.VaultException e) {
                return Reply.fromDriver(e, what, config.address());
            }
        }).expect(what, 200, 404);
        if (reply.status() == 404) {
            return List.of();
        }
        JsonValue keys = Reply.object(reply.json(what), "data", what).get("keys");
        if (keys == null || !keys.isArray()) {
            throw new VaultException.Malformed(what + ": 'data.keys' is missing or not an array", null);
        }
        List<String> names = new ArrayList<>();
        for (JsonValue key : (JsonArray) keys) {
            if (!key.isString()) {
                throw new VaultException.Malformed(what + ": a key is not a string", null);
            }
            names.add(key.asString());
        }
        names.sort(null);
        return List.copyOf(names);
    }

    @Override
    public long write(String path, Map<String, String> data) {
        String p = checkPath(path, false);
        String what = "write of " + mountPath(p);
        Map<String, Object> values = new LinkedHashMap<>(data);
        Reply reply = viaDriver(what, logical -> logical.write(mountPath(p), values)).expect(what, 200);
        JsonObject written = Reply.object(reply.json(what), "data", what);
        try {
            long version = written.getLong("version", 0);
            if (version < 1) {
                throw new VaultException.Malformed(what + ": the answer names no version", null);
            }
            return version;
        } catch (UnsupportedOperationException | NumberFormatException e) {
            throw new VaultException.Malformed(what + ": 'data.version' is not a number", null);
        }
    }

    @Override
    public void destroy(String path) {
        String p = checkPath(path, false);
        String what = "destroy of " + mountPath(p);
        keeper.call(what, grant -> {
            try {
                // KV v2 through the driver: DELETE <mount>/metadata/<path>, every version and the metadata.
                LogicalResponse r = grant.driver.logical().delete(mountPath(p));
                return new Reply(r.getRestResponse().getStatus(), "");
            } catch (io.github.jopenlibs.vault.VaultException e) {
                return Reply.fromDriver(e, what, config.address());
            }
        }).expect(what, 204, 200, 404);
    }

    /** One request through the driver's logical API. */
    private interface DriverRequest {
        LogicalResponse send(Logical logical) throws io.github.jopenlibs.vault.VaultException;
    }

    /** {@code request} through the keeper; a driver failure becomes what {@link Reply#fromDriver} makes of it. */
    private Reply viaDriver(String what, DriverRequest request) {
        return keeper.call(what, grant -> {
            try {
                LogicalResponse r = request.send(grant.driver.logical());
                return new Reply(r.getRestResponse().getStatus(),
                        new String(r.getRestResponse().getBody(), StandardCharsets.UTF_8));
            } catch (io.github.jopenlibs.vault.VaultException e) {
                return Reply.fromDriver(e, what, config.address());
            }
        });
    }

    /** A data read's {@code metadata.version}; 0 when it is missing or not a number (the callers refuse that). */
    private static long version(JsonObject versionMetadata) {
        try {
            return versionMetadata.getLong("version", 0);
        } catch (UnsupportedOperationException | NumberFormatException e) {
            return 0;
        }
    }

    private Reply raw(TokenKeeper.Grant grant, String method, String path, String what) {
        URI base = URI.create(config.address());
        URI uri;
        try {
            String basePath = base.getPath() == null ? "" : base.getPath().replaceAll("/+$", "");
            uri = new URI(base.getScheme(), null, base.getHost(), base.getPort(), basePath + path, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("path: " + path, e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("X-Vault-Token", grant.token)
                .header("X-Vault-Request", "true");
        if (!config.namespace().isEmpty()) {
            request.header("X-Vault-Namespace", config.namespace());
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body());
        } catch (IOException e) {
            throw Reply.transport(what, config.address(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException.Unavailable(what + ": interrupted", e);
        }
    }

    private static Instant instant(JsonObject data, String name, String what) {
        JsonValue v = data.get(name);
        if (v == null || !v.isString()) {
            throw new VaultException.Malformed(what + ": '" + name + "' is missing", null);
        }
        try {
            return Instant.parse(v.asString());
        } catch (DateTimeParseException e) {
            throw new VaultException.Malformed(what + ": '" + name + "' is not a time", null);
        }
    }
}
