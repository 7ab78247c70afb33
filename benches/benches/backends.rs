//! Every backend, one workload: store operations, the request round trip through
//! `SessionManager`, and each engine's raw floor beside them, in the same run.
//!
//! Ids: `<backend>/<op>/<size>/<live sessions>` (round trips add the serializer);
//! `floor_*` ops are the engine alone. `serde/*` is the serializers alone.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use session_benches::{Backend, Codec, Fixture, RunMode, SECRET, Size, live_until};
use session_cookie::CookieStore;
use session_core::{DjangoJson, Record, Serializer, SessionData, SessionStore, key};
use session_signing::Signer;

/// How far a save moves the expiry: the bench sessions carry `_session_expiry: 1209600`
/// (two weeks of idle time), so every save of a session, as every request's, writes a new
/// expiry — and a database moves the row in its expiry index — floors included.
const SESSION_AGE: Duration = Duration::from_secs(1_209_600);

/// Keys a bench cycles through, in a scrambled order (a cheap xorshift, so the pick
/// costs nothing next to the operation).
struct Picker {
    state: u64,
}

impl Picker {
    fn new() -> Self {
        Picker {
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn pick<'a>(&mut self, keys: &'a [String]) -> &'a str {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        &keys[(self.state % keys.len() as u64) as usize]
    }
}

fn label(live: usize) -> String {
    match live {
        n if n >= 1_000_000 => format!("{}m", n / 1_000_000),
        n => format!("{}k", n / 1_000),
    }
}

/// The serializers alone (serde, and Django's codec with its signing).
fn serde(c: &mut Criterion) {
    let mut group = c.benchmark_group("serde");
    for size in Size::ALL {
        let data = size.data();
        for (codec, serializer) in [
            (Codec::Json, &session_core::Json as &dyn Serializer),
            (Codec::MessagePack, &session_core::MessagePack),
            (
                Codec::Django,
                &session_signing::DjangoCodec::new(session_benches::SECRET)
                    .expect("a non-empty secret"),
            ),
        ] {
            let id = format!("{}/{}", codec.name(), size.name());
            let bytes = codec.raw_encode(&data);
            group.bench_function(format!("raw_encode/{id}"), |b| {
                b.iter(|| codec.raw_encode(black_box(&data)))
            });
            group.bench_function(format!("raw_decode/{id}"), |b| {
                b.iter(|| codec.raw_decode(black_box(&bytes)))
            });
            group.bench_function(format!("serializer_encode/{id}"), |b| {
                b.iter(|| serializer.to_bytes(black_box(&data)).unwrap())
            });
            let made = serializer.to_bytes(&data).unwrap();
            group.bench_function(format!("serializer_decode/{id}"), |b| {
                b.iter(|| serializer.from_bytes(black_box(&made)).unwrap())
            });
        }
    }
    group.finish();
}

/// The cookie bar: a session's data to a signed cookie value and back, against serde_json
/// and the bare signer (HMAC-SHA256 + base64 + timestamp) in the same run; and a cookie
/// save (which re-verifies the value it replaces, by contract) against unsign + sign.
fn cookie_codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("cookie-codec");
    let store = CookieStore::new(SECRET).expect("a non-empty secret");
    let signer = Signer::new(SECRET)
        .expect("a non-empty secret")
        .with_salt(session_cookie::DEFAULT_SALT);
    let max_age = Some(store.max_age());
    for &size in RunMode::from_env().sizes() {
        let data = size.data();
        let id = size.name();
        group.bench_function(format!("encode/{id}"), |b| {
            b.iter(|| {
                let bytes = DjangoJson.to_bytes(black_box(&data)).unwrap();
                store.create(&Record::new(bytes, live_until())).unwrap()
            })
        });
        group.bench_function(format!("floor_encode/{id}"), |b| {
            b.iter(|| signer.sign(&serde_json::to_vec(black_box(&data)).unwrap(), true))
        });
        let record = Record::new(DjangoJson.to_bytes(&data).unwrap(), live_until());
        let token = store.create(&record).unwrap();
        group.bench_function(format!("decode/{id}"), |b| {
            b.iter(|| {
                let bytes = store.load(black_box(&token)).unwrap().unwrap();
                DjangoJson.from_bytes(&bytes).unwrap()
            })
        });
        group.bench_function(format!("floor_decode/{id}"), |b| {
            b.iter(|| {
                let bytes = signer.unsign(black_box(&token), max_age).unwrap();
                serde_json::from_slice::<SessionData>(&bytes).unwrap()
            })
        });
        group.bench_function(format!("save/{id}"), |b| {
            b.iter(|| store.save(black_box(&token), &record).unwrap())
        });
        group.bench_function(format!("floor_unsign_sign/{id}"), |b| {
            b.iter(|| {
                signer.unsign(black_box(&token), max_age).unwrap();
                signer.sign(&record.data, true)
            })
        });
    }
    group.finish();
}

