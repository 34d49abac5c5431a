//! `entrepot serve`: recover, listen, serve, and shut down gracefully.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entrepot_plugins::{Runtime, RuntimeConfig};
use entrepot_store::schema::ACCOUNT_CURSORS;
use entrepot_store::{Committer, CommitterConfig, Store};
use redb::{ReadableDatabase, ReadableTable};

use crate::auth::Auth;
use crate::clock::now_ms;
use crate::config::Config;
use crate::demo;
use crate::fanout::Fanout;
use crate::handlers::accounts::open_account;
use crate::handlers::admin::load_and_install;
use crate::mail::{deliver, Backoff, Outbox, Transport};
use crate::notify::spawn_mailer;
use crate::plugins::{self, PluginOp, Plugins};
use crate::sequencer::{Sequencer, SequencerConfig};
use crate::session::{close, quota};
use crate::state::Shared;
use crate::{tls, transport};

pub const ADMIN_EMAIL: &str = "admin@entrepot.local";

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let cert = tls::load_or_create(&config)?;
    let store = Arc::new(Store::open(&config.data_dir)?);
    let started = Instant::now();
    let md_config = crate::marketdata::config(&config)?;
    let (recovered, marketdata) = crate::marketdata::recover(&store, &md_config)?;
    tracing::info!(
        snapshot_seq = recovered.snapshot_seq,
        replayed = recovered.replayed,
        ms = started.elapsed().as_millis() as u64,
        state_hash = format!("{:016x}", recovered.engine.state_hash()),
        "recovered"
    );
    let fresh = recovered.engine.assets().is_empty();
    let cursors = load_cursors(&store)?;
    let fanout = Fanout::spawn(config.fanout_queue, config.push_queue);
    let committer = Committer::spawn(
        store.clone(),
        CommitterConfig {
            max_batch: config.commit_max_batch,
            max_wait: Duration::from_micros(config.commit_max_wait_us),
            keep_account_events: config.account_events_keep,
            prune_per_batch: config.account_events_prune_batch,
            ..Default::default()
        },
    );
    // Mail: the outbox is read back as it was; the delivery thread starts on what is due.
    let outbox = Outbox::open(store.clone(), Backoff { max_ms: config.mail_retry_max_ms, max_attempts: config.mail_max_attempts, ..Default::default() })?;
    let transport = Transport::new(config.smtp_relay.as_deref(), &config.mail_from, config.data_dir.join("mail"))?;
    let mail_to = transport.describe(config.smtp_relay.as_deref());
    let waiting = outbox.all()?.len();
    deliver::spawn(outbox.clone(), transport);
    let auth = Arc::new(Auth::new(store.clone(), outbox, &config)?);
    let runtime = Runtime::new(RuntimeConfig { cache_dir: Some(config.data_dir.join("plugin-cache")), ..Default::default() })?;
    let mailer = spawn_mailer(auth.clone());
    let catalog = Arc::new(crate::search::Catalog::default());
    let sequencer = Sequencer::spawn(
        recovered.engine,
        cursors,
        committer,
        fanout.clone(),
        catalog.clone(),
        SequencerConfig { snapshot_every: config.snapshot_every },
        Plugins::new(runtime.clone()),
        mailer,
        marketdata,
    );
    let shared = Arc::new(Shared {
        runtime,
        plugin_paths: Default::default(),
        account_limiter: governor::RateLimiter::keyed(quota(config.rate_per_account)),
        config: config.clone(),
        auth,
        sequencer,
        fanout,
        search: catalog,
        store,
        shutting_down: Default::default(),
        server_name: format!("entrepot/{}", env!("CARGO_PKG_VERSION")),
    });
    if fresh && config.demo_markets {
        demo::create_economy(&shared).await?;
    }
    ensure_admin(&shared).await?;
    load_plugins(&shared).await?;
    if fresh && config.demo_markets && config.demo_fixtures {
        demo::create_fixtures(&shared).await?;
    }

    let socket = entrepot_protocol::client::udp_socket(config.listen)?;
    let endpoint = quinn::Endpoint::new(quinn::EndpointConfig::default(), Some(tls::server_config(&cert, &config)?), socket, Arc::new(quinn::TokioRuntime))?;
    let addr = endpoint.local_addr()?;
    println!("entrepot listening on {addr} (QUIC, ALPN entrepot/1)");
    println!("certificate fingerprint (sha256): {}", cert.fingerprint);
    println!("mail: {mail_to} ({waiting} waiting in the outbox)");
    println!("data directory: {}", config.data_dir.display());
    tracing::info!(%addr, fingerprint = %cert.fingerprint, "listening");

    let ticker = tokio::spawn(tick_expiries(shared.clone()));
    let connections = Arc::new(transport::Connections::default());
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            incoming = endpoint.accept() => match incoming {
                Some(incoming) => transport::accept(&shared, &connections, incoming),
                None => break,
            },
            _ = &mut shutdown => break,
        }
    }

    // Graceful shutdown: refuse new work, apply and journal what is queued, snapshot,
    // give responses a moment to flush, then close every connection with a reason.
    println!("shutting down");
    shared.shutting_down.store(true, Ordering::SeqCst);
    endpoint.set_server_config(None);
    ticker.abort();
    if shared.sequencer.storage_failed() {
        // Memory may be ahead of the disk: its seq and hash are not the durable state.
        shared.sequencer.shutdown().await;
        println!("stopped after a storage failure; a restart recovers to the last durable state");
    } else if let Some(engine) = shared.sequencer.shutdown().await {
        println!("stopped at seq {}, state hash {:016x}", engine.seq(), engine.state_hash());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    endpoint.close(close::SHUTDOWN.into(), b"server shutting down");
    tokio::time::timeout(Duration::from_secs(3), endpoint.wait_idle()).await.ok();
    Ok(())
}

