/*
 * links.wasm: symbolic and hard links in an invocation's scratch space (FilesLinksTest). Built by build-files.sh.
 * Each line it prints is "what: result", result an errno number (wasi-libc's errno values are WASI's: 2 ACCES,
 * 20 EXIST, 21 FAULT, 32 LOOP, 37 NAMETOOLONG, 44 NOENT, 51 NOSPC, 63 PERM, 69 ROFS, 75 XDEV) or what it read.
 *   tour  (/tmp, and /assets holding greeting.txt) makes, reads, follows and removes links; loops and chains; targets
 *         that would leave /tmp; links across the preopens and of a directory; hostile readlink and symlink sizes.
 *   many  makes up to 10 000 symbolic links in /tmp until one fails, removes them all, then fills /tmp with 4 KiB
 *         files and empty files, printing each count and errno: links take an inode and a block each, given back.
 *   rights drops WASI rights of descriptors in /tmp: calls needing them refused, inherited, never regained.
 *   deep N the costliest lookup: a 127-deep tree, 41 links chained at its bottom, then N stat calls through them.
 *   hard  creates a file, links it, unlinks both names, and fills /tmp's inodes after each step.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int err(int rc) { return rc < 0 ? errno : 0; }

static int put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return errno;
    int rc = write(fd, text, strlen(text)) < 0 ? errno : 0;
    close(fd);
    return rc;
}

static void slurp(const char *what, const char *path) {
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("%s %s: errno %d\n", what, path, errno); return; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
    printf("%s %s: %s\n", what, path, buf);
}

static void readlink_of(const char *path) {
    char buf[64] = {0};
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) printf("readlink %s: errno %d\n", path, errno);
    else printf("readlink %s: %.*s\n", path, (int) n, buf);
}

/* Creates files, then empty files, until one fails: how many fitted. */
static int fill_inodes(const char *prefix) {
    int n = 0;
    for (;; n++) {
        char name[64]; snprintf(name, sizeof name, "/tmp/%s%d", prefix, n);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        if (fd < 0) break;
        close(fd);
    }
    for (int i = 0; i < n; i++) {
        char name[64]; snprintf(name, sizeof name, "/tmp/%s%d", prefix, i);
        unlink(name);
    }
    return n;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *) a, *(char *const *) b); }

/* Lists a directory sorted, each name with its d_type (wasi-libc's: WASI's filetype, 3 dir, 4 file, 7 link). */
static void list_types(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { printf("list %s: errno %d\n", dir, errno); return; }
    char *names[64]; int n = 0; struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) && n < 64) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names[n] = malloc(strlen(e->d_name) + 8);
        sprintf(names[n++], "%s:%d", e->d_name, e->d_type);
    }
    int failed = errno;
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    printf("list %s:", dir);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf(failed ? ", then errno %d\n" : "\n", failed);
}

