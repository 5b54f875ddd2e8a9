//! `POST /api/IssuingReport`: the customer's registrations, issues and revocations in a date
//! range, authorised by `reportkey` (customercode is the bare code here).
//!
//! - `startdate`/`enddate`: `yyyy/mm/dd`, Gregorian or Solar Hijri, both inclusive, as calendar
//!   days in Tehran time (UTC+03:30).
//! - `type` `PerCA`: a JSON **array** of `{caName, profileName, status, count, RegisterCount,
//!   IssueCount, RevokeCount}`, one row per CA and profile (`status` ""; `count` = certificates
//!   issued in the range) — the shape real clients parse.
//! - `type` `PerCA&Status`: the same rows split by the lifecycle's current status (`count` = how
//!   many lifecycles with activity in the range are in that status).
//! - `type` `detail`: a JSON array of at most 100 lifecycles with activity in the range, by
//!   ascending `Id`; pass the last `Id` as `id` to get the next page. Ids are tracking codes,
//!   which only grow, so pages stay stable while new certificates are issued. The item shape
//!   is emulator-defined (see docs/reference.md).
//! - `id` is in the document's body for every type, not marked optional: left out, it is warned
//!   `field-missing` (send `""` or `0` for the first page and for the `PerCA` types).

use super::get_credit::check_report_key;
use crate::clock::wire_time;
use crate::ids::parse_either_calendar;
use crate::pki::error::{Kind, PkiError};
use crate::pki::report::report_status;
use crate::pki::wire::{Field, Fields};
use crate::pki::Ctx;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, UtcOffset};

pub const PAGE: usize = 100;
/// Iran Standard Time (no daylight saving since 2022).
const TEHRAN: UtcOffset = match UtcOffset::from_hms(3, 30, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// `IssuingReport`'s body, every field bound once. All but the customer code are read at the
/// step that checks them, so the refusals come in the order the report is built: the customer,
/// its report key, the dates, the type, the page.
struct Request<'f> {
    customercode: String,
    reportkey: Field<'f>,
    startdate: Field<'f>,
    enddate: Field<'f>,
    kind: Field<'f>,
    /// `detail`'s page: the last `Id` of the previous page.
    id: Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        Ok(Request {
            customercode: f.str("customercode")?,
            reportkey: f.field("reportkey"),
            startdate: f.field("startdate"),
            enddate: f.field("enddate"),
            kind: f.field("type"),
            id: f.field("id"),
        })
    }
}

/// parse → authorize (the bare customer code, its report key) → the range's events → render
/// them as the type asks.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let customer = ctx.customer_bare("customercode", &req.customercode)?;
    check_report_key(customer, req.reportkey)?;
    let (from, to) = range(ctx, req.startdate, req.enddate)?;
    let kind = req.kind.str()?;
    // The document's body has `id` for every type (line 805): left out, it is warned.
    ctx.documented_fields(&[req.id], "the PKI document, lines 797-806")?;
    // (tracking code → events in range), from the event index.
    let events = ctx.model().events(&customer.code, from, to)?;
    match kind.to_ascii_lowercase().as_str() {
        "perca" | "perca&status" => per_ca(ctx, &events, kind.eq_ignore_ascii_case("PerCA&Status")),
        "detail" => detail(ctx, req.id, &events),
        other => Err(PkiError::new(
            Kind::InvalidField,
            format!("type is '{other}'; PerCA, PerCA&Status or detail is expected"),
        )),
    }
}

/// The Unix seconds from the start of `startdate` to the end of `enddate`, Tehran time.
fn range(ctx: &mut Ctx<'_>, startdate: Field, enddate: Field) -> Result<(i64, i64), PkiError> {
    let start = day(ctx, startdate)?;
    let end = day(ctx, enddate)?;
    if end < start {
        return Err(PkiError::new(
            Kind::InvalidField,
            format!("enddate {end} is before startdate {start}"),
        ));
    }
    let from = start.midnight().assume_offset(TEHRAN).unix_timestamp();
    let to = end
        .next_day()
        .unwrap_or(end)
        .midnight()
        .assume_offset(TEHRAN)
        .unix_timestamp()
        - 1;
    Ok((from, to))
}

