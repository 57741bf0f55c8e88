/* soak.h - what the parts of the soak share: libmulticast under faults, for as long as you
 * like (`make soak MINUTES=N`). The parts: soak.c (main, options, setup, signals and the
 * watchdog), soak_common.c (small helpers, the datagram), soak_sender.c (the sender
 * process: traffic generation), soak_listeners.c (the listeners: every datagram checked),
 * soak_account.c (failed checks, windows and the accounting, the paced clean phase) and
 * soak_faults.c (the network through ip, the faults).
 *
 * Runs ONLY inside tests/netns-run + tests/netns-veth (it refuses anywhere else): mc0 is
 * here, its veth peer mc1 lives in the peer namespace MC_PEER_PID. Two processes, both
 * linked to libmulticast.so and using only <multicast.h>:
 *
 *   the listener process (this one, in mc0's namespace): ten listeners on two pollers
 *     (IPv4 and IPv6, GRO on and off, named / "*" / the system's choice / SSM, one with
 *     24 groups over two sockets, a filter, truncation, pull mode, tiny receive buffers on
 *     the "slow" poller, which is read only now and then so that the kernel drops), and
 *     the fault driver (ip, ethtool, the library's own calls, signals). Before use, mc0
 *     gets GRO with threaded NAPI and mc1 TSO off where ethtool is installed (a veth hands
 *     locally sent datagrams to GRO only so); what was probed is printed;
 *   the sender process (forked before the library is used, moved into the peer namespace
 *     with setns): GSO multicasters (IPv4, IPv6, ff02:: without GSO), mc_sendto,
 *     mc_sendto_many (GSO runs), mc_sendto_opts, answering the driver over a socketpair.
 *
 * Every datagram starts with a header (magic, stream, phase, group, epoch, seq per
 * (stream, group), length, a checksum) and a payload derived from it, so each one is
 * checked whole: bytes, length, truncation, group, sender order, duplicates. Sender order
 * is per sending socket, stream and group, and separately for datagrams that were
 * fragmented and those that were not: under GRO the kernel delivers a reassembled
 * datagram at once while earlier unfragmented ones of the same flow still wait in its GRO
 * list (seen here: seq 189 of 3000 B before 186..188 of 200 B, on every GRO socket alike).
 *
 * Time runs in epochs. Each epoch:
 *   F (fault) window: the sender sends freely (no pacing) while ONE fault is applied (round
 *     robin over the list below; its parameters come from a seeded RNG, the seed printed
 *     at the start), then the driver waits for interface following to settle (the
 *     listeners' mc_iface_fn and mc_listener_get_counts joins/leaves, bounded, no sleeps).
 *     Datagrams sent while a fault is active are NOT accounted by design (an interface that
 *     is down loses them); they are checked only for bytes, order, duplicates and for
 *     never being delivered more often than sent.
 *   C (clean) window: paced bursts of numbered datagrams from every sender: each burst
 *     puts at most ~210 skbs on the link (counted for the worst case: fragments, GSO runs
 *     that fall back to plain sends), and the next one starts only once its last
 *     datagram reached the pacing listener (or 3 s passed: lost, or the receiving side
 *     starved), so the veth's 256-slot ring does not overflow;
 *     the slow poller is read only every few bursts, so its listeners overflow and the
 *     kernel drops.
 *   Each window ends at a quiet point: "barrier" datagrams to every group, repeated until
 *   one round reached every listener on every group (this is also the check that every
 *   listener receives again after the fault), then 20 ms without a packet. Nothing is in
 *   flight then and every kernel drop is counted, so the window's counts close exactly:
 *     GRO off:  delivered + filtered + queue_drops + kernel_drops == sent to it
 *     GRO on:   delivered + ... + kernel_drops <= sent <= delivered + ... + 64 x kernel_drops
 *               (the kernel counts a dropped coalesced run once; a run holds at most 64
 *               datagrams: UDP_GRO_CNT_MAX, and the library's UDP_SEGMENT sends carry at
 *               most 64; the largest run seen, measured with receive timestamps, is checked
 *               against the 64 too)
 *   plus: the sum of kernel_drops over all listeners equals the kernel's own count of
 *   socket drops (/proc/net/snmp{,6} Udp RcvbufErrors + MemErrors) over the window.
 *   Drops before any socket ("path drops": mc0 receive and mc1 transmit drops in
 *   /proc/net/dev, Ip/Ip6 InDiscards) are read from the kernel for every clean window;
 *   with the pacing there should be none, and a window that has some may miss up to 64
 *   datagrams per such drop per listener (printed, with how many were missing; without
 *   path drops the checks above are exact). Reassembly failures are not path drops of
 *   the window: the kernel counts them when a reassembly times out, 30 s after the loss.
 *
 * Faults: the veth pair deleted and re-created; mc0 (receiver) down and up; mc1 (sender)
 * down and up; MTU changes (1280..9000: GSO segments then exceed the MTU, datagrams get
 * fragmented); groups dropped and re-added; a source blocked and unblocked (see
 * FAULT_BLOCK_SOURCE); listeners closed and re-created; pollers freed and re-created
 * (both processes); multicasters closed mid-traffic and re-created; a new interface that
 * comes and goes ("*" listeners join and leave); a signal storm (SIGALRM at 5 kHz, SIGUSR1
 * to the sender, mc_stop from a signal handler ending a blocked mc_poll and mc_loop).
 * SIGALRM also ticks every 5 ms all the time in both processes, interrupting mc_poll
 * (EINTR returns 0) and, every 8th tick, calling mc_stop from the handler.
 *
 * fds and anonymous RSS (RssAnon: not the library's code pages) of both processes are read
 * at every epoch boundary; after a warm-up (two full rounds of faults, or 40% of the run
 * if shorter) no boundary may exceed the warm-up's highest fd count, nor its highest RSS
 * by more than 4 MiB. The 4 MiB are what the library legitimately holds more or less of
 * at a quiet point, depending on the traffic since its objects were made: a multicaster
 * keeps its largest send batch (up to ~1 MiB each, three here), a poller its receive
 * buffers; measured over 5-minute runs: 0.8-3.2 MiB (sender), 2.0-3.4 MiB (listeners),
 * reached at random epochs, not growing. A leak of a byte per datagram (tens of millions
 * per run) still shows, or of ~4 KiB per epoch in 10 minutes (~1000 epochs). At the end,
 * with every poller freed, the listener process has the fds it had before the first call.
 * glibc's mmap threshold is pinned at 128 KiB in both processes so that the RSS tells
 * live memory, not heap fragmentation left by the big buffers every new poller makes. The pull-mode listener has a small receive buffer: a
 * drained pull queue keeps the memory of its largest backlog until the listener closes
 * (up to 4096 x the datagram size), which would make RSS depend on the worst backlog.
 *
 * A failed check does not end the run (its figures are worth having, and every wait is
 * bounded): each kind of failed check is printed the first 3 times and counted, the end
 * lists them, and the summary line names the first. The run ends early only if the sender
 * process is gone, or with --stop-at-first. A watchdog ends a run that makes no progress
 * for 60 s.
 *
 * Usage: soak [--seconds S | --minutes M] [--epochs N] [--seed N] [--verbose] [--stop-at-first]
 *        (also SOAK_SECONDS, SOAK_SEED). Runs S seconds (default 60), or N epochs if given
 *        (S then only bounds it). Prints one summary line; exit 0 on PASS, 1 with the
 *        first failing check named, 2 for a bad setup, 3 for a hang (watchdog). */
