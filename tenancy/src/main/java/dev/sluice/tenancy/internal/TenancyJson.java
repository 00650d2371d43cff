package dev.sluice.tenancy.internal;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.auth.Scope;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.FailPolicy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The JSON shapes of limits, overrides and keys, shared by the file stores and the Redis stores so both read and
 * write the same kebab-case fields. Reading is strict (unknown limit keys are corrupt) and every error names the
 * JSON path; fields added after the first release are optional with the old behaviour as default.
 */
public final class TenancyJson {
    private TenancyJson() {}

    public static ObjectNode writeLimits(ObjectNode node, TenantLimits limits) {
        for (Limit limit : Limit.values()) {
            node.put(limit.key(), limits.get(limit));
        }
        limits.quotaFailPolicy().ifPresent(p -> node.put(LimitOverrides.QUOTA_FAIL_POLICY, p.text()));
        return node;
    }

    public static ObjectNode writeOverrides(ObjectNode node, LimitOverrides overrides) {
        overrides.values().forEach((limit, value) -> node.put(limit.key(), value));
        overrides.quotaFailPolicy().ifPresent(p -> node.put(LimitOverrides.QUOTA_FAIL_POLICY, p.text()));
        return node;
    }

    /** Every limit must be present, except those added later ({@link Limit#absentValue()}), read as their default. */
    public static TenantLimits readLimits(StoredJson json, JsonNode value, String path) {
        LimitOverrides read = readOverrides(json, value, path);
        EnumMap<Limit, Long> values = new EnumMap<>(Limit.class);
        values.putAll(read.values());
        for (Limit limit : Limit.values()) {
            if (!values.containsKey(limit)) {
                values.put(limit, limit.absentValue().orElseThrow(
                        () -> json.corrupt(path + "." + limit.key() + ": missing (expected: integer)", null)));
            }
        }
        return json.domain(path, () -> TenantLimits.of(values, read.quotaFailPolicy()));
    }

    public static LimitOverrides readOverrides(StoredJson json, JsonNode value, String path) {
        ObjectNode node = json.object(value, path);
        EnumMap<Limit, Long> values = new EnumMap<>(Limit.class);
        Optional<FailPolicy> policy = Optional.empty();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String fieldPath = path + "." + field.getKey();
            if (field.getKey().equals(LimitOverrides.QUOTA_FAIL_POLICY)) {
                String text = json.text(node, field.getKey(), path);
                policy = Optional.of(valid(json, path, () -> FailPolicy.parse(text)));
                continue;
            }
            Limit limit = Limit.find(field.getKey()).orElseThrow(
                    () -> json.corrupt(fieldPath + ": unknown limit", null));
            JsonNode number = field.getValue();
            if (!number.isIntegralNumber() || !number.canConvertToLong()) {
                throw json.corrupt(fieldPath + ": " + number + " (expected: integer)", null);
            }
            values.put(limit, valid(json, path, () -> limit.validate(limit.stored(number.longValue()))));
        }
        return new LimitOverrides(values, policy);
    }

    /** Runs a validation whose message starts with the field name, reporting it at {@code path.field}. */
    private static <T> T valid(StoredJson json, String path, java.util.function.Supplier<T> check) {
        try {
            return check.get();
        } catch (TenancyException.InvalidInput e) {
            throw json.corrupt(path + "." + e.getMessage(), e);
        }
    }

    /** A key's stored fields, the hash of its secret included; {@code last-used-at} only when known. */
    public static ObjectNode writeKey(ObjectNode node, StoredKey key) {
        KeyMetadata m = key.metadata();
        node.put("id", m.id());
        node.put("tenant", m.tenant().value());
        node.put("name", m.name());
        node.put("secret-sha256", KeyFormat.hex(key.secretHash()));
        node.put("created-at", m.createdAt().toString());
        m.expiresAt().ifPresent(e -> node.put("expires-at", e.toString()));
        ArrayNode scopes = node.putArray("scopes");
        m.scopes().forEach(s -> scopes.add(s.text()));
        m.functions().ifPresent(names -> {
            ArrayNode functions = node.putArray("functions");
            names.forEach(functions::add);
        });
        m.lastUsedAt().ifPresent(t -> node.put("last-used-at", t.toString()));
        return node;
    }

    public static StoredKey readKey(StoredJson json, JsonNode value, String path) {
        ObjectNode node = json.object(value, path);
        String id = json.text(node, "id", path);
        if (!KeyFormat.ID.matcher(id).matches()) {
            throw json.corrupt(path + ".id: '" + id + "' (expected: " + KeyFormat.ID_LENGTH
                    + " lowercase hex characters)", null);
        }
        String tenantText = json.text(node, "tenant", path);
        // A key issued before tenants had uids names its tenant, whose uid is then the legacy one: the same text.
        TenantUid tenant = json.domain(path + ".tenant", () -> TenantUid.of(tenantText));
        String name = json.text(node, "name", path);
        json.domain(path, () -> {
            KeySpec.checkName(name);
            return name;
        });
        byte[] hash = KeyFormat.parseHash(json.text(node, "secret-sha256", path));
        if (hash == null) {
            throw json.corrupt(path + ".secret-sha256: not a SHA-256 (expected: 64 hex characters)", null);
        }
        Instant createdAt = json.instant(node, "created-at", path);
        Optional<Instant> expiresAt = json.optionalInstant(node, "expires-at", path);
        // Keys stored before scopes and restrictions existed could do everything: they still can.
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        if (node.has("scopes")) {
            for (String text : strings(json, node, "scopes", path)) {
                scopes.add(valid(json, path, () -> Scope.parse(text)));
            }
        } else {
            scopes.addAll(Scope.ALL);
        }
        Optional<Set<String>> functions = node.has("functions")
                ? Optional.of(strings(json, node, "functions", path))
                : Optional.empty();
        Optional<Instant> lastUsed = json.optionalInstant(node, "last-used-at", path);
        KeyMetadata metadata = json.domain(path, () -> new KeyMetadata(id, tenant, name, createdAt, expiresAt,
                scopes, functions, lastUsed));
        return new StoredKey(metadata, hash);
    }

    private static Set<String> strings(StoredJson json, ObjectNode node, String field, String path) {
        JsonNode array = node.get(field);
        if (!array.isArray()) {
            throw json.corrupt(path + "." + field + ": " + array.getNodeType() + " (expected: array of strings)",
                    null);
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < array.size(); i++) {
            if (!array.get(i).isTextual()) {
                throw json.corrupt(path + "." + field + "[" + i + "]: " + array.get(i) + " (expected: string)",
                        null);
            }
            out.add(array.get(i).textValue());
        }
        return out;
    }
}
