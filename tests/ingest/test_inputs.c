#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ingest/inputs.h"
#include "test.h"

static void touch(const char *dir, const char *name)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs("x\n", f);
    fclose(f);
}

/* Expected values are R's tools::file_path_sans_ext(basename(x)) for the same names. */
static void machine_id_matches_r(void)
{
    static const char *cases[][2] = {
        {"/data/ws01.Rds", "ws01"},     {"a.b.pcapng", "a.b"},      {"noext", "noext"},
        {"dir/x.tshark.tsv", "x.tshark"}, {".hidden", ".hidden"},   {"a..b", "a..b"},
        {"trail.", "trail."},           {"x.tar-gz", "x.tar-gz"},   {"x.7z", "x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *id = cr_machine_id(cases[i][0]);
        CHECK_STR(id, cases[i][1]);
        free(id);
    }
}

static void directory_scan_sorts_and_filters(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/scan", cr_test_tmpdir());
    mkdir(dir, 0777);
    touch(dir, "b.pcap");
    touch(dir, "a.Rds");
    touch(dir, "notes.txt");
    touch(dir, "c.csv");
    char *paths[] = {dir};
    cr_inputs in;
    cr_err e;
    CHECK(cr_inputs_collect(&in, paths, 1, &e) == 0);
    CHECK_INT(in.n, 3);
    CHECK_STR(in.items[0].machine_id, "a");
    CHECK_STR(in.items[1].machine_id, "b");
    CHECK_STR(in.items[2].machine_id, "c");
    cr_inputs_free(&in);
}

static void duplicate_machine_ids_are_an_error(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/dup", cr_test_tmpdir());
    mkdir(dir, 0777);
    touch(dir, "ws.pcap");
    touch(dir, "ws.Rds");
    char *paths[] = {dir};
    cr_inputs in;
    cr_err e;
    CHECK(cr_inputs_collect(&in, paths, 1, &e) != 0);
    CHECKF(strstr(e.msg, "machine_id 'ws'") != NULL, "message: %s", e.msg);
}

static void empty_directory_and_missing_path(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/empty", cr_test_tmpdir());
    mkdir(dir, 0777);
    touch(dir, "readme.md");
    char *paths[] = {dir};
    cr_inputs in;
    cr_err e;
    CHECK(cr_inputs_collect(&in, paths, 1, &e) != 0);
    CHECKF(strstr(e.msg, "no captures") && strstr(e.msg, dir), "message: %s", e.msg);
    char *missing[] = {"/nonexistent/x.pcap"};
    CHECK(cr_inputs_collect(&in, missing, 1, &e) != 0);
    CHECKF(strstr(e.msg, "/nonexistent/x.pcap"), "message: %s", e.msg);
}

TEST_MAIN(RUN(machine_id_matches_r); RUN(directory_scan_sorts_and_filters);
          RUN(duplicate_machine_ids_are_an_error); RUN(empty_directory_and_missing_path))