#ifndef SOAK_H
#define SOAK_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "multicast.h"

/* ------------------------------------------------------------------------------------ */
/* Constants                                                                            */

#define PORT 19000
#define NMANY 24              /* groups of the many-groups listener: > 20, two sockets */
#define RUN_BOUND 64          /* most datagrams in one coalesced run (see the header)   */
#define HDR_LEN 28
#define MAX_DGRAM 3000
#define SOAK_MAGIC 0x4b414f53u /* "SOAK" */
#define ORDER_CAP 2048        /* order keys per listener per window (power of two)     */
#define TICK_US 5000          /* the SIGALRM tick                                       */
#define SETTLE_MS 5000        /* bound on every wait for following/barriers             */
#define QUIET_MS 20
#define INFLIGHT_SKBS 160     /* per paced burst; the veth ring has 256 slots           */
#define RSS_SLACK (4096 * 1024) /* see the header: fds and RSS */

enum { PH_F = 1, PH_C = 2, PH_B = 3, PH_P = 4 }; /* fault, clean, barrier, pacer */

enum { G_A, G_B, G_S, G_6A, G_6L, G_M0, NGROUPS = G_M0 + NMANY };
struct group {
    char addr[48];
    int v6;
    uint8_t bin[16];
};
extern struct group grp[NGROUPS];

