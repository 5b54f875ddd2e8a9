//! The upstream's request shapes: form bodies (multipart or urlencoded), the base64 XML
//! `command` of `/apistatus.php`, and the `YYYYMMDDhhmmss` / `YYYYMMDD` times.
//!
//! XML is read with quick-xml's event reader, which never expands DTD entities: a DOCTYPE is
//! refused outright (a command has no use for one) and an entity other than the five
//! predefined ones and character references is refused by name, so there is no billion-laughs
//! or XXE path. Values are trimmed (quick-xml does not trim).

use super::error::{Kind, PodpishiError};
use crate::clock::Zone;
use bytes::Bytes;
use quick_xml::events::Event;
use std::borrow::Cow;
use std::ops::Range;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// One part of a form body.
#[derive(Debug, Clone)]
pub struct Part {
    /// Static for the names the APIs read (no copy per request), the sent text otherwise.
    pub name: Cow<'static, str>,
    /// `Some` for a file part (even an empty file name), `None` for a plain field.
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

/// A form body as parts, in order.
#[derive(Debug, Default)]
pub struct Form {
    pub parts: Vec<Part>,
}

/// Fields a form may have: a request has a dozen; a hostile body of millions of empty fields
/// would cost a hundred bytes of memory each.
pub const MAX_FIELDS: usize = 1024;

fn too_many_fields() -> PodpishiError {
    PodpishiError::new(
        Kind::MalformedRequest,
        format!("the form has more than {MAX_FIELDS} fields; a request has a dozen"),
    )
}

impl Form {
    /// Reads a multipart/form-data or application/x-www-form-urlencoded body (at most
    /// [`MAX_FIELDS`] fields).
    pub async fn read(content_type: &str, body: Bytes) -> Result<Form, PodpishiError> {
        const URLENCODED: &str = "application/x-www-form-urlencoded";
        if Form::is_multipart(content_type) {
            // The multipart parser's state is a kilobyte: boxed, so that every other request's
            // future (moved a few times a request) does not carry room for it.
            Box::pin(Form::multipart(content_type, body)).await
        } else if content_type
            .get(..URLENCODED.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(URLENCODED))
            || content_type.is_empty()
        {
            Form::urlencoded(&body)
        } else {
            Err(PodpishiError::new(
                Kind::MalformedRequest,
                format!("Content-Type is '{content_type}'; send multipart/form-data or application/x-www-form-urlencoded form fields"),
            ))
        }
    }

    /// A multipart/form-data body's parts.
    async fn multipart(content_type: &str, body: Bytes) -> Result<Form, PodpishiError> {
        let boundary = multer::parse_boundary(content_type).map_err(|e| {
            PodpishiError::new(
                Kind::MalformedRequest,
                format!("Content-Type '{content_type}' has no usable boundary: {e}"),
            )
        })?;
        let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
        let mut mp = multer::Multipart::new(stream, boundary);
        let mut parts = Vec::new();
        loop {
            if parts.len() == MAX_FIELDS {
                return Err(too_many_fields());
            }
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err(malformed_multipart(e)),
            };
            let name = field_name(field.name().unwrap_or(""));
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(malformed_multipart)?;
            parts.push(Part {
                name,
                file_name,
                bytes,
            });
        }
        Ok(Form { parts })
    }

    /// Whether a body of this content type is read as multipart/form-data.
    pub fn is_multipart(content_type: &str) -> bool {
        content_type
            .get(..19)
            .is_some_and(|p| p.eq_ignore_ascii_case("multipart/form-data"))
    }

    /// An application/x-www-form-urlencoded body (at most [`MAX_FIELDS`] fields), split as
    /// [`crate::server::router::query_pairs`] splits a query. A value without `%` or `+` is
    /// the body's own bytes (a slice of it, not a copy).
    pub fn urlencoded(body: &Bytes) -> Result<Form, PodpishiError> {
        let text = std::str::from_utf8(body).map_err(|e| {
            PodpishiError::new(
                Kind::MalformedRequest,
                format!("the urlencoded body is not UTF-8/ASCII ({e})"),
            )
        })?;
        let ands = memchr::memchr_iter(b'&', body).count();
        if ands >= MAX_FIELDS {
            return Err(too_many_fields());
        }
        let decode = crate::server::router::decode_component;
        let mut parts = Vec::with_capacity(ands + 1);
        parts.extend(
            crate::server::router::split_pairs(text).map(|(name, value)| Part {
                name: field_name(&decode(name, true)),
                file_name: None,
                bytes: match decode(value, true) {
                    Cow::Borrowed(v) => body.slice_ref(v.as_bytes()),
                    Cow::Owned(v) => Bytes::from(v),
                },
            }),
        );
        Ok(Form { parts })
    }

