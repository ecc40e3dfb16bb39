#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/profiles.h"

int cli_fail(const cr_err *e)
{
    fprintf(stderr, "connrate: %s\n", e->msg);
    return CLI_FAILED;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "connrate %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see: connrate %s --help)\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

/* ---- values ---- */

/* A whole decimal number: optional '-', digits, nothing else (strtoll alone would take blanks,
 * '+' and stop silently at the first stray byte). */
static int parse_whole(const char *s, long long *out)
{
    const char *d = s + (*s == '-');
    if (!*d || strspn(d, "0123456789") != strlen(d))
        return -1;
    errno = 0;
    *out = strtoll(s, NULL, 10);
    return errno ? -1 : 0;
}

/* A plain decimal, optionally with an exponent: no hex, inf or nan. */
static int parse_decimal(const char *s, double *out)
{
    if (!*s || strspn(s, "0123456789.eE+-") != strlen(s))
        return -1;
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return errno || *end || !isfinite(*out) ? -1 : 0;
}

static void *field(cli_args *a, const cli_opt *o) { return (char *)a + o->off; }

static int bad_number(const cli_opt *o, const char *v, const char *what, cr_err *e)
{
    return cr_fail(e, "--%s %s: expected %s from %.15g to %.15g", o->name, v, what, o->lo, o->hi);
}

/* A duration as a user would write it: 31d, 6h, 90 s. */
static void duration_text(double s, char *buf, size_t n)
{
    static const struct {
        double unit;
        const char *suffix;
    } units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s >= units[i].unit && fmod(s, units[i].unit) == 0) {
            snprintf(buf, n, "%g%s", s / units[i].unit, units[i].suffix);
            return;
        }
    snprintf(buf, n, "%g s", s);
}

static int set_value(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    long long w;
    double d;
    switch (o->type) {
    case CLI_FLAG:
        *(int *)field(a, o) = 1;
        return 0;
    case CLI_INT:
    case CLI_LONG:
        if (parse_whole(v, &w) != 0 || (double)w < o->lo || (double)w > o->hi)
            return bad_number(o, v, "a whole number", e);
        if (o->type == CLI_INT)
            *(int *)field(a, o) = (int)w;
        else
            *(long *)field(a, o) = (long)w;
        return 0;
    case CLI_REAL:
        if (parse_decimal(v, &d) != 0 || d < o->lo || d > o->hi)
            return bad_number(o, v, "a number", e);
        *(double *)field(a, o) = d;
        return 0;
    case CLI_SECONDS: {
        char opt[64];
        snprintf(opt, sizeof opt, "--%s", o->name);
        if (cr_fw_parse_seconds(opt, v, o->hi, &d, e) != 0)
            return -1;
        if (d < o->lo || d > o->hi) {
            char lo[32], hi[32];
            duration_text(o->lo, lo, sizeof lo);
            duration_text(o->hi, hi, sizeof hi);
            return cr_fail(e, "--%s %s: expected a duration from %s to %s", o->name, v, lo, hi);
        }
        *(double *)field(a, o) = d;
        return 0;
    }
    case CLI_TEXT:
        *(const char **)field(a, o) = v;
        return 0;
    case CLI_CALL:
        return o->call(a, o, v, e);
    }
    return -1;
}

/* ---- parsing ---- */

typedef struct {
    const cli_opt *o;
    int index; /* position over all groups, for a->seen */
} found;

static found find_long(const cli_command *c, const char *name, size_t len)
{
    int index = 0;
    for (const cli_group *const *g = c->groups; *g; g++)
        for (int i = 0; i < (*g)->n; i++, index++)
            if (strlen((*g)->opts[i].name) == len && !strncmp((*g)->opts[i].name, name, len))
                return (found){&(*g)->opts[i], index};
    return (found){NULL, -1};
}

static found find_letter(const cli_command *c, char letter)
{
    int index = 0;
    for (const cli_group *const *g = c->groups; *g; g++)
        for (int i = 0; i < (*g)->n; i++, index++)
            if ((*g)->opts[i].letter == letter)
                return (found){&(*g)->opts[i], index};
    return (found){NULL, -1};
}

static int apply(const cli_command *c, cli_args *a, found f, const char *value)
{
    const cli_opt *o = f.o;
    if (!strcmp(o->name, "help")) {
        cli_help(stdout, c);
        return 0;
    }
    if (a->seen[f.index]++ && !o->repeat)
        return cli_usage_error(c->name, "--%s given more than once", o->name);
    if (o->type != CLI_FLAG && !*value)
        return cli_usage_error(c->name, "--%s: empty value (expected %s)", o->name, o->meta);
    cr_err e;
    if (set_value(a, o, value, &e) != 0)
        return cli_usage_error(c->name, "%s", e.msg);
    return -1;
}

