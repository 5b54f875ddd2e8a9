//! The dashboard at `/__admin/ui` in a real browser (headless Chromium through WebDriver): it
//! loads from the binary with nothing fetched elsewhere, shows the world, and a person's clicks
//! approve a tracking code, sign a document as the counterparty with a chosen test signer and
//! switch a CA off — each change seen through the control API — while new journal entries
//! appear without a reload, with their diagnostics. No console errors; a screenshot is saved
//! and its path printed, with the page load time.

use crate::helpers::*;
use browser::Browser;
use serde_json::json;
use std::io::Write;

/// Printed past the test harness's capture, so `cargo test` shows it.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[test]
fn the_dashboard_approves_signs_and_shows_the_live_journal_in_a_real_browser() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let emu = TestEmulator::spawn();
    // A registration that awaits an RA officer, and a document awaiting the counterparty.
    let tracking = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    assert_eq!(emu.state_of(&tracking), "AwaitingApproval");
    let num = emu.pod_upload_num(Upload::alfa_to_beta("UI-1"));

    // The page and its assets come from the binary, under the control API's rule.
    let page = emu.admin_raw("ui");
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    let html = page.text();
    for external in ["http://", "https://", "//cdn"] {
        let refs: Vec<&str> = html
            .match_indices(external)
            .map(|(i, _)| &html[i.saturating_sub(10)..(i + 30).min(html.len())])
            .collect();
        assert!(refs.is_empty(), "the page refers elsewhere: {refs:?}");
    }
    assert_eq!(emu.admin_raw("ui/app.js").status, 200);
    assert_admin_error(&emu.admin_get("ui/nope.js"), 404, &["app.js", "style.css"]);

    browser.watch_csp();
    let started = std::time::Instant::now();
    browser.goto(&format!("{}/__admin/ui", emu.url));
    let loaded = started.elapsed();
    browser.wait_for(
        "the first drawing",
        "return document.body.dataset.ready === 'true'",
        20,
    );
    let ready = started.elapsed();
    let nav = browser.run(
        "const n = performance.getEntriesByType('navigation')[0]; return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd};",
        vec![],
    );
    report(&format!(
        "dashboard page load: {} ms to the load event (navigation timing: DOMContentLoaded {:.0} ms, load {:.0} ms), {} ms until every panel was drawn from the control API",
        loaded.as_millis(),
        nav["dcl"].as_f64().unwrap_or(-1.0),
        nav["load"].as_f64().unwrap_or(-1.0),
        ready.as_millis()
    ));

    // The world as the API says it.
    assert_eq!(browser.text("#scenario"), "default");
    assert_eq!(browser.text("#clock"), TEST_CLOCK);
    let row = format!("#tracking-{tracking}");
    assert_eq!(browser.text(&format!("{row} .status")), "AwaitingApproval");
    assert!(browser.text("#tenant-10320874334").contains("10,000,000"));

    // Approve through the page; the control API sees it.
    browser.click(&format!("{row} button.approve"));
    browser.wait_for(
        "the approval on the page",
        &format!("const s = document.querySelector('{row} .status'); return s && s.textContent === 'Approved';"),
        10,
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{tracking}"))["status"],
        "Approved"
    );
    assert_eq!(emu.state_of(&tracking), "Approved");

    // Sign as the counterparty: the receiver's own test signer is the one offered first.
    let doc = format!("#doc-{num}");
    let chosen = browser.run(
        &format!("return document.querySelector('{doc} select.signer').value"),
        vec![],
    );
    assert_eq!(chosen, "petrova", "the signer of BIN 160940004561");
    browser.click(&format!("{doc} button.sign"));
    browser.wait_for(
        "the signature on the page",
        &format!("return !!document.querySelector('{doc} li.permission.signed[data-i=\"2\"]')"),
        10,
    );
    let d = emu.admin_ok(&format!("podpishi/documents/{num}"));
    let receiver = d["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["i"] == 2)
        .unwrap_or_else(|| panic!("{d}"))
        .clone();
    assert_eq!(receiver["signed"], true, "{d}");
    assert_eq!(receiver["signed_bin"], "160940004561", "{d}");
    // The signature is real: the document's ZIP (the page's download) carries it, verified.
    let zip = emu.admin_raw(&format!("podpishi/documents/{num}/zip"));
    assert_eq!(zip.content_type, "application/zip");
    let files = unzip(&zip.body);
    let (_, sig) = files
        .iter()
        .find(|(n, _)| n == "signature-2-160940004561.p7s")
        .unwrap_or_else(|| panic!("{:?}", files.iter().map(|(n, _)| n).collect::<Vec<_>>()));
    openssl_cms_verify(sig, Some(&contract())).unwrap();

    // Switch CA 08 off from the page.
    browser.click("#ca-08 button.toggle-ca");
    browser.wait_for(
        "CA 08 off on the page",
        "return document.querySelector('#ca-08 td:nth-child(3)').textContent === 'no'",
        10,
    );
    let (_, avail) = emu.get("IsAvailable", &[("caName", "08")]);
    assert_eq!(avail["IsAvailable"], false, "{avail}");

    // A client's request appears in the journal without a reload, with its diagnostics.
    let a = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", zahra()),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    let entry = format!("#journal-{}", a.id);
    browser.wait_for(
        "the new journal entry",
        &format!("return !!document.querySelector('{entry}')"),
        10,
    );
    assert!(browser.text(&entry).contains("RegisterInfo"));
    browser.click(&entry);
    let diagnostics = browser.run(
        &format!("return document.querySelector('{entry}').nextElementSibling.querySelector('.diagnostics').textContent"),
        vec![],
    );
    assert!(
        diagnostics.as_str().unwrap_or("").contains("signature"),
        "{diagnostics}"
    );
    // The new tracking code is listed too (the state panels redraw on new entries).
    browser.wait_for(
        "the new tracking code",
        "return !!document.querySelector('#tracking-1000002')",
        10,
    );

    // No console errors at any point, and nothing the page did broke its own policy.
    let errors = console_errors(&browser);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert_no_csp_violation(&browser);
    assert_the_policy_is_in_force(&browser);

    let shot = repo().join("target").join("dashboard.png");
    browser.screenshot(&shot);
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    report(&format!(
        "dashboard screenshot (tracking code {tracking} approved, document {num} signed): {}",
        shot.display()
    ));
    // The actions went through the control API, journaled as such.
    assert_eq!(
        emu.journal_count(&json!({"include": "admin", "operation": "pki.approve"})),
        1
    );
    assert_eq!(
        emu.journal_count(&json!({"include": "admin", "operation": "podpishi.documents.sign"})),
        1
    );
}

