//! Partner commands: addpackage2client (idempotent per refnum, listed by getlistpartnertrn,
//! refused for a non-partner), reguserbypartner and authuserbypartner with the cabinet they
//! open, and setblockuser: a blocked client's uploads are refused while its documents stay
//! readable.

use crate::helpers::*;

fn cmd(emu: &TestEmulator, acc: (&str, &str), body: &str) -> String {
    emu.pod_command(
        acc,
        &format!("<data>{body}<time>20260601130000</time></data>"),
    )
    .1
}

#[test]
fn addpackage2client_is_idempotent_per_refnum_and_listed() {
    let emu = TestEmulator::spawn();
    // The repeated refnum is replayed on purpose (warned refnum-repeated: the document does
    // not say what production answers; tests/it/podpishi/leniency.rs shows the warning).
    emu.relies_on_leniency();
    let ok = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"addpackage2client\">\n</resp>";
    assert_eq!(cmd(&emu, PARTNER, "<oper>addpackage2client</oper><refnum>77</refnum><bin2client>160940007893</bin2client><packet>1</packet>"), ok);
    assert_eq!(cmd(&emu, PARTNER, "<oper>addpackage2client</oper><refnum>77</refnum><bin2client>160940007893</bin2client><packet>1</packet>"), ok);
    assert_eq!(emu.pod_balance(GAMMA), 10);
    let x = cmd(&emu, PARTNER, "<oper>addpackage2client</oper><refnum>77</refnum><bin2client>160940007893</bin2client><packet>2</packet>");
    assert!(x.contains("<status>41</status>\n<errdesc>&lt;refnum&gt; 77 was already used by partner partner@test.kz (transaction 1: bin2client 160940007893, packet 1)"), "{x}");
    assert_eq!(emu.pod_balance(GAMMA), 10);
    let x = cmd(
        &emu,
        PARTNER,
        "<oper>getlistpartnertrn</oper><time1>20260601000000</time1><time2>20260601235959</time2>",
    );
    assert_eq!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"getlistpartnertrn\">\n<id>1</id><bin2client>160940007893</bin2client><date>20260601130000</date><count>10</count><refnum>77</refnum>\n</resp>");
    let x = cmd(&emu, ALFA, "<oper>addpackage2client</oper><refnum>1</refnum><bin2client>160940007893</bin2client><packet>1</packet>");
    assert!(x.contains("<status>40</status>\n<errdesc>addpackage2client is a partner command; account alfa@test.kz is not a partner"), "{x}");
    assert_eq!(emu.pod_balance(GAMMA), 10);
}

