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

#endif