static void tour(void) {
    struct stat st;
    printf("write /tmp/f: errno %d\n", put("/tmp/f", "in scratch\n"));
    printf("symlink /tmp/l -> f: errno %d\n", err(symlink("f", "/tmp/l")));
    slurp("read", "/tmp/l");
    readlink_of("/tmp/l");
    printf("lstat /tmp/l is a link: %d\n", lstat("/tmp/l", &st) == 0 && S_ISLNK(st.st_mode));
    printf("stat /tmp/l is a file: %d\n", stat("/tmp/l", &st) == 0 && S_ISREG(st.st_mode));
    printf("open nofollow /tmp/l: errno %d\n", err(open("/tmp/l", O_RDONLY | O_NOFOLLOW)));
    printf("symlink again /tmp/l: errno %d\n", err(symlink("f", "/tmp/l")));
    struct timespec times[2] = {{0, UTIME_OMIT}, {1000, 0}};
    printf("set the link's own mtime: errno %d\n", err(utimensat(AT_FDCWD, "/tmp/l", times, AT_SYMLINK_NOFOLLOW)));
    printf("mtime of the link, of its file: %lld %s\n", lstat("/tmp/l", &st) == 0 ? (long long) st.st_mtime : -1,
           stat("/tmp/f", &st) == 0 && st.st_mtime != 1000 ? "unchanged" : "changed");
    times[1].tv_sec = 2000;
    printf("set the file's mtime through the link: errno %d\n", err(utimensat(AT_FDCWD, "/tmp/l", times, 0)));
    printf("mtime of the link, of its file: %lld %lld\n", lstat("/tmp/l", &st) == 0 ? (long long) st.st_mtime : -1,
           stat("/tmp/f", &st) == 0 ? (long long) st.st_mtime : -1);
    printf("mkdir /tmp/d: errno %d\n", err(mkdir("/tmp/d", 0755)));
    printf("write /tmp/d/g: errno %d\n", put("/tmp/d/g", "in d\n"));
    printf("symlink /tmp/dl -> d: errno %d\n", err(symlink("d", "/tmp/dl")));
    slurp("read via a directory link", "/tmp/dl/g");
    printf("unlink /tmp/dl: errno %d\n", err(unlink("/tmp/dl")));
    slurp("read after", "/tmp/d/g");
    printf("mkdir /tmp/ls: errno %d\n", err(mkdir("/tmp/ls", 0755)));
    put("/tmp/ls/f", "x");
    symlink("ls/f", "/tmp/ls/l");
    symlink("ls/nothing", "/tmp/ls/dangling");
    symlink("ls/b", "/tmp/ls/a");
    symlink("ls/a", "/tmp/ls/b");
    mkdir("/tmp/ls/sub", 0755);
    list_types("/tmp/ls");
    readlink_of("/tmp/ls/l");
    {
        /* As the suite's readlink test: the link made and read through a subdirectory's descriptor. */
        int sub = open("/tmp/ls/sub", O_RDONLY | O_DIRECTORY);
        uint8_t name[10] = {0};
        __wasi_size_t used = 0;
        printf("symlink through sub's descriptor: errno %d\n", __wasi_path_symlink("target", sub, "symlink"));
        int e = __wasi_path_readlink(sub, "symlink", name, sizeof name, &used);
        printf("readlink through it: errno %d, %.*s\n", e, (int) used, (char *) name);
        close(sub);
        /* Through "." opened as a directory (the suite's Rust tests do): Chicory's paths then hold a "." name. */
        __wasi_fd_t dot;
        printf("open /tmp/.: errno %d\n", __wasi_path_open(4, 0, ".", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &dot));
        printf("symlink through it: errno %d\n", __wasi_path_symlink("ls/f", dot, "dotlink"));
        memset(name, 0, sizeof name);
        e = __wasi_path_readlink(dot, "dotlink", name, sizeof name, &used);
        printf("readlink through it: errno %d, %.*s\n", e, (int) used, (char *) name);
        close(dot);
        unlink("/tmp/dotlink");
    }
    printf("symlink /tmp/ls/up -> d: errno %d\n", err(symlink("d", "/tmp/ls/up")));
    readlink_of("/tmp/ls/up");
    printf("symlink /tmp/ls/deep -> d/g: errno %d\n", err(symlink("d/g", "/tmp/ls/deep")));
    readlink_of("/tmp/ls/deep");
    /* Targets that would leave /tmp: refused when made (Chicory resolves them against the directory). */
    printf("symlink -> /etc/passwd: errno %d\n", err(symlink("/etc/passwd", "/tmp/x1")));
    printf("symlink -> /: errno %d\n", err(symlink("/", "/tmp/x2")));
    printf("symlink -> ../..: errno %d\n", err(symlink("../..", "/tmp/x3")));
    printf("symlink -> d/../../assets/greeting.txt: errno %d\n",
           err(symlink("d/../../assets/greeting.txt", "/tmp/x4")));
    printf("symlink -> empty: errno %d\n", err(symlink("", "/tmp/x5")));
    printf("symlink /tmp/up -> d/..: errno %d\n", err(symlink("d/..", "/tmp/up")));
    readlink_of("/tmp/up");
    printf("stat /tmp/up/up/up/f: errno %d\n", err(stat("/tmp/up/up/up/f", &st)));
    printf("stat /tmp/up/../../greeting.txt: errno %d\n", err(stat("/tmp/up/../../greeting.txt", &st)));
    printf("unlink /tmp/up: errno %d\n", err(unlink("/tmp/up")));
    /* Loops and chains. */
    printf("symlink a -> b, b -> a: errno %d %d\n", err(symlink("b", "/tmp/a")), err(symlink("a", "/tmp/b")));
    printf("open /tmp/a: errno %d\n", err(open("/tmp/a", O_RDONLY)));
    printf("stat /tmp/a: errno %d\n", err(stat("/tmp/a", &st)));
    printf("lstat /tmp/a: errno %d\n", err(lstat("/tmp/a", &st)));
    printf("open /tmp/a/x: errno %d\n", err(open("/tmp/a/x", O_RDONLY)));
    printf("create /tmp/a/x: errno %d\n", err(open("/tmp/a/x", O_WRONLY | O_CREAT, 0644)));
    printf("mkdir /tmp/a/x: errno %d\n", err(mkdir("/tmp/a/x", 0755)));
    printf("unlink /tmp/a/x: errno %d\n", err(unlink("/tmp/a/x")));
    printf("rmdir /tmp/a/x: errno %d\n", err(rmdir("/tmp/a/x")));
    printf("symlink self /tmp/s -> s: errno %d\n", err(symlink("s", "/tmp/s")));
    printf("open /tmp/s: errno %d\n", err(open("/tmp/s", O_RDONLY)));
    int chain = 0;
    char name[64], target[64];
    for (int i = 1; i <= 45; i++) {
        snprintf(name, sizeof name, "/tmp/c%d", i);
        snprintf(target, sizeof target, i == 1 ? "f" : "c%d", i - 1);
        if (symlink(target, name) == 0) chain++;
    }
    printf("chain of %d links\n", chain);
    slurp("read 40 links deep", "/tmp/c40");
    printf("open 41 links deep: errno %d\n", err(open("/tmp/c41", O_RDONLY)));
    printf("stat 45 links deep: errno %d\n", err(stat("/tmp/c45", &st)));
    for (int i = 1; i <= 45; i++) { snprintf(name, sizeof name, "/tmp/c%d", i); unlink(name); }
    /* A dangling link: creating through it makes its target, counted. */
    printf("symlink /tmp/dang -> nothing: errno %d\n", err(symlink("nothing", "/tmp/dang")));
    printf("create through /tmp/dang: errno %d\n", put("/tmp/dang", "made\n"));
    slurp("read", "/tmp/nothing");
    /* Hard links. */
    printf("link /tmp/f /tmp/h: errno %d\n", err(link("/tmp/f", "/tmp/h")));
    printf("nlink /tmp/f: %d\n", stat("/tmp/f", &st) == 0 ? (int) st.st_nlink : -1);
    slurp("read", "/tmp/h");
    printf("link again: errno %d\n", err(link("/tmp/f", "/tmp/h")));
    printf("link of a directory: errno %d\n", err(link("/tmp/d", "/tmp/hd")));
    printf("link of a missing file: errno %d\n", err(link("/tmp/none", "/tmp/hn")));
    printf("link onto a dangling link: errno %d\n", err(link("/tmp/f", "/tmp/a")));
    printf("link of a symlink: errno %d\n", err(link("/tmp/l", "/tmp/hl")));
    readlink_of("/tmp/hl");
    printf("link /assets -> /tmp: errno %d\n", err(link("/assets/greeting.txt", "/tmp/stolen")));
    printf("link /tmp -> /assets: errno %d\n", err(link("/tmp/f", "/assets/planted")));
    printf("symlink in /assets: errno %d\n", err(symlink("greeting.txt", "/assets/l")));
    printf("unlink /tmp/f: errno %d\n", err(unlink("/tmp/f")));
    slurp("read the other name", "/tmp/h");
    /* Hostile sizes, by the raw calls (fd 4 is /tmp). */
    size_t big = 1 << 20;
    char *huge = malloc(big + 1);
    memset(huge, 'a', big);
    for (size_t i = 200; i < big; i += 200) huge[i] = '/';
    huge[big] = 0;
    printf("symlink with a 1 MiB target: errno %d\n", __wasi_path_symlink(huge, 4, "big"));
    huge[4097] = 0;
    printf("symlink with a 4097-byte target: errno %d\n", __wasi_path_symlink(huge, 4, "big"));
    free(huge);
    __wasi_size_t used = 0;
    char small[2];
    uint8_t *end = (uint8_t *) (__builtin_wasm_memory_size(0) * 65536 - 1);
    printf("readlink, buffer 2^31-1 at the end of memory: errno %d\n",
           __wasi_path_readlink(4, "l", end, 0x7fffffff, &used));
    printf("readlink, 1 byte at the end of memory: errno %d\n", __wasi_path_readlink(4, "l", end, 1, &used));
    printf("readlink, used at the end of memory: errno %d\n",
           __wasi_path_readlink(4, "l", (uint8_t *) small, 2, (__wasi_size_t *) (end - 1)));
    printf("readlink, 2 bytes: errno %d, %u bytes\n", __wasi_path_readlink(4, "l", (uint8_t *) small, 2, &used),
           (unsigned) used);
}

