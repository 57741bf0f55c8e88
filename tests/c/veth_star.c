/* veth_star.c - interface "*" over two veth links: packets from both, told apart
 * by ifindex (and scope ids for ff02::); nothing of another group or unicast.
 *
 *   tests/netns-veth --two veth_star CASE
 *   CASE: star-v4 star-v6 star-ff02
 *
 * The setting and its synchronisation: veth.h.
 */
#define _GNU_SOURCE
#include "veth.h"

/* "*" joins on every interface: packets from both links, told apart by ifindex (and,
   for ff02::, by scope ids); a listener on "mc0" gets only mc0's. Each peer sends a
   burst from distinct source ports (see peer_burst). Neither listener gets another
   group's datagram or a unicast one sent to the same port (a listener on mc0 of that
   other group is the control that it did arrive). which: 0 IPv4, 1 ff05::, 2 ff02::. */
static void star(int which) {
    static const struct {
        const char *group, *from0, *from2;
        int scoped;
        const char *other_group, *unicast;   /* same port: the listeners must not get these */
    } gs[] = {
        { "239.7.7.7", "192.0.2.2", "198.51.100.2", 0, "239.7.7.8", "192.0.2.1" },
        { "ff05::4344", "fd42::2", "fd43::2", 0, "ff05::4345", "fd42::1" },
        { "ff02::4343", "fe80::2", "fe80::4", 1, "ff02::4345", "fe80::1" },
    };
    enum { N = 8 };
    unsigned ix0 = env_index("MC_IFINDEX"), ix2 = env_index("MC_IF2INDEX");
    const int P = 5004;
    const size_t i = (size_t)which;
    {
        const char *G = gs[i].group;
        uint32_t s0 = gs[i].scoped ? ix0 : 0, s2 = gs[i].scoped ? ix2 : 0;
        mc_poller *pa = NULL, *pb = NULL;
        mc_listener *all, *one, *og;
        char tag[96];
        kind_t kinds[4];
        printf("%s: listener \"*\" and listener \"mc0\"; %d packets from each peer\n", G, N);
        CHECK_RC(mc_poller_new(&pa), 0);
        CHECK_RC(mc_poller_new(&pb), 0);
        all = listen_on(pa, G, P, "*", NULL);
        one = listen_on(pb, G, P, "mc0", NULL);
        og = listen_on(pb, gs[i].other_group, P, "mc0", NULL);  /* so that it arrives */
        peer_burst("MC_PEER_PID", "mc1", G, P, "via-mc0", NULL, N);
        peer_burst("MC_PEER2_PID", "mc3", G, P, "via-mc2", NULL, N);
        /* another group and a unicast datagram to the same port */
        peer_send("MC_PEER_PID", "mc1", gs[i].other_group, P, "other-group", NULL, -1);
        peer_send("MC_PEER_PID", "mc1", gs[i].unicast, P, "unicast", NULL, -1);
        memset(kinds, 0, sizeof kinds);
        kinds[0].prefix = "via-mc0"; kinds[0].from = gs[i].from0;
        kinds[0].from_scope = s0; kinds[0].group_scope = s0; kinds[0].ifindex = ix0;
        kinds[1].prefix = "via-mc2"; kinds[1].from = gs[i].from2;
        kinds[1].from_scope = s2; kinds[1].group_scope = s2; kinds[1].ifindex = ix2;
        kinds[2].prefix = "other-group"; kinds[2].from = gs[i].from0;
        kinds[2].from_scope = s0; kinds[2].group_scope = s0; kinds[2].ifindex = ix0;
        kinds[3].prefix = "unicast"; kinds[3].from = gs[i].from0;
        kinds[3].from_scope = s0; kinds[3].group_scope = s0; kinds[3].ifindex = ix0;
        kinds[0].want = N; kinds[1].want = N;
        snprintf(tag, sizeof tag, "%s listener \"*\"", G);
        collect(tag, all, G, P, kinds, 4);
        kinds[0].want = N; kinds[1].want = 0;
        snprintf(tag, sizeof tag, "%s listener \"mc0\"", G);
        collect(tag, one, G, P, kinds, 4);
        /* the control: the other group's datagram did arrive at this host */
        kinds[0].want = 0; kinds[2].want = 1;
        snprintf(tag, sizeof tag, "%s listener on mc0 (control)", gs[i].other_group);
        collect(tag, og, gs[i].other_group, P, kinds, 4);
        mc_listener_close(all);
        mc_listener_close(one);
        mc_listener_close(og);
        mc_poller_free(pa);
        mc_poller_free(pb);
    }
}

static void test_star_v4(void) { star(0); }
static void test_star_v6(void) { star(1); }
static void test_star_ff02(void) { star(2); }

PEER_MAIN("veth_star", "/tmp/mc-veth.XXXXXX", { "star-v4", test_star_v4 },
          { "star-v6", test_star_v6 }, { "star-ff02", test_star_ff02 })
