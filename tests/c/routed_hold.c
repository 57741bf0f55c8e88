/* routed_hold.c - a libmulticast listener on one host of tests/netns-routed's
   network, for tests/routed_leave.rs: it joins, and closes when told to, so that
   the test can see the IGMP / MLD leave that mc_listener_close puts on the
   segment.

     routed_hold hold GROUP PORT IFACE

   Creates a listener (pull mode) of GROUP:PORT on IFACE and prints
   "joined GROUP" once mc_listener_new returned. Then it reads standard input:
   on the line "close" it prints "closing at SEC.NSEC" (CLOCK_REALTIME, read
   just before the call), calls mc_listener_close and prints "closed"; then it
   stays until standard input ends, so that the leave the test sees comes
   from mc_listener_close, not from the process exit. Bounded: alarm(30).
   Exit status: 0, or 1 when a call failed or input ended before "close". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int hold(const char *group, const char *port, const char *iface) {
    mc_opts *o = mc_opts_new();
    mc_listener *l = NULL;
    char line[64];
    struct timespec ts;
    int closed = 0;

    CHECK(o != NULL);
    if (!o) return 1;
    CHECK_RC(mc_opts_set_group(o, group), 0);
    CHECK_RC(mc_opts_set_port(o, (uint16_t)atoi(port)), 0);
    CHECK_RC(mc_opts_set_interface(o, iface), 0);
    CHECK_RC(mc_listener_new(NULL, o, NULL, NULL, &l), 0);
    mc_opts_free(o);
    if (!l) return 1;
    printf("joined %s\n", group);
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        if (!closed && strcmp(line, "close\n") == 0) {
            clock_gettime(CLOCK_REALTIME, &ts);
            printf("closing at %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
            fflush(stdout);
            mc_listener_close(l);
            closed = 1;
            printf("closed\n");
            fflush(stdout);
        }
    }
    CHECK(closed);
    return check_done("routed_hold hold");
}

int main(int argc, char **argv) {
    require_private_netns();
    alarm(30);
    if (argc == 5 && strcmp(argv[1], "hold") == 0) return hold(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: routed_hold hold GROUP PORT IFACE\n");
    return 2;
}
