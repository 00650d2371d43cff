/*
 * files.wasm: a WASI program that sees what an invocation with files sees (FilesTest). Built by build-files.sh.
 * argv[1] picks what it does; each line it prints is "what: result", result an errno number (wasi-libc's errno
 * values are WASI's: 51 NOSPC, 63 PERM, 69 ROFS) or what it read.
 *   tour   lists /assets (sorted), reads /assets/greeting.txt and /assets/sub/deep.txt, tries every kind of write
 *          under /assets, tries to leave the preopens, then fills /tmp with 4 KiB files until a write fails and
 *          prints how many fitted and the errno.
 *   inodes creates empty files in /tmp until one fails: prints how many and the errno.
 *   leave  prints whether /tmp/left.txt exists, then writes it (a later invocation must not see it).
 *   tmp    prints /tmp's entry count, then writes /tmp/<argv[2]>.txt holding argv[2] and reads it back.
 *   root   with the assets read-only at / and /tmp: lists /, reads /data.txt, is refused a write there, writes and
 *          reads /tmp/x (wasi-libc picks the longest matching preopen, /tmp), and finds no /x.
 *   append O_APPEND in /tmp (with O_TRUNC, O_RDWR, fcntl switching it) and refused under /assets.
 *   writable DIR   with the assets (data.txt, sub/deep.txt) a writable copy at DIR: reads, rewrites, deletes and
 *          recreates, renames across directories, makes a symbolic and a hard link, is refused escapes, then grows data.txt by 4 KiB
 *          writes and creates empty files until each fails, printing how many and the errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { printf("list %s: errno %d\n", dir, errno); return; }
    char *names[256]; int n = 0; struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("list %s:", dir);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
}

static void cat(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { printf("read %s: errno %d\n", path, errno); return; }
    char buf[256]; size_t got = fread(buf, 1, sizeof buf - 1, f); buf[got] = 0;
    if (got && buf[got - 1] == '\n') buf[got - 1] = 0;
    fclose(f);
    printf("read %s: %s\n", path, buf);
}


static int err(int rc) { return rc < 0 ? errno : 0; }

static void tour(void) {
    list("/assets");
    cat("/assets/greeting.txt");
    cat("/assets/sub/deep.txt");
    printf("open-write /assets/greeting.txt: errno %d\n", err(open("/assets/greeting.txt", O_WRONLY)));
    printf("open-rdwr /assets/greeting.txt: errno %d\n", err(open("/assets/greeting.txt", O_RDWR)));
    printf("create /assets/new.txt: errno %d\n", err(open("/assets/new.txt", O_WRONLY | O_CREAT, 0644)));
    printf("truncate-open /assets/greeting.txt: errno %d\n", err(open("/assets/greeting.txt", O_RDONLY | O_TRUNC)));
    printf("truncate /assets/greeting.txt: errno %d\n", err(truncate("/assets/greeting.txt", 0)));
    printf("unlink /assets/greeting.txt: errno %d\n", err(unlink("/assets/greeting.txt")));
    printf("rename /assets/greeting.txt: errno %d\n", err(rename("/assets/greeting.txt", "/assets/moved.txt")));
    printf("rename-out /assets/greeting.txt: errno %d\n", err(rename("/assets/greeting.txt", "/tmp/stolen.txt")));
    printf("mkdir /assets/d: errno %d\n", err(mkdir("/assets/d", 0755)));
    printf("rmdir /assets/sub: errno %d\n", err(rmdir("/assets/sub")));
    printf("symlink /assets/l: errno %d\n", err(symlink("greeting.txt", "/assets/l")));
    printf("link /assets/h: errno %d\n", err(link("/assets/greeting.txt", "/assets/h")));
    struct timeval tv[2] = {{0, 0}, {0, 0}};
    printf("utimes /assets/greeting.txt: errno %d\n", err(utimes("/assets/greeting.txt", tv)));
    int ro = open("/assets/greeting.txt", O_RDONLY);
    printf("write-fd /assets/greeting.txt: errno %d\n", err((int) write(ro, "x", 1)));
    printf("ftruncate-fd /assets/greeting.txt: errno %d\n", err(ftruncate(ro, 0)));
    close(ro);
    printf("escape /assets/../../etc/passwd: errno %d\n", err(open("/assets/../../etc/passwd", O_RDONLY)));
    printf("escape /tmp/../../etc/passwd: errno %d\n", err(open("/tmp/../../etc/passwd", O_RDONLY)));
    printf("escape /etc/passwd: errno %d\n", err(open("/etc/passwd", O_RDONLY)));
    printf("symlink /tmp/l: errno %d\n", err(symlink("/etc/passwd", "/tmp/l")));
    list("/tmp");
    static char block[4096];
    memset(block, 'x', sizeof block);
    int files = 0, e = 0;
    for (;;) {
        char name[64]; snprintf(name, sizeof name, "/tmp/f%d", files);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) { e = errno; break; }
        ssize_t w = write(fd, block, sizeof block);
        if (w != (ssize_t) sizeof block) { e = w < 0 ? errno : -1; close(fd); break; }
        close(fd);
        files++;
    }
    printf("fill /tmp: %d files of 4096 bytes, then errno %d\n", files, e);
    printf("unlink /tmp/f0: errno %d\n", err(unlink("/tmp/f0")));
    int fd = open("/tmp/again", O_WRONLY | O_CREAT, 0644);
    printf("write after unlink: %s\n", fd >= 0 && write(fd, block, sizeof block) == (ssize_t) sizeof block ? "ok" : "failed");
}

static void inodes(void) {
    int n = 0;
    for (;; n++) {
        char name[64]; snprintf(name, sizeof name, "/tmp/i%d", n);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        if (fd < 0) break;
        close(fd);
    }
    printf("inodes: %d files, then errno %d\n", n, errno);
    printf("mkdir after: errno %d\n", err(mkdir("/tmp/d", 0755)));
    printf("unlink /tmp/i0: errno %d\n", err(unlink("/tmp/i0")));
    printf("mkdir after unlink: errno %d\n", err(mkdir("/tmp/d", 0755)));
}

static void leave(void) {
    struct stat st;
    printf("left.txt before: %s\n", stat("/tmp/left.txt", &st) == 0 ? "present" : "absent");
    FILE *f = fopen("/tmp/left.txt", "w");
    fputs("left behind\n", f);
    fclose(f);
    printf("left.txt after: %s\n", stat("/tmp/left.txt", &st) == 0 ? "present" : "absent");
}

static void tmp(const char *tag) {
    DIR *d = opendir("/tmp"); int n = 0; struct dirent *e;
    while ((e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    char path[128]; snprintf(path, sizeof path, "/tmp/%s.txt", tag);
    FILE *f = fopen(path, "w"); fputs(tag, f); fclose(f);
    char buf[128] = {0}; f = fopen(path, "r"); fread(buf, 1, sizeof buf - 1, f); fclose(f);
    printf("entries before: %d, read back: %s\n", n, buf);
}

static void slurp(const char *what, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { printf("%s %s: errno %d\n", what, path, errno); return; }
    char buf[256]; size_t got = fread(buf, 1, sizeof buf - 1, f); buf[got] = 0;
    if (got && buf[got - 1] == '\n') buf[got - 1] = 0;
    fclose(f);
    printf("%s %s: %s\n", what, path, buf);
}

static int put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return errno;
    fputs(text, f);
    return fclose(f) ? errno : 0;
}

static void root(void) {
    list("/");
    slurp("read", "/data.txt");
    printf("create /new.txt: errno %d\n", err(open("/new.txt", O_WRONLY | O_CREAT, 0644)));
    printf("write /tmp/x: errno %d\n", put("/tmp/x", "scratch\n"));
    slurp("read", "/tmp/x");
    struct stat st;
    printf("stat /x: errno %d\n", err(stat("/x", &st)));
}

static void writable(const char *dir) {
    const char *d = strcmp(dir, "/") ? dir : "";
    char p[512], q[512];
#define P(fmt) (snprintf(p, sizeof p, fmt, d), p)
#define Q(fmt) (snprintf(q, sizeof q, fmt, d), q)
    slurp("read", P("%s/data.txt"));
    list(dir);
    printf("rewrite %s: errno %d\n", P("%s/data.txt"), put(P("%s/data.txt"), "changed\n"));
    slurp("read", P("%s/data.txt"));
    printf("unlink %s: errno %d\n", P("%s/sub/deep.txt"), err(unlink(P("%s/sub/deep.txt"))));
    slurp("read", P("%s/sub/deep.txt"));
    printf("recreate %s: errno %d\n", P("%s/sub/deep.txt"), put(P("%s/sub/deep.txt"), "again\n"));
    slurp("read", P("%s/sub/deep.txt"));
    printf("rename %s: errno %d\n", P("%s/sub/deep.txt"), err(rename(P("%s/sub/deep.txt"), Q("%s/deep.txt"))));
    printf("rename %s: errno %d\n", P("%s/sub"), err(rename(P("%s/sub"), Q("%s/sub2"))));
    list(dir);
    printf("rename %s into itself: errno %d\n", P("%s/sub2"), err(rename(P("%s/sub2"), Q("%s/sub2/in"))));
    printf("symlink %s: errno %d\n", P("%s/l"), err(symlink("data.txt", P("%s/l"))));
    printf("link %s: errno %d\n", Q("%s/h"), err(link(P("%s/data.txt"), Q("%s/h"))));
    printf("escape %s: errno %d\n", P("%s/../../etc/passwd"), err(open(P("%s/../../etc/passwd"), O_RDONLY)));
    static char block[4096];
    memset(block, 'x', sizeof block);
    int fd = open(P("%s/data.txt"), O_WRONLY | O_APPEND);
    int n = 0, e = 0;
    ssize_t partial = 0;
    for (int tries = 0; tries < 1000; tries++) {
        ssize_t w = write(fd, block, sizeof block);
        if (w == (ssize_t) sizeof block) n++;
        else if (w > 0) partial += w;
        else { e = errno; break; }
    }
    close(fd);
    printf("grow %s: %d writes of 4096 bytes, %zd bytes more, then errno %d\n", P("%s/data.txt"), n, partial, e);
    for (n = 0;; n++) {
        snprintf(p, sizeof p, "%s/e%d", d, n);
        int f = open(p, O_WRONLY | O_CREAT, 0644);
        if (f < 0) { e = errno; break; }
        close(f);
    }
    printf("create in %s: %d files, then errno %d\n", dir, n, e);
#undef P
#undef Q
}

/* With 8 KiB of /tmp: writes that fill it are partial, as write(2); a seek past the end is allowed, a write there not. */
static void partial(void) {
    static char buf[16000];
    memset(buf, 'p', sizeof buf);
    int fd = open("/tmp/a", O_RDWR | O_CREAT, 0644);
    for (int i = 0; i < 3; i++) {
        ssize_t w = write(fd, buf, 6000);
        if (w < 0) printf("write 6000: errno %d\n", errno); else printf("write 6000: %zd\n", w);
    }
    printf("ftruncate 0: errno %d\n", err(ftruncate(fd, 0)));
    lseek(fd, 0, SEEK_SET);
    struct iovec iov[2] = {{buf, 3000}, {buf + 3000, 8000}};
    printf("writev 3000+8000: %zd\n", writev(fd, iov, 2));
    printf("seek 2^40: %lld\n", (long long) lseek(fd, 1LL << 40, SEEK_SET));
    printf("write at 2^40: errno %d\n", err((int) write(fd, buf, 1)));
    printf("read at 2^40: %zd\n", read(fd, buf, 1));
    printf("seek end: %lld\n", (long long) lseek(fd, 0, SEEK_END));
    close(fd);
}

