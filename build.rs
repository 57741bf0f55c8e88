//! Generates include/multicast.h with cbindgen (written only when its
//! content changes) and links the shared library as distributions expect:
//! soname libmulticast.so.0, only mc_* symbols exported.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets it");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmulticast.so.{major}");
    let script = dir.join("src/ffi/exports.map");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        script.display()
    );
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("generating include/multicast.h");
    let mut out = Vec::new();
    bindings.write(&mut out);
    let path = dir.join("include/multicast.h");
    if std::fs::read(&path).ok().as_deref() != Some(&out[..]) {
        std::fs::create_dir_all(dir.join("include")).expect("include/");
        std::fs::write(&path, &out).expect("writing include/multicast.h");
    }
}
