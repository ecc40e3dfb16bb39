/* The durations of the sized flows, fitted by the engine (fit/fit_duration.h); their candidates
 * and checks go to DIR/fit/durations/diagnostics, the loop logs of their NUTS attempts to
 * DIR/fit/durations/loop_logs. */
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "fit/fit_duration.h"
#include "ingest/packet.h"
#include "sizing/sizing_internal.h"

int cr_sz_fit_duration(const cr_sz_flows *f, uint8_t proto, const cr_sizing_config *c,
                       double horizon, cr_sizing_duration *d, cr_err *e)
{
    const char *name = proto == CR_PROTO_TCP ? "duration_tcp" : "duration_udp";
    int64_t *ms = xmalloc((f->n + 1) * sizeof *ms), *follow = xmalloc((f->n + 1) * sizeof *follow);
    uint8_t *cens = xmalloc(f->n + 1);
    size_t n = 0, nended = 0;
    double ended = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->fl[i].proto == proto) {
            int idle;
            cens[n] = (uint8_t)cr_sz_flow_duration(f, i, &ms[n], &idle);
            follow[n] = f->capture_end_ms[f->machine[i]] - f->fl[i].start_ms;
            if (follow[n] < ms[n])
                follow[n] = ms[n];
            if (!cens[n])
                ended += ms[n] / 1000.0, nended++;
            n++;
        }
    memset(d, 0, sizeof *d);
    d->flows = n;
    d->ended_mean_s = nended ? ended / (double)nended : 0;
    const cr_duration_obs obs = {n, ms, cens, follow, proto == CR_PROTO_UDP, f->res_ms};
    cr_duration_fit_options o = {name, c->fit, c->seed, c->threads, horizon, c->draws};
    o.fit.sampler.threads = c->threads;
    cr_duration_fit r;
    int rc = cr_duration_fit_run(&obs, &o, &r, e);
    if (rc == 0) {
        d->censored = r.censored;
        d->fitted = r.fitted;
        d->check = r.check;
        d->attempts = r.attempts;
        memcpy(d->mean_s, r.mean_s, sizeof d->mean_s);
        d->draws = r.draws;
        r.draws = NULL;
        if (r.fitted && c->out_dir) {
            char *dir = cr_sz_path(c->out_dir, "fit", "durations");
            rc = cr_duration_fit_write(dir, &r, e);
            free(dir);
        }
        cr_duration_fit_free(&r);
    }
    free(ms);
    free(follow);
    free(cens);
    return rc;
}
