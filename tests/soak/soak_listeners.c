/* soak_listeners.c - the listeners: each datagram checked whole (bytes, length, group,
 * sender order, duplicates), opened, retired and closed (see soak.h). */
#include "soak.h"

/* --- the listeners --- */

struct lst L[NLIST];
mc_poller *fastp, *slowp, *sigp;
uint32_t epoch;
int window;            /* PH_F or PH_C: the window now open */
int cur_mtu = 1500;

uint64_t g_packets;    /* every datagram seen by any listener */

static int holds_count(const struct lst *x) {
    int n = 0;
    for (int g = 0; g < NGROUPS; g++) n += x->holds[g];
    return n;
}

static int up_multicast_ifaces(void) {
    int n = 0;
    struct if_nameindex *ifs = if_nameindex(), *i;
    if (!ifs) return 0;
    for (i = ifs; i->if_index; i++) {
        char path[128], buf[32];
        snprintf(path, sizeof path, "/sys/class/net/%s/flags", i->if_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(buf, sizeof buf, f)) {
            unsigned long fl = strtoul(buf, NULL, 16);
            if ((fl & IFF_UP) && (fl & IFF_MULTICAST)) n++;
        }
        fclose(f);
    }
    if_freenameindex(ifs);
    return n;
}

/* What a listener should hold now: its groups on mc0 (named, or the system's choice: the
   route 224.0.0.0/4 / ff00::/8 dev mc0), or on every interface up with MULTICAST ("*"). */
int expected_memberships(const struct lst *x) {
    if (x->ifkind == IF_STAR) return holds_count(x) * up_multicast_ifaces();
    return if_nametoindex("mc0") ? holds_count(x) : 0;
}

mc_listener_counts counts_of(const struct lst *x) {
    mc_listener_counts c;
    memset(&c, 0, sizeof c);
    int rc = mc_listener_get_counts(x->l, &c);
    if (rc < 0) fail("mc_listener_get_counts(%s): %d %s", x->name, rc, mc_last_error());
    return c;
}

mc_listener_stats stats_of(const struct lst *x) {
    mc_listener_stats s;
    memset(&s, 0, sizeof s);
    int rc = mc_listener_get_stats(x->l, &s);
    if (rc < 0) fail("mc_listener_get_stats(%s): %d %s", x->name, rc, mc_last_error());
    return s;
}

/* The listener's counters now: what a window counts starts from here. */
void mark_counters(struct lst *x) {
    mc_listener_stats s = stats_of(x);
    x->d0 = s.delivered;
    x->k0 = s.kernel_drops;
    x->f0 = s.filtered;
    mc_listener_counts c = counts_of(x);
    x->q0 = c.queue_drops;
    x->c0 = c.coalesced;
}

static int group_of(const mc_addr *a) {
    for (int g = 0; g < NGROUPS; g++) {
        if (grp[g].v6 != (a->family == AF_INET6)) continue;
        if (memcmp(a->ip, grp[g].bin, grp[g].v6 ? 16 : 4) == 0) return g;
    }
    return -1;
}

/* The filter of the many-groups listener: rejects every 7th data datagram (never a
   control one), so "filtered" takes part in the accounting. */
static int rejects(const uint8_t *d, size_t len) {
    struct hdr h;
    if (len < HDR_LEN) return 0;
    memcpy(&h, d, sizeof h);
    return h.magic == SOAK_MAGIC && h.stream != S_CTL && h.seq % 7 == 3;
}
static int filter_fn(void *ud, const mc_packet *p) {
    (void)ud;
    return !rejects(p->data, p->len);
}

/* The MTU range of the window now open (an MTU fault changes it mid-window). */
int mtu_lo = 1500, mtu_hi = 1500;

/* Sender order is checked per sending socket (address, port), stream and group, and
   separately for datagrams that were fragmented and those that were not: under GRO the
   kernel delivers a reassembled datagram at once while earlier unfragmented ones of the
   same flow wait in its GRO list (seen: seq 189 of 3000 B delivered before 186..188).
   Class 0: fits the window's smallest MTU; 1: exceeds its largest; 2: either (an MTU
   fault in this window): only duplicates of the last seq are caught there. */
