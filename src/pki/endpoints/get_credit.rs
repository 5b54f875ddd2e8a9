//! `POST /api/GetCredit {reportkey, customercode}`: the customer's remaining credit.
//! `customercode` is the bare code here; `Credit` is a string, as in the document.

use crate::pki::error::{Kind, PkiError};
use crate::pki::wire::{Field, Fields};
use crate::pki::Ctx;
use serde_json::{json, Value};

/// `GetCredit`'s body, every field bound once.
struct Request<'f> {
    customercode: String,
    /// Read when it is checked: an unknown customer is refused before a malformed key.
    reportkey: Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        Ok(Request {
            customercode: f.str("customercode")?,
            reportkey: f.field("reportkey"),
        })
    }
}

/// parse → authorize (the bare customer code, its report key) → the balance → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let customer = ctx.customer_bare("customercode", &req.customercode)?;
    check_report_key(customer, req.reportkey)?;
    let credit = ctx.model().balance(&customer.code)?;
    Ok(
        json!({"IsSuccess": true, "Credit": credit.to_string(), "Description": "", "ErrorCode": 0, "ErrorMessage": ""}),
    )
}

/// Reports are authorised by the customer's `reportkey`, not by a signature: the field is
/// read (a string, empty when absent) and compared here.
pub fn check_report_key(customer: &crate::pki::Customer, reportkey: Field) -> Result<(), PkiError> {
    let given = reportkey.str_or_empty()?;
    if given.is_empty() {
        return Err(PkiError::new(
            Kind::ReportKeyInvalid,
            "reportkey is missing: reports need the report key the provider gave the customer",
        ));
    }
    if given != customer.spec.report_key {
        return Err(PkiError::new(
            Kind::ReportKeyInvalid,
            format!(
                "reportkey '{given}' is not customer {}'s report key",
                customer.code
            ),
        ));
    }
    Ok(())
}
