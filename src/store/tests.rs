//! The store's own tests (the memory backend's are in `memory.rs`).

use super::*;

#[test]
fn refusal_writes_nothing_and_counters_are_dense() {
    let store = Store::open(None).unwrap();
    let r: Result<(), WriteError<&str>> = store.write(|tx| {
        tx.put(Table::PkiTracking, b"partial", &1u8)?;
        refuse("no")
    });
    assert!(matches!(r, Err(WriteError::Refused("no"))));
    assert!(!store.contains(Table::PkiTracking, b"partial").unwrap());
    let a = store.write::<_, ()>(|tx| tx.next_seq("t", 100)).unwrap();
    let b = store.write::<_, ()>(|tx| tx.next_seq("t", 100)).unwrap();
    assert_eq!((a, b), (100, 101));
    store
        .write::<_, ()>(|tx| tx.put(Table::PkiTracking, b"k", &"v".to_string()))
        .unwrap();
    assert_eq!(
        store
            .get::<String>(Table::PkiTracking, b"k")
            .unwrap()
            .as_deref(),
        Some("v")
    );
}

#[test]
fn writes_inside_a_handler_hand_their_flush_to_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(Some(dir.path())).unwrap();
    // Outside a handler the write waits on the spot: nothing is handed over.
    let ((), none) = flush::collect(|| ());
    assert!(none.is_none());
    // Inside, concurrent handlers each get a pending flush that resolves.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pendings: Vec<_> = (0..8u32)
        .map(|i| {
            let (r, p) = flush::collect(|| {
                store.write::<_, ()>(|tx| tx.put(Table::PkiCerts, &i.to_be_bytes(), &i))
            });
            r.unwrap();
            p.expect("a durable write inside a handler leaves a pending flush")
        })
        .collect();
    rt.block_on(async {
        for p in pendings {
            p.wait().await.unwrap();
        }
    });
    // An in-memory store has nothing to wait for.
    let memory = Store::open(None).unwrap();
    let (r, p) = flush::collect(|| memory.write::<_, ()>(|tx| tx.put(Table::PkiCerts, b"m", &1u8)));
    r.unwrap();
    assert!(p.is_none());
    drop(store);
    let store = Store::open(Some(dir.path())).unwrap();
    assert_eq!(
        store
            .get::<u32>(Table::PkiCerts, &7u32.to_be_bytes())
            .unwrap(),
        Some(7)
    );
}

#[test]
fn durable_store_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(Some(dir.path())).unwrap();
        store
            .write::<_, ()>(|tx| tx.put(Table::PkiCerts, b"a", &7u32))
            .unwrap();
    }
    let store = Store::open(Some(dir.path())).unwrap();
    assert_eq!(store.get::<u32>(Table::PkiCerts, b"a").unwrap(), Some(7));
}

#[test]
fn a_fresh_generation_replaces_the_old_only_when_committed() {
    let dir = tempfile::tempdir().unwrap();
    let put = |s: &Store, v: u32| {
        s.write::<_, ()>(|tx| tx.put(Table::PkiCerts, b"a", &v))
            .unwrap()
    };
    {
        let old = Store::open(Some(dir.path())).unwrap();
        put(&old, 1);
        let abandoned = old.fresh().unwrap();
        put(&abandoned, 2);
        // Dropped uncommitted: as if the process died before the switch.
    }
    let old = Store::open(Some(dir.path())).unwrap();
    assert_eq!(old.get::<u32>(Table::PkiCerts, b"a").unwrap(), Some(1));
    let new = old.fresh().unwrap();
    put(&new, 3);
    new.commit(&old).unwrap();
    drop(old);
    drop(new);
    let reopened = Store::open(Some(dir.path())).unwrap();
    assert_eq!(reopened.get::<u32>(Table::PkiCerts, b"a").unwrap(), Some(3));
    let gens: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    assert_eq!(gens.len(), 1, "{gens:?}");
}

#[test]
fn large_values_live_in_files_of_their_own_and_a_refused_write_leaves_none() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    let files_in = |dir: &Path| -> Vec<String> {
        let g = std::fs::read_to_string(dir.join("CURRENT")).unwrap();
        std::fs::read_dir(dir.join(g.trim()).join("files"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    {
        let store = Store::open(Some(dir.path())).unwrap();
        store
            .write::<_, ()>(|tx| tx.put_raw(Table::PodFiles, b"doc", &big))
            .unwrap();
        let r: Result<(), WriteError<&str>> = store.write(|tx| {
            tx.put_raw(Table::PodFiles, b"refused", &big)?;
            refuse("no")
        });
        assert!(r.is_err());
        assert_eq!(
            store.get_raw(Table::PodFiles, b"doc").unwrap(),
            Some(big.clone())
        );
        assert_eq!(store.get_raw(Table::PodFiles, b"refused").unwrap(), None);
        // A small value stays in sled; bytes that look like a marker of another key are a value.
        let lookalike = files::marker(b"doc");
        store
            .write::<_, ()>(|tx| tx.put_raw(Table::PodFiles, b"small", &lookalike))
            .unwrap();
        assert_eq!(
            store.get_raw(Table::PodFiles, b"small").unwrap(),
            Some(lookalike)
        );
    }
    assert_eq!(files_in(dir.path()).len(), 1, "{:?}", files_in(dir.path()));
    // A file no committed marker names (a crash between the two) is swept after the next open,
    // beside the requests; the committed one stays.
    let g = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    let files_dir = dir.path().join(g.trim()).join("files");
    std::fs::write(files_dir.join("10-6f7270686171"), b"orphan").unwrap();
    let store = Store::open(Some(dir.path())).unwrap();
    assert_eq!(store.get_raw(Table::PodFiles, b"doc").unwrap(), Some(big));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while files_in(dir.path()).len() > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(files_in(dir.path()).len(), 1, "{:?}", files_in(dir.path()));
}

/// Dropping the last handle of a store lets go of its directory: opening it again at once
/// succeeds, even with other stores at work in the process (sled's I/O threads are shared, and
/// one of them could still hold the database file's lock after the drop returned).
#[test]
fn a_store_opens_again_as_soon_as_its_last_handle_is_dropped() {
    let (stores, rounds) = (10u32, 40u32);
    std::thread::scope(|scope| {
        for _ in 0..stores {
            scope.spawn(move || {
                let dir = tempfile::tempdir().unwrap();
                for round in 0..rounds {
                    let store = Store::open(Some(dir.path())).unwrap();
                    for k in 0..8u32 {
                        let key = (round * 8 + k).to_be_bytes();
                        store
                            .write::<_, ()>(|tx| tx.put(Table::PkiCerts, &key, &round))
                            .unwrap();
                    }
                    drop(store);
                    let again = Store::open(Some(dir.path()))
                        .unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
                    let last = (round * 8 + 7).to_be_bytes();
                    assert_eq!(
                        again.get::<u32>(Table::PkiCerts, &last).unwrap(),
                        Some(round)
                    );
                }
            });
        }
    });
}
