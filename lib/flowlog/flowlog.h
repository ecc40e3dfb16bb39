/* Flow records and firewall session logs read into the same outbound connection records
 * (cr_flow) as the packet path, grouped per inside host (docs/flowlogs.md).
 *
 * Formats are detected from content, never from the file name: Zeek conn.log (TSV and JSON
 * lines), nfdump CSV (`-o csv`, `-o fmt:...`) and JSON (`-o json`), argus `ra` CSV and CTU-13
 * binetflow, PAN-OS TRAFFIC, FortiOS traffic and Cisco ASA 302013-302016 syslog, and connrate's
 * own flows table. Every one is read through lib/common/csv.h, so gzip is read transparently.
 *
 * Two layers:
 *  - cr_flowlog_stream: one file, one callback per record, in bounded memory (the open sessions
 *    of a firewall log are the only state kept). Records are as the file has them: a whole
 *    connection, one direction of one (NetFlow), or one piece in time of one (argus status
 *    records, NetFlow active timeouts).
 *  - cr_flowlog_read: files -> connections (the joins below) -> inside hosts -> one machine per
 *    inside host with its outbound connections, sorted as cr_machine_flows sorts them.
 *
 * Join rules (lib/flowlog/join.c), applied to the records of one file in start order:
 *  - "bidirectional join": a one-way record whose reverse 5-tuple has a connection it overlaps
 *    in time (starts at or before that connection's last packet, at the file's resolution) is
 *    that connection's other direction.
 *  - "active-timeout join": a record of a 5-tuple that starts within join_gap_ms of the last
 *    packet of the connection before it continues that connection, unless it is a TCP record
 *    with a SYN after that connection closed (a FIN or RST): a reused port. A TCP record that
 *    has certainly no SYN continues the open connection of its 5-tuple whatever the gap, since
 *    only a SYN opens a TCP connection.
 *  - "originator rule" for one-way records: the side whose flags alone have a SYN; else the
 *    side whose first packet is earlier at the file's resolution; else the side with the higher
 *    port (the lower one is the service); else the side listed first.
 *
 * Time resolution: every time is ms since the epoch, floored. A file reports resolution_ms, the
 * coarsest of its start times (1 for ms or finer, 1000 for whole seconds). Per connection, dur
 * says what the duration model may use: the true duration lies in [lo_ms, hi_ms). At 1 ms it is
 * [d, d + 1) as on the packet path; a duration measured between two clocks read in whole
 * seconds is (d - 1 s, d + 1 s), so 0 s means "below 1 s", never zero; hi_ms is CR_NA_I64 when
 * the duration is only a lower bound (open at the end of the file) or unknown (lo_ms 0).
 *
 * Time zones: a time without a zone is UTC unless the record carries a zone (ISO 8601 offsets,
 * FortiGate `tz`, UTC/GMT and the US and central/eastern European abbreviations in syslog) or an
 * epoch field (FortiGate `eventtime`), which wins. A syslog time without a year is placed in
 * the year 2000, and each time the month goes back (December to January) in the next year. */
#ifndef CR_FLOWLOG_H
#define CR_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "flows/flows.h"
#include "flows/scope.h"

enum {
    CR_FLOWLOG_UNKNOWN = 0,
    CR_FLOWLOG_ZEEK_TSV,
    CR_FLOWLOG_ZEEK_JSON,
    CR_FLOWLOG_NFDUMP_CSV,
    CR_FLOWLOG_NFDUMP_JSON,
    CR_FLOWLOG_ARGUS,
    CR_FLOWLOG_PANOS,
    CR_FLOWLOG_FORTIOS,
    CR_FLOWLOG_ASA,
    CR_FLOWLOG_FLOWS,
    CR_FLOWLOG_NFORMATS
};
/* "zeek-tsv", "zeek-json", "nfdump-csv", ... as the summary prints them. */
const char *cr_flowlog_format_name(int format);

/* What a record is: the joins make connections of the last two. */
enum {
    CR_FLOWLOG_WHOLE = 0, /* one connection, its originator first */
    CR_FLOWLOG_ONEWAY,    /* one direction of a connection, or one piece of that (NetFlow) */
    CR_FLOWLOG_PIECE,     /* both directions, one piece in time, originator first (argus) */
};

typedef struct {
    int64_t lo_ms, hi_ms; /* the duration lies in [lo_ms, hi_ms); hi_ms CR_NA_I64: unbounded */
} cr_flowlog_dur;

typedef struct {
    cr_flow f;            /* src first as the file lists it; start/end/last at the file's
                           * resolution; reason as the record says (one-way: open); packets 0
                           * when the file does not count them */
    cr_flowlog_dur dur;   /* this record's own duration */
    uint8_t kind;         /* CR_FLOWLOG_WHOLE / ONEWAY / PIECE */
    uint8_t tcp_flags;    /* one-way and piece records: TCP flags seen (CR_TH_*) */
    int8_t syn;           /* pieces: a SYN was seen (1), certainly not (0), unknown (-1) */
    int8_t local_orig;    /* Zeek's local_orig: 1 T, 0 F, -1 absent or unset */
    const char *machine_id; /* connrate's flows table: the row's machine_id; else NULL */
    size_t line;          /* where the record ends in the file */
} cr_flowlog_rec;

