//! State made before a timed phase, over HTTP as a client would make it: credit for customer
//! B, and approved tracking codes — RegisterInfo of distinct persons under a profile that
//! needs approval in person (Bronze-Sign-InPerson), then the RA officer's approval through the
//! control API (`POST /__admin/pki/tracking/{code}/approve`, the cheapest documented way).

use crate::http::{post, post_json, send_all};
use crate::pki::{self, People, CUSTOMER_B};
use crate::server::Server;

/// The profile of every prepared tracking code: CA 01, approval in person, 250 000 Rials.
pub const PROFILE: &str = "Bronze-Sign-InPerson";

/// Gives customer B credit for any number of issues here (its scenario credit, 1 000 000,
/// pays for four).
pub fn credit_b(server: &Server) {
    server.json(&post_json(
        &format!("/__admin/pki/customers/{}/credit", CUSTOMER_B.0),
        &serde_json::json!({ "set": 1_000_000_000_000_000i64 }),
    ));
}

/// Approved tracking codes and how long they took to make.
pub struct Approved {
    pub codes: Vec<String>,
    pub register_secs: f64,
    pub approve_secs: f64,
}

/// Registers persons `0 … n − 1` (`p12`: P12 tokens) under [`PROFILE`] and approves
/// each; panics with the first refusal when any step fails, since the timed phase would then
/// measure the wrong thing.
pub fn approved_codes(server: &Server, people: &People, n: usize, p12: bool) -> Approved {
    let registered = send_all(
        &server.addr,
        n,
        &|i| people.register(i, PROFILE, p12),
        &pki::tracking_code,
    );
    assert_eq!(
        registered.failures, 0,
        "RegisterInfo of a new person failed: {:?}",
        registered.first_failure
    );
    let mut codes: Vec<(usize, String)> = registered.values;
    codes.sort();
    let codes: Vec<String> = codes.into_iter().map(|(_, c)| c).collect();
    let approved = send_all(
        &server.addr,
        codes.len(),
        &|i| {
            post(
                &format!("/__admin/pki/tracking/{}/approve", codes[i]),
                "application/json",
                b"",
            )
        },
        &|s, b| {
            let text = String::from_utf8_lossy(b);
            (s == 200 && text.contains("\"Approved\""))
                .then_some(())
                .ok_or_else(|| text.into_owned())
        },
    );
    assert_eq!(
        approved.failures, 0,
        "approving a tracking code failed: {:?}",
        approved.first_failure
    );
    Approved {
        codes,
        register_secs: registered.secs,
        approve_secs: approved.secs,
    }
}
