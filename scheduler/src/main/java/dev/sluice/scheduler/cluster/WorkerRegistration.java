package dev.sluice.scheduler.cluster;

/**
 * Discovery, as a worker sees it: while open, the worker is advertised to gateways (for Redis, by a heartbeat
 * refreshing a key with a time to live). {@link #close()} removes the advertisement at once, which is the first
 * thing a worker does when asked to stop, before it drains.
 */
public interface WorkerRegistration extends AutoCloseable {
    @Override
    void close();
}
