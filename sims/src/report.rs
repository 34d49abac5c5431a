//! The run's files: `summary.json` (headline numbers), `series.csv` (time, metric, value)
//! and `report.html` (one self-contained page, inline SVG charts, no script, no network).
//! Everything is rendered from [`RunOutput`] in fixed orders and without timestamps, so a
//! scenario and seed always give byte-identical files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::run::RunOutput;
use crate::scenario::MINUTE_MS;
use crate::Error;

/// The three files' contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// `summary.json`.
    pub summary_json: String,
    /// `series.csv`.
    pub series_csv: String,
    /// `report.html`.
    pub report_html: String,
}

#[derive(Serialize)]
struct Summary<'a> {
    scenario: &'a str,
    seed: u64,
    game_minutes: u64,
    agents: usize,
    commands: u64,
    state_hash: String,
    trades: u64,
    assets: Vec<AssetSummary<'a>>,
    markets: Vec<MarketSummary<'a>>,
    refused_orders: BTreeMap<&'a str, u64>,
    wealth_gini: f64,
}

#[derive(Serialize)]
struct AssetSummary<'a> {
    symbol: &'a str,
    kind: &'static str,
    /// Minted as starting balances.
    start: Decimal,
    /// Minted by faucets while running.
    faucet: Decimal,
    /// Burned by sinks.
    sink: Decimal,
    /// Taken by trading fees (held by the fee sink, still part of the supply).
    fees: Decimal,
    /// Money supply at the end: minted − burned.
    supply_end: Decimal,
}

#[derive(Serialize)]
struct MarketSummary<'a> {
    symbol: &'a str,
    trades: u64,
    volume: Decimal,
    mean_price: Option<Decimal>,
    last_price: Option<Decimal>,
}

fn units(minor: u128, decimals: u8) -> Decimal {
    Decimal::from_i128_with_scale(i128::try_from(minor).unwrap_or(i128::MAX), u32::from(decimals)).normalize()
}

/// Render the three files.
pub fn render(out: &RunOutput) -> Report {
    Report { summary_json: summary_json(out), series_csv: series_csv(out), report_html: report_html(out) }
}

/// Render and write the files into `dir` (created if missing).
pub fn write(out: &RunOutput, dir: &Path) -> Result<Report, Error> {
    let report = render(out);
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (name, text) in [("summary.json", &report.summary_json), ("series.csv", &report.series_csv), ("report.html", &report.report_html)] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(report)
}

fn summary_json(out: &RunOutput) -> String {
    let assets = out
        .assets
        .iter()
        .zip(&out.asset_totals)
        .map(|(a, t)| AssetSummary {
            symbol: &a.symbol,
            kind: if a.currency { "currency" } else { "item" },
            start: units(t.start, a.decimals),
            faucet: units(t.faucet, a.decimals),
            sink: units(t.burned, a.decimals),
            fees: units(u128::from(t.fees), a.decimals),
            supply_end: units(t.supply, a.decimals),
        })
        .collect();
    let markets = out
        .markets
        .iter()
        .zip(&out.market_totals)
        .map(|(m, t)| {
            let quote = out.assets.iter().find(|a| a.id == m.refs.quote).map_or(0, |a| a.decimals);
            let quantity = m.units.lot * Decimal::from(t.volume);
            let mean_price = (t.volume > 0).then(|| (units(t.notional, quote) / quantity).round_dp(6).normalize());
            MarketSummary {
                symbol: &m.symbol,
                trades: t.trades,
                volume: quantity.normalize(),
                mean_price,
                last_price: t.last.map(|p| m.units.ticks_to_price(p)),
            }
        })
        .collect();
    let summary = Summary {
        scenario: &out.name,
        seed: out.seed,
        game_minutes: out.duration / MINUTE_MS,
        agents: out.agents,
        commands: out.commands,
        state_hash: format!("{:016x}", out.state_hash),
        trades: out.market_totals.iter().map(|t| t.trades).sum(),
        assets,
        markets,
        refused_orders: out.refused.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
        wealth_gini: (out.gini * 10_000.0).round() / 10_000.0,
    };
    let mut text = serde_json::to_string_pretty(&summary).expect("plain data serializes");
    text.push('\n');
    text
}