static void check_order(struct lst *x, const mc_packet *p, const struct hdr *h) {
    int ovh = p->from.family == AF_INET6 ? 48 : 28;
    uint8_t cls = (int)h->len + ovh <= mtu_lo ? 0 : (int)h->len + ovh > mtu_hi ? 1 : 2;
    uint32_t hash = 2166136261u;
    for (int i = 0; i < 16; i++) hash = (hash ^ p->from.ip[i]) * 16777619u;
    hash = (hash ^ p->from.port) * 16777619u;
    hash = (hash ^ h->stream) * 16777619u;
    hash = (hash ^ h->group) * 16777619u;
    hash = (hash ^ cls) * 16777619u;
    for (uint32_t probe = 0; probe < ORDER_CAP; probe++) {
        struct okey *k = &x->order[(hash + probe) & (ORDER_CAP - 1)];
        if (!k->used) {
            memcpy(k->ip, p->from.ip, 16);
            k->port = p->from.port;
            k->stream = h->stream;
            k->group = h->group;
            k->cls = cls;
            k->used = 1;
            k->last = h->seq;
            k->last_len = h->len;
            return;
        }
        if (k->port == p->from.port && k->stream == h->stream && k->group == h->group &&
            k->cls == cls && memcmp(k->ip, p->from.ip, 16) == 0) {
            if (cls == 2 && h->seq < k->last) return;
            if (h->seq == k->last) x->dup++;
            else if (h->seq < k->last) x->reorder++;
            if (h->seq <= k->last && (verbose || x->dup + x->reorder <= 3)) {
                char from[64];
                inet_ntop(p->from.family, p->from.ip, from, sizeof from);
                fprintf(stderr, "soak: %s: %s from %s:%u, %s to %s: seq %u after %u (of %u B) (len %u, "
                        "phase %u, timestamp %llu)\n", x->name,
                        h->seq == k->last ? "duplicate" : "out of order", from, p->from.port,
                        stream_name[h->stream], grp[h->group].addr, h->seq, k->last, k->last_len, h->len,
                        h->phase, (unsigned long long)p->timestamp_ns);
            }
            if (h->seq > k->last) { k->last = h->seq; k->last_len = h->len; }
            return;
        }
    }
    /* more sending sockets in one window than the table holds (a sender that opens a
       socket per call): this datagram's order and uniqueness cannot be checked; counted */
    x->unchecked++;
}

static void seen(struct lst *x, const mc_packet *p) {
    struct hdr h;
    g_packets++;
    x->seen++;
    if (p->size < HDR_LEN || p->len < HDR_LEN) { x->corrupt++; return; }
    memcpy(&h, p->data, sizeof h);
    if (h.magic != SOAK_MAGIC || h.sum != hdr_sum(&h) || h.phase < PH_F || h.phase > PH_P ||
        h.stream >= NSTREAMS || h.group >= NGROUPS) {
        x->corrupt++;
        return;
    }
    size_t want_len = h.len < x->mtu ? h.len : x->mtu;
    if (p->size != h.len || p->len != want_len) x->badlen++;
    if (p->size > p->len) x->trunc++;
    for (size_t i = HDR_LEN; i < p->len; i++)
        if (p->data[i] != payload_byte(&h, i)) { x->corrupt++; return; }
    int g = group_of(&p->group);
    if (g != h.group || p->group.port != PORT) { x->wrong++; return; }
    if (!x->holds[g] && window == PH_C) x->wrong++;  /* in F a dropped group may trail */
    if (x->filter && rejects(p->data, p->len)) x->wrong++;
    /* a clean window sees only its own epoch's clean, pacer and barrier datagrams */
    if (window == PH_C && (h.phase == PH_F || h.epoch != epoch)) x->stale++;
    if (window == PH_F && h.epoch != epoch) x->stale++;
    check_order(x, p, &h);
    x->seen_ph[h.phase]++;
    x->seen_g[g]++;
    if (h.phase == PH_B && h.epoch == epoch) x->barrier_seen[g] = h.arg;
    if (h.phase == PH_P && h.epoch == epoch) {
        x->pacer = h.seq;
        x->have_pacer = 1;
    }
    if (x->ts) {
        if (p->timestamp_ns && p->timestamp_ns == x->last_ts) x->run++;
        else x->run = 1;
        x->last_ts = p->timestamp_ns;
        if (x->run > x->max_run) x->max_run = x->run;
    }
}

