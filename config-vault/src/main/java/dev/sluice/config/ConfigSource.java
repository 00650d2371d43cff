package dev.sluice.config;

import java.util.Map;

/**
 * Where settings come from: a file today, Vault later. Keys are kebab-case strings; values are raw text that
 * {@link SluiceConfig} parses and validates, so every source gets the same rules and the same messages.
 */
public interface ConfigSource {
    /** Every setting this source defines, key to raw value. */
    Map<String, String> values();

    /** Where the values came from, for messages ("sluice.conf", "defaults"). */
    String describe();

    static ConfigSource of(String description, Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return new ConfigSource() {
            @Override
            public Map<String, String> values() {
                return copy;
            }

            @Override
            public String describe() {
                return description;
            }
        };
    }
}
