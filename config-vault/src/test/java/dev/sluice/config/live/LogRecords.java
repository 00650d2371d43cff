package dev.sluice.config.live;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** What the live configuration logs while open, as "LEVEL message". */
final class LogRecords implements AutoCloseable {
    private final Logger logger = Logger.getLogger(PolledLiveConfig.class.getName());
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Level previous = logger.getLevel();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record.getLevel() + " " + record.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    LogRecords() {
        logger.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    List<String> at(Level level) {
        return lines.stream().filter(l -> l.startsWith(level.getName() + " ")).toList();
    }

    List<String> all() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(previous);
    }
}
