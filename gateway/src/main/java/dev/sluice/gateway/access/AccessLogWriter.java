package dev.sluice.gateway.access;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Formats and writes access log lines on one daemon thread of its own, so a slow disk or a stdout pipe nobody reads never holds a
 * request thread: {@link #offer} never blocks, and a line that finds the bounded queue full is dropped, counted
 * ({@link #dropped}) and reported to {@code onDrop} (the metrics). The writer drains the queue in batches into a
 * buffer, flushed whenever the queue runs empty, so a quiet process has nothing pending. A write or flush that fails
 * (disk full) loses what it held and is counted once, and logged at WARNING once per failure streak.
 *
 * <p>Threading: any thread may {@link #offer}; only the writer thread touches the generator and the stream, also when
 * closing: it flushes (and, for a file, closes) them once {@link #close} is called and the queue is empty.
 * {@link #close} waits at most a second for that. A writer still blocked then (a stdout pipe nobody reads, a stalled
 * disk) is left alone: it is a daemon, interrupting it would close a file channel under it, and flushing from the
 * closing thread would wait on the same stream lock or interleave with its lines. What is still queued then is
 * counted as dropped and logged once.
 */
public final class AccessLogWriter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AccessLogWriter.class.getName());
    private static final long CLOSE_WAIT_MS = 1_000;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int BATCH = 1024;
    private static final long REST_MS = 20;

    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private final ArrayBlockingQueue<AccessEntry> queue;
    private final OutputStream out;
    private JsonGenerator json; // writer thread only, after the constructor
    private final boolean closeStream;
    private final Runnable onDrop;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private boolean failing; // writer thread only

    private AccessLogWriter(OutputStream out, boolean closeStream, int capacity, Runnable onDrop) {
        // Buffered: one write per line would be one system call per request; the buffer is flushed whenever the
        // queue runs empty, so lines still reach the file within moments.
        this.out = new BufferedOutputStream(Objects.requireNonNull(out, "out"), BUFFER_BYTES);
        this.json = generator();
        this.closeStream = closeStream;
        this.onDrop = Objects.requireNonNull(onDrop, "onDrop");
        if (capacity < 1) {
            throw new IllegalArgumentException("access-log-queue: " + capacity + " (expected: > 0)");
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, "sluice-access-log");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * @param out         where lines go
     * @param closeStream whether {@link #close} closes {@code out} (a file: yes; stdout: no)
     * @param capacity    lines waiting at most
     * @param onDrop      told of each line lost; quick, never throwing
     */
    public static AccessLogWriter start(OutputStream out, boolean closeStream, int capacity, Runnable onDrop) {
        return new AccessLogWriter(out, closeStream, capacity, onDrop);
    }

    /** Queues an entry for writing; drops and counts it when the queue is full or closed. */
    void offer(AccessEntry entry) {
        if (closed || !queue.offer(entry)) {
            drop();
        }
    }

    /** Lines lost so far: the queue full, or a write failed. */
    public long dropped() {
        return dropped.get();
    }

    private void drop() {
        dropped.incrementAndGet();
        try {
            onDrop.run();
        } catch (RuntimeException ignored) {
            // Counting a lost line must not fail the request that wrote it.
        }
    }

    /**
     * Drains the queue in batches, resting {@value #REST_MS} ms whenever it is empty: the writer is never woken per
     * line (a wake-up per request costs more than the line), so a line reaches the stream at most that much later.
     */
    private void run() {
        List<AccessEntry> batch = new ArrayList<>(BATCH);
        while (true) {
            queue.drainTo(batch, BATCH);
            if (batch.isEmpty()) {
                if (closed) {
                    finish();
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(REST_MS));
                continue;
            }
            batch.forEach(this::write);
            batch.clear();
            if (queue.isEmpty()) {
                flush();
            }
        }
    }

    /** One line: the entry as JSON, formatted here (one reused generator) rather than on the request's thread. */
    private void write(AccessEntry entry) {
        try {
            entry.writeTo(json);
            json.writeRaw('\n');
            failing = false;
        } catch (IOException e) {
            failed(e);
        }
    }

    private void flush() {
        try {
            json.flush(); // and the stream's buffer
        } catch (IOException e) {
            failed(e);
        }
    }

    private JsonGenerator generator() {
        try {
            // Lines end with a newline each; no separator before the next one.
            return JSON.createGenerator(out, JsonEncoding.UTF8).setRootValueSeparator(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void failed(IOException e) {
        drop();
        json = generator(); // the failed one may be mid-object; what it held is lost
        if (!failing) {
            failing = true;
            LOG.log(Level.WARNING, "cannot write the access log (" + e.getMessage() + "); lines are dropped and "
                    + "counted in sluice_access_log_dropped_total until a write succeeds");
        }
    }

    /** Writer thread only: the last flush, and the file closed. */
    private void finish() {
        try {
            json.flush();
            if (closeStream) {
                out.close();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot close the access log: " + e.getMessage());
        }
    }

    /**
     * Stops taking lines and waits at most {@value #CLOSE_WAIT_MS} ms for the writer to write what is queued and close
     * the stream. Never touches the stream itself and never interrupts the writer (see the class comment).
     */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(CLOSE_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            int left = queue.size();
            for (int i = 0; i < left; i++) {
                drop();
            }
            LOG.log(Level.WARNING, "the access log writer is still blocked on its stream after " + CLOSE_WAIT_MS
                    + " ms; " + left + " queued lines are dropped");
        }
    }
}