    /// The text of field `name` (first occurrence), checked to be UTF-8.
    pub fn text(&self, name: &str) -> Result<Option<String>, PodpishiError> {
        Ok(self.text_ref(name)?.map(str::to_string))
    }

    /// [`Form::text`], borrowed.
    pub fn text_ref(&self, name: &str) -> Result<Option<&str>, PodpishiError> {
        match self.parts.iter().find(|p| p.name == name) {
            None => Ok(None),
            Some(p) => std::str::from_utf8(&p.bytes).map(Some).map_err(|_| {
                PodpishiError::new(
                    Kind::InvalidField,
                    format!(
                        "{name} is not UTF-8 text: the service reads text fields as UTF-8 only"
                    ),
                )
            }),
        }
    }

    /// A field that must be present and non-empty (after trimming).
    pub fn required(&self, name: &str, kind: Kind) -> Result<String, PodpishiError> {
        match self.text(name)? {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Some(_) => Err(PodpishiError::new(kind, format!("{name} is empty"))),
            None => Err(PodpishiError::new(kind, format!("{name} is missing"))),
        }
    }
}

/// The form fields signsim reads, in the order a command's form sends them (login, apikey,
/// command), then the upload's.
const FIELD_NAMES: [&str; 11] = [
    "login",
    "apikey",
    "command",
    "nametxt",
    "uniq_reference",
    "owner_bin",
    "receiver_bin",
    "type_delegate",
    "receiver_mail",
    "uf",
    "signature_pem",
];

/// A part's name: one of [`FIELD_NAMES`] without a copy, any other copied.
fn field_name(name: &str) -> Cow<'static, str> {
    match FIELD_NAMES.iter().find(|n| **n == name) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(name.to_string()),
    }
}

fn malformed_multipart(e: multer::Error) -> PodpishiError {
    PodpishiError::new(
        Kind::MalformedRequest,
        format!("the multipart/form-data body is malformed: {e}"),
    )
}

/// A decoded `command`: the `<data>` children in order.
#[derive(Debug, Clone, Default)]
pub struct Command {
    /// The text the ranges below index: the decoded XML itself when it is a plain command
    /// (its names and texts are slices of it, not copies), or the names and texts the XML
    /// reader decoded, one after the other.
    text: String,
    /// Each element's name and trimmed text, in order.
    items: Vec<(Range<usize>, Range<usize>)>,
    /// The one `<oper>`'s trimmed text.
    oper: Range<usize>,
    /// `<oper>` as sent, when it had whitespace around the name (`<oper> getstatus </oper>`).
    pub oper_padded: Option<String>,
}

