//! Key and value encodings.
//!
//! Keys are text parts joined by a 0x1F (unit separator) byte, so a prefix scan over
//! `key(&["a", "b", ""])` finds exactly the children of `a/b`. Numbers that must sort are
//! written as fixed-width big-endian ([`be`]) or zero-padded decimal. Values are JSON: readable
//! in a hex dump and tolerant of added fields.

use super::StoreError;
use serde::{de::DeserializeOwned, Serialize};

pub const SEP: u8 = 0x1F;

/// Joins parts into a key.
pub fn key(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.extend_from_slice(p.as_bytes());
    }
    out
}

/// A u64 as 20 zero-padded decimal digits: sorts numerically, reads in a dump.
pub fn be(n: u64) -> String {
    format!("{n:020}")
}

/// Part `i` of a key made by [`key`], read in place (`None` when the key has fewer parts or
/// that part is not UTF-8).
pub fn part(key: &[u8], i: usize) -> Option<&str> {
    key.split(|b| *b == SEP)
        .nth(i)
        .and_then(|p| std::str::from_utf8(p).ok())
}

/// The parts of a key made by [`key`].
pub fn split(key: &[u8]) -> Vec<String> {
    key.split(|b| *b == SEP)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

pub fn encode<V: Serialize>(v: &V) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn decode<V: DeserializeOwned>(bytes: &[u8]) -> Result<V, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn decode_u64(bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("counter of {} bytes", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort() {
        let k = key(&["01", &be(42), "x"]);
        assert_eq!(split(&k), vec!["01", "00000000000000000042", "x"]);
        assert!(key(&["a", &be(9)]) < key(&["a", &be(10)]));
    }

    #[test]
    fn a_part_is_read_in_place_as_split_gives_it() {
        let k = key(&["01", "سلام", ""]);
        for i in 0..3 {
            assert_eq!(part(&k, i), Some(split(&k)[i].as_str()));
        }
        assert_eq!(part(&k, 3), None, "no such part");
        let mut bad = key(&["a", "b"]);
        bad.push(0xFF);
        assert_eq!(part(&bad, 1), None, "not UTF-8");
        assert_eq!(part(&bad, 0), Some("a"));
    }
}
