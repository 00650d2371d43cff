package dev.sluice.tenancy;

/** Base of tenancy's errors; the gateway maps each kind to one problem type. */
public abstract sealed class TenancyException extends RuntimeException {
    protected TenancyException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** A value the caller supplied breaks a rule; the message names the field. */
    public static final class InvalidInput extends TenancyException {
        public InvalidInput(String message) {
            super(message, null);
        }
    }

    /** The shared quota store did not answer in time and the fail policy is fail-closed. */
    public static final class QuotaStoreUnavailable extends TenancyException {
        public QuotaStoreUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The shared tenancy store (tenants, plans, keys in Redis) did not answer within its command timeout. There is
     * no fail-open for these: without them no request can be authenticated.
     */
    public static final class StoreUnavailable extends TenancyException {
        public StoreUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A plan cannot be deleted while tenants are on it; {@link #tenants()} names them (at most 20). */
    public static final class PlanInUse extends TenancyException {
        private final java.util.List<String> tenants;

        public PlanInUse(String message, java.util.List<String> tenants) {
            super(message, null);
            this.tenants = java.util.List.copyOf(tenants);
        }

        public java.util.List<String> tenants() {
            return tenants;
        }
    }

    /** Stored state could not be read or written. */
    public static final class StorageFailure extends TenancyException {
        public StorageFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The object is managed by an outside source ({@link #manager()}, e.g. {@code vault}) and cannot be changed here;
     * the message says where to change it.
     */
    public static final class Managed extends TenancyException {
        private final String manager;

        public Managed(String message, String manager) {
            super(message, null);
            this.manager = manager;
        }

        public String manager() {
            return manager;
        }
    }
}
