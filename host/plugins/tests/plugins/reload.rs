//! Hot reload: installing a plugin of the same name replaces it, quickly.

use std::time::Instant;

use entrepot_core::rules::Rules;

use crate::common::*;

#[test]
fn hot_reload_replaces_the_plugin() {
    let v1 = load("price-band");
    let mut host = host_with([v1.clone()]);
    let b = v1.binding();
    assert_eq!(host.check_order(&b, &market(Some(1_000)), &account(), &limit_buy(1_050)), Some(Ok(())));

    // Same code, a 1 % band.
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "price-band", |t| t.replace("band_bps = 1000", "band_bps = 100"));
    let v2 = runtime().load(&path).unwrap();
    assert_eq!(v2.hash, v1.hash);
    let start = Instant::now();
    let old = host.install(v2.clone()).unwrap();
    let install = start.elapsed();
    assert!(std::sync::Arc::ptr_eq(&old.unwrap(), &v1));
    assert!(std::sync::Arc::ptr_eq(host.get("price-band").unwrap(), &v2));
    let reason = host.check_order(&b, &market(Some(1_000)), &account(), &limit_buy(1_050)).unwrap().unwrap_err();
    assert!(reason.contains("more than 1.00% away"), "{reason}");
    assert_eq!(host.status().len(), 1);
    assert_eq!(host.status()[0].metrics.calls, 2, "metrics are kept across a reload");

    // Reload time (the pause an engine thread sees), best of a few.
    let best = (0..20)
        .map(|_| {
            let start = Instant::now();
            host.install(v1.clone()).unwrap();
            start.elapsed()
        })
        .min()
        .unwrap();
    eprintln!("install (reload) of price-band: first {install:?}, best of 20 {best:?}");
    assert!(best.as_millis() < 20, "reload took {best:?}");

    assert!(host.remove("price-band").is_some());
    assert!(host.remove("price-band").is_none());
    assert_eq!(host.check_order(&b, &market(Some(1_000)), &account(), &limit_buy(1_050)), None);
}

#[test]
fn two_plugins_cannot_claim_one_bet_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "moneyline", "moneyline-copy", |t| t.replace("name = \"moneyline\"", "name = \"moneyline-copy\""));
    let copy = runtime().load(&path).unwrap();
    let mut host = host_with([load("moneyline")]);
    let err = host.install(copy).unwrap_err().to_string();
    assert!(err.contains("claims bet type \"moneyline\", which plugin \"moneyline\" already handles"), "{err}");
}
