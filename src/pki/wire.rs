//! The upstream's request binding: JSON bodies and query strings as ASP.NET reads them.
//!
//! Property and parameter names bind case-insensitively (`Customercode`, `customercode` and
//! `CustomerCode` are one field), unknown properties are ignored, a missing property is its
//! type's default, and scalars convert the way Json.NET converts them (`"true"` → true,
//! `42` → "42"). [`Fields`] records which wire name each field was bound from, so a refusal —
//! or the journal — can show "customercode ← 'CustomerCode'".
//!
//! A body is parsed under limits (docs/reference.md, Binding): at
//! most [`MAX_PROPERTIES`] properties per object, [`MAX_ITEMS`] items per array and
//! [`MAX_DEPTH`] levels. The parse stops at the first excess, so a hostile megabyte of 60 000
//! keys costs no more memory than a real request.

use super::error::{Kind, PkiError};
use crate::server::router::case_key;
use bytes::Bytes;
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

mod read;

/// Properties one JSON object of a request may have (a real one has a few dozen).
pub const MAX_PROPERTIES: usize = 256;
/// Items one JSON array may have.
pub const MAX_ITEMS: usize = 1024;
/// Levels of nesting.
pub const MAX_DEPTH: usize = 32;

/// A name or string of a request: where it lies in the body when it was sent without escapes,
/// else its decoded text.
#[derive(Debug, Clone)]
enum Text {
    At { start: usize, len: usize },
    Owned(Box<str>),
}

impl Text {
    fn len(&self) -> usize {
        match self {
            Text::At { len, .. } => *len,
            Text::Owned(s) => s.len(),
        }
    }
}

/// A JSON value of a request, its strings kept as [`Text`].
#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    Str(Text),
    Array(Vec<Node>),
    Object(Vec<(Text, Node)>),
}

/// Builds [`Node`]s under the limits above; `base` is the address of the body's first byte,
/// so a borrowed string's position in it is its address minus `base`.
#[derive(Clone, Copy)]
struct Limited {
    depth: usize,
    base: usize,
    len: usize,
}

impl Limited {
    fn text(self, v: &str) -> Text {
        let start = (v.as_ptr() as usize).wrapping_sub(self.base);
        if start <= self.len && v.len() <= self.len - start {
            Text::At {
                start,
                len: v.len(),
            }
        } else {
            Text::Owned(v.into())
        }
    }

    fn deeper(self) -> Limited {
        Limited {
            depth: self.depth + 1,
            ..self
        }
    }
}

