//! Abuse: every reply within the frame limit (issue 11, points 7, 8 and 15). A player with
//! ~40k resting orders, many assets on the server, oversized answers, and probing other
//! players' order ids.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use entrepot_protocol::client::Client;
use entrepot_protocol::*;

use crate::common::{self, d, limit, mint, Server};

/// Send `requests` pipelined on one stream, in chunks, retrying (same id) whatever the
/// rate limiter refused until every request has its answer. Answers by request index.
async fn pipelined(c: &Client, first_id: u64, requests: &[Request]) -> Vec<Result<Response, ApiError>> {
    let mut answers: Vec<Option<Result<Response, ApiError>>> = vec![None; requests.len()];
    let mut todo: Vec<usize> = (0..requests.len()).collect();
    let mut pipe = c.pipeline().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !todo.is_empty() {
        assert!(Instant::now() < deadline, "{} requests still unanswered", todo.len());
        let mut again = Vec::new();
        let mut wait = 0;
        for chunk in todo.chunks(1000) {
            for &i in chunk {
                pipe.send(first_id + i as u64, requests[i].clone()).await.unwrap();
            }
            for &i in chunk {
                let frame = pipe.recv().await.unwrap().expect("an answer");
                assert_eq!(frame.id, first_id + i as u64);
                match frame.result {
                    Err(ApiError { code: ErrorCode::RateLimited, retry_after_ms, .. }) => {
                        wait = wait.max(retry_after_ms.unwrap_or(10));
                        again.push(i);
                    }
                    other => answers[i] = Some(other),
                }
            }
        }
        if !again.is_empty() {
            tokio::time::sleep(Duration::from_millis(wait.clamp(10, 500))).await;
        }
        todo = again;
    }
    answers.into_iter().map(|a| a.expect("answered")).collect()
}

fn orders(items: PageItems) -> Vec<OrderInfo> {
    match items {
        PageItems::OpenOrders(v) => v,
        other => panic!("expected open orders, got {other:?}"),
    }
}

/// ~40k resting orders of one account made `OpenOrders` a frame the client could not
/// decode. Now the unpaged request answers its first page, and `Page(OpenOrders)` walks
/// every order exactly once, in id order, each page within `PAGE_MAX`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_thousand_open_orders_come_in_decodable_pages() {
    const N: usize = 40_000;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;
    let (alice, account) = server.player("pages@example.com").await;
    assert!(alice.welcome().capabilities.iter().any(|c| c == "paging"));
    mint(&admin, account, 1, "100000").await;
    // One lot of COPPER bid at 0.01 .. 0.20 GOLD, GTC: they all rest (nobody sells).
    let places: Vec<Request> = (0..N).map(|i| Request::Place(limit(1, Side::Buy, &format!("0.{:02}", 1 + i % 20), "1"))).collect();
    let placed = pipelined(&alice, 1, &places).await;
    let mut ids = BTreeSet::new();
    for r in placed {
        match r {
            Ok(Response::Placed { order }) => assert!(ids.insert(order)),
            other => panic!("place: {other:?}"),
        }
    }
    assert_eq!(ids.len(), N);

    // The unpaged request: a decodable frame with the first PAGE_MAX orders.
    let first = alice.open_orders().await.expect("OpenOrders decodes");
    assert_eq!(first.len(), PAGE_MAX as usize);
    assert_eq!(first.iter().map(|o| o.order).collect::<Vec<_>>(), ids.iter().copied().take(PAGE_MAX as usize).collect::<Vec<_>>());

    // The paged walk: every order exactly once, ascending; limits above PAGE_MAX are clamped.
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let (items, next) = alice.page(List::OpenOrders, after, 50_000).await.unwrap();
        let page = orders(items);
        assert!(page.len() <= PAGE_MAX as usize);
        pages += 1;
        seen.extend(page.iter().map(|o| o.order));
        match next {
            Some(n) => {
                assert_eq!(Some(n), page.last().map(|o| o.order), "next is the last entry's cursor");
                after = Some(n);
            }
            None => break,
        }
    }
    assert_eq!(pages, N / PAGE_MAX as usize);
    assert_eq!(seen, ids.iter().copied().collect::<Vec<_>>(), "every order once, in id order");
    eprintln!("walked {N} open orders in {pages} pages in {:?}", started.elapsed());

    // Small pages from the middle; an `after` past the end answers an empty last page.
    let mid = seen[N / 2];
    let (items, next) = alice.page(List::OpenOrders, Some(mid), 3).await.unwrap();
    assert_eq!(orders(items).iter().map(|o| o.order).collect::<Vec<_>>(), seen[N / 2 + 1..N / 2 + 4].to_vec());
    assert_eq!(next, Some(seen[N / 2 + 3]));
    let (items, next) = alice.page(List::OpenOrders, Some(u64::MAX), 10).await.unwrap();
    assert!(orders(items).is_empty() && next.is_none());
    // Another player's list is empty, not alice's.
    let (bob, _) = server.player("bob-pages@example.com").await;
    let (items, _) = bob.page(List::OpenOrders, None, 10).await.unwrap();
    assert!(orders(items).is_empty());
}

