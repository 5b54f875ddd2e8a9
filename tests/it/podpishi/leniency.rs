//! Podpishi without silent leniency and without refusals the document does not support: each
//! undocumented form is accepted with its warning under `warn` and refused (status 9, naming
//! the kind) under `refuse`; the document's own forms pass under both. Also the refusal the
//! document does support — an upload when the document count is used up — and that nothing
//! takes the count below zero, concurrent uploads included.

use crate::helpers::*;

fn refusing() -> TestEmulator {
    TestEmulator::spawn_edited(|s| {
        s.replacen("portability = \"warn\"", "portability = \"refuse\"", 1)
    })
}

/// The default world plus accounts whose templates are the Podpishi document's own example
/// BINs (lines 94–95), which fail the check digit.
fn with_document_bins(portability: &str) -> TestEmulator {
    TestEmulator::spawn_edited(|s| {
        s.replacen(
            "portability = \"warn\"",
            &format!("portability = \"{portability}\""),
            1,
        ) + "\n[[podpishi.accounts]]\nlogin = \"sample@test.kz\"\napikey = \"0123456789abcdef0123456789abcdef\"\nbins = [\"169999070809\"]\nbalance = 5\n\n[[podpishi.accounts]]\nlogin = \"receiver@test.kz\"\napikey = \"fedcba9876543210fedcba9876543210\"\nbins = [\"191919020202\"]\nbalance = 5\n"
    })
}

const SAMPLE: (&str, &str) = ("sample@test.kz", "0123456789abcdef0123456789abcdef");

/// The one warning of an answer: its kind, and its reason containing each needle.
fn warned(a: &Answer, kind: &str, needles: &[&str]) {
    assert_eq!(a.warnings.len(), 1, "{:?}: {}", a.warnings, a.text());
    // As a client reads it: text that is not plain ASCII comes RFC 8187-encoded.
    let w = &decode_header_text(&a.warnings[0]);
    assert!(w.starts_with(&format!("{kind} ")), "{w}");
    for n in needles {
        assert!(w.contains(n), "{n:?} not in {w}");
    }
}

/// A refusal under `refuse`: status 9 naming the kind, no warning header.
fn refused(a: &Answer, kind: &str) {
    let x = a.text();
    assert_eq!(a.status, 200, "{x}");
    assert!(x.contains("<status>9</status>"), "{x}");
    assert!(x.contains(&format!("not portable ({kind})")), "{x}");
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
}

fn ok(a: &Answer) {
    let x = a.text();
    assert!(
        a.status == 200 && x.contains("err=\"no\"") && !x.contains(">err</doc>"),
        "{x}"
    );
}

const AVAILABLE_NO_TIME: &str = "<data><oper>getavailabledocs</oper></data>";
const AVAILABLE_EMPTY_TIME: &str = "<data><oper>getavailabledocs</oper><time></time></data>";
const AVAILABLE: &str = "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>";

// ── item 7: <time> absent or empty ───────────────────────────────────────────────────────

#[test]
fn a_command_without_time_warns_field_missing_and_is_refused_under_refuse() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = emu.pod_command_answer(ALFA, AVAILABLE_NO_TIME);
    ok(&a);
    warned(
        &a,
        "field-missing",
        &[
            "<time> of getavailabledocs is missing",
            "YYYYMMDDhhmmss",
            "line 131",
        ],
    );
    let a = emu.pod_command_answer(ALFA, AVAILABLE_EMPTY_TIME);
    ok(&a);
    warned(
        &a,
        "field-missing",
        &["<time> of getavailabledocs is empty"],
    );
    let a = emu.pod_command_answer(ALFA, AVAILABLE);
    ok(&a);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);

    let emu = refusing();
    refused(
        &emu.pod_command_answer(ALFA, AVAILABLE_NO_TIME),
        "field-missing",
    );
    refused(
        &emu.pod_command_answer(ALFA, AVAILABLE_EMPTY_TIME),
        "field-missing",
    );
    ok(&emu.pod_command_answer(ALFA, AVAILABLE));
}

