/* Durations of connections from the flows table (flows/flows.h): the one part of the duration
 * model that knows flows. */
#ifndef CR_DURATION_FROM_FLOWS_H
#define CR_DURATION_FROM_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "duration/data.h"
#include "flows/flows.h"

/* The resolution of durations from flows, ms: a flow's times are whole ms (floored from the
 * capture's microseconds), so a duration of 0 ms is one below 1 ms. An input whose times are
 * whole seconds would have a resolution of 1000. */
#define CR_DURATION_FLOWS_RES_MS 1

/* A flow's duration in ms and whether it is right-censored (returns 1) or ended (0).
 * TCP closed by FIN or RST: end_ms - start_ms. TCP open: known alive until the capture end, so
 * censored at capture_end_ms - start_ms (capture_end_ms < last_ms, e.g. CR_NA_I64 when unknown,
 * falls back to last_ms). UDP: last_ms - start_ms, the flow's life with replies, ended: UDP has
 * no close, so a flow whose last packet is near the capture end may live on (the firewall's idle
 * timer decides that, not the flow). */
int cr_flow_duration(const cr_flow *f, int64_t capture_end_ms, int64_t *ms);

/* The durations of every flow of protocol proto (CR_PROTO_TCP or CR_PROTO_UDP), at a resolution
 * of CR_DURATION_FLOWS_RES_MS; capture_end_ms per machine (may be NULL: then last_ms),
 * machine[i] the 0-based machine of flow i. */
void cr_duration_data_from_flows(cr_duration_data *d, const cr_flow *fl, size_t n,
                                 const int *machine, const int64_t *capture_end_ms,
                                 uint8_t proto, int coarsen);

#endif