impl Command {
    /// Decodes base64 and parses the XML.
    pub fn decode(b64: &str) -> Result<Command, PodpishiError> {
        let bad = |m: String| PodpishiError::new(Kind::BadCommand, m);
        if b64.trim().is_empty() {
            return Err(PodpishiError::new(
                Kind::MissingField,
                "command is missing or empty: send command=<base64 of the <data> XML>",
            ));
        }
        if memchr::memchr(b' ', b64.trim().as_bytes()).is_some() {
            return Err(bad("command contains spaces: a '+' of the base64 was decoded as a space because it was not URL-encoded; URL-encode the base64 (+ is %2B, / is %2F, = is %3D)".into()));
        }
        // PHP's base64_decode (not strict) takes missing padding: so does signsim.
        let compact = crate::crypto::without_ascii_space(b64);
        let padded = match compact.len() % 4 {
            2 => Cow::Owned(format!("{compact}==")),
            3 => Cow::Owned(format!("{compact}=")),
            _ => compact,
        };
        let bytes = crate::crypto::b64_decode(&padded)
            .map_err(|e| bad(format!("command is not base64: {e}")))?;
        let xml = String::from_utf8(bytes).map_err(|e| {
            bad(format!(
                "command decodes to bytes that are not UTF-8 (at byte {}); the service reads UTF-8 only",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let cmd = Command::from_xml(xml)?;
        // XML 1.0 forbids control characters even as character references (`&#x1;`).
        let all = std::iter::once(("oper", cmd.oper())).chain(cmd.items());
        for (name, value) in all {
            // Bytes: a control character is ASCII, and no byte of a longer one is below 0x80.
            if let Some(c) = value.bytes().find(|&c| forbidden_control(c)) {
                return Err(bad(format!(
                    "<{name}> contains the control character U+{:04X}, which XML 1.0 does not allow",
                    u32::from(c)
                )));
            }
        }
        Ok(cmd)
    }

    pub fn parse(xml: &str) -> Result<Command, PodpishiError> {
        Command::from_xml(xml.to_string())
    }

    /// [`Command::parse`] of a decoded command it keeps (a plain command's names and texts
    /// are ranges of it).
    fn from_xml(xml: String) -> Result<Command, PodpishiError> {
        let (text, raw) = read_items(xml)?;
        let oper_padded = raw
            .iter()
            .map(|(k, v)| (at(&text, k), at(&text, v)))
            .find(|(k, v)| *k == "oper" && v.trim().len() != v.len() && !v.trim().is_empty())
            .map(|(_, v)| v.to_string());
        // Trimmed by narrowing the range: a value's blanks are at its ends.
        let items: Vec<_> = raw
            .into_iter()
            .map(|(k, v)| {
                let sent = at(&text, &v);
                let t = sent.trim_start();
                let start = v.start + (sent.len() - t.len());
                (k, start..start + t.trim_end().len())
            })
            .collect();
        let oper = the_oper(&text, &items)?;
        Ok(Command {
            text,
            items,
            oper,
            oper_padded,
        })
    }

    /// `<oper>`, trimmed.
    pub fn oper(&self) -> &str {
        at(&self.text, &self.oper)
    }

    /// The elements' names and trimmed texts, in order.
    pub fn items(&self) -> impl Iterator<Item = (&str, &str)> {
        self.items
            .iter()
            .map(|(k, v)| (at(&self.text, k), at(&self.text, v)))
    }

    /// The element `name`, looked up once: convert it with [`Element`]'s methods, at the step
    /// that needs it, with the same answers and refusals as the accessors below.
    pub fn element<'c>(&'c self, name: &'c str) -> Element<'c> {
        let mut it = self.items().filter(|(k, _)| *k == name);
        let first = it.next().map(|(_, v)| v);
        Element {
            oper: self.oper(),
            name,
            first,
            repeated: it.next().is_some(),
        }
    }

    /// The text of the one element `name`; `None` when absent. Repeating it is an error.
    pub fn one<'c>(&'c self, name: &'c str) -> Result<Option<&'c str>, PodpishiError> {
        self.element(name).one()
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.items()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .collect()
    }

    /// A present, non-empty element.
    pub fn required<'c>(&'c self, name: &'c str) -> Result<&'c str, PodpishiError> {
        self.element(name).required()
    }

    /// A required non-negative integer element.
    pub fn required_u64(&self, name: &str) -> Result<u64, PodpishiError> {
        self.element(name).required_u64()
    }

    /// An optional non-empty element.
    pub fn optional<'c>(&'c self, name: &'c str) -> Result<Option<&'c str>, PodpishiError> {
        self.element(name).optional()
    }
}

/// One element of a command, bound once by name ([`Command::element`]): its text, if sent,
/// and whether it was sent more than once. Binding never fails; each conversion answers and
/// refuses exactly as the [`Command`] accessor of the same name, so a handler binds every
/// element when it parses the command and converts each at the step whose refusal it is.
#[derive(Debug, Clone, Copy)]
pub struct Element<'c> {
    oper: &'c str,
    name: &'c str,
    first: Option<&'c str>,
    repeated: bool,
}

impl<'c> Element<'c> {
    /// The element's name, for messages.
    pub fn name(&self) -> &'c str {
        self.name
    }

    /// Its text; `None` when absent. Repeating it is an error.
    pub fn one(self) -> Result<Option<&'c str>, PodpishiError> {
        if self.repeated {
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!(
                    "<{}> appears more than once in {}; send it once",
                    self.name, self.oper
                ),
            ));
        }
        Ok(self.first)
    }

    /// Present and non-empty.
    pub fn required(self) -> Result<&'c str, PodpishiError> {
        match self.one()? {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(PodpishiError::new(
                Kind::MissingField,
                format!("<{}> of {} is empty", self.name, self.oper),
            )),
            None => Err(PodpishiError::new(
                Kind::MissingField,
                format!("<{}> is missing from {}", self.name, self.oper),
            )),
        }
    }

    /// Required, a non-negative integer.
    pub fn required_u64(self) -> Result<u64, PodpishiError> {
        parse_u64(self.name, self.required()?)
    }

    /// Optional, non-empty when present.
    pub fn optional(self) -> Result<Option<&'c str>, PodpishiError> {
        Ok(self.one()?.filter(|v| !v.is_empty()))
    }
}

