/* mclisten_output.c - what mclisten prints: a line per datagram (or a JSON
   object with -j), the figures of every flow per interval (-I) and the
   summary at the end, on st->report (standard error, or standard output with
   -q or -j). */
#define _POSIX_C_SOURCE 200809L
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "mclisten.h"

/* "127.0.0.1:5000" or "[fe80::1%eth0]:5000", as the library writes it
   (mc_addr_format), with two exceptions that keep mclisten's own format:
   an IPv4-compatible IPv6 address (::a.b.c.d, deprecated) in inet_ntop's
   dotted form ("[::1.2.3.4]:5000", where the library writes "[::102:304]:5000"),
   and a family neither AF_INET nor AF_INET6 as "?:PORT" (the library refuses it). */
static void format_addr(const mc_addr *a, char *out, size_t size) {
    static const uint8_t zeros[12];
    char lib[MC_ADDR_STRLEN], ip[INET6_ADDRSTRLEN];
    if (mc_addr_format(a, lib, sizeof lib) < 0) {
        snprintf(out, size, "?:%u", (unsigned)a->port);
    } else if (a->family == AF_INET6 && memcmp(a->ip, zeros, 12) == 0 && (a->ip[12] | a->ip[13])) {
        ip_text(AF_INET6, a->ip, ip, sizeof ip);
        snprintf(out, size, "[%s%s", ip, lib + strcspn(lib, "%]"));
    } else {
        snprintf(out, size, "%s", lib);
    }
}

static void print_hex(FILE *out, const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) fprintf(out, "%02x", p[i]);
}

/* A JSON string (the text here is addresses and interface names). */
static void json_str(FILE *out, const char *s) {
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(out, "\\u%04x", *s);
        else putc(*s, out);
    }
    putc('"', out);
}

static const char *kind_name(enum kind k) {
    return k == KIND_MC ? "mc" : k == KIND_IPERF ? "iperf" : "none";
}

void print_arrival(const struct state *st, const mc_packet *p, const struct arrival *a) {
    char from[MC_ADDR_STRLEN], group[MC_ADDR_STRLEN];
    char iface[IF_NAMESIZE] = "?", stamp[32] = "";
    long long rx = a->rx;
    time_t secs = (time_t)(rx / 1000000000LL);
    struct tm tm;
    FILE *out = stdout;
    format_addr(&p->from, from, sizeof from);
    format_addr(&p->group, group, sizeof group);
    if (p->ifindex == 0 || !if_indextoname(p->ifindex, iface))
        snprintf(iface, sizeof iface, "#%u", (unsigned)p->ifindex);
    if (st->json) {
        char fip[INET6_ADDRSTRLEN], gip[INET6_ADDRSTRLEN];
        ip_text(p->from.family, p->from.ip, fip, sizeof fip);
        ip_text(p->group.family, p->group.ip, gip, sizeof gip);
        fprintf(out, "{\"type\":\"packet\",\"time\":%lld.%09lld,\"from\":",
                rx / 1000000000LL, rx % 1000000000LL);
        json_str(out, fip);
        fprintf(out, ",\"sport\":%u,\"group\":", (unsigned)p->from.port);
        json_str(out, gip);
        fprintf(out, ",\"port\":%u,\"iface\":", (unsigned)p->group.port);
        json_str(out, iface);
        fprintf(out, ",\"size\":%zu,\"len\":%zu,", p->size, p->len);
        if (p->ttl >= 0) fprintf(out, "\"ttl\":%d,", (int)p->ttl);
        else fputs("\"ttl\":null,", out);
        fprintf(out, "\"header\":\"%s\",", kind_name(a->kind));
        if (a->kind != KIND_NONE) {
            static const char *names[] = {"none", "ok", "gap", "late", "dup", "last", "last"};
            /* the stream id as the text shows it (iperf2's has none: null, as in
               the summary) */
            if (a->kind == KIND_MC) fprintf(out, "\"stream\":\"%08x\",", (unsigned)a->stream);
            else fputs("\"stream\":null,", out);
            fprintf(out, "\"seq\":%llu,\"delay_ms\":%.6f,\"event\":\"%s\",\"lost_before\":%llu,",
                    (unsigned long long)a->seq, a->delay, names[a->ev], (unsigned long long)a->gap);
        }
        fputs("\"data\":\"", out);
        print_hex(out, p->data, p->len);
        fputs("\"}\n", out);
    } else {
        if (localtime_r(&secs, &tm)) strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
        fprintf(out, "%s.%06lld %s -> %s %s", stamp, (rx % 1000000000LL) / 1000, from, group,
                iface);
        if (st->show_ttl) fprintf(out, " ttl %d", (int)p->ttl);
        if (st->show_rx)
            fprintf(out, " rx %lld.%09lld", rx / 1000000000LL, rx % 1000000000LL);
        fprintf(out, " %zu byte%s", p->size, plural(p->size));
        if (p->size > p->len) fprintf(out, ", truncated to %zu", p->len);
        if (a->kind != KIND_NONE) {
            if (a->kind == KIND_MC)
                fprintf(out, " [stream %08x seq %llu delay %.3f ms", (unsigned)a->stream,
                        (unsigned long long)a->seq, a->delay);
            else
                fprintf(out, " [iperf seq %llu delay %.3f ms", (unsigned long long)a->seq,
                        a->delay);
            if (a->ev == EV_GAP) fprintf(out, ", %llu lost before it", (unsigned long long)a->gap);
            if (a->ev == EV_LATE) fputs(", late", out);
            if (a->ev == EV_DUP) fputs(", duplicate", out);
            if (a->ev == EV_FIN || a->ev == EV_FIN_AGAIN) fputs(", last", out);
            putc(']', out);
        }
        fputs(": ", out);
        if (st->hex)
            print_hex(out, p->data, p->len);
        else
            print_escaped(out, p->data + a->text_at, a->kind == KIND_IPERF ? 0 : a->text_len);
        putc('\n', out);
    }
    fflush(out);
}

