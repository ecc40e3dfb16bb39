/* A small test harness in the spirit of sqlite's: each test binary runs its cases with RUN(),
 * prints one line per case and a machine-readable tally that tests/run.sh adds up. */
#ifndef CR_TEST_H
#define CR_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

void cr_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cr_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cr_test_run(const char *name, void (*fn)(void));
void cr_test_run_slow(const char *name, void (*fn)(void));
int cr_test_summary(void);
/* Set when the current case has failed or skipped; CHECK returns on it. */
extern int cr_test_stop;

/* Path of ../shared (or $CONNRATE_SHARED); NULL when absent, so tests can SKIP. */
const char *cr_test_shared(void);
/* A fresh temporary directory for the current binary (removed at exit unless a case failed). */
const char *cr_test_tmpdir(void);
/* Reads a whole file (NUL-terminated); NULL if unreadable. */
char *cr_test_slurp(const char *path, size_t *len);
/* Runs a shell command, returns its exit status (or -1). */
int cr_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The number a shell pipeline prints (awk, grep -c ...; its exit status is not looked at, as
 * grep -c exits 1 when it counts 0), or -1 when it prints none. */
long cr_test_sh_count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True in the sanitizer run (make check-san sets CONNRATE_SKIP_SLOW): tests that take minutes
 * (calibration studies, rstan comparisons) run in make check only. */
int cr_test_skip_slow(void);
/* The exit status of a fit or run that ran to the end: 0, or 3 when a fit failed its checks
 * (which short test chains may). */
static inline int cr_test_ran(int status) { return status == 0 || status == 3; }
/* Path of the built connrate binary ($CONNRATE_BIN, set by tests/run.sh). */
const char *cr_test_bin(void);

#define RUN(fn) cr_test_run(#fn, fn)
/* A case that takes minutes (calibration studies): skipped when cr_test_skip_slow(). */
#define RUN_SLOW(fn) cr_test_run_slow(#fn, fn)
#define TEST_MAIN(...)                                                                        \
    int main(void)                                                                            \
    {                                                                                         \
        __VA_ARGS__;                                                                          \
        return cr_test_summary();                                                             \
    }

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            cr_test_fail(__FILE__, __LINE__, "%s", #c);                                       \
            return;                                                                           \
        }                                                                                     \
    } while (0)
#define CHECKF(c, ...)                                                                        \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            cr_test_fail(__FILE__, __LINE__, __VA_ARGS__);                                    \
            return;                                                                           \
        }                                                                                     \
    } while (0)
#define CHECK_INT(a, b)                                                                       \
    do {                                                                                      \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                 \
        if (va_ != vb_) {                                                                     \
            cr_test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, va_, #b,  \
                         vb_);                                                                \
            return;                                                                           \
        }                                                                                     \
    } while (0)
#define CHECK_STR(a, b)                                                                       \
    do {                                                                                      \
        const char *sa_ = (a), *sb_ = (b);                                                    \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                          \
            cr_test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,            \
                         sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                         \
            return;                                                                           \
        }                                                                                     \
    } while (0)
/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                                 \
    do {                                                                                      \
        double da_ = (a), db_ = (b), dt_ = (tol);                                             \
        if (!(fabs(da_ - db_) <= dt_)) {                                                      \
            cr_test_fail(__FILE__, __LINE__, "%s = %.17g, expected %.17g (tol %g)", #a, da_,  \
                         db_, dt_);                                                           \
            return;                                                                           \
        }                                                                                     \
    } while (0)
#define SKIP(...)                                                                             \
    do {                                                                                      \
        cr_test_skip(__VA_ARGS__);                                                            \
        return;                                                                               \
    } while (0)

#endif
