/*
 * bench/walk.c - instructions per received datagram of the library's receive path, for
 * callgrind (bench/walk.sh). One process: a listener with the library's defaults (GRO on)
 * and an on_packet callback on its own poller, and a plain sender socket. Each round
 * sends BATCH datagrams of 64 bytes (they fit the receive buffer), then calls mc_poll until
 * all of them were delivered. Under `valgrind --tool=callgrind --toggle-collect=mc_poll`
 * only the instructions inside mc_poll count (the callback adds a few), so
 * instructions / datagrams is the cost of a datagram's walk from the socket to the
 * callback, batches of BATCH per wakeup, independent of timing.
 *
 * With -r the same rounds go to the raw-C floor instead: a socket joined to the group,
 * epoll_wait + recvmmsg of 64 (count its instructions with --toggle-collect=raw_poll).
 *
 * With -g each round goes as one mc_sendto_many (UDP GSO: the listener reads GRO runs),
 * datagrams of -s SIZE bytes (default 64).
 *
 * usage: walk [-r] [-g] [-s SIZE] [-n DATAGRAMS] [-b BATCH]      (defaults 40000, 64)
 * Refuses to run (exit 2) if any interface other than lo exists: run it inside
 * tests/netns-run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "multicast.h"

#define GROUP "239.42.7.7"
#define PORT 4707

static unsigned long delivered;

static int on_packet(void *user_data, const mc_packet *p)
{
    (void)user_data;
    (void)p;
    delivered++;
    return 0;
}

static int raw_fd = -1, raw_ep = -1;

/* The raw floor of one wakeup: what mc_poll does at the least, by hand. */
int raw_poll(int timeout_ms);
int raw_poll(int timeout_ms)
{
    static unsigned char bufs[64][2048];
    static struct mmsghdr msgs[64];
    static struct iovec iov[64];
    static struct sockaddr_in from[64];
    struct epoll_event ev;
    int n, i, got = 0;
    if (epoll_wait(raw_ep, &ev, 1, timeout_ms) <= 0)
        return 0;
    for (;;) {
        for (i = 0; i < 64; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = sizeof bufs[i];
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        }
        n = recvmmsg(raw_fd, msgs, 64, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        for (i = 0; i < n; i++)
            on_packet(NULL, NULL);
        got += n;
    }
    return got > 0;
}

static void raw_open(void)
{
    struct sockaddr_in a;
    struct ip_mreq m;
    struct epoll_event ev;
    int one = 1;
    raw_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    setsockopt(raw_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(PORT);
    inet_pton(AF_INET, GROUP, &a.sin_addr);
    if (bind(raw_fd, (struct sockaddr *)&a, sizeof a) < 0)
        perror("bind"), exit(1);
    m.imr_multiaddr = a.sin_addr;
    m.imr_interface.s_addr = htonl(INADDR_ANY);
    if (setsockopt(raw_fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0)
        perror("IP_ADD_MEMBERSHIP"), exit(1);
    raw_ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.fd = raw_fd;
    epoll_ctl(raw_ep, EPOLL_CTL_ADD, raw_fd, &ev);
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "walk: %s: %s (%s)\n", what, mc_strerror(rc), mc_last_error());
    exit(1);
}

static int only_lo(void)
{
    struct if_nameindex *ifs = if_nameindex(), *i;
    int ok = 1;
    if (!ifs)
        return 0;
    for (i = ifs; i->if_index; i++)
        if (strcmp(i->if_name, "lo") != 0)
            ok = 0;
    if_freenameindex(ifs);
    return ok;
}

int main(int argc, char **argv)
{
    unsigned long total = 40000, batch = 64, sent = 0;
    int opt, rc, fd, raw = 0, gso = 0;
    size_t size = 64;
    mc_buf bufs[64];
    mc_poller *poller;
    mc_opts *op;
    mc_listener *l = NULL;
    struct sockaddr_in to;
    unsigned char payload[1472];

    while ((opt = getopt(argc, argv, "rgs:n:b:")) != -1) {
        if (opt == 'r')
            raw = 1;
        else if (opt == 'g')
            gso = 1;
        else if (opt == 's')
            size = strtoul(optarg, NULL, 10);
        else if (opt == 'n')
            total = strtoul(optarg, NULL, 10);
        else if (opt == 'b')
            batch = strtoul(optarg, NULL, 10);
        else
            return 2;
    }
    if (!only_lo()) {
        fprintf(stderr, "walk: refusing: interfaces other than lo (run in tests/netns-run)\n");
        return 2;
    }
    if ((rc = mc_poller_new(&poller)) < 0)
        die("mc_poller_new", rc);
    if (raw)
        raw_open();
    else if (!(op = mc_opts_new()))
        die("mc_opts_new", MC_EINVAL);
    if (!raw) {
        if ((rc = mc_opts_set_group(op, GROUP)) < 0 || (rc = mc_opts_set_port(op, PORT)) < 0)
            die("mc_opts_set", rc);
        if ((rc = mc_listener_new(poller, op, on_packet, NULL, &l)) < 0)
            die("mc_listener_new", rc);
        mc_opts_free(op);
    }

    if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
        return perror("socket"), 1;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(PORT);
    inet_pton(AF_INET, GROUP, &to.sin_addr);
    memset(payload, 0xab, sizeof payload);

    while (sent < total) {
        unsigned long n = total - sent < batch ? total - sent : batch, i, want;
        int idle = 0;
        if (size > sizeof payload || batch > 64)
            return fprintf(stderr, "walk: -s at most %zu, -b at most 64\n", sizeof payload), 2;
        if (gso) {
            for (i = 0; i < n; i++) {
                bufs[i].data = payload;
                bufs[i].len = size;
            }
            if ((rc = mc_sendto_many(bufs, n, GROUP, PORT, 1)) != (int)n)
                die("mc_sendto_many", rc);
        } else {
            for (i = 0; i < n; i++)
                if (sendto(fd, payload, size, 0, (struct sockaddr *)&to, sizeof to) < 0)
                    return perror("sendto"), 1;
        }
        sent += n;
        want = sent;
        while (delivered < want) {
            if ((rc = raw ? raw_poll(1000) : mc_poll(poller, 1000)) < 0)
                die("mc_poll", rc);
            if (rc == 0 && ++idle > 3) {
                fprintf(stderr, "walk: lost datagrams: %lu of %lu delivered\n", delivered, sent);
                return 1;
            }
        }
    }
    printf("walk: delivered=%lu batch=%lu\n", delivered, batch);
    if (!raw)
        mc_listener_close(l);
    mc_poller_free(poller);
    close(fd);
    return 0;
}
