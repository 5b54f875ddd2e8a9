//! The outbox: the emails the service would have sent (a new document's receiver is told what
//! it may do with it). Nothing is sent; the control API shows them.

use super::super::error::PodpishiError;
use super::super::state::{keys, Document, Email};
use crate::store::{Abort, Store, Table, Tx};

/// Queues the email telling `doc`'s receiver about it, inside the transaction storing `doc`.
pub fn notify_receiver<E>(tx: &Tx<'_>, doc: &Document) -> Result<u64, Abort<E>> {
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
        &Email {
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
    Ok(seq)
}

/// Every email, in the order queued.
pub fn all(store: &Store) -> Result<Vec<Email>, PodpishiError> {
    Ok(store
        .scan_prefix::<Email>(Table::PodOutbox, b"", usize::MAX)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}
