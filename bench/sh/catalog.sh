# bench/sh/catalog.sh - sourced by bench/run.sh (inside the namespace, after the
# settings): every trial name, the program it runs, its sender, packet count and sizes,
# and how the table describes it. Needs SCALE_L, NGROUPS, GCOUNT, GRPCOUNT, HAVE_UV.

# receivers: name -> command (lib_recv uses the library's default buffer request and mtu;
# the baselines ask for the same 4 MiB SO_RCVBUF, their own default)
RX_NAMES=(raw mmsg)
[ "$HAVE_UV" = 1 ] && RX_NAMES+=(uv)
[ "$HAVE_UV" = 1 ] && [ -n "${UVMMSG:-}" ] && RX_NAMES+=(uv_mmsg)
RX_NAMES+=(lib lib_nogro lib_ts lib_ttl lib_blk8)
[ -z "${NOCOALESCE:-}" ] && RX_NAMES+=(lib_d1ms)
RX_NAMES+=(gro_ceil lib_lib mcast_lib lib_mmsg)
# a trial is a receiver (RX_CMD) fed by a sender (RX_TX, default sender.c sendmmsg x64
# at full rate) with RX_COUNT packets (default COUNT), in the sizes RX_SIZES (default both)
declare -A RX_CMD=(
    [raw]="./recv_raw"
    [mmsg]="./recv_mmsg"
    [uv]="./recv_uv"
    [uv_mmsg]="./recv_uv -M"
    [lib]="./lib_recv"
    [lib_nogro]="./lib_recv -G 0"
    [lib_ts]="./lib_recv -t"
    [lib_ttl]="./lib_recv -y"
    [lib_blk8]="./lib_recv -X 8"
    [lib_d1ms]="./lib_recv -d 1000"
    [gro_ceil]="./recv_mmsg -G 1"
    [lib_lib]="./lib_recv"
    [mcast_lib]="./lib_recv"
    [lib_mmsg]="./recv_mmsg"
    [scale1]="./lib_scale -L 0"
    [scaleN]="./lib_scale -L $SCALE_L"
    [grp_1xN]="./lib_recv -N $NGROUPS -J"
    [grp_Nx1]="./lib_recv -N $NGROUPS"
)
declare -A RX_DESC=(
    [raw]="raw recvfrom + epoll"
    [mmsg]="raw recvmmsg x64 + epoll"
    [uv]="libuv uv_udp"
    [uv_mmsg]="libuv uv_udp + RECVMMSG"
    [lib]="lib listener on_packet (GRO on)"
    [lib_nogro]="lib listener, GRO off"
    [lib_ts]="lib listener + timestamps"
    [lib_ttl]="lib listener + received TTL"
    [lib_blk8]="lib listener + 8 blocked sources"
    [lib_d1ms]="lib + coalesce 1 ms (opt-in)"
    [gro_ceil]="raw GSO -> raw GRO (ceiling)"
    [lib_lib]="lib sendto_many -> lib (GRO)"
    [mcast_lib]="multicaster -> lib (GRO)"
    [lib_mmsg]="lib sendto_many -> raw recvmmsg"
    [scale1]="lib, 1 listener on poller"
    [scaleN]="lib, +$SCALE_L idle listeners"
    [grp_1xN]="lib, 1 listener x $NGROUPS groups"
    [grp_Nx1]="lib, $NGROUPS listeners x 1 group"
)
declare -A RX_TX=(
    [gro_ceil]="./sender -m gso -B 64"
    [lib_lib]="./lib_send -m many -B 64"
    [mcast_lib]="./lib_send -m mcast"
    [lib_mmsg]="./lib_send -m many -B 64"
    [grp_1xN]="./sender -m mmsg -N $NGROUPS"
    [grp_Nx1]="./sender -m mmsg -N $NGROUPS"
)
declare -A RX_COUNT=([gro_ceil]=$GCOUNT [lib_lib]=$GCOUNT [mcast_lib]=$GCOUNT [grp_1xN]=$GRPCOUNT [grp_Nx1]=$GRPCOUNT)
declare -A RX_SIZES=([lib_ts]=64 [lib_ttl]=64 [lib_blk8]=64 [grp_1xN]=64 [grp_Nx1]=64)
SIZES=(64 1400)

# senders alone, no receiver
declare -A TX_CMD=(
    [raw_sendto]="./sender -m sendto"
    [lib_sendto]="./lib_send -m sendto"
    [raw_mmsg]="./sender -m mmsg -B 64"
    [lib_many]="./lib_send -m many -B 64"
    [lib_mcast]="./lib_send -m mcast"
    [raw_gso]="./sender -m gso -B 64"
)
declare -A TX_DESC=(
    [raw_sendto]="raw sendto (prepared socket)"
    [lib_sendto]="lib mc_sendto"
    [raw_mmsg]="raw sendmmsg x64"
    [lib_many]="lib mc_sendto_many x64 (GSO)"
    [lib_mcast]="lib multicaster (array, GSO)"
    [raw_gso]="raw UDP_SEGMENT x64 (ceiling)"
)
# senders that use GSO send GCOUNT packets (SCOUNT would take a few ms)
declare -A TX_COUNT=([lib_many]=$GCOUNT [lib_mcast]=$GCOUNT [raw_gso]=$GCOUNT)
TX_NAMES=(raw_sendto lib_sendto raw_mmsg lib_many lib_mcast raw_gso)

# receivers that are library listeners (their loss target is 0; they report lib= drops)
LIBRX='^(lib|lib_nogro|lib_ts|lib_ttl|lib_blk8|lib_d1ms|lib_lib|mcast_lib|scale1|scaleN|grp_1xN|grp_Nx1)$'
