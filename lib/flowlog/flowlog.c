/* Files to machines: each file streamed into connections (its records joined on their own),
 * then the inside hosts found across all of them; and the summary for stderr. */
#include "flowlog/flowlog_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void cr_flowlog_opts_init(cr_flowlog_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_flows = 1;
    o->join_gap_ms = 60000;
}

void cr_flowlog_set_free(cr_flowlog_set *s)
{
    for (size_t k = 0; k < s->nhosts; k++)
        free(s->hosts[k].machine_id);
    free(s->hosts);
    free(s->flow_store);
    free(s->dur_store);
    for (int k = 0; k < s->nfiles; k++)
        cr_flowlog_file_free(&s->files[k]);
    free(s->files);
    memset(s, 0, sizeof *s);
}

int cr_flowlog_read(const char *const *paths, int npaths, const cr_flowlog_opts *o,
                    cr_flowlog_set *out, cr_err *e)
{
    memset(out, 0, sizeof *out);
    if (npaths <= 0)
        return cr_fail(e, "no flow log given");
    out->files = xcalloc((size_t)npaths, sizeof *out->files);
    cr_fl_conns c;
    cr_fl_conns_init(&c);
    c.file_end = xcalloc((size_t)npaths, sizeof *c.file_end);
    cr_fl_hsample hs;
    cr_fl_hsample_init(&hs, o);
    for (int k = 0; k < npaths; k++) {
        cr_fl_builder b = {.out = &c, .sum = &out->files[k], .join_gap_ms = o->join_gap_ms,
                           .hosts = o->max_hosts ? &hs : NULL};
        out->nfiles = k + 1;
        if (cr_flowlog_stream(paths[k], cr_fl_builder_add, &b, &out->files[k], e) != 0) {
            free(b.pending);
            cr_fl_conns_free(&c);
            cr_fl_hsample_free(&hs);
            cr_flowlog_set_free(out);
            return -1;
        }
        cr_fl_builder_finish(&b);
        c.file_end[k] = c.n;
        c.nfiles = k + 1;
    }
    cr_fl_hsample_compact(&hs, &c, NULL, 1);
    out->population_hosts = cr_fl_hsample_population(&hs);
    out->sample_dropped = hs.dropped;
    out->held_peak = hs.held_peak;
    cr_fl_hsample_free(&hs);
    cr_fl_group(&c, o, out);
    cr_fl_conns_free(&c);
    return 0;
}

static void file_lines(FILE *out, const cr_flowlog_file *f)
{
    char res[32];
    if (f->resolution_ms <= 1)
        snprintf(res, sizeof res, "the ms");
    else if (f->resolution_ms == 1000)
        snprintf(res, sizeof res, "the second");
    else
        snprintf(res, sizeof res, "%g s", (double)f->resolution_ms / 1000);
    fprintf(out, "%s: %s, times to %s, %" PRIu64 " records: %" PRIu64 " connections", f->path,
            cr_flowlog_format_name(f->format), res, f->records, f->connections);
    if (f->joined_reply || f->joined_continued)
        fprintf(out, " (%" PRIu64 " records joined as replies, %" PRIu64 " as continuations)",
                f->joined_reply, f->joined_continued);
    fprintf(out, ", %" PRIu64 " open at the end; %zu inside hosts", f->open_at_end, f->hosts);
    if (f->dropped_hosts)
        fprintf(out, " (%zu under the minimum of connections)", f->dropped_hosts);
    fputc('\n', out);
    for (int k = 0; k < f->nskips; k++) {
        const cr_flowlog_skip *s = &f->skips[k];
        if (s->bad) {
            char line[1024];
            cr_flowlog_skip_format(f, s, line, sizeof line);
            fprintf(out, "  warning: %s\n", line);
        } else {
            fprintf(out, "  skipped %" PRIu64 ": %s\n", s->n, s->why);
        }
    }
}

void cr_flowlog_describe(FILE *out, const cr_flowlog_set *s)
{
    for (int k = 0; k < s->nfiles; k++)
        file_lines(out, &s->files[k]);
    uint64_t flows = 0;
    for (size_t k = 0; k < s->nhosts; k++)
        flows += s->hosts[k].nflows;
    fprintf(out, "inside hosts: %s; %zu machines with %" PRIu64 " outbound connections", s->inside,
            s->nhosts, flows);
    if (s->dropped_hosts)
        fprintf(out, "; %zu hosts with %" PRIu64 " connections under the minimum dropped",
                s->dropped_hosts, s->dropped_flows);
    fprintf(out, "; %" PRIu64 " connections not outbound\n", s->not_outbound);
    if (s->population_hosts)
        fprintf(out, "inside hosts sampled: %zu of %zu, uniformly by hash (--sample-hosts); "
                     "%" PRIu64 " records and connections of the others left out\n",
                s->nhosts + s->dropped_hosts, s->population_hosts, s->sample_dropped);
}
