//! signsim's integration tests: one binary, every test against a real server on port 0.
//!
//! `helpers` owns `TestEmulator::spawn()` (in-process server, temporary store, frozen clock)
//! and generic HTTP; `helpers::peers` the independent peers (the `openssl` CLI, Python's
//! `cryptography`, iconv) that make the keys, CSRs and signatures signsim verifies and verify
//! what it issues; `helpers::{pki, podpishi, admin}` each API's bodies and shortcuts. The test
//! files are named for the behaviour they pin: `pki/`, `podpishi/` and `admin/` (the control
//! API) by API, the rest by subject (the binary, CMS, the README, scenario events, the example
//! scenarios, scenario loading). Refusals of one shape are tables run by `helpers::each_case`.

mod admin;
mod architecture;
mod ci_hygiene;
mod ci_recipe;
mod cli;
mod coverage;
mod crypto;
mod dashboard;
mod distribution;
mod docs;
mod documented_flows;
mod events;
mod examples;
mod fixtures;
mod hardening;
mod helpers;
mod logs;
mod openapi;
mod pki;
mod podpishi;
mod portability;
mod readme;
mod scenario_names;
mod scenarios;
mod templates;
mod tls;
mod transitions;
