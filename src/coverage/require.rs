//! A team's list of required outcomes (`signsim coverage --require FILE`), checked against a
//! report: one requirement per line, `#` starts a comment (docs/coverage.md, the grammar).
//!
//! ```text
//! RevokeCertificate:ok            # the operation succeeded
//! GetCAList:called                # the operation was called
//! upload:status=22                # the operation was refused with that <status> (Podpishi)
//! RegisterInfo:code=203           # … with that ErrorCode (PKI)
//! RegisterInfo:SignatureInvalid   # … with that error kind
//! tracking:Approved->Issued       # a transition (→ too); permission:[*]->signed:upload
//! tracking:Revoked                # a state reached
//! fault:reset   clock:advance   event:credit    reaction:sign   error:StaleTime
//! warning:*=0                     # no portability warning of any kind
//! warning:field-missing=0         # none of this kind
//! ```
//!
//! Any outcome id of the report is a requirement too (`pki:RevokeCertificate:ok`), and `=0`
//! after any line without `status=`/`code=` turns it into "never". A name that is not in the
//! report is an error with the closest known one, never a silent miss.

use super::report::{OutcomeRow, Report};

/// One line of a require file, resolved against a report.
#[derive(Clone, Debug)]
pub struct Requirement {
    pub line: usize,
    pub text: String,
    want: Want,
    /// The report's outcomes it is about (by index).
    outcomes: Vec<usize>,
    /// Counted only for this operation (an error, a warning or a fault of one operation).
    op: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// One of the outcomes reached.
    Reach,
    /// The operation called (its outcome's `calls`).
    Called,
    /// None of the outcomes reached.
    Avoid,
}

/// Parses `text` against `report`: the requirements, or every problem (line: message).
pub fn parse(text: &str, report: &Report) -> Result<Vec<Requirement>, Vec<String>> {
    let mut reqs = Vec::new();
    let mut problems = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match resolve(line, report) {
            Ok((want, outcomes, op)) => reqs.push(Requirement {
                line: n + 1,
                text: line.to_string(),
                want,
                outcomes,
                op,
            }),
            Err(e) => problems.push(format!("line {}: '{line}': {e}", n + 1)),
        }
    }
    match problems.is_empty() {
        true => Ok(reqs),
        false => Err(problems),
    }
}

/// The requirements `report` does not meet, each with why.
pub fn misses(reqs: &[Requirement], report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for r in reqs {
        let count = |o: &OutcomeRow| match &r.op {
            Some(op) => o.operations.get(op).copied().unwrap_or(0),
            None => o.count,
        };
        let rows: Vec<&OutcomeRow> = r.outcomes.iter().map(|i| &report.outcomes[*i]).collect();
        let why = match r.want {
            Want::Reach if rows.iter().all(|o| count(o) == 0) => Some(match &r.op {
                Some(op) => format!("{op} was never {}", rows[0].text),
                None => report
                    .never
                    .iter()
                    .find(|n| n.id == rows[0].id)
                    .map_or(rows[0].text.clone(), |n| n.text.clone()),
            }),
            Want::Called if rows.iter().all(|o| o.calls.unwrap_or(0) == 0) => {
                Some(format!("your tests never called {}", rows[0].subject))
            }
            Want::Avoid => {
                let hit: Vec<String> = rows
                    .iter()
                    .filter(|o| count(o) > 0)
                    .map(|o| format!("{} ({} times)", o.id, count(o)))
                    .collect();
                (!hit.is_empty()).then(|| format!("reached: {}", hit.join(", ")))
            }
            _ => None,
        };
        if let Some(why) = why {
            out.push(format!("line {}: {} — {why}", r.line, r.text));
        }
    }
    out
}

type Resolved = (Want, Vec<usize>, Option<String>);

fn resolve(line: &str, report: &Report) -> Result<Resolved, String> {
    let line = line.replace('→', "->");
    let (sel, avoid) = match line.rsplit_once('=') {
        Some((s, "0")) if !s.ends_with(":status") && !s.ends_with(":code") => (s.trim(), true),
        _ => (line.as_str(), false),
    };
    let (want, outcomes, op) = select(sel, report)?;
    if outcomes.is_empty() {
        return Err("matches no outcome of the report".into());
    }
    Ok(match avoid {
        true => (Want::Avoid, outcomes, op),
        false => (want, outcomes, op),
    })
}

fn indexes(report: &Report, keep: impl Fn(&OutcomeRow) -> bool) -> Vec<usize> {
    (0..report.outcomes.len())
        .filter(|i| keep(&report.outcomes[*i]))
        .collect()
}

