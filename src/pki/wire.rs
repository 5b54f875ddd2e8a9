//! The upstream's request binding: JSON bodies and query strings as ASP.NET reads them.
//!
//! Property and parameter names bind case-insensitively (`Customercode`, `customercode` and
//! `CustomerCode` are one field), unknown properties are ignored, a missing property is its
//! type's default, and scalars convert the way Json.NET converts them (`"true"` → true,
//! `42` → "42"). [`Fields`] records which wire name each field was bound from, so a refusal —
//! or the journal — can show "customercode ← 'CustomerCode'".
//!
//! A body is parsed under limits (README, "Reference: emulator-defined choices", Binding): at
//! most [`MAX_PROPERTIES`] properties per object, [`MAX_ITEMS`] items per array and
//! [`MAX_DEPTH`] levels. The parse stops at the first excess, so a hostile megabyte of 60 000
//! keys costs no more memory than a real request.

use super::error::{Kind, PkiError};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Properties one JSON object of a request may have (a real one has a few dozen).
pub const MAX_PROPERTIES: usize = 256;
/// Items one JSON array may have.
pub const MAX_ITEMS: usize = 1024;
/// Levels of nesting.
pub const MAX_DEPTH: usize = 32;

/// A JSON value built under the limits above.
struct Limited {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Limited {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Limited {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Limited {
            depth: self.depth + 1,
        })? {
            if out.len() == MAX_ITEMS {
                return Err(A::Error::custom(format!(
                    "an array has more than {MAX_ITEMS} items"
                )));
            }
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.len() == MAX_PROPERTIES {
                return Err(A::Error::custom(format!(
                    "an object has more than {MAX_PROPERTIES} properties (a request has a few dozen)"
                )));
            }
            let v = map.next_value_seed(Limited {
                depth: self.depth + 1,
            })?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// A request object's properties, names as sent and in the order sent, read by name in any
/// case. Nested objects are read in place (borrowed), never copied.
///
/// Rationale: a request has a few dozen properties, so a scan comparing names
/// case-insensitively in place beats a map of lower-cased copies (one allocation and a hash
/// per key on every request).
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    map: Cow<'a, Map<String, Value>>,
    /// `personData.` for nested objects, so messages name the full path.
    prefix: String,
    /// Every name sent is ASCII: a name of another length can not match (the common case,
    /// rejected without looking at the bytes).
    ascii: bool,
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

impl Fields<'static> {
    /// A JSON body that must be an object.
    pub fn from_json(body: &[u8]) -> Result<Fields<'static>, PkiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(PkiError::new(
                Kind::MalformedBody,
                "the request body is empty; a JSON object is expected",
            ));
        }
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let mut de = serde_json::Deserializer::from_slice(body);
        let value = Limited { depth: 0 }
            .deserialize(&mut de)
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
            })?;
        match value {
            Value::Object(m) => Ok(Fields::new(Cow::Owned(m), String::new())),
            other => Err(PkiError::new(
                Kind::MalformedBody,
                format!(
                    "the request body is a JSON {}; a JSON object is expected",
                    json_type(&other)
                ),
            )),
        }
    }

    /// Query parameters (all strings).
    pub fn from_query(pairs: Vec<(String, String)>) -> Fields<'static> {
        Fields::new(
            Cow::Owned(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
            String::new(),
        )
    }
}

