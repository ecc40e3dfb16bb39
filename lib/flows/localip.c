/* The seed's inference of the workstation's own addresses: per family, the most frequent source
 * of TCP rows showing completeness 0 (those are connection openers, and a workstation opens far
 * more connections than it accepts). */
#include <stdlib.h>
#include <string.h>

#include "common/hashmap.h"
#include "common/xalloc.h"
#include "flows/machine.h"

void cr_machine_give_local(cr_machine *m, const cr_addr *a)
{
    int f = cr_fam(a->family);
    m->local[f] = *a;
    m->local_set[f] = m->local_given[f] = 1;
}

int cr_machine_is_local(const cr_machine *m, const cr_addr *a)
{
    int f = cr_fam(a->family);
    return m->local_set[f] && cr_addr_equal(&m->local[f], a);
}

static const cr_addr *zero_row_src(const cr_machine *m, const cr_zero_row *z)
{
    const cr_tcp_conn *c = &m->tcp[z->conn];
    return z->dir ? &c->ep.b : &c->ep.a;
}

/* R's slice_max after count(sort = TRUE) keeps the first address in sorted order among equal
 * counts; that order is byte order of the text in the C locale. */
static int better(const cr_addr *cand, uint64_t n, const cr_addr *best, uint64_t best_n)
{
    if (n != best_n)
        return n > best_n;
    char x[CR_ADDR_STRLEN], y[CR_ADDR_STRLEN];
    cr_addr_format(cand, x);
    cr_addr_format(best, y);
    return strcmp(x, y) < 0;
}

void cr_machine_infer_local(cr_machine *m)
{
    cr_hmap counts;
    cr_hmap_init(&counts, sizeof(cr_addr));
    cr_addr *addrs = NULL;
    uint64_t *n = NULL;
    size_t na = 0, cap_a = 0, cap_n = 0;
    m->zero_rows_tcp[0] = m->zero_rows_tcp[1] = 0;
    for (size_t i = 0; i < m->nzero; i++) {
        const cr_addr *src = zero_row_src(m, &m->zero[i]);
        m->zero_rows_tcp[cr_fam(src->family)]++;
        int created;
        uint32_t *slot = cr_hmap_put(&counts, src, &created);
        if (created) {
            xgrow(&addrs, &cap_a, na + 1, sizeof *addrs);
            xgrow(&n, &cap_n, na + 1, sizeof *n);
            addrs[na] = *src;
            n[na] = 0;
            *slot = (uint32_t)na++;
        }
        n[*slot]++;
    }
    for (int f = 0; f < 2; f++) {
        if (m->local_given[f]) {
            uint32_t *slot = cr_hmap_get(&counts, &m->local[f]);
            m->local_votes[f] = slot ? n[*slot] : 0;
            continue;
        }
        int best = -1;
        for (size_t i = 0; i < na; i++)
            if (cr_fam(addrs[i].family) == f &&
                (best < 0 || better(&addrs[i], n[i], &addrs[best], n[best])))
                best = (int)i;
        m->local_set[f] = best >= 0;
        if (best >= 0) {
            m->local[f] = addrs[best];
            m->local_votes[f] = n[best];
        }
    }
    free(addrs);
    free(n);
    cr_hmap_free(&counts);
}
