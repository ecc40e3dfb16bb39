/* libFuzzer entry: the first input byte picks a link type, the rest is one frame, decoded and
 * fed to a TCP state that lives across inputs (reset now and then to bound memory), so header
 * sequences and stream-table growth are exercised too. The second byte splits caplen from the
 * wire length to mimic snaplen truncation. */
#include <stddef.h>
#include <stdint.h>

#include "ingest/decode.h"
#include "ingest/packet.h"
#include "ingest/tcp_completeness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
    CR_DLT_EN10MB, CR_DLT_LINUX_SLL, CR_DLT_LINUX_SLL2, CR_DLT_RAW, CR_DLT_NULL,
    CR_DLT_LOOP,   CR_DLT_IPV4,      CR_DLT_IPV6,       CR_DLT_PPPOE_NOETH,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cr_tcp_state *tcp;
    static unsigned n;
    if (size < 2)
        return 0;
    if (!tcp || ++n % 100000 == 0) {
        cr_tcp_state_free(tcp);
        tcp = cr_tcp_state_new();
    }
    int dlt = linktypes[data[0] % (sizeof linktypes / sizeof *linktypes)];
    uint32_t caplen = (uint32_t)(size - 2);
    uint32_t wirelen = caplen + data[1];
    cr_decoded d;
    if (cr_decode(dlt, data + 2, caplen, wirelen, &d) == NULL) {
        char s[CR_ADDR_STRLEN];
        cr_addr_format(&d.src, s);
        cr_addr_format(&d.dst, s);
        if (d.proto == CR_PROTO_TCP) {
            cr_tcp_view v;
            cr_tcp_state_feed(tcp, &d, (int64_t)n * 1000, &v);
        }
    }
    return 0;
}
