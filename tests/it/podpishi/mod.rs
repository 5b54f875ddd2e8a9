//! Podpishi.Online over real HTTP: uploads (reqwest multipart and `curl -F`), commands as
//! `command=<urlencoded base64>`, signatures made and checked by `openssl cms`, ZIPs unpacked
//! by Python's zipfile.

mod commands;
mod partner;
mod robustness;
mod signatures;
mod upload;
