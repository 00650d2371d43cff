package dev.sluice.scheduler.files;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where and how a function's assets appear to the guest.
 *
 * <p>Read-only ({@code writable = false}, the default): the stored tree itself is preopened at {@link #path}, shared by
 * every invocation and never written; scratch space, when the plan grants it, is a second preopen at {@code /tmp}.
 *
 * <p>Writable: each invocation gets its own in-memory copy of the tree at {@link #path}, seeded into its scratch file
 * system, so the copy counts against the plan's {@code scratch-bytes} and {@code scratch-inodes}; the guest may change
 * it freely and the changes are gone when the call ends. There is then one preopen only (no separate {@code /tmp}: a
 * function that wants one ships a {@code tmp/} directory in its tree). This is the layout of programs that expect a
 * writable working directory, and of the WASI test suite (each test's root preopened as {@code /}).
 *
 * @param path     the guest directory: {@code /} or an absolute path of names of {@code [A-Za-z0-9._-]} (not {@code .}
 *                 or {@code ..}), at most {@value #MAX_PATH_BYTES} bytes; a read-only mount may not be {@code /tmp} or
 *                 under it (scratch's place)
 * @param writable whether each invocation gets its own writable copy
 */
public record AssetMount(String path, boolean writable) {
    public static final int MAX_PATH_BYTES = 255;
    // Before DEFAULT: static fields initialise in order, and DEFAULT's constructor matches against PATH.
    private static final Pattern PATH = Pattern.compile("/|(/[A-Za-z0-9._-]+)+");
    /** {@code /assets}, read-only: what a function gets unless it asks otherwise. */
    public static final AssetMount DEFAULT = new AssetMount("/assets", false);

    public AssetMount {
        Objects.requireNonNull(path, "path");
        if (path.length() > MAX_PATH_BYTES || !PATH.matcher(path).matches()
                || path.contains("/./") || path.endsWith("/.") || path.contains("/../") || path.endsWith("/..")) {
            throw new IllegalArgumentException("assets path: '" + shorten(path) + "' (expected: / or an absolute path"
                    + " of names of A-Z a-z 0-9 . _ -, at most " + MAX_PATH_BYTES + " bytes, without . or ..)");
        }
        if (!writable && (path.equals("/tmp") || path.startsWith("/tmp/"))) {
            throw new IllegalArgumentException("assets path: '" + path + "' (expected: not /tmp or under it, which"
                    + " is the scratch space, unless the assets are writable)");
        }
    }

    private static String shorten(String path) {
        String printable = path.codePoints().limit(64)
                .map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return path.length() > 64 ? printable + "…" : printable;
    }
}