/// An answer whose frame would exceed the limit is refused with `ReplyTooLarge` (checked
/// where every reply is encoded), not sent as a frame the client cannot decode; smaller
/// pages of the same list still work. Three assets with 400 kB symbols make `Assets`
/// (which the server caps by count, not by size) exceed 1 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_above_the_frame_limit_is_refused_with_reply_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;
    for i in 0..3u32 {
        let symbol = format!("BIG{i}{}", "X".repeat(400_000));
        admin.call(Request::Admin(AdminRequest::CreateAsset { asset: 500 + i, symbol, decimals: 0, item: true })).await.expect("create asset");
    }
    let c = server.client().await;
    match c.call(Request::Assets).await {
        Err(entrepot_protocol::client::ClientError::Api(e)) => {
            assert_eq!(e.code, ErrorCode::ReplyTooLarge, "{e}");
        }
        other => panic!("expected ReplyTooLarge, got {other:?}"),
    }
    // The connection is fine, and a page of one asset at a time gets through.
    let mut after = None;
    let mut got = Vec::new();
    loop {
        let (items, next) = c.page(List::Assets, after, 1).await.expect("one asset per page fits");
        let PageItems::Assets(v) = items else { panic!("assets") };
        got.extend(v.into_iter().map(|a| a.asset));
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert!(got.ends_with(&[500, 501, 502]), "{got:?}");
    assert!(c.markets().await.is_ok());
}

/// `Balances` lists only the assets the account holds (available or locked not zero), so
/// hundreds of assets it never touched (group currencies, items) do not grow it; any asset
/// can still be asked for by id with `BalancesOf` (zeros included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_list_only_held_assets() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;
    let creates: Vec<Request> =
        (0..300u32).map(|i| Request::Admin(AdminRequest::CreateAsset { asset: 1_000 + i, symbol: format!("A{i}"), decimals: 2, item: false })).collect();
    for r in pipelined(&admin, 1, &creates).await {
        assert!(matches!(r, Ok(Response::Done)), "{r:?}");
    }
    let (alice, account) = server.player("held@example.com").await;
    mint(&admin, account, 1_150, "5").await;
    let listed: Vec<u32> = alice.balances().await.unwrap().iter().map(|b| b.asset).collect();
    assert_eq!(listed, vec![1, 1_150], "GOLD (starting cash) and the one asset minted");

    // Locked counts as held: a bid of 100 GOLD holds 100.20 (the fee at 20 bps included).
    let gold = common::balance(&alice, 1).await.0;
    alice.place(limit(1, Side::Buy, "100", "1")).await.unwrap();
    let b = alice.balances().await.unwrap();
    assert_eq!(b.iter().map(|b| b.asset).collect::<Vec<_>>(), vec![1, 1_150]);
    assert_eq!((b[0].available, b[0].locked), (gold - d("100.2"), d("100.2")));

    // Asked for by id: held or not; unknown ids are left out.
    let asked = alice.balances_of(vec![2, 1_150, 999_999, 1_299]).await.unwrap();
    let rows: Vec<_> = asked.iter().map(|b| (b.asset, b.available, b.locked)).collect();
    assert_eq!(rows, vec![(2, d("0"), d("0")), (1_150, d("5"), d("0")), (1_299, d("0"), d("0"))]);

    // The paged form walks the same held assets.
    let (items, next) = alice.page(List::Balances, None, 1).await.unwrap();
    let PageItems::Balances(v) = items else { panic!("balances") };
    assert_eq!((v.len(), v[0].asset, next), (1, 1, Some(1)));
    let (items, next) = alice.page(List::Balances, next, 10).await.unwrap();
    let PageItems::Balances(v) = items else { panic!("balances") };
    assert_eq!((v.iter().map(|b| b.asset).collect::<Vec<_>>(), next), (vec![1_150], None));
}

/// `Cancel` (and `Modify`) of another player's order answer exactly like an order that
/// does not exist: same code, reason and message, so order ids cannot be probed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_of_another_players_order_answers_like_an_unknown_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (alice, _) = server.player("owner@example.com").await;
    let (mallory, _) = server.player("prober@example.com").await;
    let order = alice.place(limit(1, Side::Buy, "1", "1")).await.unwrap();
    let answer = |r: Result<Response, entrepot_protocol::client::ClientError>| match r {
        Err(entrepot_protocol::client::ClientError::Api(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let theirs = answer(mallory.call(Request::Cancel { order }).await);
    let unknown = answer(mallory.call(Request::Cancel { order: order + 1_000_000 }).await);
    assert_eq!(theirs, unknown, "not yours == does not exist");
    assert_eq!((theirs.code, theirs.reason.as_str()), (ErrorCode::Rejected, "UnknownOrder"));
    let theirs = answer(mallory.call(Request::Modify { order, price: d("0.5"), quantity: d("1") }).await);
    let unknown = answer(mallory.call(Request::Modify { order: order + 1_000_000, price: d("0.5"), quantity: d("1") }).await);
    assert_eq!(theirs, unknown, "Modify: not yours == does not exist");
    // Alice's order is untouched and still hers to cancel.
    assert_eq!(alice.open_orders().await.unwrap().len(), 1);
    alice.cancel(order).await.unwrap();
}