fn select(sel: &str, report: &Report) -> Result<Resolved, String> {
    let exact = indexes(report, |o| o.id.eq_ignore_ascii_case(sel));
    if !exact.is_empty() {
        return Ok((Want::Reach, exact, None));
    }
    let (head, rest) = sel.split_once(':').unwrap_or((sel, ""));
    let (api, head, rest) = match head {
        "pki" | "podpishi" => {
            let (h, r) = rest.split_once(':').unwrap_or((rest, ""));
            (Some(head), h, r)
        }
        _ => (None, head, rest),
    };
    let in_api = |o: &OutcomeRow| api.is_none_or(|a| a == o.api);
    match head {
        "warning" | "fault" | "error" | "clock" | "event" | "reaction" => {
            let group = head;
            let found = indexes(report, |o| {
                in_api(o)
                    && o.group == group
                    && (rest == "*" || o.subject.eq_ignore_ascii_case(rest))
            });
            if found.is_empty() {
                let known = subjects(report, |o| o.group == group);
                return Err(unknown(rest, &format!("a {group} kind"), &known));
            }
            Ok((Want::Reach, found, None))
        }
        _ if report
            .outcomes
            .iter()
            .any(|o| matches!(o.group.as_str(), "transition" | "state") && o.subject == head) =>
        {
            machine(head, rest, report)
        }
        _ => operation(head, rest, report, &in_api),
    }
}

fn subjects(report: &Report, keep: impl Fn(&OutcomeRow) -> bool) -> Vec<String> {
    let mut s: Vec<String> = Vec::new();
    for o in report.outcomes.iter().filter(|o| keep(o)) {
        if !s.contains(&o.subject) {
            s.push(o.subject.clone());
        }
    }
    s
}

fn unknown(name: &str, what: &str, known: &[String]) -> String {
    let hint = crate::suggest::closest(name, known.iter().map(String::as_str))
        .map(|c| format!("; did you mean '{c}'?"))
        .unwrap_or_default();
    format!("'{name}' is not {what}{hint} (known: {})", known.join(", "))
}

fn machine(m: &str, rest: &str, report: &Report) -> Result<Resolved, String> {
    let prefix = format!("{m}:{rest}");
    let found = indexes(report, |o| {
        let id = o.id.to_ascii_lowercase();
        let p = prefix.to_ascii_lowercase();
        (o.group == "transition" || o.group == "state")
            && o.subject == m
            && (id == p || id.starts_with(&format!("{p}:")))
    });
    if !found.is_empty() {
        return Ok((Want::Reach, found, None));
    }
    let states: Vec<String> = subjects_of_states(m, report);
    for part in rest.split("->").flat_map(|p| p.split(':').next()) {
        if !states.iter().any(|s| s.eq_ignore_ascii_case(part)) {
            return Err(unknown(part, &format!("a {m} state"), &states));
        }
    }
    Err(format!(
        "no {m} transition goes {rest}; the transitions are: {}",
        {
            let t: Vec<&str> = report
                .outcomes
                .iter()
                .filter(|o| o.group == "transition" && o.subject == m)
                .map(|o| o.id.as_str())
                .collect();
            t.join(", ")
        }
    ))
}

fn subjects_of_states(m: &str, report: &Report) -> Vec<String> {
    let mut s = vec!["[*]".to_string()];
    for o in report
        .outcomes
        .iter()
        .filter(|o| o.group == "state" && o.subject == m)
    {
        if let Some(st) = o.id.rsplit(':').next() {
            s.push(st.to_string());
        }
    }
    s
}

fn operation(
    head: &str,
    rest: &str,
    report: &Report,
    in_api: &dyn Fn(&OutcomeRow) -> bool,
) -> Result<Resolved, String> {
    let op = report
        .outcomes
        .iter()
        .position(|o| o.group == "operation" && in_api(o) && o.subject.eq_ignore_ascii_case(head));
    let Some(i) = op else {
        let mut known = subjects(report, |o| o.group == "operation");
        known.extend(subjects(report, |o| o.group == "transition"));
        known.extend(["warning", "fault", "error", "clock", "event", "reaction"].map(String::from));
        return Err(unknown(
            head,
            "an operation, a state machine or a group",
            &known,
        ));
    };
    let o = &report.outcomes[i];
    let name = o.subject.clone();
    let api = o.api.clone();
    let errors = |keep: &dyn Fn(&OutcomeRow) -> bool| {
        indexes(report, |e| e.group == "error" && e.api == api && keep(e))
    };
    let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
    match key.trim() {
        "ok" => Ok((Want::Reach, vec![i], None)),
        "called" => Ok((Want::Called, vec![i], None)),
        "status" | "code" => {
            let n: i64 = value
                .trim()
                .parse()
                .map_err(|_| format!("'{value}' is not a number"))?;
            let found = errors(&|e| e.code == Some(n));
            if found.is_empty() {
                let codes = subjects(report, |e| e.group == "error" && e.api == api);
                return Err(format!(
                    "no {api} error has {key} {n}; the errors are: {}",
                    codes.join(", ")
                ));
            }
            Ok((Want::Reach, found, Some(name)))
        }
        kind => {
            let found = errors(&|e| e.subject.eq_ignore_ascii_case(kind));
            if found.is_empty() {
                let mut known = vec![
                    "ok".to_string(),
                    "called".into(),
                    "status=N".into(),
                    "code=N".into(),
                ];
                known.extend(subjects(report, |e| e.group == "error" && e.api == api));
                return Err(unknown(kind, &format!("an outcome of {name}"), &known));
            }
            Ok((Want::Reach, found, Some(name)))
        }
    }
}
