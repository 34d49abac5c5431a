//! Abuse: auth (see main.rs).
