//! Abuse: storage (see main.rs).
