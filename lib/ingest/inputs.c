#include "ingest/inputs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/xalloc.h"

char *cr_machine_id(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *id = xstrdup(base);
    /* file_path_sans_ext strips "([^.]+)\.[[:alnum:]]+$": the extension must be alphanumeric
     * and something other than a dot must precede it. */
    char *dot = strrchr(id, '.');
    if (dot && dot > id && dot[-1] != '.' && dot[1]) {
        int alnum = 1;
        for (const char *c = dot + 1; *c; c++)
            alnum &= isalnum((unsigned char)*c) != 0;
        if (alnum)
            *dot = 0;
    }
    return id;
}

static int supported_ext(const char *name)
{
    static const char *ext[] = {".rds", ".pcap", ".pcapng", ".cap", ".tsv",
                                ".csv", ".log", ".json", ".gz",     ".binetflow"};
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot, ext[i]) == 0)
            return 1;
    return 0;
}

static void add(cr_inputs *in, size_t *cap, const char *path)
{
    xgrow(&in->items, cap, (size_t)in->n + 1, sizeof *in->items);
    in->items[in->n].path = xstrdup(path);
    in->items[in->n].machine_id = cr_machine_id(path);
    in->n++;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(cr_inputs *in, size_t *cap, const char *dir, cr_err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return cr_fail(e, "%s: cannot read directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, ncap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!supported_ext(de->d_name))
            continue;
        xgrow(&names, &ncap, n + 1, sizeof *names);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_name);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *p = xmalloc(len);
        snprintf(p, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            add(in, cap, p);
            found++;
        }
        free(p);
        free(names[i]);
    }
    free(names);
    if (!found)
        return cr_fail(e, "%s: no captures or logs here (looked for .Rds, .pcap, .pcapng, .cap, "
                          ".tsv, .csv, .log, .json, .gz, .binetflow files)", dir);
    return 0;
}

static int cmp_input(const void *a, const void *b)
{
    const cr_input *x = a, *y = b;
    return strcmp(x->machine_id, y->machine_id);
}

int cr_inputs_collect(cr_inputs *out, char *const *paths, int npaths, cr_err *e)
{
    if (cr_inputs_gather(out, paths, npaths, e) != 0)
        return -1;
    if (cr_inputs_check_unique(out, e) != 0) {
        cr_inputs_free(out);
        return -1;
    }
    return 0;
}

int cr_inputs_gather(cr_inputs *out, char *const *paths, int npaths, cr_err *e)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    if (npaths == 0)
        return cr_fail(e, "no input given (name capture files or directories)");
    for (int i = 0; i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            cr_fail(e, "%s: %s", paths[i], strerror(errno));
            goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
            if (scan_dir(out, &cap, paths[i], e) != 0)
                goto fail;
        } else {
            add(out, &cap, paths[i]);
        }
    }
    if (out->n)
        qsort(out->items, (size_t)out->n, sizeof *out->items, cmp_input);
    return 0;
fail:
    cr_inputs_free(out);
    return -1;
}

int cr_inputs_check_unique(const cr_inputs *in, cr_err *e)
{
    for (int i = 1; i < in->n; i++)
        if (!strcmp(in->items[i].machine_id, in->items[i - 1].machine_id))
            return cr_fail(e, "%s and %s: both give machine_id '%s' (one capture per machine)",
                           in->items[i - 1].path, in->items[i].path, in->items[i].machine_id);
    return 0;
}

void cr_inputs_take(cr_inputs *in, int (*pick)(const char *path, void *ctx), void *ctx,
                    cr_inputs *taken)
{
    memset(taken, 0, sizeof *taken);
    int kept = 0;
    for (int i = 0; i < in->n; i++) {
        if (pick(in->items[i].path, ctx)) {
            taken->items = xrealloc(taken->items, ((size_t)taken->n + 1) * sizeof *taken->items);
            taken->items[taken->n++] = in->items[i];
        } else {
            in->items[kept++] = in->items[i];
        }
    }
    in->n = kept;
}

void cr_inputs_free(cr_inputs *in)
{
    for (int i = 0; i < in->n; i++) {
        free(in->items[i].path);
        free(in->items[i].machine_id);
    }
    free(in->items);
    memset(in, 0, sizeof *in);
}
