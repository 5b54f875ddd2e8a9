//! Identity checks at registration: the civil registry (ثبت احوال), Shahkar (mobile ↔ national
//! code), postal codes, and the Persian text normalisation real registries need.
//!
//! Rationale for [`normalize_persian`]: Persian text typed on Arabic keyboard layouts uses
//! Arabic Yeh (ي U+064A) and Kaf (ك U+0643) where Persian uses ی (U+06CC) and ک (U+06A9), and
//! zero-width non-joiners vary. Registries compare normalised text; so does signsim, and a
//! mismatch message shows both spellings.

use super::error::{Kind, PkiError};
use crate::scenario::model::{PersonSpec, PostalSpec};

pub fn normalize_persian(s: &str) -> String {
    persian_chars(s).collect()
}

/// Whether two texts are equal after [`normalize_persian`], compared without building either.
pub fn same_persian(a: &str, b: &str) -> bool {
    // Equal texts normalize alike: the common case (a registered name sent again) needs no
    // walk through the characters.
    a == b || persian_chars(a).eq(persian_chars(b))
}

/// The characters of [`normalize_persian`]: Arabic forms mapped to Persian, joiners and
/// no-break spaces as spaces, runs of white space as one space, no leading or trailing
/// space, lower case.
fn persian_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    let mut started = false;
    let mut space = false;
    s.chars()
        .map(|c| match c {
            'ي' | 'ى' => 'ی',
            'ك' => 'ک',
            '\u{200C}' | '\u{200D}' | '\u{00A0}' => ' ',
            'ۀ' => 'ه',
            c => c,
        })
        .filter_map(move |c| {
            if c.is_whitespace() {
                space = started;
                return None;
            }
            let lead = (space && started).then_some(' ');
            space = false;
            started = true;
            Some(lead.into_iter().chain(c.to_lowercase()))
        })
        .flatten()
}

/// An Iranian mobile number in its canonical `09xxxxxxxxx` form; `+98`, `0098`, `98` and a
/// bare `9…` are accepted.
pub fn normalize_mobile(m: &str) -> Option<String> {
    let digits = mobile_digits(m)?;
    let mut out = String::with_capacity(11);
    out.push('0');
    out.extend(digits.iter().map(|d| char::from(*d)));
    Some(out)
}

/// The ten digits after the `0` of [`normalize_mobile`]'s form, without allocating (Shahkar
/// compares a registration's number with each registered one on every RegisterInfo).
fn mobile_digits(m: &str) -> Option<[u8; 10]> {
    // Spaces and dashes dropped; a number in any accepted form has at most 14 characters left.
    let mut kept = [0u8; 14];
    let mut n = 0;
    for b in m.bytes().filter(|b| !matches!(b, b' ' | b'-')) {
        *kept.get_mut(n)? = b;
        n += 1;
    }
    let digits = &kept[..n];
    let rest = digits
        .strip_prefix(b"+98")
        .or_else(|| digits.strip_prefix(b"0098"))
        .or_else(|| digits.strip_prefix(b"98").filter(|r| r.len() == 10))
        .or_else(|| digits.strip_prefix(b"0"))
        .unwrap_or(digits);
    let rest: [u8; 10] = rest.try_into().ok()?;
    (rest[0] == b'9' && rest.iter().all(u8::is_ascii_digit)).then_some(rest)
}

/// The 31 provinces and the ids the service reports as `ProvinceId` (alphabetical order of
/// the Persian names, as Iranian registries number them; emulator-defined).
pub const PROVINCES: [&str; 31] = [
    "آذربایجان شرقی",
    "آذربایجان غربی",
    "اردبیل",
    "اصفهان",
    "البرز",
    "ایلام",
    "بوشهر",
    "تهران",
    "چهارمحال و بختیاری",
    "خراسان جنوبی",
    "خراسان رضوی",
    "خراسان شمالی",
    "خوزستان",
    "زنجان",
    "سمنان",
    "سیستان و بلوچستان",
    "فارس",
    "قزوین",
    "قم",
    "کردستان",
    "کرمان",
    "کرمانشاه",
    "کهگیلویه و بویراحمد",
    "گلستان",
    "گیلان",
    "لرستان",
    "مازندران",
    "مرکزی",
    "هرمزگان",
    "همدان",
    "یزد",
];

pub fn province_id(name: &str) -> Option<usize> {
    // As written in the list (the common case) before the normalising comparison.
    PROVINCES
        .iter()
        .position(|p| *p == name)
        .or_else(|| PROVINCES.iter().position(|p| same_persian(p, name)))
        .map(|i| i + 1)
}

/// Compares one personData field with the registry; empty input is not compared.
pub fn compare(
    field: &str,
    given: &str,
    registry: &str,
    national_code: &str,
) -> Result<(), PkiError> {
    if given.trim().is_empty() || same_persian(given, registry) {
        return Ok(());
    }
    Err(PkiError::new(
        Kind::RegistryMismatch,
        format!(
            "personData.{field} '{given}' does not match the civil registry's '{registry}' for national code {national_code} (compared after Persian normalisation: ي→ی, ك→ک, spaces)"
        ),
    ))
}

