/* common.h - shared helpers for the multicast benchmark programs: the project's raw-C
 * baseline (/work/shared/bench), extended for libmulticast's programs (the baselines
 * behave exactly as before).
 *
 * Every program here refuses to run unless the current network namespace
 * contains only "lo" (i.e. it was started inside `unshare -rn`), so no test
 * traffic can ever reach a real interface such as eth0.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define DEF_GROUP "224.0.42.42"
#define DEF_PORT 4242
#define DEF_IFADDR "127.0.0.1"

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* user and system CPU seconds of this process (getrusage RUSAGE_SELF) */
static inline void cpu_times(double *user, double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static inline void die(const char *what)
{
    fprintf(stderr, "fatal: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* HARD SAFETY RULE: only loopback may exist in our network namespace. */
static inline void require_private_netns(const char *prog)
{
    struct if_nameindex *ifs = if_nameindex(), *p;
    if (!ifs)
        die("if_nameindex");
    for (p = ifs; p->if_index != 0; p++) {
        if (strcmp(p->if_name, "lo") != 0) {
            fprintf(stderr,
                    "%s: refusing to run: interface '%s' exists in this network "
                    "namespace. Run inside `unshare -rn` (loopback only).\n",
                    prog, p->if_name);
            exit(2);
        }
    }
    if_freenameindex(ifs);
}

static inline struct in_addr parse_addr(const char *s)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        fprintf(stderr, "bad IPv4 address: %s\n", s);
        exit(2);
    }
    return a;
}

/* ---- sequence accounting (payload starts with a big-endian u64 seq) ---- */
struct seqstat {
    uint64_t received;  /* datagrams with a sequence number */
    uint64_t next;      /* next expected sequence number */
    uint64_t lost_gaps; /* sum of forward gaps */
    uint64_t late;      /* seq < next: reordered or duplicate */
    uint64_t runt;      /* datagrams shorter than 8 bytes */
    uint64_t trunc;     /* MSG_TRUNC seen */
    uint64_t bytes;
};

/* the gap accounting of one sequence number against *next */
static inline void seq_gap(struct seqstat *s, uint64_t *next, uint64_t seq)
{
    if (seq >= *next) {
        s->lost_gaps += seq - *next;
        *next = seq + 1;
    } else {
        s->late++;
    }
}

/* -N groups: datagram seq went to group seq % n; its gaps are counted per group
 * (next[g] = the next local sequence seq / n). Returns the group index, or -1 (runt). */
static inline int seq_account_groups(struct seqstat *s, uint64_t *next, unsigned n,
                                     const void *buf, size_t len)
{
    uint64_t seq;
    if (len < 8) {
        s->runt++;
        return -1;
    }
    memcpy(&seq, buf, 8);
    seq = be64toh(seq);
    s->received++;
    s->bytes += len;
    seq_gap(s, &next[seq % n], seq / n);
    return (int)(seq % n);
}

static inline void seq_account(struct seqstat *s, const void *buf, size_t len)
{
    uint64_t seq;
    if (len < 8) {
        s->runt++;
        return;
    }
    memcpy(&seq, buf, 8);
    seq = be64toh(seq);
    s->received++;
    s->bytes += len;
    if (seq >= s->next) {
        s->lost_gaps += seq - s->next;
        s->next = seq + 1;
    } else {
        s->late++;
    }
}

/* ---- receiver options ---- */
struct ropts {
    const char *group, *ifaddr, *label, *ready_file;
    int port;
    uint64_t count;   /* exit after this many packets (0: only on idle) */
    int idle_ms;      /* exit after this long without a packet */
    int first_ms;     /* how long to wait for the first packet */
    double max_s;     /* hard cap on run time */
    int rcvbuf;       /* SO_RCVBUF request (0: leave the default) */
    int force;        /* use SO_RCVBUFFORCE if SO_RCVBUF was capped */
    int batch;        /* recvmmsg batch */
    int bufsz;        /* per-datagram buffer */
    int uv_mmsg;      /* recv_uv: UV_UDP_RECVMMSG */
    int delay_us;     /* sleep this long after each drain (coalescing; 0: off) */
    int start_delay_ms; /* sleep this long before the first read (fills the queue) */
    int rcvbuf_given;   /* -b was on the command line (lib_*: else the library's default) */
    int bufsz_given;    /* -s was on the command line (lib_*: mtu; else the library's default) */
    int idle_listeners; /* lib_scale: idle listeners on other groups (-L) */
    int gro;            /* -G 0|1: recv_mmsg: UDP_GRO (default 0); lib_*: mc_opts_set_gro
                           (-1: not given, the library's default, on) */
    int timestamps;     /* -t: lib_*: mc_opts_set_timestamps(1) */
    int recv_ttl;       /* -y: lib_*: mc_opts_set_recv_ttl(1) */
    int ngroups;        /* -N: groups (group_name(0..N-1)); lib_recv: N listeners of one
                           group each, or with -J one listener joined to all N */
    int join_all;       /* -J: lib_recv -N: one listener, mc_listener_add_group for the rest */
    int blocked;        /* -X n: lib_recv blocks n sources (10.99.0.1..n) that never send */
    int batch_given;    /* -B was on the command line */
};

/* ---- many groups (-N): group i of N is 239.42.x.y; sender.c -N sends packet seq to
 * group seq % N, so a receiver can check the group of every datagram and keep exact
 * per-group gaps (local sequence seq / N) ---- */
#define MAX_GROUPS 4096
static inline void group_name(int i, char *buf, size_t len)
{
    snprintf(buf, len, "239.42.%d.%d", (i + 1) / 256, (i + 1) % 256);
}

static inline void ropts_usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-g group] [-p port] [-i ifaddr] [-n count] [-I idle_ms]\n"
            "          [-W first_packet_wait_ms] [-T max_seconds] [-b rcvbuf_bytes|0]\n"
            "          [-F] [-B batch] [-s bufsize] [-M] [-d delay_us] [-D start_delay_ms]\n"
            "          [-R readyfile] [-l label] [-L idle_listeners] [-G 0|1] [-t] [-y]\n"
            "          [-N groups] [-J] [-X blocked]\n"
            "  defaults: -g " DEF_GROUP " -p 4242 -i " DEF_IFADDR
            " -n 0 -I 1000 -W 5000 -T 60 -b 4194304 -B 64 -s 2048\n"
            "  -F: if SO_RCVBUF is capped by rmem_max, retry with SO_RCVBUFFORCE\n"
            "  -M: (recv_uv) use UV_UDP_RECVMMSG\n"
            "  -d: (recv_raw, recv_mmsg) sleep delay_us after a drain (many packets per wakeup)\n"
            "  -D: sleep start_delay_ms after joining, before reading (how much the queue holds)\n"
            "  -L: (lib_scale) idle listeners on other groups on the same poller (1000)\n"
            "  lib_recv/lib_scale: -b and -s (mtu) default to the library's defaults\n"
            "  -G 0|1: recv_mmsg: UDP_GRO (default 0; with 1, -s 65536 -B 8 unless given;\n"
            "          a coalesced buffer is split at the UDP_GRO segment size and every\n"
            "          datagram counted); lib_*: mc_opts_set_gro (default: the library's, on)\n"
            "  -t, -y: lib_*: mc_opts_set_timestamps(1), mc_opts_set_recv_ttl(1); -X n: lib_recv:\n"
            "        block n sources that never send (mc_listener_block_source)\n"
            "  -N n: lib_recv: n groups (239.42.x.y, from sender -N n): n listeners of one\n"
            "        group each, or with -J one listener joined to all (mc_listener_add_group)\n",
            prog);
    exit(2);
}

