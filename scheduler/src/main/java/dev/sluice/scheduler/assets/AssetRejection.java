package dev.sluice.scheduler.assets;

/** Why an asset archive was refused: the {@code reason} of a 422 {@code assets-rejected} (docs/problems.md). */
public enum AssetRejection {
    /** Over the plan's {@code max-asset-bytes}: the files' sizes, or the archive itself with its headers. */
    TOO_LARGE("too-large"),
    /** More entries (files and directories, implied ones included) than the plan's {@code max-asset-files}. */
    TOO_MANY_FILES("too-many-files"),
    /** A path over 1024 bytes or a component over 255 (UTF-8). */
    PATH_TOO_LONG("path-too-long"),
    /** A symbolic or hard link, a device, a fifo or any entry that is neither a regular file nor a directory. */
    FORBIDDEN_ENTRY("forbidden-entry"),
    /** An absolute path or a {@code ..} component. */
    ESCAPES_ROOT("escapes-root"),
    /** Not a tar archive, truncated, a duplicate path, a name with control characters or a {@code .} component. */
    MALFORMED("malformed"),
    /**
     * Writable assets whose copy would not fit the plan's scratch space: its files in whole 4 KiB blocks over
     * {@code scratch-bytes} (rounded down to blocks), or more files and directories than {@code scratch-inodes}.
     */
    EXCEEDS_SCRATCH("exceeds-scratch");

    private final String text;

    AssetRejection(String text) {
        this.text = text;
    }

    /** The kebab-case name clients see. */
    public String text() {
        return text;
    }
}
