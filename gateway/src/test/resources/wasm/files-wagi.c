/*
 * files-wagi.wasm: a WAGI function that shows what an invocation's files look like (FunctionFilesInvocationTest).
 * Built by build-files-wagi.sh. QUERY_STRING picks what it does; it answers text/plain, one "what: result" line
 * each, result an errno number (wasi-libc's are WASI's: 51 NOSPC, 76 NOTCAPABLE: no such preopen) or what it read.
 *   tour  lists /assets, reads /assets/greeting.txt, says whether /tmp/left.txt exists and writes it, then fills
 *         /tmp with 4 KiB files until a write fails: how many fitted and the errno.
 *   none  tries to open /assets and /tmp.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { printf("list %s: errno %d\n", dir, errno); return; }
    char *names[64]; int n = 0; struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
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
    fclose(f);
    printf("read %s: %s\n", path, buf);
}

static void tour(void) {
    list("/assets");
    cat("/assets/greeting.txt");
    struct stat st;
    printf("left.txt before: %s\n", stat("/tmp/left.txt", &st) == 0 ? "present" : "absent");
    FILE *left = fopen("/tmp/left.txt", "w");
    if (left) { fputs("x", left); fclose(left); }
    printf("left.txt after: %s\n", stat("/tmp/left.txt", &st) == 0 ? "present" : "absent");
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
}

static void none(void) {
    printf("open /assets: errno %d\n", open("/assets", O_RDONLY | O_DIRECTORY) < 0 ? errno : 0);
    printf("open /tmp: errno %d\n", open("/tmp", O_RDONLY | O_DIRECTORY) < 0 ? errno : 0);
}

int main(void) {
    const char *q = getenv("QUERY_STRING");
    printf("Content-Type: text/plain\n\n");
    if (q && !strcmp(q, "tour")) tour();
    else if (q && !strcmp(q, "none")) none();
    else printf("usage: ?tour or ?none\n");
    return 0;
}
