//! example.zig - libmulticast from Zig through its C header: sends a few packets with
//! mc_sendto / mc_sendto_many and receives them with a listener whose callback is a Zig
//! function (callconv(.c)) and whose filter is an `export fn`, printing senders with
//! mc_addr_format; then a timer (mc_timer_new) ticks a few times and stops the loop.
//! Exits 0 only if exactly the expected packets arrived, in order, and the timer ticked
//! as many times as it should.
//!
//!   PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig zig build --prefix out     (build.zig)
//!   LD_LIBRARY_PATH=$PREFIX/lib tests/netns-run out/bin/zig-example  (never on a real network)
//!
//! Written for Zig 0.17 (PyPI's ziglang 0.17.1): the C API is the module "multicast" that
//! build.zig makes from multicast.h with the build system's translate-c (Zig 0.16 and
//! later have no @cImport).
const std = @import("std");
const c = @import("multicast"); // multicast.h, translated by build.zig

const port: u16 = 42422;
const group = c.MC_DEFAULT_GROUP;
const expected = [_][]const u8{ "zig-one", "zig-two", "zig-three", "zig-four" };

/// What the callback collected; the C user_data points at it.
const Received = struct {
    count: usize = 0,
    bad: usize = 0,
    stopped: bool = false,
};

/// The packet handler: checks each packet against `expected`; returning non-zero after
/// the last one stops the listener (the library closes and frees it).
fn onPacket(user_data: ?*anyopaque, packet: [*c]const c.mc_packet) callconv(.c) c_int {
    const r: *Received = @ptrCast(@alignCast(user_data.?));
    const p = packet.*;
    const data = p.data[0..p.len];
    var from: [c.MC_ADDR_STRLEN]u8 = undefined;
    const n = c.mc_addr_format(&p.from, &from, from.len);
    if (n < 0) fail("mc_addr_format", n);
    std.debug.print("received \"{s}\" ({d} bytes from {s}, to port {d})\n", .{
        data, p.size, from[0..@intCast(n)], p.group.port,
    });
    if (r.count >= expected.len or !std.mem.eql(u8, data, expected[r.count]) or p.group.port != port) {
        r.bad += 1;
    }
    r.count += 1;
    if (r.count == expected.len) {
        r.stopped = true;
        return 1;
    }
    return 0;
}

/// The filter, exported with the C ABI: drops packets that start with "skip".
export fn zig_example_filter(user_data: ?*anyopaque, packet: [*c]const c.mc_packet) c_int {
    _ = user_data;
    const p = packet.*;
    return if (std.mem.startsWith(u8, p.data[0..p.len], "skip")) 0 else 1;
}

/// The timer's state; its user_data points at it.
const Ticks = struct {
    poller: ?*c.mc_poller,
    count: u32 = 0,
    limit: u32,
    timed_out: bool = false,
};

/// The timer function: counts the ticks; at the limit it disarms the timer and stops
/// the loop (mc_stop), from inside the poller's dispatch.
fn onTick(user_data: ?*anyopaque, t: ?*c.mc_timer) callconv(.c) void {
    const k: *Ticks = @ptrCast(@alignCast(user_data.?));
    k.count += 1;
    std.debug.print("tick {d}\n", .{k.count});
    if (k.count == k.limit) {
        const rc = c.mc_timer_stop(t);
        if (rc < 0) fail("mc_timer_stop", rc);
        c.mc_stop(k.poller);
    }
}

/// A watchdog timer: stops the loop if the ticks never end it.
fn onWatchdog(user_data: ?*anyopaque, t: ?*c.mc_timer) callconv(.c) void {
    _ = t;
    const k: *Ticks = @ptrCast(@alignCast(user_data.?));
    k.timed_out = true;
    c.mc_stop(k.poller);
}

fn fail(what: []const u8, rc: c_int) noreturn {
    std.debug.print("FAILED: {s}: {d} ({s}): {s}\n", .{
        what, rc, std.mem.span(c.mc_strerror(rc)), std.mem.span(c.mc_last_error()),
    });
    std.process.exit(1);
}

