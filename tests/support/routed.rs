//! Helpers of the routed tests (tests/routed_*.rs): the network that
//! tests/netns-routed builds inside the runner's private namespace (hosts
//! ha and a2 on segment A, hb on segment B, the router r running smcrouted),
//! the outer run that checks the prerequisites (tools; multicast routing in
//! the kernel, probed with MRT_INIT / MRT6_INIT) and re-runs one test alone
//! inside tests/netns-routed, and, in that inner run, commands on a host and
//! mcsend on ha.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::process::*;
use super::{have, require_kernel, require_netns, require_tool, root, CTest, Feature};

/// Sender host ha on segment A.
pub const HA4: &str = "192.0.2.10";
pub const HA6: &str = "fd42:1::10";
/// Listener host hb on segment B (its IPv6 reports come from fe80::20).
pub const HB4: &str = "198.51.100.20";
pub const HB_LL6: &str = "fe80::20";
pub const PORT: &str = "4242";
/// The inner run's environment variable: the name of the test to run.
const INNER: &str = "MC_ROUTED_TEST";

// ---------------------------------------------------------------------------
// Outer run: tools, then the test again inside tests/netns-routed

/// The network of the test: with the router (smcrouted, which needs
/// multicast routing in the kernel for both families: its setup routes
/// 224.0.0.0/4 and ff00::/8), or the two segments without it.
#[derive(Clone, Copy, PartialEq)]
pub enum Router {
    Yes,
    No,
}

/// True if the tools and the kernel features of the network are here;
/// otherwise the test is skipped visibly and recorded for make test's
/// summary (support::require_tool, require_kernel). A missing tool fails
/// under MC_REQUIRE_ALL=1 (CI); a kernel without multicast routing never
/// does: nothing can be installed to get it.
fn routed_prerequisites(router: Router) -> bool {
    if router == Router::Yes
        && !(require_kernel(Feature::MulticastRouting)
            && require_kernel(Feature::MulticastRouting6))
    {
        return false;
    }
    (router == Router::No || require_tool("smcrouted", "smcroute"))
        && require_tool("tshark", "tshark")
}

/// routed_hold (tests/c/routed_hold.c), compiled once per process (support::ctest).
pub fn routed_hold() -> PathBuf {
    if let Ok(p) = std::env::var("MC_ROUTED_HOLD") {
        return PathBuf::from(p);
    }
    CTest::new("routed_hold").build()
}

/// Outside: runs the test `test` alone inside tests/netns-routed and
/// returns true once it passed (or was skipped). Inside: returns false, and
/// the test goes on.
pub fn rerun_routed(test: &str, router: Router) -> bool {
    require_netns();
    if std::env::var(INNER).as_deref() == Ok(test) {
        assert_eq!(std::env::var("MC_ROUTED").as_deref(), Ok("1"));
        return false;
    }
    if !routed_prerequisites(router) {
        return true;
    }
    for t in ["python3", "unshare", "setpriv", "ip", "bridge"] {
        assert!(
            have(t),
            "{t} is required by the routed tests (apt-get install -y python3 util-linux iproute2)"
        );
    }
    let mut c = Command::new(root().join("tests/netns-routed"));
    if router == Router::No {
        c.arg("--no-router");
    }
    c.arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(INNER, test)
        .env("MC_EXAMPLE_MCSEND", bin("mcsend"))
        .env("MC_EXAMPLE_MCLISTEN", bin("mclisten"))
        .env("MC_ROUTED_HOLD", routed_hold());
    let d = Proc::start(c, b"").finish(Duration::from_secs(60));
    assert_eq!(d.code(), Some(0), "{}", d.context());
    assert!(d.out.contains("1 passed"), "{}", d.context());
    // the figures (the harness writes "test NAME ... " before the first)
    for l in d
        .out
        .lines()
        .filter_map(|l| l.find("routed: ").map(|i| &l[i..]))
    {
        println!("{l}");
    }
    true
}

// ---------------------------------------------------------------------------
// Inner run: the hosts

/// `ip netns exec HOST PROG ARGS...`
pub fn on(host: &str, prog: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", host]).arg(prog).args(args);
    c
}

/// The inner run's scratch directory (MC_ROUTED_DIR, made by netns-routed).
pub fn scratch_dir() -> PathBuf {
    PathBuf::from(std::env::var("MC_ROUTED_DIR").expect("MC_ROUTED_DIR (set by netns-routed)"))
}

/// mcsend on ha: one datagram `text` to group with TTL / hop limit `ttl`.
pub fn send_from_a(group: &str, ttl: u8, text: &str) {
    let t = ttl.to_string();
    let d = Proc::start(
        on(
            "ha",
            bin("mcsend"),
            &["-i", "mc0", "-t", &t, group, PORT, text],
        ),
        b"",
    )
    .finish(LIMIT)
    .expect(0);
    assert!(
        d.out
            .contains(&format!("(ttl {ttl}, interface mc0): {text}")),
        "{}",
        d.context()
    );
}
