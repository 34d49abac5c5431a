//! `cargo xtask <task>`: the project's entry points, so that a fresh machine needs only
//! `cargo`. Std only, so it builds in a second.
//!
//! - `run [-- serve flags]`: build and start the server (`entrepot serve`).
//! - `test`: every test of the workspace, release mode (the README's test command).
//! - `bench <suite> [--quick]`: a benchmark program (`engine`, `server`).
//! - `sim [-- flags]`: the offline economy simulator.

use std::process::{exit, Command};

const SUITES: &[&str] = &["engine", "server"];

fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    cmd
}

fn run(mut cmd: Command) {
    let status = cmd.status().unwrap_or_else(|e| {
        eprintln!("xtask: cannot run {cmd:?}: {e}");
        exit(2)
    });
    if !status.success() {
        exit(status.code().unwrap_or(1));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).filter(|a| *a != "--").collect();
    match args.first().map(String::as_str) {
        Some("run") => {
            let mut cmd = cargo(&["run", "--release", "-p", "entrepot-server", "--bin", "entrepot", "--", "serve"]);
            cmd.args(&rest);
            run(cmd);
        }
        Some("test") => {
            let mut cmd = cargo(&["test", "--workspace", "--release"]);
            cmd.args(&rest);
            run(cmd);
        }
        Some("bench") => {
            let Some(suite) = rest.first().copied().filter(|s| SUITES.contains(s)) else {
                eprintln!("usage: cargo xtask bench <suite> [--quick]; suites: {}", SUITES.join(", "));
                exit(2)
            };
            // The server suite starts the real `entrepot` binary: build it first.
            if suite == "server" {
                run(cargo(&["build", "--release", "-p", "entrepot-server", "--bin", "entrepot"]));
            }
            let mut cmd = cargo(&["run", "--release", "-p", "entrepot-bench", "--"]);
            cmd.args(&rest);
            run(cmd);
        }
        Some("sim") => {
            let mut cmd = cargo(&["run", "--release", "-p", "entrepot-sim", "--"]);
            cmd.args(&rest);
            run(cmd);
        }
        _ => {
            eprintln!("usage: cargo xtask <run|test|bench <suite> [--quick]|sim> [args]");
            exit(2)
        }
    }
}
