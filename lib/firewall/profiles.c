#include "firewall/profiles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/flows.h"
#include "ingest/packet.h"

/* Every number carries its source; [unverified] marks those the research notes could not confirm
 * in a stored copy of the vendor's text (docs/firewall-profiles.md has the full list). */
static const cr_fw_profile profiles[] = {
    {
        .name = "none",
        .product = "no firewall hold (the original specification's definition: a session ends at "
                   "its last packet)",
        /* the specification: "stateful firewalls log at session termination" */
        .logs_per_session = 1,
        .sources = "the original specification (logs/min = terminations/s x 60 x N)",
    },
    {
        .name = "linux",
        .product = "Linux netfilter conntrack",
        .tcp_fin_hold = 120,  /* nf_conntrack_tcp_timeout_time_wait */
        .tcp_rst_hold = 10,   /* nf_conntrack_tcp_timeout_close */
        .tcp_idle = 432000,   /* nf_conntrack_tcp_timeout_established, 5 days */
        .udp_idle = 30,       /* nf_conntrack_udp_timeout */
        /* nf_conntrack_udp_timeout_stream; applies once a reply was seen and the flow is still
         * active after about 2 s [unverified: from memory of nf_conntrack_proto_udp.c] */
        .udp_stream_after = 2,
        .udp_stream_idle = 120,
        .dns_timeout = 30,    /* as UDP: a query/answer pair never becomes a stream */
        /* conntrack writes no traffic log itself; one DESTROY event per entry (ctnetlink,
         * ulogd) [unverified assumption] */
        .logs_per_session = 1,
        .sources = "kernel Documentation/networking/nf_conntrack-sysctl.rst; UDP stream rule "
                   "and logging [unverified]",
    },
    {
        .name = "pf",
        .product = "pf (pfSense/OPNsense, optimisation \"normal\")",
        .tcp_fin_hold = 45,   /* PFTM_TCP_FIN_WAIT_VAL (tcp.finwait) */
        .tcp_rst_hold = 90,   /* PFTM_TCP_CLOSED_VAL (tcp.closed) */
        .tcp_idle = 86400,    /* PFTM_TCP_ESTABLISHED_VAL */
        .udp_idle = 60,       /* PFTM_UDP_MULTIPLE_VAL; udp.first is 60 too */
        .dns_timeout = 60,    /* as UDP */
        .logs_per_session = 1, /* pflog logs the packet that creates the state [unverified] */
        .sources = "FreeBSD/OpenBSD sys/net/pfvar.h PFTM_*_VAL; logging [unverified]",
    },
    {
        .name = "paloalto",
        .product = "Palo Alto Networks PAN-OS",
        .tcp_fin_hold = 15,   /* TIME_WAIT [unverified: CLI listing reproduced on a blog] */
        .tcp_rst_hold = 30,   /* unverified-RST [unverified: same listing] */
        .tcp_idle = 3600,     /* KB kA10g000000ClRiCAK, show session info */
        .udp_idle = 30,       /* [not in stored excerpt of the PAN-OS web help] */
        .dns_timeout = 30,    /* as UDP; the dns App-ID may override it [unverified] */
        .logs_per_session = 1, /* one traffic log at session end (session-logging docs) */
        .sources = "PAN KB kA10g000000ClRiCAK (TCP 3600); PAN-OS 8.0 web help session "
                   "timeouts; TIME_WAIT 15/RST 30/UDP 30 [unverified]; session-logging docs",
    },
    {
        .name = "fortigate",
        .product = "Fortinet FortiGate (FortiOS)",
        .tcp_fin_hold = 1,    /* tcp-timewait-timer (FortiController 5.2.10 guide) */
        .tcp_rst_hold = 1,    /* no RST timer found; the notes give 1 s for FIN/RST [unverified] */
        .tcp_idle = 3600,     /* system session-ttl default (FortiOS 6.0 CLI reference) */
        .udp_idle = 180,      /* udp-idle-timer (FortiController 5.2.10 guide) */
        .dns_timeout = 180,   /* as UDP */
        .logs_per_session = 1, /* log id 13 at session end (KB 393381) */
        .interim_log_every = 120, /* log id 20 every 2 min (durationdelta; FortiAnalyzer 6.2) */
        .sources = "FortiOS 6.0 CLI session-ttl; FortiController 5.2.10 session timers; KB "
                   "393381 and FortiAnalyzer 6.2 long-lived sessions; RST hold [unverified]",
    },
    {
        .name = "asa",
        .product = "Cisco ASA",
        /* "slots are freed approximately 60 seconds after a normal connection close" (ASA CLI
         * configuration guide) */
        .tcp_fin_hold = 60,
        .tcp_rst_hold = 60,   /* the notes give one figure for FIN/RST [unverified for RST] */
        .tcp_idle = 3600,     /* timeout conn 1:00:00 */
        .udp_idle = 120,      /* timeout udp 0:02:00 */
        .dns_on_reply = 1,    /* DNS inspection tears the entry down once the reply passes */
        .logs_per_session = 2, /* %ASA-6-302013/302015 Built + 302014/302016 Teardown */
        .sources = "ASA CLI configuration guide global timeouts; ASA 9.1 connection settings; "
                   "ASA 5500 ASDM guide (DNS); syslog 302013/302014; RST hold [unverified]",
    },
    {
        .name = "checkpoint",
        .product = "Check Point Quantum",
        .tcp_fin_hold = 20,   /* TCP end timeout, after two FINs [unverified number] */
        .tcp_rst_hold = 20,   /* TCP end timeout also applies after an RST [unverified number] */
        .tcp_idle = 3600,     /* TCP session timeout [unverified number] */
        .udp_idle = 40,       /* UDP virtual session timeout [unverified number] */
        .dns_timeout = 40,    /* as UDP */
        .logs_per_session = 1, /* one log per accepted connection [unverified] */
        .sources = "Check Point community: Global Properties session timeouts (definitions); "
                   "all numbers [unverified]",
    },
};

