package dev.sluice.config.live;

import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Applies {@code log-level} to the JDK logging root, which backs every {@code System.Logger} in Sluice. The root
 * logger's level is set exactly; a console handler is only ever lowered to it (never raised), so a logging
 * configuration that opens a handler wider for one logger (a test's trace, say) keeps working.
 */
final class LogLevelListener implements ConfigListener {
    private final Logger root = Logger.getLogger("");

    static Level julLevel(String logLevel) {
        return switch (logLevel) {
            case "debug" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warning" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> throw new IllegalArgumentException("log-level: '" + logLevel + "'");
        };
    }

    @Override
    public Runnable prepare(Candidate candidate) {
        Level level = julLevel(candidate.config().logLevel());
        return () -> {
            root.setLevel(level);
            for (Handler handler : root.getHandlers()) {
                if (handler instanceof ConsoleHandler && handler.getLevel().intValue() > level.intValue()) {
                    handler.setLevel(level);
                }
            }
        };
    }
}
