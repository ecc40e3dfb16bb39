/* Installing: `make install DESTDIR=...` puts every file where docs/install.md says and `make
 * uninstall` removes them all; a small C program builds against the installed library with
 * nothing but `pkg-config --cflags --libs connrate` and calls it; every man page renders with
 * man(1), and groff finds nothing to warn about; `make deb` builds a package with the right
 * control fields and files, whose program runs once unpacked. The nested make uses this test's
 * own build (the sanitizer build in make check-san), so nothing is rebuilt. */
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "test.h"

#ifdef __SANITIZE_ADDRESS__
#define SAN_MAKE "SAN=1 "
#define SAN_CC "-fsanitize=address,undefined "
#else
#define SAN_MAKE ""
#define SAN_CC ""
#endif

/* "make -s BUILD=<this test's build> TARGET": the parent make's job server is not ours. */
static int make(const char *target)
{
    char build[512];
    snprintf(build, sizeof build, "%s", cr_test_bin());
    char *slash = strrchr(build, '/');
    if (slash)
        *slash = 0;
    return cr_test_sh("env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory "
                      SAN_MAKE "BUILD=%s %s > %s/make.log 2>&1",
                      slash ? build : ".", target, cr_test_tmpdir());
}

static int have_tree(void) { return cr_test_sh("test -f Makefile -a -f VERSION") == 0; }

/* The command names, from `connrate --help`'s list. */
static int commands(char names[][32], int max)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/help.txt", cr_test_tmpdir());
    if (cr_test_sh("%s --help > %s", cr_test_bin(), p) != 0)
        return 0;
    char *help = cr_test_slurp(p, NULL);
    int n = 0;
    char *list = help ? strstr(help, "commands:\n") : NULL;
    for (char *line = list ? strtok(list + 10, "\n") : NULL; line && n < max;
         line = strtok(NULL, "\n"))
        if (!strncmp(line, "  ", 2) && sscanf(line, "%31s", names[n]) == 1)
            n++;
    free(help);
    return n;
}

static int is_file(const char *dir, const char *rel)
{
    return cr_test_sh("test -f '%s/%s'", dir, rel) == 0;
}