const cr_fw_profile *cr_fw_profiles(size_t *n)
{
    *n = sizeof profiles / sizeof profiles[0];
    return profiles;
}

int cr_fw_profile_get(cr_fw_profile *p, const char *name, cr_err *e)
{
    size_t n;
    const cr_fw_profile *all = cr_fw_profiles(&n);
    char list[256] = "";
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(all[i].name, name)) {
            *p = all[i];
            return 0;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 all[i].name);
    }
    return cr_fail(e, "--firewall: unknown profile '%s' (one of %s)", name, list);
}

#define MAX_TIMEOUT (31 * 86400.0)

int cr_fw_parse_seconds(const char *opt, const char *arg, double max, double *out, cr_err *e)
{
    static const struct {
        char unit;
        double s;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    const char *want = "a duration in seconds, or a number followed by s, m, h or d";
    /* plain decimals only: strtod alone would also take signs, exponents, hex, inf and nan */
    size_t len = arg ? strspn(arg, "0123456789.") : 0, dots = 0;
    for (size_t i = 0; i < len; i++)
        dots += arg[i] == '.';
    if (len == dots || dots > 1)
        return cr_fail(e, "%s: '%s' is not %s", opt, arg ? arg : "", want);
    double mult = 1;
    if (arg[len]) {
        size_t i = 0;
        while (i < sizeof units / sizeof units[0] && units[i].unit != arg[len])
            i++;
        if (i == sizeof units / sizeof units[0] || arg[len + 1])
            return cr_fail(e, "%s: '%s' is not %s", opt, arg, want);
        mult = units[i].s;
    }
    double v = strtod(arg, NULL);
    if (!isfinite(v) || v * mult > max)
        return cr_fail(e, "%s: '%s' is longer than %g days%s", opt, arg, max / 86400,
                       max == MAX_TIMEOUT ? ", beyond any product's range" : "");
    *out = v * mult;
    return 0;
}

int cr_fw_override(cr_fw_profile *p, const char *opt, const char *arg, cr_err *e)
{
    double v;
    if (strcmp(opt, "--udp-timeout") && strcmp(opt, "--tcp-fin-hold") &&
        strcmp(opt, "--tcp-rst-hold") && strcmp(opt, "--dns-timeout"))
        return cr_fail(e, "%s: not a firewall timeout option (--udp-timeout, --tcp-fin-hold, "
                          "--tcp-rst-hold, --dns-timeout)", opt);
    if (cr_fw_parse_seconds(opt, arg, MAX_TIMEOUT, &v, e) < 0)
        return -1;
    if (!strcmp(opt, "--udp-timeout")) {
        /* one UDP timer for every flow: the stream distinction and DNS follow it */
        p->udp_idle = v;
        p->udp_stream_after = p->udp_stream_idle = 0;
        if (!p->dns_on_reply)
            p->dns_timeout = v;
    } else if (!strcmp(opt, "--tcp-fin-hold")) {
        p->tcp_fin_hold = v;
    } else if (!strcmp(opt, "--tcp-rst-hold")) {
        p->tcp_rst_hold = v;
    } else {
        p->dns_timeout = v;
        p->dns_on_reply = 0;
    }
    return 0;
}

double cr_fw_hold(const cr_fw_profile *p, uint8_t proto, uint8_t reason, uint16_t dport,
                  double duration)
{
    if (proto == CR_PROTO_UDP) {
        if (dport == 53)
            return p->dns_on_reply ? 0 : p->dns_timeout;
        if (p->udp_stream_after > 0 && duration >= p->udp_stream_after)
            return p->udp_stream_idle;
        return p->udp_idle;
    }
    switch (reason) {
    case CR_REASON_FIN: return p->tcp_fin_hold;
    case CR_REASON_RST: return p->tcp_rst_hold;
    default: return p->tcp_idle;
    }
}

double cr_fw_logs(const cr_fw_profile *p, double lifetime)
{
    double n = p->logs_per_session;
    /* interim logs at every full interval the session is still alive at, before its end log */
    if (p->interim_log_every > 0 && lifetime > 0)
        n += ceil(lifetime / p->interim_log_every) - 1;
    return n;
}

int cr_fw_describe(const cr_fw_profile *p, char *buf, size_t n)
{
    char udp[96], dns[48], logs[64];
    if (p->udp_stream_after > 0)
        snprintf(udp, sizeof udp, "%g s (%g s once a flow lives %g s)", p->udp_idle,
                 p->udp_stream_idle, p->udp_stream_after);
    else
        snprintf(udp, sizeof udp, "%g s", p->udp_idle);
    if (p->dns_on_reply)
        snprintf(dns, sizeof dns, "torn down on reply");
    else
        snprintf(dns, sizeof dns, "%g s", p->dns_timeout);
    if (p->interim_log_every > 0)
        snprintf(logs, sizeof logs, "%d + 1 per %g s alive", p->logs_per_session,
                 p->interim_log_every);
    else
        snprintf(logs, sizeof logs, "%d", p->logs_per_session);
    return snprintf(buf, n,
                    "%s: %s; TCP hold after FIN %g s, after RST %g s, idle %g s; UDP idle %s; "
                    "DNS %s; logs/session %s; sources: %s",
                    p->name, p->product, p->tcp_fin_hold, p->tcp_rst_hold, p->tcp_idle, udp, dns,
                    logs, p->sources);
}
