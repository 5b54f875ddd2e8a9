//! One file per upstream operation: `upload` (`POST /api.php`) and one per `oper` of
//! `/apistatus.php`, each in one shape: parse (a `Request` binding every element once) →
//! authorize (a partner, the account's template, its document) → apply (one model call) →
//! render. An element whose refusal comes after an authorization step stays a
//! [`crate::podpishi::wire::Element`] until that step (docs/reference.md lists the orders).

pub mod addpackage2client;
pub mod addsignature;
pub mod authuserbypartner;
pub mod delpermission;
pub mod getavailabledocs;
pub mod getcreateinvoice;
pub mod getdoc;
pub mod getlistdocs;
pub mod getlistpartnertrn;
pub mod getstatus;
pub mod gettarifplan;
pub mod reguserbypartner;
pub mod setblockuser;
pub mod upload;
