//! build.zig - builds example.zig against an installed libmulticast (Zig 0.17):
//!
//!   PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig zig build --prefix out
//!   LD_LIBRARY_PATH=$PREFIX/lib tests/netns-run out/bin/zig-example   (never on a real network)
//!
//! The C API comes from the build system's C import: addTranslateC turns multicast.h into
//! a Zig module (Zig 0.16 and later have no @cImport), and linkSystemLibrary("multicast")
//! asks pkg-config (multicast.pc, installed by `make install`) for the include directory
//! and the library, as a C build would.
const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});

    const c = b.addTranslateC(.{
        .root_source_file = b.path("multicast_c.h"),
        .target = target,
        .optimize = optimize,
    });
    c.linkSystemLibrary("multicast", .{});

    const exe = b.addExecutable(.{
        .name = "zig-example",
        .root_module = b.createModule(.{
            .root_source_file = b.path("example.zig"),
            .target = target,
            .optimize = optimize,
            .link_libc = true,
            .imports = &.{.{ .name = "multicast", .module = c.createModule() }},
        }),
    });
    b.installArtifact(exe);
}
