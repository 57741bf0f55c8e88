/* follow.c CASE - listeners and senders follow the system's interfaces
 * (API.md "Interfaces come and go"). Run by tests/follow.rs through
 * tests/netns-veth: mc0 here, its veth peer mc1 in the peer netns
 * (MC_PEER_PID). The test deletes and re-creates mc0 (with its peer) and
 * checks what the listener says (mc_listener_set_iface_fn), counts
 * (mc_listener_get_counts) and, above all, that packets the peer sends
 * arrive again. Cases:
 *   named    listener on "mc0": delete -> told 0, leave counted; re-create ->
 *            told 1 with the new index, packets arrive with it; 25 churns
 *            (more than igmp_max_memberships: stale kernel entries must go)
 *   index    listener given mc0's index: follows the name it had
 *   star     listener on "*": a new interface that comes up with MULTICAST
 *            is joined, a deleted one forgotten; a down/up keeps memberships
 *   default  the system's choice (route 224.0.0.0/4 dev mc0): joined again
 *            when the route comes back
 *   v6       as named, IPv6 (ff05::4242, ff02::4242)
 *   sender   a multicaster and mc_sendto_opts given "mc0" by name still
 *            reach the peer after mc0 was re-created
 *   churn    100 delete/re-create cycles while the peer sends: each time a
 *            packet arrives again, within the bound
 *   forged   rtnetlink messages another process sends to the poller's watcher
 *            socket (RTM_DELLINK / RTM_NEWLINK for mc0, to its port id and to
 *            the link group) change nothing and are counted
 *            (mc_poller_refused_netlink); a real deletion is still followed
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "wire.h"

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "follow: %s is not set (run through tests/netns-veth)\n", name);
        exit(2);
    }
    return v;
}

static void sh(const char *script) {
    int rc = system(script);
    if (rc != 0) {
        fprintf(stderr, "follow: script failed (%d):\n%s\n", rc, script);
        exit(2);
    }
}

static void delete_mc0(void) { sh("ip link del mc0"); }

/* mc0 and its peer as tests/netns-veth makes them; route: also the
   224.0.0.0/4 route here. */
static void create_mc0(int route) {
    char s[2048];
    snprintf(s, sizeof s,
             "set -e\n"
             "ip -batch - <<EOB\n"
             "link add name mc0 type veth peer name mc1 netns %s\n"
             "link set mc0 addrgenmode none\n"
             "addr add 192.0.2.1/24 dev mc0\n"
             "addr add fd42::1/64 dev mc0 nodad\n"
             "addr add fe80::1/64 dev mc0 nodad\n"
             "link set mc0 up\n"
             "EOB\n"
             "%s"
             "nsenter -t %s -n ip -batch - <<EOB\n"
             "link set mc1 addrgenmode none\n"
             "addr add 192.0.2.2/24 dev mc1\n"
             "addr add fd42::2/64 dev mc1 nodad\n"
             "addr add fe80::2/64 dev mc1 nodad\n"
             "link set mc1 up\n"
             "route replace 224.0.0.0/4 dev mc1\n"
             "EOB\n"
             /* Until both ends have carrier and an active qdisc (set by the kernel's
                link-watch work, later), a device drops what it is given ("qdisc noop")
                while sendto() reports success. */
             "for i in $(seq 1000); do\n"
             "  a=$(ip -o link show dev mc0); b=$(nsenter -t %s -n ip -o link show dev mc1)\n"
             "  case \"$a $b\" in *'qdisc noop'*) ;; *'state UP'*'state UP'*) exit 0;; esac\n"
             "  sleep 0.005\n"
             "done\n"
             "echo \"mc0/mc1 not up with a qdisc after 5 s: $a / $b\" >&2; exit 1\n",
             env("MC_PEER_PID"), route ? "ip route add 224.0.0.0/4 dev mc0\n" : "",
             env("MC_PEER_PID"), env("MC_PEER_PID"));
    sh(s);
}

/* Sends count datagrams "payload" from the peer netns out of mc1 (a child
   that enters the peer's network namespace: a plain socket, not ours). */
