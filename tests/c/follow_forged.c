/* follow_forged.c CASE - a listener follows only the kernel's word on its
 * interfaces (the setting: follow.h). Cases:
 *   forged   rtnetlink messages another process sends to the poller's watcher
 *            socket (RTM_DELLINK / RTM_NEWLINK for mc0, to its port id and to
 *            the link group) change nothing and are counted
 *            (mc_poller_refused_netlink); a real deletion is still followed
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "follow.h"
#include "groups.h"

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

CHECK_MAIN("follow_forged", { "forged", test_forged })