impl<'de> DeserializeSeed<'de> for Limited {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

/// A property name, as [`Text`].
struct Name(Limited);

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Text;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Text;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a property name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text, E> {
        Ok(self.0.text(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Text, E> {
        Ok(Text::Owned(v.into()))
    }
}

impl<'de> Visitor<'de> for Limited {
    type Value = Node;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node, E> {
        Ok(Node::Str(self.text(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(Text::Owned(v.into())))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.deeper())? {
            if out.len() == MAX_ITEMS {
                return Err(A::Error::custom(format!(
                    "an array has more than {MAX_ITEMS} items"
                )));
            }
            out.push(v);
        }
        Ok(Node::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut out = Vec::new();
        while let Some(k) = map.next_key_seed(Name(self))? {
            if out.len() == MAX_PROPERTIES {
                return Err(A::Error::custom(format!(
                    "an object has more than {MAX_PROPERTIES} properties (a request has a few dozen)"
                )));
            }
            let v = map.next_value_seed(self.deeper())?;
            out.push((k, v));
        }
        Ok(Node::Object(out))
    }
}

/// A request object's properties, names as sent and in the order sent, read by name in any
/// case. Nested objects are read in place (borrowed), never copied; names and strings sent
/// without escapes are read from the body itself.
///
/// Rationale: a request has a few dozen properties, so a scan comparing names
/// case-insensitively in place beats a map of lower-cased copies (one allocation and a hash
/// per key on every request), and reading the body in place leaves a signed RegisterInfo
/// with a handful of allocations for its fields instead of some fifty.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    /// The body the [`Text::At`] positions point into.
    src: Bytes,
    map: Cow<'a, [(Text, Node)]>,
    /// `personData.` for nested objects, so messages name the full path.
    prefix: String,
    /// Every name sent is ASCII: a name of another length can not match (the common case,
    /// rejected without looking at the bytes).
    ascii: bool,
    /// When every name sent is ASCII, each one's [`case_key`] (names whose keys differ differ
    /// in any ASCII case), in order: a lookup compares one word per property and the bytes
    /// only where the keys agree.
    keys: Box<[u64]>,
}

/// A sent name is `name` in any ASCII case (both ASCII): the same bytes first, the common case.
fn same_ascii(sent: &[u8], name: &[u8]) -> bool {
    sent == name || sent.eq_ignore_ascii_case(name)
}

/// `s.trim()`, answered from its first and last bytes when they can not be white space (the
/// common text, Persian included: only a few lead bytes begin a white space past ASCII).
pub fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    // U+0009–U+000D and the space; past ASCII, White_Space characters begin with 0xC2
    // (U+0085, U+00A0) or 0xE1–0xE3 (U+1680, U+2000–U+205F, U+3000).
    let may_start = match b.first() {
        None => return s,
        Some(&c) => matches!(c, 0x09..=0x0D | b' ' | 0xC2 | 0xE1..=0xE3),
    };
    // The last character: ASCII, or ending a two-byte one (white only as 0xC2 0x85 / 0xA0),
    // or a longer one (white only when three bytes from 0xE1–0xE3).
    let may_end = match b {
        [.., c] if c.is_ascii() => matches!(c, 0x09..=0x0D | b' '),
        [.., 0xC2, 0x85 | 0xA0] => true,
        [.., 0xE1..=0xE3, _, _] => true,
        _ => false,
    };
    if may_start || may_end {
        s.trim()
    } else {
        s
    }
}

/// Property names compare as Json.NET binds them: case-insensitively.
fn same_name(a: &str, b: &str) -> bool {
    // Equal bytes but for ASCII case: equal in any case (the common hit, no scan before it).
    if a.len() == b.len() && a.as_bytes().eq_ignore_ascii_case(b.as_bytes()) {
        true
    } else if a.is_ascii() && b.is_ascii() {
        false
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

/// The body's value read by serde_json under the limits; its refusals as the PKI's.
fn by_serde(src: &Bytes) -> Result<Node, PkiError> {
    let mut de = serde_json::Deserializer::from_slice(src);
    let seed = Limited {
        depth: 0,
        base: src.as_ptr() as usize,
        len: src.len(),
    };
    seed.deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            PkiError::new(
                Kind::MalformedBody,
                match e.classify() {
                    serde_json::error::Category::Data => {
                        format!("the request body is JSON beyond what signsim reads: {e}")
                    }
                    _ => format!("the request body is not JSON: {e}"),
                },
            )
        })
}

impl Fields<'static> {
    /// A JSON body that must be an object: read by [`read::object`] when it is in the common
    /// grammar, by serde_json otherwise (so every refusal and every rare value is serde_json's).
    pub fn from_json(body: &Bytes) -> Result<Fields<'static>, PkiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(PkiError::new(
                Kind::MalformedBody,
                "the request body is empty; a JSON object is expected",
            ));
        }
        let src = match body.strip_prefix(b"\xEF\xBB\xBF") {
            Some(_) => body.slice(3..),
            None => body.clone(),
        };
        let node = match read::object(&src) {
            Some(m) => Node::Object(m),
            None => by_serde(&src)?,
        };
        match node {
            Node::Object(m) => Ok(Fields::new(src, Cow::Owned(m), String::new())),
            other => Err(PkiError::new(
                Kind::MalformedBody,
                format!(
                    "the request body is a JSON {}; a JSON object is expected",
                    node_type(&other)
                ),
            )),
        }
    }

    /// Query parameters (all strings).
    pub fn from_query(pairs: Vec<(String, String)>) -> Fields<'static> {
        Fields::new(
            Bytes::new(),
            Cow::Owned(
                pairs
                    .into_iter()
                    .map(|(k, v)| (Text::Owned(k.into()), Node::Str(Text::Owned(v.into()))))
                    .collect(),
            ),
            String::new(),
        )
    }
}

