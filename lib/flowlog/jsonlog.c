/* JSON flow logs: Zeek's JSON lines (one object per line) and nfdump's `-o json` (an array of
 * objects over many lines). The members of the first object tell which; after a broken object
 * the reader resumes at the next line that opens one, and a line opening an object while
 * another is unfinished ends that one as cut short. */
#include "flowlog/flowlog_internal.h"

#include <string.h>

static int kind_of(const cr_fl_json *j)
{
    if (cr_fl_json_get(j, "id.orig_h") || cr_fl_json_get(j, "id.resp_h"))
        return CR_FLOWLOG_ZEEK_JSON;
    if (cr_fl_json_get(j, "first") &&
        (cr_fl_json_get(j, "src4_addr") || cr_fl_json_get(j, "src6_addr") ||
         cr_fl_json_get(j, "proto")))
        return CR_FLOWLOG_NFDUMP_JSON;
    return CR_FLOWLOG_UNKNOWN;
}

static int object(cr_fl_in *in, cr_fl_json *j, int *format, int *decided)
{
    char err[128];
    in->sum->records++;
    if (cr_fl_json_parse(j, err, sizeof err) < 0)
        return cr_fl_skip(in, "bad JSON", 1, "%s", err);
    int kind = kind_of(j);
    if (kind == CR_FLOWLOG_UNKNOWN)
        return cr_fl_skip(in, "not a flow record", 1,
                          "a JSON object with neither Zeek's id.orig_h nor nfdump's first");
    if (!*decided) {
        *format = kind;
        *decided = 1;
    } else if (kind != *format) {
        return cr_fail(in->e, "%s:%zu: a %s record in a %s file: a file must hold one format",
                       in->path, in->line, cr_flowlog_format_name(kind),
                       cr_flowlog_format_name(*format));
    }
    return kind == CR_FLOWLOG_ZEEK_JSON ? cr_fl_zeek_json_record(in, j)
                                        : cr_fl_nfdump_json_record(in, j);
}

int cr_fl_read_json(cr_fl_in *in, int *format)
{
    cr_fl_json j = {0};
    cr_csv_field *f;
    int n = 0, rc = 0, decided = 0, resync = 0;
    size_t begin = 0; /* line on which the object being framed began */
    char err[128];
    while (rc == 0 && (n = cr_csv_next(in->csv, &f, in->e)) > 0) {
        size_t line = cr_csv_line(in->csv), off = 0;
        const char *s = f[0].s;
        int opens = s[strspn(s, " \t")] == '{';
        if (resync) {
            if (!opens)
                continue;
            resync = 0;
        }
        if (opens && j.depth > 0) {
            /* objects are flat or nest within one line: this one was cut short */
            in->line = begin;
            in->sum->records++;
            cr_fl_skip(in, "bad JSON", 1, "a JSON object cut short by the next line");
            cr_fl_json_reset(&j);
        }
        while (rc == 0 && off < f[0].len) {
            if (j.len == 0)
                begin = line;
            size_t used;
            int got = cr_fl_json_feed(&j, s + off, f[0].len - off, &used, err, sizeof err);
            off += used;
            in->line = begin;
            if (got < 0) {
                in->line = line;
                if ((rc = cr_fl_check_mixed(in, s, f[0].len)) < 0)
                    break;
                in->sum->records++;
                cr_fl_skip(in, "bad JSON", 1, "%s", err);
                cr_fl_json_reset(&j);
                resync = 1;
                break;
            }
            if (got == 0)
                break;
            rc = object(in, &j, format, &decided);
            cr_fl_json_reset(&j);
        }
    }
    if (rc == 0 && n == 0 && j.len > 0) {
        in->line = begin;
        in->sum->records++;
        cr_fl_skip(in, "bad JSON", 1, "the file ends inside a JSON object");
    }
    cr_fl_json_free(&j);
    return rc < 0 || n < 0 ? -1 : 0;
}
