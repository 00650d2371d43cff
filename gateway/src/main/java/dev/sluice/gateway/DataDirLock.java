package dev.sluice.gateway;

import dev.sluice.config.ConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Sluice per data directory. Two processes on one directory would each keep their own view of tenants, keys,
 * usage and functions and overwrite each other's files (last writer wins, silently). So a Sluice holds an exclusive
 * lock on {@value #FILE} in its data directory from start to stop, and a second one refuses to start, naming the
 * directory and the holder's pid.
 *
 * <p>The lock is the operating system's ({@link FileChannel#tryLock}), so it goes away with the process however it
 * ends, and a lock file left behind by a crash does not block the next start. The file is never deleted: deleting
 * it would let a third process lock a new file while the second still holds the old one.
 *
 * <p>Within one JVM the OS lock cannot tell two Sluices apart (POSIX locks belong to the process, and closing any
 * channel on the file would drop them), so directories held by this JVM are also tracked here and never opened twice.
 * That set is the one piece of static state: it mirrors a per-process resource.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE = "sluice.lock";
    private static final Set<Path> HELD_BY_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path directory, FileChannel channel, FileLock lock) {
        this.directory = directory;
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws ConfigException naming {@code data-dir} when another Sluice holds it or it cannot be locked */
    static DataDirLock acquire(Path dataDir) {
        Path directory;
        try {
            Files.createDirectories(dataDir);
            directory = dataDir.toRealPath();
        } catch (IOException e) {
            throw new ConfigException("data-dir: cannot use " + dataDir.toAbsolutePath() + " (" + e + ")");
        }
        Path file = directory.resolve(FILE);
        if (!HELD_BY_THIS_PROCESS.add(directory)) {
            throw inUse(directory, ProcessHandle.current().pid());
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = tryLock(channel);
            if (lock == null) {
                long holder = holder(channel);
                throw inUse(directory, holder);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
                    0);
            channel.force(false);
            return new DataDirLock(directory, channel, lock);
        } catch (IOException | RuntimeException e) {
            // The channel is closed only when we hold no lock through it; then nothing else of ours is on the file.
            closeQuietly(channel);
            HELD_BY_THIS_PROCESS.remove(directory);
            if (e instanceof ConfigException config) {
                throw config;
            }
            throw new ConfigException("data-dir: cannot lock " + file + " (" + e + ")");
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** The pid the holder wrote, or -1 when the file does not say (still being written, or not ours). */
    private static long holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            return Long.parseLong(new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static ConfigException inUse(Path directory, long pid) {
        return new ConfigException("data-dir: " + directory + " is in use by another Sluice"
                + (pid > 0 ? " (pid " + pid + ")" : "") + "; stop it, or give this one another data-dir");
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing held through it
            }
        }
    }

    /** Releases the lock; the next Sluice on this directory may start. */
    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        } finally {
            closeQuietly(channel);
            HELD_BY_THIS_PROCESS.remove(directory);
        }
    }
}
