//! Podpishi's stored records and their keys.
//!
//! | table | key | value |
//! |---|---|---|
//! | `pod.accounts` | `acc/<login lowercase>` | [`Account`] |
//! | `pod.accounts` | `sid/<serviceid>` → login; `bin/<bin>/<login>` → () | indexes |
//! | `pod.documents` | `<num>` | [`Document`] (permissions and signatures inside) |
//! | `pod.files` | `<sha256 hex>` | the file's bytes (raw): a file uploaded twice is stored once |
//! | `pod.by_owner` | `<bin>/<created unix>/<num>` | () — for the owner BIN *and* the receiver BIN, so listing a BIN over a time range is one range scan |
//! | `pod.by_reference` | `<login>/<uniq_reference>` | num — uniqueness, checked inside the upload transaction |
//! | `pod.partner_trn` | `trn/<partner>/<refnum>`, `trnt/<partner>/<time>/<id>`, `reg/<partner>/<email>` | partner transactions and registrations |
//! | `pod.outbox` | `<seq>` | [`Email`] |
//! | `pod.sessions` | `<sessid>` | [`Session`] |

use crate::store::codec::{be, key};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub login: String,
    pub apikey: String,
    pub bins: Vec<String>,
    pub balance: i64,
    pub partner: bool,
    pub blocked: bool,
    pub service_id: u64,
    /// The partner that registered this account (`reguserbypartner`).
    pub registered_by: Option<String>,
    pub remote_id: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFile {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Permission {
    pub i: u64,
    /// 1 owner, 2 delegated to sign, 3 delegated to view.
    pub signed_type: u8,
    pub must_signed_by_bin: String,
    pub signed: bool,
    pub signed_bin: String,
    pub signed_fio: String,
    pub signed_firm: String,
    pub signed_policy: u8,
    #[serde(with = "time::serde::rfc3339::option")]
    pub signed_date: Option<OffsetDateTime>,
    pub sign_deleted: bool,
    /// The CMS as received, base64 DER.
    pub cms: Option<String>,
    /// Set when the signature was accepted without verification (GOST, by policy).
    pub unverified: Option<String>,
}

impl Permission {
    pub fn new(i: u64, signed_type: u8, bin: &str) -> Permission {
        Permission {
            i,
            signed_type,
            must_signed_by_bin: bin.to_string(),
            signed: false,
            signed_bin: String::new(),
            signed_fio: String::new(),
            signed_firm: String::new(),
            signed_policy: 0,
            signed_date: None,
            sign_deleted: false,
            cms: None,
            unverified: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    pub num: u64,
    /// Empty for documents the service itself issues (invoices).
    pub owner_login: String,
    pub owner_bin: String,
    pub receiver_bin: String,
    pub receiver_mail: String,
    pub reference: String,
    pub package: String,
    pub name: String,
    pub files: Vec<StoredFile>,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    pub permissions: Vec<Permission>,
}

impl Document {
    /// Whether `account` owns the document (by login or one of its BINs).
    pub fn is_own(&self, account: &Account) -> bool {
        (!self.owner_login.is_empty() && self.owner_login.eq_ignore_ascii_case(&account.login))
            || account.bins.contains(&self.owner_bin)
    }

    /// Owned by or sent to `account`.
    pub fn visible_to(&self, account: &Account) -> bool {
        self.is_own(account) || account.bins.contains(&self.receiver_bin)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    pub seq: u64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub document: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerTrn {
    pub id: u64,
    pub partner: String,
    pub bin2client: String,
    pub packet: u64,
    pub count: i64,
    pub refnum: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    pub email: String,
    pub remote_id: u64,
    pub service_id: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub login: String,
    pub sesspass: String,
    pub userip: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
}

pub mod keys {
    use super::*;

    pub fn account(login: &str) -> Vec<u8> {
        if !login.is_ascii() {
            return key(&["acc", &login.to_lowercase()]);
        }
        // The common login, lowered in the key itself (one allocation, not two).
        let mut k = key(&["acc", login]);
        let at = k.len() - login.len();
        k[at..].make_ascii_lowercase();
        k
    }
    pub fn service_id(id: u64) -> Vec<u8> {
        key(&["sid", &be(id)])
    }
    pub fn bin(bin: &str, login: &str) -> Vec<u8> {
        key(&["bin", bin, &login.to_lowercase()])
    }
    pub fn bin_prefix(bin: &str) -> Vec<u8> {
        key(&["bin", bin, ""])
    }
    pub fn document(num: u64) -> Vec<u8> {
        be(num).into_bytes()
    }
    pub fn by_bin(bin: &str, at: OffsetDateTime, num: u64) -> Vec<u8> {
        key(&[bin, &be(at.unix_timestamp().max(0) as u64), &be(num)])
    }
    /// `[start, end)` of the by-BIN index for the inclusive instants `from..=to`.
    pub fn by_bin_range(bin: &str, from: OffsetDateTime, to: OffsetDateTime) -> (Vec<u8>, Vec<u8>) {
        let f = from.unix_timestamp().max(0) as u64;
        let t = (to.unix_timestamp().max(0) as u64).saturating_add(1);
        (key(&[bin, &be(f)]), key(&[bin, &be(t)]))
    }
    pub fn reference(login: &str, reference: &str) -> Vec<u8> {
        key(&[&login.to_lowercase(), reference])
    }
    pub fn trn(partner: &str, refnum: u64) -> Vec<u8> {
        key(&["trn", &partner.to_lowercase(), &be(refnum)])
    }
    pub fn trn_time(partner: &str, at: OffsetDateTime, id: u64) -> Vec<u8> {
        key(&[
            "trnt",
            &partner.to_lowercase(),
            &be(at.unix_timestamp().max(0) as u64),
            &be(id),
        ])
    }
    pub fn trn_time_range(
        partner: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> (Vec<u8>, Vec<u8>) {
        let f = from.unix_timestamp().max(0) as u64;
        let t = (to.unix_timestamp().max(0) as u64).saturating_add(1);
        (
            key(&["trnt", &partner.to_lowercase(), &be(f)]),
            key(&["trnt", &partner.to_lowercase(), &be(t)]),
        )
    }
    pub fn registration(partner: &str, email: &str) -> Vec<u8> {
        key(&["reg", &partner.to_lowercase(), &email.to_lowercase()])
    }
    pub fn outbox(seq: u64) -> Vec<u8> {
        be(seq).into_bytes()
    }
    pub fn session(id: u64) -> Vec<u8> {
        be(id).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::keys;
    use crate::store::codec::key;

    #[test]
    fn an_account_key_is_its_login_in_lower_case_whatever_the_script() {
        for (login, lower) in [
            ("alfa@test.kz", "alfa@test.kz"),
            ("Alfa@TEST.kz", "alfa@test.kz"),
            ("", ""),
            ("АЛФА@Тест.kz", "алфа@тест.kz"),
            ("ÄLFA", "älfa"),
        ] {
            assert_eq!(keys::account(login), key(&["acc", lower]), "{login}");
        }
    }
}