static void peer_send(const char *group, int port, const char *payload, int count) {
    pid_t pid = fork();
    if (pid == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/ns/net", env("MC_PEER_PID"));
        int ns = open(path, O_RDONLY);
        if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(3);
        int v6 = strchr(group, ':') != NULL;
        int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
        unsigned ix = if_nametoindex("mc1");
        if (s < 0 || ix == 0) _exit(4);
        struct sockaddr_storage to;
        socklen_t tolen;
        memset(&to, 0, sizeof to);
        if (v6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
            a->sin6_family = AF_INET6;
            a->sin6_port = htons((uint16_t)port);
            inet_pton(AF_INET6, group, &a->sin6_addr);
            if (group[0] == 'f' && group[1] == 'f' && group[2] == '0' && group[3] == '2')
                a->sin6_scope_id = ix;
            int i = (int)ix;
            setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &i, sizeof i);
            tolen = sizeof *a;
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&to;
            a->sin_family = AF_INET;
            a->sin_port = htons((uint16_t)port);
            inet_pton(AF_INET, group, &a->sin_addr);
            struct ip_mreqn m;
            memset(&m, 0, sizeof m);
            m.imr_ifindex = (int)ix;
            setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
            tolen = sizeof *a;
        }
        for (int i = 0; i < count; i++)
            if (sendto(s, payload, strlen(payload), 0, (struct sockaddr *)&to, tolen) < 0) _exit(5);
        _exit(0);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* --- what the listener saw ------------------------------------------------ */

struct seen {
    int packets;
    uint32_t last_ifindex;
    int told_joined, told_left;
    uint32_t joined_ix, left_ix;
    char joined_name[IF_NAMESIZE + 1];
    mc_listener *handle_in_fn;
};

static int on_packet(void *ud, const mc_packet *p) {
    struct seen *s = ud;
    s->packets++;
    s->last_ifindex = p->ifindex;
    return 0;
}

static void on_iface(void *ud, mc_listener *l, uint32_t ifindex, const char *ifname, int joined) {
    struct seen *s = ud;
    s->handle_in_fn = l;
    if (joined) {
        s->told_joined++;
        s->joined_ix = ifindex;
        snprintf(s->joined_name, sizeof s->joined_name, "%s", ifname);
    } else {
        s->told_left++;
        s->left_ix = ifindex;
    }
}

static mc_listener *listen_follow(mc_poller *p, const char *group, int port, const char *iface,
                                  struct seen *s) {
    mc_opts *o = opts_for(group, (uint16_t)port);
    if (iface) CHECK_RC(mc_opts_set_interface(o, iface), 0);
    mc_listener *l = NULL;
    CHECK_RC(mc_listener_new(p, o, on_packet, s, &l), 0);
    CHECK_RC(mc_listener_set_iface_fn(l, on_iface, s), 0);
    mc_opts_free(o);
    return l;
}

/* The peer sends until one arrives (the first may race the join). */
static int arrives(mc_poller *p, struct seen *s, const char *group, int port) {
    int want = s->packets + 1;
    for (int i = 0; i < 50; i++) {
        peer_send(group, port, "ping", 1);
        long end = now_ms() + 100;
        while (s->packets < want && now_ms() < end) mc_poll(p, 10);
        if (s->packets >= want) return 1;
    }
    return 0;
}

static void recreate_and_rejoin(mc_poller *p, struct seen *s, int route) {
    int left = s->told_left, joined = s->told_joined;
    delete_mc0();
    CHECK(wait_for(p, &s->told_left, left + 1));
    create_mc0(route);
    CHECK(wait_for(p, &s->told_joined, joined + 1));
}

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

/* Starts a child in the peer netns that counts what a plain socket joined to
   group:port receives within timeout_ms (up to count); returns the read end of
   a pipe: first a byte once it is joined, then the count (an int). */
static int peer_receives(const char *group, int port, int count, int timeout_ms) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/ns/net", env("MC_PEER_PID"));
        int ns = open(path, O_RDONLY);
        if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(3);
        int s = raw_receiver(group, (uint16_t)port, 0);
        if (s < 0) _exit(4);
        if (write(fds[1], "r", 1) != 1) _exit(5);
        int n = 0;
        long end = now_ms() + timeout_ms;
        while (n < count && now_ms() < end) {
            char buf[64];
            struct pollfd pf = {s, POLLIN, 0};
            if (poll(&pf, 1, 20) == 1 && recv(s, buf, sizeof buf, 0) > 0) n++;
        }
        if (write(fds[1], &n, sizeof n) != sizeof n) _exit(6);
        _exit(0);
    }
    close(fds[1]);
    return pid < 0 ? -1 : fds[0];
}

