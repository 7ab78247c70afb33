//! `clear_expired` (Django's `clearsessions`) of 100,000 expired sessions per backend
//! (1,000 in the smoke run). Each timed sweep gets a freshly filled store; filling is
//! not timed.

use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use session_benches::{Backend, Codec, RunMode, Size};
use session_core::Record;

fn clear_expired(c: &mut Criterion) {
    let mode = RunMode::from_env();
    let bytes = Codec::Json.raw_encode(&Size::Typical.data());
    let mut group = c.benchmark_group("clear_expired");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    for backend in Backend::all().into_iter().filter(Backend::sweeps) {
        let count = mode.expired_count();
        group.throughput(Throughput::Elements(count as u64));
        let mut reported = false;
        group.bench_function(format!("{}/{}", backend.name(), count), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let fixture = backend.empty();
                    let expires = SystemTime::now() + Duration::from_millis(50);
                    let record = Record::new(bytes.clone(), expires);
                    fixture.fill(count, &record);
                    if let Ok(wait) = expires.duration_since(SystemTime::now()) {
                        std::thread::sleep(wait + Duration::from_millis(5));
                    }
                    let sweeper = fixture.sweeper.as_ref().expect("a sweeper");
                    let start = Instant::now();
                    let cleared = sweeper.clear_expired().expect("clear_expired");
                    total += start.elapsed();
                    if !reported {
                        eprintln!("{}: cleared {cleared} of {count}", backend.name());
                        reported = true;
                    }
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, clear_expired);
criterion_main!(benches);
