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

/// Two stores over one directory have separate in-process locks, as two processes would:
/// a delete through one is never undone by a save in flight through the other.
#[test]
fn a_delete_from_another_store_instance_is_never_undone() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let saver = fast_store(dir.path());
    let deleter = fast_store(dir.path());
    let mut resurrected = 0;
    for _ in 0..200 {
        let key = saver.create(&live(b"start")).unwrap();
        let saves = AtomicUsize::new(0);
        let deleted = AtomicBool::new(false);
        let late_save = thread::scope(|s| {
            let saving = s.spawn(|| {
                loop {
                    let after_delete = deleted.load(Ordering::SeqCst);
                    match saver.save(&key, &live(b"again")) {
                        // a save that started after the delete returned must not succeed
                        Ok(_) if after_delete => return true,
                        Ok(_) => saves.fetch_add(1, Ordering::SeqCst),
                        Err(Error::Interrupted) => return false,
                        Err(e) => panic!("{e:?}"),
                    };
                }
            });
            s.spawn(|| {
                while saves.load(Ordering::SeqCst) < 2 {
                    thread::yield_now();
                }
                deleter.delete(&key).unwrap();
                deleted.store(true, Ordering::SeqCst);
            });
            saving.join().unwrap()
        });
        // a save in flight during the delete must not bring the session back either
        resurrected += usize::from(late_save || deleter.exists(&key).unwrap());
        deleter.delete(&key).unwrap();
    }
    assert_eq!(resurrected, 0, "sessions resurrected after a delete");
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}
