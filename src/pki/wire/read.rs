//! The common grammar of a request body, read straight from its bytes into [`Node`]s: what the
//! serde_json path builds for the same body, without its visitor machinery.
//!
//! It reads only what it is sure of and answers `None` for anything else: any error, a number
//! serde_json would make a float (a fraction, an exponent, `-0`, an integer beyond 64 bits), a
//! surrogate `\u` escape not in a pair, a limit reached, a top level that is not an object. The
//! caller then reads the body with serde_json, so every refusal and every rare value is exactly
//! serde_json's. What it does build is the serde path's tree: unescaped strings as positions
//! ([`Text::At`]), escaped ones decoded ([`Text::Owned`]), integers as serde_json's [`Number`],
//! duplicate names kept in order.
//!
//! Rationale: binding a signed RegisterInfo's body through serde_json's `deserialize_any` and the
//! limited visitor cost some 18 K instructions of a 190 K request, most of it dispatch.

use super::{Node, Text, MAX_DEPTH, MAX_ITEMS, MAX_PROPERTIES};
use serde_json::Number;
use std::cell::Cell;

/// The properties of `src` (a body without its byte-order mark) when it is a JSON object read
/// entirely by the common grammar; `None` for anything else.
pub(super) fn object(src: &[u8]) -> Option<Vec<(Text, Node)>> {
    // One check for the whole body: strings are then valid UTF-8 between their quotes (ASCII),
    // and a body that is not UTF-8 is one serde_json refuses.
    let text = std::str::from_utf8(src).ok()?;
    let mut r = Reader {
        text,
        b: src,
        at: 0,
        props: STACK.take(),
    };
    let read = r.top();
    r.props.clear();
    if r.props.capacity() <= STACK_KEPT {
        STACK.set(r.props);
    }
    read
}

thread_local! {
    /// The property stack's buffer, kept for the thread's next body. A new one was a block of
    /// 1.8 KiB a body (a signed RegisterInfo's 21 properties): beyond glibc's per-thread
    /// cache, so each also merged the thread's freed small blocks first (`malloc_consolidate`).
    static STACK: Cell<Vec<(Text, Node)>> = const { Cell::new(Vec::new()) };
}

/// Properties whose room the kept stack may hold (a hostile body's larger stack is freed).
const STACK_KEPT: usize = 64;

/// Whether `x` ends a string's plain run: a quote, a backslash or a control character.
fn special(x: u8) -> bool {
    x == b'"' || x == b'\\' || x < 0x20
}

struct Reader<'s> {
    /// The body (checked UTF-8), for slicing decoded strings' plain runs.
    text: &'s str,
    b: &'s [u8],
    at: usize,
    /// The properties of the objects being read, innermost last: each object's are moved into
    /// a vector of their exact size when it closes (one allocation, none regrown).
    props: Vec<(Text, Node)>,
}

