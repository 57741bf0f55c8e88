/* soak.c - libmulticast under faults, for as long as you like (`make soak MINUTES=N`):
 * main, its options and setup, signals and the watchdog. What the soak does, and the
 * parts it is made of: soak.h. */
#include "soak.h"

/* --- options and what main sets up --- */

int verbose, stop_at_first;
int have_ethtool;
const char *peer_pid;
int sig_pipe[2] = {-1, -1};
int ctl = -1;

/* --- signals and the watchdog --- */

static volatile sig_atomic_t g_sigs;
mc_poller *volatile g_stop_target;
volatile sig_atomic_t g_stop_armed;
static volatile int64_t g_deadline_ns;
static const char *volatile g_doing = "starting";
pid_t g_sender = -1;

static void put(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    if (write(2, s, n) < 0) { /* nothing to do */ }
}

static void on_alarm(int sig) {
    int e = errno;
    (void)sig;
    g_sigs++;
    mc_poller *p = g_stop_target;   /* never NULL: that would be the default poller */
    if (p && g_stop_armed) {
        g_stop_armed = 0;
        mc_stop(p);
    } else if (p && g_sigs % 8 == 0) {
        mc_stop(p);
    }
    if (g_deadline_ns && now_ns() > g_deadline_ns) {
        put("soak: FAIL: watchdog: no progress for 60 s while ");
        put(g_doing);
        put("\n");
        if (g_sender > 0) kill(g_sender, SIGKILL);
        _exit(3);
    }
    errno = e;
}

void set_tick(long us) {
    struct itimerval it;
    it.it_interval.tv_sec = us / 1000000;
    it.it_interval.tv_usec = us % 1000000;
    it.it_value = it.it_interval;
    setitimer(ITIMER_REAL, &it, NULL);
}

void doing(const char *what) {
    g_doing = what;
    g_deadline_ns = now_ns() + 60LL * 1000000000LL;
}

/* --- setup --- */

static void refuse_unless_private(void) {
    const char *host = getenv("MC_HOST_NETNS");
    char me[128] = "";
    ssize_t n = readlink("/proc/self/ns/net", me, sizeof me - 1);
    if (n > 0) me[n] = 0;
    if (!getenv("MC_VETH") || strcmp(getenv("MC_VETH"), "1") != 0 || !getenv("MC_NETNS") ||
        strcmp(getenv("MC_NETNS"), "1") != 0 || (host && strcmp(host, me) == 0)) {
        fprintf(stderr, "soak: refusing to run: run it as tests/netns-run tests/netns-veth "
                "soak ... (make soak)\n");
        exit(2);
    }
    struct if_nameindex *ifs = if_nameindex(), *i;
    if (!ifs) { perror("if_nameindex"); exit(2); }
    for (i = ifs; i->if_index; i++)
        if (strcmp(i->if_name, "lo") != 0 && strncmp(i->if_name, "mc", 2) != 0) {
            fprintf(stderr, "soak: refusing to run: interface %s exists (not a private "
                    "namespace)\n", i->if_name);
            exit(2);
        }
    if_freenameindex(ifs);
    peer_pid = getenv("MC_PEER_PID");
    if (!peer_pid || !*peer_pid) {
        fprintf(stderr, "soak: MC_PEER_PID is not set (run through tests/netns-veth)\n");
        exit(2);
    }
}

static void init_groups(void) {
    const char *fixed[G_M0] = {"239.10.0.1", "239.10.0.2", "232.10.0.1", "ff05::10:1",
                               "ff02::10:2"};
    for (int g = 0; g < NGROUPS; g++) {
        if (g < G_M0) snprintf(grp[g].addr, sizeof grp[g].addr, "%s", fixed[g]);
        else snprintf(grp[g].addr, sizeof grp[g].addr, "239.10.1.%d", g - G_M0);
        grp[g].v6 = strchr(grp[g].addr, ':') != NULL;
        inet_pton(grp[g].v6 ? AF_INET6 : AF_INET, grp[g].addr, grp[g].bin);
    }
}

