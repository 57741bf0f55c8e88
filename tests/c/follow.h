/* follow.h - what the follow programs share (follow.c, follow_sender.c,
 * follow_forged.c): listeners and senders follow the system's interfaces
 * (API.md "Interfaces come and go"). Run by tests/follow.rs through
 * tests/netns-veth: mc0 here, its veth peer mc1 in the peer netns
 * (MC_PEER_PID). The tests delete and re-create mc0 (with its peer) and
 * check what the listener says (mc_listener_set_iface_fn), counts
 * (mc_listener_get_counts) and, above all, that packets the peer sends
 * arrive again.
 *
 * Here: mc0 deleted and re-created, a plain sender in the peer netns, and a
 * listener that records what it is told. Include it after defining
 * _GNU_SOURCE. The functions are static inline: a program that does not use
 * one gets no warning.
 */
#ifndef MC_FOLLOW_H
#define MC_FOLLOW_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "wire.h"

static inline const char *env(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "follow: %s is not set (run through tests/netns-veth)\n", name);
        exit(2);
    }
    return v;
}

static inline void sh(const char *script) {
    int rc = system(script);
    if (rc != 0) {
        fprintf(stderr, "follow: script failed (%d):\n%s\n", rc, script);
        exit(2);
    }
}

static inline void delete_mc0(void) { sh("ip link del mc0"); }

/* mc0 and its peer as tests/netns-veth makes them; route: also the
   224.0.0.0/4 route here. */
static inline void create_mc0(int route) {
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

/* fork(): the child (0) runs in the peer's network namespace (MC_PEER_PID); it
   exits 3 if it cannot enter it. */
static inline pid_t fork_to_peer(void) {
    pid_t pid = fork();
    if (pid == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/ns/net", env("MC_PEER_PID"));
        int ns = open(path, O_RDONLY);
        if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(3);
    }
    return pid;
}

/* Sends count datagrams "payload" from the peer netns out of mc1 (a child
   that enters the peer's network namespace: a plain socket, not ours). */
static inline void peer_send(const char *group, int port, const char *payload, int count) {
    pid_t pid = fork_to_peer();
    if (pid == 0) {
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

static inline int on_packet(void *ud, const mc_packet *p) {
    struct seen *s = ud;
    s->packets++;
    s->last_ifindex = p->ifindex;
    return 0;
}

static inline void on_iface(void *ud, mc_listener *l, uint32_t ifindex, const char *ifname,
                            int joined) {
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

static inline mc_listener *listen_follow(mc_poller *p, const char *group, int port,
                                         const char *iface, struct seen *s) {
    mc_opts *o = opts_for(group, (uint16_t)port);
    if (iface) CHECK_RC(mc_opts_set_interface(o, iface), 0);
    mc_listener *l = NULL;
    CHECK_RC(mc_listener_new(p, o, on_packet, s, &l), 0);
    CHECK_RC(mc_listener_set_iface_fn(l, on_iface, s), 0);
    mc_opts_free(o);
    return l;
}

/* The peer sends until one arrives (the first may race the join). */
static inline int arrives(mc_poller *p, struct seen *s, const char *group, int port) {
    int want = s->packets + 1;
    for (int i = 0; i < 50; i++) {
        peer_send(group, port, "ping", 1);
        long end = now_ms() + 100;
        while (s->packets < want && now_ms() < end) mc_poll(p, 10);
        if (s->packets >= want) return 1;
    }
    return 0;
}

static inline void recreate_and_rejoin(mc_poller *p, struct seen *s, int route) {
    int left = s->told_left, joined = s->told_joined;
    delete_mc0();
    CHECK(wait_for(p, &s->told_left, left + 1));
    create_mc0(route);
    CHECK(wait_for(p, &s->told_joined, joined + 1));
}

#endif
