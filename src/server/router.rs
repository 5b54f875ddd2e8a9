//! `(method, path pattern) → handler` matching, with 404 and 405 told apart.
//!
//! Patterns are `/`-separated segments: a literal, `{name}` (captures one segment),
//! `{name}.ext` (captures one segment that ends in `.ext`, without it), or a last `{*name}`
//! (captures the rest of the path, one segment or more). A route added with [`Router::any`]
//! matches every method. Literal segments match case-insensitively when the router or the
//! route says so (ASP.NET routes do; PHP file names don't).
//!
//! A mount point ([`Router::mount`]) claims the paths under it for an owner: a request no route
//! serves there is [`Match::Mounted`], so the owner answers it in its own shape, with the
//! methods the path does take. One router can so hold several APIs' routes and still tell
//! whose 404 or 405 a miss is. The router knows no wire format: callers turn a miss into their
//! API's own error shape.

use hyper::Method;
use std::borrow::Cow;

/// Routes to handlers of type `H`, under mount points owned by an `M`.
pub struct Router<H, M = ()> {
    routes: Vec<Route<H>>,
    /// By the literal first segment of their pattern (in lower case), the routes a path that
    /// starts so may match, in the order they were added: a lookup tries only those.
    by_first: Vec<(String, Vec<usize>)>,
    /// The routes whose pattern starts with a parameter (in every list of `by_first` too).
    wild: Vec<usize>,
    mounts: Vec<(Pattern, M)>,
    case_insensitive: bool,
}

struct Route<H> {
    /// `None`: every method.
    method: Option<Method>,
    pattern: Pattern,
    handler: H,
}

struct Pattern {
    /// Literals match in any case even when the router's do not.
    any_case: bool,
    segments: Vec<Segment>,
    /// The [`case_key`] of the last segment when it is a literal: a path whose last segment
    /// has another key does not match, whatever the case.
    last_key: Option<u64>,
}

/// A text's length and first seven bytes with bit 5 set, in one word: two texts equal but for
/// ASCII case have the same key (a letter's case is bit 5), so texts whose keys differ differ
/// in any case.
pub(crate) fn case_key(text: &[u8]) -> u64 {
    let head = match text.first_chunk::<8>() {
        Some(eight) => u64::from_le_bytes(*eight) & 0x00FF_FFFF_FFFF_FFFF,
        None => text.iter().rev().fold(0, |k, &b| (k << 8) | u64::from(b)),
    };
    head | 0x0020_2020_2020_2020 | ((text.len().min(255) as u64) << 56)
}

enum Segment {
    Literal(String),
    Param { suffix: String },
    Rest,
}

pub enum Match<'a, H, M = ()> {
    Found {
        handler: &'a H,
        params: Vec<String>,
    },
    /// No route serves the path with this method, but a mount point claims it: its owner
    /// answers, and `allowed` lists the methods the path takes (none: no route has the path).
    Mounted {
        owner: &'a M,
        allowed: Vec<Method>,
    },
    /// The path exists, but not for this method; the allowed methods are listed.
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

impl<H> Router<H> {
    pub fn new(case_insensitive: bool) -> Self {
        Router::with_mounts(case_insensitive)
    }
}

impl<H, M> Router<H, M> {
    /// A router whose mount points are owned by an `M`.
    pub fn with_mounts(case_insensitive: bool) -> Self {
        Router {
            routes: Vec::new(),
            by_first: Vec::new(),
            wild: Vec::new(),
            mounts: Vec::new(),
            case_insensitive,
        }
    }

    pub fn route(self, method: Method, pattern: &str, handler: H) -> Self {
        self.add(Some(method), pattern, false, handler)
    }

    /// A route whose literals match in any case (an ASP.NET route in a router whose other
    /// routes are case-sensitive).
    pub fn route_any_case(self, method: Method, pattern: &str, handler: H) -> Self {
        self.add(Some(method), pattern, true, handler)
    }

    /// A route for every method.
    pub fn any(self, pattern: &str, handler: H) -> Self {
        self.add(None, pattern, false, handler)
    }

    /// Claims the paths `pattern` matches for `owner`, when no route serves them.
    pub fn mount(mut self, pattern: &str, owner: M) -> Self {
        self.mounts.push((Pattern::parse(pattern, false), owner));
        self
    }

    /// [`Router::mount`] with literals that match in any case.
    pub fn mount_any_case(mut self, pattern: &str, owner: M) -> Self {
        self.mounts.push((Pattern::parse(pattern, true), owner));
        self
    }

