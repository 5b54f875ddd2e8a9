//! `POST /api/GetCredit {reportkey, customercode}`: the customer's remaining credit.
//! `customercode` is the bare code here; `Credit` is a string, as in the document.

use crate::pki::error::{Kind, PkiError};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let customer = ctx.customer_bare(f, "customercode")?;
    check_report_key(customer, &f.str_or_empty("reportkey")?)?;
    let credit = ctx.model().balance(&customer.code)?;
    Ok(
        json!({"IsSuccess": true, "Credit": credit.to_string(), "Description": "", "ErrorCode": 0, "ErrorMessage": ""}),
    )
}

/// Reports are authorised by the customer's `reportkey`, not by a signature.
pub fn check_report_key(customer: &crate::pki::Customer, given: &str) -> Result<(), PkiError> {
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
