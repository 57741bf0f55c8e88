/* follow.c CASE - listeners follow the system's interfaces as mc0 is deleted,
 * re-created, brought down and up (the setting: follow.h). Cases:
 *   named    listener on "mc0": delete -> told 0, leave counted; re-create ->
 *            told 1 with the new index, packets arrive with it; 25 churns
 *            (more than igmp_max_memberships: stale kernel entries must go)
 *   index    listener given mc0's index: follows the name it had
 *   star     listener on "*": a new interface that comes up with MULTICAST
 *            is joined, a deleted one forgotten; a down/up keeps memberships
 *   default  the system's choice (route 224.0.0.0/4 dev mc0): joined again
 *            when the route comes back
 *   v6       as named, IPv6 (ff05::4242, ff02::4242)
 *   churn    100 delete/re-create cycles while the peer sends: each time a
 *            packet arrives again, within the bound
 * Senders: follow_sender.c; forged rtnetlink messages: follow_forged.c.
 */
#define _GNU_SOURCE
#include "follow.h"
#include "groups.h"

static void follow_named(const char *iface_arg, const char *group, int port) {
    mc_poller *p = NULL;
    struct seen s;
    memset(&s, 0, sizeof s);
    CHECK_RC(mc_poller_new(&p), 0);
    unsigned ix0 = if_nametoindex("mc0");
    mc_listener *l = listen_follow(p, group, port, iface_arg, &s);
    CHECK(arrives(p, &s, group, port));
    CHECK(s.last_ifindex == ix0);
    mc_listener_counts c = counts_of(l);
    CHECK(c.joins == 1 && c.leaves == 0 && c.sockets == 1);

    delete_mc0();
    CHECK(wait_for(p, &s.told_left, 1));
    CHECK(s.left_ix == ix0);
    CHECK(s.handle_in_fn == l);
    c = counts_of(l);
    CHECK(c.leaves == 1);
    create_mc0(1);
    CHECK(wait_for(p, &s.told_joined, 1));
    unsigned ix1 = if_nametoindex("mc0");
    CHECK(ix1 != ix0 && s.joined_ix == ix1);
    CHECK(strcmp(s.joined_name, "mc0") == 0);
    CHECK(arrives(p, &s, group, port));
    CHECK(s.last_ifindex == ix1);
    c = counts_of(l);
    CHECK(c.joins == 2 && c.leaves == 1 && c.sockets == 1);

    /* more churns than the kernel's 20 memberships per socket: each stale
       entry of a deleted device must be dropped, or the re-join fails */
    for (int i = 0; i < 25; i++) recreate_and_rejoin(p, &s, 1);
    CHECK(arrives(p, &s, group, port));
    c = counts_of(l);
    printf("named %s %s: 27 joins expected, counts joins %llu leaves %llu sockets %llu\n",
           iface_arg, group, (unsigned long long)c.joins, (unsigned long long)c.leaves,
           (unsigned long long)c.sockets);
    CHECK(c.joins == 27 && c.leaves == 26);
    /* a plain down/up keeps memberships (the kernel does): nothing is told */
    int j = s.told_joined, lft = s.told_left;
    sh("ip link set mc0 down && ip link set mc0 up");
    quiet(p, QUIET_MS);
    CHECK(s.told_joined == j && s.told_left == lft);
    CHECK(arrives(p, &s, group, port));
    mc_listener_close(l);
    mc_poller_free(p);
}

static void test_star(void) {
    mc_poller *p = NULL;
    struct seen s;
    memset(&s, 0, sizeof s);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_listener *l = listen_follow(p, "239.5.5.5", 5505, "*", &s);
    mc_listener_counts c = counts_of(l);
    CHECK(c.joins == 2); /* lo and mc0 */
    CHECK(arrives(p, &s, "239.5.5.5", 5505));
    /* a new interface, down at first: joined when it comes up with MULTICAST */
    char add[512];
    snprintf(add, sizeof add,
             "ip link add name mc7 type veth peer name mc8 netns %s && "
             "ip link set mc7 multicast off && ip link set mc7 up", env("MC_PEER_PID"));
    sh(add);
    quiet(p, QUIET_MS);
    CHECK(s.told_joined == 0);          /* up but without MULTICAST: not joined */
    sh("ip link set mc7 multicast on");
    CHECK(wait_for(p, &s.told_joined, 1));
    CHECK(s.joined_ix == if_nametoindex("mc7"));
    c = counts_of(l);
    CHECK(c.joins == 3);
    sh("ip link del mc7");
    CHECK(wait_for(p, &s.told_left, 1));
    c = counts_of(l);
    CHECK(c.leaves == 1);
    /* mc0 re-created: joined again */
    recreate_and_rejoin(p, &s, 1);
    CHECK(arrives(p, &s, "239.5.5.5", 5505));
    mc_listener_close(l);
    mc_poller_free(p);
}

static void test_default(void) {
    mc_poller *p = NULL;
    struct seen s;
    memset(&s, 0, sizeof s);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_listener *l = listen_follow(p, "239.5.5.6", 5506, NULL, &s);
    CHECK(arrives(p, &s, "239.5.5.6", 5506));
    delete_mc0();
    CHECK(wait_for(p, &s.told_left, 1));
    create_mc0(0);                       /* no route yet: nothing to join */
    quiet(p, QUIET_MS);
    CHECK(s.told_joined == 0);
    sh("ip route add 224.0.0.0/4 dev mc0");
    CHECK(wait_for(p, &s.told_joined, 1));
    CHECK(s.joined_ix == if_nametoindex("mc0"));
    CHECK(arrives(p, &s, "239.5.5.6", 5506));
    mc_listener_close(l);
    mc_poller_free(p);
}

static void test_churn(void) {
    mc_poller *p = NULL;
    struct seen s;
    memset(&s, 0, sizeof s);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_listener *l = listen_follow(p, "239.5.5.8", 5508, "mc0", &s);
    long t0 = now_ms();
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        recreate_and_rejoin(p, &s, 1);
        ok += arrives(p, &s, "239.5.5.8", 5508);
    }
    mc_listener_counts c = counts_of(l);
    printf("churn: 100 delete/re-create cycles in %ld ms; packets arrived after %d; "
           "joins %llu leaves %llu sockets %llu\n", now_ms() - t0, ok,
           (unsigned long long)c.joins, (unsigned long long)c.leaves,
           (unsigned long long)c.sockets);
    CHECK(ok == 100);
    CHECK(c.joins == 101 && c.leaves == 100 && c.sockets == 1);
    mc_listener_close(l);
    mc_poller_free(p);
}

static void test_named(void) { follow_named("mc0", "239.5.5.4", 5504); }

static void test_index(void) {
    char ix[16];
    snprintf(ix, sizeof ix, "%u", if_nametoindex("mc0"));
    follow_named(ix, "239.5.5.3", 5503);
}

static void test_v6(void) {
    follow_named("mc0", "ff05::4242", 5509);
    follow_named("mc0", "ff02::4242", 5510);
}

CHECK_MAIN("follow", { "named", test_named }, { "index", test_index }, { "v6", test_v6 },
           { "star", test_star }, { "default", test_default }, { "churn", test_churn })
