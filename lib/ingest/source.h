/* A packet source: one input file (one machine) delivering cr_packet records in file order.
 * pcap/pcapng, .Rds and TSV/CSV exports all implement it, so every later stage is blind to the
 * input kind except through `has_flags` (captures know TCP flags, exports only completeness). */
#ifndef CR_SOURCE_H
#define CR_SOURCE_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "ingest/packet.h"

#define CR_SOURCE_MAX_DROPS 16

typedef struct cr_source cr_source;

typedef struct {
    int (*next)(cr_source *s, cr_packet *p, cr_err *e); /* 1 packet, 0 end, -1 error */
    void (*close)(cr_source *s);
} cr_source_ops;

struct cr_source {
    const cr_source_ops *ops;
    char *path;
    const char *kind;     /* "pcap", "pcapng", "rds", "tsv", "csv" */
    int has_flags;        /* packets carry tcp.flags / tcp.len / tcp.stream from the wire */
    uint64_t records;     /* frames or rows read */
    uint64_t delivered;   /* TCP/UDP packets handed out */
    struct {
        const char *why;  /* static string, e.g. "not TCP/UDP" */
        uint64_t n;
    } drops[CR_SOURCE_MAX_DROPS];
    int ndrops;
};

/* Opens path, choosing the reader by content (pcap / pcapng magic, R serialization with or
 * without gzip/bzip2/xz, else delimited text with a header). */
int cr_source_open(cr_source **out, const char *path, cr_err *e);
/* 1 = *p filled, 0 = end of input, -1 = error (e names the file). */
int cr_source_next(cr_source *s, cr_packet *p, cr_err *e);
void cr_source_close(cr_source *s);

/* For implementations: initialise the common part, count a dropped record under a reason. */
void cr_source_init(cr_source *s, const cr_source_ops *ops, const char *path, const char *kind);
void cr_source_drop(cr_source *s, const char *why);

/* Reader constructors (each in its own module). */
int cr_pcap_source_open(cr_source **out, const char *path, cr_err *e);
int cr_rds_source_open(cr_source **out, const char *path, cr_err *e);
int cr_tsv_source_open(cr_source **out, const char *path, cr_err *e);
/* The same over len bytes in memory (kept, not copied, until the source is closed); name
 * stands for the file in messages. */
int cr_tsv_source_mem(cr_source **out, const void *buf, size_t len, const char *name, cr_err *e);

#endif
