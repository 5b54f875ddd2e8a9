//! `POST /api/RegisterInfo`: register an applicant's identity, get a tracking code.
//!
//! Order of checks: customer and license → transaction signature over
//! `Unicode(customercode + "-" + NationalCode)` → CA (known, allowed, available) and profile →
//! national code check digit → token type → identity checks the customer has switched on
//! (registry, Shahkar, postal code) and name lookup → the government CA's mandatory fields →
//! subject DN from the profile's template. Then, in one transaction: the same customer, CA and
//! subject DN returns its existing tracking code (unless the CA is government-public or the
//! last lifecycle ended in revocation); otherwise a new tracking code starts in `Registered`,
//! or `AwaitingApproval` when the profile needs approval.

use crate::ids;
use crate::pki::error::{Kind, PkiError};
use crate::pki::identity;
use crate::pki::model::tracking::{is_active, Registered, Registration};
use crate::pki::state::{HistoryEntry, Person, Status, TrackingRecord};
use crate::pki::subject::Field;
use crate::pki::wire::{self, Fields};
use crate::pki::{Ca, Ctx, Customer, Profile};
use crate::scenario::model::PersonSpec;
use serde::Serialize;
use std::borrow::Cow;
use std::sync::Arc;
use time::OffsetDateTime;

/// `RegisterInfo`'s body, every field bound once (`customercode` and `signature` are also the
/// signed opening's, [`Ctx::signed_customer`]).
struct Request<'f> {
    /// As sent, empty when absent: the signature covers `customercode-NationalCode`.
    customercode: String,
    person_data: Fields<'f>,
    /// `personData.NationalCode`, present (its checks come after the signature).
    national_code: String,
    /// Read after the signature: a bad signature is refused before a missing CA or profile.
    ca_name: wire::Field<'f>,
    profile_name: wire::Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        let customercode = f.opt_str("customercode")?.unwrap_or_default();
        let person_data = f.object("personData")?;
        let national_code = person_data.str("NationalCode")?;
        Ok(Request {
            customercode,
            person_data,
            national_code,
            ca_name: f.field("caName"),
            profile_name: f.field("profileName"),
        })
    }

    /// The rest of `personData`, bound once.
    fn person(&self) -> PersonData<'_> {
        PersonData::bind(&self.person_data)
    }
}

/// `personData`'s fields but `NationalCode`, each read by the check that needs it (after the
/// signature, the CA and the national code), in the order the checks come.
struct PersonData<'p> {
    is_foreign: wire::Field<'p>,
    token_type: wire::Field<'p>,
    password: wire::Field<'p>,
    name: wire::Field<'p>,
    last_name: wire::Field<'p>,
    en_name: wire::Field<'p>,
    en_last_name: wire::Field<'p>,
    father_name: wire::Field<'p>,
    is_man: wire::Field<'p>,
    postal_code: wire::Field<'p>,
    telephone: wire::Field<'p>,
    birth_certificate_id: wire::Field<'p>,
    birth_date: wire::Field<'p>,
    city: wire::Field<'p>,
    province_name: wire::Field<'p>,
    agency_sn: wire::Field<'p>,
    email: wire::Field<'p>,
}