/// One row per (sample, metric): `minute,metric,value`.
fn series_csv(out: &RunOutput) -> String {
    let mut csv = String::from("minute,metric,value\n");
    for (ix, s) in out.samples.iter().enumerate() {
        let minute = s.time / MINUTE_MS;
        let mut row = |metric: String, value: Decimal| {
            let _ = writeln!(csv, "{minute},{metric},{value}");
        };
        for ((m, now), before) in out.markets.iter().zip(&s.markets).zip(previous_markets(out, ix)) {
            let price = |t: u64| m.units.ticks_to_price(t);
            if let Some(p) = now.last {
                row(format!("price.{}", m.symbol), price(p));
            }
            if let Some(b) = now.bid {
                row(format!("bid.{}", m.symbol), price(b));
            }
            if let Some(a) = now.ask {
                row(format!("ask.{}", m.symbol), price(a));
            }
            if let (Some(b), Some(a)) = (now.bid, now.ask) {
                row(format!("spread.{}", m.symbol), price(a.saturating_sub(b)));
            }
            row(format!("volume.{}", m.symbol), m.units.lots_to_quantity(now.volume - before.0));
            row(format!("trades.{}", m.symbol), Decimal::from(now.trades - before.1));
        }
        for (a, now) in out.assets.iter().zip(&s.assets) {
            row(format!("supply.{}", a.symbol), units(now.supply, a.decimals));
            if a.currency {
                row(format!("fees.{}", a.symbol), units(u128::from(now.fees), a.decimals));
            }
        }
    }
    csv
}

/// Cumulative (volume, trades) per market at the sample before `ix` (zeros for the first).
fn previous_markets(out: &RunOutput, ix: usize) -> Vec<(u64, u64)> {
    match ix.checked_sub(1).and_then(|p| out.samples.get(p)) {
        Some(p) => p.markets.iter().map(|m| (m.volume, m.trades)).collect(),
        None => vec![(0, 0); out.markets.len()],
    }
}

const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

