//! Writes multicast::fuzzing::seeds of the targets named (all without a
//! name) into DIR/NAME/seed-N: fuzz/run.sh runs it for a target whose
//! corpus is empty. An example, not a bin, so that cargo fuzz does not take
//! it for a target.
//!
//!     seeds DIR [NAME...]
fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: seeds DIR [NAME...]"));
    let names: Vec<String> = args.collect();
    for (name, _) in multicast::fuzzing::TARGETS {
        if !names.is_empty() && !names.iter().any(|n| n == name) {
            continue;
        }
        let d = dir.join(name);
        std::fs::create_dir_all(&d).expect("corpus directory");
        for (i, s) in multicast::fuzzing::seeds(name).iter().enumerate() {
            std::fs::write(d.join(format!("seed-{i}")), s).expect("writing a seed");
        }
    }
}
