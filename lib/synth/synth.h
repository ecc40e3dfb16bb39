/* Synthetic workstation captures with their exact ground truth (`connrate synth`).
 *
 * Each machine (user) is one Ethernet capture of one workstation that has one IPv4 and one IPv6
 * address. The generative process (docs/synth.md has the rationale and the numbers):
 *
 *   user level     baseline rate lambda_u ~ LogNormal(log 0.35/s, 0.7) of background outbound
 *                  connections, page-load rate beta_u ~ LogNormal(log 1/75 s, 0.5), IPv6 share
 *                  p6_u ~ Beta(2, 3), minute-level spread sigma_u ~ U(0.4, 0.9).
 *   minute level   log multiplier z_m = 0.7 z_{m-1} + sqrt(1 - 0.49) sigma_u eps_m (AR(1),
 *                  stationary sd sigma_u), rate multiplier exp(z_m - sigma_u^2 / 2) (mean 1).
 *   events         per minute Poisson(lambda_u mult 60) background connections at uniform
 *                  times (TCP 60 %, DNS 30 %, QUIC 10 %) and Poisson(beta_u mult 60) page loads:
 *                  a DNS query, then 1 + NegBin(mean 12) connections to 1 + Poisson(2) hosts,
 *                  each after an Exp(0.2 s) delay cut at 1 s (TCP 85 %, QUIC 15 %). Inbound TCP
 *                  connections to port 22 or 3389 arrive at 1 per 400 s (skipped while they
 *                  would reach half the outbound TCP connections of their family, so the local
 *                  address stays the most common SYN source); they are in the capture but not
 *                  outbound, so not in the truth. The capture opens with a DNS query and a TCP
 *                  connection in each family.
 *   TCP            SYN, SYN-ACK, ACK (RTT ~ LogNormal(log 25 ms, 0.7)); 2 % refused (SYN then
 *                  RST-ACK); duration a lognormal mixture (75 % median 1 s, 20 % median 20 s,
 *                  5 % median 300 s); 1 + Poisson(D / 8 s) request/response exchanges; the close
 *                  is a FIN handshake started by the client (50 %) or the server (25 %), a client
 *                  RST-ACK (8 %), a bare server RST (7 %), or none (10 %, left open).
 *   UDP            DNS to port 53: one query, one reply (3 % unanswered). QUIC to port 443: an
 *                  Initial, server replies, then exchanges over a LogNormal(log 8 s, 1.2) duration.
 *   capture end    packets after the capture window are dropped, so long connections stay open.
 *
 * Ambiguities are avoided by construction, so the truth is exact: every connection starts inside
 * the capture with its first packet (no mid-stream flows), no 4-tuple is used twice on a machine
 * (no port reuse), no retransmissions, TCP header length 20, timestamps strictly increase within
 * a connection. Machine k's capture depends only on (seed, k), not on the number of machines. */
#ifndef CR_SYNTH_H
#define CR_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ingest/addr.h"

typedef enum { CR_SYNTH_PCAP, CR_SYNTH_RDS } cr_synth_format;

typedef struct {
    int machines;          /* K >= 1: files ws01 .. wsK */
    double minutes;        /* capture window per machine */
    uint64_t seed;
    cr_synth_format format;
} cr_synth_opts;

#define CR_SYNTH_MAX_MACHINES 999
#define CR_SYNTH_MAX_MINUTES (7 * 24 * 60.0)
#define CR_SYNTH_MIN_MINUTES 0.05
/* Frames are cut to this many bytes (all headers fit); IP lengths stay those of the full packet. */
#define CR_SYNTH_SNAPLEN 128

typedef struct {
    uint64_t packets;
    uint64_t tcp_out, udp_out, tcp_in;
} cr_synth_stats;

/* Writes DIR/wsNN.pcap (or .Rds), DIR/truth/flows.csv and DIR/truth/cps.csv. */
int cr_synth_run(const char *dir, const cr_synth_opts *o, cr_synth_stats *st, cr_err *e);

/* ---- Internals shared by the synth files (model, frames, truth, rds). ---- */

enum { CR_SYNTH_OPEN, CR_SYNTH_FIN, CR_SYNTH_RST, CR_SYNTH_UDP_LAST };

typedef struct {
    cr_addr remote;
    uint8_t proto;         /* CR_PROTO_TCP / CR_PROTO_UDP */
    uint8_t inbound;       /* the remote side initiated */
    uint16_t lport, rport;
    /* Truth, measured on the packets actually written (after the capture-end cut). */
    uint8_t end_reason;    /* CR_SYNTH_* */
    uint32_t packets;
    int64_t first_us, end_us, last_us; /* end_us: first FIN+ACK/RST (TCP), last outbound (UDP) */
} cr_synth_conn;

typedef struct {
    int64_t ts_us;         /* µs since the epoch */
    uint32_t conn;         /* index into the machine's conns */
    uint32_t seq, ack;
    uint16_t len;          /* transport payload bytes on the wire */
    uint8_t flags;         /* CR_TH_* (TCP) */
    uint8_t out;           /* sent by the workstation */
} cr_synth_pkt;

typedef struct {
    char id[8];            /* "ws01": the file name without extension */
    cr_addr local4, local6;
    uint8_t mac_local[6], mac_gw[6];
    cr_synth_conn *conns;
    size_t nconn;
    cr_synth_pkt *pkts;    /* sorted by time once the model is done */
    size_t npkt;
    int64_t first_us, last_us; /* first and last packet, -1 when there are none */
} cr_synth_machine;

/* Draws machine `index` (1-based) for `minutes` of capture from the stream of `seed`; fills conns
 * and time-ordered pkts, and the per-connection truth. */
void cr_synth_model(cr_synth_machine *m, int index, uint64_t seed, double minutes);
void cr_synth_machine_free(cr_synth_machine *m);

/* Builds packet p's Ethernet frame, cut to CR_SYNTH_SNAPLEN, into buf; returns the captured
 * length and sets *wire to the length on the wire. */
uint32_t cr_synth_frame(const cr_synth_machine *m, const cr_synth_pkt *p, uint16_t ip_id,
                        uint8_t buf[CR_SYNTH_SNAPLEN], uint32_t *wire);
/* Writes the machine's packets as a microsecond Ethernet pcap, atomically. */
int cr_synth_write_pcap(const cr_synth_machine *m, const char *path, cr_err *e);

/* Reads a capture back through the tshark-emulating packet source and writes the seed's .Rds. */
int cr_synth_pcap_to_rds(const char *pcap, const char *rds, cr_err *e);

/* truth/flows.csv and truth/cps.csv for machines ms[0..k-1] (in machine order). */
int cr_synth_write_truth(const char *dir, const cr_synth_machine *ms, int k, cr_err *e);

#endif