/* O_APPEND in /tmp: with O_TRUNC, with reading, switched off by fcntl; pwrite writes at its offset (POSIX). */
static void append(void) {
    char buf[64];
    int fd = open("/tmp/a", O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
    printf("open append|trunc: %s\n", fd >= 0 ? "ok" : strerror(errno));
    printf("write 2: %zd\n", write(fd, "ab", 2));
    printf("seek 0: %lld\n", (long long) lseek(fd, 0, SEEK_SET));
    printf("write 2: %zd\n", write(fd, "cd", 2));
    printf("position: %lld\n", (long long) lseek(fd, 0, SEEK_CUR));
    printf("pwrite 3 at 0: %zd\n", pwrite(fd, "XYZ", 3, 0));
    printf("position: %lld, end: %lld\n", (long long) lseek(fd, 0, SEEK_CUR), (long long) lseek(fd, 0, SEEK_END));
    printf("flags have O_APPEND: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    close(fd);
    fd = open("/tmp/a", O_RDWR | O_APPEND);
    printf("write 2: %zd\n", write(fd, "ef", 2));
    printf("seek 0: %lld\n", (long long) lseek(fd, 0, SEEK_SET));
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read: %.*s\n", (int) (n < 0 ? 0 : n), buf);
    printf("fcntl clear O_APPEND: errno %d\n", err(fcntl(fd, F_SETFL, 0)));
    printf("flags have O_APPEND: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    printf("seek 0, write 2: %lld %zd\n", (long long) lseek(fd, 0, SEEK_SET), write(fd, "gh", 2));
    printf("fcntl set O_APPEND: errno %d\n", err(fcntl(fd, F_SETFL, O_APPEND)));
    printf("seek 0, write 2: %lld %zd\n", (long long) lseek(fd, 0, SEEK_SET), write(fd, "ij", 2));
    n = pread(fd, buf, sizeof buf, 0);
    printf("read: %.*s\n", (int) (n < 0 ? 0 : n), buf);
    close(fd);
    fd = open("/tmp/a", O_WRONLY | O_APPEND | O_TRUNC);
    printf("append|trunc an existing file, then size: %lld\n", (long long) lseek(fd, 0, SEEK_END));
    close(fd);
    printf("append under /assets: errno %d\n", err(open("/assets/greeting.txt", O_WRONLY | O_APPEND)));
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: files tour|inodes|leave|tmp TAG\n"); return 2; }
    if (!strcmp(argv[1], "tour")) tour();
    else if (!strcmp(argv[1], "inodes")) inodes();
    else if (!strcmp(argv[1], "leave")) leave();
    else if (!strcmp(argv[1], "tmp") && argc > 2) tmp(argv[2]);
    else if (!strcmp(argv[1], "root")) root();
    else if (!strcmp(argv[1], "partial")) partial();
    else if (!strcmp(argv[1], "append")) append();
    else if (!strcmp(argv[1], "writable") && argc > 2) writable(argv[2]);
    else return 2;
    return 0;
}