/// `PerCA` (`split` false) or `PerCA&Status` rows: one per CA and profile (and status).
fn per_ca(
    ctx: &Ctx<'_>,
    events: &BTreeMap<u64, Vec<String>>,
    split: bool,
) -> Result<Value, PkiError> {
    let record = |id: &u64| ctx.model().tracking(&id.to_string());
    let mut rows: BTreeMap<(String, String, String), [u64; 4]> = BTreeMap::new();
    for (id, evs) in events {
        let Some(rec) = record(id)? else { continue };
        let status = if split {
            report_status(&rec, ctx.now).to_string()
        } else {
            String::new()
        };
        let row = rows
            .entry((rec.ca.clone(), rec.profile.clone(), status))
            .or_default();
        let count = |name: &str| evs.iter().filter(|e| *e == name).count() as u64;
        row[0] += if split { 1 } else { count("Issued") };
        row[1] += count("Registered");
        row[2] += count("Issued");
        row[3] += count("Revoked");
    }
    Ok(Value::Array(
        rows.into_iter()
            .map(|((ca, profile, status), c)| {
                json!({"caName": ca, "profileName": profile, "status": status, "count": c[0],
                       "RegisterCount": c[1], "IssueCount": c[2], "RevokeCount": c[3]})
            })
            .collect(),
    ))
}

/// `detail`: a page of at most [`PAGE`] lifecycles with activity in the range, after `id`.
fn detail(
    ctx: &mut Ctx<'_>,
    id: Field,
    events: &BTreeMap<u64, Vec<String>>,
) -> Result<Value, PkiError> {
    let record = |id: &u64| ctx.model().tracking(&id.to_string());
    let after = id.opt_int()?.unwrap_or(0).max(0) as u64;
    let ids: BTreeSet<u64> = events
        .keys()
        .copied()
        .filter(|id| *id > after)
        .take(PAGE)
        .collect();
    let mut items = Vec::new();
    for id in ids {
        let Some(live) = record(&id)? else { continue };
        // A restarted tracking code's ended lifecycles first, each a row with the code's Id.
        let mut lifecycles = ctx.model().past_lifecycles(&live.code)?;
        lifecycles.push(live);
        for rec in lifecycles {
            items.push(json!({
                "Id": id,
                "TrackingCode": rec.code,
                "CAName": rec.ca,
                "ProfileName": rec.profile,
                "NationalCode": rec.person.national_code,
                "FirstName": rec.person.name,
                "LastName": rec.person.last_name,
                "Status": report_status(&rec, ctx.now),
                "SerialNumber": rec.issue.as_ref().map(|i| format!("{:x}", i.serial)),
                "Price": rec.issue.as_ref().map(|i| i.charged),
                "RegisterDate": wire_time(rec.registered_at),
                "IssueDate": rec.issue.as_ref().map(|i| wire_time(i.at)),
                "RevokeDate": rec.revoked_at.map(wire_time),
            }));
        }
    }
    ctx.diag.push(format!(
        "detail page after id {after}: {} items",
        items.len()
    ));
    Ok(Value::Array(items))
}

/// A date field: present, `yyyy/mm/dd` (another form that parses is warned), either calendar.
fn day(ctx: &mut Ctx<'_>, field: Field) -> Result<Date, PkiError> {
    let name = field.name();
    let text = field.str()?;
    ctx.date_form(name, &text)?;
    parse_either_calendar(&text).map_err(|e| {
        PkiError::new(
            Kind::InvalidField,
            format!(
                "{name} {e}; yyyy/mm/dd in the Gregorian or the Solar Hijri calendar is expected"
            ),
        )
    })
}
