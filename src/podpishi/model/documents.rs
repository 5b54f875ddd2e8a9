//! Documents: creating them (an upload, which charges the owner's document count; an invoice
//! the service issues) and reading them (one document, its files, the documents of a BIN).
//!
//! A document is stored as its record (permissions and signatures inside), its files (once by
//! SHA-256: a file uploaded twice is stored once), the by-BIN index for the owner and the
//! receiver, the `uniq_reference` index and the receiver's email — all in one transaction.

use super::super::error::{Kind, PodpishiError};
use super::super::signing::Verdict;
use super::super::state::{keys, Account, Document, Permission, StoredFile};
use super::{leads, outbox, record, Changed, PermState, Transition};
use crate::changes::Changes;
use crate::store::{codec, refuse, Abort, Store, Table, Tx};
use bytes::Bytes;
use time::OffsetDateTime;

/// The document `num`, if there is one.
pub fn get(store: &Store, num: u64) -> Result<Option<Document>, PodpishiError> {
    Ok(store.get(Table::PodDocuments, &keys::document(num))?)
}

/// The bytes of a stored file, by its SHA-256 (hex).
pub fn file(store: &Store, sha256: &str) -> Result<Option<Vec<u8>>, PodpishiError> {
    Ok(store.get_raw(Table::PodFiles, sha256.as_bytes())?)
}

/// The bytes of the document's first file: what signatures are verified over.
pub fn first_file(store: &Store, doc: &Document) -> Result<Vec<u8>, PodpishiError> {
    doc.files
        .first()
        .map(|f| file(store, &f.sha256))
        .transpose()?
        .flatten()
        .ok_or_else(|| PodpishiError::internal("reading the document", "its file is missing"))
}

/// The numbers of the documents owned by or sent to `bin` created in `from..=to`, oldest
/// first, each once (the by-BIN index makes the cost proportional to the result).
pub fn nums_of_bin(
    store: &Store,
    bin: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<u64>, PodpishiError> {
    let (start, end) = keys::by_bin_range(bin, from, to);
    let mut seen = std::collections::HashSet::new();
    Ok(store
        .keys_in_range(Table::PodByOwner, &start, &end, usize::MAX)?
        .iter()
        .filter_map(|k| codec::part(k, 2).and_then(|n| n.parse::<u64>().ok()))
        .filter(|n| seen.insert(*n))
        .collect())
}

/// The numbers of every document owned by or sent to one of `bins` (at most 10 000 a BIN), in
/// number order: the cabinet's list. Unreadable index entries are skipped (the cabinet is a
/// page, not an API answer).
pub fn nums_of_bins(store: &Store, bins: &[String]) -> std::collections::BTreeSet<u64> {
    let mut nums = std::collections::BTreeSet::new();
    for bin in bins {
        let (s, e) = (codec::key(&[bin, ""]), codec::key(&[bin, "\u{7f}"]));
        for k in store
            .keys_in_range(Table::PodByOwner, &s, &e, 10_000)
            .unwrap_or_default()
        {
            if let Some(n) = codec::part(&k, 2).and_then(|n| n.parse::<u64>().ok()) {
                nums.insert(n);
            }
        }
    }
    nums
}

/// A document an account uploads, as the form gave it (checked by the handler).
pub struct NewUpload {
    pub owner_bin: String,
    pub receiver_bin: String,
    pub receiver_mail: String,
    /// `signed_type` of the receiver's permission: 2 to sign, 3 to view only.
    pub receiver_type: u8,
    pub reference: String,
    pub package: String,
    pub name: String,
    pub files: Vec<(StoredFile, Bytes)>,
    /// The owner's own signature, judged already.
    pub owner_signature: Option<Verdict>,
}

/// What an upload changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploaded {
    pub num: u64,
    /// The account's document count after the upload (never below zero: an upload needs one).
    pub balance: i64,
}