static inline void ropts_parse(struct ropts *o, int argc, char **argv)
{
    int c;
    o->group = DEF_GROUP;
    o->ifaddr = DEF_IFADDR;
    o->label = "";
    o->ready_file = NULL;
    o->port = DEF_PORT;
    o->count = 0;
    o->idle_ms = 1000;
    o->first_ms = 5000;
    o->max_s = 60;
    o->rcvbuf = 4 << 20;
    o->force = 0;
    o->batch = 64;
    o->bufsz = 2048;
    o->uv_mmsg = 0;
    o->delay_us = 0;
    o->start_delay_ms = 0;
    o->rcvbuf_given = 0;
    o->bufsz_given = 0;
    o->idle_listeners = 1000;
    o->gro = -1;
    o->timestamps = 0;
    o->recv_ttl = 0;
    o->ngroups = 0;
    o->join_all = 0;
    o->blocked = 0;
    o->batch_given = 0;
    while ((c = getopt(argc, argv, "g:p:i:n:I:W:T:b:FB:s:Md:D:R:l:L:G:tyN:JX:h")) != -1) {
        switch (c) {
        case 'g': o->group = optarg; break;
        case 'p': o->port = atoi(optarg); break;
        case 'i': o->ifaddr = optarg; break;
        case 'n': o->count = strtoull(optarg, NULL, 0); break;
        case 'I': o->idle_ms = atoi(optarg); break;
        case 'W': o->first_ms = atoi(optarg); break;
        case 'T': o->max_s = atof(optarg); break;
        case 'b': o->rcvbuf = atoi(optarg); o->rcvbuf_given = 1; break;
        case 'F': o->force = 1; break;
        case 'B': o->batch = atoi(optarg); o->batch_given = 1; break;
        case 's': o->bufsz = atoi(optarg); o->bufsz_given = 1; break;
        case 'M': o->uv_mmsg = 1; break;
        case 'd': o->delay_us = atoi(optarg); break;
        case 'D': o->start_delay_ms = atoi(optarg); break;
        case 'R': o->ready_file = optarg; break;
        case 'l': o->label = optarg; break;
        case 'L': o->idle_listeners = atoi(optarg); break;
        case 'G': o->gro = atoi(optarg); break;
        case 't': o->timestamps = 1; break;
        case 'y': o->recv_ttl = 1; break;
        case 'N': o->ngroups = atoi(optarg); break;
        case 'J': o->join_all = 1; break;
        case 'X': o->blocked = atoi(optarg); break;
        default: ropts_usage(argv[0]);
        }
    }
    if (o->batch < 1 || o->batch > 1024 || o->bufsz < 8 || o->max_s <= 0 ||
        o->idle_ms < 1 || o->first_ms < 1 || o->delay_us < 0 ||
        o->delay_us > 1000000 || o->start_delay_ms < 0 || o->start_delay_ms > 10000 ||
        o->idle_listeners < 0 || o->idle_listeners > 100000 || o->gro < -1 || o->gro > 1 ||
        o->ngroups < 0 || o->ngroups > MAX_GROUPS || (o->join_all && o->ngroups < 1) ||
        o->blocked < 0 || o->blocked > 250)
        ropts_usage(argv[0]);
}

