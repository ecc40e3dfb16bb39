/* Which connections count (lib/flows/scope.c): networks parsed and matched, and the addresses
 * no firewall forwards, against the registries that define them (RFC 5771 multicast, RFC 919
 * limited broadcast, RFC 3927 and RFC 4291 link-local, RFC 1122 loopback, RFC 4291
 * unspecified), written out here. */
#include <stdlib.h>
#include <string.h>

#include "flows/scope.h"
#include "test.h"

static cr_addr addr(const char *s)
{
    cr_addr a;
    cr_addr_parse(s, strlen(s), &a);
    return a;
}

static void nets(void)
{
    cr_cidr *n;
    int k;
    cr_err e;
    CHECKF(cr_cidr_parse_list("10.1.2.3/24,fd00::/8,192.0.2.7", &n, &k, &e) == 0, "%s", e.msg);
    CHECK_INT(k, 3);
    cr_addr a = addr("10.1.2.0");
    CHECK(cr_addr_equal(&n[0].net, &a) && n[0].bits == 24);
    CHECK(n[2].bits == 32);
    a = addr("10.1.2.254");
    CHECK(cr_cidr_contains(&n[0], 1, &a));
    a = addr("10.1.3.1");
    CHECK(!cr_cidr_contains(&n[0], 1, &a));
    a = addr("fdff::1");
    CHECK(cr_cidr_contains(&n[1], 1, &a));
    a = addr("fe00::1");
    CHECK(!cr_cidr_contains(n, 3, &a));
    free(n);
    static const char *const bad[] = {"10.0.0.0/33", "x",      "10.0.0.0/",  "",
                                      "10.0.0.0/8,", "::/129", "10.0.0.0/8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECKF(cr_cidr_parse_list(bad[i], &n, &k, &e) < 0, "'%s' accepted", bad[i]);
        CHECK(strstr(e.msg, "is not a network (ADDRESS or ADDRESS/BITS)") && n == NULL);
    }
}

static void forwarded_or_not(void)
{
    static const struct {
        const char *dst;
        int why;
    } cases[] = {
        {"8.8.8.8", CR_SCOPE_FORWARDED},         {"2001:4860::8888", CR_SCOPE_FORWARDED},
        {"224.0.0.251", CR_SCOPE_MULTICAST},      {"239.255.255.250", CR_SCOPE_MULTICAST},
        {"ff02::fb", CR_SCOPE_MULTICAST},         {"255.255.255.255", CR_SCOPE_BROADCAST},
        {"169.254.1.2", CR_SCOPE_LINK_LOCAL},     {"fe80::1", CR_SCOPE_LINK_LOCAL},
        {"febf::1", CR_SCOPE_LINK_LOCAL},         {"fec0::1", CR_SCOPE_FORWARDED},
        {"127.0.0.53", CR_SCOPE_LOOPBACK},        {"::1", CR_SCOPE_LOOPBACK},
        {"0.0.0.0", CR_SCOPE_UNSPECIFIED},        {"::", CR_SCOPE_UNSPECIFIED},
        {"192.168.1.20", CR_SCOPE_LOCAL_NET},     {"192.168.2.20", CR_SCOPE_FORWARDED},
        {"223.255.255.255", CR_SCOPE_FORWARDED},  {"240.0.0.1", CR_SCOPE_FORWARDED},
    };
    cr_cidr *n;
    int k;
    cr_err e;
    CHECK(cr_cidr_parse_list("192.168.1.0/24", &n, &k, &e) == 0);
    cr_scope s = {1, n, k};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_addr a = addr(cases[i].dst);
        CHECKF(cr_scope_classify(&s, &a) == cases[i].why, "%s: %s, expected %s", cases[i].dst,
               cr_scope_reason_names[cr_scope_classify(&s, &a)],
               cr_scope_reason_names[cases[i].why]);
        CHECK(cr_scope_classify(NULL, &a) == CR_SCOPE_FORWARDED);
    }
    s.firewall = 0;
    cr_addr m = addr("224.0.0.251");
    CHECK(cr_scope_classify(&s, &m) == CR_SCOPE_FORWARDED);
    free(n);
}

TEST_MAIN(RUN(nets); RUN(forwarded_or_not))