impl<'a> Fields<'a> {
    fn new(map: Cow<'a, Map<String, Value>>, prefix: String) -> Fields<'a> {
        let ascii = map.keys().all(|k| k.is_ascii());
        Fields { map, prefix, ascii }
    }

    /// Whether the sent name `sent` binds to `name`.
    fn binds(&self, sent: &str, name: &str) -> bool {
        if self.ascii && name.is_ascii() {
            sent.len() == name.len() && sent.eq_ignore_ascii_case(name)
        } else {
            same_name(sent, name)
        }
    }

    /// The property `name` in any case; of several spellings the last one sent wins, as in
    /// Json.NET.
    fn get(&self, name: &str) -> Option<(&String, &Value)> {
        self.map.iter().rev().find(|(k, _)| self.binds(k, name))
    }

    /// Whether a later property of the same name in another case shadows the one at `i`.
    fn shadowed(&self, i: usize, name: &str) -> bool {
        self.map.keys().skip(i + 1).any(|k| self.binds(k, name))
    }

    /// The documented name with this object's path, for messages.
    pub fn path(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// A string field; numbers and booleans convert, `null` and absence are `None`.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, PkiError> {
        Ok(self.text(name)?.map(Cow::into_owned))
    }

    /// [`Fields::opt_str`], borrowed when the field is a JSON string.
    fn text(&self, name: &str) -> Result<Option<Cow<'_, str>>, PkiError> {
        match self.get(name) {
            None | Some((_, Value::Null)) => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(Cow::Borrowed(s))),
            Some((_, Value::Number(n))) => Ok(Some(Cow::Owned(n.to_string()))),
            Some((_, Value::Bool(b))) => Ok(Some(Cow::Borrowed(if *b { "True" } else { "False" }))),
            Some((_, other)) => Err(PkiError::new(
                Kind::InvalidField,
                format!(
                    "{} is a JSON {}; a string is expected",
                    self.path(name),
                    json_type(other)
                ),
            )),
        }
    }

    /// A string field that must be present and non-blank; returned trimmed.
    pub fn str(&self, name: &str) -> Result<String, PkiError> {
        match self.text(name)? {
            Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Some(_) => Err(PkiError::new(
                Kind::MissingField,
                format!("{} is empty", self.path(name)),
            )),
            None => Err(PkiError::new(
                Kind::MissingField,
                format!("{} is missing", self.path(name)),
            )),
        }
    }

    /// A string field, empty when absent.
    pub fn str_or_empty(&self, name: &str) -> Result<String, PkiError> {
        Ok(self
            .text(name)?
            .map(|s| s.trim().to_string())
            .unwrap_or_default())
    }

    /// A boolean: true/false, "true"/"false" (any case), 1/0.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, PkiError> {
        let bad = |v: &Value| {
            PkiError::new(
                Kind::InvalidField,
                format!("{} is {v}; true or false is expected", self.path(name)),
            )
        };
        match self.get(name) {
            None | Some((_, Value::Null)) => Ok(None),
            Some((_, Value::Bool(b))) => Ok(Some(*b)),
            Some((_, Value::String(s))) if s.trim().is_empty() => Ok(None),
            Some((_, v @ Value::String(s))) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(bad(v)),
            },
            Some((_, v @ Value::Number(n))) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(bad(v)),
            },
            Some((_, v)) => Err(bad(v)),
        }
    }

    /// An integer: a JSON number or a numeric string.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, PkiError> {
        let bad = |v: &Value| {
            PkiError::new(
                Kind::InvalidField,
                format!("{} is {v}; an integer is expected", self.path(name)),
            )
        };
        match self.get(name) {
            None | Some((_, Value::Null)) => Ok(None),
            Some((_, v @ Value::Number(n))) => n.as_i64().map(Some).ok_or_else(|| bad(v)),
            Some((_, Value::String(s))) if s.trim().is_empty() => Ok(None),
            Some((_, v @ Value::String(s))) => s.trim().parse().map(Some).map_err(|_| bad(v)),
            Some((_, v)) => Err(bad(v)),
        }
    }

    /// A nested object.
    pub fn object(&self, name: &str) -> Result<Fields<'_>, PkiError> {
        match self.get(name) {
            Some((sent, Value::Object(m))) => Ok(Fields::new(
                Cow::Borrowed(m),
                format!("{}{}.", self.prefix, sent),
            )),
            None | Some((_, Value::Null)) => Err(PkiError::new(
                Kind::MissingField,
                format!("{} is missing", self.path(name)),
            )),
            Some((_, other)) => Err(PkiError::new(
                Kind::InvalidField,
                format!(
                    "{} is a JSON {}; an object is expected",
                    self.path(name),
                    json_type(other)
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
            (Some((_, Value::Object(m))), Some(rest)) => {
                Fields::new(Cow::Borrowed(m), String::new()).lookup(rest)
            }
            (Some((_, Value::String(s))), None) => Some(s.clone()),
            (Some((_, Value::Null)), None) | (None, _) => None,
            (Some((_, v)), None) => Some(v.to_string()),
            _ => None,
        }
    }

    /// The request as sent (names as sent), long values shortened, for the journal — at most
    /// the journal's keys per object, so a hostile body is not copied whole.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let keep = crate::journal::KEYS_PER_OBJECT;
        for (sent, v) in self.map.iter().take(keep) {
            m.insert(sent.clone(), crate::journal::summarize(v));
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
            .map
            .keys()
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

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
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

    #[test]
    fn binds_case_insensitively_and_converts_like_json_net() {
        let f = Fields::from_json(
            br#"{"CustomerCode":"1-2","personData":{"ISMAN":"true","nationalcode":12},"x":[1]}"#,
        )
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
        assert!(Fields::from_json(b"[1]")
            .unwrap_err()
            .message
            .contains("JSON array"));
        assert!(Fields::from_json(b"{bad")
            .unwrap_err()
            .message
            .contains("not JSON"));
        assert!(Fields::from_json(b"  ")
            .unwrap_err()
            .message
            .contains("empty"));
        assert!(Fields::from_json(b"\xEF\xBB\xBF{}").is_ok());
    }
}