#[test]
fn the_dashboard_and_the_openapi_documents_follow_the_control_api_rule() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--admin-token", "s3cret"]);
    let client = reqwest::blocking::Client::new();
    for path in ["ui", "ui/app.js", "openapi/pki.json"] {
        let url = format!("{}/__admin/{path}", server.url);
        let refused = client.get(&url).send().unwrap();
        assert_eq!(refused.status(), 401, "{path}");
        let served = client
            .get(&url)
            .header("Authorization", "Bearer s3cret")
            .send()
            .unwrap();
        assert_eq!(served.status(), 200, "{path}");
    }
}

/// The browser console's errors.
fn console_errors(browser: &Browser) -> Vec<serde_json::Value> {
    browser
        .console()
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect()
}

/// The page reported no `securitypolicyviolation` (what [`browser::Browser::watch_csp`] gathers
/// from the first byte of the page on): everything it loads and runs is allowed by the policy
/// the control API sends.
fn assert_no_csp_violation(browser: &Browser) {
    let seen = browser.csp_violations();
    assert_eq!(
        seen,
        json!([]),
        "the page broke its Content-Security-Policy"
    );
    let reported: Vec<_> = browser
        .console()
        .into_iter()
        .filter(|e| {
            e["message"]
                .as_str()
                .unwrap_or("")
                .contains("Content Security Policy")
        })
        .collect();
    assert!(reported.is_empty(), "console: {reported:?}");
}

/// The policy is really there: an inline script added to the page is blocked and reported.
/// (Run last: the blocked script is also a console error.)
fn assert_the_policy_is_in_force(browser: &Browser) {
    browser.run(
        "const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.body.append(s);",
        vec![],
    );
    let blocked = browser.wait_for(
        "the inline script's violation",
        "return window.cspViolations.length > 0 && window.cspViolations;",
        5,
    );
    assert_eq!(blocked[0]["directive"], "script-src-elem", "{blocked}");
    assert_eq!(
        browser.run("return window.inlineRan === true", vec![]),
        false,
        "an inline script ran"
    );
}

