#include "flows/load.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "common/pool.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "ingest/rds.h"
#include "ingest/source_ahead.h"

int cr_local_ip_parse(const char *arg, cr_local_ip *out, cr_err *e)
{
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return cr_fail(e, "--local-ip %s: expected MACHINE=IP (e.g. ws01=192.168.1.34)", arg);
    if (cr_addr_parse(eq + 1, strlen(eq + 1), &out->addr) != 0)
        return cr_fail(e, "--local-ip %s: '%s' is not an IPv4 or IPv6 address", arg, eq + 1);
    out->machine_id = strndup(arg, (size_t)(eq - arg));
    return 0;
}

typedef struct {
    const cr_inputs *in;
    int ahead;   /* read each file ahead on a thread of its own */
    int *order;  /* the pool's job k reads input order[k] */
    cr_machine *machines;
    cr_err *errs;
    int *failed;
    atomic_int done;
} job;

static void load_one(void *arg, size_t k, int worker)
{
    (void)worker;
    job *j = arg;
    const int i = j->order[k];
    cr_machine *m = &j->machines[i];
    const cr_input *it = &j->in->items[i];
    cr_machine_init(m, it->machine_id, i + 1, it->path);
    cr_source *s;
    if (cr_source_open(&s, it->path, &j->errs[i]) != 0) {
        j->failed[i] = 1;
    } else {
        if (j->ahead)
            s = cr_source_ahead(s);
        j->failed[i] = cr_machine_ingest(m, s, &j->errs[i]) != 0;
        cr_source_close(s);
    }
    int d = atomic_fetch_add(&j->done, 1) + 1;
    cr_progress_step("reading captures", d, j->in->n);
}

typedef struct {
    off_t size;
    int index;
} sized;

static int larger_first(const void *x, const void *y)
{
    const sized *a = x, *b = y;
    if (a->size != b->size)
        return a->size < b->size ? 1 : -1;
    return (a->index > b->index) - (a->index < b->index);
}

/* Largest files first: with more files than threads, a big file started last would keep one
 * core busy alone at the end (each machine still lands at its own index). */
static int *largest_first(const cr_inputs *in)
{
    sized *s = xmalloc((size_t)(in->n + 1) * sizeof *s);
    for (int i = 0; i < in->n; i++) {
        struct stat st;
        s[i] = (sized){stat(in->items[i].path, &st) == 0 ? st.st_size : 0, i};
    }
    qsort(s, (size_t)in->n, sizeof *s, larger_first);
    int *order = xmalloc((size_t)(in->n + 1) * sizeof *order);
    for (int i = 0; i < in->n; i++)
        order[i] = s[i].index;
    free(s);
    return order;
}

static int check_span(const cr_machine *m, double max_span_s, cr_err *e)
{
    double span = ((double)m->last_ms - (double)m->first_ms) / 1000;
    if (max_span_s <= 0 || span <= max_span_s)
        return 0;
    char a[64], b[64];
    cr_utc_text(m->first_ms, a, sizeof a);
    cr_utc_text(m->last_ms, b, sizeof b);
    return cr_fail(e, "%s: packets span %.1f days, from record %" PRIu64 " at %s to record %" PRIu64
                   " at %s, more than --max-span (%.4g days): a misdated packet? "
                   "(--max-span raises the limit)", m->path, span / 86400, m->first_id, a,
                   m->last_id, b, max_span_s / 86400);
}

int cr_machines_load(const cr_inputs *in, const cr_load_options *o, cr_machine **out, cr_err *e)
{
    const cr_local_ip *given = o->given;
    int ngiven = o->ngiven;
    *out = NULL;
    for (int g = 0; g < ngiven; g++) {
        int found = 0;
        for (int i = 0; i < in->n; i++)
            found |= !strcmp(in->items[i].machine_id, given[g].machine_id);
        if (!found)
            return cr_fail(e, "--local-ip %s: no input has machine_id '%s'", given[g].machine_id,
                           given[g].machine_id);
    }
    /* Files are independent, so one thread per file is the first use of the cores; cores left
     * over split each file in two: its reader on one, connection tracking on another. */
    int threads = cr_pool_threads(o->threads);
    job j = {.in = in, .ahead = in->n < threads, .order = largest_first(in)};
    j.machines = xcalloc((size_t)in->n, sizeof *j.machines);
    j.errs = xcalloc((size_t)in->n, sizeof *j.errs);
    j.failed = xcalloc((size_t)in->n, sizeof *j.failed);
    atomic_init(&j.done, 0);
    cr_pool_run((size_t)in->n, threads, load_one, &j);
    cr_rds_drop_cache();
    cr_progress_done();
    free(j.order);
    int rc = 0;
    for (int i = 0; i < in->n && !rc; i++)
        if (j.failed[i]) {
            *e = j.errs[i];
            rc = -1;
        } else {
            j.machines[i].scope = o->scope;
            rc = check_span(&j.machines[i], o->max_span_s, e);
        }
    free(j.errs);
    free(j.failed);
    if (rc) {
        cr_machines_free(j.machines, in->n);
        return -1;
    }
    for (int i = 0; i < in->n; i++) {
        for (int g = 0; g < ngiven; g++)
            if (!strcmp(given[g].machine_id, in->items[i].machine_id))
                cr_machine_give_local(&j.machines[i], &given[g].addr);
        cr_machine_infer_local(&j.machines[i]);
    }
    *out = j.machines;
    return 0;
}

void cr_machines_free(cr_machine *machines, int n)
{
    if (!machines)
        return;
    for (int i = 0; i < n; i++)
        cr_machine_free(&machines[i]);
    free(machines);
}

void cr_machine_describe(FILE *f, const cr_machine *m)
{
    fprintf(f, "%s (%s, %s): %" PRIu64 " TCP + %" PRIu64 " UDP packets", m->machine_id, m->kind,
            m->path, m->tcp_packets, m->udp_packets);
    uint64_t dropped = 0;
    for (int i = 0; i < m->ndrops; i++)
        dropped += m->drops[i].n;
    if (dropped) {
        fprintf(f, "; %" PRIu64 " records skipped (", dropped);
        for (int i = 0; i < m->ndrops; i++)
            fprintf(f, "%s%s: %" PRIu64, i ? ", " : "", m->drops[i].why, m->drops[i].n);
        fputc(')', f);
    }
    fprintf(f, "; %.0f s captured\n", (double)(m->last_ms - m->first_ms) / 1000.0);
    for (int fam = 0; fam < 2; fam++) {
        const char *name = fam ? "IPv6" : "IPv4";
        if (!m->local_set[fam]) {
            fprintf(f, "  local %s: none (no TCP row with completeness 0 from an %s address)\n",
                    name, name);
            continue;
        }
        char a[CR_ADDR_STRLEN];
        cr_addr_format(&m->local[fam], a);
        if (m->local_given[fam])
            fprintf(f, "  local %s: %s (given; sent %" PRIu64 " of %" PRIu64
                       " %s TCP rows with completeness 0)\n",
                    name, a, m->local_votes[fam], m->zero_rows_tcp[fam], name);
        else
            fprintf(f, "  local %s: %s (inferred: sent %" PRIu64 " of %" PRIu64
                       " %s TCP rows with completeness 0)\n",
                    name, a, m->local_votes[fam], m->zero_rows_tcp[fam], name);
    }
}