/* A summary's rate over less than MIN_RATE_SPAN_MS says nothing. */
static int too_short(double span, uint64_t packets, int final) {
    return final && packets > 0 && span * 1e3 < MIN_RATE_SPAN_MS;
}

void print_row(const struct state *st, const struct flow *f, const struct figures *x,
               uint64_t lost, double t0, double t1, double rate_span, int final) {
    FILE *out = st->report;
    char group[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN], bits[32];
    int no_rate = too_short(rate_span, x->packets, final);
    double pps = rate_span > 0 ? (double)(final ? (x->packets > 1 ? x->packets - 1 : 0)
                                                 : x->packets) / rate_span
                               : 0;
    double bps = x->packets ? pps * 8.0 * (double)x->bytes / (double)x->packets : 0;
    ip_text(f->family, f->group, group, sizeof group);
    ip_text(f->family, f->src, src, sizeof src);
    if (st->json) {
        fprintf(out, "{\"type\":\"%s\",\"start\":%.3f,\"end\":%.3f,\"group\":",
                final ? "summary" : "interval", t0, t1);
        json_str(out, group);
        fputs(",\"source\":", out);
        json_str(out, src);
        fprintf(out, ",\"sport\":%u,\"header\":\"%s\",", (unsigned)f->sport, kind_name(f->kind));
        if (f->kind == KIND_MC) fprintf(out, "\"stream\":\"%08x\",", (unsigned)f->stream);
        else fputs("\"stream\":null,", out);
        fprintf(out, "\"packets\":%llu,\"bytes\":%llu,", (unsigned long long)x->packets,
                (unsigned long long)x->bytes);
        if (no_rate) fputs("\"pps\":null,\"bps\":null,", out);
        else fprintf(out, "\"pps\":%.3f,\"bps\":%.1f,", pps, bps);
        if (f->kind != KIND_NONE)
            fprintf(out, "\"lost\":%llu,\"dup\":%llu,\"reordered\":%llu,",
                    (unsigned long long)lost, (unsigned long long)x->dups,
                    (unsigned long long)x->reord);
        else
            fputs("\"lost\":null,\"dup\":null,\"reordered\":null,", out);
        if (x->dn)
            fprintf(out, "\"delay_ms\":{\"min\":%.6f,\"avg\":%.6f,\"max\":%.6f},\"jitter_ms\":%.6f,",
                    x->dmin, x->dsum / (double)x->dn, x->dmax, f->jitter);
        else
            fputs("\"delay_ms\":null,\"jitter_ms\":null,", out);
        if (f->ttl_max >= 0) fprintf(out, "\"ttl\":{\"min\":%d,\"max\":%d}}\n", f->ttl_min, f->ttl_max);
        else fputs("\"ttl\":null}\n", out);
        return;
    }
    format_bits(bps, bits, sizeof bits);
    fprintf(out, "[%7.2f-%7.2f s] %s <- %s", t0, t1, group, src);
    if (f->kind == KIND_MC) fprintf(out, " stream %08x", (unsigned)f->stream);
    if (f->kind == KIND_IPERF) fprintf(out, " iperf port %u", (unsigned)f->sport);
    if (no_rate) fprintf(out, ": %llu pkt (too short to measure a rate)", (unsigned long long)x->packets);
    else fprintf(out, ": %llu pkt, %.1f pps, %s", (unsigned long long)x->packets, pps, bits);
    if (f->kind != KIND_NONE) {
        uint64_t expected = x->packets - x->dups + lost;
        fprintf(out, ", lost %llu (%.2f%%), dup %llu, reord %llu", (unsigned long long)lost,
                expected ? 100.0 * (double)lost / (double)expected : 0.0,
                (unsigned long long)x->dups, (unsigned long long)x->reord);
    }
    if (x->dn)
        fprintf(out, ", delay %.3f/%.3f/%.3f ms, jitter %.3f ms", x->dmin,
                x->dsum / (double)x->dn, x->dmax, f->jitter);
    if (f->ttl_max >= 0) {
        if (f->ttl_min == f->ttl_max) fprintf(out, ", ttl %d", f->ttl_max);
        else fprintf(out, ", ttl %d-%d", f->ttl_min, f->ttl_max);
    }
    fputc('\n', out);
}

