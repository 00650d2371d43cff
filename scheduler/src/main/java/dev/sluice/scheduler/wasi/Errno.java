package dev.sluice.scheduler.wasi;

/**
 * The WASI preview 1 error numbers Sluice's own host functions return (Chicory's {@code WasiErrno} is not public),
 * each as a fresh one-element result array, as a host function returns it. Values from the preview 1 witx
 * {@code errno}.
 */
enum Errno {
    SUCCESS(0), EACCES(2), EBADF(8), EEXIST(20), EFAULT(21), EINVAL(28), EIO(29), ELOOP(32), ENAMETOOLONG(37),
    ENOENT(44), NOSPC(51), ENOTDIR(54), EPERM(63), EROFS(69), EXDEV(75), ENOTCAPABLE(76);

    private final int value;

    Errno(int value) {
        this.value = value;
    }

    int value() {
        return value;
    }

    long[] result() {
        return new long[] {value};
    }

    /** Whether a host function's result array says success. */
    static boolean succeeded(long[] result) {
        return result != null && result.length > 0 && result[0] == 0;
    }
}
