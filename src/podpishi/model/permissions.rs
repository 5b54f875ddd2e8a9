//! The permission transitions: sign, refuse, delete. Each checks [`super::TRANSITIONS`] for
//! its from-state (the refusal names why), then its guards, and writes the document in one
//! transaction that checks again, so two concurrent signatures of one permission store
//! exactly one.

use super::super::error::{Kind, PodpishiError};
use super::super::signing;
use super::super::state::{keys, Account, Document, Permission};
use super::super::World;
use super::{allows, documents, record, Changed, PermState, Transition};
use crate::changes::Changes;
use crate::store::{refuse as abort, Abort, Store, Table};
use time::OffsetDateTime;

/// The refusal of `t` when `p`'s state is not a from-state of `t` in the table.
pub fn check_state(t: Transition, doc: &Document, p: &Permission) -> Result<(), PodpishiError> {
    let from = PermState::of(p);
    if allows(t, from) {
        return Ok(());
    }
    let m = match (t, from) {
        (Transition::DeletePermission, PermState::Signed) => format!(
            "permission {} of document {} is already signed by {} ({}); a signed permission can not be deleted",
            p.i, doc.num, p.signed_fio, p.signed_bin
        ),
        (Transition::DeletePermission, _) => {
            format!("permission {} of document {} is already deleted", p.i, doc.num)
        }
        (_, PermState::Signed) => format!(
            "permission {} of document {} is already signed by {} ({}) at {}; a signed permission can not be signed again",
            p.i,
            doc.num,
            p.signed_fio,
            p.signed_bin,
            p.signed_date.map(|d| d.to_string()).unwrap_or_default()
        ),
        (_, _) => format!(
            "permission {} of document {} was deleted (sign_deleted=1); it can not be signed",
            p.i, doc.num
        ),
    };
    Err(PodpishiError::new(Kind::WrongState, m))
}

/// Whether `p` can still be signed (or refused: declining is the counterparty's answer to a
/// request to sign); the refusal names why.
pub fn check_signable(doc: &Document, p: &Permission) -> Result<(), PodpishiError> {
    check_state(Transition::Sign, doc, p)?;
    if p.signed_type == 3 {
        return Err(PodpishiError::new(Kind::WrongState, format!("permission {} of document {} is view-only (signed_type 3, type_delegate 2); it can not be signed", p.i, doc.num)));
    }
    Ok(())
}

/// Whether `account` may delete permission `p` of `doc` (emulator-defined): the owner any
/// permission but its own, the holder of the permission's BIN its own.
pub fn check_deletable(
    doc: &Document,
    p: &Permission,
    account: &Account,
) -> Result<(), PodpishiError> {
    let (num, i) = (doc.num, p.i);
    if p.signed_type == 1 {
        return Err(PodpishiError::new(
            Kind::WrongState,
            format!("permission {i} is the owner's own (signed_type 1); it can not be deleted"),
        ));
    }
    if !doc.is_own(account) && !account.bins.contains(&p.must_signed_by_bin) {
        return Err(PodpishiError::new(Kind::WrongState, format!("permission {i} of document {num} belongs to BIN {}; account {} neither owns the document nor holds that BIN", p.must_signed_by_bin, account.login)));
    }
    check_state(Transition::DeletePermission, doc, p)
}

/// The permission the counterparty acts on when no index is given: the receiver's.
pub fn receiver_permission(doc: &Document) -> Result<&Permission, PodpishiError> {
    doc.permissions
        .iter()
        .find(|p| p.must_signed_by_bin == doc.receiver_bin && p.signed_type != 1)
        .ok_or_else(|| {
            PodpishiError::new(
                Kind::PermissionUnknown,
                format!("document {} has no receiver permission", doc.num),
            )
        })
}

/// A signed permission: the change and the permission as stored.
#[derive(Debug, Clone)]
pub struct Signed {
    pub change: Changed,
    pub permission: Permission,
}

