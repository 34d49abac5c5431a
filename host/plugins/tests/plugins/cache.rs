//! The compile cache: a second load of the same wasm comes from disk, fast.

use std::time::Instant;

use entrepot_plugins::{Runtime, RuntimeConfig};

use crate::common::*;

#[test]
fn second_load_comes_from_the_cache() {
    init_tracing();
    let cache = tempfile::tempdir().unwrap();
    let config = RuntimeConfig { cache_dir: Some(cache.path().join("nested")), ..RuntimeConfig::default() };
    let cold = Runtime::new(config.clone()).unwrap().load(&manifest("price-band")).unwrap();
    assert!(!cold.from_cache());
    let files: Vec<_> = std::fs::read_dir(cache.path().join("nested")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with(&cold.hash_hex()) && files[0].ends_with(".cwasm"), "{files:?}");

    // Another runtime (a restarted server) with the same settings.
    let runtime = Runtime::new(config).unwrap();
    let start = Instant::now();
    let warm = runtime.load(&manifest("price-band")).unwrap();
    let warm_ms = start.elapsed().as_secs_f64() * 1e3;
    assert!(warm.from_cache());
    assert_eq!(warm.hash, cold.hash);
    eprintln!(
        "price-band load: cold {:.1} ms, from cache {:.1} ms ({warm_ms:.1} ms wall)",
        cold.load_time().as_secs_f64() * 1e3,
        warm.load_time().as_secs_f64() * 1e3
    );
    assert!(warm.load_time() * 3 < cold.load_time(), "cache {:?} vs compile {:?}", warm.load_time(), cold.load_time());

    // A corrupt entry is ignored and rewritten.
    let entry = cache.path().join("nested").join(&files[0]);
    std::fs::remove_file(&entry).unwrap();
    std::fs::write(&entry, b"garbage").unwrap();
    let again = runtime.load(&manifest("price-band")).unwrap();
    assert!(!again.from_cache());
    assert!(runtime.load(&manifest("price-band")).unwrap().from_cache());
}

#[test]
fn no_cache_dir_compiles_every_time() {
    init_tracing();
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    assert!(!runtime.load(&manifest("trap")).unwrap().from_cache());
    assert!(!runtime.load(&manifest("trap")).unwrap().from_cache());
}
