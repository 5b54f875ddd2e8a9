//! The store without a data directory: one ordered map per table in process memory.
//!
//! Rationale: this mode used to be a temporary sled database, which sled puts under `/dev/shm`
//! (or the temp dir). signsim's container image is `FROM scratch`, runs as a non-root user and
//! has no writable filesystem: Docker gives `/dev/shm` 64 MiB, so the 34th upload of 1 MiB was
//! refused with "No space left on device", and where there is neither `/dev/shm` nor `/tmp` the
//! server could not start at all. State that is not meant to outlive the process has no
//! business on a filesystem, so this module holds only maps: it imports nothing that names a
//! path or a file, and opening it cannot fail.
//!
//! Consistency: every table sits behind one [`RwLock`]. A transaction ([`Pending`]) buffers its
//! puts and removes and reads through them; [`Pending::apply`] takes the write lock once and
//! applies them all, so a reader sees a transaction whole or not at all, and a refused one
//! (dropped unapplied) leaves nothing behind. Writers are serialized by the store's write lock,
//! so the committed maps cannot change under a transaction: there are no conflicts to retry.
//!
//! Values are `Arc<[u8]>`: stored once, and a read takes a reference (an atomic increment)
//! under the lock and decodes or copies after releasing it, so a large value never holds
//! writers back.

use super::Span;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

/// One table: key → value, in key order as sled keeps them (bytewise).
type Map = BTreeMap<Vec<u8>, Arc<[u8]>>;

/// One table's writes in a transaction: `None` removes the key.
type Writes = BTreeMap<Vec<u8>, Option<Arc<[u8]>>>;

/// Every table of one store.
pub struct Memory {
    tables: RwLock<Vec<Map>>,
}

/// `each` of the entries of `map` in `span`, in key order, at most `limit`.
fn collect<R>(
    map: &Map,
    span: Span<'_>,
    limit: usize,
    each: impl FnMut((&Vec<u8>, &Arc<[u8]>)) -> R,
) -> Vec<R> {
    match span {
        Span::Prefix(prefix) => map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(each)
            .collect(),
        // `BTreeMap::range` panics on a start above the end; sled answers nothing.
        Span::Range(start, end) if start >= end => Vec::new(),
        Span::Range(start, end) => map
            .range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)))
            .take(limit)
            .map(each)
            .collect(),
    }
}

impl Memory {
    pub fn new(tables: usize) -> Memory {
        Memory {
            tables: RwLock::new(vec![Map::new(); tables]),
        }
    }

    pub fn get(&self, table: usize, key: &[u8]) -> Option<Arc<[u8]>> {
        crate::sync::read(&self.tables)[table].get(key).cloned()
    }

    pub fn contains(&self, table: usize, key: &[u8]) -> bool {
        crate::sync::read(&self.tables)[table].contains_key(key)
    }

    pub fn len(&self, table: usize) -> usize {
        crate::sync::read(&self.tables)[table].len()
    }

    /// `each` of the keys and values in `span`, in key order, at most `limit`, under the read
    /// lock: it should copy or share, and leave decoding to after.
    pub fn scan<R>(
        &self,
        table: usize,
        span: Span<'_>,
        limit: usize,
        mut each: impl FnMut(&[u8], &Arc<[u8]>) -> R,
    ) -> Vec<R> {
        let tables = crate::sync::read(&self.tables);
        collect(&tables[table], span, limit, |(k, v)| each(k, v))
    }

    /// A transaction over every table; nothing is visible to others until it is applied.
    /// The caller holds the store's write lock until then.
    pub fn begin(&self) -> Pending<'_> {
        Pending {
            memory: self,
            writes: RefCell::new(BTreeMap::new()),
        }
    }
}

/// One transaction's writes, not yet applied.
pub struct Pending<'a> {
    memory: &'a Memory,
    /// By table, then key. A `RefCell` because [`super::Tx`] hands out `&self` to closures
    /// that read and write in turn; it is never shared between threads.
    writes: RefCell<BTreeMap<usize, Writes>>,
}

