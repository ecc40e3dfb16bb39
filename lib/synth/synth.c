/* `connrate synth` end to end: one model run and one capture file per machine, then the truth.
 * Machines are independent streams, so they are drawn and written in parallel. */
#include "synth/synth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "ingest/packet.h"

typedef struct {
    const char *dir;
    const cr_synth_opts *o;
    cr_synth_machine *ms;
    int width;
    pthread_mutex_t lock;
    int next, done, failed;
    cr_err err;
} job;

static int write_machine(job *j, cr_synth_machine *m, int index, cr_err *e)
{
    cr_synth_model(m, index, j->o->seed, j->o->minutes);
    snprintf(m->id, sizeof m->id, "ws%0*d", j->width, index);
    size_t n = strlen(j->dir) + 32;
    char *path = xmalloc(n);
    int rc;
    if (j->o->format == CR_SYNTH_PCAP) {
        snprintf(path, n, "%s/%s.pcap", j->dir, m->id);
        rc = cr_synth_write_pcap(m, path, e);
    } else {
        /* The .Rds is what tshark makes of the capture, so the capture is written first. */
        char *tmp = xmalloc(n);
        snprintf(tmp, n, "%s/.%s.pcap", j->dir, m->id);
        snprintf(path, n, "%s/%s.Rds", j->dir, m->id);
        rc = cr_synth_write_pcap(m, tmp, e);
        if (rc == 0) {
            rc = cr_synth_pcap_to_rds(tmp, path, e);
            unlink(tmp);
        }
        free(tmp);
    }
    free(path);
    free(m->pkts); /* the truth needs only the per-connection tallies */
    m->pkts = NULL;
    return rc;
}

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->failed ? j->o->machines : j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->o->machines)
            return NULL;
        cr_err e;
        int rc = write_machine(j, &j->ms[i], i + 1, &e);
        pthread_mutex_lock(&j->lock);
        if (rc != 0 && !j->failed) {
            j->failed = 1;
            j->err = e;
        }
        j->done++;
        cr_progress_step("synth: writing machines", j->done, j->o->machines);
        pthread_mutex_unlock(&j->lock);
    }
}

int cr_synth_run(const char *dir, const cr_synth_opts *o, cr_synth_stats *st, cr_err *e)
{
    if (o->machines < 1 || o->machines > CR_SYNTH_MAX_MACHINES)
        return cr_fail(e, "synth: number of machines must be 1..%d, not %d",
                       CR_SYNTH_MAX_MACHINES, o->machines);
    if (!(o->minutes >= CR_SYNTH_MIN_MINUTES && o->minutes <= CR_SYNTH_MAX_MINUTES))
        return cr_fail(e, "synth: capture length must be %g..%g minutes, not %g",
                       CR_SYNTH_MIN_MINUTES, CR_SYNTH_MAX_MINUTES, o->minutes);
    if (cr_mkdirs(dir, e) != 0)
        return -1;
    job j;
    memset(&j, 0, sizeof j);
    j.dir = dir;
    j.o = o;
    j.ms = xcalloc((size_t)o->machines, sizeof *j.ms);
    j.width = o->machines > 99 ? 3 : 2;
    pthread_mutex_init(&j.lock, NULL);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nth = ncpu < 1 ? 1 : ncpu > o->machines ? o->machines : (int)ncpu;
    pthread_t *th = xcalloc((size_t)nth, sizeof *th);
    int started = 0;
    for (; started < nth; started++)
        if (pthread_create(&th[started], NULL, worker, &j) != 0)
            break;
    if (started == 0)
        worker(&j);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    pthread_mutex_destroy(&j.lock);
    cr_progress_done();
    int rc = 0;
    if (j.failed) {
        *e = j.err;
        rc = -1;
    } else {
        rc = cr_synth_write_truth(dir, j.ms, o->machines, e);
    }
    if (st)
        memset(st, 0, sizeof *st);
    for (int i = 0; i < o->machines; i++) {
        cr_synth_machine *m = &j.ms[i];
        for (size_t c = 0; st && c < m->nconn; c++) {
            const cr_synth_conn *cn = &m->conns[c];
            st->packets += cn->packets;
            if (cn->packets && cn->inbound)
                st->tcp_in++;
            else if (cn->packets)
                *(cn->proto == CR_PROTO_TCP ? &st->tcp_out : &st->udp_out) += 1;
        }
        cr_synth_machine_free(m);
    }
    free(j.ms);
    return rc;
}
