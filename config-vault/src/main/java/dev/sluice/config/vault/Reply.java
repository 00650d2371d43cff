package dev.sluice.config.vault;

import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;

/**
 * One HTTP answer from Vault (status and body), however it was obtained (the driver or a raw request), and the one
 * place that turns answers and transport failures into {@link VaultException}s. Messages name what was done and the
 * path, never a token or a body that could hold data.
 */
record Reply(int status, String body) {
    private static final String BODY_MARKER = "Response body: ";

    /** The driver throws for most non-2xx answers and puts the body in its message; this recovers the answer. */
    static Reply fromDriver(io.github.jopenlibs.vault.VaultException e, String what, String address) {
        if (e.getHttpStatusCode() <= 0) {
            throw transport(what, address, e);
        }
        String message = e.getMessage() == null ? "" : e.getMessage();
        int at = message.indexOf(BODY_MARKER);
        return new Reply(e.getHttpStatusCode(), at < 0 ? "" : message.substring(at + BODY_MARKER.length()));
    }

    /** A failure before any answer: unreachable, timed out, or (no I/O cause) an answer the driver could not parse. */
    static VaultException transport(String what, String address, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BoundedHttpClient.BodyTooLarge big) {
                return new VaultException.Malformed(what + ": Vault at " + address + " answered more than "
                        + big.limit + " bytes (expected: a small KV answer)", null);
            }
            if (t instanceof HttpTimeoutException || t instanceof java.net.SocketTimeoutException) {
                return new VaultException.Unavailable(what + ": Vault at " + address + " did not answer in time", t);
            }
            if (t instanceof ConnectException) {
                return new VaultException.Unavailable(what + ": Vault at " + address + " is unreachable ("
                        + t.getClass().getSimpleName() + ")", t);
            }
            if (t instanceof IOException) {
                return new VaultException.Unavailable(what + ": Vault at " + address + " failed ("
                        + t.getClass().getSimpleName() + ")", t);
            }
        }
        // The driver's own parse failure; its message may quote the answer, so only the type is kept.
        return new VaultException.Malformed(what + ": Vault's answer could not be parsed ("
                + rootType(e) + ")", null);
    }

    private static String rootType(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName();
    }

    boolean sealed() {
        return status == 503 && body.contains("sealed");
    }

    /**
     * Throws for every answer that is not one of {@code expected}: sealed, 5xx and 429 as unavailable, 403 as
     * denied, anything else as malformed (Vault says the request is wrong, which a retry will not fix).
     */
    Reply expect(String what, int... expected) {
        for (int ok : expected) {
            if (status == ok) {
                return this;
            }
        }
        throw failure(what);
    }

    /** What this answer means as a failure. */
    VaultException failure(String what) {
        if (sealed()) {
            return new VaultException.Sealed(what + ": Vault is sealed (503)");
        }
        if (status >= 500 || status == 429) {
            return new VaultException.Unavailable(what + ": Vault answered " + status, null);
        }
        if (status == 403) {
            return new VaultException.Denied(what + ": permission denied (403)", null);
        }
        return new VaultException.Malformed(what + ": Vault answered " + status + " unexpectedly", null);
    }

    /** The body as a JSON object. */
    JsonObject json(String what) {
        try {
            JsonValue value = Json.parse(body);
            if (!value.isObject()) {
                throw new VaultException.Malformed(what + ": Vault's answer is not a JSON object", null);
            }
            return value.asObject();
        } catch (RuntimeException e) {
            if (e instanceof VaultException v) {
                throw v;
            }
            throw new VaultException.Malformed(what + ": Vault's answer is not JSON (" + e.getClass().getSimpleName()
                    + ")", null);
        }
    }

    /** {@code obj[name]} as an object, or malformed. */
    static JsonObject object(JsonObject obj, String name, String what) {
        JsonValue v = obj.get(name);
        if (v == null || !v.isObject()) {
            throw new VaultException.Malformed(what + ": '" + name + "' is missing or not an object", null);
        }
        return v.asObject();
    }

    @Override
    public String toString() {
        return "Reply[" + status + "]";
    }
}