impl<'a> Fields<'a> {
    fn new(src: Bytes, map: Cow<'a, [(Text, Node)]>, prefix: String) -> Fields<'a> {
        let mut f = Fields {
            src,
            map,
            prefix,
            ascii: false,
            keys: Box::default(),
        };
        f.ascii = f.map.iter().all(|(k, _)| f.bytes(k).is_ascii());
        if f.ascii {
            f.keys = f.map.iter().map(|(k, _)| case_key(f.bytes(k))).collect();
        }
        f
    }

    /// A name or string as bytes (not checked again: for comparing names).
    fn bytes<'s>(&'s self, t: &'s Text) -> &'s [u8] {
        match t {
            Text::At { start, len } => self.src.get(*start..*start + *len).unwrap_or_default(),
            Text::Owned(s) => s.as_bytes(),
        }
    }

    /// A name or string as text.
    fn text<'s>(&'s self, t: &'s Text) -> &'s str {
        match t {
            // Not validated again (it was a tenth of a signed call's binding): a `Text::At` is
            // made only by `Limited::text`, from a `&str` the parser handed out that lies in
            // `src`, or by `read::object`, between two quotes of a `src` it checked is UTF-8
            // (a quote is ASCII, so the bytes between are UTF-8 too); `src` never changes.
            Text::At { start, len } => match self.src.get(*start..*start + *len) {
                // SAFETY: these bytes were a `&str` (see above), so they are valid UTF-8.
                Some(b) => unsafe { std::str::from_utf8_unchecked(b) },
                None => "",
            },
            Text::Owned(s) => s,
        }
    }

    /// A value as serde_json's, for messages and the journal.
    fn value(&self, n: &Node) -> Value {
        match n {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::Str(t) => Value::String(self.text(t).to_string()),
            Node::Array(a) => Value::Array(a.iter().map(|v| self.value(v)).collect()),
            Node::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (self.text(k).to_string(), self.value(v)))
                    .collect(),
            ),
        }
    }

    /// How sent names are compared with `name`: by length and ASCII case when all are ASCII.
    fn binder<'n>(&'n self, name: &'n str) -> impl Fn(&Text) -> bool + 'n {
        let ascii = self.ascii && name.is_ascii();
        move |sent| {
            if ascii {
                sent.len() == name.len() && self.bytes(sent).eq_ignore_ascii_case(name.as_bytes())
            } else {
                same_name(self.text(sent), name)
            }
        }
    }

    /// The property `name` in any case (the name as sent, and its value); of several
    /// spellings the last one sent wins, as in Json.NET.
    fn get(&self, name: &str) -> Option<(&str, &Node)> {
        if self.ascii && name.is_ascii() {
            let key = case_key(name.as_bytes());
            return self
                .keys
                .iter()
                .zip(self.map.iter())
                .rev()
                .find(|(k, (sent, _))| **k == key && same_ascii(self.bytes(sent), name.as_bytes()))
                .map(|(_, (k, v))| (self.text(k), v));
        }
        let binds = self.binder(name);
        self.map
            .iter()
            .rev()
            .find(|(k, _)| binds(k))
            .map(|(k, v)| (self.text(k), v))
    }

    /// The names as sent, in order.
    fn names(&self) -> impl Iterator<Item = &str> {
        self.map.iter().map(|(k, _)| self.text(k))
    }

    /// Whether a later property of the same name in another case shadows the one at `i`.
    fn shadowed(&self, i: usize, name: &str) -> bool {
        let binds = self.binder(name);
        self.map.iter().skip(i + 1).any(|(k, _)| binds(k))
    }

    /// The documented name with this object's path, for messages.
    pub fn path(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// The property `name` (any case), looked up once: convert it with [`Field`]'s methods,
    /// at the step that needs it, with the same answers and refusals as the accessors below.
    pub fn field<'f>(&'f self, name: &'f str) -> Field<'f> {
        Field {
            of: self,
            name,
            sent: self.get(name).map(|(_, v)| v),
        }
    }

    /// A string field; numbers and booleans convert, `null` and absence are `None`.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, PkiError> {
        self.field(name).opt_str()
    }

    /// A string field that must be present and non-blank; returned trimmed.
    pub fn str(&self, name: &str) -> Result<String, PkiError> {
        self.field(name).str()
    }

    /// A string field, empty when absent.
    pub fn str_or_empty(&self, name: &str) -> Result<String, PkiError> {
        self.field(name).str_or_empty()
    }

    /// A boolean: true/false, "true"/"false" (any case), 1/0.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, PkiError> {
        self.field(name).opt_bool()
    }

    /// An integer: a JSON number or a numeric string.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, PkiError> {
        self.field(name).opt_int()
    }

    /// A nested object.
    pub fn object(&self, name: &str) -> Result<Fields<'_>, PkiError> {
        match self.get(name) {
            Some((sent, Node::Object(m))) => Ok(Fields::new(
                self.src.clone(),
                Cow::Borrowed(m),
                [self.prefix.as_str(), sent, "."].concat(),
            )),
            None | Some((_, Node::Null)) => Err(PkiError::new(
                Kind::MissingField,
                format!("{} is missing", self.path(name)),
            )),
            Some((_, other)) => Err(PkiError::new(
                Kind::InvalidField,
                format!(
                    "{} is a JSON {}; an object is expected",
                    self.path(name),
                    node_type(other)
                ),
            )),
        }
    }

    /// A field by name or dotted path (`personData.NationalCode`), any case, as text.
    pub fn lookup(&self, path: &str) -> Option<String> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        match (self.get(head), rest) {
            (Some((_, Node::Object(m))), Some(rest)) => {
                Fields::new(self.src.clone(), Cow::Borrowed(m), String::new()).lookup(rest)
            }
            (Some((_, Node::Str(t))), None) => Some(self.text(t).to_string()),
            (Some((_, Node::Null)), None) | (None, _) => None,
            (Some((_, v)), None) => Some(self.value(v).to_string()),
            _ => None,
        }
    }

    /// The request as sent (names as sent), long values shortened, for the journal — at most
    /// the journal's keys per object, so a hostile body is not copied whole.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let keep = crate::journal::KEYS_PER_OBJECT;
        for (sent, v) in self.map.iter().take(keep) {
            m.insert(
                self.text(sent).to_string(),
                crate::journal::summarize(&self.value(v)),
            );
        }
        if self.map.len() > keep {
            m.insert(
                "…".into(),
                Value::String(format!(
                    "{} more keys not kept (the journal keeps {keep} keys per object)",
                    self.map.len() - keep
                )),
            );
        }
        Value::Object(m)
    }

    /// "name bound from 'NAME'" for every top-level field sent in another case than any
    /// documented spelling would have it (lowercase-insensitive binding made it work).
    pub fn case_bindings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .names()
            .enumerate()
            .filter(|(i, sent)| {
                sent.chars().any(char::is_uppercase)
                    && !sent.chars().any(char::is_lowercase)
                    && !self.shadowed(*i, sent)
            })
            .map(|(_, sent)| {
                format!(
                    "{} bound case-insensitively from '{sent}'",
                    sent.to_lowercase()
                )
            })
            .collect();
        out.sort();
        // The journal keeps 64 diagnostic lines; a body of 60 000 upper-case keys needs no more.
        if out.len() > 64 {
            let more = out.len() - 64;
            out.truncate(64);
            out.push(format!("… and {more} more fields bound case-insensitively"));
        }
        out
    }

    /// How the documented names were bound: `["customercode ← CustomerCode", …]` for every
    /// field whose sent name differs in case from `documented`.
    pub fn bindings(&self, documented: &[&str]) -> Vec<String> {
        documented
            .iter()
            .filter_map(|d| {
                self.get(d)
                    .filter(|(sent, _)| sent != d)
                    .map(|(sent, _)| format!("{}{d} ← '{sent}'", self.prefix))
            })
            .collect()
    }
}