impl Pending<'_> {
    /// The value under `key` as this transaction sees it: its own writes first.
    pub fn get(&self, table: usize, key: &[u8]) -> Option<Arc<[u8]>> {
        if let Some(written) = self.writes.borrow().get(&table).and_then(|t| t.get(key)) {
            return written.clone();
        }
        self.memory.get(table, key)
    }

    pub fn put(&self, table: usize, key: &[u8], value: Arc<[u8]>) {
        self.write(table, key, Some(value));
    }

    pub fn remove(&self, table: usize, key: &[u8]) {
        self.write(table, key, None);
    }

    fn write(&self, table: usize, key: &[u8], value: Option<Arc<[u8]>>) {
        self.writes
            .borrow_mut()
            .entry(table)
            .or_default()
            .insert(key.to_vec(), value);
    }

    /// Applies every write at once, under one write lock.
    pub fn apply(self) {
        let writes = self.writes.into_inner();
        if writes.is_empty() {
            return;
        }
        let mut tables = crate::sync::write(&self.memory.tables);
        for (table, writes) in writes {
            let map = &mut tables[table];
            for (key, value) in writes {
                match value {
                    Some(v) => {
                        map.insert(key, v);
                    }
                    None => {
                        map.remove(&key);
                    }
                }
            }
        }
    }
}

/// The memory backend through the store's verbs, and against sled where the answers must agree.
#[cfg(test)]
mod tests {
    use super::super::*;
    use proptest::prelude::*;
    use std::cell::RefCell;

    fn memory() -> Store {
        let store = Store::open(None).unwrap();
        assert!(!store.is_durable());
        store
    }

    fn put(store: &Store, t: Table, key: &[u8], value: &str) {
        store
            .write::<_, ()>(|tx| tx.put(t, key, &value.to_string()))
            .unwrap();
    }

    fn get(store: &Store, t: Table, key: &[u8]) -> Option<String> {
        store.get(t, key).unwrap()
    }

