package dev.sluice.scheduler.wasi;

/**
 * The WASI preview 1 error numbers Sluice's own host functions return (Chicory's {@code WasiErrno} is not public),
 * each as a fresh one-element result array, as a host function returns it. Values from the preview 1 witx
 * {@code errno}.
 */
enum Errno {
    SUCCESS(0), EBADF(8), EFAULT(21), EINVAL(28), EIO(29), ENAMETOOLONG(37), NOSPC(51), EPERM(63), EROFS(69);

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
}
