/*
 * fib: a CPU-bound WAGI function, the same source for every peer that PeerRatio measures (loadtest, --scenario fib).
 *
 * Responds "Content-Type: text/plain", then the body "317811\n": fib(28) computed by naive recursion (about 832,000
 * calls), reading nothing (no stdin, no environment). The argument is read through a volatile so that the compiler
 * cannot fold the whole computation into a constant; clang -O2 may still turn one of the two recursive calls into a
 * loop, which is the shape every peer then runs (check with `wasm2wat fib.wasm`).
 * Only write() is used: no stdio, so the module imports nothing but wasi_snapshot_preview1's fd_write and proc_exit.
 */
#include <string.h>
#include <unistd.h>

static volatile int argument = 28;

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static void put(const char *p, size_t len) {
    while (len > 0) {
        ssize_t n = write(1, p, len);
        if (n <= 0) {
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

int main(void) {
    unsigned value = fib((unsigned)argument);
    char out[64] = "Content-Type: text/plain\n\n";
    size_t used = strlen(out);
    char digits[16];
    char *d = digits + sizeof digits;
    *--d = '\n';
    do {
        *--d = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    memcpy(out + used, d, (size_t)(digits + sizeof digits - d));
    used += (size_t)(digits + sizeof digits - d);
    put(out, used);
    return 0;
}