impl<'p> PersonData<'p> {
    fn bind(pd: &'p Fields) -> PersonData<'p> {
        PersonData {
            is_foreign: pd.field("IsForeign"),
            token_type: pd.field("TokenType"),
            password: pd.field("password"),
            name: pd.field("Name"),
            last_name: pd.field("LastName"),
            en_name: pd.field("EnName"),
            en_last_name: pd.field("EnLastName"),
            father_name: pd.field("FatherName"),
            is_man: pd.field("IsMan"),
            postal_code: pd.field("PostalCode"),
            telephone: pd.field("Telephone"),
            birth_certificate_id: pd.field("BirthCertificateID"),
            birth_date: pd.field("BirthDate"),
            city: pd.field("City"),
            province_name: pd.field("ProvinceName"),
            agency_sn: pd.field("AgencySN"),
            email: pd.field("Email"),
        }
    }
}

/// parse → authorize (the signed customer, CA, profile) → the applicant's checks (national
/// code, token type, the person, the customer's identity checks) → the register transition →
/// render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Vec<u8>, PkiError> {
    let req = Request::parse(f)?;
    let (customercode, national) = (&req.customercode, &req.national_code);
    let signed = [customercode.as_str(), "-", national.as_str()].concat();
    let (customer, ca, profile) = authorize(ctx, f, &req, &signed)?;
    let pd = req.person();
    national_code(ctx, pd.is_foreign, national, profile)?;
    let (token_type, password) = token_type(ctx, &pd, profile)?;
    let mut person = read_person(&pd, national)?;
    ctx.date_form("personData.BirthDate", &person.birth_date)?;
    let lookup_charge = identity_checks(ctx, customer, ca, profile, &mut person)?;
    documented_person(ctx, &pd, customer)?;
    let applicant = Applicant {
        p12_password_sha256: password.map(|p| crate::crypto::sha256_hex(p.as_bytes())),
        token_type,
        subject_dn: profile
            .template
            .render_dn(|field| person_value(&person, field)),
        person,
        lookup_charge,
    };
    let (record, how) = apply(ctx, customer, ca, profile, &applicant)?;
    render(ctx, &record, how, &applicant.subject_dn)
}

/// The customer (license, transaction signature over `signed`, i.e.
/// `customercode-NationalCode`), and the CA (allowed, available) and profile it registers in.
fn authorize<'a>(
    ctx: &mut Ctx<'a>,
    f: &Fields,
    req: &Request,
    signed: &str,
) -> Result<(&'a Customer, &'a Ca, &'a Profile), PkiError> {
    let customer = ctx.signed_customer(f, signed)?;
    let ca = ctx.ca_for(customer, &req.ca_name.str()?)?;
    ca.require_available()?;
    let profile = ca.profile(&req.profile_name.str()?)?;
    ctx.diag.extend(f.bindings(&[
        "caName",
        "customercode",
        "profileName",
        "signature",
        "personData",
    ]));
    Ok((customer, ca, profile))
}

/// The applicant as the registration records them, after every check.
struct Applicant<'p> {
    person: PersonIn<'p>,
    token_type: String,
    p12_password_sha256: Option<String>,
    /// The certificate subject from the profile's template, as the registration and the
    /// answer name it (the subject's attributes are rendered for a new record only).
    subject_dn: String,
    lookup_charge: u64,
}

impl Applicant<'_> {
    /// A new lifecycle's record (its code is given by the model).
    fn record(
        &self,
        customer: &Customer,
        ca: &Ca,
        profile: &Profile,
        now: OffsetDateTime,
    ) -> TrackingRecord {
        TrackingRecord {
            code: String::new(),
            customer: customer.code.clone(),
            ca: ca.spec.name.clone(),
            profile: profile.spec.name.clone(),
            token_type: self.token_type.clone(),
            p12_password_sha256: self.p12_password_sha256.clone(),
            person: self.person.owned(),
            subject_dn: self.subject_dn.clone(),
            subject: profile
                .template
                .render(|field| person_value(&self.person, field))
                .into_iter()
                .map(|(a, v)| (a.short().to_string(), v))
                .collect(),
            status: if profile.spec.approval || profile.spec.face_auth {
                Status::AwaitingApproval
            } else {
                Status::Registered
            },
            registered_at: now,
            lookup_charge: self.lookup_charge,
            approval: None,
            issue: None,
            confirmed_at: None,
            revoked_at: None,
            history: vec![HistoryEntry {
                at: now,
                event: format!(
                    "Registered by RegisterInfo (CA {}, profile {}, {})",
                    ca.spec.name, profile.spec.name, self.token_type
                ),
            }],
        }
    }
}

