/* Times as flow and firewall logs write them, to ms since the epoch (floored, like the packet
 * path): decimal epoch seconds, ISO-like date-times, syslog stamps, h:mm:ss durations. Digits
 * are read exactly (no double on the way), so 1431969641.947863 floors to ...947, not ...946. */
#include "flowlog/flowlog_internal.h"

#include <string.h>

static int digit(char c) { return c >= '0' && c <= '9'; }

int cr_fl_decimal(const char *s, size_t len, int scale, int64_t *out)
{
    size_t i = 0;
    int64_t m = 0;
    int sig = 0, exp10 = 0, any = 0;
    for (; i < len && digit(s[i]); i++, any = 1) {
        if (sig < 18) {
            m = m * 10 + (s[i] - '0');
            sig += m > 0;
        } else {
            exp10++;
        }
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && digit(s[i]); i++, any = 1)
            if (sig < 18) {
                m = m * 10 + (s[i] - '0');
                sig += m > 0;
                exp10--;
            }
    }
    if (!any)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0, e = 0, edig = 0;
        if (++i < len && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        for (; i < len && digit(s[i]); i++, edig++)
            if (e < 1000)
                e = e * 10 + (s[i] - '0');
        if (!edig)
            return -1;
        exp10 += neg ? -e : e;
    }
    if (i != len)
        return -1;
    int p = exp10 + scale;
    if (m == 0) {
        *out = 0;
        return 0;
    }
    for (; p > 0; p--) {
        if (m > INT64_MAX / 10)
            return -1;
        m *= 10;
    }
    for (; p < 0 && m; p++)
        m /= 10;
    *out = m;
    return 0;
}

int64_t cr_fl_days(int y, int m, int d)
{
    /* days from civil, proleptic Gregorian (the era arithmetic of H. Hinnant's algorithm) */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int mdays(int y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : n[m - 1];
}

/* Reads exactly n digits. */
static int num(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || !digit(s[*i]))
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return 0;
}

/* 1 to 2 digits. */
static int num12(const char *s, size_t len, size_t *i, int *out)
{
    if (*i >= len || !digit(s[*i]))
        return -1;
    int v = s[(*i)++] - '0';
    if (*i < len && digit(s[*i]))
        v = v * 10 + (s[(*i)++] - '0');
    *out = v;
    return 0;
}

static const struct {
    const char *name;
    int minutes;
} zones[] = {{"UTC", 0},      {"GMT", 0},     {"Z", 0},       {"EST", -300},  {"EDT", -240},
             {"CST", -360},   {"CDT", -300},  {"MST", -420},  {"MDT", -360},  {"PST", -480},
             {"PDT", -420},   {"WET", 0},     {"WEST", 60},   {"CET", 60},    {"CEST", 120},
             {"EET", 120},    {"EEST", 180}};

int cr_fl_zone_name(const char *s, size_t len, int *minutes)
{
    for (size_t k = 0; k < sizeof zones / sizeof zones[0]; k++)
        if (strlen(zones[k].name) == len && !memcmp(zones[k].name, s, len)) {
            *minutes = zones[k].minutes;
            return 0;
        }
    return -1;
}

