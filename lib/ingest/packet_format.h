/* The `packets` table: one TSV row per TCP/UDP packet with the seed's columns plus tshark's
 * tcp.stream, tcp.flags and tcp.len, each printed exactly as tshark prints the field. */
#ifndef CR_PACKET_FORMAT_H
#define CR_PACKET_FORMAT_H

#include <stddef.h>

#include "ingest/packet.h"

/* Longest row cr_packet_format() can write, newline and NUL included. */
#define CR_PACKET_ROW_MAX 256

/* The header line, newline included. */
extern const char cr_packet_header[];

/* Writes p as one row ending in a newline; returns its length. Unknown fields (UDP's tcp_*
 * columns, or values an export lacks) are empty. */
size_t cr_packet_format(const cr_packet *p, char out[CR_PACKET_ROW_MAX]);

#endif