/// The model's register transition: one tracking code per subject DN in a CA (for this
/// customer), whatever the profile — a profile change of a live lifecycle is warned about.
fn apply(
    ctx: &mut Ctx<'_>,
    customer: &Customer,
    ca: &Ca,
    profile: &Profile,
    applicant: &Applicant,
) -> Result<(Arc<TrackingRecord>, Registered), PkiError> {
    let subject_dn = &applicant.subject_dn;
    let now = ctx.now;
    let registration = Registration {
        customer: &customer.code,
        ca: &ca.spec.name,
        government: ca.is_government_public(),
        subject_dn,
        profile: &profile.spec.name,
        token_type: &applicant.token_type,
        p12_password_sha256: applicant.p12_password_sha256.as_deref(),
        now,
    };
    let model = ctx.model();
    let live = model.live_registration(&registration)?;
    if let Some(prev) = live
        .as_ref()
        .filter(|r| !r.profile.eq_ignore_ascii_case(&profile.spec.name))
    {
        ctx.portable(
            "profile-changed",
            format!(
                "subject DN '{subject_dn}' already has tracking code {} in CA {} under profile {}; {}",
                prev.code,
                ca.spec.name,
                prev.profile,
                if prev.status == Status::Issued {
                    format!("it is Issued, so it keeps profile {}", prev.profile)
                } else {
                    format!("the registration now uses profile {}", profile.spec.name)
                }
            ),
        )?;
    }
    // The record is built only when a registration is created (not for an idempotent repeat).
    model.register(&registration, live, || {
        applicant.record(customer, ca, profile, now)
    })
}

/// The answer: the tracking code, and the registered names (with the active certificate, if
/// any) as a JSON string in `Description`.
fn render(
    ctx: &mut Ctx<'_>,
    record: &TrackingRecord,
    how: Registered,
    subject_dn: &str,
) -> Result<Vec<u8>, PkiError> {
    if record.token_type == "P12" && record.status != Status::Issued {
        // An issue will follow: have a key ready for it.
        ctx.keys.warm();
    }
    ctx.diag.push(if how == Registered::Restarted {
        format!(
            "subject DN '{subject_dn}' registered again after its lifecycle ended: tracking code {} restarted in state {}",
            record.code,
            record.status.name()
        )
    } else if how != Registered::New {
        // The common call (an idempotent repeat): joined, not formatted.
        [
            "subject DN '",
            subject_dn,
            "' is already registered: tracking code ",
            &record.code,
            " returned (",
            record.status.name(),
            ")",
        ]
        .concat()
    } else {
        format!(
            "new tracking code {} in state {} for subject DN '{subject_dn}'",
            record.code,
            record.status.name()
        )
    });
    let active = active_certificate(ctx, record)?;
    let p = &record.person;
    let description = Description {
        first_name: &p.name,
        last_name: &p.last_name,
        en_first_name: &p.en_name,
        en_last_name: &p.en_last_name,
        city: &p.city,
        province_name: &p.province_name,
        province_id: identity::province_id(&p.province_name).map(|i| i.to_string()),
        father_name: &p.father_name,
        agency_sn: &p.agency_sn,
        csr: active.as_ref().map(|(csr, _)| csr.as_str()),
        certificate: active.as_ref().map(|(_, cert)| cert.as_str()),
    };
    ctx.record = Some(record.code.clone());
    Ok(answer(&record.code, &description))
}

/// The answer `{"IsSuccess": true, "TrackingCode": …, "Description": …, "ErrorCode": 0,
/// "ErrorMessage": ""}` written straight into bytes, `Description` (a JSON object inside a
/// JSON string) escaped twice in one pass: byte for byte what serialising that `json!` value
/// writes (a test compares the two over a table of answers), without building, serialising and
/// freeing a tree and an inner string on every request.
fn answer(tracking_code: &str, d: &Description) -> Vec<u8> {
    let mut out = Vec::with_capacity(640 + d.csr.map_or(0, str::len) * 2);
    out.extend_from_slice(b"{\"IsSuccess\":true,\"TrackingCode\":\"");
    escape(&mut out, tracking_code, false);
    out.extend_from_slice(b"\",\"Description\":\"{");
    let texts = [
        ("FirstName", Some(d.first_name)),
        ("LastName", Some(d.last_name)),
        ("EnFirstName", Some(d.en_first_name)),
        ("EnLastName", Some(d.en_last_name)),
        ("City", Some(d.city)),
        ("ProvinceName", Some(d.province_name)),
        ("ProvinceId", d.province_id.as_deref()),
        ("FatherName", Some(d.father_name)),
        ("AgencySN", Some(d.agency_sn)),
        ("CSR", d.csr),
        ("Certificate", d.certificate),
    ];
    for (i, (name, value)) in texts.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\\\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\\\":");
        match value {
            Some(v) => {
                out.extend_from_slice(b"\\\"");
                escape(&mut out, v, true);
                out.extend_from_slice(b"\\\"");
            }
            None => out.extend_from_slice(b"null"),
        }
    }
    out.extend_from_slice(b"}\",\"ErrorCode\":0,\"ErrorMessage\":\"\"}");
    out
}