int cli_parse(const cli_command *c, int argc, char **argv, cli_args *a)
{
    a->inputs = calloc((size_t)argc, sizeof *a->inputs);
    int only_inputs = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_inputs || arg[0] != '-' || !arg[1]) {
            a->inputs[a->ninputs++] = argv[i];
            continue;
        }
        if (!strcmp(arg, "--")) {
            only_inputs = 1;
            continue;
        }
        found f;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            f = find_long(c, arg + 2, len);
            if (!f.o)
                return cli_usage_error(c->name, "unknown option --%.*s", (int)len, arg + 2);
            if (eq && f.o->type == CLI_FLAG)
                return cli_usage_error(c->name, "--%s takes no value", f.o->name);
            value = eq ? eq + 1 : NULL;
        } else {
            f = find_letter(c, arg[1]);
            if (!f.o)
                return cli_usage_error(c->name, "unknown option -%c", arg[1]);
            if (f.o->type == CLI_FLAG && arg[2])
                return cli_usage_error(c->name, "-%c takes no value", arg[1]);
            value = arg[2] ? arg + 2 : NULL;
        }
        if (f.o->type != CLI_FLAG && !value) {
            if (++i == argc)
                return cli_usage_error(c->name, "--%s needs a value (%s)", f.o->name,
                                       f.o->meta);
            value = argv[i];
        }
        int rc = apply(c, a, f, value ? value : "");
        if (rc >= 0)
            return rc;
    }
    if (a->ninputs < c->min_inputs)
        return cli_usage_error(c->name, "no input: name %s", c->min_inputs > 1 ? "inputs" :
                               "an input (file or directory)");
    if (c->max_inputs >= 0 && a->ninputs > c->max_inputs)
        return c->max_inputs ? cli_usage_error(c->name, "expected %d input%s, got %d",
                                               c->max_inputs, c->max_inputs == 1 ? "" : "s",
                                               a->ninputs)
                             : cli_usage_error(c->name, "unexpected argument '%s'",
                                               a->inputs[0]);
    return -1;
}

/* ---- help and man pages ---- */

/* The default a typed option shows, from the command's initial arguments; "" when it has none
 * worth showing (the help text then says it). */
static void show_default(const cli_command *c, const cli_opt *o, char *buf, size_t n)
{
    cli_args a;
    cli_args_init(&a, c->name);
    buf[0] = 0;
    switch (o->type) {
    case CLI_INT:
        snprintf(buf, n, "%d", *(int *)field(&a, o));
        break;
    case CLI_LONG:
        snprintf(buf, n, "%ld", *(long *)field(&a, o));
        break;
    case CLI_REAL:
        snprintf(buf, n, "%g", *(double *)field(&a, o));
        break;
    case CLI_SECONDS:
        if (*(double *)field(&a, o) > 0)
            duration_text(*(double *)field(&a, o), buf, n);
        break;
    case CLI_TEXT:
        if (*(const char **)field(&a, o))
            snprintf(buf, n, "%s", *(const char **)field(&a, o));
        break;
    default:
        break;
    }
    cli_args_free(&a);
}

static void option_lines(const cli_command *c, const cli_opt *o, char *head, size_t hn,
                         char *dflt, size_t dn)
{
    int k = 0;
    if (o->letter)
        k = snprintf(head, hn, "-%c, ", o->letter);
    snprintf(head + k, hn - (size_t)k, "--%s%s%s", o->name, o->type == CLI_FLAG ? "" : " ",
             o->type == CLI_FLAG ? "" : o->meta);
    dflt[0] = 0;
    if (!strstr(o->help, "default")) {
        char v[64];
        show_default(c, o, v, sizeof v);
        if (*v)
            snprintf(dflt, dn, " (default: %s)", v);
    }
}

/* Prints text (line breaks are spaces) wrapped to `width` columns, each line after the first
 * indented by `indent`. */
static void wrap(FILE *f, const char *text, int indent, int width)
{
    int col = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        size_t len = strcspn(p, " \n");
        if (!len)
            break;
        if (col && col + 1 + (int)len > width) {
            fprintf(f, "\n%*s", indent, "");
            col = 0;
        } else if (col) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)len, p);
        col += (int)len;
        p += len;
    }
    fputc('\n', f);
}

void cli_help(FILE *f, const cli_command *c)
{
    fprintf(f, "usage: connrate %s %s\n\n%s\n", c->name, c->usage, c->about);
    if (c->more) {
        fputc('\n', f);
        c->more(f);
    }
    for (const cli_group *const *g = c->groups; *g; g++) {
        fprintf(f, "\n%s options:\n", (*g)->title);
        for (int i = 0; i < (*g)->n; i++) {
            const cli_opt *o = &(*g)->opts[i];
            char head[64], dflt[96], text[1024], more[512] = "";
            option_lines(c, o, head, sizeof head, dflt, sizeof dflt);
            if (o->help_more)
                o->help_more(more, sizeof more);
            snprintf(text, sizeof text, "%s%s%s", o->help, more, dflt);
            if (strlen(head) > 22)
                fprintf(f, "  %s\n%25s", head, "");
            else
                fprintf(f, "  %-22s ", head);
            wrap(f, text, 25, 78 - 25);
        }
    }
    fputs("\nExit status: 0 done, 1 bad input or failure, 2 bad usage, 3 finished but a fit "
          "failed its\nchecks, 130/143 interrupted (temporary files removed).\n", f);
}