    fn add(mut self, method: Option<Method>, pattern: &str, any_case: bool, handler: H) -> Self {
        let pattern = Pattern::parse(pattern, any_case);
        let i = self.routes.len();
        match pattern.segments.first() {
            Some(Segment::Literal(first)) => {
                let first = first.to_ascii_lowercase();
                match self.by_first.iter_mut().find(|(f, _)| *f == first) {
                    Some((_, list)) => list.push(i),
                    None => {
                        let list = self.wild.iter().copied().chain([i]).collect();
                        self.by_first.push((first, list));
                    }
                }
            }
            _ => {
                self.wild.push(i);
                for (_, list) in &mut self.by_first {
                    list.push(i);
                }
            }
        }
        self.routes.push(Route {
            method,
            pattern,
            handler,
        });
        self
    }

    pub fn find(&self, method: &Method, path: &str) -> Match<'_, H, M> {
        let mut stack = [""; 8];
        let heap: Vec<&str>;
        let parts = match segments(path, &mut stack) {
            Some(parts) => parts,
            None => {
                heap = path.trim_start_matches('/').split('/').collect();
                &heap
            }
        };
        let first = parts.first().copied().unwrap_or_default();
        let candidates = self
            .by_first
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(first))
            .map_or(&self.wild, |(_, list)| list);
        let mut allowed = Vec::new();
        let last_key = parts.last().map_or(0, |p| case_key(p.as_bytes()));
        for route in candidates.iter().map(|i| &self.routes[*i]) {
            if route.pattern.last_key.is_some_and(|k| k != last_key) {
                continue;
            }
            let Some(params) = route.pattern.matches(self.case_insensitive, parts) else {
                continue;
            };
            // HEAD is served wherever GET is.
            let serves = match &route.method {
                None => true,
                Some(m) => m == method || (*method == Method::HEAD && *m == Method::GET),
            };
            if serves {
                return Match::Found {
                    handler: &route.handler,
                    params,
                };
            }
            if let Some(m) = &route.method {
                if !allowed.contains(m) {
                    allowed.push(m.clone());
                }
            }
        }
        let mount = self
            .mounts
            .iter()
            .find(|(pattern, _)| pattern.matches(self.case_insensitive, parts).is_some());
        match mount {
            Some((_, owner)) => Match::Mounted { owner, allowed },
            None if allowed.is_empty() => Match::NotFound,
            None => Match::MethodNotAllowed(allowed),
        }
    }
}

/// The `/`-separated segments of `path` in `stack`, or `None` when there are more than it holds.
fn segments<'p, 's>(path: &'p str, stack: &'s mut [&'p str; 8]) -> Option<&'s [&'p str]> {
    let path = path.trim_start_matches('/');
    // By bytes: a path is a few short segments, and `str::split`'s searcher costs more to set
    // up than the bytes cost to look at. '/' is ASCII, so every cut is a char boundary.
    let mut n = 0;
    let mut start = 0;
    for (i, b) in path.bytes().enumerate() {
        if b == b'/' {
            *stack.get_mut(n)? = path.get(start..i)?;
            n += 1;
            start = i + 1;
        }
    }
    *stack.get_mut(n)? = path.get(start..)?;
    Some(&stack[..n + 1])
}

impl Pattern {
    fn parse(pattern: &str, any_case: bool) -> Pattern {
        let segments = pattern
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                if s.starts_with("{*") {
                    Segment::Rest
                } else if let Some(rest) = s.strip_prefix('{') {
                    let (_, suffix) = rest.split_once('}').unwrap_or((rest, ""));
                    Segment::Param {
                        suffix: suffix.to_string(),
                    }
                } else {
                    Segment::Literal(s.to_string())
                }
            })
            .collect::<Vec<_>>();
        let last_key = match segments.last() {
            Some(Segment::Literal(l)) => Some(case_key(l.as_bytes())),
            _ => None,
        };
        Pattern {
            any_case,
            segments,
            last_key,
        }
    }

    /// The path parameters when `parts` match.
    fn matches(&self, case_insensitive: bool, parts: &[&str]) -> Option<Vec<String>> {
        match_segments(case_insensitive || self.any_case, &self.segments, parts)
    }
}