/// Appends `s` escaped as serde_json escapes a string's contents (`"`, `\`, and the control
/// characters, as `\n` or `\u001f`); `twice`: escaped, then the escape escaped again (text
/// inside a JSON string inside a JSON string).
fn escape(out: &mut Vec<u8>, s: &str, twice: bool) {
    let bytes = s.as_bytes();
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let mut unicode = *b"\\u0000";
        let once: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                unicode[4] = HEX[usize::from(b >> 4)];
                unicode[5] = HEX[usize::from(b & 0xf)];
                &unicode
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain..i]);
        plain = i + 1;
        if !twice {
            out.extend_from_slice(once);
            continue;
        }
        // The escape is ASCII: only its `\` and `"` need escaping again.
        for &c in once {
            match c {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'"' => out.extend_from_slice(b"\\\""),
                c => out.push(c),
            }
        }
    }
    out.extend_from_slice(&bytes[plain..]);
}

/// `personData.NationalCode`: a valid national code (or, for a legal-person profile, legal
/// ID); a foreign national's plausible identifier passes with a warning.
fn national_code(
    ctx: &mut Ctx<'_>,
    is_foreign: wire::Field,
    national: &str,
    profile: &Profile,
) -> Result<(), PkiError> {
    let legal = profile.template.is_legal_person();
    let id_problem = if legal {
        ids::legal_id_problem(national)
    } else {
        ids::national_code_problem(national)
    };
    // Read for natural persons only: a legal person's IsForeign is read with the person.
    let foreign = !legal && is_foreign.opt_bool()?.unwrap_or(false);
    match &id_problem {
        // A foreign national's identifier is not an Iranian national code; the document names
        // no format for it (the PKI document, line 343), so any plausible one — digits or a
        // passport-style number — passes, warned.
        Some(p) if foreign && foreign_identifier(national) => ctx.portable(
            "foreign-identifier",
            format!("personData.NationalCode '{national}' of an IsForeign applicant {p}; accepted as a foreign identifier ({FOREIGN_ID}), a format the document does not give (the PKI document, line 343)"),
        )?,
        Some(p) if foreign => {
            return Err(PkiError::new(
                Kind::NationalCodeInvalid,
                format!("personData.NationalCode {p}; an IsForeign applicant's identifier is expected as {FOREIGN_ID} (a foreign national's number or passport number)"),
            ))
        }
        _ => {}
    }
    if let Some(p) = id_problem.filter(|_| !foreign) {
        let what = if legal {
            "an 11-digit legal national ID (profile is for legal persons)"
        } else {
            "a 10-digit national code"
        };
        return Err(PkiError::new(
            Kind::NationalCodeInvalid,
            format!("personData.NationalCode {p}; expected {what}"),
        ));
    }
    Ok(())
}

/// What a foreign national's identifier may be (emulator-defined: the document names no format).
const FOREIGN_ID: &str = "5 to 20 ASCII letters or digits";

