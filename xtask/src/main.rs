//! `cargo xtask <task>`: the project's entry points, so that a fresh machine needs only
//! `cargo`. Std only, so it builds in a second.
//!
//! - `run [-- serve flags]`: build and stage the plugins, then build and start the server
//!   (`entrepot serve`) with the demo plugin set (`demo.rs`): bet types, mail notifier, and
//!   broker-fee bound to three demo markets.
//! - `test`: build and stage the plugins, run their native tests, then every test of the
//!   workspace in release mode (the README's test command).
//! - `bench <suite> [--quick]`: a benchmark program (`engine`, `server`, `plugins`,
//!   `betting`, `abuse`, `marketdata`).
//! - `sim [-- flags]`: the offline economy simulator.
//! - `plugins`: build the plugins workspace for wasm32-wasip2 and stage every plugin as
//!   `<target-dir>/plugins/<name>.wasm` + `<name>.toml`.
//! - `new-plugin <name> --world <market-rules|bet-type|notifier> [--dir <path>]`: start a
//!   plugin project from a working template.

mod demo;
mod new_plugin;
mod plugins;

use std::path::PathBuf;
use std::process::{exit, Command};

const SUITES: &[&str] = &["engine", "server", "plugins", "betting", "abuse", "marketdata"];

fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    cmd
}

fn run(mut cmd: Command) {
    let status = cmd.status().unwrap_or_else(|e| fail(&format!("cannot run {cmd:?}: {e}")));
    if !status.success() {
        exit(status.code().unwrap_or(1));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("xtask: {message}");
    exit(2)
}

/// The repository: xtask lives one level below it. `cargo run` sets `CARGO_MANIFEST_DIR`
/// at run time too, which stays right if a warm target directory outlives a moved clone.
fn repo_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().expect("xtask sits inside the repository").to_path_buf()
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` (relative to the current directory,
/// as cargo reads it) or `<repo>/target`. Absolute, so it can be handed to other tools.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => std::env::current_dir().unwrap_or_default().join(dir),
        None => repo_root().join("target"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).filter(|a| *a != "--").collect();
    match args.first().map(String::as_str) {
        Some("run") => {
            let staged = plugins::build_and_stage();
            let mut cmd = cargo(&["run", "--release", "-p", "entrepot-server", "--bin", "entrepot", "--", "serve"]);
            cmd.args(&rest);
            // An operator's own plugins directory wins over the demo set.
            if std::env::var_os("ENTREPOT_PLUGINS_DIR").is_none() {
                let demo = demo::plugins(&staged, &target_dir()).unwrap_or_else(|e| fail(&format!("demo plugins: {e}")));
                cmd.env("ENTREPOT_PLUGINS_DIR", demo);
            }
            run(cmd);
        }
        Some("test") => {
            let staged = plugins::build_and_stage();
            run(plugins::native_tests());
            let mut cmd = cargo(&["test", "--workspace", "--release"]);
            cmd.args(&rest).env("ENTREPOT_PLUGIN_DIR", &staged);
            run(cmd);
        }
        Some("bench") => {
            let Some(suite) = rest.first().copied().filter(|s| SUITES.contains(s)) else {
                fail(&format!("usage: cargo xtask bench <suite> [--quick]; suites: {}", SUITES.join(", ")))
            };
            // The server suite starts the real `entrepot` binary: build it first.
            if matches!(suite, "server" | "abuse") {
                run(cargo(&["build", "--release", "-p", "entrepot-server", "--bin", "entrepot"]));
            }
            let mut cmd = cargo(&["run", "--release", "-p", "entrepot-bench", "--"]);
            // The plugins and betting suites run the real compiled plugins: build and stage them first.
            if matches!(suite, "plugins" | "betting") {
                cmd.env("ENTREPOT_PLUGIN_DIR", plugins::build_and_stage());
            }
            cmd.args(&rest);
            run(cmd);
        }
        Some("sim") => {
            let mut cmd = cargo(&["run", "--release", "-p", "entrepot-sim", "--"]);
            cmd.args(&rest);
            run(cmd);
        }
        Some("plugins") => {
            let staged = plugins::build_and_stage();
            println!("{}", staged.display());
        }
        Some("new-plugin") => new_plugin::main(&rest),
        _ => fail("usage: cargo xtask <run|test|bench <suite> [--quick]|sim|plugins|new-plugin <name> --world <world> [--dir <path>]> [args]"),
    }
}
