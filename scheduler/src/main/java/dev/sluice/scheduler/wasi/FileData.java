package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.wasi.Descriptors.Open;
import java.io.IOException;
import java.nio.file.Files;
import java.util.function.LongConsumer;

/**
 * Bytes moved through the trees' descriptors ({@code fd_read}, {@code fd_write}, {@code fd_pread}, {@code fd_pwrite})
 * and file sizes changed ({@code fd_allocate}, {@code fd_filestat_set_size}): each charged every byte it offers and
 * every byte a scratch file grows by, {@code EROFS} under {@code /assets}, and in scratch held to the space left
 * (docs/sandbox.md, "Short writes" and "{@code O_APPEND} in scratch"). Jimfs allocates a write's blocks all at once or
 * not at all and Chicory knows nothing of {@code O_APPEND} here, so a scratch write is moved to the end first when
 * the descriptor appends and handed to Chicory iovec by iovec, each shortened to what fits. Kept apart from
 * {@link FileGuard} because it is the one place that reads and rewrites the guest's iovecs around Chicory's calls.
 * One per worker thread; confined to that thread.
 */
final class FileData {
    /** WASI's {@code whence::end}. */
    private static final int SEEK_END = 2;

    private final Descriptors descriptors;
    private final LongConsumer charge;
    // Set while WasiHost wraps Chicory's functions, which include both, before any guest can call: never null here.
    private HostFunction tell; // Chicory's fd_tell, to learn where a write to scratch would go
    private HostFunction seek; // Chicory's fd_seek, to move an O_APPEND file's position to its end before a write

    FileData(Descriptors descriptors, LongConsumer charge) {
        this.descriptors = descriptors;
        this.charge = charge;
    }

    /** Chicory's {@code fd_tell}, which {@link #scratchWrite} asks where a write would go. */
    void useTell(HostFunction chicory) {
        this.tell = chicory;
    }

    /** Chicory's {@code fd_seek}, which moves an appending descriptor to its end before each write. */
    void useSeek(HostFunction chicory) {
        this.seek = chicory;
    }

    /**
     * {@code fd_read}/{@code fd_write} of a descriptor that is not a standard stream ({@link Stdio} passes those
     * here, iovecs already checked). Chicory allocates each iovec's length before reading, so the call costs every
     * byte offered: the meter charges those moved, this the rest.
     */
    long[] data(HostFunction chicory, Instance instance, long[] args, boolean write) {
        Open file = descriptors.get(args[0]);
        if (write && file != null && !file.scratch()) {
            return Errno.EROFS.result();
        }
        long offered = Math.max(0, offered(instance.memory(), args[1], args[2])); // Stdio checked each iovec
        long before = write && file != null ? size(file) : 0;
        long[] result = write && file != null ? scratchWrite(chicory, instance, args, file)
                : chicory.handle().apply(instance, args);
        long moved = Errno.succeeded(result)
                ? GuestMemory.u32(instance.memory().readInt((int) GuestMemory.u32(args[3]))) : 0;
        charge.accept(Math.max(0, offered - moved) * FuelCosts.HOST_PER_BYTE);
        return afterWrite(write, file, before, result);
    }

    /**
     * A write to a scratch file: Chicory's, iovec by iovec, each only as far as the scratch space has room, so that,
     * as {@code write(2)}, a write that fills the space answers the bytes it wrote and only one that can write none
     * is {@code NOSPC} (Jimfs allocates a write's blocks all at once or not at all: unhelped, 6 KiB offered to 4 KiB
     * of room would write nothing; and Chicory answers an error for a later iovec though earlier ones were written).
     * A position past what scratch can hold (a seek may put it there) writes nothing: {@code NOSPC} before Jimfs,
     * whose block arithmetic is 32-bit beyond the bound. Jimfs stays the judge of the bound: room is only estimated
     * here (from the file's path, which a rename may have made stale).
     */
    private long[] scratchWrite(HostFunction chicory, Instance instance, long[] args, Open file) {
        Memory memory = instance.memory();
        long fd = args[0];
        int iovs = (int) GuestMemory.u32(args[1]);
        long count = Math.min(GuestMemory.u32(args[2]), Stdio.IOV_MAX); // Stdio refused more
        long nwritten = args[3];
        long total = 0;
        long[] failure = null;
        boolean asked = false;
        long position = -1; // where the next iovec goes, -1 when Chicory could not tell
        for (int i = 0; i < count; i++) {
            int iov = iovs + 8 * i;
            long base = GuestMemory.u32(memory.readInt(iov));
            long length = GuestMemory.u32(memory.readInt(iov + 4));
            if (length == 0) {
                continue;
            }
            if (!asked) {
                // Asked once per call: Chicory's write moves the position by exactly what it wrote (its channel
                // never appends, FileGuard opens without APPEND) and the loop goes on only after a whole iovec, so
                // the next starts where this one ended, which for an appending descriptor is still the end (the
                // guest is one thread: nothing else writes during its call).
                position = file.append()
                        ? position(seek, instance, new long[] {fd, 0, SEEK_END, iov}, iov) // moves it to the end
                        : position(tell, instance, new long[] {fd, iov}, iov);
                asked = true;
            }
            long fit = position < 0 ? length : fit(file, position, length);
            // Shortening the iovec in place is invisible to the guest (it waits for this call), unless the iovec
            // lies inside the bytes being written: then no partial write.
            if (fit == 0 || (fit < length && iov < base + fit && base < iov + 8)) {
                failure = Errno.NOSPC.result();
                break;
            }
            long[] result;
            memory.writeI32(iov + 4, (int) fit);
            try {
                result = chicory.handle().apply(instance, new long[] {fd, iov, 1, nwritten});
            } finally {
                memory.writeI32(iov + 4, (int) length);
            }
            if (!Errno.succeeded(result)) {
                failure = result;
                break;
            }
            long written = GuestMemory.u32(memory.readInt((int) GuestMemory.u32(nwritten)));
            total += written;
            if (written < length) {
                break;
            }
            if (position >= 0) {
                position += written;
            }
        }
        if (total == 0 && failure != null) {
            return failure;
        }
        memory.writeI32((int) GuestMemory.u32(nwritten), (int) total);
        return Errno.SUCCESS.result();
    }

