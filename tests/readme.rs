//! README.md's C++ and Python snippets, as a reader copies them: the ```cpp block
//! compiled (-std=c++17 -Werror, inside a main) and run, the ```python block run with
//! its last line's comment checked, both against the freshly built library inside the
//! runner's private namespace.

mod support;
use std::process::Command;
use support::*;

/// The first fenced block of `lang` in README.md.
fn readme_block(lang: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find(&format!("\n```{lang}\n"))
        .unwrap_or_else(|| panic!("README.md has no ```{lang} block"));
    let body = &readme[start + lang.len() + 5..];
    body[..body.find("\n```").unwrap()].to_string()
}

#[test]
fn readme_cpp_snippet_compiles_and_receives() {
    require_netns();
    if !require_tool("c++", "g++") {
        return;
    }
    // Its #include and using lines above main, the statements inside: nothing added.
    let block = readme_block("cpp");
    let (head, body): (Vec<&str>, Vec<&str>) = block
        .lines()
        .partition(|l| l.starts_with("#include") || l.starts_with("using "));
    let program = format!(
        "{}\nint main() {{\n{}\n}}\n",
        head.join("\n"),
        body.join("\n")
    );
    let src = scratch().join("readme_snippet.cpp");
    std::fs::write(&src, program).unwrap();
    let include = format!("-I{}", root().join("bindings/cpp").display());
    let bin = compile_with(
        "readme_snippet_cpp",
        &[src.to_str().unwrap()],
        lib_dir(),
        &[&include],
    );
    let o = run_ok(&mut Command::new(&bin));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("hello from 127.0.0.1:"), "{out}");
}

#[test]
fn readme_python_snippet_runs_and_gets_what_it_says() {
    require_netns();
    if !require_tool("python3", "python3") {
        return;
    }
    // The last line is `EXPR  # VALUE`: the snippet runs, then EXPR must equal VALUE.
    let block = readme_block("python");
    let mut lines: Vec<&str> = block.lines().collect();
    let last = lines.pop().unwrap();
    let (expr, value) = last.split_once('#').expect("last line: EXPR  # VALUE");
    let script = format!(
        "{}\ngot = {}\nassert got == {}, got\nprint('ok', got)\n",
        lines.join("\n"),
        expr.trim(),
        value.trim()
    );
    let o = run_ok(
        Command::new("python3")
            .args(["-c", &script])
            .env("PYTHONPATH", root().join("bindings/python"))
            .env("MULTICAST_LIB", lib_dir()),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok b'hello'"));
}
