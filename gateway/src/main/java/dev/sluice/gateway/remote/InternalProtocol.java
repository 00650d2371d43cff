package dev.sluice.gateway.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.config.secrets.SecretValue;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.AssetTree;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.scheduler.files.ScratchLimits;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway → worker wire format (docs/architecture.md, "Gateway to worker"), one place for both ends.
 *
 * <p>Request: {@code POST /internal/v1/invoke} with {@code Sluice-Worker-Secret}; the body is a 4-byte big-endian
 * length, that many bytes of JSON (the {@link FunctionSpec} with its {@code assets}, if any, the {@code scratch} space
 * the gateway granted from the plan, argv and the CGI environment), then stdin raw. The worker finds the assets' tree
 * by digest itself ({@link WorkerTrees}): no host path crosses the wire.
 *
 * <p>Response {@code 200}: the outcome in headers ({@code Sluice-Outcome: exited} with {@code Sluice-Exit-Code}, or
 * {@code failed} with {@code Sluice-Failure-Kind} and {@code Sluice-Failure-Message}), always with
 * {@code Sluice-Fuel-Used}, {@code Sluice-Elapsed-Nanos} and {@code Sluice-Stderr-Bytes}; the body is stderr then
 * stdout, raw. Anything else is a problem document; {@code 503 worker-busy} means the guest never started.
 */
public final class InternalProtocol {
    public static final String PREFIX = "/internal/v1";
    public static final String INVOKE = PREFIX + "/invoke";
    public static final String HEALTH = PREFIX + "/health";

    static final HeaderName SECRET = HeaderNames.create("Sluice-Worker-Secret");
    static final HeaderName OUTCOME = HeaderNames.create("Sluice-Outcome");
    static final HeaderName EXIT_CODE = HeaderNames.create("Sluice-Exit-Code");
    static final HeaderName FUEL_USED = HeaderNames.create("Sluice-Fuel-Used");
    static final HeaderName ELAPSED = HeaderNames.create("Sluice-Elapsed-Nanos");
    static final HeaderName STDERR_BYTES = HeaderNames.create("Sluice-Stderr-Bytes");
    static final HeaderName FAILURE_KIND = HeaderNames.create("Sluice-Failure-Kind");
    static final HeaderName FAILURE_MESSAGE = HeaderNames.create("Sluice-Failure-Message");
    static final String CONTENT_TYPE = "application/vnd.sluice.invocation";

    /**
     * The most a function's secrets add to the metadata: {@link FunctionSecrets#MAX_PER_FUNCTION} values of
     * {@link SecretValue#MAX_BYTES}, each JSON-escaped (a control character takes six bytes), with their names. A
     * worker takes this much on top of the request body and its CGI variables.
     */
    public static final long MAX_SECRETS_BYTES = FunctionSecrets.MAX_PER_FUNCTION * (6L * SecretValue.MAX_BYTES + 264);

    private InternalProtocol() {}

    /** One decoded request: what to run and its input. */
    record Invocation(FunctionSpec function, InvocationRequest request) {}

    static byte[] encode(FunctionSpec f, InvocationRequest request) {
        ObjectNode meta = Json.object();
        meta.put("tenant", f.tenant());
        meta.put("name", f.name().value());
        meta.put("digest", f.digest());
        meta.put("size", f.size());
        meta.put("memory-pages", f.memoryPages());
        meta.put("timeout-ms", f.timeoutMs());
        meta.put("deployed-at", f.deployedAt().toString());
        meta.put("fuel", f.fuel());
        f.assets().ifPresent(a -> meta.set("assets", Json.tree(AttachedAssets.Stored.of(a))));
        ScratchLimits scratch = request.files().scratch();
        if (scratch.granted()) {
            meta.putObject("scratch").put("bytes", scratch.bytes()).put("inodes", scratch.inodes());
        }
        request.args().forEach(meta.putArray("args")::add);
        ObjectNode env = meta.putObject("env");
        request.env().forEach(env::put);
        byte[] json = Json.bytes(meta);
        return ByteBuffer.allocate(4 + json.length + request.stdin().length)
                .putInt(json.length).put(json).put(request.stdin()).array();
    }