static void installs_and_uninstalls(void)
{
    if (!have_tree())
        SKIP("not run from the source tree");
    char dest[1024], root[1100];
    snprintf(dest, sizeof dest, "%s/dest", cr_test_tmpdir());
    snprintf(root, sizeof root, "%s/usr/local", dest);
    char target[1200];
    snprintf(target, sizeof target, "install DESTDIR=%s", dest);
    CHECK(make(target) == 0);
    CHECK(cr_test_sh("test -x %s/bin/connrate", root) == 0);
    CHECK(cr_test_sh("%s/bin/connrate --version | grep -qx \"connrate $(cat VERSION)\"", root) ==
          0);
    static const char *const files[] = {
        "lib/libconnrate.a", "lib/pkgconfig/connrate.pc", "include/connrate/ingest/addr.h",
        "include/connrate/common/err.h", "include/connrate/sizing/sizing.h",
        "share/man/man1/connrate.1", "share/bash-completion/completions/connrate",
        "share/zsh/site-functions/_connrate"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        CHECKF(is_file(root, files[i]), "%s/%s missing", root, files[i]);
    char names[16][32];
    int n = commands(names, 16);
    CHECK(n >= 7);
    for (int i = 0; i < n; i++) {
        char rel[600];
        snprintf(rel, sizeof rel, "share/man/man1/connrate-%s.1", names[i]);
        CHECKF(is_file(root, rel), "%s missing", rel);
    }
    /* every public header, and only those */
    CHECK(cr_test_sh("cd lib && find . -name '*.h' ! -name '*_internal.h' | sort > %s/want.txt && "
                     "cd %s/include/connrate && find . -type f | sort > %s/got.txt && "
                     "cmp -s %s/want.txt %s/got.txt",
                     cr_test_tmpdir(), root, cr_test_tmpdir(), cr_test_tmpdir(),
                     cr_test_tmpdir()) == 0);
    /* 1 program + 1 library + 1 .pc + man pages + 2 completions + headers, nothing else */
    CHECK(cr_test_sh("test $(find %s -type f | wc -l) -eq $((%d + $(wc -l < %s/want.txt)))", dest,
                     5 + n + 1, cr_test_tmpdir()) == 0);
    snprintf(target, sizeof target, "uninstall DESTDIR=%s", dest);
    CHECK(make(target) == 0);
    CHECKF(cr_test_sh("test -z \"$(find %s -type f)\"", dest) == 0, "files left after uninstall");
}

static void links_with_pkg_config(void)
{
    if (!have_tree())
        SKIP("not run from the source tree");
    if (cr_test_sh("command -v pkg-config >/dev/null 2>&1") != 0)
        SKIP("pkg-config is not installed");
    const char *t = cr_test_tmpdir();
    char target[1200];
    snprintf(target, sizeof target, "install-dev PREFIX=%s/prefix", t);
    CHECK(make(target) == 0);
    char src[1024];
    snprintf(src, sizeof src, "%s/use.c", t);
    FILE *f = fopen(src, "w");
    CHECK(f);
    fputs("#include <stdio.h>\n#include <string.h>\n#include \"ingest/addr.h\"\n"
          "int main(int argc, char **argv)\n{\n"
          "    cr_addr a;\n    char text[CR_ADDR_STRLEN];\n"
          "    for (int i = 1; i < argc; i++) {\n"
          "        if (cr_addr_parse(argv[i], strlen(argv[i]), &a) != 0) {\n"
          "            printf(\"bad\\n\");\n            continue;\n        }\n"
          "        cr_addr_format(&a, text);\n        printf(\"%d %s\\n\", a.family, text);\n"
          "    }\n    return 0;\n}\n",
          f);
    fclose(f);
    CHECK(cr_test_sh("PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig cc " SAN_CC
                     "-o %s/use %s $(PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig pkg-config --cflags "
                     "--libs connrate) 2> %s/cc.log",
                     t, t, src, t, t) == 0);
    /* tshark's text of each address, as lib/ingest/addr.h promises */
    CHECK(cr_test_sh("%s/use 192.0.2.7 2001:DB8:0:0::1 300.1.1.1 > %s/use.out", t, t) == 0);
    char p[1024];
    snprintf(p, sizeof p, "%s/use.out", t);
    char *out = cr_test_slurp(p, NULL);
    CHECK_STR(out, "4 192.0.2.7\n6 2001:db8::1\nbad\n");
    free(out);
}

/* Every warning of the formatter man runs, at man's width: man -l itself does not always pass
 * them on. */
#define GROFF "groff -man -ww -z -Tutf8 -rLL=80n"

static void man_pages_render(void)
{
    if (cr_test_sh("command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1") != 0)
        SKIP("man or groff is not installed (man-db, groff)");
    const char *t = cr_test_tmpdir();
    char names[16][32];
    int n = commands(names, 16);
    CHECK(n >= 7);
    /* the overview last: its page is `connrate man` with no command */
    for (int i = 0; i <= n; i++) {
        const char *cmd = i < n ? names[i] : "";
        CHECK(cr_test_sh("%s man %s > %s/page.1", cr_test_bin(), cmd, t) == 0);
        CHECKF(cr_test_sh("MANWIDTH=80 man -E UTF-8 -l %s/page.1 > %s/page.txt 2> %s/page.err && "
                          "test ! -s %s/page.err && " GROFF " %s/page.1 2> %s/page.err && "
                          "test ! -s %s/page.err",
                          t, t, t, t, t, t, t) == 0,
               "man or groff warns on the page of '%s'", cmd);
        char p[1024];
        snprintf(p, sizeof p, "%s/page.txt", t);
        char *text = cr_test_slurp(p, NULL);
        char want[600];
        /* NAME then "connrate-CMD - summary" (justified: the blanks may be more than one) */
        snprintf(want, sizeof want, i < n ? "NAME\n       connrate-%s " : "NAME\n       connrate ",
                 cmd);
        CHECKF(text && strstr(text, want) && strstr(text, "EXIT STATUS"),
               "page of '%s' lacks its NAME line", cmd);
        if (i < n)
            CHECKF(strstr(text, "--json-progress") && strstr(text, "--quiet"),
                   "page of '%s' lacks the general options", cmd);
        else
            for (int k = 0; k < n; k++) {
                snprintf(want, sizeof want, "connrate-%s(1)", names[k]);
                CHECKF(strstr(text, want), "overview lacks %s", want);
            }
        free(text);
    }
    /* the check itself sees a broken page */
    FILE *f;
    char p[1024];
    snprintf(p, sizeof p, "%s/broken.1", t);
    CHECK((f = fopen(p, "w")) != NULL);
    fputs(".TH BROKEN 1\n.SH NAME\nbroken \\- x\n.SH DESCRIPTION\n.nosuch\n", f);
    fclose(f);
    CHECK(cr_test_sh(GROFF " %s 2> %s/broken.err; test -s %s/broken.err", p, t, t) == 0);
}

/* One field of the package's control file. */
static char *control_field(const char *deb, const char *field)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/field.txt", cr_test_tmpdir());
    if (cr_test_sh("dpkg-deb -f %s %s > %s", deb, field, p) != 0)
        return NULL;
    char *v = cr_test_slurp(p, NULL);
    if (v)
        v[strcspn(v, "\n")] = 0;
    return v;
}