int on_packet(void *ud, const mc_packet *p) {
    seen(ud, p);
    return 0;
}

static void on_iface(void *ud, mc_listener *l, uint32_t ifindex, const char *ifname, int joined) {
    struct lst *x = ud;
    (void)l;
    if (verbose)
        fprintf(stderr, "soak: %s: %s %s (%u)\n", x->name, joined ? "joined on" : "lost", ifname,
                ifindex);
    if (joined) x->told_joined++;
    else x->told_left++;
}

static void drain_pulls(void) {
    for (int i = 0; i < NLIST; i++) {
        const mc_packet *p;
        if (!L[i].pull || !L[i].l) continue;
        for (int n = 0; n < 100000; n++) {
            int rc = mc_listener_next(L[i].l, &p, 0);
            if (rc < 0) {
                fail("mc_listener_next(%s): %d %s", L[i].name, rc, mc_last_error());
                break;
            }
            if (rc == 0) break;
            seen(&L[i], p);
        }
    }
}

/* One round of reading: the fast poller (waiting up to ms), the slow one if asked. */
void pump(int ms, int slow_too) {
    int rc = mc_poll(fastp, ms);
    if (rc < 0) fail("mc_poll(fast): %d %s", rc, mc_last_error());
    if (slow_too) {
        rc = mc_poll(slowp, 0);
        if (rc < 0) fail("mc_poll(slow): %d %s", rc, mc_last_error());
    }
    drain_pulls();
}

void pump_for(int ms) {
    int64_t end = now_ms() + ms;
    while (now_ms() < end) pump(2, 1);
}

void open_listener(struct lst *x) {
    rx_sockets_changed |= rx_family(x);
    mc_opts *o = mc_opts_new();
    int rc = o ? 0 : MC_EINVAL;
    int first = x->base[0];
    if (!rc) rc = mc_opts_set_group(o, grp[first].addr);
    if (!rc) rc = mc_opts_set_port(o, PORT);
    if (!rc && x->ifkind == IF_NAMED) rc = mc_opts_set_interface(o, "mc0");
    if (!rc && x->ifkind == IF_STAR) rc = mc_opts_set_interface(o, "*");
    if (!rc && x->source) rc = mc_opts_set_source(o, x->source);
    if (!rc) rc = mc_opts_set_gro(o, x->gro);
    if (!rc) rc = mc_opts_set_timestamps(o, x->ts);
    if (!rc && x->mtu != 4096) rc = mc_opts_set_mtu(o, x->mtu);
    if (!rc && x->rcvbuf) rc = mc_opts_set_recv_buffer(o, x->rcvbuf);
    if (!rc)
        rc = mc_listener_new(x->slow ? slowp : fastp, o, x->pull ? NULL : on_packet, x, &x->l);
    mc_opts_free(o);
    if (rc < 0) {
        fail("mc_listener_new(%s, %s): %d %s", x->name, grp[first].addr, rc, mc_last_error());
        x->l = NULL;
        return;
    }
    memset(x->holds, 0, sizeof x->holds);
    x->holds[first] = 1;
    for (int i = 1; i < x->nbase; i++) {
        rc = mc_listener_add_group(x->l, grp[x->base[i]].addr, NULL);
        if (rc < 0) fail("mc_listener_add_group(%s, %s): %d %s", x->name, grp[x->base[i]].addr,
                         rc, mc_last_error());
        else x->holds[x->base[i]] = 1;
    }
    if (x->filter && (rc = mc_listener_set_filter(x->l, filter_fn, NULL)) < 0)
        fail("mc_listener_set_filter(%s): %d", x->name, rc);
    if ((rc = mc_listener_set_iface_fn(x->l, on_iface, x)) < 0)
        fail("mc_listener_set_iface_fn(%s): %d", x->name, rc);
    x->told_joined = x->told_left = 0;
    mark_counters(x);
}

/* Before a listener is closed (by the program or by mc_poller_free): what it counted in
   this window stays in the window's figures. */
