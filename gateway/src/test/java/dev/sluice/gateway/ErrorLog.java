package dev.sluice.gateway;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what reaches the provider's log at ERROR (JUL SEVERE) while open, from any thread: a guest's or a client's
 * fault must never show up there.
 */
final class ErrorLog implements AutoCloseable {
    private final Logger root = Logger.getLogger("");
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(record.getLoggerName() + ": " + record.getMessage()
                        + (record.getThrown() == null ? "" : " " + record.getThrown()));
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private ErrorLog() {
        root.addHandler(handler);
    }

    static ErrorLog watch() {
        return new ErrorLog();
    }

    List<String> errors() {
        return List.copyOf(errors);
    }

    @Override
    public void close() {
        root.removeHandler(handler);
    }
}
