//! Storing a document: its files (once by SHA-256), the record, the by-BIN index and the
//! receiver's email, all inside the caller's transaction.

use super::state::{self, keys};
use crate::store::{Table, Tx};
use bytes::Bytes;

/// Stores a document with its files, indexes and the receiver's email, inside `tx`.
pub fn put_document<E>(
    tx: &Tx<'_>,
    doc: &state::Document,
    files: &[(state::StoredFile, Bytes)],
) -> Result<(), crate::store::Abort<E>> {
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
        let seq = tx.next_seq("pod.outbox", 1)?;
        let action = match doc
            .permissions
            .iter()
            .find(|p| p.must_signed_by_bin == doc.receiver_bin)
        {
            Some(p) if p.signed_type == 2 => "подписать",
            _ => "просмотреть",
        };
        tx.put(
            Table::PodOutbox,
            &keys::outbox(seq),
            &state::Email {
                seq,
                to: doc.receiver_mail.clone(),
                subject: format!("Подпиши.Онлайн: документ № {} «{}»", doc.num, doc.name),
                body: format!(
                    "Организация с БИН {} направила вам документ № {} «{}». Вам предоставлено право его {action}.",
                    doc.owner_bin, doc.num, doc.name
                ),
                document: doc.num,
                at: doc.created,
            },
        )?;
    }
    Ok(())
}
