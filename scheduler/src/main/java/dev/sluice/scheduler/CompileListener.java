package dev.sluice.scheduler;

/**
 * Told of each module compile that finished, on the compile thread that ran it: only real compiles, never a module
 * loaded from the compiled cache, and never a compile that failed (the module stays on the interpreter). Unlike the
 * deploy's duration this is not cut off by {@code compile-budget-ms}: a compile the deploy stopped waiting for is
 * reported when it ends. Implementations must be quick and must not throw (the metrics record into a histogram).
 */
@FunctionalInterface
public interface CompileListener {
    /** Listens to nothing. */
    CompileListener NONE = nanos -> { };

    /** A module was compiled in {@code nanos}. */
    void compiled(long nanos);
}
