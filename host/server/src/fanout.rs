//! Live delivery of pushed frames to subscribed connections. Publishing happens only after
//! the events are durable. A subscriber that cannot keep up is dropped (its stream ends);
//! the client resumes from its last cursor, so nothing is lost or repeated.
//!
//! **Fan-out runs on its own thread, never on the journal's.** The commit callback only
//! hands each durable command's frames to the `fanout` thread ([`Fanout::publish`]: one
//! `try_send` on a bounded queue, O(1) whatever the number of subscribers); that thread
//! copies them into the subscribers' own bounded queues. When the hand-off queue is full
//! (the fanout thread is behind by `fanout_queue` commands), the commit thread neither
//! blocks nor reorders: it drops that command's frames and bumps the *generation*; before
//! delivering anything else, the fanout thread drops every subscriber registered before
//! the bump. Those streams end and their clients resume from their cursors (exactly once,
//! in order), while subscribers registered after it took their snapshot after the lost
//! frames were durable, so they miss nothing. Blocking instead would stall every player's
//! commits behind the slowest fan-out; an unbounded queue would let it eat the memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entrepot_protocol::Topic;
use tokio::sync::mpsc;

/// An encoded `Push` frame (length prefix included) and its cursor.
pub type Item = (u64, Arc<Vec<u8>>);

/// What a subscription follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Account(u64),
    Market(u32),
    Topic(Topic),
}

/// One subscriber: its id (for unsubscribing), the generation it was registered in, and
/// its bounded queue.
struct Subscriber {
    id: u64,
    generation: u64,
    tx: mpsc::Sender<Item>,
}

#[derive(Default)]
struct Table {
    subscribers: Mutex<HashMap<Key, Vec<Subscriber>>>,
    /// Bumped each time the hand-off queue overflowed (frames were lost for everyone
    /// subscribed before).
    generation: AtomicU64,
}

/// The frames of one durable command, in publishing order.
pub type Published = Vec<(Key, Item)>;

pub struct Fanout {
    table: Arc<Table>,
    queue: SyncSender<Published>,
    next_id: AtomicU64,
    /// Capacity of each subscriber's queue (pushes).
    push_queue: usize,
}

impl Fanout {
    /// Start the fanout thread: `fanout_queue` commands may wait for it, and each subscriber
    /// may be `push_queue` pushes behind before it is dropped.
    pub fn spawn(fanout_queue: usize, push_queue: usize) -> Arc<Fanout> {
        let (queue, rx) = sync_channel(fanout_queue.max(1));
        let table = Arc::new(Table::default());
        let thread_table = table.clone();
        std::thread::Builder::new().name("fanout".into()).spawn(move || deliver(&thread_table, &rx)).expect("spawn fanout thread");
        Arc::new(Fanout { table, queue, next_id: AtomicU64::new(1), push_queue: push_queue.max(1) })
    }

    /// Hand a durable command's frames to the fanout thread; never blocks (see the module
    /// doc for what a full queue means).
    pub fn publish(&self, frames: Published) {
        if frames.is_empty() {
            return;
        }
        match self.queue.try_send(frames) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.table.generation.fetch_add(1, Ordering::AcqRel);
                tracing::warn!("fan-out queue full: dropping every live subscriber (clients resume from their cursors)");
            }
        }
    }

    /// Register a subscriber of `key`; returns its id (for [`Fanout::unsubscribe`]) and
    /// the receiver of its pushes.
    pub fn subscribe(&self, key: Key) -> (u64, mpsc::Receiver<Item>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.push_queue);
        let mut map = self.table.subscribers.lock().expect("fanout lock");
        // Read under the lock: an overflow after this read drops this subscriber too
        // (harmless); one before it happened before this subscriber's snapshot.
        let generation = self.table.generation.load(Ordering::Acquire);
        map.entry(key).or_default().push(Subscriber { id, generation, tx });
        (id, rx)
    }

    /// Remove a subscriber (its stream then ends); removing one that is gone is a no-op.
    pub fn unsubscribe(&self, key: Key, id: u64) {
        let mut map = self.table.subscribers.lock().expect("fanout lock");
        if let Some(subs) = map.get_mut(&key) {
            subs.retain(|s| s.id != id);
            if subs.is_empty() {
                map.remove(&key);
            }
        }
    }

    /// How many subscribers are registered (all keys).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.subscribers.lock().expect("fanout lock").values().map(Vec::len).sum()
    }
}

/// The fanout thread: deliver each command's frames in order; a subscriber whose queue is
/// full (or whose stream is gone) is dropped. Ends when the [`Fanout`] is dropped.
fn deliver(table: &Table, rx: &Receiver<Published>) {
    let mut seen = 0;
    loop {
        let frames = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(frames) => frames,
            Err(RecvTimeoutError::Timeout) => Vec::new(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut map = table.subscribers.lock().expect("fanout lock");
        let generation = table.generation.load(Ordering::Acquire);
        if generation != seen {
            map.retain(|_, subs| {
                subs.retain(|s| s.generation >= generation);
                !subs.is_empty()
            });
            seen = generation;
        }
        for (key, item) in frames {
            if let Some(subs) = map.get_mut(&key) {
                subs.retain(|s| s.tx.try_send(item.clone()).is_ok());
                if subs.is_empty() {
                    map.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(cursor: u64) -> Item {
        (cursor, Arc::new(vec![cursor as u8]))
    }

    #[tokio::test]
    async fn delivers_in_order_and_drops_slow_subscribers() {
        let fanout = Fanout::spawn(16, 2);
        let (_, mut fast) = fanout.subscribe(Key::Account(1));
        let (_, _slow) = fanout.subscribe(Key::Account(1));
        for c in 1..=2 {
            fanout.publish(vec![(Key::Account(1), item(c))]);
        }
        assert_eq!(fast.recv().await.map(|i| i.0), Some(1));
        assert_eq!(fast.recv().await.map(|i| i.0), Some(2));
        fanout.publish(vec![(Key::Account(1), item(3))]);
        assert_eq!(fast.recv().await.map(|i| i.0), Some(3));
        // The slow one (2 behind) was dropped at the third push.
        assert_eq!(fanout.len(), 1);
    }

    #[tokio::test]
    async fn unsubscribe_ends_the_stream() {
        let fanout = Fanout::spawn(16, 8);
        let (id, mut rx) = fanout.subscribe(Key::Market(7));
        fanout.unsubscribe(Key::Market(7), id);
        assert_eq!(fanout.len(), 0);
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn an_overflow_drops_earlier_subscribers_only() {
        let fanout = Fanout::spawn(1, 1024);
        let (_, mut early) = fanout.subscribe(Key::Account(1));
        // Hold the table so the fanout thread cannot drain, then overflow the hand-off.
        let guard = fanout.table.subscribers.lock().unwrap();
        for c in 1..=3 {
            fanout.publish(vec![(Key::Account(1), item(c))]);
        }
        drop(guard);
        // Let the thread drain the hand-off queue (1 place): a publish into a full queue
        // would bump the generation again and drop the late subscriber as well.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (_, mut late) = fanout.subscribe(Key::Account(1));
        fanout.publish(vec![(Key::Account(1), item(9))]);
        // (Frames queued before it subscribed may reach it too; its cursor skips them.)
        while late.recv().await.expect("late stays subscribed").0 != 9 {}
        // The early subscriber missed frames: its stream ends rather than skip them.
        while let Some((c, _)) = early.recv().await {
            assert!(c < 9, "no delivery after a gap");
        }
    }
}