#define EXIT_STATUS                                                                           \
    ".SH EXIT STATUS\n0 done, 1 bad input or failure, 2 bad usage, 3 finished but a fit failed "   \
    "its checks, 130/143 interrupted by SIGINT/SIGTERM (temporary files removed).\n"

/* roff text: a leading '.' or '\'' would be a request, '\' an escape, '-' a hyphen. */
static void roff(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((i == 0 || s[i - 1] == '\n') && (s[i] == '.' || s[i] == '\''))
            fputs("\\&", f);
        if (s[i] == '\\')
            fputs("\\e", f);
        else if (s[i] == '-')
            fputs("\\-", f);
        else
            fputc(s[i], f);
    }
}

void cli_man(FILE *f, const cli_command *c, const char *version)
{
    fprintf(f, ".TH CONNRATE\\-%s 1 \"\" \"connrate %s\" \"connrate manual\"\n.SH NAME\n",
            c->name, version);
    fprintf(f, "connrate\\-%s \\- ", c->name);
    roff(f, c->summary, strlen(c->summary));
    fprintf(f, "\n.SH SYNOPSIS\n\\fBconnrate %s\\fR ", c->name);
    roff(f, c->usage, strlen(c->usage));
    fputs("\n.SH DESCRIPTION\n", f);
    /* paragraphs are separated by blank lines; lines within one are joined by roff */
    roff(f, c->about, strlen(c->about));
    fputs("\n", f);
    if (c->more) {
        char *buf;
        size_t len;
        FILE *m = open_memstream(&buf, &len);
        c->more(m);
        fclose(m);
        fputs(".nf\n", f);
        roff(f, buf, len);
        fputs(".fi\n", f);
        free(buf);
    }
    for (const cli_group *const *g = c->groups; *g; g++) {
        fputs(".SH ", f);
        for (const char *t = (*g)->title; *t; t++)
            fputc(*t >= 'a' && *t <= 'z' ? *t - 'a' + 'A' : *t, f);
        fputs(" OPTIONS\n", f);
        for (int i = 0; i < (*g)->n; i++) {
            const cli_opt *o = &(*g)->opts[i];
            char head[64], dflt[96];
            option_lines(c, o, head, sizeof head, dflt, sizeof dflt);
            fputs(".TP\n\\fB", f);
            roff(f, head, strlen(head));
            fputs("\\fR\n", f);
            char more[512] = "";
            if (o->help_more)
                o->help_more(more, sizeof more);
            roff(f, o->help, strlen(o->help));
            roff(f, more, strlen(more));
            roff(f, dflt, strlen(dflt));
            fputc('\n', f);
        }
    }
    fputs(EXIT_STATUS ".SH SEE ALSO\n\\fBconnrate\\fR(1)\n", f);
}

void cli_man_overview(FILE *f, const char *version)
{
    fprintf(f, ".TH CONNRATE 1 \"\" \"connrate %s\" \"connrate manual\"\n", version);
    fputs(".SH NAME\nconnrate \\- firewall sizing numbers from packet captures of workstations\n"
          ".SH SYNOPSIS\n\\fBconnrate\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR] ...\n.br\n"
          "\\fBconnrate \\-\\-version\\fR\n.br\n\\fBconnrate man\\fR [\\fICOMMAND\\fR]\n"
          ".SH DESCRIPTION\n"
          "connrate turns packet captures of single workstations (pcap, pcapng, tshark exports or\n"
          "the .Rds tables of R) into firewall sizing numbers: per second, how many outbound TCP\n"
          "and UDP connections a user opens and ends, fitted with a hierarchical Bayesian model so\n"
          "that N users can be simulated.\n"
          ".PP\n"
          "Each command has its own page, generated like its \\fB\\-\\-help\\fR from its option\n"
          "tables; an option means the same, with the same bounds, in every command that takes\n"
          "it. Summaries and progress go to standard error, never to the outputs.\n"
          ".SH COMMANDS\n", f);
    for (const cli_command *const *c = cli_commands; *c; c++) {
        fprintf(f, ".TP\n\\fBconnrate\\-%s\\fR(1)\n", (*c)->name);
        roff(f, (*c)->summary, strlen((*c)->summary));
        fputc('\n', f);
    }
    fputs(".SH OPTIONS\n.TP\n\\fB\\-\\-version\\fR\nprint the version\n"
          ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nlist the commands\n"
          ".SH ENVIRONMENT\n.TP\n\\fBCONNRATE_HEARTBEAT\\fR\n"
          "seconds between progress lines when standard error is not a terminal (default 10; 0:\n"
          "none)\n" EXIT_STATUS ".SH SEE ALSO\n", f);
    for (const cli_command *const *c = cli_commands; *c; c++)
        fprintf(f, "\\fBconnrate\\-%s\\fR(1)%s\n", (*c)->name, c[1] ? "," : "");
}
