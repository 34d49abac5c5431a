//! Abuse: connections (see main.rs).