static int multicaster_next(void *ud, const uint8_t **data, size_t *len) {
    int *left = ud;
    if (*left <= 0) return MC_NEXT_WAIT;
    (*left)--;
    *data = (const uint8_t *)"mcast";
    *len = 5;
    return MC_NEXT_PACKET;
}

/* Waits for the child's "joined" byte. */
static void wait_ready(int fd) {
    char r;
    CHECK(read(fd, &r, 1) == 1);
}

static void test_sender(void) {
    mc_poller *p = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("239.5.5.7", 5507);
    CHECK_RC(mc_opts_set_interface(o, "mc0"), 0);
    CHECK_RC(mc_opts_set_loopback(o, 0), 0);
    int left = 0;
    mc_multicaster *m = NULL;
    CHECK_RC(mc_multicaster_new(p, o, multicaster_next, &left, &m), 0);
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            delete_mc0();
            create_mc0(1);
        }
        int fd = peer_receives("239.5.5.7", 5507, 2, 3000);
        wait_ready(fd);                 /* the peer's socket is joined */
        CHECK_RC(mc_sendto_opts(o, "opts", 4), 4);
        left = 1;
        CHECK_RC(mc_multicaster_resume(m), 0);
        long end = now_ms() + 2000;
        while (left > 0 && now_ms() < end) mc_poll(p, 10);
        quiet(p, 50);
        int n = -1;
        CHECK(read(fd, &n, sizeof n) == sizeof n);
        close(fd);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        printf("sender round %d: the peer got %d of 2\n", round, n);
        CHECK(n == 2);
    }
    /* 20 more re-creations, a send by name after each: the cached send socket follows
       the name (re-pointed), so no socket of a dead index piles up */
    int fds = count_fds();
    for (int i = 0; i < 20; i++) {
        delete_mc0();
        create_mc0(1);
        CHECK_RC(mc_sendto_opts(o, "opts", 4), 4);
    }
    printf("sender: open fds %d before 20 re-creations, %d after\n", fds, count_fds());
    CHECK(count_fds() == fds);
    mc_multicaster_close(m);
    mc_opts_free(o);
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

/* --- forged rtnetlink messages ----------------------------------------------- */

/* The port id of this process's NETLINK_ROUTE socket bound to multicast groups
   (the poller's interface watcher): its inode among /proc/self/fd, its line in
   /proc/self/net/netlink ("sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode").
   0 if there is none. */
static uint32_t watcher_port_id(void) {
    unsigned long inodes[256];
    size_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d) return 0;
    while ((e = readdir(d)) && n < 256) {
        char path[300], link[64];
        ssize_t r;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        r = readlink(path, link, sizeof link - 1);
        if (r <= 0) continue;
        link[r] = 0;
        if (sscanf(link, "socket:[%lu]", &inodes[n]) == 1) n++;
    }
    closedir(d);
    FILE *f = fopen("/proc/self/net/netlink", "r");
    char line[256];
    uint32_t found = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long sk;
        int proto;
        unsigned pid, groups;
        unsigned long rmem, wmem, dump, locks, drops, inode;
        if (sscanf(line, "%llx %d %u %x %lu %lu %lx %lu %lu %lu", &sk, &proto, &pid, &groups,
                   &rmem, &wmem, &dump, &locks, &drops, &inode) != 10)
            continue;
        if (proto != NETLINK_ROUTE || groups == 0) continue;
        for (size_t i = 0; i < n; i++)
            if (inodes[i] == inode) found = pid;
    }
    fclose(f);
    return found;
}