impl Reader<'_> {
    /// The whole body: one object and nothing after it but blanks.
    fn top(&mut self) -> Option<Vec<(Text, Node)>> {
        self.space();
        self.eat(b'{')?;
        let m = self.object(0)?;
        self.space();
        (self.at == self.b.len()).then_some(m)
    }

    /// Skips JSON's whitespace (space, tab, line feed, carriage return: serde_json's four).
    fn space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.at) {
            self.at += 1;
        }
    }

    /// Consumes the byte `x`, or answers `None`.
    fn eat(&mut self, x: u8) -> Option<()> {
        if *self.b.get(self.at)? == x {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    /// A value at nesting `depth` (the top-level object's are at 1).
    fn value(&mut self, depth: usize) -> Option<Node> {
        self.space();
        let x = *self.b.get(self.at)?;
        match x {
            b'"' => {
                self.at += 1;
                self.string().map(Node::Str)
            }
            b'{' | b'[' if depth >= MAX_DEPTH => None,
            b'{' => {
                self.at += 1;
                self.object(depth).map(Node::Object)
            }
            b'[' => {
                self.at += 1;
                self.array(depth).map(Node::Array)
            }
            b't' => self.word(b"true", Node::Bool(true)),
            b'f' => self.word(b"false", Node::Bool(false)),
            b'n' => self.word(b"null", Node::Null),
            b'-' | b'0'..=b'9' => self.number().map(Node::Number),
            _ => None,
        }
    }

    /// The literal `w`, as `node`.
    fn word(&mut self, w: &[u8], node: Node) -> Option<Node> {
        if self.b.get(self.at..self.at + w.len())? == w {
            self.at += w.len();
            Some(node)
        } else {
            None
        }
    }

    /// An object's properties, its `{` consumed.
    fn object(&mut self, depth: usize) -> Option<Vec<(Text, Node)>> {
        let mark = self.props.len();
        self.space();
        if self.eat(b'}').is_some() {
            return Some(Vec::new());
        }
        loop {
            self.eat(b'"')?;
            let name = self.string()?;
            if self.props.len() - mark == MAX_PROPERTIES {
                return None;
            }
            self.space();
            self.eat(b':')?;
            let v = self.value(depth + 1)?;
            self.props.push((name, v));
            self.space();
            match *self.b.get(self.at)? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(self.props.drain(mark..).collect());
                }
                _ => return None,
            }
            self.space();
        }
    }

    /// An array's items, its `[` consumed.
    fn array(&mut self, depth: usize) -> Option<Vec<Node>> {
        let mut out = Vec::new();
        self.space();
        if self.eat(b']').is_some() {
            return Some(out);
        }
        loop {
            let v = self.value(depth + 1)?;
            if out.len() == MAX_ITEMS {
                return None;
            }
            out.push(v);
            self.space();
            match *self.b.get(self.at)? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    /// An integer as serde_json makes it: unsigned when not negative, signed when negative;
    /// `None` for what it makes a float (a fraction, an exponent, `-0`, beyond 64 bits) and for
    /// what it refuses (a leading zero, a lone `-`).
    fn number(&mut self) -> Option<Number> {
        let negative = self.eat(b'-').is_some();
        let mut n: u64 = 0;
        match *self.b.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                while let Some(&d @ b'0'..=b'9') = self.b.get(self.at) {
                    n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
                    self.at += 1;
                }
            }
            _ => return None,
        }
        if let Some(b'.' | b'e' | b'E' | b'0'..=b'9') = self.b.get(self.at) {
            return None;
        }
        if !negative {
            return Some(n.into());
        }
        // serde_json's own test: a negation that is not negative (`-0`, beyond i64) is a float.
        let neg = (n as i64).wrapping_neg();
        (neg < 0).then(|| neg.into())
    }

    /// The first byte at or after `i` that ends a plain run (or the body's length): eight bytes
    /// a step, as serde_json looks for it.
    fn plain_run(&self, mut i: usize) -> usize {
        const ONES: u64 = u64::MAX / 255;
        while let Some(chunk) = self.b.get(i..i + 8) {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(chunk);
            let x = u64::from_le_bytes(eight);
            let ctrl = x.wrapping_sub(ONES * 0x20) & !x;
            let q = x ^ (ONES * u64::from(b'"'));
            let quote = q.wrapping_sub(ONES) & !q;
            let s = x ^ (ONES * u64::from(b'\\'));
            let slash = s.wrapping_sub(ONES) & !s;
            let hit = (ctrl | quote | slash) & (ONES << 7);
            if hit != 0 {
                return i + hit.trailing_zeros() as usize / 8;
            }
            i += 8;
        }
        while self.b.get(i).is_some_and(|&x| !special(x)) {
            i += 1;
        }
        i
    }

    /// A string, its opening quote consumed: where it lies when sent without escapes, else
    /// decoded.
    fn string(&mut self) -> Option<Text> {
        let start = self.at;
        let end = self.plain_run(start);
        match *self.b.get(end)? {
            b'"' => {
                self.at = end + 1;
                Some(Text::At {
                    start,
                    len: end - start,
                })
            }
            b'\\' => self.escaped(start, end),
            _ => None,
        }
    }

    /// A string with escapes from `start`; `at` is its first backslash.
    fn escaped(&mut self, start: usize, mut at: usize) -> Option<Text> {
        let mut out = String::with_capacity(at - start + 16);
        let mut from = start;
        loop {
            out.push_str(self.text.get(from..at)?);
            match *self.b.get(at)? {
                b'"' => {
                    self.at = at + 1;
                    return Some(Text::Owned(out.into()));
                }
                b'\\' => at = self.escape(at + 1, &mut out)?,
                _ => return None,
            }
            from = at;
            at = self.plain_run(at);
        }
    }

    /// The escape after the backslash at `i - 1`, decoded onto `out`; where the string goes on.
    fn escape(&self, i: usize, out: &mut String) -> Option<usize> {
        let c = match *self.b.get(i)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(i + 1, out),
            _ => return None,
        };
        out.push(c);
        Some(i + 1)
    }

    /// Four hexadecimal digits at `i`.
    fn hex4(&self, i: usize) -> Option<u16> {
        let d = self.b.get(i..i + 4)?;
        let hex = |x: u8| crate::server::router::hex(x).map(u16::from);
        Some(hex(d[0])? << 12 | hex(d[1])? << 8 | hex(d[2])? << 4 | hex(d[3])?)
    }

    /// A `\u` escape's digits at `i` (and a trailing surrogate's, for a leading one).
    fn unicode(&self, i: usize, out: &mut String) -> Option<usize> {
        let n = self.hex4(i)?;
        if !(0xD800..=0xDFFF).contains(&n) {
            out.push(char::from_u32(u32::from(n))?);
            return Some(i + 4);
        }
        if n > 0xDBFF || self.b.get(i + 4..i + 6)? != b"\\u" {
            return None;
        }
        let low = self.hex4(i + 6)?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            return None;
        }
        let c = ((u32::from(n) - 0xD800) << 10 | (u32::from(low) - 0xDC00)) + 0x1_0000;
        out.push(char::from_u32(c)?);
        Some(i + 10)
    }
}

