//! `entrepot-bench <suite> [--quick]`: benchmark programs. Each prints a table for people
//! and ends with one machine-readable `RESULT suite=<suite> key=value ...` line.

mod abuse_suite;
mod alloc;
mod betting_search;
mod betting_suite;
mod engine_suite;
mod marketdata_suite;
mod peers;
mod plugins_suite;
mod report;
mod server_suite;
mod stream;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    match args.first().map(String::as_str) {
        Some("engine") => engine_suite::run(quick),
        Some("server") => server_suite::run(quick),
        Some("plugins") => plugins_suite::run(quick),
        Some("betting") => betting_suite::run(quick),
        Some("abuse") => abuse_suite::run(quick),
        Some("marketdata") => marketdata_suite::run(quick),
        // Internal: the peer process of the server suite's transport ceiling.
        Some("echo-server") => {
            let addr = args.get(1).and_then(|a| a.parse().ok()).expect("echo-server <addr>");
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
            rt.block_on(server_suite::echo_server(addr)).expect("echo server");
        }
        _ => {
            eprintln!("usage: entrepot-bench <engine|server|plugins|betting|abuse|marketdata> [--quick]");
            std::process::exit(2);
        }
    }
}
