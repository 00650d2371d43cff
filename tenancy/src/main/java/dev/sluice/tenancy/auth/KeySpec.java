package dev.sluice.tenancy.auth;

import dev.sluice.tenancy.TenancyException;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What to issue a key for. Start from {@link #named} (every scope, every function, no expiry) and narrow it.
 *
 * @param name      1 to 100 printable characters, for people
 * @param scopes    at least one
 * @param functions when present, the only functions (1 to {@value #MAX_FUNCTIONS} names) the key may touch
 * @param expiresAt when present, the instant the key stops working
 */
public record KeySpec(String name, Set<Scope> scopes, Optional<Set<String>> functions, Optional<Instant> expiresAt) {
    public static final int MAX_NAME_LENGTH = 100;
    public static final int MAX_FUNCTIONS = 100;
    private static final Pattern FUNCTION = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /**
     * Every set of scopes, unmodifiable, indexed by the bit mask of its members' ordinals. {@link KeyMetadata} is
     * rebuilt on every verification (with the key's last use), so the check hands back one shared instance instead
     * of copying the set each time.
     */
    private static final Set<Scope>[] SCOPE_SETS = scopeSets();

    public KeySpec {
        checkName(name);
        scopes = checkScopes(scopes);
        functions = checkFunctions(functions);
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    public static KeySpec named(String name) {
        return new KeySpec(name, Scope.ALL, Optional.empty(), Optional.empty());
    }

    public KeySpec withScopes(Set<Scope> only) {
        return new KeySpec(name, only, functions, expiresAt);
    }

    public KeySpec withFunctions(Set<String> only) {
        return new KeySpec(name, scopes, Optional.of(only), expiresAt);
    }

    public KeySpec expiringAt(Optional<Instant> expiry) {
        return new KeySpec(name, scopes, functions, expiry);
    }

    static Set<Scope> checkScopes(Set<Scope> scopes) {
        if (scopes == null || scopes.isEmpty()) {
            throw new TenancyException.InvalidInput("scopes: " + (scopes == null ? "missing" : "empty")
                    + " (expected: one or more of invoke, deploy, read)");
        }
        int mask = 0;
        for (Scope scope : scopes) {
            mask |= 1 << Objects.requireNonNull(scope, "scopes: null").ordinal();
        }
        return SCOPE_SETS[mask];
    }

    @SuppressWarnings("unchecked")
    private static Set<Scope>[] scopeSets() {
        Scope[] all = Scope.values();
        Set<Scope>[] sets = new Set[1 << all.length];
        for (int mask = 0; mask < sets.length; mask++) {
            EnumSet<Scope> set = EnumSet.noneOf(Scope.class);
            for (Scope scope : all) {
                if ((mask & 1 << scope.ordinal()) != 0) {
                    set.add(scope);
                }
            }
            sets[mask] = Collections.unmodifiableSet(set);
        }
        return sets;
    }

    static Optional<Set<String>> checkFunctions(Optional<Set<String>> functions) {
        Objects.requireNonNull(functions, "functions");
        if (functions.isEmpty()) {
            return functions;
        }
        Set<String> names = functions.get();
        if (names.isEmpty() || names.size() > MAX_FUNCTIONS) {
            throw new TenancyException.InvalidInput("functions: " + names.size() + " names (expected: 1 to "
                    + MAX_FUNCTIONS + "; omit the field for every function)");
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (String name : names) {
            if (name == null || !FUNCTION.matcher(name).matches()) {
                throw new TenancyException.InvalidInput(
                        "functions: '" + name + "' (expected: [a-z0-9][a-z0-9-]{0,62})");
            }
            sorted.add(name);
        }
        return Optional.of(Collections.unmodifiableSortedSet(sorted));
    }

    public static void checkName(String name) {
        String expected = " (expected: 1 to " + MAX_NAME_LENGTH + " printable characters)";
        if (name == null || name.isBlank()) {
            throw new TenancyException.InvalidInput("name: " + (name == null ? "missing" : "blank") + expected);
        }
        int length = name.codePointCount(0, name.length());
        if (length > MAX_NAME_LENGTH) {
            throw new TenancyException.InvalidInput("name: " + length + " characters" + expected);
        }
        int[] codePoints = name.codePoints().toArray();
        for (int i = 0; i < codePoints.length; i++) {
            if (!printable(codePoints[i])) {
                // The offending text is not echoed: it may hold control sequences meant for a terminal or log.
                throw new TenancyException.InvalidInput(String.format(
                        "name: non-printable character U+%04X at position %d%s", codePoints[i], i, expected));
            }
        }
    }

    private static boolean printable(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.SURROGATE,
                 Character.PRIVATE_USE, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }
}
