#include "common/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

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
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    /* Devices and pipes (/dev/null, a FIFO) are written in place: renaming over them would
     * replace the device with a file. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
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
    size_t n = strlen(path) + 16;
    o->tmp = xmalloc(n);
    snprintf(o->tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        cr_fail(e, "%s: cannot create output file: %s", path, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    fchmod(fd, 0644);
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
        free(o->tmp);
        o->tmp = NULL;
    }
    free(o->path);
    o->path = NULL;
}
