//! `GET /api/GetVersion`: the active API version. The document gives no response body; the
//! shape `{IsSuccess, Version, ErrorCode, ErrorMessage}` is emulator-defined.

use crate::pki::error::PkiError;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};

/// No fields to parse, no one to authorize, nothing to apply: the world's version, rendered.
pub fn handle(ctx: &mut Ctx<'_>, _f: &Fields) -> Result<Value, PkiError> {
    Ok(json!({"IsSuccess": true, "Version": ctx.world.version, "ErrorCode": 0, "ErrorMessage": ""}))
}