/// An upload by account `login`: refused if the account is blocked, its document count is used
/// up (zero, or below zero when a scenario seeds it so), or `uniq_reference` is already one of
/// its documents; otherwise the document, its two permissions and indexes, and the balance
/// charged by one — checked and charged in the one transaction, so concurrent uploads racing
/// for the last documents can not take the count below zero.
pub fn upload(
    store: &Store,
    first_number: u64,
    now: OffsetDateTime,
    login: &str,
    new: &NewUpload,
    changes: &Changes,
) -> Result<Uploaded, PodpishiError> {
    let (uploaded, created) = store.write(|tx| {
        let mut acc: Account = tx
            .get(Table::PodAccounts, &keys::account(login))?
            .ok_or_else(|| Abort::Refuse(PodpishiError::new(Kind::Authorization, format!("login '{login}' is not an account of this service"))))?;
        if acc.blocked {
            return refuse(PodpishiError::new(
                Kind::ClientBlocked,
                format!("account {login} is blocked by its partner (setblockuser) and cannot upload documents"),
            ));
        }
        if acc.balance <= 0 {
            return refuse(PodpishiError::new(
                Kind::NoDocumentsLeft,
                format!("account {login} has {} documents left to upload (getavailabledocs counts); an upload needs 1. Get more: getcreateinvoice with a <tarif> of gettarifplan, paid, or a partner's addpackage2client (the Podpishi document, line 237)", acc.balance),
            ));
        }
        let reference = &new.reference;
        if !reference.is_empty() {
            if let Some(n) = tx.get::<u64, _>(Table::PodByReference, &keys::reference(login, reference))? {
                return refuse(PodpishiError::new(
                    Kind::DuplicateReference,
                    format!("uniq_reference '{reference}' is already document {n} of account {login}; the stored document was not changed"),
                ));
            }
        }
        let num = tx.next_seq("pod.document", first_number)?;
        let mut owner = Permission::new(tx.next_seq("pod.permission", 1)?, 1, &new.owner_bin);
        if let Some(v) = &new.owner_signature {
            v.apply(&mut owner, now);
        }
        let receiver = Permission::new(tx.next_seq("pod.permission", 1)?, new.receiver_type, &new.receiver_bin);
        let doc = Document {
            num,
            owner_login: login.to_string(),
            owner_bin: new.owner_bin.clone(),
            receiver_bin: new.receiver_bin.clone(),
            receiver_mail: new.receiver_mail.clone(),
            reference: reference.clone(),
            package: new.package.clone(),
            name: new.name.clone(),
            files: new.files.iter().map(|(f, _)| f.clone()).collect(),
            created: now,
            permissions: vec![owner, receiver],
        };
        let created = put(tx, Transition::Upload, &doc, &new.files)?;
        if !reference.is_empty() {
            tx.put(Table::PodByReference, &keys::reference(login, reference), &num)?;
        }
        acc.balance -= 1;
        tx.put(Table::PodAccounts, &keys::account(login), &acc)?;
        Ok((Uploaded { num, balance: acc.balance }, created))
    })?;
    record(changes, &created, login);
    Ok(uploaded)
}

/// An invoice the service issues to `client_bin` (account `login` asked for it): a document
/// from the service's BIN, signed by it (`signature`, judged already), view-only for the client.
/// `text` is the invoice's one file; `tariff` its id and name. The balance is not changed.
#[allow(clippy::too_many_arguments)]
pub fn invoice(
    store: &Store,
    first_number: u64,
    now: OffsetDateTime,
    login: &str,
    service_bin: &str,
    client_bin: &str,
    tariff_name: &str,
    text: &Bytes,
    signature: &Verdict,
    changes: &Changes,
) -> Result<u64, PodpishiError> {
    let file = StoredFile {
        name: String::new(),
        sha256: crate::crypto::sha256_hex(text),
        size: text.len() as u64,
    };
    let (num, created) = store.write::<_, PodpishiError>(|tx| {
        let num = tx.next_seq("pod.document", first_number)?;
        let mut owner = Permission::new(tx.next_seq("pod.permission", 1)?, 1, service_bin);
        signature.apply(&mut owner, now);
        let receiver = Permission::new(tx.next_seq("pod.permission", 1)?, 3, client_bin);
        let doc = Document {
            num,
            owner_login: String::new(),
            owner_bin: service_bin.to_string(),
            receiver_bin: client_bin.to_string(),
            receiver_mail: login.to_string(),
            reference: format!("invoice-{num}"),
            package: "2".into(),
            name: format!("Счёт на оплату № {num}: тариф «{tariff_name}»"),
            files: vec![StoredFile {
                name: format!("invoice-{num}.txt"),
                ..file.clone()
            }],
            created: now,
            permissions: vec![owner, receiver],
        };
        let created = put(
            tx,
            Transition::CreateInvoice,
            &doc,
            &[(doc.files[0].clone(), text.clone())],
        )?;
        Ok((num, created))
    })?;
    record(changes, &created, login);
    Ok(num)
}

/// Stores a new document with its files, indexes and the receiver's email, inside `tx`.
fn put<E>(
    tx: &Tx<'_>,
    created_by: Transition,
    doc: &Document,
    files: &[(StoredFile, Bytes)],
) -> Result<Vec<Changed>, Abort<E>> {
    debug_assert!(doc.permissions.iter().all(|p| leads(
        PermState::Absent,
        created_by,
        PermState::of(p)
    )));
    for (f, bytes) in files {
        tx.put_raw(Table::PodFiles, f.sha256.as_bytes(), bytes)?;
    }
    tx.put(Table::PodDocuments, &keys::document(doc.num), doc)?;
    tx.put(
        Table::PodByOwner,
        &keys::by_bin(&doc.owner_bin, doc.created, doc.num),
        &(),
    )?;
    if doc.receiver_bin != doc.owner_bin {
        tx.put(
            Table::PodByOwner,
            &keys::by_bin(&doc.receiver_bin, doc.created, doc.num),
            &(),
        )?;
    }
    if !doc.receiver_mail.is_empty() {
        outbox::notify_receiver(tx, doc)?;
    }
    Ok(doc
        .permissions
        .iter()
        .map(|p| {
            Changed::new(
                doc.num,
                p.i,
                created_by,
                PermState::Absent,
                PermState::of(p),
            )
        })
        .collect())
}
