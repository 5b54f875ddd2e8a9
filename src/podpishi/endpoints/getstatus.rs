//! `getstatus`: the permissions of one or more documents (`<docuniq>` repeated).
//! Every number must be a document this account owns or receives, or the command fails
//! naming it (emulator-defined: all or nothing).

use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::wire::{parse_u64, Command};
use crate::podpishi::{ok_resp, permission_xml, Ctx, Reply};

/// `getstatus`'s elements, bound once.
struct Request<'c> {
    /// The `<docuniq>` texts as sent, at least one not empty. Each is read as a number just
    /// before its document is looked up, so the first bad one refuses the command, whatever it
    /// is.
    docuniq: Vec<&'c str>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command) -> Result<Request<'c>, PodpishiError> {
        let docuniq = cmd.all("docuniq");
        if docuniq.iter().all(|n| n.is_empty()) {
            return Err(PodpishiError::new(
                Kind::MissingField,
                "<docuniq> is missing from getstatus: send one or more document numbers",
            ));
        }
        Ok(Request { docuniq })
    }
}

/// parse → for each number: read it, authorize (the document is this account's) → render its
/// permissions.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let Request { docuniq: nums } = Request::parse(cmd)?;
    let mut out = String::new();
    for n in nums.into_iter().filter(|n| !n.is_empty()) {
        let doc = ctx.document(parse_u64("docuniq", n)?, "docuniq")?;
        let perms: String = doc
            .permissions
            .iter()
            .map(|p| permission_xml(ctx, &doc, p, false))
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&format!(
            "<docnum>\n<id>{}</id>\n<signinfo>\n{perms}</signinfo>\n</docnum>\n",
            doc.num
        ));
    }
    Ok(ok_resp("getstatus", &out))
}
