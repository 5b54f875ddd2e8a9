//! signsim's integration tests: one binary, every test against a real server on port 0.
//!
//! `helpers` owns `TestEmulator::spawn()` (in-process server, temporary store, frozen clock)
//! and the independent peers: the `openssl` CLI and Python's `cryptography` make the keys,
//! CSRs and signatures signsim verifies, and verify what signsim issues.

mod admin;
mod cli;
mod crypto;
mod docs;
mod events;
mod examples;
mod helpers;
mod pki;
mod podpishi;
mod scenarios;
