//! A real browser for the dashboard test: Debian's headless Chromium driven through
//! ChromeDriver's W3C WebDriver protocol, spoken here over plain HTTP (reqwest) — no
//! browser-automation crate. `Browser::start` answers `None` (the test then skips, saying why)
//! only when Chromium or ChromeDriver is missing and CI is not set; under `CI=true` a missing
//! browser fails the test, since `.ci/run` installs it.

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
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
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

    /// Clicks the element `css` selects, as a user would (WebDriver element click).
    /// The dashboard redraws its panels as the world changes, so an element found may be
    /// replaced before the click lands: then it is found again.
    pub fn click(&self, css: &str) {
        for _ in 0..20 {
            let v = self.call(
                "POST",
                &self.s("/element"),
                Some(json!({"using": "css selector", "value": css})),
            );
            let id = v[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("no element {css}: {v}"));
            match self.try_call(
                "POST",
                &self.s(&format!("/element/{id}/click")),
                Some(json!({})),
            ) {
                Ok(_) => return,
                Err(e) if e["error"] == "stale element reference" => continue,
                Err(e) => panic!("click {css}: {e}"),
            }
        }
        panic!("click {css}: the element kept being replaced");
    }

    /// The element's visible text.
    pub fn text(&self, css: &str) -> String {
        for _ in 0..20 {
            let v = self.call(
                "POST",
                &self.s("/element"),
                Some(json!({"using": "css selector", "value": css})),
            );
            let id = v[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("no element {css}: {v}"));
            match self.try_call("GET", &self.s(&format!("/element/{id}/text")), None) {
                Ok(t) => return t.as_str().unwrap_or_default().to_string(),
                Err(e) if e["error"] == "stale element reference" => continue,
                Err(e) => panic!("text of {css}: {e}"),
            }
        }
        panic!("text of {css}: the element kept being replaced");
    }

    /// The browser console's entries so far (ChromeDriver's log endpoint).
    pub fn console(&self) -> Vec<Value> {
        self.call("POST", &self.s("/se/log"), Some(json!({"type": "browser"})))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn screenshot(&self, path: &Path) {
        let b64 = self.call("GET", &self.s("/screenshot"), None);
        let png = super::unb64(b64.as_str().unwrap());
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
