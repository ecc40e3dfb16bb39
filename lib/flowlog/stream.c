/* One file, one record at a time: detection, the reader of its format, and the accounting of
 * what was used and what was left out (and why, with the first lines of each reason). */
#include "flowlog/flowlog_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

const char *cr_flowlog_format_name(int format)
{
    static const char *const names[CR_FLOWLOG_NFORMATS] = {
        "unknown",    "zeek-tsv", "zeek-json", "nfdump-csv", "nfdump-json",
        "argus-csv",  "pan-os",   "fortigate", "cisco-asa",  "connrate-flows"};
    return format >= 0 && format < CR_FLOWLOG_NFORMATS ? names[format] : "unknown";
}

int cr_fl_skip(cr_fl_in *in, const char *why, int bad, const char *fmt, ...)
{
    cr_flowlog_file *s = in->sum;
    int k = 0;
    while (k < s->nskips && strcmp(s->skips[k].why, why))
        k++;
    if (k == s->nskips) {
        if (s->nskips == CR_FLOWLOG_MAX_SKIPS) /* reasons are a fixed set; never reached */
            k = s->nskips - 1;
        else
            s->nskips++;
    }
    cr_flowlog_skip *sk = &s->skips[k];
    if (sk->n == 0) {
        sk->why = why;
        sk->bad = bad;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sk->first, sizeof sk->first, fmt, ap);
        va_end(ap);
    }
    if (sk->n < CR_FLOWLOG_SKIP_LINES)
        sk->lines[sk->n] = in->line;
    sk->n++;
    return 0;
}

void cr_flowlog_skip_format(const cr_flowlog_file *f, const cr_flowlog_skip *s, char *buf,
                            size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s:%zu: %s", f->path, s->lines[0], s->first);
    if (s->n == 1 || n >= len)
        return;
    n += (size_t)snprintf(buf + n, len - n, " (%" PRIu64 " records skipped for this, lines",
                          s->n);
    for (uint64_t i = 0; i < s->n && i < CR_FLOWLOG_SKIP_LINES && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s %zu", i ? "," : "", s->lines[i]);
    if (n < len)
        snprintf(buf + n, len - n, "%s)", s->n > CR_FLOWLOG_SKIP_LINES ? ", ..." : "");
}

int cr_fl_emit(cr_fl_in *in, cr_flowlog_rec *r, int64_t res_ms)
{
    cr_flowlog_file *s = in->sum;
    r->line = in->line;
    if (res_ms > s->resolution_ms)
        s->resolution_ms = res_ms;
    s->used++;
    int64_t seen = r->f.end_ms != CR_NA_I64 && r->f.end_ms > r->f.last_ms ? r->f.end_ms
                                                                         : r->f.last_ms;
    if (s->used == 1 || r->f.start_ms < s->first_ms)
        s->first_ms = r->f.start_ms;
    if (s->used == 1 || seen > s->last_ms)
        s->last_ms = seen;
    return in->cb ? in->cb(in->ctx, r, in->e) : 0;
}

/* JSON lines are one family whatever their members. */
static int family(int format)
{
    return format == CR_FLOWLOG_NFDUMP_JSON ? CR_FLOWLOG_ZEEK_JSON : format;
}

int cr_fl_next_row(cr_fl_in *in, cr_csv_field **f)
{
    int n;
    while ((n = cr_csv_next(in->csv, f, in->e)) > 0) {
        in->line = cr_csv_line(in->csv);
        if (n > 1 || (*f)[0].len > 0)
            break;
    }
    return n;
}

int cr_fl_header_row(cr_fl_in *in, char **header, const char *text)
{
    if (*header && !strcmp(*header, text))
        return 0;
    if (*header)
        cr_fl_skip(in, "header changed mid-file", 1,
                   "the header differs from the first; the rows below are read by it");
    free(*header);
    *header = xstrdup(text);
    return 1;
}

int cr_fl_check_mixed(cr_fl_in *in, const char *text, size_t len)
{
    int other = cr_fl_classify(text, len);
    if (other == CR_FLOWLOG_UNKNOWN || family(other) == family(in->sum->format))
        return 0;
    return cr_fail(in->e, "%s:%zu: a %s line in a %s file: a file must hold one format",
                   in->path, in->line,
                   family(other) == CR_FLOWLOG_ZEEK_JSON ? "JSON" : cr_flowlog_format_name(other),
                   cr_flowlog_format_name(in->sum->format));
}

const char *cr_fl_join_fields(cr_fl_in *in, const cr_csv_field *f, int n, char delim,
                              size_t *len)
{
    size_t need = 1;
    for (int i = 0; i < n; i++)
        need += f[i].len + 1;
    xgrow(&in->join, &in->join_cap, need, 1);
    char *buf = in->join;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            buf[k++] = delim;
        memcpy(buf + k, f[i].s, f[i].len);
        k += f[i].len;
    }
    buf[k] = 0;
    *len = k;
    return buf;
}