/// THE sign transition, on every path that signs (`addsignature`, the counterparty verbs of
/// the control API and the dashboard, reactions): finds the permission (by index, or the
/// receiver's), checks who may sign and the state, judges the CMS over the document's first
/// file and records it. `acting` is the account that sends the signature (None: the control
/// plane acting as the counterparty); `field` names the signature in refusals.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    store: &Store,
    world: &World,
    now: OffsetDateTime,
    doc: &Document,
    index: Option<u64>,
    der: &[u8],
    acting: Option<&Account>,
    field: &str,
    changes: &Changes,
) -> Result<Signed, PodpishiError> {
    let p = match index {
        Some(i) => doc.permissions.iter().find(|p| p.i == i).ok_or_else(|| {
            PodpishiError::new(
                Kind::PermissionUnknown,
                format!(
                    "<indexnum> {i}: document {} has no permission {i}; its permissions are: {}",
                    doc.num,
                    doc.permissions
                        .iter()
                        .map(|p| format!("{} (BIN {})", p.i, p.must_signed_by_bin))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
        None => receiver_permission(doc)?,
    };
    if let Some(acc) = acting {
        if !acc.bins.contains(&p.must_signed_by_bin) {
            return Err(PodpishiError::new(
                Kind::WrongState,
                format!(
                    "permission {} of document {} must be signed by BIN {}, which is not a template of account {} (BINs {})",
                    p.i, doc.num, p.must_signed_by_bin, acc.login, acc.bins.join(", ")
                ),
            ));
        }
    }
    check_signable(doc, p)?;
    let content = documents::first_file(store, doc)?;
    // Judged before the transaction: pure RSA work that must not hold the writer.
    let verdict = signing::judge(world, now, field, der, &content, &p.must_signed_by_bin)?;
    let (num, i) = (doc.num, p.i);
    let signed = store.write(|tx| {
        let mut doc: Document = tx
            .get(Table::PodDocuments, &keys::document(num))?
            .ok_or_else(|| {
                Abort::Refuse(PodpishiError::internal("signing", "the document vanished"))
            })?;
        let snapshot = doc.clone();
        let Some(p) = doc.permissions.iter_mut().find(|p| p.i == i) else {
            return abort(PodpishiError::internal(
                "signing",
                "the permission vanished",
            ));
        };
        if let Err(e) = check_signable(&snapshot, p) {
            return abort(e);
        }
        verdict.apply(p, now);
        let out = p.clone();
        tx.put(Table::PodDocuments, &keys::document(num), &doc)?;
        Ok(out)
    })?;
    if let Some(note) = &signed.unverified {
        tracing::warn!("podpishi: document {num} permission {i}: {note}");
    }
    let change = Changed::new(
        num,
        i,
        Transition::Sign,
        PermState::Unsigned,
        PermState::Signed,
    );
    let tenant = acting.map_or(doc.owner_login.as_str(), |a| a.login.as_str());
    record(changes, std::slice::from_ref(&change), tenant);
    Ok(Signed {
        change,
        permission: signed,
    })
}

/// The counterparty declines permission `index` (default: the receiver's) of document `num`:
/// `sign_deleted=1`. Refused where signing would be (a signed, deleted or view-only
/// permission).
pub fn refuse(
    store: &Store,
    num: u64,
    index: Option<u64>,
    changes: &Changes,
) -> Result<Changed, PodpishiError> {
    let doc = documents::get(store, num)?.ok_or_else(|| PodpishiError::document_unknown(num))?;
    let i = match index {
        Some(i) => i,
        None => receiver_permission(&doc)?.i,
    };
    mark_deleted(
        store,
        num,
        i,
        || PodpishiError::document_unknown(num),
        || format!("document {num} has no permission {i}"),
        check_signable,
    )?;
    let change = Changed::new(
        num,
        i,
        Transition::Refuse,
        PermState::Unsigned,
        PermState::Deleted,
    );
    record(changes, std::slice::from_ref(&change), &doc.owner_login);
    Ok(change)
}

/// `delpermission`: `account` removes the right to sign permission `i` of document `num`; the
/// permission is kept with `sign_deleted=1`.
pub fn delete(
    store: &Store,
    num: u64,
    i: u64,
    account: &Account,
    changes: &Changes,
) -> Result<Changed, PodpishiError> {
    mark_deleted(
        store,
        num,
        i,
        || {
            PodpishiError::new(
                Kind::DocumentUnknown,
                format!("<docnum> {num}: there is no document {num}"),
            )
        },
        || format!("<indexnum> {i}: document {num} has no permission {i}"),
        |doc, p| check_deletable(doc, p, account),
    )?;
    let change = Changed::new(
        num,
        i,
        Transition::DeletePermission,
        PermState::Unsigned,
        PermState::Deleted,
    );
    record(changes, std::slice::from_ref(&change), &account.login);
    Ok(change)
}

/// Refuse and delete alike: in one transaction, permission `i` of document `num` gets
/// `sign_deleted=1` once `check` (run on the stored document) allows it; the refusals for a
/// missing document or permission are each caller's own words.
fn mark_deleted(
    store: &Store,
    num: u64,
    i: u64,
    no_document: impl Fn() -> PodpishiError,
    no_permission: impl Fn() -> String,
    check: impl Fn(&Document, &Permission) -> Result<(), PodpishiError>,
) -> Result<(), PodpishiError> {
    store.write(|tx| {
        let mut doc: Document = tx
            .get(Table::PodDocuments, &keys::document(num))?
            .ok_or_else(|| Abort::Refuse(no_document()))?;
        let snapshot = doc.clone();
        let Some(p) = doc.permissions.iter_mut().find(|p| p.i == i) else {
            return abort(PodpishiError::new(Kind::PermissionUnknown, no_permission()));
        };
        if let Err(e) = check(&snapshot, p) {
            return abort(e);
        }
        p.sign_deleted = true;
        tx.put(Table::PodDocuments, &keys::document(num), &doc)?;
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{PermState, Transition, TRANSITIONS};
    use super::*;
    use std::collections::BTreeSet;

    /// A document of owner BIN A to receiver BIN B whose permission 2 is in `state`.
    fn doc_with(state: PermState) -> (Document, Account) {
        let mut p = Permission::new(2, 2, "222222222222");
        match state {
            PermState::Signed => p.signed = true,
            PermState::Deleted => p.sign_deleted = true,
            _ => {}
        }
        let doc = Document {
            num: 1,
            owner_login: "owner".into(),
            owner_bin: "111111111111".into(),
            receiver_bin: "222222222222".into(),
            receiver_mail: String::new(),
            reference: String::new(),
            package: String::new(),
            name: "d".into(),
            files: vec![],
            created: OffsetDateTime::UNIX_EPOCH,
            permissions: vec![Permission::new(1, 1, "111111111111"), p],
        };
        let owner = Account {
            login: "owner".into(),
            apikey: String::new(),
            bins: vec!["111111111111".into()],
            balance: 0,
            partner: false,
            blocked: false,
            service_id: 1,
            registered_by: None,
            remote_id: None,
        };
        (doc, owner)
    }

    /// The stored states from which `check` lets a transition start.
    fn accepted(
        check: impl Fn(&Document, &Permission, &Account) -> bool,
    ) -> BTreeSet<&'static str> {
        [PermState::Unsigned, PermState::Signed, PermState::Deleted]
            .into_iter()
            .filter(|&s| {
                let (doc, acc) = doc_with(s);
                check(&doc, &doc.permissions[1], &acc)
            })
            .map(PermState::name)
            .collect()
    }

    fn table(t: Transition) -> BTreeSet<&'static str> {
        TRANSITIONS
            .iter()
            .filter(|(_, x, _)| *x == t)
            .map(|(f, _, _)| f.name())
            .collect()
    }

    #[test]
    fn the_transition_functions_start_from_the_states_the_table_names() {
        let sign = accepted(|d, p, _| check_signable(d, p).is_ok());
        assert_eq!(sign, table(Transition::Sign));
        // Refusing is checked as signing is (refuse() calls check_signable).
        assert_eq!(sign, table(Transition::Refuse));
        let delete = accepted(|d, p, a| check_deletable(d, p, a).is_ok());
        assert_eq!(delete, table(Transition::DeletePermission));
        // Creating transitions start from nothing.
        for t in [Transition::Upload, Transition::CreateInvoice] {
            assert_eq!(table(t), BTreeSet::from(["absent"]));
        }
    }

    #[test]
    fn a_view_only_permission_is_refused_though_its_state_allows_signing() {
        let (mut doc, _) = doc_with(PermState::Unsigned);
        doc.permissions[1].signed_type = 3;
        let e = check_signable(&doc, &doc.permissions[1]).unwrap_err();
        assert!(e.message.contains("view-only"), "{}", e.message);
    }
}
