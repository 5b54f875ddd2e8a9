//! Every tree the emulator keeps, by name: the names are the on-disk layout.

/// Every tree the emulator keeps. The names are the on-disk layout: renaming one loses data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Counters and markers.
    Meta,
    /// PKI customer balances and settings that change at run time.
    PkiCustomers,
    /// PKI tracking codes (the applicant's lifecycle record).
    PkiTracking,
    /// `customer / ca / subject DN` → tracking code, for idempotent registration.
    PkiSubjects,
    /// PKI certificates by `ca / serial`.
    PkiCerts,
    /// `ca / serial` → (): revoked certificates, for CRLs.
    PkiRevoked,
    /// `national code / tracking code` → (): a person's lifecycles across CAs and customers.
    PkiByPerson,
    /// `customer / time / tracking code` → (): report index.
    PkiByCustomerTime,
    /// Podpishi.Online tables.
    PodAccounts,
    PodDocuments,
    PodFiles,
    PodByOwner,
    PodByReference,
    PodPartnerTrn,
    PodOutbox,
    /// Podpishi cabinet sessions opened by `authuserbypartner`.
    PodSessions,
    /// The provider's face-authentication orders (`orderId` → order).
    PkiFaceAuth,
}

pub(super) const TABLES: [(Table, &str); 17] = [
    (Table::Meta, "meta"),
    (Table::PkiCustomers, "pki.customers"),
    (Table::PkiTracking, "pki.tracking"),
    (Table::PkiSubjects, "pki.subjects"),
    (Table::PkiCerts, "pki.certs"),
    (Table::PkiRevoked, "pki.revoked"),
    (Table::PkiByPerson, "pki.by_person"),
    (Table::PkiByCustomerTime, "pki.by_customer_time"),
    (Table::PodAccounts, "pod.accounts"),
    (Table::PodDocuments, "pod.documents"),
    (Table::PodFiles, "pod.files"),
    (Table::PodByOwner, "pod.by_owner"),
    (Table::PodByReference, "pod.by_reference"),
    (Table::PodPartnerTrn, "pod.partner_trn"),
    (Table::PodOutbox, "pod.outbox"),
    (Table::PodSessions, "pod.sessions"),
    (Table::PkiFaceAuth, "pki.face_auth"),
];

impl Table {
    pub(super) fn index(self) -> usize {
        TABLES
            .iter()
            .position(|(t, _)| *t == self)
            .expect("every Table is listed in TABLES")
    }
}