int cr_fl_repeat(cr_fl_in *in, const char *s, size_t len)
{
    if (in->prev && in->prev_len == len && !memcmp(in->prev, s, len)) {
        cr_fl_skip(in, "repeated line", 0, "the line before, repeated");
        return 1;
    }
    xgrow(&in->prev, &in->prev_cap, len + 1, 1);
    memcpy(in->prev, s, len);
    in->prev_len = len;
    return 0;
}

static void reader_setup(int format, char *delim, int *flags)
{
    *flags = 0;
    switch (format) {
    case CR_FLOWLOG_ZEEK_TSV: *delim = '\t'; *flags = CR_CSV_PLAIN; break;
    case CR_FLOWLOG_FLOWS: *delim = ','; *flags = CR_CSV_PLAIN; break;
    case CR_FLOWLOG_NFDUMP_CSV:
    case CR_FLOWLOG_ARGUS:
    case CR_FLOWLOG_PANOS: *delim = ','; break;
    default: *delim = 0; break; /* JSON and key=value / syslog text: one line per record */
    }
}

/* "12 records: 5 not TCP or UDP, 7 unparsable time" */
static void skips_line(const cr_flowlog_file *s, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%" PRIu64 " record%s read", s->records,
                                s->records == 1 ? "" : "s");
    for (int k = 0; k < s->nskips && n < len; k++)
        n += (size_t)snprintf(buf + n, len - n, "%s %" PRIu64 " %s", k ? "," : ":",
                              s->skips[k].n, s->skips[k].why);
}

int cr_flowlog_stream(const char *path, cr_flowlog_cb cb, void *ctx, cr_flowlog_file *sum,
                      cr_err *e)
{
    memset(sum, 0, sizeof *sum);
    sum->path = xstrdup(path);
    sum->first_ms = sum->last_ms = CR_NA_I64;
    int format = cr_flowlog_detect(path, e);
    if (format == CR_FLOWLOG_UNKNOWN)
        return -1;
    sum->format = format;
    char delim;
    int flags;
    reader_setup(format, &delim, &flags);
    cr_fl_in in = {.path = path, .sum = sum, .cb = cb, .ctx = ctx, .e = e};
    if (cr_csv_open(&in.csv, path, delim, flags, e) != 0)
        return -1;
    int rc;
    switch (format) {
    case CR_FLOWLOG_ZEEK_TSV: rc = cr_fl_read_zeek_tsv(&in); break;
    case CR_FLOWLOG_ZEEK_JSON: rc = cr_fl_read_json(&in, &sum->format); break;
    case CR_FLOWLOG_NFDUMP_CSV: rc = cr_fl_read_nfdump_csv(&in); break;
    case CR_FLOWLOG_ARGUS: rc = cr_fl_read_argus(&in); break;
    case CR_FLOWLOG_PANOS: rc = cr_fl_read_panos(&in); break;
    case CR_FLOWLOG_FORTIOS: rc = cr_fl_read_fortios(&in); break;
    case CR_FLOWLOG_ASA: rc = cr_fl_read_asa(&in); break;
    default: rc = cr_fl_read_flows(&in); break;
    }
    cr_csv_close(in.csv);
    free(in.prev);
    free(in.join);
    if (rc == 0 && sum->used == 0) {
        char what[512];
        skips_line(sum, what, sizeof what);
        rc = cr_fail(e, "%s: no usable connection records in this %s file (%s)", path,
                     cr_flowlog_format_name(sum->format), what);
    }
    return rc;
}

void cr_flowlog_file_free(cr_flowlog_file *f)
{
    free(f->path);
    memset(f, 0, sizeof *f);
}