/// A foreign national's identifier: [`FOREIGN_ID`]. It becomes the certificate subject's
/// serialNumber (a PrintableString), so only letters and digits pass.
fn foreign_identifier(id: &str) -> bool {
    (5..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The `Description` of a RegisterInfo answer: a JSON object written into a string, its
/// properties in this order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Description<'a> {
    first_name: &'a str,
    last_name: &'a str,
    en_first_name: &'a str,
    en_last_name: &'a str,
    city: &'a str,
    province_name: &'a str,
    province_id: Option<String>,
    father_name: &'a str,
    #[serde(rename = "AgencySN")]
    agency_sn: &'a str,
    #[serde(rename = "CSR")]
    csr: Option<&'a str>,
    certificate: Option<&'a str>,
}

/// The CSR and certificate of the applicant's active certificate for this subject, if any
/// (in the government CA it may belong to an earlier tracking code of the same subject).
fn active_certificate(
    ctx: &Ctx<'_>,
    record: &TrackingRecord,
) -> Result<Option<(String, String)>, PkiError> {
    if let (true, Some(issue)) = (is_active(record, ctx.now), &record.issue) {
        return Ok(Some((issue.csr.clone(), issue.certificate.clone())));
    }
    Ok(ctx
        .model()
        .active_sibling(record, ctx.now)?
        .and_then(|other| other.issue)
        .map(|issue| (issue.csr, issue.certificate)))
}

/// `personData.TokenType`, one the profile offers, and for P12 the password (required). The
/// document writes the two values in capitals (the PKI document, line 352); another case is
/// accepted with a `token-type-case` warning.
fn token_type(
    ctx: &mut Ctx<'_>,
    pd: &PersonData,
    profile: &Profile,
) -> Result<(String, Option<String>), PkiError> {
    let sent = pd.token_type.str_or_empty()?;
    let t = sent.to_ascii_uppercase();
    if t != "USERGENERATED" && t != "P12" {
        return Err(PkiError::new(
            Kind::TokenTypeInvalid,
            format!("personData.TokenType is '{sent}'; USERGENERATED (you send a CSR) or P12 (the service makes the key) is expected"),
        ));
    }
    if sent != t {
        ctx.portable(
            "token-type-case",
            format!("personData.TokenType is '{sent}'; the document writes it '{t}' (the PKI document, line 352)"),
        )?;
    }
    if !profile.spec.token_types.contains(&t) {
        return Err(PkiError::new(
            Kind::TokenTypeInvalid,
            format!(
                "profile '{}' does not issue {t} tokens; it offers {}",
                profile.spec.name,
                profile.spec.token_types.join(", ")
            ),
        ));
    }
    if t != "P12" {
        return Ok((t, None));
    }
    let password = pd.password.str_or_empty()?;
    if password.is_empty() {
        return Err(PkiError::new(
            Kind::PasswordRequired,
            "personData.password is required when TokenType is P12 (it protects the PKCS#12 file)",
        ));
    }
    Ok((t, Some(password)))
}

/// The person as sent, in this order of refusals: texts borrowed from the body, copied only
/// when a registration is made ([`PersonIn::owned`]).
fn read_person<'p>(pd: &PersonData<'p>, national: &'p str) -> Result<PersonIn<'p>, PkiError> {
    Ok(PersonIn {
        national_code: national,
        name: pd.name.text_or_empty()?,
        last_name: pd.last_name.text_or_empty()?,
        en_name: pd.en_name.text_or_empty()?,
        en_last_name: pd.en_last_name.text_or_empty()?,
        father_name: pd.father_name.text_or_empty()?,
        is_man: pd.is_man.opt_bool()?,
        postal_code: pd.postal_code.text_or_empty()?,
        telephone: pd.telephone.text_or_empty()?,
        is_foreign: pd.is_foreign.opt_bool()?.unwrap_or(false),
        birth_certificate_id: pd.birth_certificate_id.text_or_empty()?,
        birth_date: pd.birth_date.text_or_empty()?,
        city: pd.city.text_or_empty()?,
        province_name: pd.province_name.text_or_empty()?,
        agency_sn: pd.agency_sn.text_or_empty()?,
        email: pd.email.text_or_empty()?,
    })
}

/// A [`Person`] as the request sent it, its texts slices of the body where they can be (an
/// idempotent repeat, the common call, stores nothing).
struct PersonIn<'p> {
    national_code: &'p str,
    name: Cow<'p, str>,
    last_name: Cow<'p, str>,
    en_name: Cow<'p, str>,
    en_last_name: Cow<'p, str>,
    father_name: Cow<'p, str>,
    is_man: Option<bool>,
    postal_code: Cow<'p, str>,
    telephone: Cow<'p, str>,
    is_foreign: bool,
    birth_certificate_id: Cow<'p, str>,
    birth_date: Cow<'p, str>,
    city: Cow<'p, str>,
    province_name: Cow<'p, str>,
    agency_sn: Cow<'p, str>,
    email: Cow<'p, str>,
}

