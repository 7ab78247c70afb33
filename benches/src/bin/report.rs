//! Turns the estimates of one `cargo bench -p session-benches` run (in `target/criterion`)
//! into the Markdown tables of the book's benchmarks page: medians and ratios to the raw
//! floor measured in the same run.
//!
//! `cargo run -p session-benches --bin report [-- path/to/target/criterion]`

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

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/criterion"));
    let mut m = Medians::new();
    collect(&dir, &mut m);
    if m.is_empty() {
        eprintln!(
            "no estimates under {}: run `cargo bench -p session-benches` first",
            dir.display()
        );
        std::process::exit(1);
    }
    let mut out = String::new();
    out.push_str("## Store operations (median; ratio to the engine's raw floor)\n");
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
    print!("{out}");
}
