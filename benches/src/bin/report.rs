//! Turns the estimates of one `cargo bench -p session-benches` run (in `target/criterion`)
//! into the Markdown tables of the book's benchmarks page: medians and ratios to the raw
//! floor measured in the same run.
//!
//! `cargo run -p session-benches --bin report [-- [path/to/target/criterion] [--svg chart.svg]]`
//!
//! With `--svg`, it also draws the book's chart: each backend's load and save over its
//! floor, against the bar.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use session_benches::Backend;

/// Median (ns) per full bench id.
type Medians = BTreeMap<String, f64>;

fn collect(dir: &Path, out: &mut Medians) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let (bench, estimates) = (
            path.join("new/benchmark.json"),
            path.join("new/estimates.json"),
        );
        if let (Ok(b), Ok(e)) = (std::fs::read(&bench), std::fs::read(&estimates)) {
            let b: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
            let e: serde_json::Value = serde_json::from_slice(&e).unwrap_or_default();
            if let (Some(id), Some(median)) = (
                b["full_id"].as_str(),
                e["median"]["point_estimate"].as_f64(),
            ) {
                out.insert(id.to_owned(), median);
            }
        } else {
            collect(&path, out);
        }
    }
}

/// How far apart (minutes) the estimates of `a` and `b` under `dir` were written.
fn minutes_apart(dir: &Path, a: &str, b: &str) -> Option<f64> {
    let written = |id: &str| {
        std::fs::metadata(dir.join(id).join("new/estimates.json"))
            .and_then(|m| m.modified())
            .ok()
    };
    let (a, b) = (written(a)?, written(b)?);
    let apart = a.duration_since(b).or_else(|_| b.duration_since(a)).ok()?;
    Some(apart.as_secs_f64() / 60.0)
}

