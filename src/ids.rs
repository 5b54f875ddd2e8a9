//! Identifier and calendar rules of the two countries, as pure functions.
//!
//! Iran: 10-digit national codes (کد ملی) and 11-digit legal national IDs (شناسه ملی) with their
//! check digits; Solar Hijri (Jalali) dates. Kazakhstan: 12-digit IIN/BIN with the mod-11 check.

use time::{Date, Month};

/// Iranian national code: 10 digits, last is a check digit over the first nine (weights
/// 10..2, remainder r mod 11: check = r if r < 2 else 11 - r); all-same-digit codes are invalid.
pub fn national_code_problem(code: &str) -> Option<String> {
    if code.len() != 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("'{code}' is not 10 digits"));
    }
    let d: Vec<u32> = code.bytes().map(|b| (b - b'0') as u32).collect();
    if d.iter().all(|x| *x == d[0]) {
        return Some(format!("'{code}' repeats one digit, which is never issued"));
    }
    let s: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
    let r = s % 11;
    let check = if r < 2 { r } else { 11 - r };
    (d[9] != check)
        .then(|| format!("'{code}' fails the check digit: the last digit should be {check}"))
}

/// Iranian legal national ID: 11 digits; k = d9 + 2, s = Σ (d_i + k)·w_i over the first ten
/// with w = 29,27,23,19,17 twice; check = s mod 11 (10 → 0).
pub fn legal_id_problem(code: &str) -> Option<String> {
    if code.len() != 11 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("'{code}' is not 11 digits"));
    }
    let d: Vec<u32> = code.bytes().map(|b| (b - b'0') as u32).collect();
    const W: [u32; 10] = [29, 27, 23, 19, 17, 29, 27, 23, 19, 17];
    let k = d[9] + 2;
    let s: u32 = (0..10).map(|i| (d[i] + k) * W[i]).sum();
    let check = match s % 11 {
        10 => 0,
        r => r,
    };
    (d[10] != check).then(|| {
        format!("'{code}' fails the legal-ID check digit: the last digit should be {check}")
    })
}