impl PersonIn<'_> {
    /// The record's copy.
    fn owned(&self) -> Person {
        Person {
            national_code: self.national_code.to_string(),
            name: self.name.to_string(),
            last_name: self.last_name.to_string(),
            en_name: self.en_name.to_string(),
            en_last_name: self.en_last_name.to_string(),
            father_name: self.father_name.to_string(),
            is_man: self.is_man,
            postal_code: self.postal_code.to_string(),
            telephone: self.telephone.to_string(),
            is_foreign: self.is_foreign,
            birth_certificate_id: self.birth_certificate_id.to_string(),
            birth_date: self.birth_date.to_string(),
            city: self.city.to_string(),
            province_name: self.province_name.to_string(),
            agency_sn: self.agency_sn.to_string(),
            email: self.email.to_string(),
        }
    }
}

/// Every `personData` field the document's body shows without marking it optional (the PKI
/// document, lines 327–357) was sent: those left out are one `field-missing` warning. Not
/// asked for: `Email` (marked optional), `PostalCode`, `City` and `ProvinceName` (optional
/// outside the government public CA, line 399, where they are refused when missing),
/// `password` (for P12 only, refused there), and the names (with `FatherName`) when the
/// customer has name lookup (the service fills them from the registry, lines 407–411).
fn documented_person(
    ctx: &mut Ctx<'_>,
    pd: &PersonData,
    customer: &Customer,
) -> Result<(), PkiError> {
    let mut fields = Vec::with_capacity(11);
    if !customer.spec.checks.name_lookup {
        fields.extend([
            pd.name,
            pd.last_name,
            pd.en_name,
            pd.en_last_name,
            pd.father_name,
        ]);
    }
    fields.extend([
        pd.is_man,
        pd.telephone,
        pd.is_foreign,
        pd.birth_certificate_id,
        pd.birth_date,
        pd.agency_sn,
    ]);
    ctx.documented_fields(&fields, "the PKI document, lines 327-357")
}

fn person_value<'a>(p: &'a PersonIn<'_>, field: Field) -> &'a str {
    match field {
        Field::Name => &p.name,
        Field::LastName => &p.last_name,
        Field::EnName => &p.en_name,
        Field::EnLastName => &p.en_last_name,
        Field::NationalCode => p.national_code,
        Field::FatherName => &p.father_name,
        Field::City => &p.city,
        Field::ProvinceName => &p.province_name,
        Field::PostalCode => &p.postal_code,
        Field::Email => &p.email,
        Field::AgencySN => &p.agency_sn,
        Field::Telephone => &p.telephone,
    }
}

/// Runs the customer's identity checks, fills looked-up names; returns the lookup charge.
/// The checks run in this order, each refusing with its own kind: name lookup, civil
/// registry, Shahkar, the government CA's mandatory fields, postal code, the names the
/// subject needs.
fn identity_checks(
    ctx: &mut Ctx<'_>,
    customer: &Customer,
    ca: &Ca,
    profile: &Profile,
    person: &mut PersonIn<'_>,
) -> Result<u64, PkiError> {
    let checks = &customer.spec.checks;
    let world = ctx.world;
    let registry = world.persons.get(person.national_code);
    let legal = profile.template.is_legal_person();
    let mut charge = 0;
    if checks.name_lookup && !legal {
        charge = name_lookup(ctx, checks.lookup_price, registry, person)?;
    }
    if checks.registry && !legal {
        registry_check(ctx, registry, person)?;
    } else if !person.birth_date.is_empty() {
        ids::parse_either_calendar(&person.birth_date).map_err(|e| {
            PkiError::new(
                Kind::InvalidField,
                format!(
                    "personData.BirthDate {e}; yyyy/mm/dd (Gregorian or Solar Hijri) is expected"
                ),
            )
        })?;
    }
    if checks.shahkar && !legal {
        shahkar_check(ctx, registry, person)?;
    }
    if ca.is_government_public() {
        government_fields(ca, person)?;
    }
    if !person.postal_code.is_empty() && (checks.postal_code || ca.is_government_public()) {
        identity::check_postal_code(&person.postal_code, &world.postal_codes)?;
    }
    subject_names(profile, person, checks.name_lookup)?;
    Ok(charge)
}

