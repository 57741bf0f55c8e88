/* veth_ssm.c - source-specific multicast over a veth pair: only the chosen
 * source's packets arrive, next to an any-source listener too; a source of the
 * other family is refused.
 *
 *   tests/netns-veth veth_ssm CASE
 *   CASE: ssm-v4 ssm-v6
 *
 * The setting and its synchronisation: veth.h.
 */
#define _GNU_SOURCE
#include "veth.h"

/* Source-specific multicast: only the chosen source's packets - alone, and next to a
   listener of any source on the same group:port (which gets both: the control). The
   other source sends a burst from distinct ports (see peer_burst). which: 0 IPv4,
   1 IPv6. */
static void ssm(int which) {
    static const struct { const char *group, *src, *other, *wrong; } gs[] = {
        { "232.1.1.1", "192.0.2.2", "192.0.2.3", "fd42::2" },
        { "ff3e::1234", "fd42::2", "fd42::3", "192.0.2.2" },
    };
    enum { N = 8 };
    unsigned ix = env_index("MC_IFINDEX");
    const int P = 5006;
    const size_t i = (size_t)which;
    {
        const char *G = gs[i].group;
        mc_poller *poller = NULL;
        mc_listener *ssm, *any, *bad;
        mc_listener_stats st;
        mc_opts *o;
        char tag[128];
        kind_t kinds[2];
        memset(kinds, 0, sizeof kinds);
        kinds[0].prefix = "from-other"; kinds[0].from = gs[i].other; kinds[0].ifindex = ix;
        kinds[1].prefix = "from-source"; kinds[1].from = gs[i].src; kinds[1].ifindex = ix;
        CHECK_RC(mc_poller_new(&poller), 0);

        printf("%s:%d: a listener with source %s alone\n", G, P, gs[i].src);
        ssm = listen_on(poller, G, P, "mc0", gs[i].src);
        peer_burst("MC_PEER_PID", "mc1", G, P, "from-other", gs[i].other, N);
        peer_send("MC_PEER_PID", "mc1", G, P, "from-source", gs[i].src, -1);
        snprintf(tag, sizeof tag, "%s source %s, alone", G, gs[i].src);
        kinds[0].want = 0; kinds[1].want = 1;
        collect(tag, ssm, G, P, kinds, 2);
        if (ssm) {
            CHECK_RC(mc_listener_get_stats(ssm, &st), 0);
            CHECK(st.received == 1);
        }
        mc_listener_close(ssm);

        printf("%s:%d: a listener with source %s and one with any source\n", G, P + 1,
               gs[i].src);
        ssm = listen_on(poller, G, P + 1, "mc0", gs[i].src);
        any = listen_on(poller, G, P + 1, "mc0", NULL);
        peer_burst("MC_PEER_PID", "mc1", G, P + 1, "from-other", gs[i].other, N);
        peer_send("MC_PEER_PID", "mc1", G, P + 1, "from-source", gs[i].src, -1);
        /* the control: all were sent and arrive at a listener of any source */
        snprintf(tag, sizeof tag, "%s any source, next to a source-specific one", G);
        kinds[0].want = N; kinds[1].want = 1;
        collect(tag, any, G, P + 1, kinds, 2);
        snprintf(tag, sizeof tag, "%s source %s, next to an any-source one", G, gs[i].src);
        kinds[0].want = 0; kinds[1].want = 1;
        collect(tag, ssm, G, P + 1, kinds, 2);
        if (ssm) {
            CHECK_RC(mc_listener_get_stats(ssm, &st), 0);
            CHECK(st.received == 1);
        }
        mc_listener_close(ssm);
        mc_listener_close(any);

        printf("%s with source %s (the other family)\n", G, gs[i].wrong);
        o = opts_for(G, P, "mc0");
        CHECK_RC(mc_opts_set_source(o, gs[i].wrong), 0);
        bad = (mc_listener *)&st;  /* must be set to NULL on failure */
        CHECK_RC(mc_listener_new(poller, o, NULL, NULL, &bad), MC_EADDRESS);
        CHECK(bad == NULL);
        CHECK_MSG(gs[i].wrong);
        printf("  mc_last_error: %s\n", mc_last_error());
        mc_opts_free(o);
        mc_poller_free(poller);
    }
}

static void test_ssm_v4(void) { ssm(0); }
static void test_ssm_v6(void) { ssm(1); }

PEER_MAIN("veth_ssm", "/tmp/mc-veth.XXXXXX", { "ssm-v4", test_ssm_v4 }, { "ssm-v6", test_ssm_v6 })