/* Sends an RTM_DELLINK / RTM_NEWLINK for (ifindex, name) from a socket of our
   own: to port id `to_port`, or, if it is 0, to the RTNLGRP_LINK group. */
static void forge_link(uint16_t type, uint32_t to_port, int ifindex, const char *name) {
    struct {
        struct nlmsghdr h;
        struct ifinfomsg i;
        struct rtattr a;
        char name[IF_NAMESIZE];
    } m;
    struct sockaddr_nl to;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHECK(fd >= 0);
    if (fd < 0) return;
    memset(&m, 0, sizeof m);
    m.h.nlmsg_len = sizeof m;
    m.h.nlmsg_type = type;
    m.h.nlmsg_seq = 1;
    m.i.ifi_family = AF_UNSPEC;
    m.i.ifi_index = ifindex;
    m.i.ifi_flags = type == RTM_NEWLINK ? IFF_UP | IFF_MULTICAST | IFF_RUNNING : 0;
    m.a.rta_type = IFLA_IFNAME;
    m.a.rta_len = (unsigned short)(sizeof m.a + sizeof m.name);
    snprintf(m.name, sizeof m.name, "%s", name);
    memset(&to, 0, sizeof to);
    to.nl_family = AF_NETLINK;
    to.nl_pid = to_port;
    to.nl_groups = to_port ? 0 : RTMGRP_LINK;
    if (sendto(fd, &m, sizeof m, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)sizeof m) {
        fprintf(stderr, "forging rtnetlink type %u to port %u: %s\n", type, to_port,
                strerror(errno));
        check_failures++;
    }
    close(fd);
}

static uint64_t refused(mc_poller *p) {
    uint64_t n = 0;
    CHECK_RC(mc_poller_refused_netlink(p, &n), 0);
    return n;
}

static void test_forged(void) {
    mc_poller *p = NULL;
    struct seen s;
    memset(&s, 0, sizeof s);
    CHECK_RC(mc_poller_new(&p), 0);
    int ix0 = (int)if_nametoindex("mc0");
    mc_listener *l = listen_follow(p, "239.5.5.9", 5511, "mc0", &s);
    CHECK(arrives(p, &s, "239.5.5.9", 5511));
    uint32_t port = watcher_port_id();
    printf("forged: the watcher's port id is %u\n", port);
    CHECK(port != 0);
    CHECK(refused(p) == 0);
    CHECK_RC(mc_poller_refused_netlink(p, NULL), MC_EINVAL);

    forge_link(RTM_DELLINK, port, ix0, "mc0");            /* to the watcher */
    forge_link(RTM_DELLINK, 0, ix0, "mc0");               /* to the link group */
    forge_link(RTM_NEWLINK, port, ix0 + 100, "mc0");      /* "mc0 came back elsewhere" */
    long end = now_ms() + 2000;
    while (refused(p) < 3 && now_ms() < end) mc_poll(p, 10);
    printf("forged: 3 sent, %llu refused, told joined %d left %d\n",
           (unsigned long long)refused(p), s.told_joined, s.told_left);
    CHECK(refused(p) == 3);
    CHECK(s.told_left == 0 && s.told_joined == 0);
    mc_listener_counts c = counts_of(l);
    CHECK(c.joins == 1 && c.leaves == 0 && c.sockets == 1);
    CHECK(mc_listener_group_count(l) == 1);
    CHECK(arrives(p, &s, "239.5.5.9", 5511));
    CHECK(s.last_ifindex == (uint32_t)ix0);

    /* the kernel's own word is still taken */
    delete_mc0();
    CHECK(wait_for(p, &s.told_left, 1));
    CHECK(s.left_ix == (uint32_t)ix0);
    create_mc0(1);
    CHECK(wait_for(p, &s.told_joined, 1));
    CHECK(arrives(p, &s, "239.5.5.9", 5511));
    CHECK(refused(p) == 3);
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
           { "star", test_star }, { "default", test_default }, { "sender", test_sender },
           { "churn", test_churn }, { "forged", test_forged })
