package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;
import java.util.Map;

/**
 * The guest-memory spans of every WASI function Chicory implements itself here, checked before Chicory runs.
 * Chicory's generated glue reads path strings with {@code readBytes(pointer, length)}, whose bounds check wraps
 * around in 32 bits and then allocates {@code length} bytes (2 GiB for a path of length {@code 0x7ffffff0} at
 * address 16); its writes of results trap mid-way. Here a span outside memory returns {@code EFAULT} before
 * anything is read, allocated or written, as wasmtime and wasi-libc's own checks do; with the spans checked,
 * Chicory never reads more than the guest's memory holds.
 *
 * <p>Paths longer than {@value #PATH_MAX} bytes are {@code ENAMETOOLONG}. Only an invocation with files has a
 * directory for a path function to succeed in; {@link FileGuard} adds its rules behind these checks. Functions not listed take no guest memory (or are refused by Chicory before touching any); {@code fd_read},
 * {@code fd_write} ({@link Stdio}) and {@code poll_oneoff} ({@link PollOneoff}) have their own implementations.
 * Immutable; thread-safe.
 */
final class PointerChecks {
    /** Longest path a {@code path_*} function takes, as Linux's {@code PATH_MAX}: longer is {@code ENAMETOOLONG}. */
    static final int PATH_MAX = 4096;

    /** The same for every guest: the functions whose spans depend on the invocation are {@link GuestArgs}'. */
    static final PointerChecks STANDARD = new PointerChecks(Map.ofEntries(
            Map.entry("clock_res_get", List.of(Region.fixed(1, 8))),
            Map.entry("clock_time_get", List.of(Region.fixed(2, 8))),
            Map.entry("fd_fdstat_get", List.of(Region.fixed(1, 24))),
            Map.entry("fd_filestat_get", List.of(Region.fixed(1, 64))),
            Map.entry("fd_pread", List.of(Region.array(1, 2, 8), Region.fixed(4, 4))),
            Map.entry("fd_pwrite", List.of(Region.array(1, 2, 8), Region.fixed(4, 4))),
            Map.entry("fd_prestat_get", List.of(Region.fixed(1, 8))),
            Map.entry("fd_prestat_dir_name", List.of(Region.sized(1, 2))),
            Map.entry("fd_readdir", List.of(Region.sized(1, 2), Region.fixed(4, 4))),
            Map.entry("fd_seek", List.of(Region.fixed(3, 8))),
            Map.entry("fd_tell", List.of(Region.fixed(1, 8))),
            Map.entry("path_create_directory", List.of(Region.path(1, 2))),
            Map.entry("path_filestat_get", List.of(Region.path(2, 3), Region.fixed(4, 64))),
            Map.entry("path_filestat_set_times", List.of(Region.path(2, 3))),
            Map.entry("path_link", List.of(Region.path(2, 3), Region.path(5, 6))),
            Map.entry("path_open", List.of(Region.path(2, 3), Region.fixed(8, 4))),
            Map.entry("path_readlink", List.of(Region.path(1, 2), Region.sized(3, 4), Region.fixed(5, 4))),
            Map.entry("path_remove_directory", List.of(Region.path(1, 2))),
            Map.entry("path_rename", List.of(Region.path(1, 2), Region.path(4, 5))),
            Map.entry("path_symlink", List.of(Region.path(0, 1), Region.path(3, 4))),
            Map.entry("path_unlink_file", List.of(Region.path(1, 2))),
            Map.entry("random_get", List.of(Region.sized(0, 1)))));

    private final Map<String, List<Region>> regions;

    private PointerChecks(Map<String, List<Region>> regions) {
        this.regions = regions;
    }

    /** The names of the functions checked here. */
    java.util.Set<String> names() {
        return regions.keySet();
    }

    /**
     * {@code chicory}, answering {@code EFAULT} when a span lies outside memory; unchanged if it has no spans.
     *
     * @throws IllegalStateException when a span names an argument that is not an {@code i32} of the function
     */
    HostFunction guard(HostFunction chicory) {
        List<Region> spans = regions.get(chicory.name());
        if (spans == null) {
            return chicory;
        }
        List<ValType> params = chicory.functionType().params();
        for (Region r : spans) {
            if (!isI32(params, r.pointer()) || (r.count() >= 0 && !isI32(params, r.count()))) {
                throw new IllegalStateException(chicory.name() + ": " + r + " does not match " + params);
            }
        }
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            for (Region r : spans) {
                if (!r.fits(instance.memory(), args)) {
                    return Errno.EFAULT.result();
                }
                // Chicory copies and decodes each path: bound it as Linux does, not by the guest's memory.
                if (r.path() && r.length(args) > PATH_MAX) {
                    return Errno.ENAMETOOLONG.result();
                }
            }
            return chicory.handle().apply(instance, args);
        });
    }

    private static boolean isI32(List<ValType> params, int index) {
        return index < params.size() && params.get(index).equals(ValType.I32);
    }
}
