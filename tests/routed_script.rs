//! tests/netns-routed itself (the network of tests/routed_*.rs: two segments
//! joined by smcrouted): it refuses to run outside the runner's private
//! namespace.

mod support;

use support::*;

/// netns-routed refuses to run outside tests/netns-run (MC_NETNS != 1),
/// before it touches anything.
#[test]
fn routed_script_refuses_outside_runner() {
    assert_refuses_outside_runner("tests/netns-routed");
}
