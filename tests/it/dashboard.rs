//! The dashboard at `/__admin/ui` in a real browser (headless Chromium through WebDriver): it
//! loads from the binary with nothing fetched elsewhere, shows the world, and a person's clicks
//! approve a tracking code, sign a document as the counterparty with a chosen test signer and
//! switch a CA off — each change seen through the control API — while new journal entries
//! appear without a reload, with their diagnostics. No console errors; a screenshot is saved
//! and its path printed, with the page load time.

use crate::helpers::browser::Browser;
use crate::helpers::*;
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
    assert!(browser.text("#customers").contains("10,000,000"));

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

    // No console errors at any point.
    let console = browser.console();
    let errors: Vec<_> = console.iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

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
