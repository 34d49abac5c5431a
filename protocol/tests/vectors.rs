//! Keeps PROTOCOL.md honest: every `vector: <name>` there must be exactly what the Rust
//! message below encodes to, and must decode back to it.

use entrepot_protocol::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// (name, encoded frame) of every vector the document must contain.
fn expected() -> Vec<(&'static str, Vec<u8>, Box<dyn Fn(&[u8])>)> {
    fn req(f: RequestFrame) -> (Vec<u8>, Box<dyn Fn(&[u8])>) {
        (encode(&f), Box::new(move |p| assert_eq!(decode::<RequestFrame>(p).unwrap(), f)))
    }
    fn resp(f: ResponseFrame) -> (Vec<u8>, Box<dyn Fn(&[u8])>) {
        (encode(&f), Box::new(move |p| assert_eq!(decode::<ResponseFrame>(p).unwrap(), f)))
    }
    fn push(f: Push) -> (Vec<u8>, Box<dyn Fn(&[u8])>) {
        (encode(&f), Box::new(move |p| assert_eq!(decode::<Push>(p).unwrap(), f)))
    }
    let place = |market, order, tif| Request::Place(PlaceOrder { market, side: Side::Buy, order, tif, post_only: false });
    let v = vec![
        ("hello", req(RequestFrame { id: 1, request: Request::Hello(Hello { magic: MAGIC, version: 1, client: "cs".into() }) })),
        (
            "welcome",
            resp(ResponseFrame {
                id: 1,
                result: Ok(Response::Welcome(Welcome { version: 1, server: "e/1".into(), capabilities: vec!["orders".into()], max_frame: 1_048_576 })),
            }),
        ),
        ("login", req(RequestFrame { id: 2, request: Request::Login { email: "a@b.c".into(), password: "pw".into() } })),
        ("place_limit", req(RequestFrame { id: 300, request: place(1, OrderType::Limit { price: d("12.34"), quantity: d("5") }, TimeInForce::Gtc) })),
        ("place_budget", req(RequestFrame { id: 70_000, request: place(2, OrderType::MarketBudget { budget: d("100") }, TimeInForce::Ioc) })),
        ("cancel", req(RequestFrame { id: 1 << 40, request: Request::Cancel { order: 42 } })),
        ("cancel_all_none", req(RequestFrame { id: 5, request: Request::CancelAll { market: None } })),
        ("cancel_all_some", req(RequestFrame { id: 6, request: Request::CancelAll { market: Some(3) } })),
        ("placed", resp(ResponseFrame { id: 300, result: Ok(Response::Placed { order: 7 }) })),
        (
            "rejected",
            resp(ResponseFrame {
                id: 301,
                result: Err(ApiError { code: ErrorCode::Rejected, reason: "InsufficientFunds".into(), message: "no".into(), retry_after_ms: None }),
            }),
        ),
        (
            "rate_limited",
            resp(ResponseFrame { id: 9, result: Err(ApiError { code: ErrorCode::RateLimited, reason: String::new(), message: String::new(), retry_after_ms: Some(250) }) }),
        ),
        (
            "push_fill",
            push(Push {
                cursor: 3,
                event: PushEvent::Fill { order: 7, trade: 1, market: 1, side: Side::Sell, price: d("2.5"), quantity: d("10"), fee: d("0.02"), maker: true },
            }),
        ),
        ("push_book_level", push(Push { cursor: 12, event: PushEvent::BookLevel { market: 1, side: Side::Buy, price: d("2.5"), quantity: d("0") } })),
    ];
    v.into_iter().map(|(n, (bytes, check))| (n, bytes, check)).collect()
}

/// The `vector: name` blocks of PROTOCOL.md as (name, bytes).
fn documented() -> Vec<(String, Vec<u8>)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/PROTOCOL.md")).unwrap();
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("vector: ") else { continue };
        let name = rest.split_whitespace().next().unwrap().to_string();
        assert_eq!(lines.next(), Some("```hex"), "vector {name}: a ```hex block must follow");
        let mut bytes = Vec::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            bytes.extend(l.split_whitespace().map(|h| u8::from_str_radix(h, 16).unwrap()));
        }
        out.push((name, bytes));
    }
    out
}

#[test]
fn every_documented_vector_matches_the_code() {
    let doc = documented();
    let expected = expected();
    assert_eq!(doc.len(), expected.len(), "PROTOCOL.md has {} vectors, the test knows {}", doc.len(), expected.len());
    for (name, bytes, check) in expected {
        let (_, documented) = doc.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("vector {name} is missing from PROTOCOL.md"));
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ");
        assert_eq!(hex(documented), hex(&bytes), "vector {name}");
        let len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
        assert_eq!(len, bytes.len() - 4, "vector {name}: length prefix");
        check(&bytes[4..]);
    }
}
