/*
 * hello: a WAGI function for Sluice, in C (wasi-libc).
 *
 * Responds "Content-Type: text/plain", then the body "hello <name>\nyou sent <N> bytes\n", where <name> is the
 * `name` query parameter ("world" when absent) and <N> the number of bytes of the request body (stdin).
 * Only read(), write() and getenv() are used: no stdio, no files, so the module imports nothing but
 * wasi_snapshot_preview1 (fd_read, fd_write, environ_get, environ_sizes_get, proc_exit) and stays small.
 *
 * The query rules, shared by every example: QUERY_STRING is split on '&'; the first field whose key (the text
 * before the first '=', not decoded) is exactly "name" wins; its value is what follows that '=' (empty without
 * one), with '+' read as a space and "%XX" (two hex digits) as that byte; any other '%' is kept as is.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void puts_(const char *s) { put(s, strlen(s)); }

static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Writes the decoded value p[0..len) to stdout in chunks, so no buffer size limits the name. */
static void put_decoded(const char *p, size_t len) {
    char out[256];
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < len && hex(p[i + 1]) >= 0 && hex(p[i + 2]) >= 0) {
            c = (char)(hex(p[i + 1]) * 16 + hex(p[i + 2]));
            i += 2;
        }
        out[used++] = c;
        if (used == sizeof out) {
            put(out, used);
            used = 0;
        }
    }
    put(out, used);
}

/* Writes the name: the first "name" field of the query string, or "world". */
static void put_name(const char *query) {
    while (query != NULL && *query != '\0') {
        size_t field = strcspn(query, "&");
        size_t key = strcspn(query, "=&");
        if (key == 4 && memcmp(query, "name", 4) == 0) {
            size_t value = key < field ? key + 1 : field;
            put_decoded(query + value, field - value);
            return;
        }
        query += field;
        if (*query == '&') query++;
    }
    puts_("world");
}

int main(void) {
    char buf[4096];
    unsigned long long received = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        received += (unsigned long long)n;
    }

    char digits[24];
    char *d = digits + sizeof digits;
    do {
        *--d = (char)('0' + received % 10);
        received /= 10;
    } while (received > 0);

    puts_("Content-Type: text/plain\n\nhello ");
    put_name(getenv("QUERY_STRING"));
    puts_("\nyou sent ");
    put(d, (size_t)(digits + sizeof digits - d));
    puts_(" bytes\n");
    return 0;
}
