#include "common/progress.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"

enum { OFF, BAR, HEARTBEAT, JSON };

/* A terminal redraws at most this often; JSON objects come at most once a second per stage. */
#define BAR_EVERY_S 0.1
#define JSON_EVERY_S 1.0
#define BAR_WIDTH 20

static int quiet, json;
static double heartbeat_s;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* All below under lock. */
static int shown;           /* a terminal status line is drawn */
static double last_draw;    /* last terminal redraw or JSON object */
static double last_beat;    /* last heartbeat line, or the first step (0: none yet) */
static char stage[160];     /* the current stage, for its ETA */
static double stage_t0, stage_done0, stage_done; /* when it started, done then and now */

void cr_progress_set_quiet(int q) { quiet = q; }
void cr_progress_set_json(int j) { json = j; }
void cr_progress_set_heartbeat(double s) { heartbeat_s = s; }
int cr_quiet(void) { return quiet; }

static int mode(void)
{
    if (json)
        return JSON;
    if (quiet)
        return OFF;
    if (isatty(2))
        return BAR;
    return heartbeat_s > 0 ? HEARTBEAT : OFF;
}

int cr_progress_enabled(void) { return mode() != OFF; }

static void eta_text(double s, char *buf, size_t n)
{
    if (!isfinite(s))
        snprintf(buf, n, "?");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void json_string(const char *s)
{
    fputc('"', stderr);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(stderr, "\\%c", c);
        else if (c < 0x20)
            fprintf(stderr, "\\u%04x", c);
        else
            fputc(c, stderr);
    }
    fputc('"', stderr);
}

static void json_number(double x)
{
    if (isfinite(x))
        fprintf(stderr, "%.15g", x);
    else
        fputs("null", stderr);
}

/* One step of a stage, or a bare message when total is NAN. Called under lock. */
static void show(int m, int force, const char *name, double done, double total)
{
    const double t = cr_now();
    const int counted = !isnan(total);
    /* a bare message is no stage: each one differs, and none bypasses the rate limit */
    const int first = counted && (strcmp(stage, name) != 0 || done < stage_done);
    if (first) {
        snprintf(stage, sizeof stage, "%s", name);
        stage_t0 = t;
        stage_done0 = done;
    }
    if (counted)
        stage_done = done;
    /* the rate so far, from the stage's first step: unknown until it has moved */
    const int last = counted && total > 0 && done >= total;
    double eta = NAN;
    if (last)
        eta = 0;
    else if (counted && total > 0 && done > stage_done0)
        eta = (t - stage_t0) * (total - done) / (done - stage_done0);
    char eta_s[32], pct[16] = "";
    eta_text(eta, eta_s, sizeof eta_s);
    if (counted && total > 0)
        snprintf(pct, sizeof pct, "%.0f%%", 100 * fmin(done / total, 1));

    if (m == BAR) {
        if (!(force || first || last || t - last_draw >= BAR_EVERY_S))
            return;
        fputs("\r\033[K", stderr);
        if (!counted) {
            fputs(name, stderr);
        } else if (total > 0) {
            char bar[BAR_WIDTH + 1];
            int full = (int)(BAR_WIDTH * fmin(done / total, 1));
            for (int i = 0; i < BAR_WIDTH; i++)
                bar[i] = i < full ? '#' : '-';
            bar[BAR_WIDTH] = 0;
            fprintf(stderr, "%.48s [%s] %4s ETA %s", name, bar, pct, eta_s);
        } else {
            fprintf(stderr, "%.48s %.0f", name, done);
        }
        shown = 1;
    } else if (m == HEARTBEAT) {
        if (last_beat == 0)
            last_beat = t;
        if (t - last_beat < heartbeat_s)
            return;
        if (!counted)
            fprintf(stderr, "progress: %s\n", name);
        else if (total > 0)
            fprintf(stderr, "progress: %s %s (%.0f/%.0f), ETA %s\n", name, pct, done, total,
                    eta_s);
        else
            fprintf(stderr, "progress: %s (%.0f)\n", name, done);
    } else {
        double every = heartbeat_s > 0 && heartbeat_s < JSON_EVERY_S ? heartbeat_s : JSON_EVERY_S;
        if (!(force || first || last || t - last_draw >= every))
            return;
        fputs("{\"stage\": ", stderr);
        json_string(name);
        fputs(", \"done\": ", stderr);
        json_number(counted ? done : NAN);
        fputs(", \"total\": ", stderr);
        json_number(counted && total > 0 ? total : NAN);
        fputs(", \"eta_s\": ", stderr);
        json_number(round(eta * 10) / 10);
        fputs("}\n", stderr);
    }
    last_draw = last_beat = t;
    fflush(stderr);
}

void cr_progress_step(const char *name, double done, double total)
{
    int m = mode();
    if (m == OFF)
        return;
    pthread_mutex_lock(&lock);
    show(m, 0, name, done, total);
    pthread_mutex_unlock(&lock);
}

void cr_progress(int force, const char *fmt, ...)
{
    int m = mode();
    if (m == OFF)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&lock);
    show(m, force, msg, 0, NAN);
    pthread_mutex_unlock(&lock);
}

void cr_progress_done(void)
{
    pthread_mutex_lock(&lock);
    if (shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        shown = 0;
    }
    pthread_mutex_unlock(&lock);
}

void cr_info(const char *fmt, ...)
{
    if (quiet)
        return;
    cr_progress_done();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}
