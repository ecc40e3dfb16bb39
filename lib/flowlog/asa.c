/* Cisco ASA (and Firepower Threat Defense) syslog: 302013/302015 "Built {inbound|outbound}
 * {TCP|UDP} connection ID for IFC:ADDR/PORT (...) to IFC:ADDR/PORT (...)" opens a connection,
 * 302014/302016 "Teardown ... connection ID for ... to ... duration H:MM:SS bytes N [reason]"
 * closes it. They are paired by connection id. For an inbound connection the first endpoint
 * opened it, for an outbound one the second. Addresses are the real ones, not the mapped ones
 * in parentheses. A built without its teardown was open when the log ends; a teardown without
 * its built started before the log: start = teardown - duration, its originator by the
 * service-port rule (the side with the lower port is the service). The time is the ASA's own
 * stamp ("logging timestamp", with a year) when the line has one, else the syslog header's. */
#include "flowlog/flowlog_internal.h"

#include <string.h>

#define ASA_TOKENS 48

typedef struct {
    cr_addr a;
    uint16_t port;
} endpoint;

/* "IFC:ADDR/PORT" (ADDR may be IPv6, so the port is after the last '/'). */
static int parse_endpoint(char *tok, endpoint *out)
{
    char *colon = strchr(tok, ':'), *slash = strrchr(tok, '/');
    if (!colon || !slash || slash < colon)
        return -1;
    *slash = 0;
    int rc = cr_fl_addr(colon + 1, &out->a) == 0 && cr_fl_port(slash + 1, &out->port) == 0;
    *slash = '/';
    return rc ? 0 : -1;
}

static int same_endpoints(const cr_flowlog_rec *r, const endpoint *x, const endpoint *y)
{
    const cr_flow *f = &r->f;
    int fwd = cr_addr_equal(&f->src, &x->a) && f->sport == x->port &&
              cr_addr_equal(&f->dst, &y->a) && f->dport == y->port;
    int rev = cr_addr_equal(&f->src, &y->a) && f->sport == y->port &&
              cr_addr_equal(&f->dst, &x->a) && f->dport == x->port;
    return fwd || rev;
}

/* The stamp before the message: the last one with a year (the ASA's own), else the syslog
 * header's at the start of the line. */
static int stamp(cr_fl_in *in, const char *s, size_t upto, int64_t *ms, int *res)
{
    int found = 0;
    for (size_t i = 0; i < upto; i++) {
        if (i > 0 && s[i - 1] != ' ' && s[i - 1] != '>')
            continue;
        int64_t t;
        int r;
        if (cr_fl_syslog_time(NULL, s + i, upto - i, &t, &r)) {
            *ms = t;
            *res = r;
            found = 1;
        }
    }
    if (found)
        return 0;
    size_t i = s[0] == '<' ? strspn(s + 1, "0123456789") + 2 : 0;
    if (i < upto && cr_fl_syslog_time(&in->clock, s + i, upto - i, ms, res))
        return 0;
    return -1;
}

static uint8_t tcp_reason(char **tok, int n, int from)
{
    for (int i = from; i < n; i++) {
        if (strstr(tok[i], "FIN"))
            return CR_REASON_FIN;
        if (strstr(tok[i], "Reset"))
            return CR_REASON_RST;
    }
    return CR_REASON_ENDED;
}

/* Index of the token after word, from start; -1 if none. */
static int after(char **tok, int n, int start, const char *word)
{
    for (int i = start; i < n - 1; i++)
        if (!strcmp(tok[i], word))
            return i + 1;
    return -1;
}