#[cfg(test)]
mod tests {
    use super::super::by_serde;
    use super::*;
    use bytes::Bytes;
    use proptest::prelude::*;

    /// A signed RegisterInfo body as a client sends it.
    const REGISTER: &str = r#"{"caName":"01","customercode":"10320874334-1234","profileName":"Bronze-Sign","signature":"qegkGHtupeCRc4SvGPtm/p0NYWn2DfUx=","personData":{"NationalCode":"0012345679","Name":"مهدی","LastName":"احمدی","IsMan":true,"BirthDate":"1990/05/12","City":"تهران","IsForeign":false,"AgencySN":"","Email":"mehdi@example.test"}}"#;

    /// Bodies that use every part of the grammar: escapes of each kind, a surrogate pair,
    /// numbers at the edges of what stays an integer, nesting, whitespace of all four kinds.
    const RICH: &[&str] = &[
        REGISTER,
        "{\"a\\u0041\\n\\t\\\"\\\\\\/\\b\\f\\r\":\"x\\ud83d\\ude00y\\u00e9\",\"\u{e9}\":\"\u{1F600}\"}",
        r#"{"n":[0,-1,7,18446744073709551615,-9223372036854775808,9223372036854775808]}"#,
        " \t\r\n{ \"a\" : [ { } , [ ] , null , true , false , \"\" ] , \"a\" : { \"A\" : 1 } } \n",
        r#"{"deep":{"a":{"b":{"c":[[["x"]]]}}},"empty":"","sp":" 7 "}"#,
    ];

