package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.KeyRules;
import dev.sluice.tenancy.auth.KeySpec;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Declared keys over the stored ones.
 *
 * <p><b>Verify</b> looks the presented id up among the declared keys first. A declared id answers alone: a wrong
 * secret or an expired key is refused there and never asked of the base store, so a stored key that happens to carry
 * a declared id (it cannot be issued on purpose: ids are random) can never authenticate in the declared key's place,
 * and no id has two sources answering for it. Any accepted shape with the declared id and secret is the key; in
 * practice clients present {@code sluice_sk_<id>_<secret>}, which Terraform can build (it cannot compute the
 * checksum of the {@code v2} shape).
 *
 * <p><b>Last use</b> of a declared key is kept in this process's memory only: nothing declared is written to the
 * base store (two gateways never fight over it), so each gateway knows its own last use of the key, a restart
 * forgets it, and it is forgotten when the key leaves the declarations.
 *
 * <p><b>Issue</b> for a declared tenant is allowed: the new key is the admin API's, lives in the base store under the
 * tenant's uid, and is listed, rotated and revoked through the admin API like any stored key. A provider that manages
 * tenants as code still needs a key now and then without a Terraform run (a support engineer's, a CI job's); and
 * since the key is keyed by the uid, it stops authenticating the moment the tenant leaves the declarations (the
 * tenant no longer resolves), like everything else kept for the tenant. Declared keys themselves cannot be rotated or
 * revoked here.
 */
final class ManagedKeys implements ApiKeys {
    private final TenancyStores base;
    private final Supplier<DeclaredSet> declared;
    private final String manager;
    private final InstantSource clock;
    private final Clashes clashes;
    private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();

    ManagedKeys(TenancyStores base, Supplier<DeclaredSet> declared, String manager, InstantSource clock,
                Clashes clashes) {
        this.base = base;
        this.declared = declared;
        this.manager = manager;
        this.clock = clock;
        this.clashes = clashes;
    }

    @Override
    public IssuedKey issue(TenantUid tenant, KeySpec spec) {
        return base.keys().issue(tenant, spec);
    }

    /** Declared and stored keys of the tenant, oldest first; a stored key hidden by a declared id is left out. */
    @Override
    public List<KeyMetadata> list(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        DeclaredSet set = declared.get();
        List<DeclaredSet.Key> mine = set.keysOf(tenant);
        List<KeyMetadata> stored = base.keys().list(tenant);
        List<KeyMetadata> merged = new ArrayList<>(mine.size() + stored.size());
        int next = 0;
        for (KeyMetadata key : stored) {
            DeclaredSet.Key hiding = set.keys.get(key.id());
            if (hiding != null) {
                clashes.seen("key", key.id(), hiding.declared().source());
                continue;
            }
            // Stored keys keep their store's order; declared ones go in by creation time.
            while (next < mine.size() && mine.get(next).metadata().createdAt().isBefore(key.createdAt())) {
                merged.add(withLastUse(mine.get(next++)));
            }
            merged.add(key);
        }
        while (next < mine.size()) {
            merged.add(withLastUse(mine.get(next++)));
        }
        return merged;
    }

    private KeyMetadata withLastUse(DeclaredSet.Key key) {
        return key.metadata().withLastUsedAt(Optional.ofNullable(lastUsed.get(key.metadata().id())));
    }

    @Override
    public Optional<Rotation> rotate(TenantUid tenant, String keyId, Duration overlap, Optional<Instant> expiresAt) {
        Objects.requireNonNull(tenant, "tenant");
        DeclaredSet.Key key = keyId == null ? null : declared.get().keys.get(keyId);
        if (key == null) {
            return base.keys().rotate(tenant, keyId, overlap, expiresAt);
        }
        refuseIfOwn(key, tenant);
        return Optional.empty();
    }

    @Override
    public boolean revoke(TenantUid tenant, String keyId) {
        Objects.requireNonNull(tenant, "tenant");
        DeclaredSet.Key key = keyId == null ? null : declared.get().keys.get(keyId);
        if (key == null) {
            return base.keys().revoke(tenant, keyId);
        }
        refuseIfOwn(key, tenant);
        return false;
    }

    /**
     * Removes the tenant's stored keys; declared keys are never touched. Refused for a tenant declared now: revoking
     * every key is the first step of deleting a tenant, which a declared tenant refuses, and refusing here keeps such
     * a deletion from half happening (its stored keys gone, then its functions, then the record refused).
     */
    @Override
    public void revokeAll(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        declared.get().tenant(tenant.name()).filter(t -> t.tenant().uid().equals(tenant)).ifPresent(t -> {
            throw new TenancyException.Managed("tenant '" + tenant.name() + "' is managed by " + manager + " ("
                    + t.source() + "); change it there", manager);
        });
        base.keys().revokeAll(tenant);
    }

    @Override
    public Optional<KeyMetadata> verify(String presentedKey) {
        Optional<KeyFormat.Presented> presented = KeyFormat.parse(presentedKey);
        if (presented.isEmpty()) {
            return Optional.empty();
        }
        String id = presented.get().id();
        DeclaredSet.Key key = declared.get().keys.get(id);
        if (key == null) {
            return base.keys().verify(presentedKey);
        }
        boolean secretMatches = KeyFormat.matches(presented.get().secretHash(), key.secretHash());
        Instant now = clock.instant();
        if (!secretMatches || key.metadata().expiredAt(now)) {
            return Optional.empty();
        }
        Instant previous = lastUsed.get(id);
        if (previous == null || !now.isBefore(previous.plus(KeyRules.LAST_USED_RESOLUTION))) {
            lastUsed.put(id, now);
        }
        return Optional.of(key.metadata().withLastUsedAt(Optional.ofNullable(previous)));
    }

    /** Forgets the last use of keys no longer declared (called when a set is applied). */
    void retain(DeclaredSet set) {
        lastUsed.keySet().retainAll(set.keys.keySet());
    }

    /** A declared key of another tenant is not this tenant's: answered as "no such key", like the base store. */
    private void refuseIfOwn(DeclaredSet.Key key, TenantUid tenant) {
        if (key.metadata().tenant().equals(tenant)) {
            throw new TenancyException.Managed("key " + key.declared().id() + " is managed by " + manager + " ("
                    + key.declared().source() + "); change it there", manager);
        }
    }
}
