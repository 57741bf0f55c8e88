/* peer.h - a python3 process in a peer network namespace (tests/netns-veth's
 * MC_PEER_PID / MC_PEER2_PID), its stdout+stderr captured: the independent peer
 * of the veth tests (veth*.c, see veth.h; veth_ttl_dscp.c); and the runs of
 * tests/peers/mcast.py there: a receiver, a sender, a burst of senders, and what
 * the receiver says it got.
 *
 * Also what the veth programs share: env(), env_index(), ip_is(), their scratch
 * directory for the peers' --ready files, and peer_main / PEER_MAIN, their main().
 *
 * Include it after defining _GNU_SOURCE and after the includer's own
 *   static long now_ms(void);                   (CLOCK_MONOTONIC, ms)
 *   #define WAIT_MS ...                         (the bound of a wait for the peer, ms)
 * The functions are static inline: a program that does not use one gets no warning.
 */
#ifndef MC_PEER_H
#define MC_PEER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char tmpdir[64]; /* the peers' --ready files: tmpdir/ready.N */
static int ready_seq;

/* The environment variable `name` (tests/netns-veth's); exits if unset. */
static inline const char *env(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "environment variable %s is not set: run this under tests/netns-veth "
                        "(and set MC_MCAST_PY)\n", name);
        exit(2);
    }
    return v;
}

/* The environment variable `name` as a number (an interface index). */
static inline unsigned env_index(const char *name) {
    return (unsigned)strtoul(env(name), NULL, 10);
}

/* main() of a veth program of cases: under tests/netns-veth only (MC_VETH=1,
   MC_MCAST_PY), with tmpdir made from `tmpl` for the case and removed after
   it; see check_main. */
static inline int peer_main(const char *program, const char *tmpl, int argc, char **argv,
                            const check_case *cases, size_t n) {
    int rc;
    if (strcmp(env("MC_VETH"), "1") != 0) return 2;
    env("MC_MCAST_PY");
    snprintf(tmpdir, sizeof tmpdir, "%s", tmpl);
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 2; }
    rc = check_main(program, argc, argv, cases, n);
    rmdir(tmpdir);
    return rc;
}

/* main() of a veth program of cases, as CHECK_MAIN (check.h) with peer_main. */
#define PEER_MAIN(program, tmpl, ...)                                          \
    int main(int argc, char **argv) {                                          \
        static const check_case cases_[] = { __VA_ARGS__ };                   \
        return peer_main(program, tmpl, argc, argv, cases_,                    \
                         sizeof cases_ / sizeof *cases_);                      \
    }

/* A mcast.py process in a peer netns, its stdout+stderr captured. */
typedef struct {
    pid_t pid;
    int fd;
    int done;       /* reaped */
    int status;     /* exit code; -1: killed or did not start */
    char what[96];
    char ready[128];
    size_t n;
    char out[16384];
} peer_t;

/* Starts `nsenter -t $PEER_ENV -n python3 $MC_MCAST_PY ARGS...` (args NULL-terminated),
   or `python3 -c SCRIPT ARGS...` if script is not NULL. */
