//! Abuse: paging (see main.rs).