/// Fills the names the applicant left empty from the civil registry; returns the charge
/// (0 when every name was sent).
fn name_lookup(
    ctx: &mut Ctx<'_>,
    price: u64,
    registry: Option<&PersonSpec>,
    person: &mut PersonIn<'_>,
) -> Result<u64, PkiError> {
    let names = [
        &person.name,
        &person.last_name,
        &person.en_name,
        &person.en_last_name,
        &person.father_name,
    ];
    if !names.iter().any(|n| n.is_empty()) {
        return Ok(0);
    }
    let reg = registry.ok_or_else(|| {
        PkiError::new(
            Kind::RegistryNotFound,
            format!(
                "name lookup: the civil registry has no person with national code {}",
                person.national_code
            ),
        )
    })?;
    fill(&mut person.name, &reg.name);
    fill(&mut person.last_name, &reg.last_name);
    fill(&mut person.en_name, &reg.en_name);
    fill(&mut person.en_last_name, &reg.en_last_name);
    fill(&mut person.father_name, &reg.father_name);
    ctx.diag.push(format!(
        "names looked up in the civil registry (+{price} at issue)"
    ));
    Ok(price)
}

/// The civil registry knows the person and the data sent matches it.
fn registry_check(
    ctx: &mut Ctx<'_>,
    registry: Option<&PersonSpec>,
    person: &PersonIn<'_>,
) -> Result<(), PkiError> {
    let national = &person.national_code;
    let reg = registry.ok_or_else(|| {
        PkiError::new(
            Kind::RegistryNotFound,
            format!("civil registry: no person with national code {national}"),
        )
    })?;
    identity::compare("Name", &person.name, &reg.name, national)?;
    identity::compare("LastName", &person.last_name, &reg.last_name, national)?;
    identity::compare(
        "FatherName",
        &person.father_name,
        &reg.father_name,
        national,
    )?;
    if !reg.birth_certificate_id.is_empty() {
        identity::compare(
            "BirthCertificateID",
            &person.birth_certificate_id,
            &reg.birth_certificate_id,
            national,
        )?;
    }
    identity::check_birth_date(&person.birth_date, reg)?;
    if let Some(is_man) = person.is_man {
        if is_man != reg.is_man {
            return Err(PkiError::new(
                Kind::RegistryMismatch,
                format!("personData.IsMan is {is_man}, but the civil registry records national code {national} as {}", if reg.is_man { "a man" } else { "a woman" }),
            ));
        }
    }
    ctx.diag
        .push(format!("civil registry: national code {national} matches"));
    Ok(())
}

/// Shahkar: the mobile sent is registered to the national code.
fn shahkar_check(
    ctx: &mut Ctx<'_>,
    registry: Option<&PersonSpec>,
    person: &PersonIn<'_>,
) -> Result<(), PkiError> {
    if person.telephone.is_empty() {
        return Err(PkiError::new(Kind::MissingField, "personData.Telephone is empty; this customer's registrations are checked with Shahkar, which needs the applicant's mobile"));
    }
    match registry {
        Some(reg) => identity::check_shahkar(&person.telephone, reg)?,
        None => {
            return Err(PkiError::new(
                Kind::ShahkarMismatch,
                format!(
                    "Shahkar: no mobile is registered to national code {}",
                    person.national_code
                ),
            ))
        }
    }
    ctx.diag
        .push("Shahkar: mobile belongs to the national code".into());
    Ok(())
}

