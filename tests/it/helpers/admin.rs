//! Control API helpers: `/__admin/` requests, the journal, the clock, fault rules and
//! scenario problems.

use super::*;
use serde_json::Value;

/// `/__admin/` + `path` unless `path` already starts with `/`.
fn admin_url(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/__admin/{path}")
    }
}

fn status_and_json(resp: reqwest::blocking::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

impl TestEmulator {
    /// GET `/__admin/{path}`; (status, JSON body — a JSON string when the body is not JSON).
    pub fn admin_get(&self, path: &str) -> (u16, Value) {
        status_and_json(self.client.get(admin_url(&self.url, path)).send().unwrap())
    }

    /// POST JSON to `/__admin/{path}`.
    pub fn admin_post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.admin_post_text(path, "application/json", &body.to_string())
    }

    /// POST a raw text body (a scenario's TOML) to `/__admin/{path}`.
    pub fn admin_post_text(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        status_and_json(
            self.client
                .post(admin_url(&self.url, path))
                .header("Content-Type", content_type)
                .body(body.to_string())
                .send()
                .unwrap(),
        )
    }

    /// DELETE `/__admin/{path}`.
    pub fn admin_delete(&self, path: &str) -> (u16, Value) {
        status_and_json(
            self.client
                .delete(admin_url(&self.url, path))
                .send()
                .unwrap(),
        )
    }

    /// GET `/__admin/{path}` as an [`Answer`] (PEM, DER, …).
    pub fn admin_raw(&self, path: &str) -> Answer {
        Answer::from(self.client.get(admin_url(&self.url, path)).send().unwrap())
    }

    /// GET `/__admin/{path}`, asserting 200; the JSON body.
    pub fn admin_ok(&self, path: &str) -> Value {
        let (status, body) = self.admin_get(path);
        assert_eq!(status, 200, "GET /__admin/{path}: {body}");
        body
    }

    /// `GET /__admin/requests?{query}`'s `requests` array.
    pub fn journal(&self, query: &str) -> Vec<Value> {
        let body = self.admin_ok(&format!("requests?{query}"));
        body["requests"]
            .as_array()
            .unwrap_or_else(|| panic!("no requests array in {body}"))
            .clone()
    }

    /// `POST /__admin/requests/count` with `filter`; asserts 200.
    pub fn journal_count(&self, filter: &Value) -> u64 {
        let (status, body) = self.admin_post("requests/count", filter);
        assert_eq!(status, 200, "{body}");
        body["count"].as_u64().unwrap_or_else(|| panic!("{body}"))
    }

    /// `POST /__admin/clock {"advance": by}`, asserting 200; returns the new `now`.
    pub fn advance(&self, by: &str) -> String {
        let (status, body) = self.admin_post("clock", &serde_json::json!({ "advance": by }));
        assert_eq!(status, 200, "advance {by}: {body}");
        body["now"].as_str().unwrap().to_string()
    }

    /// `GET /__admin/clock`'s `now`.
    pub fn clock_now(&self) -> String {
        self.admin_ok("clock")["now"].as_str().unwrap().to_string()
    }

    /// `POST /__admin/faults` with `rule`, asserting 200; returns the rule's name.
    pub fn add_fault(&self, rule: &Value) -> String {
        let (status, body) = self.admin_post("faults", rule);
        assert_eq!(status, 200, "{rule}: {body}");
        body["added"].as_str().unwrap().to_string()
    }

    /// The emails in the Podpishi outbox (`/__admin/podpishi/outbox`).
    pub fn pod_outbox_len(&self) -> usize {
        let (s, v) = self.admin_get("podpishi/outbox");
        assert_eq!(s, 200, "{v}");
        v.as_array().unwrap_or_else(|| panic!("{v}")).len()
    }

    /// The counterparty's cabinet step on document `num` (`/__admin/podpishi/documents/{num}/sign`).
    pub fn pod_admin_sign(&self, num: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .client
            .post(format!(
                "{}/__admin/podpishi/documents/{num}/sign",
                self.url
            ))
            .json(body)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.json().unwrap_or(Value::Null))
    }
}

/// The problems of a refused `POST /__admin/scenario`, as the README documents the answer:
/// `{"problems": [{line, field, message}]}`.
pub fn scenario_problems(body: &Value) -> Vec<Value> {
    body["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no top-level \"problems\" array in {body}"))
        .clone()
}

/// The `error` text of an admin refusal.
pub fn error_of(body: &Value) -> &str {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error text in {body}"))
}

/// Asserts an admin refusal: the status and that the error text contains every needle.
pub fn assert_admin_error(resp: &(u16, Value), status: u16, needles: &[&str]) {
    let (s, body) = resp;
    assert_eq!(*s, status, "{body}");
    let text = error_of(body);
    for n in needles {
        assert!(text.contains(n), "error lacks {n:?}: {text}");
    }
}
