//! UDP GSO and GRO from C (tests/c/gso.c, through support::ctest), once per
//! environment that differs: on lo in the runner's namespace (natively, under
//! valgrind, and built with AddressSanitizer), and over a veth pair under
//! tests/netns-veth (an MTU that shrinks under a GSO sender; IPv6, with a
//! GSO sender in the peer's netns). Each test needs the kernel's UDP GSO (and
//! GRO): without it, it is skipped visibly (support::kernel).

mod support;
use support::*;

/// GSO/GRO on lo: mc_sendto_many's runs are GSO sends (a GRO listener counts
/// coalesced runs) and a plain socket still gets every datagram byte-exact
/// and in order (mixed sizes, short last segments); GRO listeners deliver
/// each datagram alone (sizes, truncation at the mtu, a per-datagram filter,
/// stats, pull mode) exactly as with GRO off; multicasters with GSO on/off.
/// Then under valgrind.
#[test]
fn gso_gro_on_lo() {
    if !kernel::gso_and_gro() {
        return;
    }
    CTest::new("gso").case("lo").valgrind().run();
}

/// gso_gro_on_lo built with AddressSanitizer.
#[test]
fn gso_gro_on_lo_under_asan() {
    if !kernel::gso_and_gro() {
        return;
    }
    CTest::new("gso").case("lo").asan().run();
}

/// The GSO fallback loses and duplicates nothing: a multicaster sends 2,000
/// numbered 1400-byte packets while mc0's MTU drops from 1500 to 576
/// halfway (a GSO send with segments above the MTU is refused); the peer's
/// plain socket gets each exactly once.
#[test]
fn gso_fallback_when_the_mtu_shrinks() {
    if !require_kernel(Feature::UdpGso) {
        return;
    }
    CTest::new("gso").case("fallback").veth().timeout(60).run();
}

/// IPv6 over a veth: a GSO burst reaches the peer's plain socket whole, and
/// a GSO multicaster in the peer's netns feeds a GRO listener here.
#[test]
fn gso_gro_ipv6_veth() {
    if !kernel::gso_and_gro() {
        return;
    }
    CTest::new("gso").case("v6").veth().timeout(60).run();
}