static void many(void) {
    int n = 0, e = 0;
    char name[64];
    for (; n < 10000; n++) {
        snprintf(name, sizeof name, "/tmp/s%d", n);
        if (symlink("target", name) < 0) { e = errno; break; }
    }
    printf("symlinks: %d, then errno %d\n", n, e);
    int removed = 0;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "/tmp/s%d", i);
        if (unlink(name) == 0) removed++;
    }
    printf("removed: %d\n", removed);
    static char block[4096];
    int files = 0;
    for (;; files++) {
        snprintf(name, sizeof name, "/tmp/b%d", files);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        if (fd < 0) { e = errno; break; }
        ssize_t w = write(fd, block, sizeof block);
        close(fd);
        if (w != (ssize_t) sizeof block) { e = w < 0 ? errno : -1; unlink(name); break; }
    }
    printf("then 4 KiB files: %d, then errno %d\n", files, e);
    for (int i = 0; i < files; i++) { snprintf(name, sizeof name, "/tmp/b%d", i); unlink(name); }
    printf("then empty files: %d\n", fill_inodes("e"));
}

static void hard(void) {
    printf("empty files at first: %d\n", fill_inodes("e"));
    printf("write /tmp/f: errno %d\n", put("/tmp/f", "x\n"));
    printf("link /tmp/g: errno %d\n", err(link("/tmp/f", "/tmp/g")));
    printf("link /tmp/sub/h: errno %d %d\n", err(mkdir("/tmp/sub", 0755)), err(link("/tmp/f", "/tmp/sub/h")));
    printf("empty files with f, g, sub, sub/h: %d\n", fill_inodes("e"));
    printf("unlink /tmp/f: errno %d\n", err(unlink("/tmp/f")));
    printf("empty files with g, sub, sub/h: %d\n", fill_inodes("e"));
    printf("rename /tmp/sub/h over /tmp/g, the same file: errno %d\n", err(rename("/tmp/sub/h", "/tmp/g")));
    printf("empty files with g, sub, sub/h: %d\n", fill_inodes("e"));
    printf("write /tmp/x: errno %d\n", put("/tmp/x", "y\n"));
    printf("empty files with g, sub, sub/h, x: %d\n", fill_inodes("e"));
    printf("rename /tmp/x over /tmp/g: errno %d\n", err(rename("/tmp/x", "/tmp/g")));
    printf("empty files with g (was x), sub, sub/h: %d\n", fill_inodes("e"));
    printf("unlink /tmp/sub/h: errno %d\n", err(unlink("/tmp/sub/h")));
    printf("empty files with g, sub: %d\n", fill_inodes("e"));
    printf("unlink /tmp/g, rmdir /tmp/sub: errno %d %d\n", err(unlink("/tmp/g")), err(rmdir("/tmp/sub")));
    printf("empty files at last: %d\n", fill_inodes("e"));
}