// ── item 6: time1/time2 as dates ─────────────────────────────────────────────────────────

#[test]
fn getlistdocs_time1_and_time2_as_dates_warn_time_date_only() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    emu.pod_upload_num(Upload::alfa_to_beta("D1"));
    let dates = "<data><oper>getlistdocs</oper><time1>20260601</time1><time2>20260601235959</time2><time>20260601130000</time></data>";
    let a = emu.pod_command_answer(ALFA, dates);
    ok(&a);
    assert_eq!(a.text().matches("<permission").count(), 2, "{}", a.text());
    warned(
        &a,
        "time-date-only",
        &[
            "<time1> is '20260601'",
            "20170825162514",
            "line 189",
            "000000",
        ],
    );
    let a = emu.pod_command_answer(ALFA, "<data><oper>getlistdocs</oper><time1>20260601000000</time1><time2>20260601</time2><time>20260601130000</time></data>");
    ok(&a);
    warned(
        &a,
        "time-date-only",
        &["<time2> is '20260601'", "line 190", "235959"],
    );
    let a = emu.pod_command_answer(PARTNER, "<data><oper>getlistpartnertrn</oper><time1>20260601</time1><time2>20260601235959</time2><time>20260601130000</time></data>");
    ok(&a);
    warned(&a, "time-date-only", &["<time1> is '20260601'"]);

    let emu = refusing();
    refused(&emu.pod_command_answer(ALFA, dates), "time-date-only");
    ok(&emu.pod_command_answer(ALFA, "<data><oper>getlistdocs</oper><time1>20260601000000</time1><time2>20260601235959</time2><time>20260601130000</time></data>"));
}

// ── item 8: <oper> with spaces ───────────────────────────────────────────────────────────

#[test]
fn oper_with_spaces_around_the_name_warns_oper_spaces() {
    let padded = "<data><oper> getavailabledocs\n</oper><time>20260601130000</time></data>";
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = emu.pod_command_answer(ALFA, padded);
    ok(&a);
    assert!(
        a.text().contains("command=\"getavailabledocs\""),
        "{}",
        a.text()
    );
    warned(
        &a,
        "oper-spaces",
        &["expected exactly 'getavailabledocs'", "line 127"],
    );

    let emu = refusing();
    refused(&emu.pod_command_answer(ALFA, padded), "oper-spaces");
    ok(&emu.pod_command_answer(ALFA, AVAILABLE));
}

// ── item 9: a repeated refnum ────────────────────────────────────────────────────────────

const PACKAGE: &str = "<data><oper>addpackage2client</oper><refnum>77</refnum><bin2client>160940007893</bin2client><packet>1</packet><time>20260601130000</time></data>";

#[test]
fn a_repeated_refnum_is_replayed_with_the_warning_refnum_repeated() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = emu.pod_command_answer(PARTNER, PACKAGE);
    ok(&a);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let a = emu.pod_command_answer(PARTNER, PACKAGE);
    ok(&a);
    warned(&a, "refnum-repeated", &["<refnum> 77", "line 388"]);
    assert_eq!(emu.pod_balance(GAMMA), 10, "the replay adds nothing");

    let emu = refusing();
    ok(&emu.pod_command_answer(PARTNER, PACKAGE));
    refused(&emu.pod_command_answer(PARTNER, PACKAGE), "refnum-repeated");
    assert_eq!(emu.pod_balance(GAMMA), 10, "the refusal adds nothing");
}

// ── item 10: <userip> ────────────────────────────────────────────────────────────────────

fn register_client(emu: &TestEmulator) {
    let x = emu.pod_command(PARTNER, "<data><oper>reguserbypartner</oper><email>client@shop.kz</email><remoteid>42</remoteid><time>20260601130000</time></data>").1;
    assert!(x.contains("<serviceid>5001</serviceid>"), "{x}");
}

