package dev.sluice.scheduler.cluster;

/**
 * Whether an ejected worker answers again; the gateway implements it over the worker's internal HTTP port. Called
 * from the balancer's background thread, one worker at a time, so it should give up within a second or so.
 */
@FunctionalInterface
public interface WorkerHealthCheck {
    /** Without a real check, an ejected worker simply rejoins after one probe interval (a timed ejection). */
    WorkerHealthCheck ASSUME_HEALTHY = worker -> true;

    /** True when the worker answered healthy; false (or an exception, taken as false) keeps it ejected. */
    boolean answers(WorkerAddress worker);
}