enum { S_MC4, S_MC6, S_MC6LL, S_PLAIN4, S_MANY4, S_PLAIN6, S_OPTS6, S_CTL, NSTREAMS };
extern const char *const stream_name[NSTREAMS];

extern const char *peer_addr4; /* the sender's source (SSM) */

/* ------------------------------------------------------------------------------------ */
/* Small helpers (soak_common.c)                                                        */

extern uint64_t rng_state;
int64_t now_ns(void);
int64_t now_ms(void);
uint64_t rnd(void);
int rnd_in(int lo, int hi);
int count_fds(void);
long rss_bytes(void);
uint64_t netdev_col(const char *ifname, int col);
uint64_t snmp(const char *proto, const char *name);
uint64_t snmp6(const char *name);
int msg_send(int fd, const void *m, size_t len);
int msg_recv(int fd, void *m, size_t len);

/* ------------------------------------------------------------------------------------ */
/* The datagram (soak_common.c; built in soak_sender.c)                                 */

struct hdr {
    uint32_t magic;
    uint8_t stream, phase, group, pad;
    uint32_t epoch, seq, len, arg, sum;
};

uint32_t hdr_sum(const struct hdr *h);
uint8_t payload_byte(const struct hdr *h, size_t i);

/* ------------------------------------------------------------------------------------ */
/* Messages between the driver and the sender                                           */

enum { OP_HELLO = 1, OP_FREE, OP_STOP, OP_BURST, OP_BARRIER, OP_WINDOW, OP_MCAST_CHURN,
       OP_POLLER_CHURN, OP_STATS, OP_QUIT };

struct cmd {
    uint32_t op, epoch, arg, mtu;
    uint64_t seed;
};

struct reply {
    uint32_t op;
    int32_t rc;           /* < 0: the sender failed: text says why */
    uint32_t pacer_seq;   /* OP_BURST: the seq of the burst's last (pacer) datagram */
    uint32_t skbs;
    int64_t fds, rss;     /* OP_STATS */
    uint64_t tx_drops;    /* mc1's transmit drops (/proc/net/dev in the peer namespace) */
    uint64_t sigs;
    uint64_t attempted[NSTREAMS][NGROUPS]; /* OP_WINDOW: since the last OP_WINDOW */
    uint64_t sent[NSTREAMS][NGROUPS];
    int32_t first_err[NSTREAMS];
    char text[240];
};

/* ==================================================================================== */
/* The sender process (soak_sender.c)                                                   */

void sender_main(int ctl, const char *peer_pid);

/* ==================================================================================== */
/* The listener process and fault driver                                                */

/* Options and setup (soak.c) */
extern int verbose, stop_at_first;
extern int have_ethtool;
extern const char *peer_pid;
extern int sig_pipe[2];
extern int ctl;

/* Signals and the watchdog (soak.c) */
extern mc_poller *volatile g_stop_target;
extern volatile sig_atomic_t g_stop_armed;
extern pid_t g_sender;
void set_tick(long us);
void doing(const char *what);

/* Failed checks (soak_account.c) */
extern int fatal, failed;
extern char first_failure[512];
/* A failed check does not end the run (its figures are worth having; every wait is
   bounded): the sender gone, or --stop-at-first, do. */
#define STOP (fatal || (failed && stop_at_first))
#define MAX_KINDS 64
struct kind {
    const char *fmt;
    int n;
    char first[512];
};
extern struct kind kinds[MAX_KINDS];
extern int nkinds;
void fail(const char *fmt, ...);

/* The listeners (soak_listeners.c) */
enum { IF_NAMED, IF_DEFAULT, IF_STAR };

struct okey {
    uint8_t ip[16];
    uint16_t port;
    uint8_t stream, group, cls, used;
    uint32_t last, last_len;
};

