//! One file per upstream operation: `upload` (`POST /api.php`) and one per `oper` of
//! `/apistatus.php`.

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
