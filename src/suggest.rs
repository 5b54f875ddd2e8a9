//! "Did you mean …?": the closest known name to a misspelled one.

/// The candidate nearest to `name` (case-insensitive edit distance), if it is within 3 edits.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&c.to_lowercase(), &wanted), c))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + (ca != *cb) as usize)
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_nearest_within_three_edits() {
        let names = ["RegisterInfo", "GetCAList", "GetCredit"];
        assert_eq!(super::closest("registerinfoo", names), Some("RegisterInfo"));
        assert_eq!(super::closest("GetCAListt", names), Some("GetCAList"));
        assert_eq!(super::closest("Nothing", names), None);
    }
}