static void debian_package(void)
{
    if (!have_tree())
        SKIP("not run from the source tree");
    if (cr_test_sh("command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null") != 0)
        SKIP("dpkg-deb or dpkg-shlibdeps is missing (apt-get install dpkg-dev)");
    CHECK(make("deb") == 0);
    const char *t = cr_test_tmpdir();
    char *version = cr_test_slurp("VERSION", NULL);
    CHECK(version);
    version[strcspn(version, "\n")] = 0;
    char deb[700];
    snprintf(deb, sizeof deb, "%s", cr_test_bin());
    snprintf(strrchr(deb, '/') ? strrchr(deb, '/') + 1 : deb, 200,
             "connrate_%s_$(dpkg --print-architecture).deb", version);
    char *v = control_field(deb, "Package");
    CHECK_STR(v, "connrate");
    free(v);
    v = control_field(deb, "Version");
    CHECK_STR(v, version);
    free(version);
    free(v);
    char *dep = control_field(deb, "Depends");
    CHECK(dep);
    /* the runtime libraries by their Debian names, and each name a package dpkg knows */
    static const char *const need[] = {"libpcap0.8", "zlib1g",      "libbz2-1.0",
                                       "liblzma5",   "libgsl27",    "libplplot17",
                                       "libc6",      "plplot-driver-cairo"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        CHECKF(strstr(dep, need[i]), "Depends lacks %s: %s", need[i], dep);
    char *names = xstrdup(dep);
    for (char *d = strtok(names, ","); d; d = strtok(NULL, ",")) {
        char name[64];
        CHECK(sscanf(d, " %63[^ (]", name) == 1);
        CHECKF(cr_test_sh("dpkg-query -W %s > /dev/null 2>&1", name) == 0,
               "Depends names %s, which dpkg does not know", name);
    }
    free(names);
    free(dep);
    /* files: the program, every man page compressed, both completions; all root's */
    CHECK(cr_test_sh("dpkg-deb -c %s > %s/deb.txt", deb, t) == 0);
    char cmds[16][32];
    int n = commands(cmds, 16);
    CHECK(n >= 7);
    CHECK(cr_test_sh("grep -q ' ./usr/bin/connrate$' %s/deb.txt && "
                     "grep -q ' ./usr/share/man/man1/connrate.1.gz$' %s/deb.txt && "
                     "grep -q ' ./usr/share/bash-completion/completions/connrate$' %s/deb.txt && "
                     "grep -q ' ./usr/share/zsh/vendor-completions/_connrate$' %s/deb.txt && "
                     "! grep -v ' root/root ' %s/deb.txt | grep -q .",
                     t, t, t, t, t) == 0);
    for (int i = 0; i < n; i++)
        CHECKF(cr_test_sh("grep -q ' ./usr/share/man/man1/connrate-%s.1.gz$' %s/deb.txt",
                          cmds[i], t) == 0,
               "no man page of %s in the package", cmds[i]);
    CHECK(cr_test_sh("grep -c ' ./usr/' %s/deb.txt | grep -qx %d", t, 13 + n) == 0);
    /* unpacked, the program runs and its pages render */
    CHECK(cr_test_sh("dpkg-deb -x %s %s/unpacked && %s/unpacked/usr/bin/connrate --version | "
                     "grep -qx \"connrate $(cat VERSION)\"",
                     deb, t, t) == 0);
    CHECK(cr_test_sh("MANWIDTH=80 man -l %s/unpacked/usr/share/man/man1/connrate-run.1.gz 2>&1 "
                     "| grep -q '^SYNOPSIS'",
                     t) == 0);
}

TEST_MAIN(RUN(installs_and_uninstalls); RUN(links_with_pkg_config); RUN(man_pages_render);
          RUN(debian_package))