/// The id of the newest upload in the journal.
fn last_upload(emu: &TestEmulator) -> u64 {
    let j = emu.admin_ok("requests?operation=upload&limit=1");
    j["requests"][0]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{j}"))
}

/// The page open at `emu` and drawn once.
fn open_dashboard(emu: &TestEmulator) -> Browser {
    let browser = Browser::start().expect("chromium and chromedriver");
    browser.watch_csp();
    browser.goto(&format!("{}/__admin/ui", emu.url));
    browser.wait_for(
        "the first drawing",
        "return document.body.dataset.ready === 'true'",
        20,
    );
    browser
}

fn browser_present() -> bool {
    std::path::Path::new("/usr/bin/chromium").exists()
        && std::path::Path::new("/usr/bin/chromedriver").exists()
        || std::env::var("CI").is_ok_and(|v| v == "true")
}

#[test]
fn the_dashboard_keeps_a_selection_through_a_burst_and_follows_the_clock_and_faults() {
    if !browser_present() {
        return eprintln!("SKIPPED: chromium or chromedriver missing");
    }
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("KEEP-1"));
    let browser = open_dashboard(&emu);
    let doc = format!("#doc-{num}");
    // A person picks a signer other than the one offered, and opens a journal row.
    browser.click(&format!("{doc} select.signer option[value='ivanov']"));
    let first = emu.get_answer("GetCAList", &[("Customercode", "10320874334")]);
    let entry = format!("#journal-{}", first.id);
    browser.wait_for(
        "the entry",
        &format!("return !!document.querySelector('{entry}')"),
        10,
    );
    browser.click(&entry);
    browser.run(
        &format!("document.querySelector('{doc} select.signer').mark = 1; document.querySelector('{entry}').mark = 1;"),
        vec![],
    );
    // A burst of 50 requests, 5 of them new documents (the tables around the row change).
    let mut last = 0;
    for i in 0..50 {
        last = if i % 10 == 9 {
            emu.pod_upload_answer(Upload::alfa_to_beta(&format!("BURST-{i}")))
                .id
        } else {
            emu.get_answer("GetCAList", &[("Customercode", "10320874334")])
                .id
        };
    }
    browser.wait_for(
        "the burst on the page",
        &format!("return !!document.querySelector('#journal-{last}') && document.querySelectorAll('#documents tr[data-key]').length === 6"),
        15,
    );
    // One more poll after the burst, so the state views were redrawn after it.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let kept = browser.run(
        &format!("const s = document.querySelector('{doc} select.signer'); const r = document.querySelector('{entry}');
         return {{signer: s.value, same_select: s.mark === 1, row_open: r.getAttribute('aria-expanded'), same_row: r.mark === 1,
                 detail_shown: !r.nextElementSibling.hidden, diagnostics: !!r.nextElementSibling.querySelector('.diagnostics')}};"),
        vec![],
    );
    assert_eq!(
        kept,
        json!({"signer": "ivanov", "same_select": true, "row_open": "true", "same_row": true, "detail_shown": true, "diagnostics": true})
    );

    // The clock, set through the control API by someone else, appears without a reload.
    assert_eq!(
        emu.admin_post("clock", &json!({"set": "2027-01-02T03:04:05Z"}))
            .0,
        200
    );
    browser.wait_for(
        "the clock set elsewhere",
        "return document.querySelector('#clock').textContent === '2027-01-02T03:04:05Z'",
        10,
    );
    // A running clock ticks on the page.
    assert_eq!(emu.admin_post("clock", &json!({"frozen": false})).0, 200);
    browser.wait_for(
        "the running clock",
        "return document.querySelector('#clock-frozen').textContent === '(running)'",
        10,
    );
    let t0 = browser.text("#clock");
    browser.wait_for(
        "the clock to tick",
        &format!("return document.querySelector('#clock').textContent > '{t0}'"),
        10,
    );
    // Freeze, set and advance from the page reach the control API.
    browser.click("#clock-freeze");
    browser.wait_for(
        "the frozen clock",
        "return document.querySelector('#clock-frozen').textContent === '(frozen)'",
        10,
    );
    assert_eq!(emu.admin_ok("clock")["frozen"], true);
    browser.run(
        "document.querySelector('#clock-set').value = '2027-03-01T00:00:00Z'",
        vec![],
    );
    browser.click("#clock-set-btn");
    browser.wait_for(
        "the clock set on the page",
        "return document.querySelector('#clock').textContent === '2027-03-01T00:00:00Z'",
        10,
    );
    browser.click("#clock-advance-btn");
    browser.wait_for(
        "the clock advanced",
        "return document.querySelector('#clock').textContent === '2027-03-02T00:00:00Z'",
        10,
    );
    assert_eq!(emu.admin_ok("clock")["now"], "2027-03-02T00:00:00Z");

    // A fault rule added through the control API shows up, and so does a reset's empty journal.
    let rule = json!({"name": "slow-ca-list", "api": "pki", "operation": "GetCAList", "action": {"kind": "delay", "ms": 1}, "trigger": {"when": "always"}});
    assert_eq!(emu.admin_post("faults", &rule).0, 200);
    browser.wait_for(
        "the fault rule",
        "return document.querySelector('#faults').textContent.includes('slow-ca-list')",
        10,
    );
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    browser.wait_for(
        "the reset world",
        "return !document.querySelector('#faults').textContent.includes('slow-ca-list') && document.querySelectorAll('#journal tr.entry').length === 0",
        10,
    );
    let errors = console_errors(&browser);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert_no_csp_violation(&browser);
}