pub fn check_birth_date(given: &str, person: &PersonSpec) -> Result<(), PkiError> {
    if given.trim().is_empty() {
        return Ok(());
    }
    let day = crate::ids::parse_either_calendar(given).map_err(|e| {
        PkiError::new(
            Kind::InvalidField,
            format!("personData.BirthDate {e}; yyyy/mm/dd in the Gregorian or the Solar Hijri calendar is expected"),
        )
    })?;
    let registry = crate::ids::parse_either_calendar(&person.birth_date)
        .map_err(|e| PkiError::internal("reading the scenario registry", e))?;
    if day == registry {
        return Ok(());
    }
    let (jy, jm, jd) = crate::ids::gregorian_to_jalali(registry);
    Err(PkiError::new(
        Kind::RegistryMismatch,
        format!(
            "personData.BirthDate '{given}' ({day}) does not match the civil registry's birth date for national code {}: {} = {jy:04}/{jm:02}/{jd:02} Solar Hijri",
            person.national_code,
            registry.to_string().replace('-', "/")
        ),
    ))
}

pub fn check_shahkar(mobile: &str, person: &PersonSpec) -> Result<(), PkiError> {
    let Some(digits) = mobile_digits(mobile) else {
        return Err(PkiError::new(
            Kind::InvalidField,
            format!("personData.Telephone '{mobile}' is not an Iranian mobile number (09xxxxxxxxx); Shahkar needs the applicant's mobile"),
        ));
    };
    if person
        .mobiles
        .iter()
        .any(|x| mobile_digits(x) == Some(digits))
    {
        Ok(())
    } else {
        let m = normalize_mobile(mobile).unwrap_or_default();
        Err(PkiError::new(
            Kind::ShahkarMismatch,
            format!(
                "Shahkar: mobile {m} is not registered to national code {}",
                person.national_code
            ),
        ))
    }
}

pub fn check_postal_code(code: &str, known: &[PostalSpec]) -> Result<(), PkiError> {
    if code.len() != 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PkiError::new(
            Kind::PostalCodeInvalid,
            format!("personData.PostalCode '{code}' is not a 10-digit Iranian postal code"),
        ));
    }
    if known.iter().any(|p| p.code == code) {
        Ok(())
    } else {
        Err(PkiError::new(
            Kind::PostalCodeInvalid,
            format!("personData.PostalCode '{code}' is not a known postal code (the scenario's registry lists {})", known.len()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The allocating form this one replaced, kept as the reference it must agree with.
    fn normalize_mobile_by_string(m: &str) -> Option<String> {
        let digits: String = m.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let rest = digits
            .strip_prefix("+98")
            .or_else(|| digits.strip_prefix("0098"))
            .or_else(|| digits.strip_prefix("98").filter(|r| r.len() == 10))
            .or_else(|| digits.strip_prefix('0'))
            .unwrap_or(&digits);
        (rest.len() == 10 && rest.starts_with('9') && rest.bytes().all(|b| b.is_ascii_digit()))
            .then(|| format!("0{rest}"))
    }

    #[test]
    fn mobiles_normalise_as_the_string_form_did() {
        let cases = [
            "",
            "0",
            "9",
            "09121234567",
            "9121234567",
            "+989121234567",
            "00989121234567",
            "989121234567",
            "98912123456",
            "9898121234567",
            "0912 123 4567",
            "+98-912-123-4567",
            " 0 9 1 2 1 2 3 4 5 6 7 ",
            "0912123456",
            "091212345678",
            "0812123456",
            "+9891212345a7",
            "۰۹۱۲۱۲۳۴۵۶۷",
            "0912123456۷",
            "+98+9121234567",
            "0098 0098 9121234567",
            "--------------0912-123-4567----",
            "0000009121234567",
            "+989121234567890",
        ];
        for m in cases {
            assert_eq!(normalize_mobile(m), normalize_mobile_by_string(m), "{m:?}");
        }
    }

    #[test]
    fn persian_normalisation_and_mobiles() {
        assert_eq!(
            normalize_persian("علي  كريمي"),
            normalize_persian("علی کریمی")
        );
        assert_eq!(
            normalize_persian(" \u{00A0}Ali\u{200C}  REZA \t"),
            "ali reza"
        );
        assert_eq!(normalize_persian("   "), "");
        assert!(same_persian("علي كريمي ", " علی\u{200C}کریمی"));
        assert!(!same_persian("علی", "علی کریمی"));
        assert_eq!(province_id("  تهران"), province_id("تهران"));
        assert_eq!(
            normalize_mobile("+989121234567").as_deref(),
            Some("09121234567")
        );
        assert_eq!(
            normalize_mobile("9121234567").as_deref(),
            Some("09121234567")
        );
        assert_eq!(
            normalize_mobile("00989121234567").as_deref(),
            Some("09121234567")
        );
        assert_eq!(normalize_mobile("0212345678"), None);
        assert_eq!(province_id("تهران"), Some(8));
        assert_eq!(province_id("خراسان رضوي"), Some(11));
    }
}
