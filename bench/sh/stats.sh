# bench/sh/stats.sh - sourced by bench/run.sh: medians, sums and ratios over the .tsv
# files of the trials, the verdicts against the targets, and their formatting for the
# table. Needs RXT (run.sh) and LIBRX (catalog.sh).

# "median min max" of column c over rows with name==$2 and size==$3
stats() { # file name size col
    awk -F'\t' -v n="$2" -v s="$3" -v c="$4" \
        'NR>1 && $2==n && $3==s && $c!="" && $c!="-" {print $c}' "$1" |
        sort -g |
        awk '{a[NR]=$1} END{ if (NR==0) {print "NA NA NA"; exit}
             m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR] }'
}
colsum() { # file name size col -> sum over rows
    awk -F'\t' -v n="$2" -v s="$3" -v c="$4" \
        'NR>1 && $2==n && $3==s && $c ~ /^[0-9.]+$/ {t+=$c} END{printf "%.0f", t}' "$1"
}
fmt_fig() { # median min max unit -> "m [min..max] unit"
    awk -v m="$1" -v a="$2" -v b="$3" -v u="$4" 'BEGIN{
        if (m=="NA") { print "NA"; exit }
        if (m >= 100) printf "%.0f [%.0f..%.0f] %s", m, a, b, u; else printf "%.1f [%.1f..%.1f] %s", m, a, b, u }'
}
ratio() { # a b -> a/b
    awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="NA" || b=="NA" || b+0==0) print "NA"; else printf "%.3f", a/b }'
}
judge() { # value op(<=|>=) target -> met/UNMET/n-a
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{
        if (v=="NA" || v=="") { print "n/a"; exit }
        ok = (op=="<=") ? (v+0 <= t+0) : (v+0 >= t+0); print ok ? "met" : "UNMET" }'
}
is_librx() { [[ "$1" =~ $LIBRX ]]; }
rx_loss() { # name size -> "lost% / drops k=... lib=..."
    local lm lmax dk dl
    read -r lm _ lmax < <(stats "$RXT" "$1" "$2" 6)
    dk=$(colsum "$RXT" "$1" "$2" 10)
    dl=$(colsum "$RXT" "$1" "$2" 12)
    if is_librx "$1"; then
        awk -v l="$lm" -v x="$lmax" -v k="$dk" -v d="$dl" 'BEGIN{printf "%s%% k=%s lib=%s", (l=="NA"?"NA":sprintf("%.3f",l)) (x>l?"(max "x")":""), k, d}'
    else
        awk -v l="$lm" -v x="$lmax" -v k="$dk" 'BEGIN{printf "%s%% k=%s", (l=="NA"?"NA":sprintf("%.3f",l)) (x>l?"(max "x")":""), k}'
    fi
}
med() { stats "$@" | awk '{print $1}'; } # file name size col -> median
fig() { # file name size col unit -> "median [min..max] unit"
    local m a b
    read -r m a b < <(stats "$1" "$2" "$3" "$4")
    fmt_fig "$m" "$a" "$b" "$5"
}
fmt_pps() { # median min max -> "1.23M [..] pkt/s"
    awk -v m="$1" -v a="$2" -v b="$3" 'function f(x) { return x >= 1e6 ? sprintf("%.2fM", x/1e6) : sprintf("%.0fk", x/1e3) }
        BEGIN{ if (m=="NA") { print "NA"; exit } printf "%s [%s..%s] pkt/s", f(m), f(a), f(b) }'
}
pps_fig() { # file name size col
    local m a b
    read -r m a b < <(stats "$1" "$2" "$3" "$4")
    fmt_pps "$m" "$a" "$b"
}