/// One property of a request, bound once by its documented name ([`Fields::field`]): what was
/// sent, if anything. Binding it never fails; each conversion answers and refuses exactly as the
/// [`Fields`] accessor of the same name, so a handler binds every field when it parses the
/// request and converts each at the step whose refusal it is.
#[derive(Debug, Clone, Copy)]
pub struct Field<'f> {
    of: &'f Fields<'f>,
    name: &'f str,
    sent: Option<&'f Node>,
}

impl<'f> Field<'f> {
    /// The documented name (as the handler asked for it, not as sent).
    pub fn name(&self) -> &'f str {
        self.name
    }

    /// The documented name with its object's path, for messages.
    pub fn path(&self) -> String {
        self.of.path(self.name)
    }

    /// Whether the property was sent with a value: absent and JSON `null` are not (Json.NET
    /// binds both to the property's default).
    pub fn is_sent(&self) -> bool {
        !matches!(self.sent, None | Some(Node::Null))
    }

    /// A string; numbers and booleans convert, `null` and absence are `None`.
    pub fn opt_str(self) -> Result<Option<String>, PkiError> {
        Ok(self.opt_text()?.map(Cow::into_owned))
    }

    /// [`Field::opt_str`], borrowed when the field is a JSON string.
    pub fn opt_text(self) -> Result<Option<Cow<'f, str>>, PkiError> {
        let of = self.of;
        match self.sent {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Str(t)) => Ok(Some(Cow::Borrowed(of.text(t)))),
            Some(Node::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
            Some(Node::Bool(b)) => Ok(Some(Cow::Borrowed(if *b { "True" } else { "False" }))),
            Some(other) => Err(PkiError::new(
                Kind::InvalidField,
                format!(
                    "{} is a JSON {}; a string is expected",
                    self.path(),
                    node_type(other)
                ),
            )),
        }
    }

    /// A string that must be present and non-blank; returned trimmed.
    pub fn str(self) -> Result<String, PkiError> {
        match self.opt_text()? {
            Some(s) if !trim(&s).is_empty() => Ok(trim(&s).to_string()),
            Some(_) => Err(PkiError::new(
                Kind::MissingField,
                format!("{} is empty", self.path()),
            )),
            None => Err(PkiError::new(
                Kind::MissingField,
                format!("{} is missing", self.path()),
            )),
        }
    }

    /// A string, trimmed, empty when absent.
    pub fn str_or_empty(self) -> Result<String, PkiError> {
        Ok(self.text_or_empty()?.into_owned())
    }

    /// [`Field::str_or_empty`], borrowed when the field is a JSON string.
    pub fn text_or_empty(self) -> Result<Cow<'f, str>, PkiError> {
        Ok(match self.opt_text()? {
            None => Cow::Borrowed(""),
            Some(Cow::Borrowed(s)) => Cow::Borrowed(trim(s)),
            Some(Cow::Owned(s)) => match trim(&s) {
                t if t.len() == s.len() => Cow::Owned(s),
                t => Cow::Owned(t.to_string()),
            },
        })
    }

    /// A boolean: true/false, "true"/"false" (any case), 1/0.
    pub fn opt_bool(self) -> Result<Option<bool>, PkiError> {
        let of = self.of;
        let bad = |v: &Node| {
            PkiError::new(
                Kind::InvalidField,
                format!(
                    "{} is {}; true or false is expected",
                    self.path(),
                    of.value(v)
                ),
            )
        };
        match self.sent {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Bool(b)) => Ok(Some(*b)),
            Some(v @ Node::Str(t)) => {
                let s = of.text(t).trim();
                if s.is_empty() {
                    Ok(None)
                } else if s.eq_ignore_ascii_case("true") {
                    Ok(Some(true))
                } else if s.eq_ignore_ascii_case("false") {
                    Ok(Some(false))
                } else {
                    Err(bad(v))
                }
            }
            Some(v @ Node::Number(n)) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(bad(v)),
            },
            Some(v) => Err(bad(v)),
        }
    }

    /// An integer: a JSON number or a numeric string.
    pub fn opt_int(self) -> Result<Option<i64>, PkiError> {
        let of = self.of;
        let bad = |v: &Node| {
            PkiError::new(
                Kind::InvalidField,
                format!("{} is {}; an integer is expected", self.path(), of.value(v)),
            )
        };
        match self.sent {
            None | Some(Node::Null) => Ok(None),
            Some(v @ Node::Number(n)) => n.as_i64().map(Some).ok_or_else(|| bad(v)),
            Some(v @ Node::Str(t)) => {
                let s = of.text(t).trim();
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse().map(Some).map_err(|_| bad(v))
                }
            }
            Some(v) => Err(bad(v)),
        }
    }
}

