/* Inside hosts sampled as the records stream (lib/flowlog/hostsample.c): within the sample's
 * size the read is the one without sampling, connection for connection; past it the hosts kept
 * are those of the smallest keys among the inside hosts (brute force over their addresses),
 * each with every one of its connections, under each inside rule a record can decide; and what
 * is held stays bounded however many hosts the log has (RUN_SLOW: 1.2 million records). */
#include "flowlog_test.h"

#include "common/sample.h"
#include "flowlog/flowlog_internal.h"

#define HEAD                                                                                       \
    "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"             \
    "proto\tduration\tconn_state\tlocal_orig\n"

/* hosts inside hosts (10.2.x.y, local_orig as given or '-'), per connections each, and one
 * inbound connection per host from a public address; times interleaved across hosts. */
static const char *write_log(const char *name, int hosts, int per, const char *lo)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fputs(HEAD, f);
    for (int c = 0; c < per; c++)
        for (int h = 0; h < hosts; h++) {
            fprintf(f, "%d.%03d\tC\t10.2.%d.%d\t%d\t93.184.%d.%d\t443\t%s\t%d.5\tSF\t%s\n",
                    1700000000 + c, h % 1000, h / 250, h % 250 + 1, 1024 + c, c % 200, h % 200 + 1,
                    (c + h) % 3 ? "tcp" : "udp", (c * 7 + h) % 40, lo);
            if (c == 0)
                fprintf(f, "%d.500\tC\t198.51.100.%d\t5555\t10.2.%d.%d\t22\ttcp\t1.0\tSF\t%s\n",
                        1700000000, h % 250 + 1, h / 250, h % 250 + 1, *lo == 'T' ? "F" : lo);
        }
    fclose(f);
    static char kept[4][512];
    static int k;
    return strcpy(kept[k++ % 4], path);
}

static int read_sampled(const char *path, size_t max_hosts, uint64_t seed, cr_flowlog_set *s)
{
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    o.max_hosts = max_hosts;
    o.seed = seed;
    cr_err e;
    int rc = cr_flowlog_read(&path, 1, &o, s, &e);
    if (rc)
        printf("     %s\n", e.msg);
    return rc;
}

static int same_host(const cr_flowlog_host *a, const cr_flowlog_host *b)
{
    return !strcmp(a->machine_id, b->machine_id) && a->nflows == b->nflows &&
           a->first_ms == b->first_ms && a->last_ms == b->last_ms &&
           !memcmp(a->flows, b->flows, a->nflows * sizeof *a->flows) &&
           !memcmp(a->dur, b->dur, a->nflows * sizeof *a->dur);
}

static int cmp_key(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Under both rules a record decides (local_orig T, private originators): within the sample
 * nothing changes; past it the hosts of the smallest keys, whole. */
static void sample_of_hosts(void)
{
    const char *rules[] = {"T", "-"};
    for (int r = 0; r < 2; r++) {
        char name[32];
        snprintf(name, sizeof name, "hosts_%d.log", r);
        const char *p = write_log(name, 300, 12, rules[r]);
        CHECK(p);
        cr_flowlog_set all, same, part;
        CHECK(read_sampled(p, 0, 5, &all) == 0);
        CHECK(read_sampled(p, 300, 5, &same) == 0);
        CHECK(read_sampled(p, 40, 5, &part) == 0);
        CHECK_INT(all.nhosts, 300);
        CHECK_INT(all.not_outbound, 300);
        /* within the sample: the same read */
        CHECK_INT(same.nhosts, all.nhosts);
        CHECK_INT(same.population_hosts, 0);
        CHECK_INT(same.not_outbound, all.not_outbound);
        CHECK_STR(same.inside, all.inside);
        for (size_t h = 0; h < all.nhosts; h++)
            CHECK(same_host(&same.hosts[h], &all.hosts[h]));
        /* past it: 40 of 300, those of the 40 smallest keys of their addresses */
        CHECK_INT(part.nhosts, 40);
        CHECK_INT(part.population_hosts, 300);
        CHECK(!strncmp(part.inside, all.inside, strcspn(all.inside, "("))); /* same rule */
        uint64_t keys[300], mine[40];
        for (size_t h = 0; h < all.nhosts; h++) {
            cr_addr a;
            CHECK(cr_addr_parse(all.hosts[h].machine_id, strlen(all.hosts[h].machine_id), &a) == 0);
            keys[h] = cr_sample_key(5, &a, sizeof a);
        }
        qsort(keys, 300, sizeof *keys, cmp_key);
        size_t j = 0;
        for (size_t h = 0; h < part.nhosts; h++) {
            cr_addr a;
            CHECK(cr_addr_parse(part.hosts[h].machine_id, strlen(part.hosts[h].machine_id), &a) == 0);
            mine[h] = cr_sample_key(5, &a, sizeof a);
            while (j < all.nhosts && strcmp(all.hosts[j].machine_id, part.hosts[h].machine_id))
                j++;
            CHECK(j < all.nhosts && same_host(&part.hosts[h], &all.hosts[j]));
        }
        qsort(mine, 40, sizeof *mine, cmp_key);
        CHECK(!memcmp(mine, keys, sizeof mine));
        /* another seed, another sample */
        cr_flowlog_set other;
        CHECK(read_sampled(p, 40, 6, &other) == 0);
        int differ = 0;
        for (size_t h = 0; h < 40; h++)
            differ += strcmp(other.hosts[h].machine_id, part.hosts[h].machine_id) != 0;
        CHECK(differ > 0);
        cr_flowlog_set_free(&other);
        cr_flowlog_set_free(&all);
        cr_flowlog_set_free(&same);
        cr_flowlog_set_free(&part);
    }
}

/* Two files of the same hosts: the sample is one across them, and each file's count of hosts
 * is of the sampled ones it holds. */
static void several_files(void)
{
    const char *p[2] = {write_log("a.log", 300, 4, "T"), write_log("b.log", 300, 6, "T")};
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    o.max_hosts = 40;
    o.seed = 5;
    cr_flowlog_set s;
    cr_err e;
    CHECK(cr_flowlog_read(p, 2, &o, &s, &e) == 0);
    CHECK_INT(s.nhosts, 40);
    CHECK_INT(s.population_hosts, 300);
    CHECK(s.files[0].hosts == 40 && s.files[1].hosts == 40);
    for (size_t h = 0; h < s.nhosts; h++)
        CHECK_INT(s.hosts[h].nflows, 10);
    cr_flowlog_set_free(&s);
}

/* 4000 hosts x 300 connections: the connections held never pass the compaction threshold by
 * more than one, where the whole log would be held without sampling. */
static void bounded(void)
{
    const char *p = write_log("big.log", 4000, 300, "T");
    CHECK(p);
    cr_flowlog_set s;
    CHECK(read_sampled(p, 25, 1, &s) == 0);
    CHECK_INT(s.nhosts, 25);
    CHECK_INT(s.population_hosts, 4000);
    size_t flows = 0;
    for (size_t h = 0; h < s.nhosts; h++)
        flows += s.hosts[h].nflows;
    CHECK_INT(flows, 25 * 300);
    CHECKF(s.held_peak <= CR_FL_COMPACT_MIN + 1, "held %zu", s.held_peak);
    CHECK(s.held_peak < 4000 * 301);
    cr_flowlog_set_free(&s);
}

TEST_MAIN(RUN(sample_of_hosts); RUN(several_files); RUN_SLOW(bounded))
