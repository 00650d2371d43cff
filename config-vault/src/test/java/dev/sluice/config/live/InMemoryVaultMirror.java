package dev.sluice.config.live;

import dev.sluice.config.vault.KvEntry;
import dev.sluice.config.vault.VaultException;
import dev.sluice.config.vault.VaultMirror;
import dev.sluice.config.vault.VaultTree;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sluice's Vault folder in memory, for unit tests of the live configuration: each write bumps the path's version as
 * KV v2 does, and {@link #fail} makes every poll throw until {@link #recover}. The real mirror over VaultTestServer is
 * tested with the Vault client.
 */
final class InMemoryVaultMirror implements VaultMirror {
    private final Map<String, KvEntry> entries = new TreeMap<>();
    private VaultException failure;
    private int polls;

    synchronized InMemoryVaultMirror put(String path, String json) {
        KvEntry old = entries.get(path);
        long version = old == null ? 1 : old.version() + 1;
        entries.put(path, new KvEntry("sluice/" + path, version, Instant.parse("2026-11-29T00:00:00Z"), json));
        return this;
    }

    synchronized void remove(String path) {
        entries.remove(path);
    }

    synchronized void fail(VaultException e) {
        failure = e;
    }

    synchronized void recover() {
        failure = null;
    }

    synchronized int polls() {
        return polls;
    }

    @Override
    public synchronized VaultTree poll() {
        polls++;
        if (failure != null) {
            throw failure;
        }
        return VaultTree.of(entries);
    }
}
