/* What the files of lib/flowlog share: the reading state each format reader works on, the time
 * and field parsers, the JSON framer, and the connection builder between the readers and the
 * host grouping. */
#ifndef CR_FLOWLOG_INTERNAL_H
#define CR_FLOWLOG_INTERNAL_H

#include "common/csv.h"
#include "common/hashmap.h"
#include "common/sample.h"
#include "flowlog/flowlog.h"
#include "ingest/packet.h"

/* ---- reading (stream.c) ---- */

/* The clock of a syslog file whose stamps have no year. */
typedef struct {
    int year, month;
} cr_fl_clock;

typedef struct {
    const char *path;
    cr_csv *csv;
    cr_flowlog_file *sum;
    cr_flowlog_cb cb;
    void *ctx;
    cr_err *e;
    size_t line;        /* line of the record being read */
    cr_fl_clock clock;
    char *prev;         /* the previous line of a syslog file (repeats are skipped) */
    size_t prev_len, prev_cap;
    char *join;         /* cr_fl_join_fields' buffer */
    size_t join_cap;
} cr_fl_in;

/* Counts a record left out (bad: malformed, warned about); detail says what was wrong, for the
 * first of its reason. Returns 0. */
int cr_fl_skip(cr_fl_in *in, const char *why, int bad, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Hands a usable record to the callback; res_ms is the resolution of its start. */
int cr_fl_emit(cr_fl_in *in, cr_flowlog_rec *r, int64_t res_ms);
/* A record this reader cannot use: an error when the text is a line of another known format
 * (a file mixing formats), else 0 so the caller counts it as bad. */
int cr_fl_check_mixed(cr_fl_in *in, const char *text, size_t len);
/* The record's fields joined back into its text (for cr_fl_check_mixed and messages). */
const char *cr_fl_join_fields(cr_fl_in *in, const cr_csv_field *f, int n, char delim,
                              size_t *len);
/* The next record of a delimited file, blank lines passed over and in->line set: what
 * cr_csv_next returns (> 0 fields, 0 at the end, < 0 an error in in->e). */
int cr_fl_next_row(cr_fl_in *in, cr_csv_field **f);
/* A header row met with text: a header unlike the one before is counted as a skipped line and
 * becomes *header (freed and replaced). True when the caller must take the new header's
 * columns (the first header, or a changed one). */
int cr_fl_header_row(cr_fl_in *in, char **header, const char *text);
/* True (and counted) when this line repeats the previous one exactly (syslog relays do). */
int cr_fl_repeat(cr_fl_in *in, const char *s, size_t len);

/* ---- detection (detect.c) ---- */

/* The format a single line belongs to, or CR_FLOWLOG_UNKNOWN; JSON lines are CR_FLOWLOG_ZEEK_JSON
 * until their members say otherwise. */
int cr_fl_classify(const char *s, size_t len);
/* PAN-OS: "<syslog header> FUTURE,YYYY/MM/DD hh:mm:ss,SERIAL,TYPE,..." with TYPE in capitals. */
int cr_fl_panos_line(const char *s, size_t len);

/* ---- sessions opened and not yet closed (pending.c) ---- */

#define CR_FL_ID_LEN 16

typedef struct {
    cr_hmap by_id;          /* id -> slot + 1, 0 once closed */
    cr_flowlog_rec *rec;    /* line 0: a free slot */
    int64_t *res;           /* per slot, the resolution of its start */
    size_t n, cap;
    uint32_t *free_slots;
    size_t nfree, free_cap, live;
} cr_fl_pending;

void cr_fl_pending_init(cr_fl_pending *p);
void cr_fl_pending_free(cr_fl_pending *p);
cr_flowlog_rec *cr_fl_pending_get(cr_fl_pending *p, const uint8_t id[CR_FL_ID_LEN]);
void cr_fl_pending_put(cr_fl_pending *p, const uint8_t id[CR_FL_ID_LEN], const cr_flowlog_rec *r,
                       int64_t res_ms);
void cr_fl_pending_del(cr_fl_pending *p, const uint8_t id[CR_FL_ID_LEN]);
/* Emits what is still open, in file order. */
int cr_fl_pending_flush(cr_fl_pending *p, cr_fl_in *in);
/* An id from a session number and the text naming the device it belongs to. */
void cr_fl_session_id(uint8_t id[CR_FL_ID_LEN], uint64_t session, const char *device);

/* ---- readers, one per format family ---- */
int cr_fl_read_zeek_tsv(cr_fl_in *in);
int cr_fl_read_json(cr_fl_in *in, int *format);
int cr_fl_read_nfdump_csv(cr_fl_in *in);
int cr_fl_read_argus(cr_fl_in *in);
int cr_fl_read_panos(cr_fl_in *in);
int cr_fl_read_fortios(cr_fl_in *in);
int cr_fl_read_asa(cr_fl_in *in);
int cr_fl_read_flows(cr_fl_in *in);

/* Record builders the JSON reader shares with the CSV readers of the same sources. */
typedef struct cr_fl_json cr_fl_json;
int cr_fl_zeek_json_record(cr_fl_in *in, const cr_fl_json *j);
int cr_fl_nfdump_json_record(cr_fl_in *in, const cr_fl_json *j);

/* ---- fields (fields.c) ---- */

/* tcp/udp by name (any case) or number; 0 for anything else (*other names it for messages). */
uint8_t cr_fl_proto(const char *s);
int cr_fl_port(const char *s, uint16_t *out);
int cr_fl_addr(const char *s, cr_addr *a);
/* Unsigned decimal count. */
int cr_fl_count(const char *s, uint64_t *out);
/* The resolution in ms of a decimal number of seconds, from its digits after the point. */
int64_t cr_fl_decimal_res(const char *s);
/* The record's duration from its own measure d (ms) at resolution res_ms. */
cr_flowlog_dur cr_fl_dur(int64_t d, int64_t res_ms);
/* TCP flags from NetFlow/argus text ("...AP.SF", "0x1b", "27", argus "S_RA" sides). */
uint8_t cr_fl_tcp_flags(const char *s);
/* Fills addresses, ports and ip version; fails (returns -1, skip counted) on a bad address or
 * mixed families. */
int cr_fl_endpoints(cr_fl_in *in, cr_flowlog_rec *r, const char *src, const char *sport,
                    const char *dst, const char *dport);

/* ---- times (stamp.c) ---- */

/* Times and durations beyond these are refused as unparsable, so that no sum of them can
 * overflow: the year 9999, and a connection of 300 years. */
#define CR_FL_MAX_MS ((int64_t)253402300799999)
#define CR_FL_MAX_DUR_MS ((int64_t)9467280000000)

/* floor(value * 10^scale) of a non-negative decimal ("12", "12.5", "1.2e9"). */
int cr_fl_decimal(const char *s, size_t len, int scale, int64_t *out);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t cr_fl_days(int y, int m, int d);
/* "YYYY-MM-DD[ T]hh:mm:ss[.frac][Z|+hh:mm| NAME]" or with '/' in the date; ms since the epoch
 * (UTC when no zone), *res the resolution of what was written (1000, 100, 10 or 1). */
int cr_fl_datetime(const char *s, size_t len, int64_t *ms, int *res);
/* "Mmm dd [yyyy ]hh:mm:ss[.frac][ ZONE]" at the start of s: returns its length, 0 if none.
 * A stamp without a year takes it from the clock c (and fails when c is NULL). */
size_t cr_fl_syslog_time(cr_fl_clock *c, const char *s, size_t len, int64_t *ms, int *res);
/* "h:mm:ss[.frac]" (hours any number of digits). */
int cr_fl_hms(const char *s, size_t len, int64_t *ms, int *res);
int cr_fl_zone_name(const char *s, size_t len, int *minutes);
int cr_fl_zone_offset(const char *s, size_t len, int *minutes);

/* ---- JSON (json.c) ---- */

enum { CR_JSON_STR = 1, CR_JSON_NUM, CR_JSON_TRUE, CR_JSON_FALSE, CR_JSON_NULL, CR_JSON_NESTED };

typedef struct {
    const char *key, *val; /* val: unescaped string, number or literal text; "" when nested */
    size_t len;
    int type;
    size_t klen;
} cr_fl_jfield;

struct cr_fl_json {
    char *obj;             /* the object being framed */
    size_t len, cap;
    int depth, in_str, esc;
    char *buf;             /* unescaped names and values */
    size_t bcap;
    cr_fl_jfield *f;
    size_t n, fcap;
};

/* Feeds one line: 1 when an object is complete (*used bytes taken; feed the rest again), 0 when
 * the line was taken and the object goes on, -1 when the text cannot be framed (err says why). */
int cr_fl_json_feed(cr_fl_json *j, const char *s, size_t len, size_t *used, char *err,
                    size_t errlen);
/* Parses the framed object into its top-level members. */
int cr_fl_json_parse(cr_fl_json *j, char *err, size_t errlen);
const cr_fl_jfield *cr_fl_json_get(const cr_fl_json *j, const char *key);
void cr_fl_json_reset(cr_fl_json *j);
void cr_fl_json_free(cr_fl_json *j);

/* ---- connections (join.c) ---- */

/* A connection as kept until the hosts are known: the flow (src = originator), its duration,
 * Zeek's local_orig and, for the flows table, its machine. */
typedef struct {
    cr_flow *f;
    cr_flowlog_dur *dur;
    int8_t *local_orig;
    int32_t *machine;      /* index into machine_ids, -1 for none */
    size_t n, cap;
    char **machine_ids;
    size_t nmachine_ids, machine_cap;
    size_t *file_end;      /* per file read, the number of connections after it */
    int nfiles;
} cr_fl_conns;

void cr_fl_conns_init(cr_fl_conns *c);
void cr_fl_conns_free(cr_fl_conns *c);

/* Builds the connections of one file from its records (a cr_flowlog_cb's state). */
typedef struct {
    cr_fl_conns *out;
    cr_flowlog_file *sum;
    int64_t join_gap_ms;
    cr_flowlog_rec *pending; /* one-way and piece records, joined at the end of the file */
    size_t npending, pending_cap;
    struct cr_fl_hsample *hosts; /* the inside hosts sampled (hostsample.c), or NULL */
} cr_fl_builder;

int cr_fl_builder_add(void *builder, const cr_flowlog_rec *r, cr_err *e);
/* Joins the pending records (the rules in flowlog.h) into connections. */
void cr_fl_builder_finish(cr_fl_builder *b);

/* ---- the sample of inside hosts (hostsample.c) ---- */

/* Connections and records held before a first compaction to the sample. */
#define CR_FL_COMPACT_MIN ((size_t)1 << 20)

typedef struct cr_fl_hsample {
    const cr_flowlog_opts *o; /* max_hosts, seed, the inside networks */
    cr_hmap seen;           /* key of every host that may be inside -> its index */
    uint8_t *in;            /* per index: in the sample now */
    size_t nseen, in_cap;
    cr_bottomk b;
    int sampling;           /* the hosts outnumber the sample: records are left out */
    size_t compact_at;      /* held connections and records that call for a compaction */
    uint64_t dropped;       /* records and connections left out */
    size_t held_peak;       /* most connections and records held at once */
} cr_fl_hsample;

void cr_fl_hsample_init(cr_fl_hsample *s, const cr_flowlog_opts *o);
void cr_fl_hsample_free(cr_fl_hsample *s);
/* Whether a record is kept: one of its ends (the originator of a whole connection) is a host of
 * the sample, or the sample has all the hosts seen so far. Offers its hosts to the sample. */
int cr_fl_hsample_keep(cr_fl_hsample *s, const cr_flowlog_rec *r);
/* Drops the connections of c and the records pending in b (may be NULL) that no longer belong
 * to the sample, once they have doubled since the last time or when force is set. */
void cr_fl_hsample_compact(cr_fl_hsample *s, cr_fl_conns *c, cr_fl_builder *b, int force);
/* Hosts that may be inside, seen across the files, when some were left out; else 0. */
size_t cr_fl_hsample_population(const cr_fl_hsample *s);

/* ---- hosts (hosts.c) ---- */

/* RFC 1918, RFC 6598 shared space, IPv6 ULA, IPv4 and IPv6 link-local. */
int cr_fl_private_addr(const cr_addr *a);

/* Groups the connections of every file (s->files already filled) into hosts; the hosts' flows
 * are c's own arrays reordered in place, which pass to s. */
void cr_fl_group(cr_fl_conns *c, const cr_flowlog_opts *o, cr_flowlog_set *s);

#endif