/// The government public CA requires the address fields the others take as optional.
fn government_fields(ca: &Ca, person: &PersonIn<'_>) -> Result<(), PkiError> {
    let missing: Vec<&str> = [
        ("PostalCode", &person.postal_code),
        ("City", &person.city),
        ("ProvinceName", &person.province_name),
    ]
    .iter()
    .filter(|(_, v)| v.is_empty())
    .map(|(n, _)| *n)
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(PkiError::new(
        Kind::RequiredInGovernmentCa,
        format!(
            "personData.{} required in the government public CA '{}' (optional in the others)",
            missing.join(", personData.") + if missing.len() > 1 { " are" } else { " is" },
            ca.spec.name
        ),
    ))
}

/// The names the profile's subject template puts in the certificate are not empty.
fn subject_names(
    profile: &Profile,
    person: &PersonIn<'_>,
    name_lookup: bool,
) -> Result<(), PkiError> {
    for field in profile.template.fields() {
        if matches!(
            field,
            Field::Name | Field::LastName | Field::EnName | Field::EnLastName
        ) && person_value(person, field).is_empty()
        {
            return Err(PkiError::new(
                Kind::MissingField,
                format!(
                    "personData.{} is empty, but profile '{}' puts it in the certificate subject ({}){}",
                    field.name(),
                    profile.spec.name,
                    profile.template.text,
                    if name_lookup { "" } else { "; send it, or ask the provider for name lookup" }
                ),
            ));
        }
    }
    Ok(())
}

fn fill<'p>(target: &mut Cow<'p, str>, value: &str) {
    if target.is_empty() {
        *target = Cow::Owned(value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::{answer, Description};
    use serde_json::json;

    fn description<'a>(
        text: &'a str,
        province_id: Option<&str>,
        issued: Option<(&'a str, &'a str)>,
    ) -> Description<'a> {
        Description {
            first_name: text,
            last_name: "احمدی",
            en_first_name: "Mehdi",
            en_last_name: text,
            city: "تهران",
            province_name: text,
            province_id: province_id.map(str::to_string),
            father_name: "",
            agency_sn: text,
            csr: issued.map(|(csr, _)| csr),
            certificate: issued.map(|(_, cert)| cert),
        }
    }

    /// The bytes written straight are the bytes the `json!` tree serialises to, for every kind
    /// of text an applicant's data or an issued certificate can put into the answer.
    #[test]
    fn written_answer_is_the_serialised_value_byte_for_byte() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB+/==\n-----END CERTIFICATE-----\n";
        let texts = [
            "",
            "Mehdi",
            "مهدی",
            "quote \" backslash \\ slash / tab \t newline \n return \r",
            "controls \u{0} \u{1} \u{8} \u{c} \u{1f} \u{7f}",
            "separators \u{2028} \u{2029} and \u{200c} zwnj, emoji 🦀",
            "{\"json\": [\"inside\"]}",
            "<script>&amp;</script>",
        ];
        let codes = ["", "1404000123", "TC-\"odd\"\\", "\u{1}\t\u{1f}"];
        for text in texts {
            for province in [None, Some("8")] {
                for issued in [None, Some(("CSR \"pem\"\n", pem))] {
                    for code in codes {
                        let d = description(text, province, issued);
                        let value = json!({
                            "IsSuccess": true,
                            "TrackingCode": code,
                            "Description": serde_json::to_string(&d).unwrap(),
                            "ErrorCode": 0,
                            "ErrorMessage": "",
                        });
                        let expected = serde_json::to_vec(&value).unwrap();
                        assert_eq!(
                            String::from_utf8_lossy(&answer(code, &d)),
                            String::from_utf8_lossy(&expected),
                            "text {text:?}, province {province:?}, issued {issued:?}, code {code:?}"
                        );
                        assert_eq!(answer(code, &d), expected);
                    }
                }
            }
        }
    }
}