fn auth(emu: &TestEmulator, userip: Option<&str>) -> Answer {
    let ip = userip
        .map(|ip| format!("<userip>{ip}</userip>"))
        .unwrap_or_default();
    emu.pod_command_answer(PARTNER, &format!("<data><oper>authuserbypartner</oper><serviceid>5001</serviceid><remoteid>42</remoteid>{ip}<time>20260601130000</time></data>"))
}

#[test]
fn authuserbypartner_without_userip_or_with_one_that_is_not_an_ip_warns() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    register_client(&emu);
    let a = auth(&emu, None);
    ok(&a);
    warned(
        &a,
        "field-missing",
        &["<userip> of authuserbypartner", "line 516"],
    );
    let a = auth(&emu, Some(""));
    warned(&a, "field-missing", &["<userip>"]);
    let a = auth(&emu, Some("my-laptop"));
    ok(&a);
    warned(
        &a,
        "userip-not-ip",
        &["<userip> is 'my-laptop'", "line 516"],
    );
    for ip in ["192.0.2.10", "2001:db8::1"] {
        let a = auth(&emu, Some(ip));
        ok(&a);
        assert!(a.warnings.is_empty(), "{ip}: {:?}", a.warnings);
    }

    let emu = refusing();
    register_client(&emu);
    refused(&auth(&emu, None), "field-missing");
    refused(&auth(&emu, Some("my-laptop")), "userip-not-ip");
    ok(&auth(&emu, Some("192.0.2.10")));
}

// ── item 11: owner_bin = receiver_bin ────────────────────────────────────────────────────

#[test]
fn an_upload_to_its_own_bin_warns_receiver_is_owner() {
    let to_self = || Upload::alfa_to_beta("S1").set("receiver_bin", ALFA_BIN);
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = emu.pod_upload_answer(to_self());
    ok(&a);
    warned(
        &a,
        "receiver-is-owner",
        &["receiver_bin 160940001237 is owner_bin", "line 34"],
    );

    let emu = refusing();
    let a = emu.pod_upload_answer(to_self());
    refused(&a, "receiver-is-owner");
    assert_eq!(emu.pod_balance(ALFA), 10, "nothing stored");
    ok(&emu.pod_upload_answer(Upload::alfa_to_beta("S2")));
}

// ── item 13: check digits ────────────────────────────────────────────────────────────────

#[test]
fn the_documents_own_example_bins_are_accepted_with_bin_check_digit() {
    let emu = with_document_bins("warn");
    emu.relies_on_leniency();
    // receiver_bin 191919020202 (line 34's example) from alfa.
    let a = emu.pod_upload_answer(Upload::alfa_to_beta("B1").set("receiver_bin", "191919020202"));
    ok(&a);
    warned(
        &a,
        "bin-check-digit",
        &[
            "<receiver_bin> '191919020202' fails the check digit",
            "line 34",
        ],
    );
    // The document's sample upload: owner_bin 169999070809 to 191919020202 (lines 94–95).
    let u = Upload::between(
        SAMPLE,
        "169999070809",
        "191919020202",
        "some@email2.com",
        "B2",
    );
    let a = emu.pod_upload_answer(u);
    ok(&a);
    assert_eq!(a.warnings.len(), 2, "{:?}", a.warnings);
    assert!(
        a.warnings[0].starts_with("bin-check-digit <owner_bin> '169999070809'"),
        "{:?}",
        a.warnings
    );
    assert!(
        a.warnings[1].starts_with("bin-check-digit <receiver_bin> '191919020202'"),
        "{:?}",
        a.warnings
    );
    // bin2client of a partner package and of setblockuser.
    let a = emu.pod_command_answer(PARTNER, "<data><oper>addpackage2client</oper><refnum>5</refnum><bin2client>191919020202</bin2client><packet>1</packet><time>20260601130000</time></data>");
    ok(&a);
    warned(&a, "bin-check-digit", &["<bin2client> '191919020202'"]);
    // client_bin of reguserbypartner (the emulator's extension).
    let a = emu.pod_command_answer(PARTNER, "<data><oper>reguserbypartner</oper><email>c@shop.kz</email><remoteid>7</remoteid><client_bin>169999070809</client_bin><time>20260601130000</time></data>");
    ok(&a);
    warned(&a, "bin-check-digit", &["<client_bin> '169999070809'"]);
    // 12 digits is still the document's rule.
    let x = emu
        .pod_upload(Upload::alfa_to_beta("B3").set("receiver_bin", "19191902020"))
        .1;
    assert!(x.contains("<status>4</status>\n<errdesc>receiver_bin is &apos;19191902020&apos;; expected exactly 12 digits"), "{x}");
}