fn bad_command(m: String) -> PodpishiError {
    PodpishiError::new(Kind::BadCommand, m)
}

/// The elements of `<data>` while a command is read: how deep the reader is, whether the root
/// was seen, the element being read and those read.
#[derive(Default)]
struct Items {
    depth: usize,
    root_seen: bool,
    current: Option<(String, String)>,
    items: Vec<(String, String)>,
}

impl Items {
    fn parent(&self) -> String {
        self.current
            .as_ref()
            .map(|c| c.0.clone())
            .unwrap_or_default()
    }

    fn start(&mut self, name: String) -> Result<(), PodpishiError> {
        let bad = bad_command;
        match self.depth {
            0 if self.root_seen => {
                return Err(bad(format!(
                    "command has a second root element <{name}> after </data>"
                )))
            }
            0 if name != "data" => {
                return Err(bad(format!(
                    "the root element is <{name}>; a command is <data><oper>…</oper>…</data>"
                )))
            }
            0 => self.root_seen = true,
            1 => self.current = Some((name, String::new())),
            _ => {
                let parent = self.parent();
                return Err(bad(format!(
                    "element <{name}> inside <{parent}>: the elements of <data> hold text only"
                )));
            }
        }
        self.depth += 1;
        Ok(())
    }

    fn empty(&mut self, name: String) -> Result<(), PodpishiError> {
        let bad = bad_command;
        match self.depth {
            0 if name == "data" && !self.root_seen => self.root_seen = true,
            0 => {
                return Err(bad(format!(
                    "the root element is <{name}/>; a command is <data><oper>…</oper>…</data>"
                )))
            }
            1 => self.items.push((name, String::new())),
            _ => {
                let parent = self.parent();
                return Err(bad(format!(
                    "element <{name}/> inside <{parent}>: the elements of <data> hold text only"
                )));
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), PodpishiError> {
        match self.current.as_mut() {
            Some((_, v)) if self.depth == 2 => v.push_str(text),
            _ if text.trim().is_empty() => {}
            _ => {
                return Err(bad_command(format!(
                    "text '{}' outside any element of <data>",
                    text.trim()
                )))
            }
        }
        Ok(())
    }

    /// CDATA and references: added to the element being read, if any.
    fn push(&mut self, text: &str) {
        if let Some((_, v)) = self.current.as_mut() {
            v.push_str(text);
        }
    }

    fn end(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 1 {
            if let Some(item) = self.current.take() {
                self.items.push(item);
            }
        }
    }
}

/// The character a reference stands for: a character reference or one of the five predefined
/// entities; anything else is refused by name (no DTD is read).
fn referenced_char(r: &quick_xml::events::BytesRef<'_>) -> Result<char, PodpishiError> {
    let bad = bad_command;
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten().ok_or_else(|| {
            bad(format!(
                "character reference &{}; is not a valid character",
                r.xml10_content()
            ))
        });
    }
    match r.xml10_content().as_ref() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(bad(format!("entity &{other}; is not defined: only &amp; &lt; &gt; &quot; &apos; and character references are allowed (no DTD is read)"))),
    }
}

/// A control character XML 1.0 forbids (even as a character reference), as the byte it is.
pub(crate) fn forbidden_control(b: u8) -> bool {
    b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r')
}

/// The part of `text` a command's range names (ranges are made on character boundaries of
/// the text they index; another range reads as empty, never a panic).
fn at<'t>(text: &'t str, range: &Range<usize>) -> &'t str {
    text.get(range.clone()).unwrap_or_default()
}

