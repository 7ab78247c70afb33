//! Threads racing saves and deletes: nothing acknowledged is lost, nothing deleted comes back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use session_core::{Error, SessionStore};

use crate::{fast_store, live, names};

const SAVES: usize = 300;

#[test]
fn concurrent_saves_from_two_threads_lose_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let store = fast_store(dir.path());
    let shared = store.create(&live(b"start")).unwrap();
    let own: Vec<String> = (0..2)
        .map(|_| store.create(&live(b"start")).unwrap())
        .collect();

    let last_shared: Vec<Vec<u8>> = thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let (store, shared, mine) = (&store, &shared, &own[t]);
                s.spawn(move || {
                    let mut last = Vec::new();
                    for n in 0..SAVES {
                        let value = format!("t{t}-{n}").into_bytes();
                        store.save(mine, &live(&value)).unwrap();
                        // every acknowledged save of a session only this thread writes
                        // is what a load sees right after
                        assert_eq!(store.load(mine).unwrap().unwrap(), value);
                        store.save(shared, &live(&value)).unwrap();
                        last = value;
                    }
                    last
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    for (t, key) in own.iter().enumerate() {
        let want = format!("t{t}-{}", SAVES - 1).into_bytes();
        assert_eq!(store.load(key).unwrap().unwrap(), want);
    }
    // last writer wins: the shared session holds one thread's last value
    let got = store.load(&shared).unwrap().unwrap();
    assert!(
        last_shared.contains(&got),
        "{}",
        String::from_utf8_lossy(&got)
    );
    // no temp file left behind
    assert_eq!(names(dir.path()).len(), 3);
}

#[test]
fn a_delete_racing_saves_is_never_undone() {
    let dir = tempfile::tempdir().unwrap();
    let store = fast_store(dir.path());
    for _ in 0..20 {
        let key = store.create(&live(b"start")).unwrap();
        let saves = AtomicUsize::new(0);
        thread::scope(|s| {
            s.spawn(|| {
                loop {
                    match store.save(&key, &live(b"again")) {
                        Ok(_) => saves.fetch_add(1, Ordering::SeqCst),
                        Err(Error::Interrupted) => break,
                        Err(e) => panic!("{e:?}"),
                    };
                }
            });
            s.spawn(|| {
                while saves.load(Ordering::SeqCst) < 5 {
                    thread::yield_now();
                }
                store.delete(&key).unwrap();
            });
        });
        assert_eq!(store.load(&key).unwrap(), None);
        assert!(!store.exists(&key).unwrap());
    }
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}
