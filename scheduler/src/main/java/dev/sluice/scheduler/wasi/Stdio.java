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
 * <p>A guest's descriptors are only ever its three standard streams: Sluice grants no directories, so nothing can
 * be opened. The guest can still move them ({@code fd_renumber}) or close them ({@code fd_close}); this class
 * follows those calls after Chicory's succeed, so it always agrees with Chicory's table and never needs Chicory's
 * {@code fd_read} or {@code fd_write}.
 *
 * <p>Errors, as WASI preview 1 and POSIX define them: {@code EFAULT} for an iovec array, iovec or result address
 * outside memory, {@code EINVAL} for more than {@value #IOV_MAX} iovecs, {@code EBADF} for a closed descriptor or
 * the wrong direction. Confined to the thread running the invocation.
 */
public final class Stdio {
    static final int IOV_MAX = 1024;
    static final int CHUNK = 64 << 10;

    private enum Stream { STDIN, STDOUT, STDERR }

    private final GuestStdin stdin;
    private final OutputStream stdout;
    private final OutputStream stderr;
    private final Map<Integer, Stream> fds = new HashMap<>(Map.of(0, Stream.STDIN, 1, Stream.STDOUT,
            2, Stream.STDERR));

    private Stdio(byte[] stdin, OutputStream stdout, OutputStream stderr) {
        this.stdin = new GuestStdin(stdin);
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public static Stdio of(byte[] stdin, OutputStream stdout, OutputStream stderr) {
        return new Stdio(stdin, stdout, stderr);
    }

    /** The stream to give Chicory's WASI as stdin (its {@code poll_oneoff} asks it what is available). */
    public InputStream stdin() {
        return stdin;
    }

    /** Whether a read of {@code fd} would wait: it is stdin, with nothing left. Any other fd answers at once. */
    boolean readWouldWait(long fd) {
        return fds.get((int) fd) == Stream.STDIN && stdin.available() <= 0;
    }

    HostFunction fdRead(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            Memory memory = instance.memory();
            Iovecs iovecs = Iovecs.read(memory, args);
            if (iovecs.errno != null) {
                return iovecs.errno;
            }
            if (stream(args[0]) != Stream.STDIN) {
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

    HostFunction fdWrite(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            Memory memory = instance.memory();
            Iovecs iovecs = Iovecs.read(memory, args);
            if (iovecs.errno != null) {
                return iovecs.errno;
            }
            Stream stream = stream(args[0]);
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
            if (succeeded(result)) {
                fds.remove((int) args[0]);
            }
            return result;
        });
    }

    /** Chicory's {@code fd_renumber}, followed here when it succeeds: {@code to} is closed, {@code from} moves. */
    HostFunction fdRenumber(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            long[] result = chicory.handle().apply(instance, args);
            int from = (int) args[0];
            int to = (int) args[1];
            if (succeeded(result) && from != to) {
                Stream moved = fds.remove(from);
                if (moved != null) {
                    fds.put(to, moved);
                }
            }
            return result;
        });
    }

    private Stream stream(long fd) {
        return fds.get((int) fd);
    }

    private static boolean succeeded(long[] result) {
        return result != null && result.length > 0 && result[0] == 0;
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