/// The elements of a command's `<data>`, untrimmed, in order: ranges of the text returned,
/// which is `xml` itself for a plain command.
type ItemRanges = (String, Vec<(Range<usize>, Range<usize>)>);

fn read_items(xml: String) -> Result<ItemRanges, PodpishiError> {
    if let Some(items) = plain_items(&xml) {
        return Ok((xml, items));
    }
    let mut text = String::with_capacity(xml.len());
    let mut items = Vec::new();
    for (k, v) in read_xml_items(&xml)? {
        let name = text.len()..text.len() + k.len();
        text.push_str(&k);
        let value = text.len()..text.len() + v.len();
        text.push_str(&v);
        items.push((name, value));
    }
    Ok((text, items))
}

/// The common command read without an XML reader: `<data>` holding only `<name>text</name>`
/// elements (names of ASCII letters, digits and `_`; text without `<`, `>`, `&` or a carriage
/// return), ASCII spaces, tabs and newlines between them. Anything else (a declaration, a
/// comment, CDATA, a reference, an attribute, an empty element, a mismatched end, an error)
/// is `None`, and the XML reader reads the command instead — with the same result for what
/// this reads (a test compares the two).
fn plain_items(xml: &str) -> Option<Vec<(Range<usize>, Range<usize>)>> {
    // Each slice below is a part of `xml`: its range is its distance from `xml`'s start.
    let base = xml.as_ptr() as usize;
    let range = |s: &str| {
        let start = s.as_ptr() as usize - base;
        start..start + s.len()
    };
    // Blanks and markup are ASCII: every slice below starts and ends on a character.
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n');
    let trim_start = |s: &str| -> usize { s.bytes().take_while(blank).count() };
    let xml = &xml[trim_start(xml)..];
    let mut rest = xml[..xml.len() - xml.bytes().rev().take_while(blank).count()]
        .strip_prefix("<data>")?
        .strip_suffix("</data>")?;
    let mut items = Vec::with_capacity(4);
    loop {
        rest = &rest[trim_start(rest)..];
        if rest.is_empty() {
            return Some(items);
        }
        let tag = rest.strip_prefix('<')?;
        let gt = memchr::memchr(b'>', tag.as_bytes())?;
        let (name, after) = (&tag[..gt], &tag[gt + 1..]);
        let named = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let (text, end) = after.split_at(memchr::memchr(b'<', after.as_bytes())?);
        if !named || memchr::memchr3(b'>', b'&', b'\r', text.as_bytes()).is_some() {
            return None;
        }
        rest = end
            .strip_prefix("</")?
            .strip_prefix(name)?
            .strip_prefix('>')?;
        items.push((range(name), range(text)));
    }
}

/// [`read_items`] with quick-xml's reader: every XML the service may be sent.
fn read_xml_items(xml: &str) -> Result<Vec<(String, String)>, PodpishiError> {
    let bad = bad_command;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut st = Items::default();
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| {
            bad(format!(
                "command is not well-formed XML: {e} (near byte {pos})"
            ))
        })?;
        match ev {
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::DocType(_) => {
                return Err(bad("command carries a DOCTYPE: DTDs and entity declarations are refused; send a plain <data>…</data> document".into()))
            }
            Event::Start(e) => st.start(e.name().as_ref().to_string())?,
            Event::Empty(e) => st.empty(e.name().as_ref().to_string())?,
            Event::Text(t) => st.text(&t.xml10_content())?,
            Event::CData(t) => st.push(&t[..]),
            Event::GeneralRef(r) => st.push(referenced_char(&r)?.encode_utf8(&mut [0; 4])),
            Event::End(_) => st.end(),
            Event::Eof => break,
        }
    }
    if !st.root_seen {
        return Err(bad(
            "command is empty XML: send <data><oper>…</oper>…</data>".into(),
        ));
    }
    if st.depth != 0 {
        return Err(bad("command XML ends before </data>".into()));
    }
    Ok(st.items)
}

/// The one non-empty `<oper>`.
fn the_oper(
    text: &str,
    items: &[(Range<usize>, Range<usize>)],
) -> Result<Range<usize>, PodpishiError> {
    let mut opers = items
        .iter()
        .filter(|(k, _)| at(text, k) == "oper")
        .map(|(_, v)| v.clone());
    match (opers.next(), opers.count()) {
        (None, _) => Err(PodpishiError::new(
            Kind::MissingField,
            "<oper> is missing from <data>",
        )),
        (Some(o), 0) if o.is_empty() => {
            Err(PodpishiError::new(Kind::MissingField, "<oper> is empty"))
        }
        (Some(o), 0) => Ok(o),
        (Some(_), more) => Err(bad_command(format!(
            "<oper> appears {} times; send exactly one",
            more + 1
        ))),
    }
}

