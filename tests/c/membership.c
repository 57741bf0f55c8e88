/* membership.c - joins and leaves as the kernel sees them (/proc/net/igmp),
   and the receive buffer the kernel grants. */
#include <stdint.h>

#include "check.h"

/* True if `path` (/proc/net/igmp or igmp6) lists `hex` (the group as the
   kernel prints it). */
static int joined_in(const char *path, const char *hex) {
    char line[256];
    int found = 0;
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    while (fgets(line, sizeof line, f))
        if (strstr(line, hex)) found = 1;
    fclose(f);
    return found;
}

static int joined(const char *hex) { return joined_in("/proc/net/igmp", hex); }

static int close_self(void *ud, const mc_packet *p) {
    (void)p;
    mc_listener *l = *(mc_listener **)ud;
    mc_listener_close(l);
    CHECK(!joined("070707EF"));          /* left at once; the memory lives on */
    mc_listener_stats st;
    CHECK_RC(mc_listener_get_stats(l, &st), MC_ECLOSED);
    return 0;
}

static int stop_now(void *ud, const mc_packet *p) {
    (void)ud; (void)p;
    return 1;
}

static long read_long(const char *path) {
    long v = -1;
    FILE *f = fopen(path, "r");
    if (f) { if (fscanf(f, "%ld", &v) != 1) v = -1; fclose(f); }
    return v;
}

int main(void) {
    require_private_netns();
    mc_poller *p;
    mc_listener *l;
    mc_opts *o = mc_opts_new();
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_opts_set_group(o, "239.7.7.7"), 0);
    CHECK_RC(mc_opts_set_port(o, 7007), 0);
    CHECK_RC(mc_opts_set_interface(o, "lo"), 0);

    /* close outside a callback: the leave is immediate */
    CHECK(!joined("070707EF"));
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &l), 0);
    CHECK(joined("070707EF"));
    mc_listener_close(l);
    CHECK(!joined("070707EF"));

    /* closed inside its own callback: MC_ECLOSED meanwhile, gone after */
    CHECK_RC(mc_listener_new(p, o, close_self, &l, &l), 0);
    CHECK_RC(mc_sendto("x", 1, "239.7.7.7", 7007, 1), 1);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(!joined("070707EF"));

    /* on_packet's non-zero answer closes and leaves */
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &l), 0);
    CHECK_RC(mc_sendto("x", 1, "239.7.7.7", 7007, 1), 1);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(!joined("070707EF"));
    CHECK_RC(mc_loop(p, 0, 0), 0); /* nothing registered any more */

    /* mc_poller_free closes what is left */
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &l), 0);
    CHECK(joined("070707EF"));
    mc_poller_free(p);
    CHECK(!joined("070707EF"));

    /* IPv6: the MLD membership goes with the close too */
    {
        const char *g6 = "ff050000000000000000000000007007";
        mc_opts *o6 = mc_opts_new();
        mc_listener *l6;
        mc_poller *p6;
        CHECK_RC(mc_poller_new(&p6), 0);
        CHECK_RC(mc_opts_set_group(o6, "ff05::7007"), 0);
        CHECK_RC(mc_opts_set_port(o6, 7007), 0);
        CHECK_RC(mc_opts_set_interface(o6, "lo"), 0);
        CHECK(!joined_in("/proc/net/igmp6", g6));
        CHECK_RC(mc_listener_new(p6, o6, stop_now, NULL, &l6), 0);
        CHECK(joined_in("/proc/net/igmp6", g6));
        mc_listener_close(l6);
        CHECK(!joined_in("/proc/net/igmp6", g6));
        mc_poller_free(p6);
        mc_opts_free(o6);
    }

    /* a failed constructor leaves nothing joined and *out NULL */
    CHECK_RC(mc_poller_new(&p), 0);
    mc_listener *first;
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &first), 0);
    CHECK_RC(mc_opts_set_source(o, "fd42::2"), 0); /* family mismatch */
    l = (mc_listener *)o;
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &l), MC_EADDRESS);
    CHECK(l == NULL);
    CHECK_MSG("different families");
    CHECK_RC(mc_opts_set_source(o, NULL), 0);

    /* receive buffer: the kernel doubles the request and clamps it to rmem_max */
    long rmem_max = read_long("/proc/sys/net/core/rmem_max");
    CHECK_RC(mc_opts_set_recv_buffer(o, 64u << 20), 0);
    CHECK_RC(mc_opts_set_port(o, 7008), 0);
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &l), 0);
    if (rmem_max > 0) CHECK(mc_listener_recv_buffer(l) == 2 * rmem_max);
    CHECK_RC(mc_opts_set_recv_buffer(o, 65536), 0);
    CHECK_RC(mc_opts_set_port(o, 7009), 0);
    mc_listener *small;
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &small), 0);
    CHECK(mc_listener_recv_buffer(small) == 2 * 65536);
    mc_poller_free(p);

    /* kernel drops: a tiny buffer overflows; every packet sent is either
       received or counted as dropped (without GRO: with it, the kernel counts
       the drop of a coalesced run once) */
    static uint8_t big[1000];
    static mc_buf bufs[500];
    for (int i = 0; i < 500; i++) { bufs[i].data = big; bufs[i].len = sizeof big; }
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_opts_set_recv_buffer(o, 1), 0);
    CHECK_RC(mc_opts_set_port(o, 7010), 0);
    CHECK_RC(mc_opts_set_gro(o, 0), 0);
    mc_listener *tiny;
    CHECK_RC(mc_listener_new(p, o, NULL, NULL, &tiny), 0); /* pull mode */
    CHECK_RC(mc_sendto_many(bufs, 500, "239.7.7.7", 7010, 1), 500);
    const mc_packet *pk;
    while (mc_listener_next(tiny, &pk, 0) == 1) {}
    mc_listener_stats st;
    CHECK_RC(mc_listener_get_stats(tiny, &st), 0);
    CHECK(st.kernel_drops > 0);
    CHECK(st.received + st.kernel_drops == 500);
    CHECK(st.delivered == st.received);
    mc_poller_free(p);
    mc_opts_free(o);
    return check_done("membership");
}
