/* Sessions a firewall log has opened (PAN-OS start, FortiGate start, ASA built) and not yet
 * closed, by the log's own session or connection id. What is still here when the file ends was
 * open then. */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void cr_fl_pending_init(cr_fl_pending *p)
{
    memset(p, 0, sizeof *p);
    cr_hmap_init(&p->by_id, CR_FL_ID_LEN);
}

void cr_fl_pending_free(cr_fl_pending *p)
{
    cr_hmap_free(&p->by_id);
    free(p->rec);
    free(p->res);
    free(p->free_slots);
    memset(p, 0, sizeof *p);
}

void cr_fl_session_id(uint8_t id[CR_FL_ID_LEN], uint64_t session, const char *device)
{
    uint64_t h = cr_hash_bytes(device, strlen(device));
    memcpy(id, &session, 8);
    memcpy(id + 8, &h, 8);
}

cr_flowlog_rec *cr_fl_pending_get(cr_fl_pending *p, const uint8_t id[CR_FL_ID_LEN])
{
    uint32_t *v = cr_hmap_get(&p->by_id, id);
    return v && *v ? &p->rec[*v - 1] : NULL;
}

void cr_fl_pending_put(cr_fl_pending *p, const uint8_t id[CR_FL_ID_LEN], const cr_flowlog_rec *r,
                       int64_t res_ms)
{
    uint32_t slot;
    if (p->nfree) {
        slot = p->free_slots[--p->nfree];
    } else {
        size_t cap = p->cap;
        xgrow(&p->rec, &p->cap, p->n + 1, sizeof *p->rec);
        xgrow(&p->res, &cap, p->n + 1, sizeof *p->res);
        slot = (uint32_t)p->n++;
    }
    p->rec[slot] = *r;
    p->res[slot] = res_ms;
    int created;
    *cr_hmap_put(&p->by_id, id, &created) = slot + 1;
    p->live++;
}

void cr_fl_pending_del(cr_fl_pending *p, const uint8_t id[CR_FL_ID_LEN])
{
    uint32_t *v = cr_hmap_get(&p->by_id, id);
    if (!v || !*v)
        return;
    xgrow(&p->free_slots, &p->free_cap, p->nfree + 1, sizeof *p->free_slots);
    p->free_slots[p->nfree++] = *v - 1;
    p->rec[*v - 1].line = 0;
    *v = 0;
    p->live--;
}

typedef struct {
    size_t line;
    uint32_t slot;
} open_rec;

static int by_line(const void *x, const void *y)
{
    size_t a = ((const open_rec *)x)->line, b = ((const open_rec *)y)->line;
    return (a > b) - (a < b);
}

int cr_fl_pending_flush(cr_fl_pending *p, cr_fl_in *in)
{
    /* in file order; free slots have line 0 */
    open_rec *order = xmalloc((p->n + 1) * sizeof *order);
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->rec[i].line)
            order[k++] = (open_rec){p->rec[i].line, (uint32_t)i};
    qsort(order, k, sizeof *order, by_line);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        cr_flowlog_rec r = p->rec[order[i].slot];
        in->line = r.line;
        rc = cr_fl_emit(in, &r, p->res[order[i].slot]);
    }
    free(order);
    return rc;
}