    /** @throws ProblemException invalid-request when the body is not a well-formed invocation */
    static Invocation decode(byte[] body) {
        if (body.length < 4) {
            throw invalid("body shorter than its length prefix");
        }
        int length = ByteBuffer.wrap(body).getInt();
        if (length < 2 || length > body.length - 4) {
            throw invalid("metadata length " + length + " does not fit a body of " + body.length + " bytes");
        }
        ObjectNode meta = Json.parseObject(Arrays.copyOfRange(body, 4, 4 + length));
        try {
            FunctionSpec spec = new FunctionSpec(text(meta, "tenant"), FunctionName.of(text(meta, "name")),
                    text(meta, "digest"), meta.path("size").asLong(), meta.path("memory-pages").asInt(),
                    meta.path("timeout-ms").asLong(), Instant.parse(text(meta, "deployed-at")),
                    meta.path("fuel").asLong(), assets(meta.get("assets")));
            ScratchLimits scratch = scratch(meta.get("scratch"));
            List<String> args = new ArrayList<>();
            meta.path("args").forEach(a -> args.add(a.asText()));
            Map<String, String> env = new LinkedHashMap<>();
            meta.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
            // The tree's host directory is the worker's to find (WorkerService): none here yet.
            FunctionFiles files = FunctionFiles.of(Optional.empty(), spec.assets().map(AttachedAssets::mount),
                    scratch);
            return new Invocation(spec, new InvocationRequest(Arrays.copyOfRange(body, 4 + length, body.length),
                    args, env, files));
        } catch (SchedulerException.InvalidInput | IllegalArgumentException
                 | java.time.format.DateTimeParseException e) {
            throw invalid(e.getMessage());
        }
    }

    /** @throws IllegalArgumentException when a field is missing or out of its range */
    private static Optional<AttachedAssets> assets(JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        AssetTree tree = new AssetTree(text(node, "digest"), node.path("files").asLong(-1),
                node.path("bytes").asLong(-1));
        // Read field by field, not bound to AttachedAssets.Stored: a missing count is -1 (refused), not Jackson's 0.
        // The tree is unpacked within these bounds (AssetLimits.exactly), so they are checked as plan limits are.
        new AssetLimits(tree.bytes(), tree.files());
        return Optional.of(new AttachedAssets.Stored(tree.digest(), tree.files(), tree.bytes(), text(node, "path"),
                node.path("writable").asBoolean(false)).attached());
    }

    /** @throws IllegalArgumentException when a bound is out of range (ScratchLimits' own checks) */
    private static ScratchLimits scratch(JsonNode node) {
        if (node == null || node.isNull()) {
            return ScratchLimits.NONE;
        }
        long inodes = node.path("inodes").asLong(-1);
        if (inodes < 0 || inodes > ScratchLimits.MAX_INODES) {
            throw new IllegalArgumentException("scratch-inodes: " + inodes + " (expected: 0.."
                    + ScratchLimits.MAX_INODES + ")");
        }
        return new ScratchLimits(node.path("bytes").asLong(-1), (int) inodes);
    }

    private static String text(JsonNode meta, String field) {
        JsonNode value = meta.get(field);
        if (value == null || !value.isTextual()) {
            throw invalid(field + ": missing");
        }
        return value.asText();
    }

    private static ProblemException invalid(String why) {
        return ProblemException.of(ProblemType.INVALID_REQUEST, "invocation: " + why);
    }

    /** The body of a 200 answer: stderr then stdout. */
    static byte[] body(byte[] stderr, byte[] stdout) {
        byte[] body = Arrays.copyOf(stderr, stderr.length + stdout.length);
        System.arraycopy(stdout, 0, body, stderr.length, stdout.length);
        return body;
    }

    static InvocationResult result(int exitCode, byte[] body, int stderrBytes, long elapsedNanos, long fuelUsed) {
        return new InvocationResult(exitCode, Arrays.copyOfRange(body, stderrBytes, body.length),
                Arrays.copyOf(body, stderrBytes), Duration.ofNanos(elapsedNanos), fuelUsed);
    }

    static String encodeMessage(String message) {
        return URLEncoder.encode(message == null ? "" : message, StandardCharsets.UTF_8);
    }

    static String decodeMessage(String encoded) {
        return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
    }

    /**
     * A failure kind from the worker's header. Tolerant: a newer worker may name a kind this gateway does not know,
     * and the guest already ran, so the call must not fail here; it becomes a {@code TRAP} (a guest failure).
     */
    static InvocationFailed.Kind kind(String name) {
        try {
            return InvocationFailed.Kind.valueOf(name);
        } catch (IllegalArgumentException unknown) {
            return InvocationFailed.Kind.TRAP;
        }
    }

    /** A module-rejected reason slug ({@code too-large}); one this gateway does not know is {@code MALFORMED}. */
    static SchedulerException.ModuleRejected.Reason reason(String slug) {
        if (slug != null && !slug.isEmpty()) {
            try {
                return SchedulerException.ModuleRejected.Reason.valueOf(slug.toUpperCase(java.util.Locale.ROOT)
                        .replace('-', '_'));
            } catch (IllegalArgumentException unknown) {
                // fall through
            }
        }
        return SchedulerException.ModuleRejected.Reason.MALFORMED;
    }

    /** Constant time in the secret's content: both sides are hashed first, so lengths do not leak either. */
    static boolean secretMatches(String expected, String given) {
        if (given == null) {
            return false;
        }
        return MessageDigest.isEqual(sha256(expected), sha256(given));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
