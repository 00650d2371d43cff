package dev.sluice.tenancy.auth;

import dev.sluice.tenancy.TenancyException;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** What an API key may be used for. The gateway decides which scope each endpoint needs. */
public enum Scope {
    /** Call functions. */
    INVOKE("invoke"),
    /** Deploy and delete functions. */
    DEPLOY("deploy"),
    /** Read function descriptions and usage. */
    READ("read");

    /** Every scope: what keys issued without scopes, and keys stored before scopes existed, have. */
    public static final Set<Scope> ALL = Collections.unmodifiableSet(EnumSet.allOf(Scope.class));

    private final String text;

    Scope(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    /** @throws TenancyException.InvalidInput naming the field and the known scopes */
    public static Scope parse(String text) {
        for (Scope scope : values()) {
            if (scope.text.equals(text)) {
                return scope;
            }
        }
        throw new TenancyException.InvalidInput("scopes: '" + text + "' (expected: invoke, deploy or read)");
    }
}