static int message(cr_fl_in *in, cr_fl_pending *open, char *msg, int built, int64_t t, int res)
{
    char *tok[ASA_TOKENS];
    int n = 0;
    for (char *save, *w = strtok_r(msg, " ", &save); w && n < ASA_TOKENS;
         w = strtok_r(NULL, " ", &save))
        tok[n++] = w;
    int p = built ? 2 : 1; /* the protocol's token */
    if (n < p + 5 || strcmp(tok[p + 1], "connection"))
        return cr_fl_skip(in, "not a log line", 1, "unreadable %s message",
                          built ? "built" : "teardown");
    cr_flowlog_rec r = {.kind = CR_FLOWLOG_WHOLE, .syn = -1, .local_orig = -1};
    if (!(r.f.proto = cr_fl_proto(tok[p])))
        return cr_fl_skip(in, "not TCP or UDP", 0, "protocol '%.20s'", tok[p]);
    uint64_t conn;
    int i1 = after(tok, n, p + 2, "for"), i2 = i1 < 0 ? -1 : after(tok, n, i1 + 1, "to");
    endpoint x, y;
    if (cr_fl_count(tok[p + 2], &conn) < 0 || i2 < 0)
        return cr_fl_skip(in, "not a log line", 1, "unreadable %s message",
                          built ? "built" : "teardown");
    if (parse_endpoint(tok[i1], &x) < 0 || parse_endpoint(tok[i2], &y) < 0)
        return cr_fl_skip(in, "bad address", 1, "endpoint '%.60s' is not INTERFACE:IP/PORT",
                          parse_endpoint(tok[i1], &x) < 0 ? tok[i1] : tok[i2]);
    if (x.a.family != y.a.family)
        return cr_fl_skip(in, "bad address", 1, "endpoints of different IP versions");
    uint8_t id[CR_FL_ID_LEN];
    cr_fl_session_id(id, conn, "");
    cr_flowlog_rec *was = cr_fl_pending_get(open, id);
    if (built) {
        int inbound = !strcmp(tok[1], "inbound");
        const endpoint *o = inbound ? &x : &y, *other = inbound ? &y : &x;
        if (was)
            return cr_fl_skip(in, "connection built twice", 1,
                              "connection %s built again before its teardown", tok[p + 2]);
        r.f.src = o->a;
        r.f.sport = o->port;
        r.f.dst = other->a;
        r.f.dport = other->port;
        r.f.ipver = o->a.family;
        r.f.start_ms = r.f.last_ms = t;
        r.f.end_ms = CR_NA_I64;
        r.f.reason = CR_REASON_OPEN;
        r.dur = (cr_flowlog_dur){0, CR_NA_I64};
        r.line = in->line;
        cr_fl_pending_put(open, id, &r, res > 1000 ? res : 1000);
        return 0;
    }
    int id_ = after(tok, n, i2, "duration");
    int64_t d;
    int dres;
    if (id_ < 0 || cr_fl_hms(tok[id_], strlen(tok[id_]), &d, &dres) < 0)
        return cr_fl_skip(in, "unparsable duration", 1, "teardown without a duration H:MM:SS");
    int ib = after(tok, n, id_, "bytes");
    int reason_from = ib < 0 ? id_ + 1 : ib + 1;
    if (was) {
        if (!same_endpoints(was, &x, &y))
            return cr_fl_skip(in, "teardown unlike its built", 1,
                              "teardown of connection %s names other endpoints than its built",
                              tok[p + 2]);
        r = *was;
        cr_fl_pending_del(open, id);
    } else {
        /* started before the log: who opened it is not said */
        const endpoint *o = y.port > x.port ? &y : &x, *other = o == &x ? &y : &x;
        r.f.src = o->a;
        r.f.sport = o->port;
        r.f.dst = other->a;
        r.f.dport = other->port;
        r.f.ipver = o->a.family;
        r.f.start_ms = t - d;
    }
    r.f.end_ms = r.f.last_ms = t;
    if (r.f.end_ms < r.f.start_ms)
        return cr_fl_skip(in, "end before start", 1, "teardown before its built");
    r.f.reason = r.f.proto == CR_PROTO_UDP ? CR_REASON_UDP_LAST : tcp_reason(tok, n, reason_from);
    r.dur = cr_fl_dur(d, 1000);
    return cr_fl_emit(in, &r, res > 1000 ? res : 1000);
}

static int line(cr_fl_in *in, cr_fl_pending *open, char *s, size_t len)
{
    char *asa = strstr(s, "%ASA-");
    if (!asa)
        asa = strstr(s, "%FTD-");
    if (!asa) {
        if (cr_fl_check_mixed(in, s, len) < 0)
            return -1;
        return cr_fl_skip(in, "not an ASA message", 0, "no %%ASA- message in '%.40s'", s);
    }
    char *m = asa + 5;
    size_t fac = strspn(m, "abcdefghijklmnopqrstuvwxyz_"); /* "%ASA-session-5-106100" */
    if (fac && m[fac] == '-')
        m += fac + 1;
    size_t lv = strspn(m, "0123456789"), nd;
    if (lv == 0 || m[lv] != '-' || (nd = strspn(m + lv + 1, "0123456789")) == 0)
        return cr_fl_skip(in, "not a log line", 1, "unreadable ASA message id");
    char msgid[8];
    snprintf(msgid, sizeof msgid, "%.*s", (int)(nd < 7 ? nd : 7), m + lv + 1);
    int built = !strcmp(msgid, "302013") || !strcmp(msgid, "302015");
    if (!built && strcmp(msgid, "302014") && strcmp(msgid, "302016"))
        return cr_fl_skip(in, "other ASA message", 0, "message %.6s", msgid);
    int64_t t;
    int res;
    if (stamp(in, s, (size_t)(asa - s), &t, &res) < 0)
        return cr_fl_skip(in, "unparsable time", 1, "no time stamp before %.*s",
                          (int)(m + lv + 1 + nd - asa), asa);
    char *text = m + lv + 1 + nd;
    text += *text == ':';
    return message(in, open, text, built, t, res);
}

int cr_fl_read_asa(cr_fl_in *in)
{
    cr_fl_pending open;
    cr_fl_pending_init(&open);
    cr_csv_field *f;
    int n = 0, rc = 0;
    while (rc == 0 && (n = cr_fl_next_row(in, &f)) > 0) {
        in->sum->records++;
        if (!cr_fl_repeat(in, f[0].s, f[0].len))
            rc = line(in, &open, f[0].s, f[0].len);
    }
    if (rc == 0 && n == 0)
        rc = cr_fl_pending_flush(&open, in);
    cr_fl_pending_free(&open);
    return rc < 0 || n < 0 ? -1 : 0;
}