/* ---- receive buffer ---- */
struct rcvbuf_info {
    int before, req, after, forced; /* values from getsockopt (kernel doubles) */
    int rmem_max;
    int fd; /* the socket (for proc_udp_drops in print_rx_result) */
};

static inline int read_int_file(const char *path)
{
    FILE *f = fopen(path, "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static inline void set_rcvbuf(int fd, const struct ropts *o, struct rcvbuf_info *ri)
{
    socklen_t l = sizeof(int);
    memset(ri, 0, sizeof(*ri));
    ri->fd = fd;
    ri->rmem_max = read_int_file("/proc/sys/net/core/rmem_max");
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ri->before, &l);
    ri->req = o->rcvbuf;
    if (o->rcvbuf > 0) {
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof(o->rcvbuf)) < 0)
            die("setsockopt SO_RCVBUF");
    }
    l = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ri->after, &l);
    ri->forced = 0;
    if (o->rcvbuf > 0 && o->force && ri->after < 2 * o->rcvbuf) {
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o->rcvbuf, sizeof(o->rcvbuf)) == 0) {
            l = sizeof(int);
            getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ri->after, &l);
            ri->forced = 1;
        } else {
            ri->forced = -errno;
        }
    }
}

/* kernel's own drop counter for this socket (SO_MEMINFO) */
static inline long sock_drops(int fd)
{
    uint32_t mi[SK_MEMINFO_VARS];
    socklen_t l = sizeof(mi);
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &l) < 0 || l < sizeof(mi))
        return -1;
    return (long)mi[SK_MEMINFO_DROPS];
}

/* the drops column of /proc/net/udp (or udp6) for the socket fd (matched by inode);
 * -1 if not found */
static inline long proc_udp_drops(int fd)
{
    static const char *files[] = {"/proc/net/udp", "/proc/net/udp6"};
    struct stat st;
    char line[512];
    unsigned f;
    if (fstat(fd, &st) < 0)
        return -1;
    for (f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "r");
        if (!fp)
            continue;
        while (fgets(line, sizeof(line), fp)) {
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref ptr drops */
            unsigned long inode = 0, drops = 0;
            char *tok, *save = NULL;
            int col = 0;
            for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
                col++;
                if (col == 10)
                    inode = strtoul(tok, NULL, 10);
                else if (col == 13)
                    drops = strtoul(tok, NULL, 10);
            }
            if (col >= 13 && inode == (unsigned long)st.st_ino) {
                fclose(fp);
                return (long)drops;
            }
        }
        fclose(fp);
    }
    return -1;
}

/* the drops column of /proc/net/udp summed over every socket bound to local port
 * `port` (inside the benchmark's namespace: only the receiver's sockets); -1 if none */
static inline long proc_udp_drops_port(int port)
{
    char line[512];
    long sum = -1;
    FILE *fp = fopen("/proc/net/udp", "r");
    if (!fp)
        return -1;
    while (fgets(line, sizeof(line), fp)) {
        unsigned long drops = 0;
        unsigned lport = 0;
        char *tok, *save = NULL, *colon;
        int col = 0, ok = 0;
        for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
            col++;
            if (col == 2 && (colon = strchr(tok, ':')) != NULL)
                ok = sscanf(colon + 1, "%x", &lport) == 1;
            else if (col == 13)
                drops = strtoul(tok, NULL, 10);
        }
        if (ok && col >= 13 && (int)lport == port)
            sum = (sum < 0 ? 0 : sum) + (long)drops;
    }
    fclose(fp);
    return sum;
}