#[test]
fn under_refuse_a_failing_check_digit_is_refused_naming_the_element() {
    let emu = with_document_bins("refuse");
    let a = emu.pod_upload_answer(Upload::alfa_to_beta("B1").set("receiver_bin", "191919020202"));
    refused(&a, "bin-check-digit");
    assert!(
        a.text()
            .contains("&lt;receiver_bin&gt; &apos;191919020202&apos;"),
        "{}",
        a.text()
    );
    let u = Upload::between(SAMPLE, "169999070809", "160940004561", "beta@test.kz", "B2");
    let a = emu.pod_upload_answer(u);
    refused(&a, "bin-check-digit");
    assert!(a.text().contains("&lt;owner_bin&gt;"), "{}", a.text());
    let a = emu.pod_command_answer(PARTNER, "<data><oper>setblockuser</oper><bin2client>191919020202</bin2client><time>20260601130000</time></data>");
    refused(&a, "bin-check-digit");
    ok(&emu.pod_upload_answer(Upload::alfa_to_beta("B3")));
}

#[test]
fn check_digits_false_skips_the_check_and_warns_nothing() {
    let emu = TestEmulator::spawn_edited(|s| {
        s.replacen("check_digits = true", "check_digits = false", 1)
    });
    let a = emu.pod_upload_answer(Upload::alfa_to_beta("B1").set("receiver_bin", "191919020202"));
    ok(&a);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
}

// ── item 16: receiver_mail ───────────────────────────────────────────────────────────────

#[test]
fn receiver_mail_is_refused_only_where_the_document_says_and_odd_forms_warn_mail_form() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    for (n, mail) in ["nobody", "a@b@c.kz", "a b@c.kz"].iter().enumerate() {
        let a = emu
            .pod_upload_answer(Upload::alfa_to_beta(&format!("M{n}")).set("receiver_mail", mail));
        ok(&a);
        warned(
            &a,
            "mail-form",
            &[&format!("receiver_mail is '{mail}'"), "line 41"],
        );
    }
    // One '@' and no spaces: the document asks no more.
    for (n, mail) in ["x@localhost", " some@email2.com"].iter().enumerate() {
        let a = emu
            .pod_upload_answer(Upload::alfa_to_beta(&format!("N{n}")).set("receiver_mail", mail));
        ok(&a);
        assert!(a.warnings.is_empty(), "{mail}: {:?}", a.warnings);
    }
    // What the document does say: required, at most 30 characters.
    let x = emu
        .pod_upload(
            Upload::alfa_to_beta("M9").set("receiver_mail", "a-very-long-address@example.com"),
        )
        .1;
    assert!(x.contains("<status>4</status>"), "{x}");
    let x = emu
        .pod_upload(Upload::alfa_to_beta("M9").without("receiver_mail"))
        .1;
    assert!(x.contains("<status>3</status>"), "{x}");

    let emu = refusing();
    refused(
        &emu.pod_upload_answer(Upload::alfa_to_beta("M1").set("receiver_mail", "nobody")),
        "mail-form",
    );
    ok(&emu.pod_upload_answer(Upload::alfa_to_beta("M2")));
}