pub fn parse_u64(name: &str, v: &str) -> Result<u64, PodpishiError> {
    // Digits only: Rust's parser would also take a leading '+', PHP's ctype_digit does not.
    let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| v.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            PodpishiError::new(
                Kind::InvalidField,
                format!(
                    "<{name}> is '{v}'; expected a whole number (digits only, no sign or spaces)"
                ),
            )
        })
}

/// Parses a service-local time: `YYYYMMDDhhmmss`, or `YYYYMMDD` meaning the start of the day
/// (`end_of_day` false) or its last second (`end_of_day` true).
pub fn parse_time(
    field: &str,
    text: &str,
    zone: Zone,
    end_of_day: bool,
) -> Result<OffsetDateTime, PodpishiError> {
    let bad = |why: &str| {
        PodpishiError::new(
            Kind::InvalidField,
            format!("<{field}> is '{text}': {why}; expected YYYYMMDDhhmmss (e.g. 20170830235959) or YYYYMMDD, service-local time"),
        )
    };
    if !(text.len() == 14 || text.len() == 8) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not 14 or 8 digits"));
    }
    let n = |a: usize, b: usize| text[a..b].parse::<u32>().unwrap_or(0);
    let month = time::Month::try_from(n(4, 6) as u8).map_err(|_| bad("the month is not 01..12"))?;
    let date = Date::from_calendar_date(n(0, 4) as i32, month, n(6, 8) as u8)
        .map_err(|_| bad("no such day"))?;
    let t = if text.len() == 14 {
        Time::from_hms(n(8, 10) as u8, n(10, 12) as u8, n(12, 14) as u8)
            .map_err(|_| bad("no such time of day"))?
    } else if end_of_day {
        Time::from_hms(23, 59, 59).map_err(|_| bad("no such time"))?
    } else {
        Time::MIDNIGHT
    };
    Ok(zone.from_local(PrimitiveDateTime::new(date, t)))
}