fn node_type(v: &Node) -> &'static str {
    match v {
        Node::Null => "null",
        Node::Bool(_) => "boolean",
        Node::Number(_) => "number",
        Node::Str(_) => "string",
        Node::Array(_) => "array",
        Node::Object(_) => "object",
    }
}

/// `customercode` as POST bodies carry it: `CustomerCode-LisenceNumber`.
pub fn split_customercode(fields: &Fields<'_>, name: &str) -> Result<(String, String), PkiError> {
    let raw = fields.str(name)?;
    match raw.split_once('-') {
        Some((code, license)) if !code.is_empty() && !license.is_empty() => Ok((code.to_string(), license.to_string())),
        _ => Err(PkiError::new(
            Kind::InvalidField,
            format!(
                "{} is '{raw}'; POST bodies carry it as 'CustomerCode-LisenceNumber' (e.g. '10320874334-1234')",
                fields.path(name)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`trim`] is `str::trim` for every White_Space character at either end (and inside),
    /// around ASCII, Persian, Cyrillic and a character whose bytes end like a white space.
    #[test]
    fn trim_is_str_trim() {
        let spaces: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        assert_eq!(spaces.len(), 25, "{spaces:?}");
        let words = [
            "",
            "a",
            "مهدی",
            "حسن",
            "Щ",
            "\u{2019}x\u{2019}",
            "\u{1E80}",
            "a\u{00A0}b",
        ];
        for w in words {
            assert_eq!(trim(w), w.trim(), "{w:?}");
            for c in &spaces {
                for t in [
                    format!("{c}{w}"),
                    format!("{w}{c}"),
                    format!("{c}{w}{c}"),
                    format!("x{c}{w}"),
                ] {
                    assert_eq!(trim(&t), t.trim(), "{t:?}");
                }
            }
        }
    }

    #[test]
    fn binds_case_insensitively_and_converts_like_json_net() {
        let f = Fields::from_json(&Bytes::from_static(
            br#"{"CustomerCode":"1-2","personData":{"ISMAN":"true","nationalcode":12},"x":[1]}"#,
        ))
        .unwrap();
        assert_eq!(f.str("customercode").unwrap(), "1-2");
        let p = f.object("PersonData").unwrap();
        assert_eq!(p.opt_bool("IsMan").unwrap(), Some(true));
        assert_eq!(p.str("NationalCode").unwrap(), "12");
        assert_eq!(
            f.bindings(&["customercode"]),
            vec!["customercode ← 'CustomerCode'"]
        );
        let e = p.opt_bool("NationalCode").unwrap_err();
        assert!(
            e.message.contains("personData.NationalCode is 12"),
            "{}",
            e.message
        );
        assert!(f.str("x").unwrap_err().message.contains("array"));
        assert_eq!(f.str("nothing").unwrap_err().kind, Kind::MissingField);
    }

    #[test]
    fn names_and_strings_are_read_in_place_or_decoded_when_escaped() {
        let f = Fields::from_json(&Bytes::from_static(
            "\u{FEFF}{\"na\\u006De\":\"a\\\"b\",\"City\":\"تهران\",\"n\":{\"x\":\" 7 \"}}"
                .as_bytes(),
        ))
        .unwrap();
        assert_eq!(f.str("NAME").unwrap(), "a\"b");
        assert_eq!(f.str("city").unwrap(), "تهران");
        assert_eq!(f.object("N").unwrap().opt_int("X").unwrap(), Some(7));
        assert!(matches!(f.map[1].0, Text::At { .. }), "{:?}", f.map[1]);
        assert!(matches!(f.map[0].0, Text::Owned(_)), "{:?}", f.map[0]);
        assert_eq!(f.lookup("n.x").as_deref(), Some(" 7 "));
        assert_eq!(
            f.to_json(),
            serde_json::json!({"name": "a\"b", "City": "تهران", "n": {"x": " 7 "}})
        );
    }

    #[test]
    fn names_compare_in_any_case() {
        assert!(same_name("customerCode", "CustomerCode"));
        assert!(!same_name("customercod", "customercode"));
        assert!(!same_name("customercodf", "customercode"));
        // Beyond ASCII: Unicode lower case, whatever the byte lengths.
        assert!(same_name("ÄBC", "äbc"));
        assert!(same_name("Ωmega", "ωMEGA"));
        assert!(!same_name("Ωmega", "omega"));
    }

    #[test]
    fn refuses_non_objects() {
        assert!(Fields::from_json(&Bytes::from_static(b"[1]"))
            .unwrap_err()
            .message
            .contains("JSON array"));
        assert!(Fields::from_json(&Bytes::from_static(b"{bad"))
            .unwrap_err()
            .message
            .contains("not JSON"));
        assert!(Fields::from_json(&Bytes::from_static(b"  "))
            .unwrap_err()
            .message
            .contains("empty"));
        assert!(Fields::from_json(&Bytes::from_static(b"\xEF\xBB\xBF{}")).is_ok());
    }
}