fn time(ns: f64) -> String {
    match ns {
        ns if ns >= 1e9 => format!("{:.2} s", ns / 1e9),
        ns if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

/// `value (ratio×)` of `id` over `floor`, or `value`, or `–`.
fn cell(m: &Medians, id: &str, floor: Option<&str>) -> String {
    let Some(&v) = m.get(id) else {
        return "–".into();
    };
    match floor.and_then(|f| m.get(f)) {
        Some(&f) => format!("{} (**{:.2}×**)", time(v), v / f),
        None => time(v),
    }
}

fn store_table(out: &mut String, m: &Medians, size: &str, live: &str) {
    let tag = format!("{size}/{live}");
    let _ = writeln!(
        out,
        "\n### {size} session, {live} live sessions\n\n\
         | backend | load hit | load miss | save | create | delete | round trip (json or first codec) |\n\
         |---|---|---|---|---|---|---|"
    );
    for backend in Backend::all() {
        let b = backend.name();
        if !m.contains_key(&format!("{b}/load_hit/{tag}")) {
            continue;
        }
        let codec = backend.codecs()[0].name();
        let id = |op: &str| format!("{b}/{op}/{tag}");
        let rt = |op: &str| format!("{b}/{op}/{codec}/{tag}");
        let _ = writeln!(
            out,
            "| {b} | {} | {} | {} | {} | {} | {} ({codec}) |",
            cell(m, &id("load_hit"), Some(&id("floor_get"))),
            cell(m, &id("load_miss"), None),
            cell(m, &id("save"), Some(&id("floor_put"))),
            cell(m, &id("create"), Some(&id("floor_insert"))),
            cell(m, &id("delete"), None),
            cell(m, &rt("round_trip"), Some(&rt("floor_round_trip"))),
        );
    }
    let _ = writeln!(
        out,
        "\n| backend | floor get | floor put | floor insert | floor round trip |\n|---|---|---|---|---|"
    );
    for backend in Backend::all() {
        let b = backend.name();
        if !m.contains_key(&format!("{b}/floor_get/{tag}")) {
            continue;
        }
        let codec = backend.codecs()[0].name();
        let _ = writeln!(
            out,
            "| {b} | {} | {} | {} | {} |",
            cell(m, &format!("{b}/floor_get/{tag}"), None),
            cell(m, &format!("{b}/floor_put/{tag}"), None),
            cell(m, &format!("{b}/floor_insert/{tag}"), None),
            cell(m, &format!("{b}/floor_round_trip/{codec}/{tag}"), None),
        );
    }
}

/// The ratio of `id` over `floor`, when both ran.
fn ratio(m: &Medians, id: &str, floor: &str) -> Option<f64> {
    Some(m.get(id)? / m.get(floor)?)
}

/// `1.23× ✓` against `bar`, or `–`.
fn verdict(r: Option<f64>, bar: f64) -> String {
    r.map_or("–".into(), |r| {
        format!("{r:.2}× {}", if r <= bar { "✓" } else { "✗" })
    })
}

/// Each ratio of the bar (the targets listed in the benchmarks chapter), measured in this run.
fn bar_table(out: &mut String, m: &Medians) {
    out.push_str(
        "## Against the bar (typical session, 10,000 live; ✓ within it)\n\n\
         | backend | load ÷ floor get (≤ 1.3×) | save ÷ floor put (≤ 1.3×) | load 1M ÷ load 10k (≤ 1.5×) |\n\
         |---|---|---|---|\n",
    );
    for backend in Backend::all() {
        let b = backend.name();
        let id = |op: &str, live: &str| format!("{b}/{op}/typical/{live}");
        if !m.contains_key(&id("load_hit", "10k")) {
            continue;
        }
        let growth = if backend.at_scale() {
            verdict(ratio(m, &id("load_hit", "1m"), &id("load_hit", "10k")), 1.5)
        } else {
            "–".into()
        };
        let _ = writeln!(
            out,
            "| {b} | {} | {} | {growth} |",
            verdict(
                ratio(m, &id("load_hit", "10k"), &id("floor_get", "10k")),
                1.3
            ),
            verdict(ratio(m, &id("save", "10k"), &id("floor_put", "10k")), 1.3),
        );
    }
}

/// The cookie bar: data to a signed value and back against serde_json + the signer.
fn cookie_table(out: &mut String, m: &Medians) {
    if !m.keys().any(|k| k.starts_with("cookie-codec/")) {
        return;
    }
    out.push_str(
        "\n## The cookie bar (median; ratio to serde_json + the bare signer)\n\n\
         | size | encode + sign (≤ 1.2×) | verify + decode (≤ 1.2×) | save: verify the old value + sign (vs unsign + sign) |\n\
         |---|---|---|---|\n",
    );
    for size in ["typical", "large"] {
        let id = |op: &str| format!("cookie-codec/{op}/{size}");
        if !m.contains_key(&id("encode")) {
            continue;
        }
        let both = |op: &str, floor: &str, bar: f64| {
            m.get(&id(op)).map_or("–".into(), |&v| {
                format!(
                    "{} ({})",
                    time(v),
                    verdict(ratio(m, &id(op), &id(floor)), bar)
                )
            })
        };
        let _ = writeln!(
            out,
            "| {size} | {} | {} | {} |",
            both("encode", "floor_encode", 1.2),
            both("decode", "floor_decode", 1.2),
            both("save", "floor_unsign_sign", 1.3),
        );
    }
}

/// A horizontal bar chart (SVG) of each backend's load and save over its floor, typical
/// session, 10,000 live sessions, with the 1× and 1.3× lines.
fn ratio_chart(m: &Medians) -> Option<String> {
    let rows: Vec<(&str, Option<f64>, Option<f64>)> = Backend::all()
        .iter()
        .map(|b| {
            let id = |op: &str| format!("{}/{op}/typical/10k", b.name());
            (
                b.name(),
                ratio(m, &id("load_hit"), &id("floor_get")),
                ratio(m, &id("save"), &id("floor_put")),
            )
        })
        .filter(|(_, l, s)| l.is_some() || s.is_some())
        .collect();
    if rows.is_empty() {
        return None;
    }
    let top = rows
        .iter()
        .flat_map(|(_, l, s)| [*l, *s])
        .flatten()
        .fold(2.0_f64, f64::max);
    let x_max = (top * 2.0).ceil() / 2.0;
    let (left, width, row_h, head) = (110.0, 560.0, 34.0, 58.0);
    let height = head + row_h * rows.len() as f64 + 34.0;
    let x = |r: f64| left + r / x_max * width;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">Session layer ÷ raw engine floor (typical session, 10,000 live; both from the same run)</text>\n\
         <rect x=\"{left}\" y=\"30\" width=\"12\" height=\"10\" fill=\"#4c78a8\"/><text x=\"{lx1}\" y=\"39\">load</text>\n\
         <rect x=\"{lx2}\" y=\"30\" width=\"12\" height=\"10\" fill=\"#f58518\"/><text x=\"{lx3}\" y=\"39\">save</text>\n",
        w = left + width + 60.0,
        lx1 = left + 16.0,
        lx2 = left + 60.0,
        lx3 = left + 76.0,
    );
    let bottom = head + row_h * rows.len() as f64;
    let mut tick = 0.0;
    while tick <= x_max + 1e-9 {
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"{head}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#ddd\"/>\
             <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\">{tick}×</text>",
            x = x(tick),
            ty = bottom + 16.0,
        );
        tick += 0.5;
    }
    for (i, (name, load, save)) in rows.iter().enumerate() {
        let y = head + row_h * i as f64;
        let _ = writeln!(
            svg,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{name}</text>",
            lx = left - 8.0,
            ty = y + 20.0,
        );
        for (j, (value, color)) in [(load, "#4c78a8"), (save, "#f58518")].iter().enumerate() {
            let Some(r) = value else { continue };
            let by = y + 5.0 + 12.0 * j as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{left}\" y=\"{by}\" width=\"{bw:.1}\" height=\"11\" fill=\"{color}\"/>\
                 <text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"10\">{r:.2}×</text>",
                bw = x(*r) - left,
                tx = x(*r) + 3.0,
                ty = by + 9.0,
            );
        }
    }
    let _ = write!(
        svg,
        "<line x1=\"{one}\" y1=\"{head}\" x2=\"{one}\" y2=\"{bottom}\" stroke=\"#444\"/>\n\
         <line x1=\"{bar}\" y1=\"{y0}\" x2=\"{bar}\" y2=\"{bottom}\" stroke=\"#d62728\" stroke-dasharray=\"5,3\"/>\
         <text x=\"{bt}\" y=\"{y1}\" fill=\"#d62728\">bar 1.3×</text>\n\
         <text x=\"{left}\" y=\"{fy}\" font-size=\"10\" fill=\"#555\">floor: the engine's own operation, measured in the same run</text>\n</svg>\n",
        one = x(1.0),
        bar = x(1.3),
        bt = x(1.3) + 4.0,
        y0 = head - 8.0,
        y1 = head - 2.0,
        fy = bottom + 30.0,
    );
    Some(svg)
}