    #[test]
    fn a_refused_or_failed_transaction_applies_nothing() {
        let store = memory();
        put(&store, Table::PodDocuments, b"kept", "old");
        let seq = store.write::<_, ()>(|tx| tx.next_seq("n", 1)).unwrap();
        let partial = |tx: &Tx<'_>| -> Result<(), Abort<&str>> {
            tx.put(Table::PodDocuments, b"kept", &"new".to_string())?;
            tx.put_raw(Table::PodFiles, b"added", b"bytes")?;
            tx.remove(Table::PodDocuments, b"kept")?;
            tx.next_seq("n", 1)?;
            Ok(())
        };
        let refused = store.write(|tx| {
            partial(tx)?;
            refuse::<(), _>("no")
        });
        assert!(matches!(refused, Err(WriteError::Refused("no"))));
        let failed = store.write(|tx| {
            partial(tx)?;
            Err::<(), _>(Abort::Store(StoreError::Corrupt("on purpose".into())))
        });
        assert!(matches!(
            failed,
            Err(WriteError::Store(StoreError::Corrupt(_)))
        ));
        assert_eq!(
            get(&store, Table::PodDocuments, b"kept").as_deref(),
            Some("old")
        );
        assert!(!store.contains(Table::PodFiles, b"added").unwrap());
        assert_eq!(store.len(Table::PodFiles), 0);
        // The refused transactions took no number: counters stay dense.
        let next = store.write::<_, ()>(|tx| tx.next_seq("n", 1)).unwrap();
        assert_eq!((seq, next), (1, 2));
    }

    #[test]
    fn a_transaction_reads_its_own_writes_and_others_see_them_only_after() {
        let store = memory();
        put(&store, Table::PkiTracking, b"a", "before");
        put(&store, Table::PkiTracking, b"gone", "x");
        store
            .write::<_, ()>(|tx| {
                tx.put(Table::PkiTracking, b"a", &"during".to_string())?;
                tx.put_raw(Table::PkiByPerson, b"raw", b"\x00\x01")?;
                tx.remove(Table::PkiTracking, b"gone")?;
                assert_eq!(
                    tx.get::<String, ()>(Table::PkiTracking, b"a")?.as_deref(),
                    Some("during")
                );
                assert_eq!(tx.get::<String, ()>(Table::PkiTracking, b"gone")?, None);
                assert_eq!((tx.next_seq("s", 7)?, tx.next_seq("s", 7)?), (7, 8));
                // A reader outside the transaction sees none of it yet.
                assert_eq!(
                    get(&store, Table::PkiTracking, b"a").as_deref(),
                    Some("before")
                );
                assert!(store.contains(Table::PkiTracking, b"gone").unwrap());
                assert_eq!(store.get_raw(Table::PkiByPerson, b"raw").unwrap(), None);
                // Removed, then written again in the same transaction.
                tx.put(Table::PkiTracking, b"gone", &"back".to_string())?;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            get(&store, Table::PkiTracking, b"a").as_deref(),
            Some("during")
        );
        assert_eq!(
            get(&store, Table::PkiTracking, b"gone").as_deref(),
            Some("back")
        );
        assert_eq!(
            store.get_raw(Table::PkiByPerson, b"raw").unwrap(),
            Some(vec![0, 1])
        );
        assert_eq!(store.write::<_, ()>(|tx| tx.next_seq("s", 7)).unwrap(), 9);
    }

    #[test]
    fn removed_keys_are_gone_from_reads_scans_and_counts() {
        let store = memory();
        for k in [b"k1", b"k2", b"k3"] {
            put(&store, Table::PodSessions, k, "v");
        }
        store
            .write::<_, ()>(|tx| tx.remove(Table::PodSessions, b"k2"))
            .unwrap();
        // Removing what is not there is no error, as in sled.
        store
            .write::<_, ()>(|tx| tx.remove(Table::PodSessions, b"never"))
            .unwrap();
        assert!(!store.contains(Table::PodSessions, b"k2").unwrap());
        assert_eq!(get(&store, Table::PodSessions, b"k2"), None);
        assert_eq!(store.len(Table::PodSessions), 2);
        assert_eq!(
            store
                .keys_with_prefix(Table::PodSessions, b"k", usize::MAX)
                .unwrap(),
            vec![b"k1".to_vec(), b"k3".to_vec()]
        );
        // Tables are separate maps.
        assert_eq!(store.len(Table::PodAccounts), 0);
    }

    #[test]
    fn scans_go_in_key_order_within_their_bounds_and_limits() {
        let store = memory();
        let t = Table::PodByOwner;
        let keys: [&[u8]; 9] = [
            b"b\x1f2",
            b"a",
            b"b",
            b"b\x1f10",
            b"b\x1f1",
            b"c",
            b"b\xff",
            b"\xff\xff",
            b"",
        ];
        for k in keys {
            put(&store, t, k, &String::from_utf8_lossy(k));
        }
        let scanned = store.scan_prefix::<String>(t, b"b", usize::MAX).unwrap();
        let scanned_keys: Vec<&[u8]> = scanned.iter().map(|(k, _)| k.as_slice()).collect();
        let expected: [&[u8]; 5] = [b"b", b"b\x1f1", b"b\x1f10", b"b\x1f2", b"b\xff"];
        assert_eq!(scanned_keys, expected);
        assert_eq!(scanned[1].1, "b\u{1f}1");
        let first_two = store.scan_prefix::<String>(t, b"b", 2).unwrap();
        assert_eq!(first_two.len(), 2);
        assert_eq!(first_two[1].0, b"b\x1f1");
        assert_eq!(
            store.keys_with_prefix(t, b"b\x1f", 1).unwrap(),
            vec![b"b\x1f1".to_vec()]
        );
        assert_eq!(
            store.keys_with_prefix(t, b"\xff", 9).unwrap(),
            vec![b"\xff\xff".to_vec()]
        );
        assert_eq!(
            store.keys_with_prefix(t, b"", usize::MAX).unwrap().len(),
            keys.len()
        );
        assert!(store.keys_with_prefix(t, b"z", 9).unwrap().is_empty());
        assert_eq!(store.scan_prefix::<String>(t, b"b", 0).unwrap().len(), 0);
        // `[start, end)`: the end is left out.
        assert_eq!(
            store.keys_in_range(t, b"b", b"b\x1f2", usize::MAX).unwrap(),
            vec![b"b".to_vec(), b"b\x1f1".to_vec(), b"b\x1f10".to_vec()]
        );
        assert_eq!(
            store.keys_in_range(t, b"a", b"c", 2).unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert!(store.keys_in_range(t, b"b", b"b", 9).unwrap().is_empty());
        assert!(store.keys_in_range(t, b"c", b"a", 9).unwrap().is_empty());
    }

    #[test]
    fn fresh_gives_an_empty_memory_store_and_commit_keeps_both() {
        let old = memory();
        put(&old, Table::PkiCerts, b"a", "1");
        old.write::<_, ()>(|tx| tx.next_seq("n", 1).map(drop))
            .unwrap();
        let new = old.fresh().unwrap();
        assert!(!new.is_durable());
        for (t, _) in TABLES {
            assert_eq!(new.len(t), 0, "{t:?}");
        }
        put(&new, Table::PkiCerts, b"a", "2");
        assert_eq!(new.write::<_, ()>(|tx| tx.next_seq("n", 1)).unwrap(), 1);
        new.commit(&old).unwrap();
        // The app swaps the handles; the old store is untouched until it drops.
        assert_eq!(get(&old, Table::PkiCerts, b"a").as_deref(), Some("1"));
        assert_eq!(get(&new, Table::PkiCerts, b"a").as_deref(), Some("2"));
    }

    #[test]
    fn readers_never_see_half_a_transaction() {
        let store = memory();
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..300u32 {
                    store
                        .write::<_, ()>(|tx| {
                            tx.put(Table::PkiCustomers, b"x", &i)?;
                            tx.next_seq("between", 1)?;
                            tx.put(Table::PkiCustomers, b"y", &i)
                        })
                        .unwrap();
                }
            })
        };
        let mut reads = 0;
        while !writer.is_finished() || reads == 0 {
            // One scan is one look at the maps: both keys of one transaction, or neither.
            let seen: Vec<u32> = store
                .scan_prefix::<u32>(Table::PkiCustomers, b"", usize::MAX)
                .unwrap()
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            assert!(
                seen.is_empty() || (seen.len() == 2 && seen[0] == seen[1]),
                "{seen:?}"
            );
            reads += 1;
        }
        writer.join().unwrap();
        assert_eq!(
            store.get::<u32>(Table::PkiCustomers, b"y").unwrap(),
            Some(299)
        );
    }

    /// The point of this backend (see the module doc): no file, directory or descriptor
    /// anywhere. The check runs in a child process of this test binary, alone, because it
    /// forbids the whole process to open anything.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_memory_store_touches_no_filesystem() {
        let tmp = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "store::memory::tests::memory_store_in_a_process_that_cannot_open_files",
                "--exact",
                "--ignored",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            // Where sled would have gone without /dev/shm.
            .env("TMPDIR", tmp.path())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "the child ran no test: {text}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// Set for the child process of [`a_memory_store_touches_no_filesystem`].
    #[cfg(target_os = "linux")]
    const CHILD: &str = "SIGNSIM_STORE_TEST_CHILD";

    /// The open descriptors that name a path, by number (not the listing's own).
    #[cfg(target_os = "linux")]
    fn descriptors() -> Vec<(String, std::path::PathBuf)> {
        let mut fds: Vec<_> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .filter_map(|e| {
                Some((
                    e.file_name().into_string().ok()?,
                    e.path().read_link().ok()?,
                ))
            })
            .filter(|(_, target)| !target.starts_with("/proc"))
            .collect();
        fds.sort();
        fds
    }

    #[cfg(target_os = "linux")]
    #[test]
    #[ignore = "run alone in a child process by a_memory_store_touches_no_filesystem"]
    fn memory_store_in_a_process_that_cannot_open_files() {
        if std::env::var_os(CHILD).is_none() {
            // Run by hand with --ignored among other tests: lowering the limit would fail them.
            return;
        }
        let before = descriptors();
        // The lowest free descriptor number becomes the limit, so from here on every open(),
        // mkdir-then-open, socket or pipe of this process fails with EMFILE.
        let lowest_free = (0..)
            // SAFETY: F_GETFD only reads a descriptor's flags; -1 means it is not open.
            .find(|fd| unsafe { libc::fcntl(*fd, libc::F_GETFD) } == -1)
            .unwrap();
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: both calls only read or set this process's descriptor limit.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0);
            let trap = libc::rlimit {
                rlim_cur: lowest_free as libc::rlim_t,
                rlim_max: old.rlim_max,
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &trap), 0);
        }
        let armed = std::fs::File::open("/").map_err(|e| e.raw_os_error());
        let result = std::panic::catch_unwind(|| {
            let store = Store::open(None).unwrap();
            put(&store, Table::PodFiles, b"f", "a file");
            assert_eq!(
                get(&store, Table::PodFiles, b"f").as_deref(),
                Some("a file")
            );
            assert_eq!(
                store
                    .keys_with_prefix(Table::PodFiles, b"", 9)
                    .unwrap()
                    .len(),
                1
            );
            let next = store.fresh().unwrap();
            put(&next, Table::PodFiles, b"g", "another");
            next.commit(&store).unwrap();
            drop(store);
            assert_eq!(next.len(Table::PodFiles), 1);
        });
        // SAFETY: as above.
        unsafe {
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &old), 0);
        }
        assert_eq!(
            armed.err(),
            Some(Some(libc::EMFILE)),
            "the trap did not work"
        );
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
        assert_eq!(descriptors(), before);
    }

    /// Stored bytes compare by content, and a value read twice unchanged is one allocation.
    #[test]
    fn stored_bytes_compare_for_the_decoded_cache() {
        let store = memory();
        store
            .write::<_, ()>(|tx| tx.put_raw(Table::Meta, b"k", b"abc"))
            .unwrap();
        let a = store.stored(Table::Meta, b"k").unwrap().unwrap();
        let b = store.stored(Table::Meta, b"k").unwrap().unwrap();
        assert!(matches!((&a, &b), (Stored::Memory(x), Stored::Memory(y)) if Arc::ptr_eq(x, y)));
        assert!(a == b);
        assert!(Stored::Memory(Arc::from(&b"abc"[..])) == a);
        assert!(Stored::Sled(sled::IVec::from(b"abc")) == a);
        assert!(Stored::Memory(Arc::from(&b"abd"[..])) != a);
    }

    /// One step of a transaction in the comparison below.
    #[derive(Clone, Debug)]
    enum Op {
        Put(usize, Vec<u8>, u8),
        Remove(usize, Vec<u8>),
        Seq,
    }

    const TABLES_USED: [Table; 2] = [Table::PodByOwner, Table::PodPartnerTrn];

    /// Short keys of the bytes where ordering and prefixes go wrong: 0, the separator, 0xFF.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop::sample::select(vec![0u8, 1, codec::SEP, b'a', 0xFE, 0xFF]),
            0..4,
        )
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..2usize, key(), any::<u8>()).prop_map(|(t, k, v)| Op::Put(t, k, v)),
            (0..2usize, key()).prop_map(|(t, k)| Op::Remove(t, k)),
            Just(Op::Seq),
        ]
    }

    /// Everything one store answers to a run of transactions: what each transaction read
    /// while it ran, how it ended, and then every kind of scan.
    fn answers(
        store: &Store,
        txs: &[(Vec<Op>, bool)],
        probes: &[(Vec<u8>, Vec<u8>, usize)],
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (ops, refused) in txs {
            let seen = RefCell::new(Vec::new());
            let r = store.write(|tx| {
                seen.borrow_mut().clear();
                for op in ops {
                    let read = match op {
                        Op::Put(t, k, v) => {
                            tx.put(TABLES_USED[*t], k, v)?;
                            tx.get::<u8, _>(TABLES_USED[*t], k)?.map(u64::from)
                        }
                        Op::Remove(t, k) => {
                            tx.remove(TABLES_USED[*t], k)?;
                            tx.get::<u8, _>(TABLES_USED[*t], k)?.map(u64::from)
                        }
                        Op::Seq => Some(tx.next_seq("p", 1)?),
                    };
                    seen.borrow_mut().push(read);
                }
                if *refused {
                    return refuse("refused");
                }
                Ok(())
            });
            out.push(format!(
                "{:?} {:?}",
                seen.borrow(),
                r.map_err(|e| matches!(e, WriteError::Refused(_)))
            ));
        }
        for t in TABLES_USED {
            out.push(format!("len {}", store.len(t)));
            for (a, b, limit) in probes {
                out.push(format!(
                    "prefix {:?}",
                    store.scan_prefix::<u8>(t, a, *limit).unwrap()
                ));
                out.push(format!(
                    "keys {:?}",
                    store.keys_with_prefix(t, a, *limit).unwrap()
                ));
                out.push(format!(
                    "range {:?}",
                    store.keys_in_range(t, a, b, *limit).unwrap()
                ));
                out.push(format!(
                    "get {:?} {:?}",
                    store.get::<u8>(t, a).unwrap(),
                    store.get_raw(t, b).unwrap()
                ));
                out.push(format!("contains {:?}", store.contains(t, a).unwrap()));
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Whatever the transactions, the memory backend answers exactly as sled does.
        #[test]
        fn memory_answers_as_sled_does(
            txs in prop::collection::vec((prop::collection::vec(op(), 0..8), prop::bool::weighted(0.3)), 1..6),
            probes in prop::collection::vec((key(), key(), 0..5usize), 1..6),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let sled = Store::open(Some(dir.path())).unwrap();
            prop_assert_eq!(answers(&memory(), &txs, &probes), answers(&sled, &txs, &probes));
        }
    }
}
