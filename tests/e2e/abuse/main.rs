//! The standing abuse suite (issue 11): each finding of the hostile-player review, as the
//! attack at a bounded size against a real `entrepot serve` process, and the property that
//! must hold instead. Where an attack could slow the server down for everybody, an honest
//! player trades during it and their latency must stay within [`honest::BUDGET`].
//!
//! One module per area; each test starts its own server (loopback, temporary data dir).

#[path = "../common/mod.rs"]
mod common;
mod honest;

mod auth;
mod connections;
mod mail;
mod money;
mod paging;
mod storage;
mod subscriptions;