#[test]
fn register_authorize_cabinet_and_block() {
    let emu = TestEmulator::spawn();
    let reg = "<oper>reguserbypartner</oper><email>client@shop.kz</email><remoteid>42</remoteid><client_bin>160940022222</client_bin>";
    let x = cmd(&emu, PARTNER, reg);
    assert_eq!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"reguserbypartner\">\n<flag_newreg>1</flag_newreg>\n<partner_owner>1</partner_owner>\n<serviceid>5001</serviceid>\n</resp>");
    assert!(cmd(&emu, PARTNER, reg).contains("<flag_newreg>0</flag_newreg>\n<partner_owner>1</partner_owner>\n<serviceid>5001</serviceid>"));
    let x = cmd(
        &emu,
        PARTNER,
        "<oper>reguserbypartner</oper><email>client@shop.kz</email><remoteid>43</remoteid>",
    );
    assert!(x.contains("<status>44</status>"), "{x}");
    assert!(cmd(
        &emu,
        PARTNER,
        "<oper>reguserbypartner</oper><email>beta@test.kz</email><remoteid>1</remoteid>"
    )
    .contains("<flag_newreg>0</flag_newreg>\n<partner_owner>0</partner_owner>"));
    let x = cmd(&emu, PARTNER, "<oper>authuserbypartner</oper><serviceid>5001</serviceid><remoteid>42</remoteid><userip>10.0.0.1</userip>");
    let sessid = x
        .split("<sessid>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let pass = x
        .split("<sesspass>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(pass.len(), 32);
    let (s, page) = emu.get_bytes(&format!("/cabinet?sessid={sessid}&sesspass={pass}"));
    assert_eq!(s, 200);
    assert!(String::from_utf8(page)
        .unwrap()
        .contains("Личный кабинет: client@shop.kz"));
    let (s, page) = emu.get_bytes(&format!("/cabinet?sessid={sessid}&sesspass=wrong"));
    assert_eq!(s, 403);
    assert!(String::from_utf8(page)
        .unwrap()
        .contains(&format!("sesspass is not the password of session {sessid}")));
    let x = cmd(
        &emu,
        PARTNER,
        "<oper>authuserbypartner</oper><serviceid>1002</serviceid><remoteid>1</remoteid><userip>10.0.0.1</userip>",
    );
    assert!(x.contains("<status>43</status>"), "{x}");
    // Block: uploads refused. Alfa is not partner-registered, so it can not be blocked.
    assert!(cmd(
        &emu,
        PARTNER,
        "<oper>setblockuser</oper><bin2client>160940001237</bin2client>"
    )
    .contains("<status>43</status>"));
    assert!(cmd(
        &emu,
        PARTNER,
        "<oper>setblockuser</oper><bin2client>160940022222</bin2client>"
    )
    .contains("err=\"no\""));
}

#[test]
fn client_blocked_by_its_partner_cannot_upload() {
    use sha2::Digest;
    let emu = TestEmulator::spawn();
    let client_bin = "160940022222";
    let reg = answer_xml(&emu.pod_oper(PARTNER,
        &format!("<oper>reguserbypartner</oper><email>client@shop.kz</email><remoteid>42</remoteid><client_bin>{client_bin}</client_bin>"),
    ));
    assert_eq!(reg, format!("{DECL}<resp err=\"no\" command=\"reguserbypartner\">\n<flag_newreg>1</flag_newreg>\n<partner_owner>1</partner_owner>\n<serviceid>5001</serviceid>\n</resp>"));
    // README: apikey = first 32 hex of SHA-256("signsim:<email>:<serviceid>").
    let key = sha2::Sha256::digest(b"signsim:client@shop.kz:5001")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..32]
        .to_string();
    let client = ("client@shop.kz", key.as_str());
    assert_command_ok(
        &emu.pod_oper(PARTNER,
            &format!("<oper>addpackage2client</oper><refnum>1</refnum><bin2client>{client_bin}</bin2client><packet>1</packet>"),
        ),
        "addpackage2client",
    );
    assert_eq!(emu.pod_balance(client), 10);
    // Before the block, the client uploads.
    let first = emu.pod_upload_num(Upload::between(
        client,
        client_bin,
        ALFA_BIN,
        "alfa@test.kz",
        "B1",
    ));
    assert_eq!(emu.pod_balance(client), 9);
    assert_command_ok(
        &emu.pod_oper(
            PARTNER,
            &format!("<oper>setblockuser</oper><bin2client>{client_bin}</bin2client>"),
        ),
        "setblockuser",
    );
    let before = (
        emu.pod_balance(client),
        emu.pod_list(client),
        emu.pod_list(ALFA),
        emu.pod_list(GAMMA),
        emu.pod_outbox_len(),
    );
    assert_eq!(before.1.matches("<permission").count(), 2, "{}", before.1);
    for reference in ["B2", "B1"] {
        assert_doc_refused(
            &emu.pod_upload_answer(Upload::between(
                client,
                client_bin,
                ALFA_BIN,
                "alfa@test.kz",
                reference,
            )),
            reference,
            "contract.txt",
            &["account client@shop.kz is blocked by its partner (setblockuser) and cannot upload documents"],
        );
    }
    // Whatever the document: another receiver, view only, another file.
    let mut other = Upload::between(client, client_bin, GAMMA_BIN, "gamma@test.kz", "B3")
        .set("type_delegate", "2");
    other.files = vec![("invoice.pdf".into(), b"%PDF-1.4".to_vec())];
    assert_doc_refused(
        &emu.pod_upload_answer(other),
        "B3",
        "invoice.pdf",
        &["account client@shop.kz is blocked by its partner (setblockuser) and cannot upload documents"],
    );
    assert_eq!(
        (
            emu.pod_balance(client),
            emu.pod_list(client),
            emu.pod_list(ALFA),
            emu.pod_list(GAMMA),
            emu.pod_outbox_len()
        ),
        before
    );
    // The earlier document is untouched and still readable.
    assert!(
        emu.pod_getstatus(client, &first)
            .contains(&format!("<id>{first}</id>")),
        "{}",
        emu.pod_getstatus(client, &first)
    );
    // Blocking again is not an error (setblockuser.rs) and changes nothing.
    assert_command_ok(
        &emu.pod_oper(
            PARTNER,
            &format!("<oper>setblockuser</oper><bin2client>{client_bin}</bin2client>"),
        ),
        "setblockuser",
    );
    assert_eq!(emu.pod_balance(client), before.0);
}
