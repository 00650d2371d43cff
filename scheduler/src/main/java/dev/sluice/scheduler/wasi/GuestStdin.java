package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.Memory;
import java.io.ByteArrayInputStream;

/**
 * The request body as the guest's stdin. Besides being the stream Chicory's WASI sees (for {@code poll_oneoff}), it
 * copies straight from the request's bytes into guest memory, so {@code fd_read} allocates nothing however large a
 * buffer the guest offers. One per worker thread, pointed at each invocation's body in turn ({@link #reset(byte[])}).
 * Confined to that thread.
 */
final class GuestStdin extends ByteArrayInputStream {
    GuestStdin(byte[] bytes) {
        super(bytes);
    }

    /** Makes {@code bytes} the whole stream, read from its start, as a new stream over them would be. */
    synchronized void reset(byte[] bytes) {
        buf = bytes;
        pos = 0;
        mark = 0;
        count = bytes.length;
    }

    /**
     * Moves up to {@code length} bytes to guest memory at {@code address}, a span the caller has checked.
     *
     * @return the bytes moved: fewer than {@code length} only once stdin is used up
     */
    synchronized int readInto(Memory memory, int address, long length) {
        int n = (int) Math.min(length, count - pos);
        if (n > 0) {
            memory.write(address, buf, pos, n);
            pos += n;
        }
        return n;
    }
}
