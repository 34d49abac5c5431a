//! Two players trade while never connected at the same time; the seller learns about the
//! fill from the durable event stream on reconnect, exactly once and in order.

mod common;

use std::time::Duration;

use common::*;
use entrepot_protocol::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_trade_without_being_online_together() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;

    // Bob lists copper and goes offline.
    let (bob, bob_id) = server.player("bob@example.com").await;
    mint(&admin, bob_id, 2, "10").await; // 10 COPPER
    let sell = bob.place(limit(1, Side::Sell, "2.50", "10")).await.unwrap();
    assert_eq!(balance(&bob, 2).await, (d("0"), d("10")), "the items are in escrow");
    bob.close().await;

    // Ann comes online later, buys, and leaves.
    let (ann, _) = server.player("ann@example.com").await;
    let buy = ann.place(limit(1, Side::Buy, "2.60", "10")).await.unwrap();
    // Trades at the resting price 2.50: 25.00 + taker fee 20 bps (0.05).
    assert_eq!(balance(&ann, 1).await, (d("974.95"), d("0")));
    assert_eq!(balance(&ann, 2).await, (d("10"), d("0")));
    assert!(ann.open_orders().await.unwrap().is_empty());
    ann.close().await;

    // Bob reconnects and replays his stream from the start.
    let bob = server.client().await;
    bob.login("bob@example.com", PASSWORD).await.unwrap();
    let mut pushes = bob.pushes().await.unwrap();
    bob.subscribe_account(0).await.unwrap();
    let events = drain(&mut pushes, Duration::from_millis(500)).await;
    let cursors: Vec<u64> = events.iter().map(|p| p.cursor).collect();
    assert_eq!(cursors, (1..=cursors.len() as u64).collect::<Vec<_>>(), "every event once, in order");
    let fill = events.iter().find_map(|p| match &p.event {
        PushEvent::Fill { order, price, quantity, fee, maker, .. } => Some((*order, *price, *quantity, *fee, *maker)),
        _ => None,
    });
    assert_eq!(fill, Some((sell, d("2.5"), d("10"), d("0.02"), true)), "maker fee 10 bps of 25.00, rounded down to the cent");
    assert!(events.iter().any(|p| matches!(p.event, PushEvent::OrderDone { order, reason: DoneReason::Filled, .. } if order == sell)));
    // Bob got 25.00 − 0.02 on top of his 1000 starting gold.
    assert_eq!(balance(&bob, 1).await, (d("1024.98"), d("0")));
    assert_eq!(balance(&bob, 2).await, (d("0"), d("0")));

    // Resuming from a cursor delivers only what came after it.
    let last = cursors.len() as u64;
    let resumed = server.client().await;
    resumed.login("bob@example.com", PASSWORD).await.unwrap();
    let mut rx = resumed.pushes().await.unwrap();
    resumed.subscribe_account(last - 2).await.unwrap();
    let tail = drain(&mut rx, Duration::from_millis(500)).await;
    assert_eq!(tail.iter().map(|p| p.cursor).collect::<Vec<_>>(), vec![last - 1, last]);
    // Live events keep flowing on the same stream after the history.
    let again = resumed.place(limit(1, Side::Buy, "1.00", "1")).await.unwrap();
    let live = drain(&mut rx, Duration::from_millis(500)).await;
    assert!(live.iter().all(|p| p.cursor > last));
    assert!(live.iter().any(|p| matches!(p.event, PushEvent::OrderAccepted { order, .. } if order == again)));
    let _ = buy;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_data_streams_book_levels_and_trades() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;
    let (seller, seller_id) = server.player("seller@example.com").await;
    mint(&admin, seller_id, 3, "100").await; // IRON
    seller.place(limit(2, Side::Sell, "7.00", "5")).await.unwrap();

    let (watcher, _) = server.player("watcher@example.com").await;
    let mut rx = watcher.pushes().await.unwrap();
    let Response::Book(book) = watcher.call(Request::SubscribeMarket { market: 2 }).await.unwrap() else { panic!() };
    assert_eq!(book.asks, vec![(d("7"), d("5"))]);

    watcher.place(limit(2, Side::Buy, "7.00", "2")).await.unwrap();
    let pushes = drain(&mut rx, Duration::from_millis(500)).await;
    assert!(pushes.iter().any(|p| matches!(&p.event, PushEvent::Trade { market: 2, quantity, .. } if *quantity == d("2"))));
    assert!(pushes.iter().any(|p| matches!(&p.event, PushEvent::BookLevel { market: 2, side: Side::Sell, quantity, .. } if *quantity == d("3"))));
    assert!(pushes.iter().filter(|p| matches!(p.event, PushEvent::BookLevel { .. })).all(|p| p.cursor > book.seq));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_requests_return_the_first_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (ann, _) = server.player("ann@example.com").await;
    let id = ann.next_id();
    let first = ann.call_with_id(id, Request::Place(limit(1, Side::Buy, "1.00", "3"))).await.unwrap();
    let again = ann.call_with_id(id, Request::Place(limit(1, Side::Buy, "1.00", "3"))).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(ann.open_orders().await.unwrap().len(), 1, "executed once");
}