fn report_html(out: &RunOutput) -> String {
    let hours = |t: u64| t as f64 / 3_600_000.0;
    let x_max = hours(out.duration);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name} — entrepot-sim</title>\n<style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}th{{background:#f4f4f4}}td:first-child{{text-align:left}}svg{{display:block;margin:1em 0}}</style></head><body>\n<h1>{name}</h1>\n<p>seed {seed} · {minutes} game minutes · {agents} agents · {commands} commands · final state hash <code>{hash:016x}</code> · wealth Gini {gini:.4}</p>\n",
        name = esc(&out.name),
        seed = out.seed,
        minutes = out.duration / MINUTE_MS,
        agents = out.agents,
        commands = out.commands,
        hash = out.state_hash,
        gini = out.gini,
    );
    html.push_str(
        "<h2>Assets</h2>\n<table><tr><th>asset</th><th>start</th><th>faucet (minted)</th><th>sink (burned)</th><th>fees</th><th>supply at end</th></tr>\n",
    );
    for (a, t) in out.assets.iter().zip(&out.asset_totals) {
        let d = a.decimals;
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.symbol),
            units(t.start, d),
            units(t.faucet, d),
            units(t.burned, d),
            units(u128::from(t.fees), d),
            units(t.supply, d)
        );
    }
    html.push_str("</table>\n<h2>Markets</h2>\n<table><tr><th>market</th><th>trades</th><th>volume</th><th>last price</th></tr>\n");
    for (m, t) in out.markets.iter().zip(&out.market_totals) {
        let last = t.last.map_or_else(|| "—".to_string(), |p| m.units.ticks_to_price(p).to_string());
        let _ = writeln!(html, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{last}</td></tr>", esc(&m.symbol), t.trades, m.units.lots_to_quantity(t.volume));
    }
    html.push_str("</table>\n");
    if !out.refused.is_empty() {
        html.push_str("<h2>Refused orders</h2>\n<table><tr><th>reason</th><th>count</th></tr>\n");
        for (reason, n) in &out.refused {
            let _ = writeln!(html, "<tr><td>{}</td><td>{n}</td></tr>", esc(reason));
        }
        html.push_str("</table>\n");
    }

    html.push_str("<h2>Money supply</h2>\n");
    for (i, a) in out.assets.iter().enumerate().filter(|(_, a)| a.currency) {
        let line: Vec<(f64, f64)> = out.samples.iter().map(|s| (hours(s.time), f(units(s.assets[i].supply, a.decimals)))).collect();
        html.push_str(&chart(x_max, &format!("{} supply (minted − burned)", a.symbol), &[(a.symbol.clone(), line)]));
    }
    html.push_str("<h2>Prices</h2>\n");
    for (i, m) in out.markets.iter().enumerate() {
        let pick = |get: fn(&crate::run::MarketSample) -> Option<u64>| -> Vec<(f64, f64)> {
            out.samples.iter().filter_map(|s| get(&s.markets[i]).map(|p| (hours(s.time), f(m.units.ticks_to_price(p))))).collect()
        };
        let lines = [("last".to_string(), pick(|s| s.last)), ("best bid".to_string(), pick(|s| s.bid)), ("best ask".to_string(), pick(|s| s.ask))];
        html.push_str(&chart(x_max, &format!("{} price", m.symbol), &lines));
    }
    html.push_str("<h2>Volume per sample period</h2>\n");
    let lines: Vec<(String, Vec<(f64, f64)>)> = out
        .markets
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let points =
                out.samples.windows(2).map(|w| (hours(w[1].time), f(m.units.lots_to_quantity(w[1].markets[i].volume - w[0].markets[i].volume)))).collect();
            (m.symbol.clone(), points)
        })
        .collect();
    html.push_str(&chart(x_max, "volume (base units)", &lines));
    html.push_str("<p>x axis: game hours. Data: <code>series.csv</code>, <code>summary.json</code>.</p>\n</body></html>\n");
    html
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line chart as inline SVG: one polyline per series, min/max labels on both axes.
/// The x axis runs from 0 to `x_max` game hours.
fn chart(x_max: f64, title: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    const W: f64 = 900.0;
    const H: f64 = 240.0;
    const L: f64 = 70.0;
    const R: f64 = 20.0;
    const T: f64 = 28.0;
    const B: f64 = 30.0;
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let (x0, mut x1, mut y0, mut y1) = (0.0, x_max, f64::MAX, f64::MIN);
    for &(_, y) in points {
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\">\n");
    let _ = writeln!(svg, "<text x=\"{L}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>", esc(title));
    if y0 > y1 {
        svg.push_str("<text x=\"70\" y=\"120\" font-size=\"12\">no data</text>\n</svg>\n");
        return svg;
    }
    if y1 - y0 < 1e-9 {
        y0 -= 1.0;
        y1 += 1.0;
    }
    if x1 - x0 < 1e-9 {
        x1 = x0 + 1.0;
    }
    let sx = |x: f64| L + (x - x0) / (x1 - x0) * (W - L - R);
    let sy = |y: f64| H - B - (y - y0) / (y1 - y0) * (H - T - B);
    let _ = writeln!(svg, "<rect x=\"{L}\" y=\"{T}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>", W - L - R, H - T - B);
    let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>", L - 4.0, T + 10.0, num(y1));
    let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>", L - 4.0, H - B, num(y0));
    let _ = writeln!(svg, "<text x=\"{L}\" y=\"{}\" font-size=\"11\">{}</text>", H - 10.0, num(x0));
    let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{} h</text>", W - R, H - 10.0, num(x1));
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let path: Vec<String> = pts.iter().map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y))).collect();
        let _ = writeln!(svg, "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>", path.join(" "));
        let _ = writeln!(svg, "<text x=\"{}\" y=\"18\" font-size=\"12\" fill=\"{color}\">{}</text>", W - R - 110.0 * (series.len() - i) as f64, esc(name));
    }
    svg.push_str("</svg>\n");
    svg
}

fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