#[test]
fn the_warnings_view_shows_what_was_refused_under_refuse_by_kind() {
    if !browser_present() {
        return eprintln!("SKIPPED: chromium or chromedriver missing");
    }
    let emu = TestEmulator::spawn_edited(|s| {
        s.replacen("portability = \"warn\"", "portability = \"refuse\"", 1)
    });
    let browser = open_dashboard(&emu);
    assert!(
        browser.text("#refused").contains("nothing refused"),
        "{}",
        browser.text("#refused")
    );
    let mut last = 0;
    for _ in 0..2 {
        let a = emu.get_answer("GetCAList", &[("Customercode", "10320874334-1234")]);
        assert_eq!(a.json()["ErrorCode"], 108, "{}", a.text());
        last = a.id;
    }
    browser.wait_for(
        "the refused kind",
        "const r = document.querySelector('#refused-bare-customercode'); return r && r.querySelector('td.num').textContent === '2';",
        10,
    );
    assert!(browser
        .text("#refused-bare-customercode")
        .contains(&format!("#{last}")));
    assert!(
        browser
            .text("#warnings-policy")
            .contains("policy: refuse; 0 requests warned, 2 refused"),
        "{}",
        browser.text("#warnings-policy")
    );
    let errors = console_errors(&browser);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert_no_csp_violation(&browser);
}

/// Runs a copied curl command with `-w` appended: (status, body).
fn run_curl(command: &str) -> (u16, Vec<u8>) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{command} -w '\\n%{{http_code}}'"))
        .output()
        .expect("sh and curl");
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut body = out.stdout;
    let nl = body.iter().rposition(|b| *b == b'\n').unwrap();
    let status = std::str::from_utf8(&body[nl + 1..])
        .unwrap()
        .parse()
        .unwrap();
    body.truncate(nl);
    (status, body)
}

/// Filters the page's journal down to `text` (and the operation `op`) and answers the ids shown.
fn filter_journal(browser: &Browser, op: &str, text: &str) -> Vec<u64> {
    browser.wait_for(
        "the operation among the filter's choices",
        &format!("return !!document.querySelector('#f-operation option[value=\"{op}\"]')"),
        10,
    );
    browser.click(&format!("#f-operation option[value='{op}']"));
    browser.run(
        &format!("const t = document.querySelector('#f-text'); t.value = {}; t.dispatchEvent(new Event('input'));", json!(text)),
        vec![],
    );
    let ids = browser.run(
        "return [...document.querySelectorAll('#journal tr.entry')].filter((r) => !r.hidden).map((r) => Number(r.id.slice(8)))",
        vec![],
    );
    serde_json::from_value(ids).unwrap()
}

