//! Commands of /apistatus.php: getlistdocs by time range (own and incoming documents),
//! tariffs, the invoice and available documents, and the scenario's stale-time window for
//! `<time>`.

use crate::helpers::*;

#[test]
fn getlistdocs_by_time_range_own_and_incoming() {
    let emu = TestEmulator::spawn();
    // time1/time2 as dates on purpose: signsim's whole-day reading (warned time-date-only).
    emu.relies_on_leniency();
    let a = doc_num(&emu.pod_upload(Upload::alfa_to_beta("L1")).1);
    let x = emu.pod_command(BETA, "<data><oper>getlistdocs</oper><time1>20260601</time1><time2>20260601</time2><time>20260601130000</time></data>").1;
    assert_eq!(
        x,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"getlistdocs\">\n<permission id='{a}' i='1' api_reference='L1' name='Договор № 15' is_own_doc='0' created='20260601130000' signed_type='1' must_signed_by_bin='160940001237' signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='0' />\n<permission id='{a}' i='2' api_reference='L1' name='Договор № 15' is_own_doc='0' created='20260601130000' signed_type='2' must_signed_by_bin='160940004561' signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='0' />\n</resp>")
    );
    // 13:00 Almaty is inside 130000..130000 and outside a range ending at 125959.
    let x = emu.pod_command(ALFA, "<data><oper>getlistdocs</oper><time1>20260601130000</time1><time2>20260601130000</time2><time>20260601130000</time></data>").1;
    assert_eq!(x.matches("<permission").count(), 2);
    let x = emu.pod_command(ALFA, "<data><oper>getlistdocs</oper><time1>20260601000000</time1><time2>20260601125959</time2><time>20260601130000</time></data>").1;
    assert_eq!(x.matches("<permission").count(), 0, "{x}");
    let x = emu.pod_command(GAMMA, "<data><oper>getlistdocs</oper><time1>20260101000000</time1><time2>20261231235959</time2><time>20260601130000</time></data>").1;
    assert_eq!(x.matches("<permission").count(), 0);
    let x = emu.pod_command(GAMMA, "<data><oper>getlistdocs</oper><time1>20260101000000</time1><time2>20261231235959</time2><owner_bin>160940001237</owner_bin><time>20260601130000</time></data>").1;
    assert!(x.contains("<status>4</status>\n<errdesc>&lt;owner_bin&gt; 160940001237 is not a template of account gamma@test.kz"), "{x}");
}

#[test]
fn tariffs_invoice_and_available_docs() {
    let emu = TestEmulator::spawn();
    let x = emu
        .pod_command(
            ALFA,
            "<data><oper>gettarifplan</oper><time>20260601130000</time></data>",
        )
        .1;
    assert_eq!(x, "<resp err='no' command='gettarifplan'>\n<tarif>1</tarif><name>Старт 10</name><counts>10</counts><price>5000</price>\n<tarif>2</tarif><name>Бизнес 100</name><counts>100</counts><price>40000</price>\n<tarif>3</tarif><name>Корпоративный 1000</name><counts>1000</counts><price>300000</price>\n</resp>");
    assert_eq!(emu.pod_command(ALFA, "<data><oper>getavailabledocs</oper><owner_bin>160940001237</owner_bin><time>20260601130000</time></data>").1, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"getavailabledocs\" counts=\"10\"></resp>");
    let x = emu
        .pod_command(
            ALFA,
            "<data><oper>getcreateinvoice</oper><tarif>2</tarif><time>20260601130000</time></data>",
        )
        .1;
    assert_eq!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"getcreateinvoice\" ></resp>");
    let list = emu.pod_list(ALFA);
    assert!(list.contains("id='1001' i='1' api_reference='invoice-1001' name='Счёт на оплату № 1001: тариф «Бизнес 100»' is_own_doc='0'"), "{list}");
    assert!(list.contains("signed_type='1' must_signed_by_bin='160940013570' signed='1' signed_bin='160940013570' signed_fio='ПОДПИШИ СЕРВИС ТЕСТОВИЧ'"), "{list}");
    let (_, zip) = emu.pod_command_bytes(
        ALFA,
        "<data><oper>getdoc</oper><docnum>1001</docnum><time>20260601130000</time></data>",
    );
    let files = unzip(&zip);
    assert_eq!(files[0].0, "invoice-1001.txt");
    assert!(String::from_utf8(files[0].1.clone())
        .unwrap()
        .contains("Сумма к оплате: 40000 тенге"));
    assert_eq!(files[1].0, "signature-1-160940013570.p7s");
    openssl_cms_verify(&files[1].1, Some(&files[0].1)).unwrap();
    let x = emu
        .pod_command(
            ALFA,
            "<data><oper>getcreateinvoice</oper><tarif>7</tarif><time>20260601130000</time></data>",
        )
        .1;
    assert!(x.contains("<status>42</status>\n<errdesc>&lt;tarif&gt; 7 is not a tariff plan; the plans (gettarifplan) are: 1 Старт 10, 2 Бизнес 100, 3 Корпоративный 1000</errdesc>"), "{x}");
    assert_eq!(emu.pod_balance(ALFA), 10);
}

#[test]
fn stale_time_window_from_the_scenario() {
    let emu = TestEmulator::spawn_edited(|t| {
        t.replace("stale_time_seconds = 0", "stale_time_seconds = 300")
    });
    // The clock is 2026-06-01T08:00Z = 13:00 in Almaty (UTC+5).
    let ok = emu
        .pod_command(
            ALFA,
            "<data><oper>getavailabledocs</oper><time>20260601130400</time></data>",
        )
        .1;
    assert!(ok.contains("err=\"no\""), "{ok}");
    let x = emu
        .pod_command(
            ALFA,
            "<data><oper>getavailabledocs</oper><time>20260601080000</time></data>",
        )
        .1;
    assert!(x.contains("<status>8</status>\n<errdesc>&lt;time&gt; 20260601080000 is 18000 s away from the service&apos;s time 20260601130000 (Asia/Almaty)"), "{x}");
}
