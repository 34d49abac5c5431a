//! Abuse: subscriptions (see main.rs).
