/* A packet source read ahead on its own thread: the wrapped reader decodes batches of packets
 * while the caller consumes the previous ones, so one large input keeps two cores busy (the
 * reader's parsing on one, connection tracking on the other). The packets, their order, the
 * record and drop counts and the error, if any, are exactly those of the wrapped source: the
 * caller sees an error only after every packet before it, as it would reading directly. */
#ifndef CR_SOURCE_AHEAD_H
#define CR_SOURCE_AHEAD_H

#include "ingest/source.h"

/* Wraps inner (which the new source owns and closes). When no thread can be started, the
 * wrapper reads inner on the caller's thread instead; the result is the same. */
cr_source *cr_source_ahead(cr_source *inner);

#endif
