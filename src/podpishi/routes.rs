//! The Podpishi route tables: the HTTP routes (`/api.php`, `/apistatus.php`, `/cabinet`), and
//! the commands of `/apistatus.php` by `oper` — one line each.
//!
//! PHP file names are case-sensitive (Apache on Linux), so the HTTP routes are too.

use super::ctx::Ctx;
use super::endpoints::*;
use super::error::PodpishiError;
use super::wire::Command;
use crate::pipeline::RouteInfo;
use crate::server::router::Router;
use hyper::Method;

/// What a command answers.
pub enum Reply {
    /// A complete XML document.
    Xml(String),
    /// `application/zip` (getdoc).
    Zip { name: String, bytes: Vec<u8> },
}

pub type CommandHandler = fn(&mut Ctx<'_>, &Command) -> Result<Reply, PodpishiError>;

/// Every `oper` of `/apistatus.php`, in the document's order: (oper, handler, summary).
#[rustfmt::skip]
pub const COMMANDS: &[(&str, CommandHandler, &str)] = &[
    ("getstatus", getstatus::handle, "the permissions of documents by their document number in the service (docuniq, the num an upload answers)"),
    ("getlistdocs", getlistdocs::handle, "own and incoming documents of a period"),
    ("getavailabledocs", getavailabledocs::handle, "how many documents the account may still upload"),
    ("getcreateinvoice", getcreateinvoice::handle, "an invoice for a tariff, as an incoming document"),
    ("gettarifplan", gettarifplan::handle, "the tariff plans"),
    ("getdoc", getdoc::handle, "a document's files and signatures as a ZIP"),
    ("addsignature", addsignature::handle, "sign a permission with a CMS"),
    ("delpermission", delpermission::handle, "delete a permission"),
    ("addpackage2client", addpackage2client::handle, "partner: add documents to a client's balance"),
    ("getlistpartnertrn", getlistpartnertrn::handle, "partner: its transactions"),
    ("setblockuser", setblockuser::handle, "partner: block or unblock a client"),
    ("reguserbypartner", reguserbypartner::handle, "partner: register a client account"),
    ("authuserbypartner", authuserbypartner::handle, "partner: open a cabinet session for a client"),
];

/// The commands that only read the store (the others may write): their handlers run on the
/// async worker even on a data directory (see `pipeline::Api::offload`).
pub const READS: &[&str] = &[
    "getstatus",
    "getlistdocs",
    "getavailabledocs",
    "gettarifplan",
    "getdoc",
    "getlistpartnertrn",
];

/// A command by its `oper`, any case.
pub fn command(oper: &str) -> Option<(&'static str, CommandHandler)> {
    COMMANDS
        .iter()
        .find(|(n, ..)| n.eq_ignore_ascii_case(oper))
        .map(|(n, h, _)| (*n, *h))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /api.php`: multipart upload.
    Upload,
    /// `POST /apistatus.php`: a base64 XML command.
    Command,
    /// `GET /cabinet?sessid=…&sesspass=…`: the web cabinet of a partner's session.
    Cabinet,
}

/// Podpishi's part of the one routing table (PHP file names are case-sensitive); another
/// method at one of its paths is Podpishi's to refuse. `to` makes a route the table's entry and
/// `owner` names Podpishi as the owner of its paths.
#[rustfmt::skip]
pub fn paths<H, M: Copy>(table: Router<H, M>, to: fn(Route) -> H, owner: M) -> Router<H, M> {
    table
        .route(Method::POST, "/api.php", to(Route::Upload))
        .route(Method::POST, "/apistatus.php", to(Route::Command))
        .route(Method::GET, "/cabinet", to(Route::Cabinet))
        .mount("/api.php", owner)
        .mount("/apistatus.php", owner)
        .mount("/cabinet", owner)
}

impl RouteInfo for Route {
    fn name(&self) -> &'static str {
        match self {
            Route::Upload => "upload",
            Route::Command => "command",
            Route::Cabinet => "cabinet",
        }
    }
    /// The cabinet is a page, not an API call: fault rules leave it alone.
    fn faults(&self) -> bool {
        *self != Route::Cabinet
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_read_command_is_a_command() {
        for r in super::READS {
            assert!(super::command(r).is_some(), "{r} is not a command");
        }
    }
}
