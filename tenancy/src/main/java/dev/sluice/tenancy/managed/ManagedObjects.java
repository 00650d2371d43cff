package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.TenantId;
import java.util.Optional;

/**
 * Which objects an outside source manages, so the admin API shows {@code "managed-by"} and refuses to edit them (two
 * sources never fight over one object). Each answer is the manager's name ({@code vault}), or empty for objects the
 * admin API owns.
 */
public interface ManagedObjects {
    Optional<String> tenantManager(TenantId tenant);

    Optional<String> planManager(String plan);

    Optional<String> keyManager(String keyId);

    /** No object is managed elsewhere (no outside source configured). */
    ManagedObjects NONE = new ManagedObjects() {
        @Override
        public Optional<String> tenantManager(TenantId tenant) {
            return Optional.empty();
        }

        @Override
        public Optional<String> planManager(String plan) {
            return Optional.empty();
        }

        @Override
        public Optional<String> keyManager(String keyId) {
            return Optional.empty();
        }
    };
}
