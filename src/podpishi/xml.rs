//! Writing XML answers: the standard success envelope, permission elements, and the one
//! function every XML answer passes through.

use super::ctx::Ctx;
use super::error::XML_DECL;
use super::routes::Reply;
use super::state;
use super::wire::forbidden_control;
use crate::pipeline::Answer;

/// The standard success answer of a command: `<resp err="no" command="…">inner</resp>`.
pub fn ok_resp(oper: &str, inner: &str) -> Reply {
    Reply::Xml(format!(
        "{}<resp err=\"no\" command=\"{oper}\">\n{inner}</resp>",
        XML_DECL
    ))
}

/// The `<permission …/>` element of getstatus (and, with `id`/`api_reference`/`name`, of
/// getlistdocs).
pub fn permission_xml(
    ctx: &Ctx<'_>,
    doc: &state::Document,
    p: &state::Permission,
    listing: bool,
) -> String {
    use quick_xml::escape::escape;
    let head = if listing {
        format!(
            "id='{}' i='{}' api_reference='{}' name='{}' ",
            doc.num,
            p.i,
            escape(&doc.reference),
            escape(&doc.name)
        )
    } else {
        format!("i='{}' ", p.i)
    };
    format!(
        "<permission {head}is_own_doc='{}' created='{}' signed_type='{}' must_signed_by_bin='{}' signed='{}' signed_bin='{}' signed_fio='{}' signed_firm='{}' signed_policy='{}' signed_date='{}' sign_deleted='{}' />",
        doc.is_own(&ctx.account) as u8,
        ctx.time(doc.created),
        p.signed_type,
        p.must_signed_by_bin,
        p.signed as u8,
        escape(&p.signed_bin),
        escape(&p.signed_fio),
        escape(&p.signed_firm),
        p.signed_policy,
        p.signed_date.map(|d| ctx.time(d)).unwrap_or_default(),
        p.sign_deleted as u8,
    )
}

/// Characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF).
fn xml_forbidden(c: char) -> bool {
    u8::try_from(c).is_ok_and(forbidden_control) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// Every XML answer passes here: a value echoed from a request can not make it ill-formed
/// (a forbidden character becomes U+FFFD; requests carrying one are refused before this).
pub fn xml_answer(text: String) -> Answer {
    // Bytes first: a forbidden control character is one byte, and U+FFFE/U+FFFF start with
    // 0xEF, so most answers are cleared without decoding a character.
    let bytes = text.as_bytes();
    // Every byte looked at without a branch a byte (the common answer has none of them).
    let suspect = bytes
        .iter()
        .fold(false, |seen, &b| seen | forbidden_control(b) | (b == 0xEF));
    let text = if suspect && text.chars().any(xml_forbidden) {
        text.chars()
            .map(|c| if xml_forbidden(c) { '\u{FFFD}' } else { c })
            .collect()
    } else {
        text
    };
    Answer::new(200, XML, text)
}

/// The content type of every XML answer.
pub const XML: &str = "text/xml; charset=UTF-8";

#[cfg(test)]
mod tests {
    use super::xml_answer;

    #[test]
    fn characters_xml_forbids_become_the_replacement_character_and_the_rest_stays() {
        for (text, want) in [
            ("<r a=\"Ә 1\">ok\t\r\n</r>", "<r a=\"Ә 1\">ok\t\r\n</r>"),
            ("a\u{1}b\u{1f}c", "a\u{FFFD}b\u{FFFD}c"),
            ("x\u{FFFE}y\u{FFFF}z\u{FFFD}", "x\u{FFFD}y\u{FFFD}z\u{FFFD}"),
            ("\u{EFFF}\u{FEFF}ﻯ", "\u{EFFF}\u{FEFF}ﻯ"),
        ] {
            assert_eq!(
                &xml_answer(text.to_string()).body[..],
                want.as_bytes(),
                "{text:?}"
            );
        }
    }
}
