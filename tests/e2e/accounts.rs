//! Accounts end to end: sign-up with e-mail confirmation, sessions (resume, refresh,
//! logout), password reset, and authorisation of admin requests.

mod common;

use common::*;
use entrepot_protocol::client::ClientError;
use entrepot_protocol::*;

fn code(e: ClientError) -> ErrorCode {
    match e {
        ClientError::Api(api) => api.code,
        other => panic!("expected an API error, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_confirm_sessions_and_password_reset() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let c = server.client().await;
    let email = "zoe@example.com";
    // The account id is assigned at confirmation; `SignedUp.account` is always 0.
    let signed_up = c.call(Request::Signup { email: email.into(), password: PASSWORD.into() }).await.unwrap();
    assert_eq!(signed_up, Response::SignedUp { account: 0 });
    let weak = c.call(Request::Signup { email: "weak@example.com".into(), password: "short".into() }).await.unwrap_err();
    assert_eq!(code(weak), ErrorCode::InvalidArgument);

    // Not confirmed yet; a wrong token does not confirm.
    assert_eq!(code(c.login(email, PASSWORD).await.unwrap_err()), ErrorCode::EmailNotConfirmed);
    let wrong = c.call(Request::ConfirmEmail { email: email.into(), token: "nope".into() }).await.unwrap_err();
    assert_eq!(code(wrong), ErrorCode::InvalidToken);
    let token = server.mail_token(email);
    c.call(Request::ConfirmEmail { email: email.into(), token: token.clone() }).await.unwrap();
    // Tokens are single use.
    let reused = c.call(Request::ConfirmEmail { email: email.into(), token }).await.unwrap_err();
    assert_eq!(code(reused), ErrorCode::InvalidToken);

    let (session, account) = c.login(email, PASSWORD).await.unwrap();
    assert!(account >= 1000);
    assert_eq!(balance(&c, 1).await.0, d("1000"), "starting cash arrives with the confirmation");

    // Another connection resumes the session; refreshing replaces the token.
    let other = server.client().await;
    assert_eq!(other.resume(&session).await.unwrap(), account);
    let Response::Session { token: fresh, .. } = other.call(Request::RefreshSession).await.unwrap() else { panic!() };
    let third = server.client().await;
    assert_eq!(code(third.resume(&session).await.unwrap_err()), ErrorCode::NotAuthenticated);
    third.resume(&fresh).await.unwrap();
    // Logout ends the session for everyone holding it.
    third.call(Request::Logout).await.unwrap();
    assert_eq!(code(third.call(Request::Balances).await.unwrap_err()), ErrorCode::NotAuthenticated);
    assert_eq!(code(server.client().await.resume(&fresh).await.unwrap_err()), ErrorCode::NotAuthenticated);
    // A connection that still holds the ended session notices within seconds.
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    assert_eq!(code(other.call(Request::Balances).await.unwrap_err()), ErrorCode::NotAuthenticated);

    // Password reset: unknown addresses get the same answer (no enumeration).
    assert_eq!(c.call(Request::RequestPasswordReset { email: "nobody@example.com".into() }).await.unwrap(), Response::ResetRequested);
    c.call(Request::RequestPasswordReset { email: email.into() }).await.unwrap();
    let reset_token = server.mail_token(email);
    let new_password = "an even longer password";
    c.call(Request::ResetPassword { email: email.into(), token: reset_token, new_password: new_password.into() }).await.unwrap();
    assert_eq!(code(server.client().await.login(email, PASSWORD).await.unwrap_err()), ErrorCode::InvalidCredentials);
    server.client().await.login(email, new_password).await.unwrap();
    // Sessions from before the reset are gone.
    assert_eq!(code(server.client().await.resume(&session).await.unwrap_err()), ErrorCode::NotAuthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_create_markets_and_halt_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;
    let (player, _) = server.player("p@example.com").await;
    let market = MarketInfo {
        market: 77,
        symbol: "GEMS/GOLD".into(),
        base: 2,
        quote: 1,
        tick: d("0.05"),
        lot: d("10"),
        maker_fee_bps: 0,
        taker_fee_bps: 0,
        status: MarketStatus::Open,
    };
    assert_eq!(code(player.call(Request::Admin(AdminRequest::CreateMarket(market.clone()))).await.unwrap_err()), ErrorCode::Forbidden);
    admin.call(Request::Admin(AdminRequest::CreateMarket(market))).await.unwrap();
    let Response::Markets(ms) = player.call(Request::Markets).await.unwrap() else { panic!() };
    assert!(ms.iter().any(|m| m.market == 77 && m.lot == d("10")));
    // Lots of 10: 15 is not a multiple, and is refused rather than rounded.
    let e = player.place(limit(77, Side::Buy, "1.00", "15")).await.unwrap_err().to_string();
    assert!(e.contains("lot"), "{e}");
    player.place(limit(77, Side::Buy, "1.00", "20")).await.unwrap();
    admin.call(Request::Admin(AdminRequest::SetMarketStatus { market: 77, status: MarketStatus::Halted })).await.unwrap();
    let e = player.place(limit(77, Side::Buy, "1.00", "10")).await.unwrap_err().to_string();
    assert!(e.contains("halted"), "{e}");
}

/// Issue 10: a client learns each asset's decimal places and each market's full policy
/// without logging in, and can read an `InsufficientFunds` message's minor units with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_and_market_policies_describe_the_economy() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let anonymous = server.client().await;
    for capability in ["assets", "market-policies"] {
        assert!(anonymous.welcome().capabilities.iter().any(|c| c == capability), "{:?}", anonymous.welcome());
    }
    let assets = anonymous.assets().await.unwrap();
    assert_eq!(assets[0], AssetInfo { asset: 1, symbol: "GOLD".into(), kind: AssetKind::Currency, decimals: 2 });
    assert_eq!(assets[1], AssetInfo { asset: 2, symbol: "COPPER".into(), kind: AssetKind::Item, decimals: 0 });
    assert!(assets.windows(2).all(|w| w[0].asset < w[1].asset));

    let markets = anonymous.markets().await.unwrap();
    let policies = anonymous.market_policies().await.unwrap();
    assert_eq!(policies.iter().map(|p| p.market).collect::<Vec<_>>(), markets.iter().map(|m| m.market).collect::<Vec<_>>());
    // The demo markets: 0.01 ticks, lots of 1, the default policy with 10/20 bps fees.
    assert_eq!(
        policies[0],
        MarketPolicyInfo {
            market: 1,
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            listing_fee: d("0"),
            min_quantity: d("1"),
            max_quantity: d("1000000000"),
            max_price: d("10000000000"),
            max_open_orders: 0,
            buy_limit: None,
            self_trade: SelfTradePrevention::CancelNewest,
            rules: None,
        }
    );

    // A refusal speaks in minor units: GOLD has 2 decimals.
    let (player, _) = server.player("dora@example.com").await;
    let gold = assets.iter().find(|a| a.symbol == "GOLD").unwrap();
    let (available, _) = balance(&player, gold.asset).await;
    let e = match player.place(limit(1, Side::Buy, "20.00", "100")).await.unwrap_err() {
        ClientError::Api(e) => e,
        other => panic!("expected a refusal, got {other}"),
    };
    assert_eq!(e.reason, "InsufficientFunds", "{e}");
    let have: u64 = e.message.rsplit("have ").next().unwrap().trim().parse().unwrap();
    assert_eq!(rust_decimal::Decimal::new(have as i64, u32::from(gold.decimals)), available, "{e}");
}

/// Starting cash reaches every player in every configured asset, whatever the asset ids:
/// asset ids of 65,536 and above once shared a request id with asset 1 (the mint was then
/// ignored as a duplicate).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_cash_in_assets_past_65536_reaches_every_player() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("entrepot.toml");
    std::fs::write(&config, "starting_cash = [[1, \"1000\"], [65537, \"7\"], [65536, \"3\"]]\n").unwrap();
    let data = dir.path().join("data");
    let server = Server::start_with(&data, &[("ENTREPOT_CONFIG", config.to_str().unwrap())]);
    let admin = server.admin().await;
    for (asset, symbol) in [(65_536, "GEMS"), (65_537, "RUNES")] {
        let create = AdminRequest::CreateAsset { asset, symbol: symbol.into(), decimals: 0, item: true };
        admin.call(Request::Admin(create)).await.unwrap();
    }
    // Several players, so both odd and even account ids are covered.
    for name in ["ann", "bob", "cy"] {
        let (player, account) = server.player(&format!("{name}@example.com")).await;
        for (asset, amount) in [(1, "1000"), (65_537, "7"), (65_536, "3")] {
            assert_eq!(balance(&player, asset).await, (d(amount), d("0")), "account {account}, asset {asset}");
        }
    }
}
