package dev.sluice.scheduler;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

/**
 * A guest's stdout or stderr: keeps at most {@code limit} bytes and aborts the guest on the first write beyond it.
 * Aborting (rather than returning an I/O error) matters: a guest that ignores write errors would otherwise keep
 * running until its timeout. Used by the one worker thread running the guest; {@link #snapshot()} may be read after.
 */
final class BoundedOutput extends OutputStream {
    private final String stream;
    private final int limit;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    BoundedOutput(String stream, long limit) {
        this.stream = stream;
        this.limit = (int) limit;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        int room = limit - buffer.size();
        if (len > room) {
            buffer.write(b, off, Math.max(room, 0));
            throw new LimitExceeded(stream + " exceeded " + limit + " bytes");
        }
        buffer.write(b, off, len);
    }

    synchronized byte[] snapshot() {
        return buffer.toByteArray();
    }

    /** Thrown through the guest's host call; carries no stack trace since it is expected. */
    static final class LimitExceeded extends RuntimeException {
        LimitExceeded(String message) {
            super(message, null, false, false);
        }
    }
}