struct lst {
    /* configuration */
    const char *name;
    int base[NGROUPS], nbase;  /* its groups */
    int ifkind;
    const char *source;        /* SSM */
    int gro, slow, pull, ts, filter;
    size_t mtu, rcvbuf;
    /* now */
    mc_listener *l;
    int holds[NGROUPS];        /* groups joined now */
    int told_joined, told_left;
    /* window */
    uint64_t d0, k0, f0, q0, c0; /* stats at the window's start (or at its opening) */
    uint64_t ad, ak, af, aq, ac; /* what closed incarnations counted in this window */
    uint64_t seen, seen_ph[5], seen_g[NGROUPS];
    uint64_t dup, reorder, wrong, corrupt, stale, badlen, trunc, unchecked;
    uint32_t barrier_seen[NGROUPS];
    uint32_t pacer;            /* the last pacer seq seen */
    int have_pacer;
    struct okey order[ORDER_CAP];
    uint64_t last_ts;
    int run;
    /* totals (clean windows) */
    uint64_t t_sent, t_deliv, t_drops, t_filtered, t_trunc, t_coal, t_qdrops;
    int max_run;
};

enum { L_PACE4, L_STAR4, L_DFLT4, L_SLOW4, L_MANY4, L_SSM4, L_V6, L_V6LL, L_STAR6, L_PULL4,
       NLIST };
extern struct lst L[NLIST];
extern mc_poller *fastp, *slowp, *sigp;
extern uint32_t epoch;
extern int window;            /* PH_F or PH_C: the window now open */
extern int cur_mtu;
extern int mtu_lo, mtu_hi;    /* the MTU range of the window now open */
extern uint64_t g_packets;    /* every datagram seen by any listener */
int expected_memberships(const struct lst *x);
mc_listener_counts counts_of(const struct lst *x);
mc_listener_stats stats_of(const struct lst *x);
void mark_counters(struct lst *x);
int on_packet(void *ud, const mc_packet *p);
void pump(int ms, int slow_too);
void pump_for(int ms);
extern int blocked_idle; /* soak_faults.c: block-source faults that showed nothing */
void open_listener(struct lst *x);
void retire(struct lst *x);
void close_listener(struct lst *x);
void setup_listeners(void);

/* Talking to the sender, settling, windows and the accounting (soak_account.c) */
extern struct reply rep;
struct totals {
    uint64_t sent_dgrams, due, deliv, drops, filtered, unaccounted, dups, reorders, gro_reorders,
        path_drops, path_epochs, path_lost, unchecked, unsettled, f_sent, f_deliv, f_drops,
        pacer_timeouts, bursts, windows, faults[16];
};
extern struct totals T;
extern int path_valid;          /* 0 after mc0/mc1 were re-created (their counters restart) */
extern const char *cur_fault;
/* The address families (RX_V4, RX_V6) whose listening sockets this window opened or closed
   (open_listener, retire, the groups fault); cleared at window_begin. See soak_account.c on
   reorders. */
enum { RX_V4 = 1, RX_V6 = 2 };
extern int rx_sockets_changed;
static inline int rx_group_family(int g) { return grp[g].v6 ? RX_V6 : RX_V4; }
static inline int rx_family(const struct lst *x) { return rx_group_family(x->base[0]); }
int sender(uint32_t op, uint32_t arg);
int settle(const char *fault, const int *want_joined, const int *want_left);
void window_begin(int kind);
void window_end(void);
void fmt_count(char *out, size_t n, double v);
void clean_phase(int ms);

/* The network and the faults (soak_faults.c) */
enum { FAULT_RECREATE, FAULT_RX_DOWNUP, FAULT_TX_DOWNUP, FAULT_MTU, FAULT_GROUPS,
       FAULT_BLOCK_SOURCE, FAULT_LISTENERS, FAULT_POLLERS, FAULT_MULTICASTERS, FAULT_NEW_IFACE,
       FAULT_SIGNALS, NFAULTS };
extern const char *const fault_name[NFAULTS];
void configure(const char *what, int create, int rx, int tx);
void idle_read(void *ud, int fd);
void apply_fault(int f, int occurrence);

#endif
