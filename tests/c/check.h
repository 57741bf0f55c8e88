/* check.h - tiny assertion helpers for the C tests of libmulticast. */
#ifndef MC_CHECK_H
#define MC_CHECK_H

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multicast.h"

static int check_failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n",      \
                    __FILE__, __LINE__, #cond, mc_last_error());               \
            check_failures++;                                                  \
        }                                                                      \
    } while (0)

/* expr must return exactly `want`; prints both codes and mc_last_error. */
#define CHECK_RC(expr, want)                                                   \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ != (want)) {                                                   \
            fprintf(stderr, "%s:%d: %s returned %d (%s), want %d (%s); "       \
                    "last error: %s\n", __FILE__, __LINE__, #expr, rc_,        \
                    mc_strerror(rc_), (int)(want), mc_strerror(want),          \
                    mc_last_error());                                          \
            check_failures++;                                                  \
        }                                                                      \
    } while (0)

/* mc_last_error() must mention `needle`. */
#define CHECK_MSG(needle)                                                      \
    do {                                                                       \
        if (!strstr(mc_last_error(), (needle))) {                              \
            fprintf(stderr, "%s:%d: last error \"%s\" does not mention \"%s\"\n", \
                    __FILE__, __LINE__, mc_last_error(), (needle));            \
            check_failures++;                                                  \
        }                                                                      \
    } while (0)

/* Refuse to run anywhere but a private namespace made by tests/netns-run:
   only lo and the tests' own veths (mc*) may exist. */
static void require_private_netns(void) {
    struct if_nameindex *ifs = if_nameindex(), *i;
    if (!ifs) { perror("if_nameindex"); exit(2); }
    for (i = ifs; i->if_index; i++) {
        if (strcmp(i->if_name, "lo") != 0 && strncmp(i->if_name, "mc", 2) != 0) {
            fprintf(stderr, "refusing to run: interface %s exists; run inside tests/netns-run\n",
                    i->if_name);
            exit(2);
        }
    }
    if_freenameindex(ifs);
}

static int check_done(const char *name) {
    if (check_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

/* A case of a test program of cases. */
typedef struct {
    const char *name;
    void (*fn)(void);
} check_case;

/* main() of a test program of cases: `PROGRAM CASE` runs the case named CASE
   (inside a private namespace only) and returns check_done("PROGRAM CASE"),
   which prints "PROGRAM CASE: all checks passed" (the line the Rust tests
   look for); 2 with a usage message for a bad command line. */
static inline int check_main(const char *program, int argc, char **argv, const check_case *cases,
                             size_t n) {
    char name[96];
    size_t i;
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout and stderr in order */
    require_private_netns();
    for (i = 0; argc == 2 && i < n; i++) {
        if (strcmp(cases[i].name, argv[1]) == 0) {
            cases[i].fn();
            snprintf(name, sizeof name, "%s %s", program, argv[1]);
            return check_done(name);
        }
    }
    fprintf(stderr, "usage: %s CASE (", program);
    for (i = 0; i < n; i++) fprintf(stderr, "%s%s", i ? " " : "", cases[i].name);
    fprintf(stderr, ")\n");
    return 2;
}

#define CHECK_MAIN(program, ...)                                               \
    int main(int argc, char **argv) {                                          \
        static const check_case cases_[] = { __VA_ARGS__ };                   \
        return check_main(program, argc, argv, cases_,                         \
                          sizeof cases_ / sizeof *cases_);                     \
    }

#endif
