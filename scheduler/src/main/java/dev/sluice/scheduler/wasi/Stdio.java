package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code fd_read} and {@code fd_write} in place of Chicory's, which allocate a byte array of whatever length each
 * iovec claims before checking it (a 1-page guest could make the host allocate 2 GiB per call, or throw
 * {@code NegativeArraySizeException}). Here a call's iovecs are read once and checked against the guest's memory
 * first, and bytes move without a guest-sized buffer: stdin is copied straight from the request into guest memory
 * (so at most what is left of stdin), output in chunks of at most {@value #CHUNK} bytes to the bounded stream, which
 * stops the guest at its cap. At most {@value #IOV_MAX} iovecs per call, as POSIX's {@code IOV_MAX}.
 *
 * <p>This class serves the three standard streams. An invocation with files ({@link FileGuard}) also has
 * Chicory's descriptors of directories and files: those it passes on ({@link #fdRead(HostFunction, HostFunction)}),
 * after checking the iovecs the same way. The guest can also move the standard streams ({@code fd_renumber}) or close them ({@code fd_close}); this class
 * follows those calls after Chicory's succeed, so it always agrees with Chicory's table and never needs Chicory's
 * {@code fd_read} or {@code fd_write}.
 *
 * <p>Errors, as WASI preview 1 and POSIX define them: {@code EFAULT} for an iovec array, iovec or result address
 * outside memory, {@code EINVAL} for more than {@value #IOV_MAX} iovecs, {@code EBADF} for a closed descriptor or
 * the wrong direction.
 *
 * <p>One per worker thread, re-pointed at each invocation's streams ({@link #begin}); Chicory's WASI of that worker
 * is built once over {@link #stdin()}, {@link #stdout()} and {@link #stderr()}, which always lead to the current
 * invocation's. Confined to that thread.
 */
public final class Stdio {
    static final int IOV_MAX = 1024;
    static final int CHUNK = 64 << 10;

    private enum Stream { STDIN, STDOUT, STDERR }

    private static final byte[] EMPTY = new byte[0];

    private final GuestStdin stdin = new GuestStdin(EMPTY);
    private OutputStream stdout = OutputStream.nullOutputStream();
    private OutputStream stderr = OutputStream.nullOutputStream();
    private final Map<Integer, Stream> fds = new HashMap<>();

    Stdio() {
        standardStreams();
    }

    /** Gives the next invocation these streams and its three standard descriptors, whatever the last one did. */
    void begin(byte[] stdin, OutputStream stdout, OutputStream stderr) {
        this.stdin.reset(stdin);
        this.stdout = stdout;
        this.stderr = stderr;
        standardStreams();
    }

    /** Lets go of the invocation's streams, so nothing of it stays reachable from the worker. */
    void end() {
        begin(EMPTY, OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
    }

    private void standardStreams() {
        fds.clear();
        fds.put(0, Stream.STDIN);
        fds.put(1, Stream.STDOUT);
        fds.put(2, Stream.STDERR);
    }

    /** The stream to give Chicory's WASI as stdin (its {@code poll_oneoff} asks it what is available). */
    InputStream stdin() {
        return stdin;
    }

    /** The stream to give Chicory's WASI as stdout: it leads to the current invocation's. */
    OutputStream stdout() {
        return new Current(Stream.STDOUT);
    }

    /** The stream to give Chicory's WASI as stderr: it leads to the current invocation's. */
    OutputStream stderr() {
        return new Current(Stream.STDERR);
    }

    /** Whether a read of {@code fd} would wait: it is stdin, with nothing left. Any other fd answers at once. */
    boolean readWouldWait(long fd) {
        return fds.get((int) fd) == Stream.STDIN && stdin.available() <= 0;
    }

    /**
     * {@code fd_read} in place of Chicory's, passing a descriptor that is no standard stream to {@code files}.
     */
    HostFunction fdRead(HostFunction chicory, HostFunction files) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            Memory memory = instance.memory();
            Iovecs iovecs = Iovecs.read(memory, args);
            if (iovecs.errno != null) {
                return iovecs.errno;
            }
            Stream from = stream(args[0]);
            if (from == null) {
                return files.handle().apply(instance, args);
            }
            if (from != Stream.STDIN) {
                return Errno.EBADF.result();
            }
            long total = 0;
            for (int i = 0; i < iovecs.count(); i++) {
                int read = stdin.readInto(memory, iovecs.address[i], iovecs.length[i]);
                total += read;
                if (read < iovecs.length[i]) {
                    break;
                }
            }
            memory.writeI32((int) GuestMemory.u32(args[3]), (int) total);
            return Errno.SUCCESS.result();
        });
    }

    /**
     * {@code fd_write} in place of Chicory's, passing a descriptor that is no standard stream to {@code files}.
     */
    HostFunction fdWrite(HostFunction chicory, HostFunction files) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            Memory memory = instance.memory();
            Iovecs iovecs = Iovecs.read(memory, args);
            if (iovecs.errno != null) {
                return iovecs.errno;
            }
            Stream stream = stream(args[0]);
            if (stream == null) {
                return files.handle().apply(instance, args);
            }
            if (stream != Stream.STDOUT && stream != Stream.STDERR) {
                return Errno.EBADF.result();
            }
            OutputStream out = stream == Stream.STDOUT ? stdout : stderr;
            long total = 0;
            try {
                for (int i = 0; i < iovecs.count(); i++) {
                    long length = iovecs.length[i];
                    for (long done = 0; done < length; ) {
                        int chunk = (int) Math.min(CHUNK, length - done);
                        // The bounded stream throws once the guest passes its cap, so no more than one chunk
                        // beyond the cap is ever copied out of guest memory.
                        out.write(memory.readBytes((int) (iovecs.address[i] + done), chunk));
                        done += chunk;
                    }
                    total += length;
                }
            } catch (IOException e) {
                return Errno.EIO.result();
            }
            memory.writeI32((int) GuestMemory.u32(args[3]), (int) total);
            return Errno.SUCCESS.result();
        });
    }

    /** Chicory's {@code fd_close}, followed here when it succeeds. */
    HostFunction fdClose(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            long[] result = chicory.handle().apply(instance, args);
            Descriptors.followClose(fds, args, result);
            return result;
        });
    }

    /** Chicory's {@code fd_renumber}, followed here when it succeeds: {@code to} is closed, {@code from} moves. */
    HostFunction fdRenumber(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            long[] result = chicory.handle().apply(instance, args);
            Descriptors.followRenumber(fds, args, result);
            return result;
        });
    }

    /** An output stream that writes to the current invocation's stdout or stderr (closing it does nothing). */
    private final class Current extends OutputStream {
        private final Stream stream;

        Current(Stream stream) {
            this.stream = stream;
        }

        private OutputStream target() {
            return stream == Stream.STDOUT ? stdout : stderr;
        }

        @Override
        public void write(int b) throws IOException {
            target().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            target().flush();
        }
    }

    private Stream stream(long fd) {
        return fds.get((int) fd);
    }

    /**
     * The iovecs of one call, read once and checked: data read into one buffer cannot rewrite a later iovec. At
     * most {@value #IOV_MAX} of them, so this copy is small.
     */
    private static final class Iovecs {
        final int[] address;
        final long[] length;
        final long[] errno; // null when the array, every iovec and the result fit

        private Iovecs(int[] address, long[] length, long[] errno) {
            this.address = address;
            this.length = length;
            this.errno = errno;
        }

        int count() {
            return address.length;
        }

        static Iovecs read(Memory memory, long[] args) {
            if (GuestMemory.u32(args[2]) > IOV_MAX) {
                return refused(Errno.EINVAL);
            }
            if (!Region.array(1, 2, 8).fits(memory, args) || !Region.fixed(3, 4).fits(memory, args)) {
                return refused(Errno.EFAULT);
            }
            int iovs = (int) GuestMemory.u32(args[1]);
            int count = (int) GuestMemory.u32(args[2]);
            int[] address = new int[count];
            long[] length = new long[count];
            for (int i = 0; i < count; i++) {
                long at = GuestMemory.u32(memory.readInt(iovs + 8 * i));
                length[i] = GuestMemory.u32(memory.readInt(iovs + 8 * i + 4));
                if (!GuestMemory.fits(memory, at, length[i])) {
                    return refused(Errno.EFAULT);
                }
                address[i] = (int) at;
            }
            return new Iovecs(address, length, null);
        }

        private static Iovecs refused(Errno errno) {
            return new Iovecs(new int[0], new long[0], errno.result());
        }
    }
}
