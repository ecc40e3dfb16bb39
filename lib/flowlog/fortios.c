/* FortiOS traffic logs, key=value over syslog. A session is logged when it closes, at the log
 * time with its duration in seconds: start = log time - duration. `eventtime` (epoch s, ms, us
 * or ns) is the log time when present, else date and time in the `tz` offset (UTC without
 * one). Interim statistics of long sessions (log id 20, LOG_ID_TRAFFIC_STAT) are not sessions;
 * a session-start log (action=start) is paired with its close by session id, device and VDOM,
 * and is open at the end of the file when unpaired. Failed attempts logged without a duration
 * are connections of unknown duration. */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define KV_MAX 256

typedef struct {
    const char *k, *v;
    size_t klen, vlen;
} kv;

static int keychar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* The key=value pairs of a line; words before the first pair (the syslog header) are passed
 * over. */
static int parse_kv(const char *s, size_t len, kv *out)
{
    size_t i = 0;
    int n = 0;
    while (i < len && n < KV_MAX) {
        while (i < len && s[i] == ' ')
            i++;
        if (i < len && s[i] == '<') /* the syslog priority, "<189>date=..." */
            while (i < len && s[i++] != '>')
                ;
        size_t k = i;
        while (i < len && keychar(s[i]))
            i++;
        if (i == k || i >= len || s[i] != '=') {
            while (i < len && s[i] != ' ')
                i++;
            continue;
        }
        kv p = {s + k, NULL, i - k, 0};
        i++;
        if (i < len && s[i] == '"') {
            size_t v = ++i;
            while (i < len && !(s[i] == '"' && s[i - 1] != '\\'))
                i++;
            p.v = s + v;
            p.vlen = i - v;
            i++;
        } else {
            size_t v = i;
            while (i < len && s[i] != ' ')
                i++;
            p.v = s + v;
            p.vlen = i - v;
        }
        out[n++] = p;
    }
    return n;
}

/* The value of key as a C string in buf ("" when absent); returns whether it was there. */
static int get(const kv *p, int n, const char *key, char *buf, size_t cap)
{
    size_t kl = strlen(key);
    buf[0] = 0;
    for (int i = 0; i < n; i++)
        if (p[i].klen == kl && !memcmp(p[i].k, key, kl)) {
            snprintf(buf, cap, "%.*s", (int)p[i].vlen, p[i].v);
            return 1;
        }
    return 0;
}

/* The log time in ms (floored to the second: durations are whole seconds). */
static int log_time(cr_fl_in *in, const kv *p, int n, int64_t *ms)
{
    char ev[32], date[32], time[32], tz[16], dt[80];
    if (get(p, n, "eventtime", ev, sizeof ev)) {
        size_t nd = strlen(ev);
        int64_t v;
        if (nd && strspn(ev, "0123456789") == nd && nd <= 19 && cr_fl_decimal(ev, nd, 0, &v) == 0) {
            int64_t div = nd <= 10 ? 1 : nd <= 13 ? 1000 : nd <= 16 ? 1000000 : 1000000000;
            *ms = v / div * 1000;
            return 0;
        }
        cr_fl_skip(in, "unparsable time", 1, "eventtime '%s' is not epoch time", ev);
        return -1;
    }
    get(p, n, "date", date, sizeof date);
    get(p, n, "time", time, sizeof time);
    int zmin = 0, res;
    if (get(p, n, "tz", tz, sizeof tz) && cr_fl_zone_offset(tz, strlen(tz), &zmin) < 0) {
        cr_fl_skip(in, "unparsable time", 1, "tz '%s' is not an offset", tz);
        return -1;
    }
    snprintf(dt, sizeof dt, "%s %s", date, time);
    if (cr_fl_datetime(dt, strlen(dt), ms, &res) < 0) {
        cr_fl_skip(in, "unparsable time", 1, "date and time '%s' unreadable", dt);
        return -1;
    }
    *ms = (*ms - (int64_t)zmin * 60000) / 1000 * 1000;
    return 0;
}

static uint8_t tcp_reason(const char *action)
{
    if (!strcmp(action, "close"))
        return CR_REASON_FIN;
    if (!strcmp(action, "client-rst") || !strcmp(action, "server-rst"))
        return CR_REASON_RST;
    return CR_REASON_ENDED;
}