/// The generic bench body: one fixture of one backend.
fn bench_fixture(
    group: &mut BenchmarkGroup<'_, WallTime>,
    backend: &Backend,
    f: &mut Fixture,
    live: usize,
) {
    let tag = format!("{}/{}", f.size.name(), label(live));
    let misses: Vec<String> = (0..1024).map(|_| key::generate()).collect();
    let mut record = Record::new(f.payload.bytes().to_vec(), live_until());
    let store = f.store.clone();

    let mut picker = Picker::new();
    group.bench_function(format!("load_hit/{tag}"), |b| {
        b.iter(|| {
            let data = store.load(picker.pick(&f.keys)).unwrap();
            debug_assert!(data.is_some());
            data
        })
    });
    if let Some(floor) = &f.floor {
        group.bench_function(format!("floor_get/{tag}"), |b| {
            b.iter(|| floor.get(picker.pick(&f.floor_keys)).unwrap())
        });
    }
    group.bench_function(format!("load_miss/{tag}"), |b| {
        b.iter(|| store.load(picker.pick(&misses)).unwrap())
    });
    group.bench_function(format!("save/{tag}"), |b| {
        b.iter(|| {
            f.payload.bump();
            record.data.copy_from_slice(f.payload.bytes());
            record.expires_at = SystemTime::now() + SESSION_AGE;
            store.save(picker.pick(&f.keys), &record).unwrap()
        })
    });
    if let Some(floor) = &f.floor {
        let mut payload = f.payload.clone();
        group.bench_function(format!("floor_put/{tag}"), |b| {
            b.iter(|| {
                payload.bump();
                record.data.copy_from_slice(payload.bytes());
                record.expires_at = SystemTime::now() + SESSION_AGE;
                floor.put(picker.pick(&f.floor_keys), &record.data, record.expires_at)
            })
        });
    }

    for &codec in backend.codecs() {
        let rt = format!("{}/{tag}", codec.name());
        let (manager, keys) = f.seed(codec, 64);
        group.bench_function(format!("round_trip/{rt}"), |b| {
            b.iter(|| {
                let mut session = manager.session(Some(picker.pick(&keys)));
                let n = session.get::<i64>("member_id").unwrap().unwrap_or(0);
                session.insert("member_id", n + 1).unwrap();
                let action = manager.finish(&mut session, 200, true).unwrap();
                manager.set_cookie_header(&action)
            })
        });
        if let Some(floor) = &f.floor {
            let keys = f.seed_floor(codec, 64);
            group.bench_function(format!("floor_round_trip/{rt}"), |b| {
                b.iter(|| {
                    let key = picker.pick(&keys);
                    let mut data = codec.raw_decode(&floor.get(key).unwrap());
                    let n = data["member_id"].as_i64().unwrap_or(0);
                    data.insert("member_id".into(), (n + 1).into());
                    let expires_at = SystemTime::now() + SESSION_AGE;
                    floor.put(key, &codec.raw_encode(&data), expires_at)
                })
            });
        }
    }

    group.bench_function(format!("create/{tag}"), |b| {
        b.iter(|| store.create(&record).unwrap())
    });
    if let Some(floor) = &f.floor {
        group.bench_function(format!("floor_insert/{tag}"), |b| {
            b.iter(|| floor.put(&key::generate(), &record.data, record.expires_at))
        });
    }
    group.bench_function(format!("delete/{tag}"), |b| {
        b.iter_batched(
            || store.create(&record).unwrap(),
            |key| store.delete(&key).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

fn backends(c: &mut Criterion) {
    let mode = RunMode::from_env();
    let backends = Backend::all();
    let names: Vec<&str> = backends.iter().map(|b| b.name()).collect();
    let filter = session_benches::filter_in(std::env::args().skip(1));
    for backend in &backends {
        if !session_benches::wanted(backend.name(), filter.as_deref(), &names) {
            continue;
        }
        let mut group = c.benchmark_group(backend.name());
        for &live in mode.store_sizes() {
            let sizes: &[Size] = if live > 10_000 {
                if !backend.at_scale() {
                    continue;
                }
                &[Size::Typical]
            } else {
                mode.sizes()
            };
            for &size in sizes {
                let mut fixture = backend.build(live, size);
                bench_fixture(&mut group, backend, &mut fixture, live);
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = RunMode::from_env().criterion();
    targets = serde, cookie_codec, backends
}
criterion_main!(benches);
