package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code fd_readdir} of a scratch directory while scratch holds links: Chicory's listing, entry for entry, but with
 * each entry's attributes read without following it. Chicory's follow links, so a dangling one vanished from the
 * listing, a loop made the whole listing {@code EIO} and a link was typed as what it names (Linux: {@code DT_LNK}).
 * Apart from {@link FileGuard}, which decides when to list here and charges for it, because it writes WASI's dirent
 * layout itself. Stateless.
 */
final class ScratchListing {
    private ScratchListing() {
    }

    /**
     * {@code fd_readdir(fd, buf, buf_len, cookie, &used)} of {@code directory}; the buffer span was checked
     * ({@link PointerChecks}), the cookie is not negative.
     */
    static long[] list(Instance instance, long[] args, Path directory) {
        Memory memory = instance.memory();
        int buf = (int) GuestMemory.u32(args[1]);
        int bufLen = (int) GuestMemory.u32(args[2]);
        long cookie = args[3];
        int used = 0;
        try (Stream<Path> names = Files.list(directory)) {
            Iterator<Path> entries = Stream.concat(Stream.of(directory.resolve("."), directory.resolve("..")), names)
                    .skip(cookie).iterator();
            while (entries.hasNext() && used < bufLen) {
                Path entry = entries.next();
                byte[] name = entry.getFileName().toString().getBytes(StandardCharsets.UTF_8);
                cookie++;
                Map<String, Object> attributes;
                try {
                    attributes = Files.readAttributes(entry, "unix:*", LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue;
                }
                ByteBuffer dirent = ByteBuffer.allocate(24 + name.length).order(ByteOrder.LITTLE_ENDIAN);
                dirent.putLong(0, cookie);
                dirent.putLong(8, ((Number) attributes.get("ino")).longValue());
                dirent.putInt(16, name.length);
                dirent.put(20, fileType(attributes));
                dirent.position(24);
                dirent.put(name);
                int size = Math.min(dirent.capacity(), bufLen - used);
                memory.write(buf + used, dirent.array(), 0, size);
                used += size;
            }
        } catch (IOException e) {
            return Errno.EIO.result();
        }
        memory.writeI32((int) GuestMemory.u32(args[4]), used);
        return Errno.SUCCESS.result();
    }

    /** WASI's filetype: 3 directory, 4 regular file, 7 symbolic link, 0 unknown (Chicory's numbering). */
    private static byte fileType(Map<String, Object> attributes) {
        if (Boolean.TRUE.equals(attributes.get("isSymbolicLink"))) {
            return 7;
        }
        if (Boolean.TRUE.equals(attributes.get("isDirectory"))) {
            return 3;
        }
        return Boolean.TRUE.equals(attributes.get("isRegularFile")) ? (byte) 4 : 0;
    }
}
