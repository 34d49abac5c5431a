//! The server-wide state every connection shares: configuration, accounts, the engine
//! thread's handle, live delivery, search, the store, plugin manifests and the per-account
//! rate limiter.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use governor::DefaultKeyedRateLimiter;

use crate::auth::Auth;
use crate::config::Config;
use crate::fanout::Fanout;
use crate::plugins::Paths;
use crate::search::Catalog;
use crate::sequencer::Sequencer;

pub struct Shared {
    pub config: Config,
    pub auth: Arc<Auth>,
    pub runtime: entrepot_plugins::Runtime,
    pub plugin_paths: Paths,
    pub sequencer: Sequencer,
    pub fanout: Arc<Fanout>,
    pub search: Arc<Catalog>,
    pub store: Arc<entrepot_store::Store>,
    pub account_limiter: DefaultKeyedRateLimiter<u64>,
    pub shutting_down: AtomicBool,
    pub server_name: String,
}