void retire(struct lst *x) {
    rx_sockets_changed |= rx_family(x);
    mc_listener_stats s = stats_of(x);
    mc_listener_counts c = counts_of(x);
    x->ad += s.delivered - x->d0;
    x->ak += s.kernel_drops - x->k0;
    x->af += s.filtered - x->f0;
    x->aq += c.queue_drops - x->q0;
    x->ac += c.coalesced - x->c0;
}

void close_listener(struct lst *x) {
    mc_listener *old = x->l;
    retire(x);
    mc_listener_stats s;
    mc_listener_close(old);
    mc_listener_close(old); /* a second close: a no-op */
    if (mc_listener_get_stats(old, &s) != MC_ECLOSED)
        fail("%s: a closed listener's handle did not answer MC_ECLOSED", x->name);
    x->l = NULL;
}

void setup_listeners(void) {
    static const struct { const char *name; int ifkind, gro, slow, pull, ts, filter; size_t mtu, rcvbuf; }
    cfg[NLIST] = {
        [L_PACE4] = {"pace4 (239.10.0.1 on mc0, GRO off)", IF_NAMED, 0, 0, 0, 0, 0, 4096, 0},
        [L_STAR4] = {"star4 (2 groups on *, GRO)", IF_STAR, 1, 0, 0, 1, 0, 4096, 0},
        [L_DFLT4] = {"default4 (system's choice, GRO, slow 64 KiB)", IF_DEFAULT, 1, 1, 0, 1, 0, 4096, 32768},
        [L_SLOW4] = {"slow4 (mc0, GRO off, slow 32 KiB, mtu 1000)", IF_NAMED, 0, 1, 0, 0, 0, 1000, 16384},
        [L_MANY4] = {"many4 (24 groups, GRO off, filter)", IF_NAMED, 0, 0, 0, 0, 1, 4096, 0},
        [L_SSM4] = {"ssm4 (232.10.0.1 from the peer, GRO)", IF_NAMED, 1, 0, 0, 1, 0, 4096, 0},
        [L_V6] = {"v6 (ff05::10:1 on mc0, GRO, slow 64 KiB)", IF_NAMED, 1, 1, 0, 1, 0, 4096, 32768},
        [L_V6LL] = {"v6ll (ff02::10:2 on mc0, GRO off)", IF_NAMED, 0, 0, 0, 0, 0, 4096, 0},
        [L_STAR6] = {"star6 (ff05::10:1 on *, GRO off)", IF_STAR, 0, 0, 0, 0, 0, 4096, 0},
        [L_PULL4] = {"pull4 (239.10.0.2, pull mode, GRO, 64 KiB)", IF_NAMED, 1, 0, 1, 1, 0, 4096, 32768},
    };
    static const int groups[NLIST][3] = {
        [L_PACE4] = {G_A, -1}, [L_STAR4] = {G_A, G_B, -1}, [L_DFLT4] = {G_B, -1},
        [L_SLOW4] = {G_A, -1}, [L_MANY4] = {-2}, [L_SSM4] = {G_S, -1}, [L_V6] = {G_6A, -1},
        [L_V6LL] = {G_6L, -1}, [L_STAR6] = {G_6A, -1}, [L_PULL4] = {G_B, -1},
    };
    for (int i = 0; i < NLIST; i++) {
        struct lst *x = &L[i];
        x->name = cfg[i].name;
        x->ifkind = cfg[i].ifkind;
        x->gro = cfg[i].gro;
        x->slow = cfg[i].slow;
        x->pull = cfg[i].pull;
        x->ts = cfg[i].ts;
        x->filter = cfg[i].filter;
        x->mtu = cfg[i].mtu;
        x->rcvbuf = cfg[i].rcvbuf;
        x->source = i == L_SSM4 ? peer_addr4 : NULL;
        if (groups[i][0] == -2) {
            for (int k = 0; k < NMANY; k++) x->base[k] = G_M0 + k;
            x->nbase = NMANY;
        } else {
            for (x->nbase = 0; groups[i][x->nbase] >= 0; x->nbase++)
                x->base[x->nbase] = groups[i][x->nbase];
        }
        open_listener(x);
    }
}
