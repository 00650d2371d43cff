package dev.sluice.gateway;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * What a role's start has opened so far, in order, so that a start failing half-way (corrupt state, Redis away, a
 * port taken) closes exactly that, newest first, and leaves no connection, thread or lock behind. Not thread-safe:
 * one start owns it.
 */
final class Opened {
    private static final System.Logger LOG = System.getLogger(Opened.class.getName());
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Records {@code closeable} as opened and returns it. */
    <T extends AutoCloseable> T add(T closeable) {
        resources.add(closeable);
        return closeable;
    }

    /** Everything opened so far, oldest first. */
    List<AutoCloseable> all() {
        return List.copyOf(resources);
    }

    /** Closes everything opened, newest first, each failure logged rather than thrown. */
    void closeAll() {
        closeAll(resources);
    }

    static void closeAll(List<AutoCloseable> resources) {
        resources.reversed().forEach(Opened::closeQuietly);
    }

    /** Closes one resource on the way down: a failure is logged, and the rest still closes. */
    static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "while stopping: " + e.getMessage());
        }
    }
}
