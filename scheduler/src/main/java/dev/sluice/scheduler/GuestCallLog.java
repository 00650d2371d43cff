package dev.sluice.scheduler;

import com.dylibso.chicory.log.Logger;

/**
 * Chicory's WASI log, turned down to {@code DEBUG}. What Chicory's WASI functions log is the guest's doing ("operation
 * not supported" for a call it made, at Chicory's error level), once per call: at the server's usual level a tenant
 * could fill the operator's log at the rate it invokes. Here it is debug output of logger
 * {@value #NAME}, off unless an operator asks for it. Stateless: one serves every worker thread.
 */
final class GuestCallLog implements Logger {
    static final String NAME = "dev.sluice.scheduler.wasi.chicory";
    private static final System.Logger LOG = System.getLogger(NAME);

    @Override
    public void log(Level level, String msg, Throwable throwable) {
        if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
            LOG.log(System.Logger.Level.DEBUG, "[chicory " + level.getName() + "] " + msg, throwable);
        }
    }

    @Override
    public boolean isLoggable(Level level) {
        return LOG.isLoggable(System.Logger.Level.DEBUG);
    }
}