/* WASI rights dropped per descriptor (fd_fdstat_set_rights), in /tmp (fd 3): refused calls, inherited, never regained. */
static void rights(void) {
    __wasi_fdstat_t st;
    int fd = open("/tmp/r", O_CREAT | O_RDWR, 0644);
    printf("write: %zd\n", write(fd, "abc", 3));
    if (__wasi_fd_fdstat_get(fd, &st) != 0) printf("fdstat failed\n");
    __wasi_rights_t base = st.fs_rights_base, inheriting = st.fs_rights_inheriting;
    printf("has fd_write: %d\n", (base & __WASI_RIGHTS_FD_WRITE) != 0);
    printf("drop fd_write: errno %d\n", __wasi_fd_fdstat_set_rights(fd, base & ~__WASI_RIGHTS_FD_WRITE, inheriting));
    printf("write: errno %d\n", err((int) write(fd, "x", 1)));
    printf("pwrite: errno %d\n", err((int) pwrite(fd, "x", 1, 0)));
    if (__wasi_fd_fdstat_get(fd, &st) != 0) printf("fdstat failed\n");
    printf("has fd_write: %d\n", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
    char buf[8];
    printf("pread: %zd\n", pread(fd, buf, sizeof buf, 0));
    printf("regain fd_write: errno %d\n", __wasi_fd_fdstat_set_rights(fd, base, inheriting));
    printf("drop fd_seek and fd_tell: errno %d\n", __wasi_fd_fdstat_set_rights(fd,
           st.fs_rights_base & ~(__WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL), inheriting));
    printf("lseek: errno %d\n", err((int) lseek(fd, 0, SEEK_SET)));
    printf("tell: errno %d\n", err((int) lseek(fd, 0, SEEK_CUR)));
    close(fd);
    printf("mkdir /tmp/sub: errno %d\n", err(mkdir("/tmp/sub", 0755)));
    int dir = open("/tmp/sub", O_RDONLY | O_DIRECTORY);
    printf("open /tmp/sub: errno %d\n", dir < 0 ? errno : 0);
    if (__wasi_fd_fdstat_get(dir, &st) != 0) printf("fdstat failed\n");
    printf("drop path_filestat_set_size, and fd_write for what it opens: errno %d\n",
           __wasi_fd_fdstat_set_rights(dir, st.fs_rights_base & ~__WASI_RIGHTS_PATH_FILESTAT_SET_SIZE,
                                       st.fs_rights_inheriting & ~__WASI_RIGHTS_FD_WRITE));
    __wasi_fd_t f;
    printf("create|trunc in sub: errno %d\n", __wasi_path_open(dir, 0, "f", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
           __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &f));
    printf("create in sub: errno %d\n", __wasi_path_open(dir, 0, "f", __WASI_OFLAGS_CREAT,
           __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &f));
    if (__wasi_fd_fdstat_get(f, &st) != 0) printf("fdstat failed\n");
    printf("it has fd_write: %d, fd_read: %d\n", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0,
           (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0);
    printf("write to it: errno %d\n", err((int) write(f, "x", 1)));
    printf("give it fd_write: errno %d\n", __wasi_fd_fdstat_set_rights(f, ~0ULL, 0));
    printf("set rights of stdout: errno %d\n", __wasi_fd_fdstat_set_rights(1, 0, 0));
}

/* The most a lookup can walk: a 127-deep tree, 41 links chained at its bottom, each naming the next by its full path. */
static void deep(int calls) {
    static char path[8192];
    strcpy(path, "/tmp");
    int depth = 0;
    for (; depth < 127; depth++) {
        strcat(path, "/d");
        if (mkdir(path, 0755) < 0) break;
    }
    printf("depth: %d\n", depth);
    size_t base = strlen(path);
    int links = 0;
    static char target[8192];
    for (int i = 0; i <= 40; i++) {
        /* Chicory resolves a target against the directory descriptor (here /tmp), not the link's directory. */
        snprintf(target, sizeof target, "%.*s/L%d", (int) base - 5, path + 5, i + 1);
        snprintf(path + base, sizeof path - base, "/L%d", i);
        if (symlink(target, path) == 0) links++;
    }
    printf("links: %d\n", links);
    snprintf(path + base, sizeof path - base, "/L0");
    printf("symlink /tmp/start: errno %d\n", err(symlink(path + 5, "/tmp/start")));
    snprintf(target, sizeof target, "%s/x", path + 5);
    printf("symlink to 129 names: errno %d\n", err(symlink(target, "/tmp/deeper")));
    struct stat st;
    int e = 0;
    for (int i = 0; i < calls; i++) e = err(stat("/tmp/start/x", &st));
    printf("%d stats through 41 links: errno %d\n", calls, e);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: links tour|many|hard\n"); return 2; }
    if (!strcmp(argv[1], "tour")) tour();
    else if (!strcmp(argv[1], "many")) many();
    else if (!strcmp(argv[1], "hard")) hard();
    else if (!strcmp(argv[1], "rights")) rights();
    else if (!strcmp(argv[1], "deep") && argc > 2) deep(atoi(argv[2]));
    else return 2;
    return 0;
}