/// An instant as the service writes it: `YYYYMMDDhhmmss`, service-local.
pub fn format_time(at: OffsetDateTime, zone: Zone) -> String {
    let l = zone.local(at);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        l.year(),
        l.month() as u8,
        l.day(),
        l.hour(),
        l.minute(),
        l.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`plain_items`] as the names and texts its ranges point at.
    fn plain_texts(xml: &str) -> Option<Vec<(String, String)>> {
        Some(
            plain_items(xml)?
                .into_iter()
                .map(|(k, v)| (xml[k].to_string(), xml[v].to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_plain_command_reads_as_the_xml_reader_reads_it_and_anything_else_goes_to_the_reader() {
        let plain = [
            "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>",
            " \n<data>\n\t<oper> getstatus </oper>\n<docuniq>1</docuniq><docuniq>2</docuniq></data>\n",
            "<data></data>",
            "<data><oper></oper><x_1>Қазақ тілі ا</x_1></data>",
            "<data><data>x</data></data>",
        ];
        for xml in plain {
            let fast = plain_texts(xml).unwrap_or_else(|| panic!("{xml} read as plain"));
            assert_eq!(fast, read_xml_items(xml).unwrap(), "{xml}");
        }
        let other = [
            "<?xml version=\"1.0\"?><data><oper>x</oper></data>",
            "<data><oper>a &amp; b</oper></data>",
            "<data><oper><![CDATA[x]]></oper></data>",
            "<data><!-- c --><oper>x</oper></data>",
            "<data><oper a=\"1\">x</oper></data>",
            "<data><oper/></data>",
            "<data><oper>x</open></data>",
            "<data><oper>x\r\n</oper></data>",
            "<data>text<oper>x</oper></data>",
            "<data><1x>y</1x></data>",
            "<data><a><b>c</b></a></data>",
            "<Data><oper>x</oper></Data>",
            "<data><oper>x</oper></data><data></data>",
            "<data><oper>x</oper>",
            "\u{feff}<data></data>",
        ];
        for xml in other {
            assert_eq!(plain_items(xml), None, "{xml}");
        }
    }

    #[test]
    fn a_urlencoded_form_splits_and_decodes_as_a_query_does() {
        for body in [
            "login=alfa%40test.kz&apikey=k&command=PGRh%2BdGE%2B",
            "a=1&&b=&c&=d&e=x+y&f=%D0%90%FF&g==h&a=2",
            "",
            "&",
            "x=plain text=with=equals",
        ] {
            let form = Form::urlencoded(&Bytes::from(body)).unwrap();
            let got: Vec<(String, Vec<u8>)> = form
                .parts
                .iter()
                .map(|p| (p.name.to_string(), p.bytes.to_vec()))
                .collect();
            let want: Vec<(String, Vec<u8>)> = crate::server::router::query_pairs(Some(body))
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            assert_eq!(got, want, "{body}");
        }
    }

    #[test]
    fn mutated_commands_read_plainly_only_where_the_xml_reader_agrees() {
        let seeds = [
            "<data><oper>getstatus</oper><docuniq>12</docuniq><time>20260601130000</time></data>",
            " <data>\n <oper> x </oper>\n <a_b>Ә</a_b> </data> ",
        ];
        let inserts = [
            '<', '>', '/', '&', ' ', '\n', '\r', 'a', '1', '_', '!', '?', '"', '=',
        ];
        let mut plain = 0;
        for seed in seeds {
            let chars: Vec<char> = seed.chars().collect();
            for i in 0..=chars.len() {
                let mut variants: Vec<String> = Vec::new();
                if i < chars.len() {
                    let mut v = chars.clone();
                    v.remove(i);
                    variants.push(v.into_iter().collect());
                }
                for c in inserts {
                    let mut v = chars.clone();
                    v.insert(i, c);
                    variants.push(v.into_iter().collect());
                }
                for xml in variants {
                    if let Some(fast) = plain_texts(&xml) {
                        plain += 1;
                        assert_eq!(
                            Ok(fast),
                            read_xml_items(&xml).map_err(|e| e.message),
                            "{xml:?}"
                        );
                    }
                }
            }
        }
        // The mutations that keep a plain command (a letter in a name or text, a blank
        // between elements) were compared, not skipped.
        assert!(plain > 100, "{plain} plain variants");
    }

    #[test]
    fn parses_the_documented_command() {
        let c = Command::parse("<?xml version=\"1.0\"?>\n<data>\n<oper> getstatus </oper>\n<docuniq>1</docuniq><docuniq>2</docuniq>\n<time></time>\n<x>a &amp; &#1575;</x></data>").unwrap();
        assert_eq!(c.oper(), "getstatus");
        assert_eq!(c.oper_padded.as_deref(), Some(" getstatus "));
        assert_eq!(c.all("docuniq"), vec!["1", "2"]);
        assert_eq!(c.one("time").unwrap(), Some(""));
        assert_eq!(c.one("x").unwrap(), Some("a & ا"));
    }

    #[test]
    fn refuses_dtds_entities_and_nesting() {
        let e = Command::parse("<!DOCTYPE d [<!ENTITY a \"b\">]><data><oper>&a;</oper></data>")
            .unwrap_err();
        assert!(e.message.contains("DOCTYPE"), "{}", e.message);
        let e = Command::parse("<data><oper>&xxe;</oper></data>").unwrap_err();
        assert!(e.message.contains("&xxe;"), "{}", e.message);
        let e = Command::parse("<data><oper><a/></oper></data>").unwrap_err();
        assert!(e.message.contains("inside <oper>"), "{}", e.message);
        assert!(Command::parse("<data><oper>x</oper>").is_err());
        assert_eq!(
            Command::parse("<data><time/></data>").unwrap_err().kind,
            Kind::MissingField
        );
    }

    #[test]
    fn times_in_almaty() {
        let z = Zone::AsiaAlmaty;
        let t = parse_time("time1", "20260601", z, false).unwrap();
        assert_eq!(t, time::macros::datetime!(2026-05-31 19:00 UTC));
        let t = parse_time("time2", "20260601", z, true).unwrap();
        assert_eq!(format_time(t, z), "20260601235959");
        assert!(parse_time("time", "2026-06-01", z, false).is_err());
        assert!(parse_time("time", "20261301", z, false).is_err());
    }
}