static int traffic(cr_fl_in *in, cr_fl_pending *open, const kv *p, int n)
{
    char logid[32], action[32], proto[16], src[64], dst[64], sport[16], dport[16], dur[24];
    char sess[24], dev[64], vd[64], pk[24];
    get(p, n, "logid", logid, sizeof logid);
    size_t ll = strlen(logid);
    if (ll == 10 && atoi(logid + 4) == 20)
        return cr_fl_skip(in, "interim record", 0, "logid %s: statistics of a session still open",
                          logid);
    get(p, n, "action", action, sizeof action);
    get(p, n, "proto", proto, sizeof proto);
    cr_flowlog_rec r = {.kind = CR_FLOWLOG_WHOLE, .syn = -1, .local_orig = -1};
    if (!(r.f.proto = cr_fl_proto(proto)))
        return cr_fl_skip(in, "not TCP or UDP", 0, "proto '%s'", proto);
    if (!get(p, n, "srcip", src, sizeof src) || !get(p, n, "dstip", dst, sizeof dst) ||
        !get(p, n, "srcport", sport, sizeof sport) || !get(p, n, "dstport", dport, sizeof dport))
        return cr_fl_skip(in, "missing field", 1, "srcip, dstip, srcport or dstport missing");
    if (cr_fl_endpoints(in, &r, src, sport, dst, dport) < 0)
        return 0;
    int64_t t;
    if (log_time(in, p, n, &t) < 0)
        return 0;
    uint64_t s = 0, d, a = 0, b = 0;
    get(p, n, "sessionid", sess, sizeof sess);
    cr_fl_count(sess, &s);
    if (!get(p, n, "devid", dev, sizeof dev))
        get(p, n, "devname", dev, sizeof dev);
    get(p, n, "vd", vd, sizeof vd);
    char device[160];
    snprintf(device, sizeof device, "%s/%s", dev, vd);
    uint8_t id[CR_FL_ID_LEN];
    cr_fl_session_id(id, s, device);
    if (get(p, n, "sentpkt", pk, sizeof pk))
        cr_fl_count(pk, &a);
    if (get(p, n, "rcvdpkt", pk, sizeof pk))
        cr_fl_count(pk, &b);
    r.f.packets = a + b;
    if (!strcmp(action, "start")) {
        r.f.start_ms = r.f.last_ms = t;
        r.f.end_ms = CR_NA_I64;
        r.f.reason = CR_REASON_OPEN;
        r.dur = (cr_flowlog_dur){0, CR_NA_I64};
        r.line = in->line;
        if (!cr_fl_pending_get(open, id))
            cr_fl_pending_put(open, id, &r, 1000);
        return 0;
    }
    cr_fl_pending_del(open, id);
    if (get(p, n, "duration", dur, sizeof dur)) {
        if (cr_fl_count(dur, &d) < 0 || d > INT32_MAX)
            return cr_fl_skip(in, "unparsable duration", 1, "duration '%s' is not seconds", dur);
        r.f.start_ms = t - (int64_t)d * 1000;
        r.dur = cr_fl_dur((int64_t)d * 1000, 1000);
    } else {
        r.f.start_ms = t;
        r.dur = (cr_flowlog_dur){0, CR_NA_I64};
    }
    r.f.end_ms = r.f.last_ms = t;
    r.f.reason = r.f.proto == CR_PROTO_UDP ? CR_REASON_UDP_LAST : tcp_reason(action);
    return cr_fl_emit(in, &r, 1000);
}

int cr_fl_read_fortios(cr_fl_in *in)
{
    cr_fl_pending open;
    cr_fl_pending_init(&open);
    kv *p = xmalloc(KV_MAX * sizeof *p);
    cr_csv_field *f;
    int n = 0, rc = 0;
    while (rc == 0 && (n = cr_fl_next_row(in, &f)) > 0) {
        in->sum->records++;
        if (cr_fl_repeat(in, f[0].s, f[0].len))
            continue;
        int np = parse_kv(f[0].s, f[0].len, p);
        char type[32], logid[32];
        if (!get(p, np, "logid", logid, sizeof logid) || !get(p, np, "type", type, sizeof type)) {
            if ((rc = cr_fl_check_mixed(in, f[0].s, f[0].len)) == 0)
                cr_fl_skip(in, "not a log line", 1, "not a FortiGate log line: '%.40s'", f[0].s);
            continue;
        }
        if (strcmp(type, "traffic"))
            cr_fl_skip(in, "not a traffic log", 0, "type '%s'", type);
        else
            rc = traffic(in, &open, p, np);
    }
    if (rc == 0 && n == 0)
        rc = cr_fl_pending_flush(&open, in);
    cr_fl_pending_free(&open);
    free(p);
    return rc < 0 || n < 0 ? -1 : 0;
}