fn match_segments(any_case: bool, segments: &[Segment], parts: &[&str]) -> Option<Vec<String>> {
    let rest = matches!(segments.last(), Some(Segment::Rest));
    if (!rest && segments.len() != parts.len()) || (rest && parts.len() < segments.len()) {
        return None;
    }
    let mut params = Vec::new();
    for (i, (seg, part)) in segments.iter().zip(parts).enumerate() {
        match seg {
            Segment::Rest => {
                params.push(parts[i..].join("/"));
                break;
            }
            Segment::Literal(lit) => {
                let same = if any_case {
                    lit.eq_ignore_ascii_case(part)
                } else {
                    lit == part
                };
                if !same {
                    return None;
                }
            }
            Segment::Param { suffix } => {
                let value = if suffix.is_empty() {
                    *part
                } else if part.len() > suffix.len()
                    && part[part.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
                {
                    &part[..part.len() - suffix.len()]
                } else {
                    return None;
                };
                if value.is_empty() {
                    return None;
                }
                params.push(percent_decode(value));
            }
        }
    }
    Some(params)
}

/// Decodes `%XX` escapes in a path segment or query component (`+` is left alone here).
pub fn percent_decode(s: &str) -> String {
    decode_component(s, false).into_owned()
}

/// `%XX` escapes decoded (and `+` as a space when `plus`), in one pass; text without either
/// is borrowed as it is. Bytes that do not form UTF-8 become U+FFFD.
pub(crate) fn decode_component(s: &str, plus: bool) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let special = |s: &[u8]| {
        if plus {
            memchr::memchr2(b'%', b'+', s)
        } else {
            memchr::memchr(b'%', s)
        }
    };
    let Some(first) = special(bytes) else {
        return Cow::Borrowed(s);
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    // At an escape or a `+`: decode it, then copy the run of plain bytes up to the next.
    while i < bytes.len() {
        let escaped = match bytes.get(i + 1..i + 3) {
            Some(&[h, l]) if bytes[i] == b'%' => hex(h).zip(hex(l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(if plus && bytes[i] == b'+' {
                    b' '
                } else {
                    bytes[i]
                });
                i += 1;
            }
        }
        let run = special(&bytes[i..]).unwrap_or(bytes.len() - i);
        out.extend_from_slice(&bytes[i..i + run]);
        i += run;
    }
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// The value of one hexadecimal digit (either case).
pub(crate) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a query string into decoded `(name, value)` pairs (`+` means space, as in forms).
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    split_pairs(query.unwrap_or(""))
        .map(|(k, v)| {
            (
                decode_component(k, true).into_owned(),
                decode_component(v, true).into_owned(),
            )
        })
        .collect()
}

/// The `name=value` pairs of a query or urlencoded form as sent (not decoded), empty pairs
/// left out, a pair without `=` a name with an empty value: slices of `text`.
pub(crate) fn split_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut at = 0;
    memchr::memchr_iter(b'&', text.as_bytes())
        .chain([text.len()])
        .filter_map(move |end| {
            // `&` and `=` are ASCII: every slice starts and ends on a character.
            let pair = &text[at..end];
            at = end + 1;
            (!pair.is_empty()).then(|| match memchr::memchr(b'=', pair.as_bytes()) {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, ""),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time decoder this one replaced, kept as the reference it must agree with.
    fn decode_byte_by_byte(s: &str, plus: bool) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
                if let (Some(h), Some(l)) = (digit(bytes[i + 1]), digit(bytes[i + 2])) {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
            }
            out.push(if plus && bytes[i] == b'+' {
                b' '
            } else {
                bytes[i]
            });
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn components_decode_as_byte_by_byte_whatever_the_escapes() {
        let cases = [
            "",
            "plain",
            "%",
            "%4",
            "%41",
            "a%41",
            "%41b",
            "%%41",
            "%4%41",
            "%g1",
            "%1g",
            "%zz%",
            "+",
            "a+b",
            "++%2B+",
            "%2b%2B",
            "%FF",
            "%C3%A9t%C3%A9",
            "%C3",
            "%E2%80%A8x",
            "mehdi%40example.test",
            "PGRhdGE%2BPG9wZXI%2BZ2V0%3D%3D",
            "é+%",
            "%%%",
            "100%",
            "a%2",
            "ü%fc%FC",
        ];
        for s in cases {
            for plus in [false, true] {
                assert_eq!(
                    decode_component(s, plus),
                    decode_byte_by_byte(s, plus),
                    "{s:?} plus={plus}"
                );
            }
        }
        // Every string of up to four characters from the interesting ones.
        let alphabet = ["%", "+", "4", "1", "g", "F", "é", "a"];
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        for s in &strings {
            for plus in [false, true] {
                assert_eq!(
                    decode_component(s, plus),
                    decode_byte_by_byte(s, plus),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn segments_are_what_splitting_at_each_slash_gives() {
        for path in [
            "",
            "/",
            "//",
            "/api/GetCAList",
            "api/x",
            "/a/b/",
            "/a//b",
            "/crl/01.crl",
            "/سلام/Привет/x",
            "/1/2/3/4/5/6/7/8",
            "/1/2/3/4/5/6/7/8/9",
            "/__admin/",
        ] {
            let split: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            let mut stack = [""; 8];
            match segments(path, &mut stack) {
                Some(parts) => assert_eq!(parts, &split[..], "{path:?}"),
                None => assert!(split.len() > 8, "{path:?}: {split:?}"),
            }
        }
    }

    #[test]
    fn matches_case_insensitively_and_tells_405_from_404() {
        let r = Router::new(true)
            .route(Method::GET, "/api/GetCAList", 1)
            .route(Method::GET, "/crl/{ca}.crl", 2);
        assert!(matches!(
            r.find(&Method::GET, "/API/getcalist"),
            Match::Found { handler: 1, .. }
        ));
        match r.find(&Method::GET, "/crl/01.crl") {
            Match::Found { handler, params } => {
                assert_eq!(*handler, 2);
                assert_eq!(params, vec!["01".to_string()]);
            }
            _ => panic!("no match"),
        }
        assert!(
            matches!(r.find(&Method::POST, "/api/GetCAList"), Match::MethodNotAllowed(m) if m == vec![Method::GET])
        );
        assert!(matches!(r.find(&Method::GET, "/api/Nope"), Match::NotFound));
        assert!(matches!(r.find(&Method::GET, "/crl/.crl"), Match::NotFound));
    }

    #[test]
    fn mounts_take_any_method_and_the_rest_of_the_path() {
        let r = Router::new(false)
            .any("/__admin", 1)
            .any("/__admin/{*rest}", 2)
            .any("/api.php", 3);
        assert!(matches!(
            r.find(&Method::DELETE, "/__admin"),
            Match::Found { handler: 1, .. }
        ));
        match r.find(&Method::POST, "/__admin/pki/tracking/7/approve") {
            Match::Found { handler, params } => {
                assert_eq!(*handler, 2);
                assert_eq!(params, vec!["pki/tracking/7/approve".to_string()]);
            }
            _ => panic!("no match"),
        }
        assert!(matches!(r.find(&Method::GET, "/API.php"), Match::NotFound));
    }

    #[test]
    fn a_miss_under_a_mount_is_its_owners_with_the_methods_the_path_takes() {
        let r = Router::with_mounts(false)
            .route_any_case(Method::GET, "/api/GetCAList", 1)
            .route(Method::POST, "/api.php", 2)
            .mount_any_case("/api/{*method}", 'p')
            .mount("/api.php", 'u');
        assert!(matches!(
            r.find(&Method::GET, "/API/getcalist"),
            Match::Found { handler: 1, .. }
        ));
        assert!(
            matches!(r.find(&Method::POST, "/api/GetCAList"), Match::Mounted { owner: 'p', allowed } if allowed == vec![Method::GET])
        );
        assert!(
            matches!(r.find(&Method::GET, "/Api/Nope"), Match::Mounted { owner: 'p', allowed } if allowed.is_empty())
        );
        assert!(
            matches!(r.find(&Method::GET, "/api.php"), Match::Mounted { owner: 'u', allowed } if allowed == vec![Method::POST])
        );
        assert!(matches!(r.find(&Method::GET, "/API.php"), Match::NotFound));
        assert!(matches!(r.find(&Method::GET, "/api"), Match::NotFound));
    }

    #[test]
    fn routes_are_tried_in_the_order_they_were_added() {
        let r = Router::new(false)
            .route(Method::GET, "/a/{x}", 1)
            .route(Method::GET, "/{x}/b", 2)
            .route(Method::GET, "/a/b", 3)
            .route(Method::GET, "/c/d", 4);
        assert!(matches!(
            r.find(&Method::GET, "/a/b"),
            Match::Found { handler: 1, .. }
        ));
        assert!(matches!(
            r.find(&Method::GET, "/c/b"),
            Match::Found { handler: 2, .. }
        ));
        assert!(matches!(
            r.find(&Method::GET, "/z/b"),
            Match::Found { handler: 2, .. }
        ));
        assert!(matches!(
            r.find(&Method::GET, "/c/d"),
            Match::Found { handler: 4, .. }
        ));
        let deep = "/a/1/2/3/4/5/6/7/8/9";
        assert!(matches!(r.find(&Method::GET, deep), Match::NotFound));
        let rest = Router::new(false).route(Method::GET, "/a/{*rest}", 5);
        match rest.find(&Method::GET, deep) {
            Match::Found { params, .. } => assert_eq!(params, ["1/2/3/4/5/6/7/8/9"]),
            _ => panic!("no match"),
        }
    }

    #[test]
    fn decodes_queries() {
        let q = query_pairs(Some("Customercode=103%2B1&caName=a+b&x"));
        assert_eq!(q[0], ("Customercode".into(), "103+1".into()));
        assert_eq!(q[1], ("caName".into(), "a b".into()));
        assert_eq!(q[2], ("x".into(), "".into()));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        // A path keeps its `+`; bytes that are not UTF-8 become U+FFFD.
        assert_eq!(percent_decode("a+b%20c"), "a+b c");
        assert_eq!(query_pairs(Some("n=%D0%90%FF+1"))[0].1, "А\u{FFFD} 1");
    }
}
