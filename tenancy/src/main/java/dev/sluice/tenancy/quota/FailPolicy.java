package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;

/** What a gateway does when the shared quota store cannot answer in time. */
public enum FailPolicy {
    /** Keep serving under local limits sized to this replica's share of each quota; logged and counted. */
    FAIL_OPEN,
    /** Refuse the request with 503 {@code quota-unavailable}. */
    FAIL_CLOSED;

    public static FailPolicy parse(String text) {
        return switch (text) {
            case "fail-open" -> FAIL_OPEN;
            case "fail-closed" -> FAIL_CLOSED;
            default -> throw new TenancyException.InvalidInput(
                    "quota-fail-policy: '" + text + "' (expected: fail-open or fail-closed)");
        };
    }

    public String text() {
        return this == FAIL_OPEN ? "fail-open" : "fail-closed";
    }
}
