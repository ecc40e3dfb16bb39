#include "common/tempfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/xalloc.h"

/* Room for every temporary open at once (a few files and a directory per run); the registry is
 * static so that the signal thread never allocates while another thread may hold malloc's lock. */
#define MAX_TEMPS 64
#define NAME_KEEP 200 /* bytes of NAME kept in a temporary's name, within NAME_MAX with the rest */

static struct {
    char path[PATH_MAX];
    int is_dir, used;
} temps[MAX_TEMPS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- removal with system calls only (no allocation, no stdio) ---- */

struct dirent64_raw {
    unsigned long long ino;
    long long off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static int remove_at(int dirfd, const char *name, int depth)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if ((errno != EISDIR && errno != EPERM) || depth > 32)
        return -1;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[4096] __attribute__((aligned(8)));
    long n;
    int rc = 0;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);
            off += d->reclen;
            if (strcmp(d->name, ".") && strcmp(d->name, ".."))
                rc |= remove_at(fd, d->name, depth + 1);
        }
    close(fd);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

int cr_remove_tree(const char *path, cr_err *e)
{
    if (remove_at(AT_FDCWD, path, 0) != 0)
        return cr_fail(e, "%s: cannot remove: %s", path, strerror(errno));
    return 0;
}

/* ---- registry ---- */

void cr_tempfiles_add(const char *path, int is_dir)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_TEMPS; i++)
        if (!temps[i].used && strlen(path) < sizeof temps[i].path) {
            strcpy(temps[i].path, path);
            temps[i].is_dir = is_dir;
            temps[i].used = 1;
            break;
        }
    pthread_mutex_unlock(&lock);
}

void cr_tempfiles_forget(const char *path)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_TEMPS; i++)
        if (temps[i].used && !strcmp(temps[i].path, path))
            temps[i].used = 0;
    pthread_mutex_unlock(&lock);
}

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    pthread_mutex_lock(&lock); /* held to the end: nothing registers or renames any more */
    for (int i = 0; i < MAX_TEMPS; i++)
        if (temps[i].used)
            remove_at(AT_FDCWD, temps[i].path, 0);
    _exit(128 + sig);
}

void cr_tempfiles_install(void)
{
    static sigset_t set;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    sigemptyset(&set);
    /* a signal the parent chose to ignore (nohup, a shell's background job) stays ignored */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaddset(&set, sigs[i]);
    }
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, signal_thread, &set) == 0)
        pthread_detach(t);
}

/* ---- names ---- */

/* Splits path (trailing slashes ignored) into its directory ("." when none) and NAME. */
static void split(const char *path, char *dir, size_t dn, char *name, size_t nn)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    size_t slash = len;
    while (slash > 0 && path[slash - 1] != '/')
        slash--;
    if (slash == 0)
        snprintf(dir, dn, ".");
    else
        snprintf(dir, dn, "%.*s", (int)(slash > 1 ? slash - 1 : 1), path);
    size_t keep = len - slash < NAME_KEEP ? len - slash : NAME_KEEP;
    snprintf(name, nn, "%.*s", (int)keep, path + slash);
}

char *cr_tempfiles_template(const char *path)
{
    char dir[PATH_MAX], name[NAME_KEEP + 1];
    split(path, dir, sizeof dir, name, sizeof name);
    size_t n = strlen(dir) + strlen(name) + 64;
    char *t = xmalloc(n);
    snprintf(t, n, "%s/.%s.connrate-tmp-%ld-XXXXXX", dir, name, (long)getpid());
    return t;
}

void cr_tempfiles_sweep(const char *path)
{
    char dir[PATH_MAX], name[NAME_KEEP + 1], prefix[NAME_KEEP + 32];
    split(path, dir, sizeof dir, name, sizeof name);
    snprintf(prefix, sizeof prefix, ".%s.connrate-tmp-", name);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096] __attribute__((aligned(8)));
    long n;
    size_t plen = strlen(prefix);
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);
            off += d->reclen;
            if (strncmp(d->name, prefix, plen) != 0)
                continue;
            char *end;
            long pid = strtol(d->name + plen, &end, 10);
            if (end == d->name + plen || *end != '-' || pid <= 0 || pid == (long)getpid())
                continue;
            if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
                remove_at(fd, d->name, 0);
        }
    close(fd);
}
