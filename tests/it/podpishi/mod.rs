//! Podpishi.Online over real HTTP: uploads (reqwest multipart and `curl -F`), commands as
//! `command=<urlencoded base64>`, signatures made and checked by `openssl cms`, ZIPs unpacked
//! by Python's zipfile.

mod commands;
mod concurrency;
mod error_answers;
mod individuals;
mod partner;
mod permissions;
mod robustness;
mod signatures;
mod upload;

#[test]
fn readme_lists_every_podpishi_error_status() {
    let readme = std::fs::read_to_string(crate::helpers::repo().join("README.md")).unwrap();
    for (_, name, status, _) in signsim::podpishi::error::CATALOGUE {
        let row = format!("| {status} | `{name}` |");
        assert!(
            readme.contains(&row),
            "README's Podpishi error table lacks {row}"
        );
    }
}
