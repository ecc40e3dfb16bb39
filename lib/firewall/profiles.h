/* Firewall timeout profiles: how long a product keeps a session-table entry after a connection's
 * last packet, and how many log lines one session costs. Session-table size and log volume for
 * N users depend on these far more than on anything else the capture can tell (see
 * docs/firewall-profiles.md for every number's source; ../shared/notes/firewall-domain.md
 * §0 and §2 are the research behind them).
 *
 * A session lives for the connection's duration (first to last packet, or to the FIN/RST) plus a
 * hold time chosen by how it ended: after a FIN, after an RST, the established-idle timeout when
 * a TCP connection never closes, the UDP idle timer, or the DNS rule for UDP to port 53. */
#ifndef CR_PROFILES_H
#define CR_PROFILES_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct {
    const char *name;        /* "linux", "pf", ... as --firewall takes it */
    const char *product;     /* "Linux conntrack", ... */
    double tcp_fin_hold;     /* seconds the entry stays after a FIN close (time-wait) */
    double tcp_rst_hold;     /* seconds after an RST */
    double tcp_idle;         /* established idle timeout: the hold of a TCP that never closes */
    double udp_idle;         /* UDP idle timer after the last packet */
    /* Linux only (0 elsewhere): a UDP flow that lives at least udp_stream_after seconds is a
     * "stream" and gets udp_stream_idle instead of udp_idle. */
    double udp_stream_after, udp_stream_idle;
    double dns_timeout;      /* hold of UDP to port 53; 0 with dns_on_reply: torn down at reply */
    int dns_on_reply;        /* ASA DNS inspection (DNS guard) removes the entry at the reply */
    int logs_per_session;    /* traffic logs one session always costs (start and/or end) */
    double interim_log_every; /* > 0: one more log per this many seconds of a long session */
    const char *sources;     /* one line: where the numbers come from */
} cr_fw_profile;

/* The built-in profiles, "none" (the seed's plain definition, no hold time, one log at the end)
 * first. *n gets their number. */
const cr_fw_profile *cr_fw_profiles(size_t *n);

/* Copies the built-in profile called name into *p; fails with the list of valid names. */
int cr_fw_profile_get(cr_fw_profile *p, const char *name, cr_err *e);

/* A CLI duration: a non-negative number of seconds, optionally followed by s, m, h or d, at most
 * max seconds (a firewall timer: 31 days, beyond any product's range; other options have
 * their own). opt names the option in the error ("--udp-timeout: ..."). */
int cr_fw_parse_seconds(const char *opt, const char *arg, double max, double *out, cr_err *e);

/* Applies one override option to *p: --udp-timeout (also the DNS hold, unless the product tears
 * DNS down on reply, and the Linux stream timer), --tcp-fin-hold, --tcp-rst-hold or
 * --dns-timeout (which also turns off teardown on reply). Fails on an unknown option or a bad
 * value; *p is unchanged then. */
int cr_fw_override(cr_fw_profile *p, const char *opt, const char *arg, cr_err *e);

/* Seconds a session stays in the table after the connection's end (TCP: the FIN or RST, or its
 * last packet when it never closes; UDP: its last packet). proto is CR_PROTO_TCP or
 * CR_PROTO_UDP, reason a CR_REASON_* of flows/flows.h (CR_REASON_OPEN: never closed, held until
 * the idle timeout), duration the connection's own life in seconds. */
double cr_fw_hold(const cr_fw_profile *p, uint8_t proto, uint8_t reason, uint16_t dport,
                  double duration);

/* Log lines a session of the given total lifetime (duration + hold, seconds) produces. */
double cr_fw_logs(const cr_fw_profile *p, double lifetime);

/* One line (no newline): name, product, the timers, the logging rule and the sources. Returns
 * the length snprintf would have written. */
int cr_fw_describe(const cr_fw_profile *p, char *buf, size_t n);

#endif