/// Opens the entry, clicks *copy as curl* and answers the command shown.
fn copied_curl(browser: &Browser, id: u64) -> String {
    browser.click(&format!("#journal-{id}"));
    browser.click(&format!("#journal-{id} + tr.detail button.copy-curl"));
    let cmd = browser.wait_for(
        "the curl command",
        &format!("const p = document.querySelector('#journal-{id} + tr.detail pre.curl'); return p && p.textContent"),
        10,
    );
    cmd.as_str().unwrap().to_string()
}

#[test]
fn the_journal_filters_find_one_request_and_copy_as_curl_reproduces_it() {
    if !browser_present() {
        return eprintln!("SKIPPED: chromium or chromedriver missing");
    }
    let emu = TestEmulator::spawn();
    // Noise around the one request to find.
    for _ in 0..5 {
        emu.get_answer("GetCAList", &[("Customercode", "10320874334")]);
    }
    emu.register(&Customer::A, "01", "Bronze-Sign", mehdi());
    let wanted = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", zahra()),
    );
    assert_eq!(wanted.status, 200, "{}", wanted.text());
    let num = emu.pod_upload_num(Upload::alfa_to_beta("CURL-1"));
    let status = emu.pod_oper(
        ALFA,
        &format!("<oper>getstatus</oper><docuniq>{num}</docuniq>"),
    );
    assert_eq!(status.status, 200);
    let browser = open_dashboard(&emu);
    browser.wait_for(
        "the entries",
        &format!("return !!document.querySelector('#journal-{}')", status.id),
        10,
    );

    // The filters find the one RegisterInfo of Zahra (by her national code), then by tenant.
    assert_eq!(
        filter_journal(&browser, "RegisterInfo", "0023456787"),
        vec![wanted.id]
    );
    browser.click("#f-tenant option[value='10320874334']");
    assert_eq!(
        filter_journal(&browser, "RegisterInfo", "0023456787"),
        vec![wanted.id]
    );
    browser.click("#f-outcome option[value='refused']");
    assert_eq!(
        filter_journal(&browser, "RegisterInfo", "0023456787"),
        Vec::<u64>::new()
    );
    browser.click("#f-clear");
    assert_eq!(filter_journal(&browser, "getstatus", ""), vec![status.id]);
    browser.click("#f-clear");

    // Copy as curl: the exact request, run by curl against this server, gets the same answer.
    for (id, answer) in [(wanted.id, &wanted), (status.id, &status)] {
        let cmd = copied_curl(&browser, id);
        assert!(
            cmd.starts_with("curl ") || cmd.starts_with("printf "),
            "{cmd}"
        );
        let (code, body) = run_curl(&cmd);
        assert_eq!(code, answer.status, "{cmd}");
        assert_eq!(
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&answer.body),
            "{cmd}"
        );
    }
    // A multipart upload goes through base64 and arrives byte for byte: the same fields and file,
    // so the service knows its reference already.
    let upload = last_upload(&emu);
    let cmd = copied_curl(&browser, upload);
    assert!(cmd.starts_with("printf %s "), "{cmd}");
    let (code, body) = run_curl(&cmd);
    assert_eq!(code, 200);
    assert!(
        String::from_utf8_lossy(&body).contains(
            "reference='CURL-1' package='201707' nametxt='Договор № 15' filetxt='contract.txt' errtxt='Document already exist at DB'"
        ),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let errors = console_errors(&browser);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert_no_csp_violation(&browser);
}

