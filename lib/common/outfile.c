#include "common/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tempfiles.h"
#include "common/xalloc.h"

/* umask cannot be read without setting it; outputs are made before any thread writes files. */
static mode_t current_umask(void)
{
    mode_t m = umask(022);
    umask(m);
    return m;
}

int cr_mkdirs(const char *dir, cr_err *e)
{
    char *p = xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            cr_fail(e, "%s: cannot create directory: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        rc = cr_fail(e, "%s: cannot create directory: %s", p, strerror(errno));
    free(p);
    return rc;
}

int cr_outfile_open(cr_outfile *o, const char *path, cr_err *e)
{
    memset(o, 0, sizeof *o);
    if (path && !*path)
        return cr_fail(e, "empty output file name");
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    /* Devices and pipes (/dev/null, a FIFO) are written in place: renaming over them would
     * replace the device with a file. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cr_fail(e, "%s: is a directory (expected a file name)", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        o->fp = fopen(path, "w");
        if (!o->fp)
            return cr_fail(e, "%s: cannot open for writing: %s", path, strerror(errno));
        o->path = xstrdup(path);
        return 0;
    }
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (cr_mkdirs(dir, e) != 0) {
            free(dir);
            return -1;
        }
    }
    free(dir);
    cr_tempfiles_sweep(path);
    o->tmp = cr_tempfiles_template(path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        cr_fail(e, "%s: cannot create output file: %s", path, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    cr_tempfiles_add(o->tmp, 0);
    fchmod(fd, 0666 & ~current_umask());
    o->fp = fdopen(fd, "w");
    o->path = xstrdup(path);
    setvbuf(o->fp, NULL, _IOFBF, 1 << 16);
    return 0;
}

int cr_outfile_commit(cr_outfile *o, cr_err *e)
{
    if (!o->fp)
        return 0;
    if (!o->path) {
        if (fflush(o->fp) != 0 || ferror(o->fp))
            return cr_fail(e, "stdout: write error: %s", strerror(errno));
        o->fp = NULL;
        return 0;
    }
    int bad = ferror(o->fp);
    if (fclose(o->fp) != 0)
        bad = 1;
    o->fp = NULL;
    if (bad) {
        cr_fail(e, "%s: write error: %s", o->path, strerror(errno));
        cr_outfile_abort(o);
        return -1;
    }
    if (o->tmp && rename(o->tmp, o->path) != 0) {
        cr_fail(e, "%s: cannot rename into place: %s", o->path, strerror(errno));
        cr_outfile_abort(o);
        return -1;
    }
    if (o->tmp)
        cr_tempfiles_forget(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    free(o->path);
    o->path = NULL;
    return 0;
}

void cr_outfile_abort(cr_outfile *o)
{
    if (o->fp && o->path)
        fclose(o->fp);
    o->fp = NULL;
    if (o->tmp) {
        unlink(o->tmp);
        cr_tempfiles_forget(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
    }
    free(o->path);
    o->path = NULL;
}

/* ---- outputs that are inputs ---- */

/* realpath's answer is under dir (or is dir). */
static int inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/' || !strcmp(dir, "/"));
}

int cr_output_check(const char *out, int is_dir, char *const *inputs, int ninputs, cr_err *e)
{
    struct stat so, si;
    if (!out || !*out || stat(out, &so) != 0)
        return 0;
    char *ro = realpath(out, NULL);
    int rc = 0;
    for (int i = 0; i < ninputs && !rc; i++) {
        if (stat(inputs[i], &si) != 0)
            continue;
        if (so.st_dev == si.st_dev && so.st_ino == si.st_ino) {
            rc = cr_fail(e, "%s: output is the input %s; refusing to overwrite it", out,
                         inputs[i]);
            break;
        }
        char *ri = is_dir && ro ? realpath(inputs[i], NULL) : NULL;
        if (ri && inside(ri, ro))
            rc = cr_fail(e, "%s: output directory holds the input %s; refusing to replace it",
                         out, inputs[i]);
        free(ri);
    }
    free(ro);
    return rc;
}

/* ---- directory outputs ---- */

static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *x;
    int empty = 1;
    while (empty && (x = readdir(d)))
        empty = !strcmp(x->d_name, ".") || !strcmp(x->d_name, "..");
    closedir(d);
    return empty;
}

int cr_outdir_open(cr_outdir *d, const char *path, int force, cr_err *e)
{
    memset(d, 0, sizeof *d);
    if (!path || !*path)
        return cr_fail(e, "empty output directory name");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return cr_fail(e, "%s: exists and is not a directory", path);
        if (!force && !dir_is_empty(path))
            return cr_fail(e, "%s: exists and is not empty (--force replaces it whole)", path);
    }
    d->path = xstrdup(path);
    size_t len = strlen(d->path);
    while (len > 1 && d->path[len - 1] == '/')
        d->path[--len] = 0;
    char *parent = xstrdup(d->path), *slash = strrchr(parent, '/');
    int rc = 0;
    if (slash && slash != parent) {
        *slash = 0;
        rc = cr_mkdirs(parent, e);
    }
    free(parent);
    if (rc != 0) {
        cr_outdir_abort(d);
        return -1;
    }
    cr_tempfiles_sweep(d->path);
    d->tmp = cr_tempfiles_template(d->path);
    if (!mkdtemp(d->tmp)) {
        cr_fail(e, "%s: cannot create a temporary directory beside it: %s", d->path,
                strerror(errno));
        free(d->tmp);
        d->tmp = NULL;
        cr_outdir_abort(d);
        return -1;
    }
    cr_tempfiles_add(d->tmp, 1);
    chmod(d->tmp, 0777 & ~current_umask());
    d->force = force;
    return 0;
}

int cr_outdir_commit(cr_outdir *d, cr_err *e)
{
    char *old = NULL;
    struct stat st;
    if (stat(d->path, &st) == 0 && !dir_is_empty(d->path)) {
        if (!d->force)
            return cr_fail(e, "%s: became non-empty during the run; results left in %s", d->path,
                           d->tmp);
        old = cr_tempfiles_template(d->path);
        if (!mkdtemp(old) || rename(d->path, old) != 0) {
            cr_fail(e, "%s: cannot move the old directory aside: %s", d->path, strerror(errno));
            free(old);
            return -1;
        }
        cr_tempfiles_add(old, 1);
    }
    if (rename(d->tmp, d->path) != 0) {
        cr_fail(e, "%s: cannot rename into place: %s", d->path, strerror(errno));
        if (old && rename(old, d->path) == 0)
            cr_tempfiles_forget(old);
        free(old);
        return -1;
    }
    cr_tempfiles_forget(d->tmp);
    free(d->tmp);
    d->tmp = NULL;
    if (old) {
        cr_remove_tree(old, NULL);
        cr_tempfiles_forget(old);
        free(old);
    }
    return 0;
}

void cr_outdir_abort(cr_outdir *d)
{
    if (d->tmp) {
        cr_remove_tree(d->tmp, NULL);
        cr_tempfiles_forget(d->tmp);
        free(d->tmp);
    }
    free(d->path);
    memset(d, 0, sizeof *d);
}
