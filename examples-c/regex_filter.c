/* regex_filter.c - a listener with a regular-expression filter (the seed's
   MulticastListener(filter=<regex>)).

   The pattern "${ip}:${port} " accepts only packets that start with the
   listener's own group and port, here "224.0.42.42:4242 ": the library replaces
   ${ip} and ${port} (and ${mtu}) by the listener's values, as escaped literals,
   and matches at the packet's start. The program sends five packets to its own
   group with mc_sendto_many; the listener prints the two that match, and stops
   at "bye". Bounded: at most five seconds.
     tests/netns-run ./regex_filter */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <multicast.h>

static const char *const packets[] = {
    "224.0.42.42:4242 hello",                 /* accepted */
    "224.0.42.43:4242 another group's header", /* rejected: not our group */
    "224x0x42x42:4242 dots are literal",       /* rejected: ${ip} is escaped */
    "noise 224.0.42.42:4242 not at the start", /* rejected: matched at the start */
    "224.0.42.42:4242 bye",                   /* accepted; the listener stops */
};
#define NPACKETS (sizeof packets / sizeof *packets)

struct state {
    mc_listener *listener;
    int accepted;
    int done;
    mc_listener_stats stats;
};

static int on_packet(void *user_data, const mc_packet *p) {
    struct state *st = user_data;
    st->accepted++;
    printf("accepted: %.*s\n", (int)p->len, (const char *)p->data);
    if (p->len >= 3 && memcmp(p->data + p->len - 3, "bye", 3) == 0) {
        /* read the counters now: returning non-zero frees the listener */
        mc_listener_get_stats(st->listener, &st->stats);
        st->done = 1;
        return 1;
    }
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void) {
    struct state st;
    mc_buf bufs[NPACKETS];
    long long deadline;
    size_t i;
    int rc;

    memset(&st, 0, sizeof st);
    rc = mc_listener_new(NULL, NULL, on_packet, &st, &st.listener);
    if (rc < 0) goto fail;
    rc = mc_listener_set_filter_regex(st.listener, "${ip}:${port} ");
    if (rc < 0) goto fail;

    for (i = 0; i < NPACKETS; i++) {
        bufs[i].data = packets[i];
        bufs[i].len = strlen(packets[i]);
    }
    rc = mc_sendto_many(bufs, NPACKETS, MC_DEFAULT_GROUP, MC_DEFAULT_PORT, MC_TTL_SUBNET);
    if (rc < 0) goto fail;
    printf("sent %d packets to %s:%d\n", rc, MC_DEFAULT_GROUP, MC_DEFAULT_PORT);

    deadline = now_ms() + 5000;
    while (!st.done && now_ms() < deadline) {
        rc = mc_poll(NULL, 100);
        if (rc < 0) goto fail;
    }
    if (!st.done) {
        fprintf(stderr, "regex_filter: \"bye\" did not arrive within 5 s\n");
        mc_listener_close(st.listener);
        return 1;
    }
    printf("accepted %d, filtered %llu, received %llu\n", st.accepted,
           (unsigned long long)st.stats.filtered, (unsigned long long)st.stats.received);
    return 0;
fail:
    fprintf(stderr, "regex_filter: %s (%s)\n", mc_last_error(), mc_strerror(rc));
    return 1;
}
