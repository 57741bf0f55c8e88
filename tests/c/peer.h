/* peer.h - a python3 process in a peer network namespace (tests/netns-veth's
 * MC_PEER_PID / MC_PEER2_PID), its stdout+stderr captured: the independent peer
 * of the veth tests (veth.c, veth_ttl_dscp.c).
 *
 * Also what the veth programs share: env(), their scratch directory for the
 * peers' --ready files, and peer_main, their main().
 *
 * Include it after defining _GNU_SOURCE and after the includer's own
 *   static long now_ms(void);                   (CLOCK_MONOTONIC, ms)
 */
#ifndef MC_PEER_H
#define MC_PEER_H

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

#endif
