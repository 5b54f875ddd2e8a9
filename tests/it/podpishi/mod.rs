//! Podpishi.Online over real HTTP: uploads (reqwest multipart and `curl -F`), commands as
//! `command=<urlencoded base64>`, signatures made and checked by `openssl cms`, ZIPs unpacked
//! by Python's zipfile. One file per behaviour: uploads, commands, signatures, individuals,
//! permissions (delpermission), partner commands, concurrency, robustness and error answers
//! (that only the model touches the stored records: architecture.rs), and each undocumented
//! form warned by name (leniency).

mod commands;
mod concurrency;
mod error_answers;
mod individuals;
mod leniency;
mod partner;
mod permissions;
mod robustness;
mod signatures;
mod upload;
