//! Load errors name the file and say what to fix.

use entrepot_plugins::{PluginError, World};

use crate::common::*;

fn load_err(path: &std::path::Path) -> String {
    let err = runtime().load(path).expect_err("the load must fail");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()) || !matches!(err, PluginError::Manifest { .. }), "{text}");
    text
}

#[test]
fn unknown_world() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "price-band", |t| t.replace("world = \"market-rules\"", "world = \"market-maker\""));
    let err = load_err(&path);
    assert!(err.contains("unknown world \"market-maker\""), "{err}");
    assert!(err.contains("market-rules, bet-type, notifier"), "{err}");
}

#[test]
fn wrong_wit_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "price-band", |t| t.replace("entrepot:plugin@0.2.0", "entrepot:plugin@0.1.0"));
    let err = load_err(&path);
    assert!(err.contains("targets WIT package \"entrepot:plugin@0.1.0\""), "{err}");
    assert!(err.contains("supports \"entrepot:plugin@0.2.0\" only"), "{err}");
}

#[test]
fn missing_wasm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lonely.toml");
    std::fs::copy(manifest("price-band"), &path).unwrap();
    let err = load_err(&path);
    assert!(err.contains("cannot read the wasm of plugin \"price-band\""), "{err}");
    assert!(err.contains(&dir.path().join("lonely.wasm").display().to_string()), "{err}");
}

#[test]
fn missing_manifest() {
    let err = runtime().load(std::path::Path::new("/nonexistent/x.toml")).unwrap_err().to_string();
    assert!(err.starts_with("cannot read plugin manifest /nonexistent/x.toml"), "{err}");
}

#[test]
fn unknown_key_and_bad_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "typo", |t| t + "\n[limits]\nfule = 10\n");
    let err = load_err(&path);
    assert!(err.contains("unknown field `…`") && !err.contains("fule"), "the error names the problem but echoes nothing of the file: {err}");
    let path = variant(dir.path(), "price-band", "typed", |t| t + "\n[limits]\nfuel = \"lots\"\n");
    assert!(load_err(&path).contains("invalid type"));
}

#[test]
fn not_a_component() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "junk", |t| t);
    std::fs::write(dir.path().join("junk.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let err = load_err(&path);
    assert!(err.contains("is not a valid WebAssembly component"), "{err}");
}

#[test]
fn world_mismatch() {
    // A market-rules component declared as a notifier does not export `notify`.
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "liar", |t| {
        t.replace("world = \"market-rules\"", "world = \"notifier\"").replace("markets = []", "events = [\"order-filled\"]")
    });
    let err = runtime().load(&path).unwrap_err();
    assert!(matches!(err, PluginError::WorldMismatch { world: World::Notifier, .. }), "{err}");
    assert!(err.to_string().contains("entrepot:plugin/notify@0.2.0"), "{err}");
}
