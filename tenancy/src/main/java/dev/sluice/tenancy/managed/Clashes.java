package dev.sluice.tenancy.managed;

import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Warns once per clash, a declared object whose name an object in the base store has too (the declared one wins):
 * harmless but worth knowing, since the stored one is hidden. Forgotten when the declaration goes, so a clash that
 * comes back is reported again.
 */
final class Clashes {
    private static final System.Logger LOG = System.getLogger(ManagedTenancy.class.getName());

    private final String manager;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    Clashes(String manager) {
        this.manager = manager;
    }

    /** @param kind {@code plan}, {@code tenant} or {@code key} */
    void seen(String kind, String name, String source) {
        if (warned.add(kind + " " + name)) {
            LOG.log(Level.WARNING, kind + " '" + name + "' is declared in " + manager + " (" + source
                    + ") and also stored here; the declared one is in force and the stored one is hidden until the"
                    + " declaration is removed");
        }
    }

    /** Keeps only the clashes of objects still declared. */
    void retain(DeclaredSet set) {
        warned.removeIf(clash -> {
            String[] parts = clash.split(" ", 2);
            return switch (parts[0]) {
                case "plan" -> !set.plans.containsKey(parts[1]);
                case "tenant" -> !set.tenants.containsKey(parts[1]);
                default -> !set.keys.containsKey(parts[1]);
            };
        });
    }
}
