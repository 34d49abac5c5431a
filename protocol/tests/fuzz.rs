//! Frame decoding never panics, whatever arrives: arbitrary bytes, mutated valid frames,
//! truncations, absurd length prefixes, bytes split into random chunks. Valid messages
//! round-trip.

use entrepot_protocol::*;
use proptest::prelude::*;

fn valid_frames() -> Vec<Vec<u8>> {
    let d = |s: &str| s.parse().unwrap();
    vec![
        encode(&RequestFrame { id: 1, request: Request::Hello(Hello { magic: MAGIC, version: 1, client: "fuzz".into() }) }),
        encode(&RequestFrame {
            id: 77_777,
            request: Request::Place(PlaceOrder { market: 3, side: Side::Sell, order: OrderType::Limit { price: d("1.25"), quantity: d("40") }, tif: TimeInForce::Gtd(1 << 41), post_only: true }),
        }),
        encode(&RequestFrame { id: u64::MAX, request: Request::Admin(AdminRequest::Mint { account: 1_000, asset: 1, amount: d("99.99") }) }),
        encode(&ResponseFrame { id: 9, result: Ok(Response::Book(BookInfo { market: 1, bids: vec![(d("1"), d("2"))], asks: vec![], seq: 5 })) }),
        encode(&Push { cursor: 3, event: PushEvent::OrderDone { order: 1, reason: DoneReason::Expired, filled: d("0") } }),
    ]
}

/// Feed bytes to every decoder; only errors, never panics, are allowed.
fn decode_everything(bytes: &[u8]) {
    let _ = decode::<RequestFrame>(bytes);
    let _ = decode::<ResponseFrame>(bytes);
    let _ = decode::<Push>(bytes);
    if bytes.len() >= 4 {
        let _ = decode::<RequestFrame>(&bytes[4..]);
        let _ = payload_len(bytes[..4].try_into().unwrap());
    }
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn decimal() -> impl Strategy<Value = rust_decimal::Decimal> {
    (0i64..1_000_000_000, 0u32..8).prop_map(|(m, s)| rust_decimal::Decimal::new(m, s))
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        ("[a-z]{0,12}", any::<u32>()).prop_map(|(client, version)| Request::Hello(Hello { magic: MAGIC, version, client })),
        ("[a-z@.]{0,30}", ".{0,40}").prop_map(|(email, password)| Request::Login { email, password }),
        (any::<u32>(), side(), decimal(), decimal(), any::<u64>(), any::<bool>()).prop_map(|(market, side, price, quantity, at, post_only)| {
            Request::Place(PlaceOrder { market, side, order: OrderType::Limit { price, quantity }, tif: TimeInForce::Gtd(at), post_only })
        }),
        (any::<u32>(), decimal()).prop_map(|(market, budget)| Request::Place(PlaceOrder {
            market,
            side: Side::Buy,
            order: OrderType::MarketBudget { budget },
            tif: TimeInForce::Ioc,
            post_only: false
        })),
        any::<u64>().prop_map(|order| Request::Cancel { order }),
        (any::<u64>(), decimal(), decimal()).prop_map(|(order, price, quantity)| Request::Modify { order, price, quantity }),
        proptest::option::of(any::<u32>()).prop_map(|market| Request::CancelAll { market }),
        any::<u64>().prop_map(|from_cursor| Request::SubscribeAccount { from_cursor }),
        (any::<u32>(), any::<u32>()).prop_map(|(market, depth)| Request::Book { market, depth }),
        Just(Request::Balances),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
    }

    #[test]
    fn mutated_frames_never_panic(which in 0usize..5, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>()) {
        let mut frame = valid_frames()[which].clone();
        for (pos, byte) in flips {
            let i = pos % frame.len();
            frame[i] ^= byte;
        }
        let cut = cut % (frame.len() + 1);
        decode_everything(&frame[..cut]);
        decode_everything(&frame);
    }

    #[test]
    fn huge_lengths_and_varint_escapes_are_refused_cheaply(prefix in any::<u32>(), escape in 251u8..=255, rest in proptest::collection::vec(any::<u8>(), 0..24)) {
        let mut bytes = prefix.to_le_bytes().to_vec();
        bytes.push(escape);
        bytes.extend(&rest);
        decode_everything(&bytes);
        // A string or vector claiming 2^60 elements must fail, not allocate.
        let mut claim = vec![20u8, 0xfd];
        claim.extend((1u64 << 60).to_le_bytes());
        claim.extend(&rest);
        prop_assert!(decode::<Request>(&claim).is_err());
    }

    #[test]
    fn frame_reader_survives_any_chunking(which in proptest::collection::vec(0usize..5, 1..8), garbage in proptest::collection::vec(any::<u8>(), 0..64), chunks in proptest::collection::vec(1usize..16, 1..64)) {
        let frames = valid_frames();
        let mut stream: Vec<u8> = which.iter().flat_map(|&w| frames[w].clone()).collect();
        let valid = stream.len();
        stream.extend(&garbage);
        let mut reader = FrameReader::default();
        let (mut at, mut complete) = (0, 0usize);
        for size in chunks.iter().cycle() {
            if at >= stream.len() {
                break;
            }
            let end = (at + size).min(stream.len());
            reader.push(&stream[at..end]);
            at = end;
            loop {
                match reader.next_payload() {
                    Ok(Some(p)) => { complete += p.len() + 4; decode_everything(&p); }
                    Ok(None) | Err(_) => break,
                }
            }
        }
        prop_assert!(complete >= valid, "every valid frame came out whole");
    }

    #[test]
    fn requests_round_trip(id in any::<u64>(), request in request()) {
        let frame = RequestFrame { id, request };
        let bytes = encode(&frame);
        prop_assert_eq!(payload_len(bytes[..4].try_into().unwrap()).unwrap(), bytes.len() - 4);
        prop_assert_eq!(decode::<RequestFrame>(&bytes[4..]).unwrap(), frame);
    }
}