static inline void peer_spawn_py(peer_t *p, const char *peer_env, const char *what, const char *script,
                          const char **args) {
    const char *argv[40];
    int n = 0, fds[2];
    memset(p, 0, sizeof *p);
    snprintf(p->what, sizeof p->what, "%s", what);
    argv[n++] = "nsenter";
    argv[n++] = "-t";
    argv[n++] = env(peer_env);
    argv[n++] = "-n";
    argv[n++] = "python3";
    if (script) {
        argv[n++] = "-c";
        argv[n++] = script;
    } else {
        argv[n++] = env("MC_MCAST_PY");
    }
    while (*args && n < 39) argv[n++] = *args++;
    argv[n] = NULL;
    if (pipe2(fds, O_CLOEXEC) != 0) { perror("pipe2"); exit(2); }
    fflush(stdout);
    fflush(stderr);
    p->pid = fork();
    if (p->pid < 0) { perror("fork"); exit(2); }
    if (p->pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    p->fd = fds[0];
    fcntl(p->fd, F_SETFL, O_NONBLOCK);
}

static inline void peer_spawn(peer_t *p, const char *peer_env, const char *what, const char **args) {
    peer_spawn_py(p, peer_env, what, NULL, args);
}

static inline void peer_drain(peer_t *p) {
    for (;;) {
        ssize_t r;
        if (p->fd < 0) return;
        if (p->n + 1 >= sizeof p->out) {   /* full: discard the rest */
            char junk[512];
            r = read(p->fd, junk, sizeof junk);
        } else {
            r = read(p->fd, p->out + p->n, sizeof p->out - 1 - p->n);
            if (r > 0) p->n += (size_t)r;
        }
        if (r == 0) { close(p->fd); p->fd = -1; return; }
        if (r < 0) return;
    }
}

static inline void peer_reap(peer_t *p, int options) {
    int st;
    if (p->done) return;
    if (waitpid(p->pid, &st, options) == p->pid) {
        p->done = 1;
        p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
}

/* Waits (at most timeout_ms) for the peer to exit and its output to end; kills
   it after that. Prints its output. Returns its exit code (-1: killed). */
static inline int peer_finish(peer_t *p, int timeout_ms) {
    long end = now_ms() + timeout_ms;
    while (p->fd >= 0) {
        struct pollfd pf = { p->fd, POLLIN, 0 };
        long left = end - now_ms();
        if (left <= 0) break;
        poll(&pf, 1, (int)left);
        peer_drain(p);
    }
    /* its output ended: it is exiting (or it closed stdout); reap it in time */
    for (;;) {
        peer_reap(p, WNOHANG);
        if (p->done || now_ms() >= end) break;
        poll(NULL, 0, 1);
    }
    if (!p->done) {
        fprintf(stderr, "%s: still running after %d ms: killed\n", p->what, timeout_ms);
        kill(p->pid, SIGKILL);
        peer_reap(p, 0);
        p->status = -1;
    }
    peer_drain(p);
    if (p->fd >= 0) { close(p->fd); p->fd = -1; }
    p->out[p->n] = 0;
    printf("  [%s] exit %d\n", p->what, p->status);
    {
        char *line = p->out, *nl;
        while (*line) {
            nl = strchr(line, '\n');
            printf("  [%s] %.*s\n", p->what, nl ? (int)(nl - line) : (int)strlen(line), line);
            if (!nl) break;
            line = nl + 1;
        }
    }
    if (p->ready[0]) unlink(p->ready);
    return p->status;
}

/* Waits (at most wait_ms) until the started peer p has created its --ready
   file `ready` (it has joined); 1 then. 0 - a failed check, the peer ended -
   if it exits or the time runs out first. */
static inline int peer_wait_ready(peer_t *p, const char *ready, long wait_ms) {
    long end = now_ms() + wait_ms;
    snprintf(p->ready, sizeof p->ready, "%s", ready);
    while (now_ms() < end) {
        if (access(p->ready, F_OK) == 0) return 1;
        peer_reap(p, WNOHANG);
        if (p->done) break;
        peer_drain(p);
        poll(NULL, 0, 2);
    }
    fprintf(stderr, "%s: never became ready\n", p->what);
    check_failures++;
    peer_finish(p, 10);
    return 0;
}

/* ------------------------------------------------------ mcast.py runs ---
 * (they wait up to the includer's WAIT_MS for the peer) */

/* Starts `mcast.py recv GROUP PORT --iface IF --count N --ready FILE` in the
   peer netns and waits (bounded) until it has joined. 1: ready. */
static inline int peer_recv_start(peer_t *p, const char *peer_env, const char *iface,
                                  const char *group, int port, int count) {
    char sport[16], scount[16], what[96];
    const char *args[16];
    char ready[128];
    int n = 0;
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(scount, sizeof scount, "%d", count);
    snprintf(what, sizeof what, "peer recv %s:%d", group, port);
    snprintf(ready, sizeof ready, "%s/ready.%d", tmpdir, ++ready_seq);
    args[n++] = "recv"; args[n++] = group; args[n++] = sport;
    args[n++] = "--iface"; args[n++] = iface;
    args[n++] = "--count"; args[n++] = scount;
    args[n++] = "--timeout"; args[n++] = "10";
    args[n++] = "--ready"; args[n++] = ready;
    args[n] = NULL;
    peer_spawn(p, peer_env, what, args);
    return peer_wait_ready(p, ready, WAIT_MS);
}

/* Runs `mcast.py send GROUP PORT --iface IF --payload PAYLOAD [--source SRC] [--ttl TTL]`
   in the peer netns (the datagram is "PAYLOAD #0"; source NULL: the default,
   ttl < 0: mcast.py's default) and waits for it. */
static inline void peer_send(const char *peer_env, const char *iface, const char *group, int port,
                             const char *payload, const char *source, int ttl) {
    peer_t p;
    char sport[16], sttl[16], what[128];
    const char *args[16];
    int n = 0;
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(sttl, sizeof sttl, "%d", ttl);
    snprintf(what, sizeof what, "peer send %s:%d %s", group, port, payload);
    args[n++] = "send"; args[n++] = group; args[n++] = sport;
    args[n++] = "--iface"; args[n++] = iface;
    args[n++] = "--payload"; args[n++] = payload;
    if (source) { args[n++] = "--source"; args[n++] = source; }
    if (ttl >= 0) { args[n++] = "--ttl"; args[n++] = sttl; }
    args[n] = NULL;
    peer_spawn(&p, peer_env, what, args);
    if (peer_finish(&p, WAIT_MS) != 0 || !strstr(p.out, "SENT 1")) {
        fprintf(stderr, "%s: failed\n", what);
        check_failures++;
    }
}

/* A burst sender (mcast.py sends from one socket): `count` datagrams "PAYLOAD #i",
   each from a socket of its own, so each has its own source port (the kernel hashes
   the ports when it picks one socket of a SO_REUSEPORT group). Optionally bound to a
   source address; TTL / hop limit 1. */
static inline void peer_burst(const char *peer_env, const char *iface, const char *group,
                              int port, const char *payload, const char *source, int count) {
    static const char burst_py[] =
        "import socket, struct, sys\n"
        "g, port, ifname, payload, src, n = sys.argv[1:7]\n"
        "port, n, ix, v6 = int(port), int(n), socket.if_nametoindex(ifname), ':' in g\n"
        "socks = []\n"
        "for i in range(n):\n"
        "    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    socks.append(s)\n"
        "    if v6:\n"
        "        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ix)\n"
        "        if src != '-': s.bind((src, 0, 0, ix))\n"
        "        dst = (g, port, 0, ix)\n"
        "    else:\n"
        "        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,\n"
        "                     struct.pack('=4s4si', bytes(4), bytes(4), ix))\n"
        "        if src != '-': s.bind((src, 0))\n"
        "        dst = (g, port)\n"
        "    s.sendto(('%s #%d' % (payload, i)).encode(), dst)\n"
        "print('SENT %d' % n)\n";
    peer_t p;
    char sport[16], scount[16], what[128], want[32];
    const char *args[8];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(scount, sizeof scount, "%d", count);
    snprintf(want, sizeof want, "SENT %d", count);
    snprintf(what, sizeof what, "peer burst %s:%d %s x%d", group, port, payload, count);
    args[0] = group; args[1] = sport; args[2] = iface; args[3] = payload;
    args[4] = source ? source : "-"; args[5] = scount; args[6] = NULL;
    peer_spawn_py(&p, peer_env, what, burst_py, args);
    if (peer_finish(&p, WAIT_MS) != 0 || !strstr(p.out, want)) {
        fprintf(stderr, "%s: failed\n", what);
        check_failures++;
    }
}

/* The RECV line of mcast.py's output whose data is exactly `payload`, copied
   into line; 0 if none. */
static inline int recv_line(const peer_t *p, const char *payload, char *line, size_t size) {
    const char *s = p->out;
    size_t pl = strlen(payload);
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        const char *d = strstr(s, " data=");
        if (strncmp(s, "RECV ", 5) == 0 && d && d < s + len &&
            (size_t)(s + len - (d + 6)) == pl && memcmp(d + 6, payload, pl) == 0) {
            snprintf(line, size, "%.*s", (int)len, s);
            return 1;
        }
        s = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* The value of "KEY=" in a RECV line, up to a space (or '%' of a scoped address). */
static inline const char *field(const char *line, const char *key, char *buf, size_t size) {
    char k[32];
    const char *v;
    size_t i = 0;
    snprintf(k, sizeof k, " %s=", key);
    v = strstr(line, k);
    buf[0] = 0;
    if (!v) return buf;
    v += strlen(k);
    while (v[i] && v[i] != ' ' && v[i] != '%' && i + 1 < size) { buf[i] = v[i]; i++; }
    buf[i] = 0;
    return buf;
}

/* The peer got `payload` from one of the addresses src1/src2 (src2 may be NULL),
   with TTL/hop limit `ttl` (< 0: any). */
static inline void expect_peer_got(const peer_t *p, const char *payload, const char *src1,
                                   const char *src2, int ttl) {
    char line[512], v[64];
    if (!recv_line(p, payload, line, sizeof line)) {
        fprintf(stderr, "%s: did not receive \"%s\"\n", p->what, payload);
        check_failures++;
        return;
    }
    field(line, "src", v, sizeof v);
    if (strcmp(v, src1) != 0 && !(src2 && strcmp(v, src2) == 0)) {
        fprintf(stderr, "%s: \"%s\" came from %s, want %s%s%s\n", p->what, payload, v, src1,
                src2 ? " or " : "", src2 ? src2 : "");
        check_failures++;
    }
    if (ttl >= 0 && atoi(field(line, "ttl", v, sizeof v)) != ttl) {
        fprintf(stderr, "%s: \"%s\" arrived with ttl/hop limit %s, want %d\n", p->what,
                payload, v, ttl);
        check_failures++;
    }
    if (strcmp(field(line, "ifindex", v, sizeof v), env("MC_PEER_IFINDEX")) != 0 &&
        strcmp(v, getenv("MC_PEER2_IFINDEX") ? getenv("MC_PEER2_IFINDEX") : "") != 0) {
        fprintf(stderr, "%s: \"%s\" arrived on ifindex %s, want MC_PEER_IFINDEX %s%s%s\n",
                p->what, payload, v, env("MC_PEER_IFINDEX"),
                getenv("MC_PEER2_IFINDEX") ? " or MC_PEER2_IFINDEX " : "",
                getenv("MC_PEER2_IFINDEX") ? getenv("MC_PEER2_IFINDEX") : "");
        check_failures++;
    }
}

/* The address a is ip (IPv4 or IPv6; the port and scope id aside). */
static inline int ip_is(const mc_addr *a, const char *ip) {
    unsigned char b[16];
    if (strchr(ip, ':')) {
        return a->family == AF_INET6 && inet_pton(AF_INET6, ip, b) == 1 && !memcmp(a->ip, b, 16);
    }
    return a->family == AF_INET && inet_pton(AF_INET, ip, b) == 1 && !memcmp(a->ip, b, 4);
}

#endif
