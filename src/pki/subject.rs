//! Subject DN templates: how a profile turns a registered identity into a certificate subject.
//!
//! A template lists attributes as Windows and .NET show a DN, first RDN *last*:
//! `CN={EnName} {EnLastName} [Sign],SERIALNUMBER={NationalCode},O=Unaffiliated,…,C=IR`.
//! `{Field}` placeholders name identity fields; an attribute whose placeholders are all empty is
//! left out (so `E={Email}` disappears without an email). Two presets name the layouts of the
//! general CA (docs/reference.md): `natural-person` (the default) and `legal-person`.

use crate::crypto::x509::Attr;

pub const NATURAL_PERSON: &str = "CN={EnName} {EnLastName} [Sign],SERIALNUMBER={NationalCode},O=Unaffiliated,SN={LastName},G={Name},S={ProvinceName},L={City},C=IR,E={Email}";
pub const LEGAL_PERSON: &str = "CN={EnName} {EnLastName} [Stamp],SERIALNUMBER={NationalCode},O=Non-Governmental,S={ProvinceName},L={City},C=IR,E={Email}";

/// Identity fields a template may use (the `personData` names of RegisterInfo).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    LastName,
    EnName,
    EnLastName,
    NationalCode,
    FatherName,
    City,
    ProvinceName,
    PostalCode,
    Email,
    AgencySN,
    Telephone,
}

impl Field {
    const ALL: [(Field, &'static str); 12] = [
        (Field::Name, "Name"),
        (Field::LastName, "LastName"),
        (Field::EnName, "EnName"),
        (Field::EnLastName, "EnLastName"),
        (Field::NationalCode, "NationalCode"),
        (Field::FatherName, "FatherName"),
        (Field::City, "City"),
        (Field::ProvinceName, "ProvinceName"),
        (Field::PostalCode, "PostalCode"),
        (Field::Email, "Email"),
        (Field::AgencySN, "AgencySN"),
        (Field::Telephone, "Telephone"),
    ];

    fn parse(name: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        Field::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }
}

#[derive(Clone, Debug)]
enum Piece {
    Lit(String),
    Field(Field),
}

#[derive(Clone, Debug)]
pub struct Template {
    /// The template as a profile shows it (`SubjectDNConfig`).
    pub text: String,
    /// In display order (first RDN last).
    parts: Vec<(Attr, Vec<Piece>)>,
}

impl Template {
    /// Parses a template or a preset name.
    pub fn parse(spec: &str) -> Result<Template, String> {
        let text = match spec.trim() {
            "natural-person" => NATURAL_PERSON,
            "legal-person" => LEGAL_PERSON,
            other => other,
        };
        let mut parts = Vec::new();
        for component in text.split(',') {
            let (attr, value) = component
                .split_once('=')
                .ok_or_else(|| format!("'{component}' is not ATTR=value"))?;
            let attr = Attr::parse(attr).ok_or_else(|| {
                format!("'{}' is not a known attribute (CN, SERIALNUMBER, O, OU, SN, G, S, L, C, E, T, STREET, PostalCode)", attr.trim())
            })?;
            parts.push((attr, parse_pieces(value)?));
        }
        if parts.is_empty() {
            return Err("the template is empty".into());
        }
        let attrs: Vec<Attr> = parts.iter().map(|(a, _)| *a).collect();
        crate::crypto::x509::check_subject_encodable(&attrs)?;
        Ok(Template {
            text: text.to_string(),
            parts,
        })
    }

    /// The subject in DER order (first RDN first), attributes with no value left out.
    pub fn render<S: AsRef<str>>(&self, value: impl Fn(Field) -> S) -> Vec<(Attr, String)> {
        let mut out = Vec::with_capacity(self.parts.len());
        // One scratch buffer, room for a usual attribute at once.
        let mut s = String::with_capacity(48);
        for (attr, pieces) in self.parts.iter().rev() {
            if let Some(v) = attribute(pieces, &value, &mut s) {
                out.push((*attr, v.to_string()));
            }
        }
        out
    }

    /// What [`crate::crypto::x509::display_name`] writes of [`Template::render`]'s subject
    /// (`CN=…, SERIALNUMBER=…, …, C=IR`), written at once: the registration looks a subject up
    /// by it, and an idempotent repeat needs nothing else.
    pub fn render_dn<S: AsRef<str>>(&self, value: impl Fn(Field) -> S) -> String {
        let mut out = String::with_capacity(160);
        let mut s = String::with_capacity(48);
        for (attr, pieces) in &self.parts {
            if let Some(v) = attribute(pieces, &value, &mut s) {
                crate::crypto::x509::push_dn_attr(&mut out, *attr, v);
            }
        }
        out
    }