    /// How a node reads, each string's kind and place, each number's kind included: two trees
    /// that read the same are what the rest of the binding cannot tell apart.
    fn show(n: &Node) -> String {
        match n {
            Node::Null => "null".into(),
            Node::Bool(b) => b.to_string(),
            Node::Number(x) if x.is_u64() => format!("u{x}"),
            Node::Number(x) if x.is_i64() => format!("i{x}"),
            Node::Number(x) => format!("f{x}"),
            Node::Str(t) => text(t),
            Node::Array(v) => format!("[{}]", v.iter().map(show).collect::<Vec<_>>().join(",")),
            Node::Object(m) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{}:{}", text(k), show(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    fn text(t: &Text) -> String {
        match t {
            Text::At { start, len } => format!("@{start}+{len}"),
            Text::Owned(s) => format!("{s:?}"),
        }
    }

    /// What the fast reader answers for `src`, checked against serde_json: `Some` only where
    /// serde_json reads the same object.
    fn agrees(src: &[u8]) -> bool {
        let Some(fast) = object(src) else {
            return false;
        };
        let fast = show(&Node::Object(fast));
        match by_serde(&Bytes::copy_from_slice(src)) {
            Ok(n) => assert_eq!(fast, show(&n), "{}", String::from_utf8_lossy(src)),
            Err(e) => panic!(
                "read {fast} where serde_json refuses ({}): {}",
                e.message,
                String::from_utf8_lossy(src)
            ),
        }
        true
    }

    #[test]
    fn the_common_grammar_reads_as_serde_json_reads_it() {
        for body in RICH {
            assert!(agrees(body.as_bytes()), "not read fast: {body}");
        }
        // Strings sent plainly lie in the body; escaped ones are decoded.
        let m = object(RICH[1].as_bytes()).unwrap();
        assert!(matches!(&m[0].0, Text::Owned(s) if &**s == "aA\n\t\"\\/\u{8}\u{c}\r"));
        assert!(matches!(&m[0].1, Node::Str(Text::Owned(s)) if &**s == "x\u{1F600}y\u{e9}"));
        assert!(
            matches!(&m[1].0, Text::At { start: 51, len: 2 }),
            "{:?}",
            m[1]
        );
    }

    #[test]
    fn what_it_is_not_sure_of_goes_to_serde_json() {
        let deep = |n: usize| format!("{}{}", "{\"a\":".repeat(n), "1".to_owned() + &"}".repeat(n));
        let wide = |n: usize| {
            let props: Vec<String> = (0..n).map(|i| format!("\"p{i}\":{i}")).collect();
            format!("{{{}}}", props.join(","))
        };
        let long = |n: usize| format!("{{\"a\":[{}]}}", vec!["0"; n].join(","));
        assert!(agrees(deep(MAX_DEPTH).as_bytes()));
        assert!(agrees(wide(MAX_PROPERTIES).as_bytes()));
        assert!(agrees(long(MAX_ITEMS).as_bytes()));
        let unsure = [
            deep(MAX_DEPTH + 1),
            wide(MAX_PROPERTIES + 1),
            long(MAX_ITEMS + 1),
            r#"{"x":1.5}"#.into(),
            r#"{"x":1e3}"#.into(),
            r#"{"x":-0}"#.into(),
            r#"{"x":18446744073709551616}"#.into(),
            r#"{"x":-9223372036854775809}"#.into(),
            r#"{"x":01}"#.into(),
            r#"{"x":-}"#.into(),
            r#"{"x":"\ud800"}"#.into(),
            r#"{"x":"\udc00\ud800"}"#.into(),
            r#"{"x":"\ud800\u0041"}"#.into(),
            r#"{"x":"\q"}"#.into(),
            "{\"x\":\"a\tb\"}".into(),
            r#"{"x":1,}"#.into(),
            r#"{"x":1} {}"#.into(),
            r#"[1]"#.into(),
            r#""x""#.into(),
            r#"{"x":tru}"#.into(),
            r#"{'x':1}"#.into(),
            "{\"x\":1}\u{a0}".into(),
            "{\"x\":1}\u{c}".into(),
            "\u{c}{\"x\":1}".into(),
        ];
        for body in &unsure {
            assert!(object(body.as_bytes()).is_none(), "read fast: {body}");
        }
        assert!(object(b"{\"x\":\"\xff\"}").is_none());
    }

    /// Every single-byte change and every truncation of the rich bodies: where the fast reader
    /// reads one, serde_json reads the same; and it still reads most of them itself.
    #[test]
    fn mutated_bodies_read_fast_only_where_serde_json_agrees() {
        const BYTES: &[u8] = b"\"\\{}[],:0-9e.+ \t\x0b\x0cnu\x00\x1f\xc3\xff/";
        let (mut fast, mut all) = (0, 0);
        for body in RICH.iter().map(|b| b.as_bytes()) {
            for i in 0..body.len() {
                let mut v = body[..i].to_vec();
                all += 1;
                fast += usize::from(agrees(&v));
                v.extend_from_slice(&body[i + 1..]);
                all += 1;
                fast += usize::from(agrees(&v));
                for &x in BYTES {
                    let mut m = body.to_vec();
                    m[i] = x;
                    all += 1;
                    fast += usize::from(agrees(&m));
                }
            }
        }
        assert!(all > 10_000 && fast * 5 > all, "{fast} of {all} read fast");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Bodies spelled from JSON's own bytes (mostly nonsense, often JSON): the fast reader
        /// never reads one differently from serde_json.
        #[test]
        fn bodies_of_json_bytes_read_fast_only_as_serde_json_reads_them(
            parts in proptest::collection::vec(prop_oneof![
                Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\""),
                Just("\"a\""), Just("\"A\":"), Just("\\"), Just("\\u00e9"), Just("\\ud83d"),
                Just("\\ude00"), Just("\\n"), Just("0"), Just("-"), Just("12"), Just("."),
                Just("e"), Just("true"), Just("null"), Just(" "), Just("\n"), Just("\x0c"), Just("é"),
            ], 0..24)
        ) {
            let body = format!("{{\"k\":{}", parts.concat());
            agrees(body.as_bytes());
            agrees(format!("{body}}}").as_bytes());
        }
    }
}
