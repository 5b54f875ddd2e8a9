//! One file per upstream method, each a `handle(ctx, fields)` that checks, then changes state
//! in one transaction, then answers with the document's success shape.

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
