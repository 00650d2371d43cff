package dev.sluice.scheduler;

/** Base of the scheduler's errors; the gateway maps each kind to one problem type. */
public abstract sealed class SchedulerException extends RuntimeException {
    protected SchedulerException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** A value the caller supplied breaks a rule; the message names the field. */
    public static final class InvalidInput extends SchedulerException {
        public InvalidInput(String message) {
            super(message, null);
        }
    }

    /** The module cannot be deployed; the message says why, in terms a tenant can act on. */
    public static final class ModuleRejected extends SchedulerException {
        private final Reason reason;

        public ModuleRejected(Reason reason, String message) {
            super(message, null);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }

        /** {@code TOO_COMPLEX}: over a structural cap of the sandbox (functions, locals, types ...; docs/sandbox.md). */
        public enum Reason { TOO_LARGE, MALFORMED, FORBIDDEN_IMPORT, TOO_MUCH_MEMORY, TOO_COMPLEX }
    }

    /** The tenant already has as many functions as it may; {@link #limit()} is that number. */
    public static final class FunctionLimit extends SchedulerException {
        private final long limit;

        public FunctionLimit(String message, long limit) {
            super(message, null);
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }

    /** No worker capacity for this tenant right now; the client may retry. */
    public static final class Overloaded extends SchedulerException {
        public Overloaded(String message) {
            super(message, null);
        }
    }

    /** The guest did not finish normally. {@link #kind()} is stable and becomes the problem type. */
    public static final class InvocationFailed extends SchedulerException {
        private final Kind kind;
        private final byte[] stderr;
        private final long fuelUsed;

        public InvocationFailed(Kind kind, String message, byte[] stderr) {
            this(kind, message, stderr, 0);
        }

        public InvocationFailed(Kind kind, String message, byte[] stderr, long fuelUsed) {
            super(message, null);
            this.kind = kind;
            this.stderr = stderr == null ? new byte[0] : stderr;
            this.fuelUsed = fuelUsed;
        }

        /** Fuel the guest used before it failed (its whole budget when {@link Kind#FUEL_EXHAUSTED}); 0 if unknown. */
        public long fuelUsed() {
            return fuelUsed;
        }

        public Kind kind() {
            return kind;
        }

        /** What the guest wrote to stderr before it failed: for the log, never for the client. */
        public byte[] stderr() {
            return stderr.clone();
        }

        public enum Kind { TRAP, TIMEOUT, MEMORY_LIMIT, OUTPUT_LIMIT, STACK_EXHAUSTED, FUEL_EXHAUSTED }
    }

    /**
     * The invocation started on a remote worker and the worker was then lost (it died, reset the connection, or
     * answered nothing a gateway can read) before it reported an outcome. The guest may or may not have finished:
     * the call is never run a second time (at most once), and the client decides whether to retry.
     */
    public static final class WorkerLost extends SchedulerException {
        public WorkerLost(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A function's asset archive was refused; nothing was stored.
     *
     * @see dev.sluice.scheduler.assets.AssetRejection
     */
    public static final class AssetsRejected extends SchedulerException {
        private final dev.sluice.scheduler.assets.AssetRejection reason;

        public AssetsRejected(dev.sluice.scheduler.assets.AssetRejection reason, String message) {
            super(message, null);
            this.reason = reason;
        }

        public dev.sluice.scheduler.assets.AssetRejection reason() {
            return reason;
        }
    }

    /**
     * A function's writable assets do not fit the scratch space its plan grants now (the plan shrank since the upload,
     * or grants none): the call is refused before the guest starts. {@link #bound()} names the plan limit,
     * {@code scratch-bytes} or {@code scratch-inodes}.
     */
    public static final class AssetsExceedScratch extends SchedulerException {
        private final String bound;

        public AssetsExceedScratch(String bound, String message) {
            super(message, null);
            this.bound = bound;
        }

        public String bound() {
            return bound;
        }
    }

    /** Stored state could not be read or written. */
    public static final class StorageFailure extends SchedulerException {
        public StorageFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
