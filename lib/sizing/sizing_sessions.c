#include <math.h>

#include "common/xalloc.h"
#include "flows/flows.h"
#include "sizing/sizing_internal.h"

/* The cut of every duration, seconds (s->horizon; 0 means none). */
static double horizon(const cr_sizing *s)
{
    return s->horizon > 0 ? s->horizon : INFINITY;
}

/* One new connection: TCP or UDP by the observed share, a duration from that protocol's
 * posterior draw cut at the horizon, and the firewall's hold for how it ended (RST, idle without
 * a close, or FIN by the observed shares; DNS by the observed share of UDP flows to port 53). */
double cr_sz_session_seconds(void *ctx, gsl_rng *r, int draw)
{
    const cr_sz_sessions *sm = ctx;
    const cr_sizing *s = sm->s;
    int tcp = gsl_rng_uniform(r) < s->p_tcp;
    const cr_sizing_duration *d = &s->dur[tcp ? 0 : 1];
    double u = gsl_rng_uniform(r);
    double D = d->fitted ? fmin(cr_duration_draw(&d->draws[draw], r), horizon(s)) : 0;
    uint8_t reason = !tcp                         ? CR_REASON_UDP_LAST
                     : u < s->p_rst               ? CR_REASON_RST
                     : u < s->p_rst + s->p_idle ? CR_REASON_OPEN
                                                  : CR_REASON_FIN;
    double hold = cr_fw_hold(sm->fw, tcp ? CR_PROTO_TCP : CR_PROTO_UDP, reason,
                             !tcp && u < s->p_dns ? 53 : 443, D);
    return D + hold;
}

static double mean_within_horizon(const cr_sizing *s, const cr_sizing_duration *d, int draw)
{
    return cr_duration_mean_within(&d->draws[draw], horizon(s));
}

void cr_sz_sessions_cache(cr_sz_sessions *sm, int ndraws)
{
    sm->within = xmalloc(2 * ((size_t)ndraws + 1) * sizeof *sm->within);
    for (int d = 0; d < ndraws; d++)
        for (int k = 0; k < 2; k++)
            sm->within[2 * d + k] = sm->s->dur[k].fitted ? mean_within_horizon(sm->s,
                                                                               &sm->s->dur[k], d)
                                                         : 0;
}

/* E[(min(D, H) - c)+] of one protocol's duration cut at the horizon H (0 when it has no
 * connections), for any c: E[min(D, H)] - E[min(D, H, c)]. */
static double duration_stoploss(const cr_sz_sessions *sm, const cr_sizing_duration *d, int draw,
                                double c)
{
    const cr_sizing *s = sm->s;
    const double H = horizon(s);
    if (!d->fitted || c >= H)
        return c < 0 ? -c : 0;
    const double all = sm->within ? sm->within[2 * draw + (d == &s->dur[1])]
                                  : mean_within_horizon(s, d, draw);
    return all - (c > 0 ? cr_duration_mean_within(&d->draws[draw], c) : c);
}

static double duration_survival(const cr_sizing *s, const cr_sizing_duration *d, int draw,
                                double a)
{
    return a >= horizon(s) ? 0 : d->fitted ? cr_duration_survival(&d->draws[draw], a) : a < 0;
}

/* E[(T - x)+] of session_seconds' law T, term by term: a fixed hold h shifts the duration
 * (E[(D + h - x)+] = G(x - h)); UDP streams (held h2 once D >= a, h1 before) split D at a.
 * Terms with the same hold are evaluated once: the simulation calls this at every second of
 * every draw, and under the default profile every hold is 0. */
double cr_sz_session_stoploss(void *ctx, int draw, double x)
{
    const cr_sz_sessions *sm = ctx;
    const cr_sizing *s = sm->s;
    const cr_sizing_duration *dt = &s->dur[0], *du = &s->dur[1];
    const uint8_t reasons[3] = {CR_REASON_RST, CR_REASON_OPEN, CR_REASON_FIN};
    const double pr[3] = {s->p_rst, s->p_idle, 1 - s->p_rst - s->p_idle};
    double hold[3], weight[3], tcp = 0;
    int nh = 0;
    for (int i = 0; i < 3; i++) {
        if (!(pr[i] > 0))
            continue;
        double h = cr_fw_hold(sm->fw, CR_PROTO_TCP, reasons[i], 443, 0);
        int j = 0;
        while (j < nh && hold[j] != h)
            j++;
        if (j == nh)
            hold[nh] = h, weight[nh++] = 0;
        weight[j] += pr[i];
    }
    for (int j = 0; j < nh; j++)
        tcp += weight[j] * duration_stoploss(sm, dt, draw, x - hold[j]);
    const double hdns = cr_fw_hold(sm->fw, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 0);
    const double a = sm->fw->udp_stream_after;
    const double h1 = cr_fw_hold(sm->fw, CR_PROTO_UDP, CR_REASON_UDP_LAST, 443, 0);
    double dns = duration_stoploss(sm, du, draw, x - hdns), other;
    if (!(a > 0)) {
        other = h1 == hdns ? dns : duration_stoploss(sm, du, draw, x - h1);
    } else {
        const double h2 = cr_fw_hold(sm->fw, CR_PROTO_UDP, CR_REASON_UDP_LAST, 443, a);
        const double Ga = duration_stoploss(sm, du, draw, a);
        const double Sa = duration_survival(s, du, draw, a);
        const double c1 = x - h1, c2 = x - h2;
        other = c1 < a ? duration_stoploss(sm, du, draw, c1) - Ga - (a - c1) * Sa : 0;
        other += c2 <= a ? Ga + (a - c2) * Sa : duration_stoploss(sm, du, draw, c2);
    }
    return s->p_tcp * tcp + (1 - s->p_tcp) * (s->p_dns * dns + (1 - s->p_dns) * other);
}