#[test]
fn request_fields_render_as_text_and_the_page_is_ready_for_a_strict_csp() {
    if !browser_present() {
        return eprintln!("SKIPPED: chromium or chromedriver missing");
    }
    let emu = TestEmulator::spawn();
    let mut person = mehdi();
    person["Name"] = json!("<img src=x onerror=\"window.pwned=1\">مهدی");
    person["EnLastName"] = json!("<script>window.pwned=2</script>Ahmadi");
    let a = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", person),
    );
    let mut upload = Upload::alfa_to_beta("<b>ref</b>\"'&amp;")
        .set("nametxt", "<img src=x onerror=window.pwned=3>Договор № 7");
    upload.files = vec![(
        "<img src=x onerror=window.pwned=4>контракт.txt".into(),
        contract(),
    )];
    let num = emu.pod_upload_num(upload);
    let browser = open_dashboard(&emu);
    browser.wait_for(
        "the document",
        &format!("return !!document.querySelector('#doc-{num}')"),
        10,
    );
    for id in [a.id, last_upload(&emu)] {
        browser.click(&format!("#journal-{id}"));
    }
    let page = browser.run(
        &format!("const d = document.querySelector('#doc-{num}');
         return {{pwned: window.pwned === undefined ? null : window.pwned, imgs: document.querySelectorAll('main img').length,
                 scripts: document.querySelectorAll('script').length, bold: document.querySelectorAll('main b:not(.warning)').length,
                 name: d.querySelector('.doc-name').textContent, journal: document.querySelector('#journal').textContent}};"),
        vec![],
    );
    assert_eq!(page["pwned"], json!(null), "{page}");
    assert_eq!(page["imgs"], 0, "{page}");
    assert_eq!(page["scripts"], 1, "only app.js: {page}");
    let name = page["name"].as_str().unwrap();
    for text in [
        "<img src=x onerror=window.pwned=3>Договор № 7",
        "<img src=x onerror=window.pwned=4>контракт.txt",
        "ref <b>ref</b>\"'&amp;",
    ] {
        assert!(name.contains(text), "{text} in {name}");
    }
    let journal = page["journal"].as_str().unwrap();
    assert!(
        journal.contains("<script>window.pwned=2</script>Ahmadi"),
        "{journal}"
    );
    assert!(journal.contains("مهدی"), "{journal}");
    // Ready for `Content-Security-Policy: default-src 'self'`: no inline script, handler or style,
    // nothing from elsewhere, and no HTML built from strings.
    let html = emu.admin_raw("ui").text();
    let js = emu.admin_raw("ui/app.js").text();
    assert!(
        !html.contains("<script>") && !html.contains(" style=") && !html.contains("data:"),
        "{html}"
    );
    assert!(
        !regex_like_handler(&html),
        "an inline on…= handler in the page"
    );
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ] {
        assert!(!js.contains(sink), "app.js uses {sink}");
    }
    let errors = console_errors(&browser);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert_no_csp_violation(&browser);
}

/// Whether an HTML text has an inline event handler attribute (` onclick=`, ` onload=` …).
fn regex_like_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(i, _)| {
        let rest = &html[i + 3..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        !name.is_empty() && rest[name.len()..].starts_with('=')
    })
}

/// The coverage JSON `GET /__admin/coverage` answers (docs/coverage.md), as the page's stub.
const COVERAGE_STUB: &str = r#"{"since": "2026-12-06T23:50:00.000Z", "tenants": ["10320874334", "alfa@test.kz"],
  "total": 412, "reached": 37,
  "outcomes": [
    {"id": "pki:RevokeCertificate:ok", "api": "pki", "group": "operation", "subject": "RevokeCertificate", "text": "RevokeCertificate succeeded", "count": 3},
    {"id": "tracking:Issued->Revoked", "api": "pki", "group": "transition", "subject": "tracking", "text": "a tracking code went Issued → Revoked (revoke)", "count": 0}],
  "never": [{"id": "tracking:Issued->Revoked", "api": "pki", "group": "transition", "subject": "tracking", "text": "your tests never saw a certificate revoked <script>"}]}"#;

