//! Abuse: money (see main.rs).
