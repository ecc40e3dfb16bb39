/* One export row to a packet (ingest/fields.h): numbers as text in every shape an export can
 * hold them, each against its value worked out by hand, and addresses through the parse cache
 * against bytes built in the test. */
#include <stdio.h>
#include <string.h>

#include "ingest/fields.h"
#include "test.h"

enum { ID, TS, PROTO, IPVER, SRC, DST, SPORT, DPORT, REL, COMP, NCOL };

static const char *const names[NCOL] = {"id", "timestamp", "protocol", "ip_version",
                                        "src_ip", "dst_ip", "src_port", "dst_port",
                                        "tcp_time_relative", "tcp_completeness"};

static cr_fieldmap map;
static cr_value row[NCOL];

static void text(int col, const char *s)
{
    row[col] = (cr_value){CR_VAL_TEXT, s, strlen(s), 0};
}

/* A plain TCP row from 10.0.0.1:40000 to 10.0.0.2:443. */
static void reset(void)
{
    cr_err e;
    if (cr_fieldmap_build(&map, names, NCOL, "t", &e) != 0)
        cr_test_fail(__FILE__, __LINE__, "%s", e.msg);
    text(ID, "1");
    text(TS, "1700000000000");
    text(PROTO, "tcp");
    text(IPVER, "4");
    text(SRC, "10.0.0.1");
    text(DST, "10.0.0.2");
    text(SPORT, "40000");
    text(DPORT, "443");
    text(REL, "0");
    text(COMP, "0");
}

/* 1 packet, 0 skipped, -1 error (message in err). */
static int convert(cr_packet *p, char *err)
{
    const char *why = NULL;
    cr_err e = {{0}};
    int rc = cr_fields_to_packet(&map, row, 2, "t", p, &why, &e);
    snprintf(err, 1024, "%s", rc < 0 ? e.msg : why ? why : "");
    return rc;
}

static void times_in_milliseconds(void)
{
    static const struct {
        const char *s;
        long long ns;
    } ok[] = {
        {"1700000000000", 1700000000000000000LL},
        {"1700000000000.9", 1700000000000900000LL},
        {"1700000000000.0009", 1700000000000000000LL}, /* decimals past the microsecond go */
        {"1700000000000.", 1700000000000000000LL},
        {"0001", 1000000LL},
        {".5", 500000LL},
        {"-5", -5000000LL},
        {"+5", 5000000LL},
        {"1e3", 1000000000LL},
    };
    char err[1024];
    cr_packet p;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        reset();
        text(TS, ok[i].s);
        CHECKF(convert(&p, err) == 1, "%s: %s", ok[i].s, err);
        CHECKF(p.ts_ns == ok[i].ns, "%s: %lld ns, expected %lld", ok[i].s, (long long)p.ts_ns,
               ok[i].ns);
    }
    /* the last millisecond int64 nanoseconds hold (2262-04-11), and one past it */
    reset();
    text(TS, "9223372036854.775");
    CHECK(convert(&p, err) == 1);
    CHECK_INT(p.ts_ns, 9223372036854775000LL);
    static const char *const bad[] = {"",    ".",   "1.2.3", "12a", "- 5", "123456789012345678901",
                                      "9223372036854.776", "999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        text(TS, bad[i]);
        CHECKF(convert(&p, err) == -1, "'%s' was accepted", bad[i]);
        char want[256];
        snprintf(want, sizeof want, "t: row 2: timestamp = '%s' is not a time in milliseconds",
                 bad[i]);
        CHECK_STR(err, want);
    }
}

static void seconds_to_nanoseconds(void)
{
    static const struct {
        const char *s;
        long long ns;
    } ok[] = {
        {"0.000134084", 134084LL},   {"12.5", 12500000000LL},   {"0.0000000019", 1LL},
        {"000000001", 1000000000LL}, {"999999999.999999999", 999999999999999999LL},
    };
    char err[1024];
    cr_packet p;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        reset();
        text(REL, ok[i].s);
        CHECKF(convert(&p, err) == 1, "%s: %s", ok[i].s, err);
        CHECKF(p.rel_ns == ok[i].ns, "%s: %lld, expected %lld", ok[i].s, (long long)p.rel_ns,
               ok[i].ns);
    }
    /* 10^10 s is past what int64 nanoseconds hold */
    reset();
    text(REL, "99999999999");
    CHECK(convert(&p, err) == -1);
    CHECK_STR(err, "t: row 2: tcp_time_relative = '99999999999' is not a time in seconds");
}