static int read_first_line(const char *path, char *out, size_t n) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    if (!fgets(out, (int)n, f)) out[0] = 0;
    fclose(f);
    out[strcspn(out, "\n")] = 0;
    return 0;
}

/* Probes and prints what the kernel and the tools offer. */
static void probe(void) {
    struct utsname u;
    char threaded[16] = "?", feat[256] = "";
    uname(&u);
    have_ethtool = system("command -v ethtool >/dev/null 2>&1") == 0;
    configure("setup", 0, 1, 1);
    read_first_line("/sys/class/net/mc0/threaded", threaded, sizeof threaded);
    if (have_ethtool) {
        FILE *f = popen("ethtool -k mc0 2>/dev/null | grep -E '^generic-receive-offload' | "
                        "tr -d '\\n'; echo -n ', mc1 '; nsenter -t $MC_PEER_PID -n ethtool -k mc1 "
                        "2>/dev/null | grep -E '^(tcp-segmentation-offload|tx-udp-segmentation)' "
                        "| tr '\\n' ' '", "r");
        if (f) {
            if (!fgets(feat, sizeof feat, f)) feat[0] = 0;
            pclose(f);
        }
        for (size_t n = strlen(feat); n && (feat[n - 1] == ' ' || feat[n - 1] == '\n'); n--)
            feat[n - 1] = 0;
    }
    int v6 = access("/proc/net/if_inet6", F_OK) == 0;
    printf("soak: kernel %s; library %s; ethtool %s; mc0 threaded NAPI %s%s%s; IPv6 %s\n",
           u.release, mc_version(), have_ethtool ? "yes" : "no (GRO not set up on mc0: GRO "
           "listeners kept, only GSO runs can arrive coalesced)", threaded,
           have_ethtool ? "; mc0 " : "", feat, v6 ? "yes" : "no");
    if (!v6) {
        fprintf(stderr, "soak: IPv6 is not available in this kernel\n");
        exit(2);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: soak [--seconds S | --minutes M] [--epochs N] [--seed N] "
            "[--verbose] [--stop-at-first]\n");
    exit(2);
}

