package dev.sluice.config.live;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.jopenlibs.vault.json.ParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads Vault's {@code config} secret: a JSON object of configuration keys, values as text or as numbers (Terraform's
 * {@code jsonencode} writes numbers for numbers), turned into the same raw text a file line gives, so
 * {@link SluiceConfig} applies one set of rules to both sources. The bootstrap keys ({@code vault-*}) are refused:
 * Vault must not redirect Sluice to another Vault. Messages name the path and key, never a value.
 */
final class VaultConfigJson {
    private VaultConfigJson() {}

    static Map<String, String> parse(String where, String json) {
        JsonValue parsed;
        try {
            parsed = Json.parse(json);
        } catch (ParseException | UnsupportedOperationException e) {
            throw new ConfigException(where + ": not JSON (" + e.getMessage() + ")");
        }
        if (!parsed.isObject()) {
            throw new ConfigException(where + ": not a JSON object (expected: {\"key\": \"value\", ...})");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (JsonObject.Member member : parsed.asObject()) {
            String key = member.getName();
            if (SluiceConfig.BOOTSTRAP_KEYS.contains(key)) {
                throw new ConfigException(where + ": " + key + ": not taken from Vault (expected: the vault-* keys"
                        + " in the configuration file only)");
            }
            JsonValue value = member.getValue();
            String text;
            if (value.isString()) {
                text = value.asString();
            } else if (value.isNumber() || value.isBoolean()) {
                text = value.toString();
            } else {
                throw new ConfigException(where + ": " + key + ": " + kind(value)
                        + " (expected: a string or a number)");
            }
            if (values.putIfAbsent(key, text) != null) {
                throw new ConfigException(where + ": " + key + " is set twice");
            }
        }
        return values;
    }

    private static String kind(JsonValue value) {
        if (value.isNull()) {
            return "null";
        }
        return value.isArray() ? "an array" : "an object";
    }
}
