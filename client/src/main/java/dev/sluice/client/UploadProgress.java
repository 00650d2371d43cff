package dev.sluice.client;

/**
 * Told how much of a deploy's module has been handed to the connection, from the client's sending thread: keep it
 * quick. {@code total} is the module's size; the last call has {@code sent == total}.
 */
@FunctionalInterface
public interface UploadProgress {
    UploadProgress NONE = (sent, total) -> { };

    void uploaded(long sent, long total);
}