void print_total(const struct state *st, double t0, double t1, uint64_t packets,
                 uint64_t bytes, uint64_t lost, uint64_t dups, uint64_t reord,
                 uint64_t kdrops, int final, int status) {
    FILE *out = st->report;
    double span = t1 - t0;
    /* the final rate is over the time between the first and last arrival */
    double pps = span > 0 ? (double)(final ? (packets > 1 ? packets - 1 : 0) : packets) / span : 0;
    char bits[32], rate[64];
    int no_rate = too_short(span, packets, final);
    format_bits(packets ? pps * 8.0 * (double)bytes / (double)packets : 0, bits, sizeof bits);
    if (st->json) {
        fprintf(out,
                "{\"type\":\"%s\",\"start\":%.3f,\"end\":%.3f,\"flows\":%d,\"packets\":%llu,"
                "\"bytes\":%llu,",
                final ? "total" : "interval_total", t0, t1, nflows, (unsigned long long)packets,
                (unsigned long long)bytes);
        if (no_rate) fputs("\"pps\":null,", out);
        else fprintf(out, "\"pps\":%.3f,", pps);
        fprintf(out, "\"lost\":%llu,\"dup\":%llu,\"reordered\":%llu,\"kernel_drops\":%llu",
                (unsigned long long)lost, (unsigned long long)dups, (unsigned long long)reord,
                (unsigned long long)kdrops);
        if (final)
            fprintf(out,
                    ",\"received\":%llu,\"filtered\":%llu,\"truncated\":%llu,"
                    "\"untracked\":%llu,\"status\":%d",
                    (unsigned long long)st->stats.received, (unsigned long long)st->stats.filtered,
                    (unsigned long long)st->stats.truncated, (unsigned long long)untracked,
                    status);
        fputs("}\n", out);
        return;
    }
    if (no_rate) snprintf(rate, sizeof rate, " (too short to measure a rate)");
    else snprintf(rate, sizeof rate, ", %.1f pps, %s", pps, bits);
    fprintf(out, "[%7.2f-%7.2f s] total: %d flow%s, %llu pkt%s, lost %llu, dup %llu, "
                 "reord %llu, kernel drops %llu\n",
            t0, t1, nflows, plural((unsigned long long)nflows), (unsigned long long)packets, rate,
            (unsigned long long)lost, (unsigned long long)dups, (unsigned long long)reord,
            (unsigned long long)kdrops);
}

void print_interval(struct state *st, double t0, double t1) {
    uint64_t packets = 0, bytes = 0, lost = 0, dups = 0, reord = 0, kd;
    mc_listener_stats s;
    int i;
    if (!st->done && mc_listener_get_stats(st->listener, &s) == 0) st->stats = s;
    kd = st->stats.kernel_drops - st->iv_kernel_drops;
    st->iv_kernel_drops = st->stats.kernel_drops;
    for (i = 0; i < nflows; i++) {
        struct flow *f = flows[i];
        uint64_t now_lost = lost_of(f);
        uint64_t l = now_lost > f->iv_lost_at ? now_lost - f->iv_lost_at : 0;
        print_row(st, f, &f->iv, l, t0, t1, t1 - t0, 0);
        packets += f->iv.packets, bytes += f->iv.bytes, lost += l;
        dups += f->iv.dups, reord += f->iv.reord;
        memset(&f->iv, 0, sizeof f->iv);
        f->iv.dmin = 1e300;
        f->iv_lost_at = now_lost;
    }
    print_total(st, t0, t1, packets, bytes, lost, dups, reord, kd, 0, 0);
    fflush(st->report);
}
