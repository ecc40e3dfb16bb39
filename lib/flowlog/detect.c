/* The format of a file from its content: the first line that belongs to a known format decides
 * (a btest banner, a syslog line of another daemon or blank lines before it do not). The same
 * line classifier tells a reader when a file mixes formats. */
#include "flowlog/flowlog_internal.h"

#include <string.h>
#include <strings.h>

/* How many lines detection looks at before giving up. */
#define DETECT_LINES 200

static int starts(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && !memcmp(s, p, n);
}

static const char *find(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    for (size_t i = 0; i + n <= len; i++)
        if (s[i] == p[0] && !memcmp(s + i, p, n))
            return s + i;
    return NULL;
}

/* Does the comma-separated header hold every name of want (case-insensitive)? */
static int header_has(const char *s, size_t len, const char *const *want, int nwant)
{
    int found = 0;
    for (int w = 0; w < nwant; w++) {
        size_t n = strlen(want[w]);
        for (size_t i = 0; i + n <= len; i++) {
            if ((i == 0 || s[i - 1] == ',') && !strncasecmp(s + i, want[w], n) &&
                (i + n == len || s[i + n] == ',' || s[i + n] == '\r')) {
                found++;
                break;
            }
        }
    }
    return found == nwant;
}

int cr_fl_panos_line(const char *s, size_t len)
{
    const char *c1 = memchr(s, ',', len);
    if (!c1 || (size_t)(s + len - c1) < 21)
        return 0;
    int64_t ms;
    int res;
    if (c1[20] != ',' || cr_fl_datetime(c1 + 1, 19, &ms, &res) < 0 || c1[5] != '/')
        return 0;
    const char *c3 = memchr(c1 + 21, ',', (size_t)(s + len - (c1 + 21)));
    if (!c3)
        return 0;
    const char *t = c3 + 1;
    size_t n = 0;
    while (t + n < s + len && t[n] >= 'A' && t[n] <= 'Z')
        n++;
    return n >= 3 && t + n < s + len && t[n] == ',';
}

/* An nfdump row without its header (-q): "YYYY-MM-DD hh:mm:ss[.fff],YYYY-MM-DD hh:mm:ss..." */
static int nfdump_row(const char *s, size_t len)
{
    const char *c1 = memchr(s, ',', len);
    if (!c1)
        return 0;
    const char *t = c1 + 1, *end = s + len;
    const char *c2 = memchr(t, ',', (size_t)(end - t));
    int64_t ms;
    int res;
    return c2 && s[4] == '-' && t[4] == '-' &&
           cr_fl_datetime(s, (size_t)(c1 - s), &ms, &res) == 0 &&
           cr_fl_datetime(t, (size_t)(c2 - t), &ms, &res) == 0;
}

int cr_fl_classify(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (!len)
        return CR_FLOWLOG_UNKNOWN;
    if (starts(s, len, "#separator") || starts(s, len, "#fields"))
        return CR_FLOWLOG_ZEEK_TSV;
    if (*s == '{' || *s == '[')
        return CR_FLOWLOG_ZEEK_JSON;
    if (starts(s, len, "machine_id,protocol,ip_version,"))
        return CR_FLOWLOG_FLOWS;
    static const char *const nf[] = {"ts", "te", "pr", "sa", "da", "sp", "dp"};
    if (starts(s, len, "Date first seen") || nfdump_row(s, len) || header_has(s, len, nf, 7))
        return CR_FLOWLOG_NFDUMP_CSV;
    static const char *const ar[] = {"StartTime", "Proto", "SrcAddr", "DstAddr"};
    if (header_has(s, len, ar, 4))
        return CR_FLOWLOG_ARGUS;
    const char *asa = find(s, len, "%ASA-");
    if (!asa)
        asa = find(s, len, "%FTD-");
    if (asa && (size_t)(s + len - asa) > 6 && asa[5] >= '0' && asa[5] <= '7' && asa[6] == '-')
        return CR_FLOWLOG_ASA;
    if (find(s, len, "logid=") && find(s, len, "type="))
        return CR_FLOWLOG_FORTIOS;
    if (cr_fl_panos_line(s, len))
        return CR_FLOWLOG_PANOS;
    return CR_FLOWLOG_UNKNOWN;
}

int cr_flowlog_detect(const char *path, cr_err *e)
{
    cr_csv *r;
    if (cr_csv_open(&r, path, 0, 0, e) != 0)
        return CR_FLOWLOG_UNKNOWN;
    cr_csv_field *f;
    int n = 0, format = CR_FLOWLOG_UNKNOWN, lines = 0;
    char first[64] = "";
    while (format == CR_FLOWLOG_UNKNOWN && lines < DETECT_LINES &&
           (n = cr_csv_next(r, &f, e)) > 0) {
        if (f[0].len == 0)
            continue;
        if (!lines++)
            snprintf(first, sizeof first, "%.60s", f[0].s);
        format = cr_fl_classify(f[0].s, f[0].len);
    }
    if (format == CR_FLOWLOG_UNKNOWN && n < 0) {
        /* nfcapd files and other binaries fail on their first NUL byte */
        cr_csv_close(r);
        if (strstr(e->msg, "NUL byte"))
            cr_fail(e, "%s: a binary file, not a flow log (an nfcapd file? export it with "
                       "nfdump -r FILE -o csv)", path);
        return CR_FLOWLOG_UNKNOWN;
    }
    cr_csv_close(r);
    if (format == CR_FLOWLOG_UNKNOWN) {
        if (!lines)
            cr_fail(e, "%s: empty file", path);
        else
            cr_fail(e, "%s: not a flow or session log connrate reads (Zeek conn.log, nfdump "
                       "CSV or JSON, argus CSV, PAN-OS, FortiGate, Cisco ASA, connrate flows); "
                       "it begins '%s'", path, first);
    }
    return format;
}