/* "+hh:mm", "+hhmm", "+hh" (or '-'). */
int cr_fl_zone_offset(const char *s, size_t len, int *minutes)
{
    size_t i = 1;
    int h, m = 0;
    if (len < 3 || (s[0] != '+' && s[0] != '-') || num(s, len, &i, 2, &h) < 0)
        return -1;
    if (i < len && s[i] == ':')
        i++;
    if (i < len && num(s, len, &i, 2, &m) < 0)
        return -1;
    if (i != len || h > 23 || m > 59)
        return -1;
    *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

/* hh:mm:ss[.frac] at s + *i; adds to *ms, sets *res. */
static int clock_part(const char *s, size_t len, size_t *i, int64_t *ms, int *res)
{
    int h, mi, sec;
    if (num(s, len, i, 2, &h) < 0 || *i >= len || s[(*i)++] != ':' ||
        num(s, len, i, 2, &mi) < 0 || *i >= len || s[(*i)++] != ':' ||
        num(s, len, i, 2, &sec) < 0 || h > 23 || mi > 59 || sec > 60)
        return -1;
    int64_t frac = 0;
    *res = 1000;
    if (*i < len && (s[*i] == '.' || s[*i] == ',')) {
        size_t start = ++*i;
        while (*i < len && digit(s[*i]))
            (*i)++;
        size_t nd = *i - start;
        if (nd == 0)
            return -1;
        for (size_t k = 0; k < 3; k++)
            frac = frac * 10 + (k < nd ? s[start + k] - '0' : 0);
        *res = nd >= 3 ? 1 : nd == 2 ? 10 : 100;
    }
    *ms += ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
    return 0;
}

/* An optional zone after a date-time: 'Z', an offset, or " NAME". */
static int zone_part(const char *s, size_t len, size_t i, int *minutes)
{
    *minutes = 0;
    if (i == len)
        return 0;
    if (s[i] == ' ')
        return cr_fl_zone_name(s + i + 1, len - i - 1, minutes);
    if (s[i] == 'Z' && i + 1 == len)
        return 0;
    return cr_fl_zone_offset(s + i, len - i, minutes);
}

int cr_fl_datetime(const char *s, size_t len, int64_t *ms, int *res)
{
    size_t i = 0;
    int y, mo, d, zmin;
    if (num(s, len, &i, 4, &y) < 0 || i >= len || (s[i] != '-' && s[i] != '/'))
        return -1;
    char sep = s[i++];
    if (num(s, len, &i, 2, &mo) < 0 || i >= len || s[i++] != sep || num(s, len, &i, 2, &d) < 0)
        return -1;
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo))
        return -1;
    if (i >= len || (s[i] != ' ' && s[i] != 'T'))
        return -1;
    i++;
    int64_t t = cr_fl_days(y, mo, d) * 86400000;
    if (clock_part(s, len, &i, &t, res) < 0 || zone_part(s, len, i, &zmin) < 0)
        return -1;
    *ms = t - (int64_t)zmin * 60000;
    return 0;
}

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

size_t cr_fl_syslog_time(cr_fl_clock *c, const char *s, size_t len, int64_t *ms, int *res)
{
    if (len < 15)
        return 0;
    int mo = 0;
    while (mo < 12 && memcmp(s, months[mo], 3))
        mo++;
    if (mo == 12 || s[3] != ' ')
        return 0;
    size_t i = 4;
    if (s[i] == ' ')
        i++;
    int d, y = 0;
    if (num12(s, len, &i, &d) < 0 || i >= len || s[i++] != ' ')
        return 0;
    size_t save = i;
    if (num(s, len, &i, 4, &y) < 0 || i >= len || s[i] != ' ') {
        i = save;
        y = 0;
    } else {
        i++;
    }
    int64_t t = 0;
    if (clock_part(s, len, &i, &t, res) < 0)
        return 0;
    if (!y) {
        /* no year: a nominal leap year, advanced when the months wrap around */
        if (!c)
            return 0;
        if (!c->year)
            c->year = 2000;
        else if (mo + 1 < c->month)
            c->year++;
        c->month = mo + 1;
        y = c->year;
    }
    if (d < 1 || d > mdays(y, mo + 1))
        return 0;
    int zmin = 0;
    size_t z = i + 1;
    while (z < len && s[z] >= 'A' && s[z] <= 'Z')
        z++;
    if (i < len && s[i] == ' ' && z > i + 1 && cr_fl_zone_name(s + i + 1, z - i - 1, &zmin) == 0)
        i = z;
    *ms = cr_fl_days(y, mo + 1, d) * 86400000 + t - (int64_t)zmin * 60000;
    return i;
}

int cr_fl_hms(const char *s, size_t len, int64_t *ms, int *res)
{
    size_t i = 0;
    int64_t h = 0;
    int mi, sec;
    if (!len || !digit(s[0]))
        return -1;
    while (i < len && digit(s[i]) && h < 1000000)
        h = h * 10 + (s[i++] - '0');
    if (i >= len || s[i++] != ':' || num(s, len, &i, 2, &mi) < 0 || i >= len || s[i++] != ':' ||
        num(s, len, &i, 2, &sec) < 0 || mi > 59 || sec > 59)
        return -1;
    int64_t t = (h * 3600 + mi * 60 + sec) * 1000;
    *res = 1000;
    if (i < len && s[i] == '.') {
        int64_t frac;
        size_t nd = len - i - 1;
        if (nd == 0 || cr_fl_decimal(s + i, len - i, 3, &frac) < 0)
            return -1;
        t += frac;
        *res = nd >= 3 ? 1 : nd == 2 ? 10 : 100;
    } else if (i != len) {
        return -1;
    }
    *ms = t;
    return 0;
}