pub fn main() void {
    std.debug.print("libmulticast {s} from Zig {s}\n", .{ std.mem.span(c.mc_version()), @import("builtin").zig_version_string });

    var poller: ?*c.mc_poller = null;
    var rc = c.mc_poller_new(&poller);
    if (rc < 0) fail("mc_poller_new", rc);
    defer c.mc_poller_free(poller);

    const opts = c.mc_opts_new() orelse fail("mc_opts_new", c.MC_EINVAL);
    defer c.mc_opts_free(opts);
    rc = c.mc_opts_set_port(opts, port);
    if (rc < 0) fail("mc_opts_set_port", rc);

    // A bad group is refused with MC_EADDRESS and a message; the options stay as they were.
    rc = c.mc_opts_set_group(opts, "10.1.2.3");
    if (rc != c.MC_EADDRESS) fail("mc_opts_set_group(10.1.2.3) should be MC_EADDRESS", rc);
    std.debug.print("expected error: {s}\n", .{std.mem.span(c.mc_last_error())});

    var received = Received{};
    var listener: ?*c.mc_listener = null;
    rc = c.mc_listener_new(poller, opts, onPacket, &received, &listener);
    if (rc < 0) fail("mc_listener_new", rc);
    rc = c.mc_listener_set_filter(listener, zig_example_filter, null);
    if (rc < 0) fail("mc_listener_set_filter", rc);

    // One at a time with mc_sendto...
    for ([_][]const u8{ "zig-one", "skip-me", "zig-two" }) |pkt| {
        rc = c.mc_sendto(pkt.ptr, pkt.len, group, port, c.MC_TTL_HOST);
        if (rc != @as(c_int, @intCast(pkt.len))) fail("mc_sendto", rc);
    }
    // ...and a batch with mc_sendto_many.
    const batch = [_]c.mc_buf{
        .{ .data = "skip-this-too", .len = 13 },
        .{ .data = "zig-three", .len = 9 },
        .{ .data = "zig-four", .len = 8 },
    };
    rc = c.mc_sendto_many(&batch, batch.len, group, port, c.MC_TTL_HOST);
    if (rc != batch.len) fail("mc_sendto_many", rc);

    var polls: usize = 0;
    while (!received.stopped and polls < 50) : (polls += 1) {
        rc = c.mc_poll(poller, 100);
        if (rc < 0) fail("mc_poll", rc);
    }

    if (received.count != expected.len or received.bad != 0 or !received.stopped) {
        std.debug.print("FAILED: got {d} packets ({d} unexpected), expected {d}\n", .{ received.count, received.bad, expected.len });
        std.process.exit(1);
    }
    std.debug.print("OK: {d} packets arrived as expected (2 filtered out)\n", .{received.count});

    // A timer: every 10 ms from 5 ms on, five ticks, then it stops the loop itself.
    var ticks = Ticks{ .poller = poller, .limit = 5 };
    var timer: ?*c.mc_timer = null;
    rc = c.mc_timer_new(poller, 5, 10, onTick, &ticks, &timer);
    if (rc < 0) fail("mc_timer_new", rc);
    defer c.mc_timer_close(timer);
    var watchdog: ?*c.mc_timer = null;
    rc = c.mc_timer_new(poller, 5000, 0, onWatchdog, &ticks, &watchdog);
    if (rc < 0) fail("mc_timer_new (watchdog)", rc);
    defer c.mc_timer_close(watchdog);
    // An interval above 2147483647 ms is refused.
    var bad: ?*c.mc_timer = null;
    rc = c.mc_timer_new(poller, 0, 0x80000000, onTick, &ticks, &bad);
    if (rc != c.MC_EINVAL or bad != null) fail("mc_timer_new(interval 2^31) should be MC_EINVAL", rc);

    rc = c.mc_loop(poller, -1, 0);
    if (rc < 0) fail("mc_loop", rc);
    if (ticks.count != ticks.limit or ticks.timed_out) {
        std.debug.print("FAILED: the timer ticked {d} times (timed out: {}), expected {d}\n", .{ ticks.count, ticks.timed_out, ticks.limit });
        std.process.exit(1);
    }
    // Stopped: polling again runs it no more.
    rc = c.mc_poll(poller, 30);
    if (rc < 0) fail("mc_poll", rc);
    if (ticks.count != ticks.limit) fail("a stopped timer ticked", c.MC_EINVAL);
    std.debug.print("OK: the timer ticked {d} times and stopped the loop\n", .{ticks.count});
}