/// Kazakh IIN/BIN: 12 digits, mod-11 check with weights 1..11, then 3..11,1,2 when the first
/// pass gives 10; a second 10 means the number cannot exist.
pub fn iin_bin_problem(code: &str) -> Option<String> {
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("'{code}' is not 12 digits"));
    }
    let d: Vec<u32> = code.bytes().map(|b| (b - b'0') as u32).collect();
    let pass = |w: &[u32]| (0..11).map(|i| d[i] * w[i]).sum::<u32>() % 11;
    let mut r = pass(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if r == 10 {
        r = pass(&[3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
        if r == 10 {
            return Some(format!("'{code}' can not carry a valid check digit"));
        }
    }
    (d[11] != r).then(|| format!("'{code}' fails the check digit: the last digit should be {r}"))
}

/// Whether a date is written exactly as the document shows: `yyyy/mm/dd`, four-digit year,
/// two-digit month and day.
pub fn is_documented_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'/'
        && b[7] == b'/'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A `yyyy/mm/dd` date in the Gregorian or the Solar Hijri calendar (years below 1700 are
/// Solar Hijri), as the Gregorian day it names. `-` is accepted as a separator too.
pub fn parse_either_calendar(text: &str) -> Result<Date, String> {
    let parts: Vec<&str> = text.trim().split(['/', '-']).collect();
    let bad = || format!("'{text}' is not yyyy/mm/dd");
    if parts.len() != 3 {
        return Err(bad());
    }
    let y: i32 = parts[0].parse().map_err(|_| bad())?;
    let m: u8 = parts[1].parse().map_err(|_| bad())?;
    let d: u8 = parts[2].parse().map_err(|_| bad())?;
    if y < 1700 {
        jalali_to_gregorian(y, m, d)
    } else {
        let month =
            Month::try_from(m).map_err(|_| format!("'{text}': month {m} does not exist"))?;
        Date::from_calendar_date(y, month, d)
            .map_err(|_| format!("'{text}' is not a Gregorian date"))
    }
}

/// Year boundaries of the 33-year leap cycles of the Iranian calendar (Borkowski), valid for
/// years 1..3177 AP; the arithmetic 2820-year rule disagrees with the official calendar in
/// years such as 1403, so it is not used.
const BREAKS: [i32; 20] = [
    -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
    2394, 2456, 3178,
];

/// For Solar Hijri year `jy`: whether it is leap, and the Gregorian date of its 1 Farvardin.
fn jalali_year(jy: i32) -> Result<(bool, Date), String> {
    if !(1..3178).contains(&jy) {
        return Err(format!("Solar Hijri year {jy} is out of range"));
    }
    let gy = jy + 621;
    let mut leap_j = -14;
    let mut jp = BREAKS[0];
    let mut jump = 0;
    for &jm in &BREAKS[1..] {
        jump = jm - jp;
        if jy < jm {
            break;
        }
        leap_j += jump / 33 * 8 + (jump % 33) / 4;
        jp = jm;
    }
    let mut n = jy - jp;
    leap_j += n / 33 * 8 + (n % 33 + 3) / 4;
    if jump % 33 == 4 && jump - n == 4 {
        leap_j += 1;
    }
    let leap_g = gy / 4 - (gy / 100 + 1) * 3 / 4 - 150;
    let march = 20 + leap_j - leap_g;
    if jump - n < 6 {
        n = n - jump + (jump + 4) / 33 * 33;
    }
    let mut leap = ((n + 1) % 33 - 1) % 4;
    if leap == -1 {
        leap = 4;
    }
    let nowruz =
        Date::from_calendar_date(gy, Month::March, march as u8).map_err(|e| e.to_string())?;
    Ok((leap == 0, nowruz))
}

/// Converts a Solar Hijri date to Gregorian (months 1–6 have 31 days, 7–11 have 30,
/// Esfand 29, or 30 in a leap year).
pub fn jalali_to_gregorian(jy: i32, jm: u8, jd: u8) -> Result<Date, String> {
    let (leap, nowruz) = jalali_year(jy)?;
    let days_in_month = match jm {
        1..=6 => 31,
        7..=11 => 30,
        12 if leap => 30,
        12 => 29,
        _ => {
            return Err(format!(
                "{jy}/{jm:02}/{jd:02}: Solar Hijri month {jm} does not exist"
            ))
        }
    };
    if jd == 0 || jd > days_in_month {
        return Err(format!(
            "{jy}/{jm:02}/{jd:02} is not a Solar Hijri date (month {jm} has {days_in_month} days)"
        ));
    }
    let m = jm as i64 - 1;
    let offset = if m <= 6 { m * 31 } else { 186 + (m - 6) * 30 } + jd as i64 - 1;
    Ok(nowruz + time::Duration::days(offset))
}

/// The Solar Hijri `(year, month, day)` of a Gregorian date.
pub fn gregorian_to_jalali(date: Date) -> (i32, u8, u8) {
    let mut jy = date.year() - 621;
    let nowruz = |y| jalali_year(y).map(|(_, d)| d).unwrap_or(date);
    if date < nowruz(jy) {
        jy -= 1;
    }
    let days = (date - nowruz(jy)).whole_days();
    let (m, d) = if days < 186 {
        (days / 31 + 1, days % 31 + 1)
    } else {
        ((days - 186) / 30 + 7, (days - 186) % 30 + 1)
    };
    (jy, m as u8, d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn national_codes() {
        assert_eq!(national_code_problem("0012345679"), None);
        assert_eq!(national_code_problem("0499370899"), None);
        assert!(national_code_problem("0012345678")
            .unwrap()
            .contains("should be 9"));
        assert!(national_code_problem("1111111111")
            .unwrap()
            .contains("repeats"));
        assert!(national_code_problem("12345")
            .unwrap()
            .contains("10 digits"));
    }

    #[test]
    fn legal_ids_and_iin() {
        assert_eq!(legal_id_problem("10320874334"), None);
        assert_eq!(legal_id_problem("14105318760"), None);
        assert!(legal_id_problem("10320874335").is_some());
        assert_eq!(iin_bin_problem("160940001237"), None); // valid through the fallback weights
        assert_eq!(iin_bin_problem("850315300128"), None);
        assert!(iin_bin_problem("169999070809").is_some());
        assert!(iin_bin_problem("191919020202").is_some());
    }

    #[test]
    fn solar_hijri_dates() {
        assert_eq!(
            jalali_to_gregorian(1403, 1, 1).unwrap(),
            date!(2024 - 03 - 20)
        );
        assert_eq!(
            jalali_to_gregorian(1399, 12, 30).unwrap(),
            date!(2021 - 03 - 20)
        );
        assert_eq!(
            jalali_to_gregorian(1368, 2, 15).unwrap(),
            date!(1989 - 05 - 05)
        );
        assert_eq!(
            jalali_to_gregorian(1402, 5, 8).unwrap(),
            date!(2023 - 07 - 30)
        );
        assert!(jalali_to_gregorian(1402, 12, 30).is_err()); // 1402 is not leap
        assert_eq!(
            jalali_to_gregorian(1403, 12, 30).unwrap(),
            date!(2025 - 03 - 20)
        ); // 1403 is
        assert_eq!(
            jalali_to_gregorian(1404, 1, 1).unwrap(),
            date!(2025 - 03 - 21)
        );
        assert_eq!(
            parse_either_calendar("1368/02/15").unwrap(),
            parse_either_calendar("1989/05/05").unwrap()
        );
        assert_eq!(gregorian_to_jalali(date!(2024 - 03 - 20)), (1403, 1, 1));
        assert_eq!(gregorian_to_jalali(date!(2026 - 11 - 22)), (1405, 9, 1));
        assert!(parse_either_calendar("1990-13-01").is_err());
        assert!(parse_either_calendar("12/05/1990").is_err());
    }
}