    /**
     * The descriptor's position as Chicory's {@code fd_tell} or {@code fd_seek} ({@code call}: its arguments) answers
     * it, by writing it to guest memory at {@code at}: the iovec's own 8 bytes (in memory, already read), put back at
     * once. -1 if it fails.
     */
    private static long position(HostFunction function, Instance instance, long[] call, int at) {
        Memory memory = instance.memory();
        long saved = memory.readLong(at);
        try {
            return Errno.succeeded(function.handle().apply(instance, call)) ? memory.readLong(at) : -1;
        } finally {
            memory.writeLong(at, saved);
        }
    }

    /** How many of {@code length} bytes written at {@code position} scratch can hold (block-wise, as Jimfs). */
    private long fit(Open file, long position, long length) {
        Scratch scratch = descriptors.scratch();
        long limit = scratch.limits().bytes() / Scratch.BLOCK_SIZE * Scratch.BLOCK_SIZE;
        if (position >= limit) {
            return 0;
        }
        long end = Math.min(position + length, limit); // both terms far below 2^63
        long size = size(file);
        if (end <= size) {
            return end - position; // overwrites only: no block needed
        }
        long room = ((size + Scratch.BLOCK_SIZE - 1) / Scratch.BLOCK_SIZE + scratch.freeBlocks()) * Scratch.BLOCK_SIZE;
        return Math.max(0, Math.min(end, room) - position);
    }

    /** {@code fd_pread}/{@code fd_pwrite}: charged every byte offered, bounded before Chicory allocates. */
    long[] positioned(HostFunction chicory, Instance instance, long[] args, boolean write) {
        Open file = descriptors.get(args[0]);
        if (write && file != null && !file.scratch()) {
            return Errno.EROFS.result();
        }
        if (GuestMemory.u32(args[2]) > Stdio.IOV_MAX) {
            return Errno.EINVAL.result();
        }
        long offered = offered(instance.memory(), args[1], args[2]);
        if (offered < 0) {
            return Errno.EFAULT.result(); // Chicory would allocate an iovec's length before looking at it
        }
        charge.accept(offered * FuelCosts.HOST_PER_BYTE);
        if (args[3] > Long.MAX_VALUE - offered) {
            return Errno.EINVAL.result(); // the end would pass the largest offset: Linux's pread/pwrite say EINVAL
        }
        if (write && file != null && args[3] >= 0
                && GuestMemory.sat(args[3], offered) > descriptors.scratch().limits().bytes()) {
            return Errno.NOSPC.result(); // beyond what /tmp can hold; Jimfs's block arithmetic is 32-bit past it
        }
        long before = write && file != null ? size(file) : 0;
        return afterWrite(write, file, before, chicory.handle().apply(instance, args));
    }

    /**
     * {@code fd_allocate}/{@code fd_filestat_set_size} to {@code newSize}: past what scratch holds {@code NOSPC}; a
     * size of 2^63 or more (negative here) {@code EINVAL}.
     */
    long[] resize(HostFunction chicory, Instance instance, long[] args, long newSize) {
        Open file = descriptors.get(args[0]);
        if (file == null) {
            return chicory.handle().apply(instance, args);
        }
        if (!file.scratch()) {
            return Errno.EROFS.result();
        }
        if (newSize < 0) {
            // A u64 size or offset of 2^63 or more: Java's truncate would throw (a trap), Linux answers EINVAL.
            return Errno.EINVAL.result();
        }
        if (newSize > descriptors.scratch().limits().bytes()) {
            return Errno.NOSPC.result();
        }
        long before = size(file);
        return afterWrite(true, file, before, chicory.handle().apply(instance, args));
    }

    /** A write under /tmp: Jimfs's only I/O failure there is running out of blocks; growth costs its bytes. */
    private long[] afterWrite(boolean write, Open file, long before, long[] result) {
        if (!write || file == null || !file.scratch()) {
            return result;
        }
        charge.accept(Math.max(0, size(file) - before) * FuelCosts.HOST_PER_BYTE);
        if (result != null && result.length > 0 && result[0] == Errno.EIO.value()) {
            return Errno.NOSPC.result();
        }
        return result;
    }

    /**
     * Bytes the iovecs offer, or -1 when one lies outside memory (the array itself was checked by {@link Stdio} or
     * {@link PointerChecks}, and holds at most {@link Stdio#IOV_MAX}).
     */
    private static long offered(Memory memory, long iovsArg, long countArg) {
        int iovs = (int) GuestMemory.u32(iovsArg);
        long count = Math.min(GuestMemory.u32(countArg), Stdio.IOV_MAX);
        long total = 0;
        for (int i = 0; i < count; i++) {
            long at = GuestMemory.u32(memory.readInt(iovs + 8 * i));
            long length = GuestMemory.u32(memory.readInt(iovs + 8 * i + 4));
            if (!GuestMemory.fits(memory, at, length)) {
                return -1;
            }
            total += length;
        }
        return total;
    }

    private static long size(Open file) {
        try {
            return Files.size(file.path());
        } catch (IOException | RuntimeException e) {
            return 0; // renamed or removed since it was opened: its growth is not seen
        }
    }
}