static void integers(void)
{
    char err[1024];
    cr_packet p;
    static const struct {
        const char *s;
        int port;
    } ok[] = {{"0443", 443}, {"0x1bb", 443}, {"+443", 443}, {"65535", 65535}, {"0", 0},
              {"1e2", 100}}; /* as R's as.integer("1e2") */
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        reset();
        text(DPORT, ok[i].s);
        CHECKF(convert(&p, err) == 1, "%s: %s", ok[i].s, err);
        CHECK_INT(p.dport, ok[i].port);
    }
    static const char *const bad[] = {"65536", "4.0", "-1", "", "44 3",
                                      "9999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        text(DPORT, bad[i]);
        CHECKF(convert(&p, err) == -1, "'%s' was accepted", bad[i]);
        char want[256];
        snprintf(want, sizeof want, "t: row 2: dst_port = '%s' is not a port number", bad[i]);
        CHECK_STR(err, want);
    }
    reset();
    text(ID, "123456789012345678"); /* 18 digits */
    CHECK(convert(&p, err) == 1);
    CHECK_INT(p.id, 123456789012345678LL);
    text(ID, "1234567890123456789"); /* 19 digits, past the fast path */
    CHECK(convert(&p, err) == 1);
    CHECK_INT(p.id, 1234567890123456789LL);
}

static void protocol_names(void)
{
    char err[1024];
    cr_packet p;
    static const char *const tcp[] = {"tcp", "TCP", "tCp"}, *const udp[] = {"udp", "UDP", "Udp"};
    for (int i = 0; i < 3; i++) {
        reset();
        text(PROTO, tcp[i]);
        CHECK(convert(&p, err) == 1);
        CHECK_INT(p.proto, CR_PROTO_TCP);
        text(PROTO, udp[i]);
        CHECK(convert(&p, err) == 1);
        CHECK_INT(p.proto, CR_PROTO_UDP);
    }
    static const char *const other[] = {"icmp", "tcp ", "tc", "t\x03p", "TCP6", ""};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        reset();
        text(PROTO, other[i]);
        CHECKF(convert(&p, err) == 0, "'%s' was taken", other[i]);
        CHECK_STR(err, "protocol not tcp/udp");
    }
}

/* Thousands of distinct peers in a scrambled order: every address must come out as its own
 * bytes, however the parse cache's slots collide. */
static void many_addresses(void)
{
    char err[1024], src[64], dst[64];
    cr_packet p;
    reset();
    for (int k = 0; k < 20000; k++) {
        int a = (k * 7919) % 4099, b = (k * 104729) % 3001;
        snprintf(src, sizeof src, "10.%d.%d.%d", a >> 8 & 0xff, a & 0xff, k % 7);
        snprintf(dst, sizeof dst, "2001:db8::%x:%x", b, k % 5);
        text(SRC, src);
        text(IPVER, "4");
        text(DST, "192.0.2.1");
        CHECKF(convert(&p, err) == 1, "%s", err);
        uint8_t want4[4] = {10, (uint8_t)(a >> 8 & 0xff), (uint8_t)(a & 0xff), (uint8_t)(k % 7)};
        CHECKF(p.src.family == 4 && !memcmp(p.src.b, want4, 4), "row %d: %s", k, src);
        text(SRC, dst);
        text(IPVER, "6");
        text(DST, "2001:db8::1");
        CHECKF(convert(&p, err) == 1, "%s", err);
        uint8_t want6[16] = {0x20, 0x01, 0x0d, 0xb8};
        want6[12] = (uint8_t)(b >> 8);
        want6[13] = (uint8_t)b;
        want6[15] = (uint8_t)(k % 5);
        CHECKF(p.src.family == 6 && !memcmp(p.src.b, want6, 16), "row %d: %s", k, dst);
    }
}

/* The plain-digit path against the general one: a leading '+' sends the same text down the
 * general path, which must give the same verdict and the same value, for random texts of
 * digits and points of every length around the 18-digit edge. */
static void plain_digits_as_the_general_path(void)
{
    static const int cols[] = {TS, REL, DPORT, ID};
    uint64_t x = 88172645463325252u;
    char err[1024], t[32], plus[33];
    cr_packet a, b;
    for (int n = 0; n < 200000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int len = 1 + (int)(x % 23), col = cols[x >> 40 & 3];
        for (int i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t[i] = x % 12 == 0 ? '.' : (char)('0' + x % 10);
        }
        t[len] = 0;
        snprintf(plus, sizeof plus, "+%s", t);
        reset();
        text(col, t);
        int ra = convert(&a, err);
        text(col, plus);
        int rb = convert(&b, err);
        CHECKF(ra == rb, "'%s': %d, '+%s': %d", t, ra, t, rb);
        if (ra == 1)
            CHECKF(a.ts_ns == b.ts_ns && a.rel_ns == b.rel_ns && a.dport == b.dport &&
                       a.id == b.id,
                   "'%s' and '+%s' differ", t, t);
    }
}

TEST_MAIN(RUN(times_in_milliseconds); RUN(seconds_to_nanoseconds); RUN(integers);
          RUN(protocol_names); RUN(many_addresses); RUN(plain_digits_as_the_general_path);)