    /// Fields the template uses.
    pub fn fields(&self) -> Vec<Field> {
        self.parts
            .iter()
            .flat_map(|(_, ps)| ps.iter())
            .filter_map(|p| match p {
                Piece::Field(f) => Some(*f),
                Piece::Lit(_) => None,
            })
            .collect()
    }

    /// True for a legal-person layout (`[Stamp]` or an 11-digit ID).
    pub fn is_legal_person(&self) -> bool {
        self.text.contains("[Stamp]")
    }
}

/// One attribute's value from its pieces, trimmed, written in `s` (cleared first); `None` when
/// it has placeholders and they are all empty.
fn attribute<'s, S: AsRef<str>>(
    pieces: &[Piece],
    value: &impl Fn(Field) -> S,
    s: &'s mut String,
) -> Option<&'s str> {
    s.clear();
    let mut any_field = false;
    let mut any_value = false;
    for p in pieces {
        match p {
            Piece::Lit(l) => s.push_str(l),
            Piece::Field(f) => {
                any_field = true;
                let v = value(*f);
                let v = crate::pki::wire::trim(v.as_ref());
                any_value |= !v.is_empty();
                s.push_str(v);
            }
        }
    }
    if any_field && !any_value {
        return None;
    }
    Some(crate::pki::wire::trim(s))
}

fn parse_pieces(value: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Lit(rest[..open].to_string()));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("'{value}' has an unclosed '{{'"))?
            + open;
        let name = &rest[open + 1..close];
        let field = Field::parse(name).ok_or_else(|| {
            format!(
                "'{{{name}}}' is not an identity field ({})",
                Field::ALL
                    .iter()
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        pieces.push(Piece::Field(field));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Lit(rest.to_string()));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_person_layout_in_der_order() {
        let t = Template::parse("natural-person").unwrap();
        let subject = t.render(|f| match f {
            Field::EnName => "Mehdi".into(),
            Field::EnLastName => "Ahmadi".into(),
            Field::NationalCode => "0012345679".into(),
            Field::LastName => "احمدی".into(),
            Field::Name => "مهدی".into(),
            Field::ProvinceName => "تهران".into(),
            Field::City => "تهران".into(),
            _ => String::new(),
        });
        let shown = crate::crypto::x509::display_name(&subject);
        assert_eq!(
            shown,
            "CN=Mehdi Ahmadi [Sign], SERIALNUMBER=0012345679, O=Unaffiliated, SN=احمدی, G=مهدی, S=تهران, L=تهران, C=IR"
        );
        assert_eq!(subject[0].0, Attr::Country);
    }

    /// The DN written at once is the one shown of the rendered subject, for both presets and
    /// a custom template, with values empty, blank, padded and absent.
    #[test]
    fn dn_written_at_once_is_the_rendered_subject_shown() {
        let persons: [&[(Field, &str)]; 4] = [
            &[
                (Field::EnName, "Mehdi"),
                (Field::EnLastName, "Ahmadi"),
                (Field::NationalCode, "0012345679"),
                (Field::Name, "مهدی"),
                (Field::LastName, " احمدی "),
                (Field::Email, "m@example.test"),
            ],
            &[(Field::EnName, "  "), (Field::City, "تهران")],
            &[(Field::EnLastName, "Ahmadi "), (Field::ProvinceName, " ")],
            &[],
        ];
        for spec in [
            "natural-person",
            "legal-person",
            " T={Telephone} x ,CN=  {EnName}  ,OU=Dev",
        ] {
            let t = Template::parse(spec).unwrap();
            for person in persons {
                let value = |f: Field| person.iter().find(|(g, _)| *g == f).map_or("", |(_, v)| *v);
                assert_eq!(
                    t.render_dn(value),
                    crate::crypto::x509::display_name(&t.render(value)),
                    "template {spec:?}, person {person:?}"
                );
            }
        }
    }

    #[test]
    fn bad_templates_say_why() {
        assert!(Template::parse("CN={Nope}")
            .unwrap_err()
            .contains("not an identity field"));
        assert!(Template::parse("XX=1")
            .unwrap_err()
            .contains("not a known attribute"));
        assert!(Template::parse("CN={Name")
            .unwrap_err()
            .contains("unclosed"));
        assert!(Template::parse("OU=a,OU=b,OU=c").is_err());
        assert!(Template::parse("legal-person").unwrap().is_legal_person());
    }
}