#define CR_FLOWLOG_MAX_SKIPS 32
#define CR_FLOWLOG_SKIP_LINES 5

/* Records left out for one reason. */
typedef struct {
    const char *why;      /* static text naming the reason */
    int bad;              /* a malformed record (warned about), not one connrate does not use */
    uint64_t n;
    size_t lines[CR_FLOWLOG_SKIP_LINES]; /* the first few, in file order */
    char first[192];      /* what was wrong with the first one */
} cr_flowlog_skip;

typedef struct {
    char *path;
    int format;
    int64_t resolution_ms;
    uint64_t records;     /* data records read (header, comment and summary lines excluded) */
    uint64_t used;        /* records that became connections or parts of them */
    uint64_t connections; /* after the joins */
    uint64_t joined_reply, joined_continued; /* records joined by each join rule */
    uint64_t orig_rule[3]; /* joined connections whose originator the SYN, the first packet,
                            * the service port decided */
    uint64_t open_at_end; /* connections still open when the file ends */
    int64_t first_ms, last_ms; /* first start, last end or packet of the used records */
    size_t hosts, dropped_hosts;
    cr_flowlog_skip skips[CR_FLOWLOG_MAX_SKIPS];
    int nskips;
} cr_flowlog_file;

/* The records skipped for one reason, as one line: "PATH:LINE: FIRST (N records skipped for
 * this, lines a, b, c, d, e, ...)". */
void cr_flowlog_skip_format(const cr_flowlog_file *f, const cr_flowlog_skip *s, char *buf,
                            size_t len);

/* Called once per record; a non-zero return stops the stream and is returned (fill e). */
typedef int (*cr_flowlog_cb)(void *ctx, const cr_flowlog_rec *r, cr_err *e);

/* Detects the format of path and calls cb for every usable record; fills *sum (records, skips,
 * resolution, window; free it with cr_flowlog_file_free, on failure too). Fails with one line
 * naming the file when it cannot be read, is of no known format, mixes formats, or has no
 * usable record. */
int cr_flowlog_stream(const char *path, cr_flowlog_cb cb, void *ctx, cr_flowlog_file *sum,
                      cr_err *e);
void cr_flowlog_file_free(cr_flowlog_file *f);

/* The format of path from its first lines, or CR_FLOWLOG_UNKNOWN (then e says why). */
int cr_flowlog_detect(const char *path, cr_err *e);

/* ---- inside hosts ---- */

typedef struct {
    const cr_cidr *local_nets; /* inside networks (flows/scope.h); none: inferred
                                * (docs/flowlogs.md) */
    int nlocal_nets;
    size_t min_flows;    /* inside hosts with fewer outbound connections are dropped */
    int64_t join_gap_ms; /* the active-timeout join's gap: the exporter's inactive timeout */
    /* Inside hosts kept at most (0: all): past it, a uniform sample of them chosen by hash of
     * (seed, address) as the records stream (hostsample.c), and only their connections held.
     * Which hosts may be inside is then decided per record: the networks given, else Zeek's
     * local_orig, else a private address; give --local-nets for other inside networks. */
    size_t max_hosts;
    uint64_t seed;
} cr_flowlog_opts;

/* local nets none, min_flows 1, join_gap_ms 60 s, every host. */
void cr_flowlog_opts_init(cr_flowlog_opts *o);

typedef struct {
    char *machine_id;        /* the inside address as text (the flows table: its machine_id) */
    cr_flow *flows;          /* outbound connections, sorted as cr_machine_flows sorts */
    cr_flowlog_dur *dur;     /* per flow */
    size_t nflows;
    int64_t first_ms, last_ms; /* observation window: that of the files (a silent host was
                                * still observed); a machine of connrate's flows table: its
                                * own connections' */
    int64_t resolution_ms;
} cr_flowlog_host;

typedef struct {
    cr_flowlog_host *hosts;  /* sorted by machine_id */
    size_t nhosts;
    cr_flowlog_file *files;
    int nfiles;
    size_t dropped_hosts;    /* inside hosts under min_flows */
    uint64_t dropped_flows;  /* their connections */
    uint64_t not_outbound;   /* connections whose originator is not inside */
    char inside[160];        /* how the inside hosts were found, for the summary */
    size_t population_hosts; /* hosts that may be inside, when max_hosts of them were sampled
                              * (0: every host kept) */
    uint64_t sample_dropped; /* records and connections of the hosts left out */
    size_t held_peak;        /* with max_hosts: most connections and records held at once */
    cr_flow *flow_store;     /* what the hosts' flows and dur point into, host after host */
    cr_flowlog_dur *dur_store;
} cr_flowlog_set;

/* Reads every file (each joined on its own), finds the inside hosts across all of them and
 * groups their outbound connections. On error nothing is returned and e names the file. */
int cr_flowlog_read(const char *const *paths, int npaths, const cr_flowlog_opts *o,
                    cr_flowlog_set *out, cr_err *e);
void cr_flowlog_set_free(cr_flowlog_set *s);

/* Summary lines for stderr: per file its format, resolution, records, skips (one warning line
 * per reason of bad records), connections and hosts; then how the inside hosts were found. */
void cr_flowlog_describe(FILE *out, const cr_flowlog_set *s);

#endif