/// Load every plugin in the plugins directory and bind the markets their manifests list.
/// A plugin that fails to load stops the start: the operator asked for it.
async fn load_plugins(shared: &Arc<Shared>) -> anyhow::Result<()> {
    let dir = shared.config.plugins_dir();
    for manifest in plugins::manifests_in(&dir) {
        let (plugin, infos) = load_and_install(shared, manifest).await?;
        let (name, from_cache, ms) = (plugin.name().to_string(), plugin.from_cache(), plugin.load_time().as_secs_f64() * 1e3);
        let markets = infos.iter().find(|i| i.name == name).map(|i| i.markets.clone()).unwrap_or_default();
        println!("plugin {name} loaded ({ms:.1} ms{}), markets {markets:?}", if from_cache { ", from cache" } else { "" });
    }
    // Markets the journal binds to a plugin that is not here run on their native rules.
    let loaded = shared.sequencer.plugin(PluginOp::List).await?;
    let bound = shared.sequencer.read(|e| e.rules_bindings().into_iter().map(|(m, b)| (m.0, b.name.clone())).collect::<Vec<_>>()).await?;
    for (market, name) in bound {
        if !loaded.iter().any(|i| i.name == name) {
            tracing::warn!(market, plugin = %name, "market bound to a plugin that is not loaded: native rules apply");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// GTD orders expire when game time passes; with no traffic, time passes by ticks.
/// Ticks the engine when it has clock work due (expiries, betting timers, metric
/// samples), and once a second has the changed tickers pushed (conflation).
async fn tick_expiries(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(Duration::from_millis(250));
    for round in 0u64.. {
        interval.tick().await;
        if shared.sequencer.next_expiry.load(Ordering::Relaxed) <= now_ms() {
            shared.sequencer.tick().await;
        }
        if round % 4 == 3 {
            shared.sequencer.flush_tickers().await;
        }
    }
}

fn load_cursors(store: &Store) -> anyhow::Result<HashMap<u64, u64>> {
    let tx = store.db().begin_read()?;
    let mut cursors = HashMap::new();
    if let Ok(t) = tx.open_table(ACCOUNT_CURSORS) {
        for row in t.iter()? {
            let (k, v) = row?;
            cursors.insert(k.value(), v.value());
        }
    }
    Ok(cursors)
}

/// Create the admin login on first start and print its password once.
async fn ensure_admin(shared: &Arc<Shared>) -> anyhow::Result<()> {
    if shared.auth.user(ADMIN_EMAIL)?.is_some() {
        return Ok(());
    }
    // The operator's own password from the environment is never echoed; only one we
    // generate is shown, once.
    let (password, generated) = match std::env::var("ENTREPOT_ADMIN_PASSWORD") {
        Ok(p) => (p, false),
        Err(_) => {
            use rand::Rng;
            (rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(20).map(char::from).collect(), true)
        }
    };
    let user = shared.auth.create_admin(ADMIN_EMAIL, &password)?;
    open_account(shared, user.account).await?;
    if generated {
        println!("admin login created (shown once): {ADMIN_EMAIL} / {password}");
    } else {
        println!("admin login created: {ADMIN_EMAIL} (password from ENTREPOT_ADMIN_PASSWORD)");
    }
    Ok(())
}
