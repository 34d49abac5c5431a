//! Abuse: mail (see main.rs).
