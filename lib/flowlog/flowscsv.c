/* connrate's own flows table (`connrate flows`, a synth truth): already outbound connections,
 * one machine per machine_id, read by the flows module's row rules. A row those rules refuse is
 * a bad record here, not the end of the file. */
#include "flowlog/flowlog_internal.h"

#include <string.h>

#include "flows/flows_read.h"

int cr_fl_read_flows(cr_fl_in *in)
{
    cr_csv_field *f;
    int n = 0, rc = 0;
    while (rc == 0 && (n = cr_fl_next_row(in, &f)) > 0) {
        if (cr_flows_is_header(f, n))
            continue;
        in->sum->records++;
        cr_flowlog_rec r = {.kind = CR_FLOWLOG_WHOLE, .syn = -1, .local_orig = -1};
        cr_err why;
        if (cr_flows_parse_row(f, n, in->path, in->line, &r.f, &why) < 0) {
            size_t len;
            const char *text = cr_fl_join_fields(in, f, n, ',', &len);
            const char *m = strstr(why.msg + strlen(in->path), ": ");
            if ((rc = cr_fl_check_mixed(in, text, len)) == 0)
                cr_fl_skip(in, "bad row", 1, "%s", m ? m + 2 : why.msg);
            continue;
        }
        r.machine_id = f[0].s;
        int64_t d = (r.f.proto == CR_PROTO_UDP || r.f.reason == CR_REASON_OPEN ? r.f.last_ms
                                                                              : r.f.end_ms) -
                    r.f.start_ms;
        r.dur = cr_fl_dur(d, 1);
        if (r.f.reason == CR_REASON_OPEN)
            r.dur.hi_ms = CR_NA_I64;
        rc = cr_fl_emit(in, &r, 1);
    }
    return rc < 0 || n < 0 ? -1 : 0;
}
