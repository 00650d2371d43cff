package dev.sluice.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * An append-only log of records in segment files {@code <dir>/<prefix>.<first-seq>.journal}. A record is
 * {@code length (4) | CRC32C (4) | seq (8) | payload}, big-endian, the CRC over seq and payload; seqs start at 1 and
 * grow by one within a segment (a segment may start later, after a snapshot's seq).
 *
 * <p>{@link #append} returns once the record is on disk ({@code FileChannel.force}); appenders arriving while a force
 * is under way queue up and the next force covers them all (group commit). If a write or force fails the file is cut
 * back to where the batch began and every record of the batch fails; if even that fails the journal refuses all
 * further appends, so nothing that was refused can reappear after the appends that follow it.
 *
 * <p>{@link #open} replays every record in order. In the last segment, a record that is cut short or fails its CRC
 * (a write torn by a crash) ends the log: it and anything after it are truncated. Anywhere else that is corruption.
 * {@link #roll} starts a new segment, so the caller can write a snapshot covering the records so far and then
 * {@link #deleteThrough delete} the segments it covers.
 *
 * <p>Errors are {@link IOException}s naming the file, so each store maps them once to its own exception (this module
 * knows none of them) and the compiler holds every caller to it; an exception thrown by the replay consumer passes
 * through as it is.
 *
 * <p>Threading: {@link #append} and {@link #roll} may be called from any thread.
 */
public final class Journal implements AutoCloseable {
    static final int HEADER = 16;
    /** Far above any record a store writes; a larger length read back is a torn or corrupt header. */
    static final int MAX_RECORD = 64 << 20;

    /** A record read back at open. */
    public record Entry(long seq, byte[] payload) {}

    private final Path dir;
    private final String prefix;
    private final Pattern segmentName;
    private final ReentrantLock io = new ReentrantLock();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    // Guarded by io.
    private FileChannel channel;
    private long segmentStart;
    private long lastSeq;
    private IOException broken;

    private Journal(Path dir, String prefix) {
        this.dir = dir;
        this.prefix = prefix;
        this.segmentName = Pattern.compile(Pattern.quote(prefix) + "\\.(\\d{20})\\.journal");
    }

    /**
     * Opens (creating if needed) the journal {@code prefix} in {@code dir}, passing every record to {@code replay} in
     * seq order before returning. A journal created now starts after {@code floor} (the newest snapshot's seq), so
     * its records are never mistaken for ones a snapshot already covers.
     */
    public static Journal open(Path dir, String prefix, long floor, Consumer<Entry> replay) throws IOException {
        Journal journal = new Journal(dir, prefix);
        try {
            journal.load(floor, replay);
        } catch (IOException e) {
            journal.closeQuietly();
            throw new IOException(dir.resolve(prefix) + ".*.journal: cannot open (" + e + ")", e);
        } catch (RuntimeException e) {
            journal.closeQuietly();
            throw e;
        }
        return journal;
    }

    private void load(long floor, Consumer<Entry> replay) throws IOException {
        List<Path> segments = segments();
        long expected = segments.isEmpty() ? 1 : firstSeq(segments.getFirst());
        for (int i = 0; i < segments.size(); i++) {
            Path segment = segments.get(i);
            boolean last = i == segments.size() - 1;
            if (firstSeq(segment) < expected) {
                throw corrupt(segment, 0, "starts at seq " + firstSeq(segment) + " (expected: >= " + expected + ")");
            }
            expected = firstSeq(segment);
            long end = replay(segment, expected, last, replay);
            expected = lastSeq + 1;
            if (last) {
                channel = FileChannel.open(segment, StandardOpenOption.WRITE);
                if (channel.size() > end) {
                    // A torn tail: the crash came before its force returned, so no append of it ever returned.
                    channel.truncate(end);
                    channel.force(false);
                }
                channel.position(end);
                segmentStart = firstSeq(segment);
            }
        }
        if (channel == null || lastSeq < floor) {
            // No journal, or one that ends before a snapshot: continue after the snapshot, never reusing its seqs.
            lastSeq = Math.max(lastSeq, floor);
            newSegment(floor + 1);
        }
    }

    /** Replays one segment; returns the offset after its last good record. */
    private long replay(Path segment, long firstSeq, boolean last, Consumer<Entry> replay) throws IOException {
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        long expected = firstSeq;
        int offset = 0;
        while (offset < bytes.length) {
            String bad = null;
            int length = 0;
            if (bytes.length - offset < HEADER) {
                bad = "a header cut short";
            } else {
                length = buffer.getInt(offset);
                if (length < 0 || length > MAX_RECORD || length > bytes.length - offset - HEADER) {
                    bad = "length " + length + " beyond the end";
                } else {
                    CRC32C crc = new CRC32C();
                    crc.update(bytes, offset + 8, 8 + length);
                    if ((int) crc.getValue() != buffer.getInt(offset + 4)) {
                        bad = "a CRC mismatch";
                    }
                }
            }
            if (bad != null) {
                if (!last) {
                    throw corrupt(segment, offset, bad);
                }
                return offset;
            }
            long seq = buffer.getLong(offset + 8);
            if (seq != expected) {
                throw corrupt(segment, offset, "seq " + seq + " (expected: " + expected + ")");
            }
            byte[] payload = new byte[length];
            System.arraycopy(bytes, offset + HEADER, payload, 0, length);
            replay.accept(new Entry(seq, payload));
            lastSeq = seq;
            expected = seq + 1;
            offset += HEADER + length;
        }
        if (expected == firstSeq) {
            lastSeq = firstSeq - 1;
        }
        return offset;
    }

    private static IOException corrupt(Path segment, long offset, String what) {
        return new IOException(segment + ": corrupt at byte " + offset + " (" + what + ")");
    }

    private List<Path> segments() throws IOException {
        List<Path> segments = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return segments;
        }
        try (var files = Files.list(dir)) {
            files.filter(p -> segmentName.matcher(p.getFileName().toString()).matches()).forEach(segments::add);
        }
        segments.sort(null);
        return segments;
    }

    private long firstSeq(Path segment) {
        Matcher matcher = segmentName.matcher(segment.getFileName().toString());
        if (!matcher.matches()) {
            throw new IllegalArgumentException(segment.toString());
        }
        return Long.parseLong(matcher.group(1));
    }

    private Path segment(long firstSeq) {
        return dir.resolve(String.format("%s.%020d.journal", prefix, firstSeq));
    }

    /** Guarded by io: closes the current segment (if any) and starts an empty one whose first record is firstSeq. */
    private void newSegment(long firstSeq) throws IOException {
        Path file = segment(firstSeq);
        FileChannel next = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            // Records may hold secrets' hashes (tenancy's API keys): owner only, as their snapshots.
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // The data directory's own permissions are all there is.
        }
        next.force(true);
        forceDirectory();
        if (channel != null) {
            channel.close();
        }
        channel = next;
        segmentStart = firstSeq;
    }

    private void forceDirectory() {
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not every platform opens directories; the segment's own content is forced regardless.
        }
    }

    /**
     * Appends {@code payload} as the next record and returns its seq once it is on disk.
     *
     * @throws IOException if it could not be written; then it is not in the journal
     */
    public long append(byte[] payload) throws IOException {
        if (payload.length > MAX_RECORD) {
            throw new IllegalArgumentException("record: " + payload.length + " bytes (expected: <= " + MAX_RECORD + ")");
        }
        Pending pending = new Pending(payload);
        queue.add(pending);
        io.lock();
        try {
            if (!pending.done) {
                commitQueued();
            }
        } finally {
            io.unlock();
        }
        if (pending.failure != null) {
            throw new IOException(dir.resolve(prefix) + " journal: cannot append (" + pending.failure + ")",
                    pending.failure);
        }
        return pending.seq;
    }

    /** Guarded by io: writes everything queued so far with one force. */
    private void commitQueued() {
        List<Pending> batch = new ArrayList<>();
        for (Pending p; (p = queue.poll()) != null; ) {
            batch.add(p);
        }
        if (broken != null) {
            batch.forEach(p -> p.fail(broken));
            return;
        }
        int size = 0;
        for (Pending p : batch) {
            size += HEADER + p.payload.length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.BIG_ENDIAN);
        long seq = lastSeq;
        for (Pending p : batch) {
            p.seq = ++seq;
            CRC32C crc = new CRC32C();
            ByteBuffer seqBytes = ByteBuffer.allocate(8).putLong(0, p.seq);
            crc.update(seqBytes);
            crc.update(p.payload);
            buffer.putInt(p.payload.length).putInt((int) crc.getValue()).putLong(p.seq).put(p.payload);
        }
        buffer.flip();
        long start;
        try {
            start = channel.position();
        } catch (IOException e) {
            broken = e;
            batch.forEach(p -> p.fail(e));
            return;
        }
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            try {
                channel.truncate(start);
                channel.position(start);
                channel.force(false);
            } catch (IOException cannotUndo) {
                e.addSuppressed(cannotUndo);
                broken = e;
            }
            batch.forEach(p -> p.fail(e));
            return;
        }
        lastSeq = seq;
        batch.forEach(p -> p.done = true);
    }

    /** The seq of the last record written. */
    public long lastSeq() {
        io.lock();
        try {
            return lastSeq;
        } finally {
            io.unlock();
        }
    }

    /** Bytes in the current segment. */
    public long segmentBytes() {
        io.lock();
        try {
            return channel.size();
        } catch (IOException e) {
            return 0;
        } finally {
            io.unlock();
        }
    }

    /**
     * Starts a new segment unless the current one is empty; returns the seq of the last record before it. Records
     * appended afterwards go to the new segment.
     */
    public long roll() throws IOException {
        io.lock();
        try {
            if (lastSeq >= segmentStart) {
                newSegment(lastSeq + 1);
            }
            return lastSeq;
        } catch (IOException e) {
            throw new IOException(dir.resolve(prefix) + " journal: cannot start a segment (" + e + ")", e);
        } finally {
            io.unlock();
        }
    }

    /** Deletes the segments holding only records up to {@code seq} (a snapshot now covers them). */
    public void deleteThrough(long seq) throws IOException {
        io.lock();
        try {
            for (Path segment : segments()) {
                long first = firstSeq(segment);
                if (first < segmentStart && first <= seq) {
                    // Segments before the current one end where the next begins; all of this one is <= seq when the
                    // next one starts at or below seq + 1.
                    Files.deleteIfExists(segment);
                }
            }
            forceDirectory();
        } catch (IOException e) {
            throw new IOException(dir.resolve(prefix) + " journal: cannot delete a segment (" + e + ")", e);
        } finally {
            io.unlock();
        }
    }

    @Override
    public void close() {
        io.lock();
        try {
            closeQuietly();
        } finally {
            io.unlock();
        }
    }

    private void closeQuietly() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // Every record that returned is already forced.
        }
    }

    private static final class Pending {
        final byte[] payload;
        // Written and read under io.
        boolean done;
        long seq;
        IOException failure;

        Pending(byte[] payload) {
            this.payload = payload;
        }

        void fail(IOException e) {
            failure = e;
            done = true;
        }
    }
}
