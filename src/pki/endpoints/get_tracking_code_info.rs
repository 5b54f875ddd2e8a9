//! `POST /api/GetTrackingCodeInfo`: the identity registered under a tracking code.
//!
//! Signed over `Unicode(nationalCode + trackingCode)`. `Description` is a JSON *string* with
//! the document's field list; fields the emulator has no data for are `null` as in the sample.
//! `EndEntityProfile` carries the profile name and `ExpirationEnglishDate` the certificate's
//! NotAfter once issued (emulator-defined).

use crate::clock::wire_time;
use crate::pki::error::PkiError;
use crate::pki::identity::province_id;
use crate::pki::state::TrackingRecord;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};

/// `GetTrackingCodeInfo`'s body, every field bound once (`customercode` and `sign` are the
/// signed opening's, [`Ctx::signed_customer`]). Both as sent, empty when absent: the
/// signature covers them untrimmed.
struct Request {
    national_code: String,
    tracking_code: String,
}

impl Request {
    fn parse(f: &Fields) -> Result<Request, PkiError> {
        Ok(Request {
            national_code: f.opt_str("nationalCode")?.unwrap_or_default(),
            tracking_code: f.opt_str("trackingCode")?.unwrap_or_default(),
        })
    }
}

/// parse → authorize (signature over `nationalCode + trackingCode`, the tracking code is the
/// customer's and the national code's) → render the registered identity.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let Request {
        national_code: national,
        tracking_code: code,
    } = Request::parse(f)?;
    let customer = ctx.signed_customer(f, &format!("{national}{code}"))?;
    let rec = ctx.tracking_of(&code, &customer.code, &national)?;
    ctx.diag.push(format!(
        "tracking code {} is {}",
        rec.code,
        rec.status.name()
    ));
    Ok(render(&rec))
}

/// The answer: the identity as a JSON string in `Description`, the document's field list.
fn render(rec: &TrackingRecord) -> Value {
    let p = &rec.person;
    let expiration = rec
        .issue
        .as_ref()
        .and_then(|i| crate::crypto::b64_decode(&i.certificate).ok())
        .and_then(|der| crate::crypto::x509::parse_certificate(&der).ok())
        .map(|c| wire_time(c.not_after));
    let description = json!({
        "Name": p.name,
        "LastName": p.last_name,
        "EnName": p.en_name,
        "EnLastName": p.en_last_name,
        "NationalCode": p.national_code,
        "BirthCertificateID": p.birth_certificate_id,
        "FatherName": p.father_name,
        "EnFatherName": null,
        "IssueCardDate": null,
        "Organization": null,
        "EnOrganization": null,
        "OrganizationUnit": null,
        "EnOrganizationUnit": null,
        "AgencySN": if p.agency_sn.is_empty() { Value::Null } else { json!(p.agency_sn) },
        "Affliation": null,
        "EnAffliation": null,
        "IssuerIdentification": null,
        "ValidityDuration": null,
        "BirthDate": p.birth_date,
        "IsMan": p.is_man.map(|m| if m { "True" } else { "False" }).unwrap_or(""),
        "City": p.city,
        "EnCity": null,
        "Customize1": "",
        "Customize2": null,
        "Customize3": null,
        "Customize4": null,
        "GUID": null,
        "EndEntityProfile": rec.profile,
        "ExpirationEnglishDate": expiration,
        "IsForeign": p.is_foreign,
        "Country": null,
        "Address": "",
        "PostalCode": p.postal_code,
        "Telephone": p.telephone,
        "ProvinceName": p.province_name,
        "ProvinceId": province_id(&p.province_name),
    });
    json!({"ResultCode": true, "Description": description.to_string(), "Message": "Success"})
}