// ── item 12: the document count ──────────────────────────────────────────────────────────

fn upload_as_gamma(emu: &TestEmulator, reference: &str) -> String {
    let u = Upload::alfa_to_beta(reference)
        .set("login", GAMMA.0)
        .set("apikey", GAMMA.1)
        .set("owner_bin", GAMMA_BIN);
    emu.pod_upload(u).1
}

#[test]
fn an_upload_with_the_count_used_up_is_refused_saying_how_to_get_more() {
    let emu = TestEmulator::spawn();
    let x = upload_as_gamma(&emu, "G1");
    assert!(x.contains("<doc num='' reference='G1'"), "{x}");
    assert!(x.contains("errtxt='account gamma@test.kz has 0 documents left to upload (getavailabledocs counts); an upload needs 1. Get more: getcreateinvoice with a &lt;tarif&gt; of gettarifplan"), "{x}");
    assert!(x.contains("line 237"), "{x}");
    assert_eq!(emu.pod_balance(GAMMA), 0);
    // An invoice (even once the service has signed it) adds nothing and takes nothing.
    let x = emu
        .pod_command(
            GAMMA,
            "<data><oper>getcreateinvoice</oper><tarif>1</tarif><time>20260601130000</time></data>",
        )
        .1;
    assert!(x.contains("err=\"no\""), "{x}");
    assert_eq!(emu.pod_balance(GAMMA), 0);
    // A partner's package does: exactly its count, then refused again.
    let x = emu.pod_command(PARTNER, PACKAGE).1;
    assert!(x.contains("err=\"no\""), "{x}");
    assert_eq!(emu.pod_balance(GAMMA), 10);
    for n in 0..10 {
        doc_num(&upload_as_gamma(&emu, &format!("G{n}+")));
    }
    assert_eq!(emu.pod_balance(GAMMA), 0);
    assert!(upload_as_gamma(&emu, "G-last").contains("has 0 documents left"));
    assert_eq!(emu.pod_balance(GAMMA), 0);
}

#[test]
fn a_count_seeded_below_zero_stays_there_and_refuses() {
    let emu = TestEmulator::spawn_edited(|s| s.replacen("balance = 0\n", "balance = -3\n", 1));
    let x = upload_as_gamma(&emu, "G1");
    assert!(x.contains("has -3 documents left to upload"), "{x}");
    assert_eq!(emu.pod_balance(GAMMA), -3);
}

#[test]
fn concurrent_uploads_racing_for_the_last_documents_take_exactly_what_is_left() {
    let emu = TestEmulator::spawn();
    let left = emu.pod_balance(BETA);
    assert_eq!(left, 5);
    let answers: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..12)
            .map(|n| {
                let emu = &emu;
                s.spawn(move || {
                    emu.pod_upload(Upload::between(
                        BETA,
                        BETA_BIN,
                        ALFA_BIN,
                        "alfa@test.kz",
                        &format!("R{n}"),
                    ))
                    .1
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored = answers.iter().filter(|x| x.contains(">ok</doc>")).count();
    let refused = answers
        .iter()
        .filter(|x| x.contains("has 0 documents left to upload"))
        .count();
    assert_eq!((stored, refused), (5, 7), "{answers:#?}");
    assert_eq!(emu.pod_balance(BETA), 0);
}

// ── getstatus's docuniq ──────────────────────────────────────────────────────────────────

#[test]
fn the_openapi_document_says_getstatus_looks_documents_up_by_their_document_number() {
    let emu = TestEmulator::spawn();
    let doc = emu.admin_ok("openapi/podpishi.json");
    let text = doc.to_string();
    assert!(
        text.contains("the permissions of documents by their document number in the service (docuniq, the num an upload answers)"),
        "{text}"
    );
    assert!(
        !text.contains("documents by uniq_reference"),
        "getstatus does not look up uniq_reference: {text}"
    );
}