fn main() {
    let mut dir = PathBuf::from("target/criterion");
    let mut svg = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--svg" => svg = args.next().map(PathBuf::from),
            _ => dir = PathBuf::from(arg),
        }
    }
    let mut m = Medians::new();
    collect(&dir, &mut m);
    if m.is_empty() {
        eprintln!(
            "no estimates under {}: run `cargo bench -p session-benches` first",
            dir.display()
        );
        std::process::exit(1);
    }
    if let Some(path) = svg {
        let Some(chart) = ratio_chart(&m) else {
            eprintln!("no typical/10k store results to chart");
            std::process::exit(1);
        };
        if let Err(e) = std::fs::write(&path, chart) {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
    let mut out = String::new();
    bar_table(&mut out, &m);
    cookie_table(&mut out, &m);
    out.push_str("\n## Store operations (median; ratio to the engine's raw floor)\n");
    for (size, live) in [("typical", "10k"), ("large", "10k"), ("typical", "1m")] {
        if m.keys().any(|k| k.ends_with(&format!("/{size}/{live}"))) {
            store_table(&mut out, &m, size, live);
        }
    }

    out.push_str("\n## Round trips by serializer (median; ratio to the floor round trip)\n\n");
    out.push_str("| backend | serializer | typical | large |\n|---|---|---|---|\n");
    for backend in Backend::all() {
        let b = backend.name();
        for codec in backend.codecs() {
            let c = codec.name();
            let id = |op: &str, size: &str| format!("{b}/{op}/{c}/{size}/10k");
            let _ = writeln!(
                out,
                "| {b} | {c} | {} | {} |",
                cell(
                    &m,
                    &id("round_trip", "typical"),
                    Some(&id("floor_round_trip", "typical"))
                ),
                cell(
                    &m,
                    &id("round_trip", "large"),
                    Some(&id("floor_round_trip", "large"))
                ),
            );
        }
    }

    if m.keys().any(|k| k.ends_with("/1m")) {
        out.push_str(
            "\n## Growth with the store (typical session; 1,000,000 over 10,000 live sessions)\n\n",
        );
        out.push_str("| backend | load hit | save | round trip (json) |\n|---|---|---|---|\n");
        for backend in Backend::all().iter().filter(|b| b.at_scale()) {
            let b = backend.name();
            let pair = |op: &str| {
                cell(
                    &m,
                    &format!("{b}/{op}/typical/1m"),
                    Some(&format!("{b}/{op}/typical/10k")),
                )
            };
            let rt = cell(
                &m,
                &format!("{b}/round_trip/json/typical/1m"),
                Some(&format!("{b}/round_trip/json/typical/10k")),
            );
            let _ = writeln!(
                out,
                "| {b} | {} | {} | {rt} |",
                pair("load_hit"),
                pair("save")
            );
        }
    }

    out.push_str("\n## Serializers alone (median)\n\n");
    out.push_str("| codec | size | raw encode | Serializer::to_bytes | raw decode | Serializer::from_bytes |\n|---|---|---|---|---|---|\n");
    for c in ["json", "msgpack", "django-codec"] {
        for s in ["typical", "large"] {
            let id = |op: &str| format!("serde/{op}/{c}/{s}");
            let _ = writeln!(
                out,
                "| {c} | {s} | {} | {} | {} | {} |",
                cell(&m, &id("raw_encode"), None),
                cell(&m, &id("serializer_encode"), Some(&id("raw_encode"))),
                cell(&m, &id("raw_decode"), None),
                cell(&m, &id("serializer_decode"), Some(&id("raw_decode"))),
            );
        }
    }

    out.push_str(
        "\n## session-tower: one request through an axum Router (median; extra over no layer)\n\n",
    );
    out.push_str("| route | per request | requests/s (one thread) | extra over `no-layer` |\n|---|---|---|---|\n");
    let bare = m.get("tower/no-layer").copied();
    for (id, &v) in m.iter().filter(|(k, _)| k.starts_with("tower/")) {
        let extra = bare.map_or("–".into(), |b| time(v - b));
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {extra} |",
            &id["tower/".len()..],
            time(v),
            1e9 / v
        );
    }
    if let (Some(hop), Some(now), Some(inline)) = (
        m.get("tower/db-file-hop"),
        m.get("tower/db-file"),
        m.get("tower/db-file-inline"),
    ) {
        let _ = writeln!(
            out,
            "\nSQLite file: the default path is {:.2}× the sync face inline and {:.2}× the \
             previous one-hop-per-phase path.",
            now / inline,
            now / hop
        );
    }
    for (ours, peer, store) in [
        (
            "tower/memory",
            "tower/peer-tower-sessions-memory",
            "MemoryStore",
        ),
        ("tower/cache", "tower/peer-tower-sessions-moka", "MokaStore"),
    ] {
        if let (Some(ours), Some(peer)) = (m.get(ours), m.get(peer)) {
            let speedup = peer / ours;
            let verdict = if speedup >= 1.3 { "met" } else { "missed" };
            let _ = writeln!(
                out,
                "\nAgainst tower-sessions' {store} on the same handler: ours is {speedup:.2}× \
                 faster (target ≥ 1.3×: {verdict})."
            );
        }
    }
    // tower-sessions' SQLite stores: estimates of the peers workspace's bench
    // (`benches/peers`), which writes them beside ours
    for (peer, store, target) in [
        ("tower/peer-tower-sessions-sqlx", "sqlx SQLite store", 6.0),
        (
            "tower/peer-tower-sessions-rusqlite",
            "rusqlite SQLite store",
            3.0,
        ),
    ] {
        if let (Some(ours), Some(theirs)) = (m.get("tower/db-file"), m.get(peer)) {
            let speedup = theirs / ours;
            let verdict = if speedup >= target { "met" } else { "missed" };
            let apart = match minutes_apart(&dir, "tower/db-file", peer) {
                Some(minutes) if minutes > 30.0 => {
                    format!(" Measured {minutes:.0} minutes apart: run both benches back to back.")
                }
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "
SQLite file (`db-file`) against tower-sessions' {store} on the same handler: \
                 ours is {speedup:.2}× faster per request ({} against {}; target ≥ {target}×: \
                 {verdict}).{apart}",
                time(*ours),
                time(*theirs)
            );
        }
    }
    if let (Some(bare), Some(memory)) = (m.get("tower/no-layer"), m.get("tower/memory")) {
        let extra = memory - bare;
        let verdict = if extra <= 2000.0 { "met" } else { "missed" };
        let _ = writeln!(
            out,
            "\nLayer overhead over a bare route (memory store, load + save): {} (target ≤ 2 µs: \
             {verdict}).",
            time(extra)
        );
    }
    for (engine, id, floor_is) in [
        (
            "Redis",
            "redis",
            "the same GET and SET through the redis crate's async client",
        ),
        (
            "PostgreSQL",
            "postgres",
            "the same SELECT and UPDATE through one tokio-postgres connection",
        ),
    ] {
        let (ours, floor) = (
            m.get(&format!("tower/{id}")),
            m.get(&format!("tower/{id}-floor")),
        );
        if let (Some(ours), Some(floor)) = (ours, floor) {
            let ratio = ours / floor;
            let verdict = if ratio <= 1.3 { "met" } else { "missed" };
            let _ = writeln!(
                out,
                "\n{engine} through the layer ÷ {floor_is} alone: {ratio:.2}× (target ≤ 1.3×: \
                 {verdict})."
            );
        }
        let (native, hop) = (
            m.get(&format!("tower-concurrent/{id}")),
            m.get(&format!("tower-concurrent/{id}-hop")),
        );
        if let (Some(native), Some(hop)) = (native, hop) {
            let _ = writeln!(
                out,
                "\n64 sessions at once through the layer (per request): {engine}'s async face {}, \
                 its sync face in blocking-pool hops {} ({:.1}× slower).",
                time(native / 64.0),
                time(hop / 64.0),
                hop / native
            );
        }
    }
    if let (Some(a), Some(b)) = (m.get("tower/memory"), m.get("tower/memory-blocking")) {
        let _ = writeln!(
            out,
            "\nspawn_blocking hops (load + save) on the same in-memory store: {} per request.",
            time(b - a)
        );
    }

    out.push_str("\n## clear_expired (median of one sweep)\n\n| backend | expired sessions | sweep | per session |\n|---|---|---|---|\n");
    for (id, &v) in m.iter().filter(|(k, _)| k.starts_with("clear_expired/")) {
        let mut parts = id["clear_expired/".len()..].rsplitn(2, '/');
        let (n, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let per = n.parse::<f64>().map_or("–".into(), |n| time(v / n));
        let _ = writeln!(out, "| {b} | {n} | {} | {per} |", time(v));
    }
    let mut sweeps = Vec::new();
    for n in ["1000", "100000", "1000000"] {
        let sweep = m.get(&format!("clear_expired/sqlite-sweep/{n}"));
        let floor = m.get(&format!("clear_expired/sqlite-floor/{n}"));
        if let (Some(&sweep), Some(&floor)) = (sweep, floor) {
            let ratio = sweep / floor;
            let verdict = if ratio <= 1.3 { "met" } else { "missed" };
            let _ = writeln!(
                out,
                "\nSQLite sweep of {n} ÷ one `DELETE` of them: {ratio:.2}× (target ≤ 1.3×: {verdict})."
            );
            sweeps.push((n, sweep));
        }
    }
    if let (Some((_, small)), Some((_, large))) = (
        sweeps.iter().find(|(n, _)| *n == "100000"),
        sweeps.iter().find(|(n, _)| *n == "1000000"),
    ) {
        let ratio = large / small;
        let verdict = if ratio <= 10.0 { "met" } else { "missed" };
        let _ = writeln!(
            out,
            "\nSQLite sweep of a million ÷ of 100,000: {ratio:.2}× (target ≤ 10×: {verdict})."
        );
    }
    // the stall and http benches are not criterion benches: each leaves its own table
    // beside the estimates
    for table in ["stall.md", "http.md", "concurrency.md", "sweep_load.md"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(table)) {
            out.push_str(&text);
        }
    }
    print!("{out}");
}
