#include "duration/from_flows.h"

#include <stdlib.h>

#include "common/xalloc.h"
#include "ingest/packet.h"

int cr_flow_duration(const cr_flow *f, int64_t capture_end_ms, int64_t *ms)
{
    if (f->proto == CR_PROTO_UDP) {
        *ms = f->last_ms - f->start_ms;
        return 0;
    }
    if (f->reason != CR_REASON_OPEN) {
        *ms = f->end_ms - f->start_ms;
        return 0;
    }
    int64_t end = capture_end_ms > f->last_ms ? capture_end_ms : f->last_ms;
    *ms = end - f->start_ms;
    return 1;
}

void cr_duration_data_from_flows(cr_duration_data *d, const cr_flow *fl, size_t n,
                                 const int *machine, const int64_t *capture_end_ms,
                                 uint8_t proto, int coarsen)
{
    int64_t *ms = xmalloc((n + 1) * sizeof(int64_t));
    uint8_t *cens = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (fl[i].proto != proto)
            continue;
        int64_t end = capture_end_ms ? capture_end_ms[machine[i]] : CR_NA_I64;
        cens[k] = (uint8_t)cr_flow_duration(&fl[i], end, &ms[k]);
        k++;
    }
    cr_duration_data_init(d, k, ms, cens, CR_DURATION_FLOWS_RES_MS, coarsen);
    free(ms);
    free(cens);
}
