//! Live delivery of pushed frames to subscribed connections. Publishing happens only after
//! the events are durable. A subscriber that cannot keep up is dropped (its stream ends);
//! the client resumes from its last cursor, so nothing is lost or repeated.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

/// An encoded `Push` frame (length prefix included) and its cursor.
pub type Item = (u64, Arc<Vec<u8>>);

const QUEUE: usize = 8192;

/// Subscribers by key (account or market): (subscription id, sender).
type Subscribers<K> = Mutex<HashMap<K, Vec<(u64, mpsc::Sender<Item>)>>>;

#[derive(Default)]
pub struct Fanout {
    accounts: Subscribers<u64>,
    markets: Subscribers<u32>,
    topics: Subscribers<entrepot_protocol::Topic>,
    next_id: AtomicU64,
}

fn publish<K: std::hash::Hash + Eq>(map: &Subscribers<K>, key: K, item: Item) {
    let mut map = map.lock().expect("fanout lock");
    if let Some(subs) = map.get_mut(&key) {
        subs.retain(|(_, tx)| tx.try_send(item.clone()).is_ok());
        if subs.is_empty() {
            map.remove(&key);
        }
    }
}

fn subscribe<K: std::hash::Hash + Eq>(map: &Subscribers<K>, key: K, id: u64) -> mpsc::Receiver<Item> {
    let (tx, rx) = mpsc::channel(QUEUE);
    map.lock().expect("fanout lock").entry(key).or_default().push((id, tx));
    rx
}

impl Fanout {
    pub fn subscribe_account(&self, account: u64) -> mpsc::Receiver<Item> {
        subscribe(&self.accounts, account, self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Returns the subscription id (for unsubscribing) and the receiver.
    pub fn subscribe_market(&self, market: u32) -> (u64, mpsc::Receiver<Item>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        (id, subscribe(&self.markets, market, id))
    }

    pub fn unsubscribe_market(&self, market: u32, id: u64) {
        if let Some(subs) = self.markets.lock().expect("fanout lock").get_mut(&market) {
            subs.retain(|(i, _)| *i != id);
        }
    }

    /// Returns the subscription id (for unsubscribing) and the receiver.
    pub fn subscribe_topic(&self, topic: entrepot_protocol::Topic) -> (u64, mpsc::Receiver<Item>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        (id, subscribe(&self.topics, topic, id))
    }

    pub fn unsubscribe_topic(&self, topic: entrepot_protocol::Topic, id: u64) {
        if let Some(subs) = self.topics.lock().expect("fanout lock").get_mut(&topic) {
            subs.retain(|(i, _)| *i != id);
        }
    }

    pub fn publish_topic(&self, topic: entrepot_protocol::Topic, item: Item) {
        publish(&self.topics, topic, item);
    }

    pub fn publish_account(&self, account: u64, item: Item) {
        publish(&self.accounts, account, item);
    }

    pub fn publish_market(&self, market: u32, item: Item) {
        publish(&self.markets, market, item);
    }
}
