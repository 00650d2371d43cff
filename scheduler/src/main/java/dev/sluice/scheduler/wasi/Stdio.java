package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * {@code fd_read} and {@code fd_write} on the guest's stdin, stdout and stderr, in place of Chicory's, which
 * allocate a byte array of whatever length each iovec claims before checking it (a 1-page guest could make the
 * host allocate 2 GiB per call, or throw {@code NegativeArraySizeException}). Here every iovec is checked against
 * the guest's memory first, and bytes move without a guest-sized buffer: stdin is copied straight from the request
 * into guest memory (so at most what is left of stdin), output in chunks of at most {@value #CHUNK} bytes to the
 * bounded stream, which stops the guest at its cap. At most {@value #IOV_MAX} iovecs per call, as POSIX's
 * {@code IOV_MAX}.
 *
 * <p>Errors, as WASI preview 1 and POSIX define them: {@code EFAULT} for an iovec array, iovec or result address
 * outside memory, {@code EINVAL} for more than {@value #IOV_MAX} iovecs, {@code EBADF} for the wrong direction.
 * Once the guest closes or renumbers a standard descriptor, and for any other descriptor, these calls go to
 * Chicory's (one checked iovec at a time, so its buffers are bounded by the guest's memory), since only Chicory then
 * knows which descriptor is which. Confined to the thread running the invocation.
 */
public final class Stdio {
    static final int IOV_MAX = 1024;
    static final int CHUNK = 64 << 10;

    private final GuestStdin stdin;
    private final OutputStream stdout;
    private final OutputStream stderr;
    private boolean standard = true; // fds 0, 1 and 2 are still the streams they started as

    private Stdio(byte[] stdin, OutputStream stdout, OutputStream stderr) {
        this.stdin = new GuestStdin(stdin);
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public static Stdio of(byte[] stdin, OutputStream stdout, OutputStream stderr) {
        return new Stdio(stdin, stdout, stderr);
    }

    /** The stream to give Chicory's WASI as stdin: the same one {@code fd_read} reads here. */
    public InputStream stdin() {
        return stdin;
    }

    /** Whether the guest has stdin bytes left to read. */
    boolean stdinReady() {
        return stdin.available() > 0;
    }

    /** Whether fds 0, 1 and 2 are still stdin, stdout and stderr. */
    boolean standard() {
        return standard;
    }

    HostFunction fdRead(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            Memory memory = instance.memory();
            Iovecs iovecs = Iovecs.read(memory, args);
            if (iovecs.errno != null) {
                return iovecs.errno;
            }
            if (!standard || args[0] != 0) {
                return oneByOne(chicory, instance, args);
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
            if (!standard || (args[0] != 0 && args[0] != 1 && args[0] != 2)) {
                return oneByOne(chicory, instance, args);
            }
            if (args[0] == 0) {
                return Errno.EBADF.result();
            }
            OutputStream out = args[0] == 1 ? stdout : stderr;
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

    /**
     * Chicory's {@code fd_read} or {@code fd_write}, given one iovec per call, each checked just before: Chicory
     * reads each iovec only when it gets to it, so data read into one buffer could otherwise rewrite a later iovec
     * into a length it would allocate unchecked.
     */
    private static long[] oneByOne(HostFunction chicory, Instance instance, long[] args) {
        Memory memory = instance.memory();
        int iovs = (int) GuestMemory.u32(args[1]);
        int count = (int) GuestMemory.u32(args[2]);
        if (count == 0) {
            return chicory.handle().apply(instance, args);
        }
        int result = (int) GuestMemory.u32(args[3]);
        long total = 0;
        for (int i = 0; i < count; i++) {
            long address = GuestMemory.u32(memory.readInt(iovs + 8 * i));
            long length = GuestMemory.u32(memory.readInt(iovs + 8 * i + 4));
            if (!GuestMemory.fits(memory, address, length)) {
                return Errno.EFAULT.result();
            }
            long[] one = args.clone();
            one[1] = iovs + 8L * i;
            one[2] = 1;
            long[] errno = chicory.handle().apply(instance, one);
            if (errno == null || errno.length == 0 || errno[0] != 0) {
                return errno;
            }
            long moved = GuestMemory.u32(memory.readInt(result));
            total += moved;
            if (moved < length) {
                break;
            }
        }
        memory.writeI32(result, (int) total);
        return Errno.SUCCESS.result();
    }

    /** {@code fd_close} or {@code fd_renumber}: after it succeeds on a standard fd, Chicory alone knows the table. */
    HostFunction tracking(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            long[] result = chicory.handle().apply(instance, args);
            if (result != null && result.length > 0 && result[0] == 0) {
                for (long fd : args) {
                    if (fd >= 0 && fd <= 2) {
                        standard = false;
                    }
                }
            }
            return result;
        });
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
