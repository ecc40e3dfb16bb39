/* PAN-OS TRAFFIC logs, CSV over syslog. A session is logged when it ends (subtype end, or
 * deny/drop for sessions the policy refused) with its start time and elapsed seconds; a start
 * log, when enabled, is paired with its end by serial and session id, and one still unpaired
 * at the end of the file was open then. Times are the firewall's local time without a zone:
 * read as UTC. Field positions are PAN-OS's, stable since 6.1 (later versions add fields at
 * the end): 2 serial, 3 type, 4 subtype, 7/8 source/destination, 22 session id, 24/25 ports,
 * 29 protocol, 34 packets, 35 start time, 36 elapsed, 46 session end reason. */
#include "flowlog/flowlog_internal.h"

#include <string.h>

enum { P_SERIAL = 2, P_TYPE = 3, P_SUBTYPE = 4, P_SRC = 7, P_DST = 8, P_SESSION = 22,
       P_SPORT = 24, P_DPORT = 25, P_PROTO = 29, P_PACKETS = 34, P_START = 35,
       P_ELAPSED = 36, P_NFIELDS = 37, P_END_REASON = 46 };

static uint8_t tcp_reason(const cr_csv_field *f, int n)
{
    if (n <= P_END_REASON)
        return CR_REASON_ENDED;
    const char *why = f[P_END_REASON].s;
    return !strcmp(why, "tcp-fin")         ? CR_REASON_FIN
           : !strncmp(why, "tcp-rst", 7)   ? CR_REASON_RST
                                           : CR_REASON_ENDED;
}

static int traffic(cr_fl_in *in, cr_fl_pending *open, const cr_csv_field *f, int n)
{
    const char *sub = f[P_SUBTYPE].s;
    int start = !strcmp(sub, "start");
    if (!*sub)
        return cr_fl_skip(in, "missing field", 1, "subtype empty");
    if (!start && strcmp(sub, "end") && strcmp(sub, "deny") && strcmp(sub, "drop"))
        return cr_fl_skip(in, "not a session record", 0, "subtype '%.20s'", sub);
    if (n < P_NFIELDS)
        return cr_fl_skip(in, "wrong field count", 1, "%d fields, a TRAFFIC log has at least %d",
                          n, P_NFIELDS);
    cr_flowlog_rec r = {.kind = CR_FLOWLOG_WHOLE, .syn = -1, .local_orig = -1};
    if (!(r.f.proto = cr_fl_proto(f[P_PROTO].s)))
        return cr_fl_skip(in, "not TCP or UDP", 0, "protocol '%.20s'", f[P_PROTO].s);
    if (cr_fl_endpoints(in, &r, f[P_SRC].s, f[P_SPORT].s, f[P_DST].s, f[P_DPORT].s) < 0)
        return 0;
    int res;
    uint64_t elapsed, session;
    if (cr_fl_datetime(f[P_START].s, f[P_START].len, &r.f.start_ms, &res) < 0)
        return cr_fl_skip(in, "unparsable time", 1, "start time '%.40s' is not a date and time",
                          f[P_START].s);
    if (cr_fl_count(f[P_ELAPSED].s, &elapsed) < 0 || elapsed > INT32_MAX)
        return cr_fl_skip(in, "unparsable duration", 1, "elapsed '%.40s' is not seconds",
                          f[P_ELAPSED].s);
    if (cr_fl_count(f[P_SESSION].s, &session) < 0)
        return cr_fl_skip(in, "missing field", 1, "session id '%.40s'", f[P_SESSION].s);
    uint8_t id[CR_FL_ID_LEN];
    cr_fl_session_id(id, session, f[P_SERIAL].s);
    int64_t d = (int64_t)elapsed * 1000;
    r.f.last_ms = r.f.start_ms + d;
    cr_fl_count(f[P_PACKETS].s, &r.f.packets);
    if (start) {
        r.f.end_ms = CR_NA_I64;
        r.f.reason = CR_REASON_OPEN;
        r.dur = (cr_flowlog_dur){d, CR_NA_I64};
        r.line = in->line;
        if (!cr_fl_pending_get(open, id))
            cr_fl_pending_put(open, id, &r, res > 1000 ? res : 1000);
        return 0;
    }
    cr_fl_pending_del(open, id);
    r.f.end_ms = r.f.last_ms;
    r.f.reason = r.f.proto == CR_PROTO_UDP ? CR_REASON_UDP_LAST : tcp_reason(f, n);
    r.dur = cr_fl_dur(d, 1000);
    return cr_fl_emit(in, &r, res > 1000 ? res : 1000);
}

int cr_fl_read_panos(cr_fl_in *in)
{
    cr_fl_pending open;
    cr_fl_pending_init(&open);
    cr_csv_field *f;
    int n = 0, rc = 0;
    while (rc == 0 && (n = cr_fl_next_row(in, &f)) > 0) {
        in->sum->records++;
        size_t len;
        const char *text = cr_fl_join_fields(in, f, n, ',', &len);
        if (cr_fl_repeat(in, text, len))
            continue;
        if (n <= P_SUBTYPE || !cr_fl_panos_line(text, len)) {
            if ((rc = cr_fl_check_mixed(in, text, len)) == 0)
                cr_fl_skip(in, "not a log line", 1, "not a PAN-OS log line: '%.40s'", text);
            continue;
        }
        if (strcmp(f[P_TYPE].s, "TRAFFIC"))
            cr_fl_skip(in, "not a TRAFFIC log", 0, "type '%.20s'", f[P_TYPE].s);
        else
            rc = traffic(in, &open, f, n);
    }
    if (rc == 0 && n == 0)
        rc = cr_fl_pending_flush(&open, in);
    cr_fl_pending_free(&open);
    return rc < 0 || n < 0 ? -1 : 0;
}
