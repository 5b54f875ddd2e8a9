//! A coverage report printed for people (`text`), for a CI job summary (`markdown`) or for a
//! test-report viewer (`junit`: one test case per outcome, never-reached ones skipped).

use super::report::{NeverRow, Report};

/// The formats `signsim coverage --format` prints.
pub const FORMATS: &[&str] = &["text", "markdown", "json", "junit"];

/// `report` in `format` (one of [`FORMATS`]).
pub fn render(report: &Report, format: &str) -> Result<String, String> {
    match format {
        "text" => Ok(text(report)),
        "markdown" => Ok(markdown(report)),
        "json" => serde_json::to_string_pretty(report).map_err(|e| e.to_string()),
        "junit" => Ok(junit(report)),
        other => Err(format!(
            "--format '{other}' is not a format: use one of {}",
            FORMATS.join(", ")
        )),
    }
}

/// What the report covers: "37 of 412 outcomes reached (tenant 10320874334, since …)".
pub fn headline(r: &Report) -> String {
    let mut scope = Vec::new();
    if let Some(t) = &r.tenant {
        scope.push(format!("tenant {t}"));
    } else if !r.tenants.is_empty() {
        scope.push(format!("tenants {}", r.tenants.join(", ")));
    }
    if let Some(a) = &r.api {
        scope.push(format!("api {a}"));
    }
    scope.push(format!("since {}", r.since));
    format!(
        "{} of {} outcomes reached ({})",
        r.reached,
        r.total,
        scope.join(", ")
    )
}

/// The never-reached rows grouped under headings, in the report's order.
fn sections(r: &Report) -> Vec<(String, Vec<&NeverRow>)> {
    let mut out: Vec<(String, Vec<&NeverRow>)> = Vec::new();
    for n in &r.never {
        let title = heading(&n.api, &n.group);
        match out.last_mut() {
            Some((t, rows)) if *t == title => rows.push(n),
            _ => out.push((title, vec![n])),
        }
    }
    out
}

fn heading(api: &str, group: &str) -> String {
    let api = match api {
        "pki" => "PKI",
        "podpishi" => "Podpishi",
        _ => "Scenario",
    };
    let group = match group {
        "operation" => "operations",
        "error" => "errors",
        "warning" => "portability warnings",
        "fault" => "faults",
        "transition" => "transitions",
        "state" => "states",
        "clock" => "clock travel",
        "event" => "events",
        "reaction" => "reactions",
        other => other,
    };
    format!("{api}: {group}")
}

fn text(r: &Report) -> String {
    let mut out = format!("signsim contract coverage: {}\n", headline(r));
    for (title, rows) in sections(r) {
        out.push_str(&format!("\n{title} ({} never reached)\n", rows.len()));
        for n in rows {
            out.push_str(&format!("  - {}  [{}]\n", n.text, n.id));
        }
    }
    out
}

fn markdown(r: &Report) -> String {
    let mut out = format!(
        "## signsim contract coverage\n\n**{}**\n\n| part | reached | total |\n|---|---:|---:|\n",
        headline(r)
    );
    let mut parts: Vec<(String, usize, usize)> = Vec::new();
    for o in &r.outcomes {
        let title = heading(&o.api, &o.group);
        if parts.last().is_none_or(|(t, ..)| *t != title) {
            parts.push((title, 0, 0));
        }
        if let Some(p) = parts.last_mut() {
            p.1 += usize::from(o.count > 0);
            p.2 += 1;
        }
    }
    for (title, reached, total) in parts {
        out.push_str(&format!("| {title} | {reached} | {total} |\n"));
    }
    for (title, rows) in sections(r) {
        out.push_str(&format!(
            "\n<details><summary>{title}: {} never reached</summary>\n\n",
            rows.len()
        ));
        for n in rows {
            out.push_str(&format!("- {} (`{}`)\n", md_escape(&n.text), n.id));
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn junit(r: &Report) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"signsim contract coverage\" tests=\"{}\" skipped=\"{}\" failures=\"0\" errors=\"0\">\n",
        r.total,
        r.never.len()
    );
    let mut suites: Vec<(String, Vec<String>, usize)> = Vec::new();
    for o in &r.outcomes {
        let suite = format!("{}.{}", o.api, o.group);
        let mut case = format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_escape(&suite),
            xml_escape(&o.id)
        );
        let never = o.count == 0;
        if never {
            let text = r
                .never
                .iter()
                .find(|n| n.id == o.id)
                .map_or(o.text.as_str(), |n| n.text.as_str());
            case.push_str(&format!(
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml_escape(text)
            ));
        } else {
            case.push_str(&format!(
                ">\n      <system-out>{} ({} times)</system-out>\n    </testcase>\n",
                xml_escape(&o.text),
                o.count
            ));
        }
        match suites.last_mut() {
            Some((s, cases, skipped)) if *s == suite => {
                cases.push(case);
                *skipped += usize::from(never);
            }
            _ => suites.push((suite, vec![case], usize::from(never))),
        }
    }
    for (suite, cases, skipped) in suites {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" skipped=\"{skipped}\" failures=\"0\" errors=\"0\">\n",
            xml_escape(&suite),
            cases.len()
        ));
        for c in cases {
            out.push_str(&c);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
