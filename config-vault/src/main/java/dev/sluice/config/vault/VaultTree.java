package dev.sluice.config.vault;

import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything Sluice reads from its Vault folder at one moment, path (relative to the folder, e.g. {@code config},
 * {@code plans/pro}, {@code keys/acme/0123456789abcdef}) to entry. Immutable; two trees are equal when every path has
 * the same version, which is how a poll tells that nothing changed.
 */
public record VaultTree(SortedMap<String, KvEntry> entries) {
    public static final VaultTree EMPTY = new VaultTree(new TreeMap<>());

    public VaultTree {
        entries = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(entries)));
    }

    public static VaultTree of(Map<String, KvEntry> entries) {
        return new VaultTree(new TreeMap<>(entries));
    }

    /** Whether every path has the same version in both trees. */
    public boolean sameVersions(VaultTree other) {
        if (!entries.keySet().equals(other.entries.keySet())) {
            return false;
        }
        return entries.entrySet().stream()
                .allMatch(e -> other.entries.get(e.getKey()).version() == e.getValue().version());
    }
}
