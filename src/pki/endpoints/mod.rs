//! One file per upstream method, each a `handle(ctx, fields)` in one shape: parse (a `Request`
//! binding every field once) → authorize (the signed opening, the customer, who owns what) →
//! apply (one model call: one transaction) → render (the document's success shape). A field
//! whose refusal comes after an authorization step stays a [`crate::pki::wire::Field`] until
//! that step, so the refusal order (docs/reference.md) is the one tests hold.

pub mod get_all_cert;
pub mod get_all_mobile_cert;
pub mod get_ca_list;
pub mod get_ca_profile_info;
pub mod get_credit;
pub mod get_tracking_code_info;
pub mod get_user_cert_history;
pub mod get_version;
pub mod is_approved;
pub mod is_available;
pub mod issue_certificate_by_tracking_code;
pub mod issuing_report;
pub mod recieved_cert_confirmation;
pub mod register_info;
pub mod request_approve;
pub mod revoke_certificate;