int main(int argc, char **argv) {
    double seconds = 60;
    long max_epochs = 0;
    uint64_t seed = 0;
    int have_seed = 0;
    if (getenv("SOAK_SECONDS")) seconds = atof(getenv("SOAK_SECONDS"));
    if (getenv("SOAK_SEED")) { seed = strtoull(getenv("SOAK_SEED"), NULL, 0); have_seed = 1; }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--minutes") && i + 1 < argc) seconds = 60 * atof(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) max_epochs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
            have_seed = 1;
        } else if (!strcmp(argv[i], "--verbose")) verbose = 1;
        else if (!strcmp(argv[i], "--stop-at-first")) stop_at_first = 1;
        else usage();
    }
    if (!(seconds > 0) || max_epochs < 0) usage();
    if (!have_seed) seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    rng_state = seed ? seed : 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef M_MMAP_THRESHOLD
    /* RSS should tell live memory, not the allocator's luck: with glibc's dynamic mmap
       threshold, the pollers' and multicasters' big buffers (made anew whenever a poller
       is) move into the heap after the first free and leave fragmentation whose high-water
       mark can rise late in a run. A fixed threshold keeps every block of 128 KiB or more
       mmapped and gives it back on free (both processes: the sender inherits it). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    refuse_unless_private();
    init_groups();

    /* the sender: forked before the library is touched, so it starts clean */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) { perror("socketpair"); return 2; }
    fflush(NULL);
    g_sender = fork();
    if (g_sender < 0) { perror("fork"); return 2; }
    if (g_sender == 0) {
        close(sv[0]);
        sender_main(sv[1], peer_pid);
        _exit(0);
    }
    close(sv[1]);
    ctl = sv[0];

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;        /* epoll_wait is never restarted: mc_poll sees EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    doing("setting up");
    set_tick(TICK_US);

    printf("soak: seed %llu (SOAK_SEED=%llu reproduces the choices), %.0f s\n",
           (unsigned long long)seed, (unsigned long long)seed, seconds);
    probe();
    printf("soak: bounds, per listener and clean window: GRO off: delivered + filtered + "
           "queue drops + kernel_drops == sent to it; GRO on: delivered + ... + kernel_drops <= "
           "sent <= delivered + ... + %d x kernel_drops (a dropped coalesced run counts once "
           "and holds at most %d datagrams); + up to %d per path drop (veth, IP) if any; the sum "
           "of kernel_drops == the kernel's Udp/Udp6 RcvbufErrors + MemErrors; datagrams sent "
           "while a fault is active are not accounted (by design); sender order per socket, "
           "fragmented and unfragmented apart; fds: no epoch boundary after the warm-up above "
           "its highest, anonymous RSS not above its highest + 4 MiB (both processes)\n", RUN_BOUND,
           RUN_BOUND, RUN_BOUND);
    printf("soak: faults, round robin:");
    for (int f = 0; f < NFAULTS; f++)
        printf(" %s", fault_name[f]);
    printf("\n");

    int fds_start = count_fds();
    int rc;
    if ((rc = mc_poller_new(&fastp)) < 0 || (rc = mc_poller_new(&slowp)) < 0 ||
        (rc = mc_poller_new(&sigp)) < 0) {
        fprintf(stderr, "soak: mc_poller_new: %d %s\n", rc, mc_last_error());
        return 2;
    }
    if (pipe(sig_pipe) != 0 || mc_register(sigp, sig_pipe[0], MC_READ, idle_read, NULL, NULL) < 0) {
        fprintf(stderr, "soak: cannot register the idle pipe: %s\n", mc_last_error());
        return 2;
    }
    g_stop_target = fastp;
    setup_listeners();
    if (sender(OP_HELLO, 0) < 0) {
        fprintf(stderr, "soak: FAIL: %s\n", first_failure);
        return 2;
    }
    settle("start", NULL, NULL);
    window_begin(PH_F);
    window_end();                     /* everyone receives: the first clean window opens */
    window_end();

    int64_t t_start = now_ms(), t_end = t_start + (int64_t)(seconds * 1000);
    int clean_ms = (int)(seconds * 1000 / 400);
    if (clean_ms < 80) clean_ms = 80;
    if (clean_ms > 400) clean_ms = 400;
    if (max_epochs) clean_ms = 100;
    /* the warm-up: two full rounds of faults, or 40% of the run (time or epochs) if less */
    int warm_epochs = 2 * NFAULTS, warm = 1;
    if (max_epochs && max_epochs * 2 / 5 < warm_epochs) warm_epochs = (int)(max_epochs * 2 / 5);
    int64_t warm_until = t_start + (int64_t)(seconds * 1000 * 0.4);
    if (max_epochs) warm_until = t_end;
    long rss_max = 0, rss_first = 0, rss_last = 0, srss_max = 0, srss_first = 0, srss_last = 0;
    int fds_max = 0, fds_first = 0, fds_last = 0, sfds_max = 0, sfds_first = 0, sfds_last = 0;
    int fault_i = 0, grew[4] = {0, 0, 0, 0};
    int occurrence[NFAULTS];
    memset(occurrence, 0, sizeof occurrence);
    int64_t next_report = t_start + 60000;

    while (!STOP && now_ms() < t_end && (!max_epochs || epoch < (uint32_t)max_epochs)) {
        epoch++;
        int f = fault_i++ % NFAULTS;
        if (sender(OP_FREE, 0) < 0) break;
        apply_fault(f, occurrence[f]++);
        if (STOP) break;
        doing("stopping the free-running sender");
        if (sender(OP_STOP, 0) < 0) break;
        window_end();                  /* the fault window's quiet point */
        if (STOP) break;
        clean_phase(clean_ms);
        if (STOP) break;
        window_end();                  /* the clean window's quiet point: the accounting */
        if (STOP) break;

        /* the epoch boundary: fds and RSS of both processes */
        int fds = count_fds();
        long rss = rss_bytes();
        if (sender(OP_STATS, 0) < 0) break;
        int sfds = (int)rep.fds;
        long srss = (long)rep.rss;
        if (warm) {
            if (fds > fds_max) fds_max = fds;
            if (rss > rss_max) rss_max = rss;
            if (sfds > sfds_max) sfds_max = sfds;
            if (srss > srss_max) srss_max = srss;
            if ((int)epoch >= warm_epochs || now_ms() >= warm_until) {
                warm = 0;
                fds_first = fds;
                rss_first = rss;
                sfds_first = sfds;
                srss_first = srss;
                if (verbose)
                    fprintf(stderr, "soak: warm-up over after %u epochs: fds %d/%d, RSS %ld/%ld\n",
                            epoch, fds_max, sfds_max, rss_max, srss_max);
            }
        } else {                     /* each reported once; the summary shows the end */
            if (fds > fds_max && !grew[0]++)
                fail("epoch %u (after %s): the listener process has %d fds, more than the "
                     "warm-up's %d", epoch, cur_fault, fds, fds_max);
            if (rss > rss_max + RSS_SLACK && !grew[1]++)
                fail("epoch %u (after %s): the listener process's RSS is %ld KiB, more than the "
                     "warm-up's highest %ld KiB + 4096", epoch, cur_fault, rss / 1024,
                     rss_max / 1024);
            if (sfds > sfds_max && !grew[2]++)
                fail("epoch %u (after %s): the sender process has %d fds, more than the "
                     "warm-up's %d", epoch, cur_fault, sfds, sfds_max);
            if (srss > srss_max + RSS_SLACK && !grew[3]++)
                fail("epoch %u (after %s): the sender process's RSS is %ld KiB, more than the "
                     "warm-up's highest %ld KiB + 4096", epoch, cur_fault, srss / 1024,
                     srss_max / 1024);
        }
        if (verbose) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
            struct mallinfo2 mi = mallinfo2();
            fprintf(stderr, "soak: epoch %u (%s) boundary: fds %d, RSS %ld KiB (heap in use %zu "
                    "KiB, arena %zu KiB, mmapped %zu KiB); sender fds %d, RSS %ld KiB\n", epoch,
                    cur_fault, fds, rss / 1024, mi.uordblks / 1024, mi.arena / 1024,
                    mi.hblkhd / 1024, sfds, srss / 1024);
#else
            fprintf(stderr, "soak: epoch %u (%s) boundary: fds %d, RSS %ld KiB; sender fds %d, "
                    "RSS %ld KiB\n", epoch, cur_fault, fds, rss / 1024, sfds, srss / 1024);
#endif
        }
        fds_last = fds;
        rss_last = rss;
        sfds_last = sfds;
        srss_last = srss;
        if (now_ms() >= next_report) {
            char a[32], b[32];
            fmt_count(a, sizeof a, (double)T.due);
            fmt_count(b, sizeof b, (double)T.drops);
            fprintf(stderr, "soak: %.1f min, %u epochs, %s due to listeners, %s kernel drops, "
                    "fds %d/%d, anon RSS %.1f/%.1f MiB\n", (now_ms() - t_start) / 60000.0, epoch, a, b,
                    fds, sfds, rss / 1048576.0, srss / 1048576.0);
            next_report += 60000;
        }
    }
    double minutes = (now_ms() - t_start) / 60000.0;
    if (!fatal && warm)
        fail("the run ended within its warm-up (%u epochs): fds and RSS were not checked", epoch);

    /* the end: everything closed, the listener process's fds as before the first call */
    doing("closing");
    uint64_t ssigs = 0;
    if (sender(OP_STATS, 0) == 0) ssigs = rep.sigs;
    struct cmd q;
    memset(&q, 0, sizeof q);
    q.op = OP_QUIT;
    msg_send(ctl, &q, sizeof q);
    msg_recv(ctl, &rep, sizeof rep);
    int st = 0;
    waitpid(g_sender, &st, 0);
    g_sender = -1;
    g_stop_target = NULL;
    set_tick(0);
    mc_poller_free(fastp);
    mc_poller_free(slowp);
    mc_unregister(sigp, sig_pipe[0]);
    mc_poller_free(sigp);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    close(ctl);
    int fds_end = count_fds();
    if (!fatal && fds_end != fds_start - 1)  /* ctl was open at the start, closed now */
        fail("with every poller freed the listener process has %d fds, %d before the first call",
             fds_end, fds_start - 1);

    /* figures */
    for (int i = 0; i < NLIST; i++) {
        struct lst *x = &L[i];
        char a[32], b[32];
        fmt_count(a, sizeof a, (double)x->t_sent);
        fmt_count(b, sizeof b, (double)x->t_deliv);
        printf("soak:   %-46s sent %s, delivered %s, kernel drops %llu, filtered %llu%s",
               x->name, a, b, (unsigned long long)x->t_drops, (unsigned long long)x->t_filtered,
               x->gro ? "" : "\n");
        if (x->gro) printf(", coalesced runs %llu, largest %d\n", (unsigned long long)x->t_coal,
                           x->max_run);
    }
    {
        char a[32], b[32], c[32];
        fmt_count(a, sizeof a, (double)T.f_sent);
        fmt_count(b, sizeof b, (double)T.f_deliv);
        fmt_count(c, sizeof c, (double)T.f_drops);
        printf("soak: fault windows (not accounted by design): %s datagrams sent, %s deliveries "
               "to listeners, %s kernel drops; faults:", a, b, c);
        for (int f = 0; f < NFAULTS; f++)
            if (T.faults[f]) printf(" %s %llu", fault_name[f], (unsigned long long)T.faults[f]);
        printf(" (%d blocks with no traffic of the group to show)", blocked_idle);
        printf("; %llu paced bursts, %llu pacer timeouts; path drops %llu in %llu windows "
               "(datagrams missing within their allowance: %llu); %llu windows without a quiet "
               "point (not accounted); %llu datagrams whose order could not be checked (more "
               "than %d sending sockets in a window); %llu reordered by the kernel's GRO while "
               "listening sockets came and went (allowed in those fault windows); signals %llu "
               "here, %llu in the sender\n",
               (unsigned long long)T.bursts,
               (unsigned long long)T.pacer_timeouts, (unsigned long long)T.path_drops,
               (unsigned long long)T.path_epochs, (unsigned long long)T.path_lost,
               (unsigned long long)T.unsettled, (unsigned long long)T.unchecked, ORDER_CAP,
               (unsigned long long)T.gro_reorders,
               (unsigned long long)g_sigs,
               (unsigned long long)ssigs);
    }
    char s1[32], s2[32], s3[32];
    fmt_count(s1, sizeof s1, (double)T.sent_dgrams);
    fmt_count(s2, sizeof s2, (double)T.due);
    fmt_count(s3, sizeof s3, (double)T.deliv);
    for (int k = 0; k < nkinds; k++)
        printf("soak: failed check, %d time%s, first: %s\n", kinds[k].n,
               kinds[k].n == 1 ? "" : "s", kinds[k].first);
    char more[64] = "", skipped[64] = "";
    if (T.unsettled)
        snprintf(skipped, sizeof skipped, " (%llu windows not accountable: no quiet point)",
                 (unsigned long long)T.unsettled);
    if (failed > 1) snprintf(more, sizeof more, " (and %d more failed check%s)", failed - 1,
                             failed > 2 ? "s" : "");
    printf("soak: %.1f min, %u epochs, %s datagrams sent, %s due to listeners, %s delivered, "
           "%llu kernel drops, %llu unaccounted%s, %llu duplicates, %llu out of order, fds %d->%d "
           "(sender %d->%d), anon RSS %.1f->%.1f MiB (sender %.1f->%.1f): %s%s%s\n",
           minutes, epoch, s1, s2, s3, (unsigned long long)T.drops,
           (unsigned long long)T.unaccounted, skipped, (unsigned long long)T.dups,
           (unsigned long long)T.reorders, fds_first, fds_last, sfds_first, sfds_last,
           rss_first / 1048576.0, rss_last / 1048576.0, srss_first / 1048576.0,
           srss_last / 1048576.0, failed ? "FAIL: " : "PASS", failed ? first_failure : "",
           more);
    return failed ? 1 : 0;
}