/* bind to group:port with SO_REUSEADDR, join the group on ifaddr */
static inline int mc_rx_socket(const struct ropts *o, int nonblock, struct rcvbuf_info *ri)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    struct sockaddr_in sa;
    struct ip_mreq mr;
    if (fd < 0)
        die("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        die("SO_REUSEADDR");
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(o->port);
    sa.sin_addr = parse_addr(o->group);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        die("bind group:port");
    mr.imr_multiaddr = parse_addr(o->group);
    mr.imr_interface = parse_addr(o->ifaddr);
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
        die("IP_ADD_MEMBERSHIP");
    if (ri)
        set_rcvbuf(fd, o, ri);
    return fd;
}

/* optional coalescing pause between drains */
static inline void coalesce_pause(const struct ropts *o)
{
    if (o->delay_us > 0) {
        struct timespec ts = {.tv_sec = o->delay_us / 1000000,
                              .tv_nsec = (o->delay_us % 1000000) * 1000L};
        nanosleep(&ts, NULL);
    }
}

static inline void signal_ready(const struct ropts *o)
{
    if (o->ready_file) {
        int fd = open(o->ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
    }
    if (o->start_delay_ms > 0) {
        struct timespec ts = {.tv_sec = o->start_delay_ms / 1000,
                              .tv_nsec = (o->start_delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* one machine-readable line with everything a receiver measured; `extra` (may be "")
 * is appended as more key=value fields */
static inline void print_rx_result_x(const char *prog, const struct ropts *o,
                                     const struct seqstat *s, const struct rcvbuf_info *ri,
                                     long drops, uint64_t first_ns, uint64_t last_ns,
                                     double u0, double s0, uint64_t wakeups,
                                     uint64_t syscalls, const char *exit_reason,
                                     const char *extra)
{
    double u1, s1, cpu, el;
    uint64_t missing = 0;
    double lost_pct;
    cpu_times(&u1, &s1);
    cpu = (u1 - u0) + (s1 - s0);
    el = (last_ns > first_ns) ? (last_ns - first_ns) / 1e9 : 0;
    if (o->count && o->count > s->received)
        missing = o->count - s->received;
    if (o->count)
        lost_pct = 100.0 * (double)missing / (double)o->count;
    else
        lost_pct = (s->received + s->lost_gaps)
                       ? 100.0 * s->lost_gaps / (double)(s->received + s->lost_gaps)
                       : 0;
    printf("RESULT prog=%s label=%s received=%llu expected=%llu lost_gaps=%llu "
           "missing=%llu lost_pct=%.4f late=%llu runt=%llu trunc=%llu sock_drops=%ld "
           "user_s=%.6f sys_s=%.6f cpu_s=%.6f elapsed_s=%.6f rate_pps=%.0f "
           "cpu_ns_per_pkt=%.1f wakeups=%llu pkts_per_wakeup=%.2f syscalls=%llu "
           "rcvbuf_req=%d rcvbuf_default=%d rcvbuf_got=%d rcvbuf_forced=%d rmem_max=%d "
           "delay_us=%d exit=%s%s%s\n",
           prog, o->label[0] ? o->label : "-", (unsigned long long)s->received,
           (unsigned long long)o->count, (unsigned long long)s->lost_gaps,
           (unsigned long long)missing, lost_pct, (unsigned long long)s->late,
           (unsigned long long)s->runt, (unsigned long long)s->trunc, drops, u1 - u0,
           s1 - s0, cpu, el, el > 0 ? s->received / el : 0,
           s->received ? cpu * 1e9 / s->received : 0, (unsigned long long)wakeups,
           wakeups ? (double)s->received / wakeups : 0, (unsigned long long)syscalls,
           ri->req, ri->before, ri->after, ri->forced, ri->rmem_max, o->delay_us, exit_reason,
           extra[0] ? " " : "", extra);
    fflush(stdout);
}

static inline void print_rx_result(const char *prog, const struct ropts *o,
                                   const struct seqstat *s, const struct rcvbuf_info *ri,
                                   long drops, uint64_t first_ns, uint64_t last_ns,
                                   double u0, double s0, uint64_t wakeups,
                                   uint64_t syscalls, const char *exit_reason)
{
    char extra[64];
    /* the kernel's other view of the same counter, for every receiver alike */
    snprintf(extra, sizeof(extra), "proc_drops=%ld", ri->fd >= 0 ? proc_udp_drops(ri->fd) : -1L);
    print_rx_result_x(prog, o, s, ri, drops, first_ns, last_ns, u0, s0, wakeups, syscalls,
                      exit_reason, extra);
}
#endif