#[test]
fn the_coverage_view_and_the_screenshots_at_1280_and_800_px() {
    if !browser_present() {
        return eprintln!("SKIPPED: chromium or chromedriver missing");
    }
    let emu = TestEmulator::spawn();
    emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    emu.pod_upload_num(Upload::alfa_to_beta("SHOT-1"));
    let browser = open_dashboard(&emu);
    // Live: the view shows the server's own report.
    assert_eq!(emu.admin_raw("coverage").status, 200);
    browser.wait_for(
        "the coverage",
        "return document.querySelector('#coverage-summary').textContent.startsWith('reached ')",
        10,
    );
    // Against the agreed JSON, served to the page by the test (the server is not touched).
    browser.run(
        &format!("const stub = {COVERAGE_STUB}; const real = window.fetch;
         window.fetch = (url, init) => String(url).startsWith('/__admin/coverage')
           ? Promise.resolve(new Response(JSON.stringify(stub), {{headers: {{'content-type': 'application/json'}}}}))
           : real(url, init);"),
        vec![],
    );
    browser.click("#cov-retry");
    browser.wait_for(
        "the stubbed coverage",
        "return document.querySelector('#coverage-summary').textContent.startsWith('reached 37 of 412 outcomes')",
        10,
    );
    assert!(browser
        .text("#coverage-never")
        .contains("your tests never saw a certificate revoked <script>"));
    assert!(browser
        .text("#coverage-never")
        .contains("tracking:Issued->Revoked"));
    assert_eq!(
        browser.run(
            "return document.querySelectorAll('#coverage-outcomes tr.never').length",
            vec![]
        ),
        1
    );
    browser.click("#cov-tenant option[value='alfa@test.kz']");

    // Usable at 1 280 and at 800 px: nothing wider than the window; screenshots for the notes.
    for width in [1280, 800] {
        browser.resize(width, 1600);
        let overflow = browser.run(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        );
        assert_eq!(overflow, 0, "the page is wider than {width} px");
        let shot = repo().join("target").join(format!("dashboard-{width}.png"));
        browser.screenshot(&shot);
        report(&format!(
            "dashboard screenshot at {width} px: {}",
            shot.display()
        ));
    }
    let errors = console_errors(&browser);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert_no_csp_violation(&browser);
}

/// A real browser for the dashboard test: Debian's headless Chromium driven through
/// ChromeDriver's W3C WebDriver protocol, spoken here over plain HTTP (reqwest) — no
/// browser-automation crate. `Browser::start` answers `None` (the test then skips, saying why)
/// only when Chromium or ChromeDriver is missing and CI is not set; under `CI=true` a missing
/// browser fails the test, since `.ci/run` installs it.
mod browser {
    use serde_json::{json, Value};
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    const CHROMIUM: &str = "/usr/bin/chromium";
    const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
    const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

    pub struct Browser {
        driver: Child,
        base: String,
        session: String,
        http: reqwest::blocking::Client,
        _profile: tempfile::TempDir,
    }

    impl Browser {
        pub fn start() -> Option<Browser> {
            let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
                .into_iter()
                .filter(|p| !Path::new(p).exists())
                .collect();
            if !missing.is_empty() {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!(
                        "CI=true but {} missing: .ci/run installs chromium and chromium-driver",
                        missing.join(" and ")
                    );
                }
                eprintln!(
                    "SKIPPED: {} not installed (apt-get install chromium chromium-driver); the dashboard test needs a real browser",
                    missing.join(" and ")
                );
                return None;
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let driver = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts");
            let base = format!("http://127.0.0.1:{port}");
            let http = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            while http
                .get(format!("{base}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .map(|v| v["value"]["ready"] != true)
                .unwrap_or(true)
            {
                assert!(
                    Instant::now() < deadline,
                    "chromedriver did not become ready"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            let profile = tempfile::tempdir().unwrap();
            let caps = json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1400,1900",
                        format!("--user-data-dir={}", profile.path().display()),
                    ],
                },
            }}});
            let mut b = Browser {
                driver,
                base,
                session: String::new(),
                http,
                _profile: profile,
            };
            let v = b.call("POST", "/session", Some(caps));
            b.session = v["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session: {v}"))
                .to_string();
            Some(b)
        }

        fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
            self.try_call(method, path, body)
                .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
        }

        /// A WebDriver call; Err is its error object.
        fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
            let url = format!("{}{path}", self.base);
            let req = match method {
                "GET" => self.http.get(url),
                "DELETE" => self.http.delete(url),
                _ => self.http.post(url).json(&body.unwrap_or(json!({}))),
            };
            let v: Value = req.send().unwrap().json().unwrap();
            if v["value"].get("error").is_some() {
                return Err(v["value"].clone());
            }
            Ok(v["value"].clone())
        }

        fn s(&self, path: &str) -> String {
            format!("/session/{}{path}", self.session)
        }

        /// Navigates and waits for the page's load event (WebDriver's default page-load strategy).
        pub fn goto(&self, url: &str) {
            self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
        }

        /// Runs `script` (a function body; `arguments` are `args`) in the page; its return value.
        pub fn run(&self, script: &str, args: Vec<Value>) -> Value {
            self.call(
                "POST",
                &self.s("/execute/sync"),
                Some(json!({"script": script, "args": args})),
            )
        }

        /// Polls `script` until it returns something truthy; panics after `secs` with `what`.
        pub fn wait_for(&self, what: &str, script: &str, secs: u64) -> Value {
            let deadline = Instant::now() + Duration::from_secs(secs);
            loop {
                let v = self.run(script, vec![]);
                let truthy = !matches!(&v, Value::Null | Value::Bool(false))
                    && v != json!(0)
                    && v != json!("");
                if truthy {
                    return v;
                }
                if Instant::now() > deadline {
                    let status = self.run(
                        "const m = document.querySelector('#message'); return m ? m.textContent : '';",
                        vec![],
                    );
                    panic!("timed out waiting for {what}; the page's status line: {status}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }

        /// Does `what` to the element `css` selects. The dashboard redraws its panels as the world
        /// changes, so an element found may be replaced before `what` lands: then it is found again.
        fn on_element(
            &self,
            css: &str,
            doing: &str,
            what: impl Fn(&str) -> Result<Value, Value>,
        ) -> Value {
            for _ in 0..20 {
                let v = self.call(
                    "POST",
                    &self.s("/element"),
                    Some(json!({"using": "css selector", "value": css})),
                );
                let id = v[ELEMENT]
                    .as_str()
                    .unwrap_or_else(|| panic!("no element {css}: {v}"));
                match what(id) {
                    Ok(v) => return v,
                    Err(e) if e["error"] == "stale element reference" => continue,
                    Err(e) => panic!("{doing} {css}: {e}"),
                }
            }
            panic!("{doing} {css}: the element kept being replaced");
        }

        /// Clicks the element `css` selects, as a user would (WebDriver element click), after
        /// scrolling it to the middle of the window as a user would, clear of the sticky header.
        pub fn click(&self, css: &str) {
            self.on_element(css, "click", |id| {
                let element = json!({ELEMENT: id});
                self.try_call(
                    "POST",
                    &self.s("/execute/sync"),
                    Some(json!({"script": "arguments[0].scrollIntoView({block: 'center'})", "args": [element]})),
                )?;
                self.try_call(
                    "POST",
                    &self.s(&format!("/element/{id}/click")),
                    Some(json!({})),
                )
            });
        }

        /// The element's visible text.
        pub fn text(&self, css: &str) -> String {
            let t = self.on_element(css, "text of", |id| {
                self.try_call("GET", &self.s(&format!("/element/{id}/text")), None)
            });
            t.as_str().unwrap_or_default().to_string()
        }

        /// From the next page on, every `securitypolicyviolation` the page reports is kept in
        /// `window.cspViolations` — listened for before any of the page's own script runs
        /// (ChromeDriver's DevTools command `Page.addScriptToEvaluateOnNewDocument`).
        pub fn watch_csp(&self) {
            let source = "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push({directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber}), true);";
            self.call(
                "POST",
                &self.s("/goog/cdp/execute"),
                Some(json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": source}})),
            );
        }

        /// What [`Browser::watch_csp`] gathered on the page shown.
        pub fn csp_violations(&self) -> Value {
            self.run(
                "return window.cspViolations === undefined ? 'not watched' : window.cspViolations;",
                vec![],
            )
        }

        /// The browser console's entries so far (ChromeDriver's log endpoint).
        pub fn console(&self) -> Vec<Value> {
            self.call("POST", &self.s("/se/log"), Some(json!({"type": "browser"})))
                .as_array()
                .cloned()
                .unwrap_or_default()
        }

        /// Saves a PNG of the page at `path`, making its folder (`target/` is not there when
        /// CARGO_TARGET_DIR points elsewhere).
        /// Sizes the browser window (the page's viewport follows).
        pub fn resize(&self, width: u32, height: u32) {
            self.call(
                "POST",
                &self.s("/window/rect"),
                Some(json!({"width": width, "height": height})),
            );
        }

        pub fn screenshot(&self, path: &Path) {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let b64 = self.call("GET", &self.s("/screenshot"), None);
            let png = crate::helpers::unb64(b64.as_str().unwrap());
            std::fs::write(path, png).unwrap();
        }
    }

    impl Drop for Browser {
        fn drop(&mut self) {
            if !self.session.is_empty() {
                let _ = self
                    .http
                    .delete(format!("{}/session/{}", self.base, self.session))
                    .send();
            }
            let _ = self.driver.kill();
            let _ = self.driver.wait();
        }
    }
}
