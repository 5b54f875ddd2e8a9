//! `signsim health`: one GET of `/__admin/health` from a blocking client, for container
//! health checks (a FROM-scratch image has no curl) and for scripts that wait for signsim;
//! `signsim coverage` fetches `/__admin/coverage` with the same client.
//!
//! Plain HTTP/1.0 over a `TcpStream` (the server closes after its answer and never chunks it,
//! so the answer is read to its end as it is), or
//! TLS when the URL says `https`: the server certificate of `serve --tls` is issued at start
//! by the embedded test root, so the probe trusts exactly that root and checks the name.
//! Host names: an address, `localhost`, or whatever the system resolver answers (a static
//! binary in an empty root has none, so the image's probe uses 127.0.0.1).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The largest answer read (the health document is about 1 KiB).
const MAX_ANSWER: u64 = 1024 * 1024;

/// The health URL of a server listening on `addr`: an unspecified address (`0.0.0.0`, `[::]`)
/// is reached on the loopback address of its family.
pub fn local_url(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

/// A URL taken apart: scheme, host (IPv6 without brackets), port, path prefix.
#[derive(Debug)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    authority: String,
    prefix: String,
}

fn parse_url(url: &str) -> Result<Target, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("--url '{url}' is not a URL such as http://127.0.0.1:8080"))?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        other => {
            return Err(format!(
                "--url '{url}': scheme '{other}' is not http or https"
            ))
        }
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("--url '{url}': unclosed '[' in the host"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p
                .parse()
                .map_err(|_| format!("--url '{url}': port '{p}' is not a number"))?,
            None => default_port,
        };
        (h.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse()
                    .map_err(|_| format!("--url '{url}': port '{p}' is not a number"))?,
            ),
            None => (authority.to_string(), default_port),
        }
    };
    if host.is_empty() {
        return Err(format!("--url '{url}' names no host"));
    }
    Ok(Target {
        tls,
        host,
        port,
        authority: authority.to_string(),
        prefix: path.trim_end_matches('/').to_string(),
    })
}

/// The addresses to try for `host`: an address as it is, `localhost` as 127.0.0.1 and ::1
/// without asking a resolver, anything else through the system resolver.
fn addresses(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(vec![
            SocketAddr::from(([127, 0, 0, 1], port)),
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
        ]);
    }
    (host, port)
        .to_socket_addrs()
        .map(|a| a.collect())
        .map_err(|e| format!("cannot resolve '{host}': {e}"))
}

fn connect(t: &Target, timeout: Duration) -> Result<TcpStream, String> {
    let mut last = format!("'{}' resolves to no address", t.host);
    for addr in addresses(&t.host, t.port)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

fn tls_client(host: &str) -> Result<rustls::ClientConnection, String> {
    use rustls::pki_types::{CertificateDer, ServerName};
    let root_pem = crate::scenario::embedded::fixture("pki/root-ca.pem")
        .ok_or("the test root is not embedded")?;
    let der =
        crate::crypto::der_from_b64_or_pem(root_pem).map_err(|e| format!("the test root: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(der))
        .map_err(|e| format!("the test root: {e}"))?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("'{host}' is not a name TLS can check: {e}"))?;
    rustls::ClientConnection::new(std::sync::Arc::new(config), name).map_err(|e| e.to_string())
}

/// GETs `url`/__admin/health; `Ok` with a one-line summary when the server says it is
/// healthy, `Err` with what went wrong otherwise.
pub fn health(url: &str, token: Option<&str>, timeout: Duration) -> Result<String, String> {
    let answer = get(url, "/__admin/health", token, timeout, MAX_ANSWER)?;
    judge(url, &answer)
}

/// `signsim coverage`: GETs `url`/__admin/coverage with `query` (`tenant=…&api=…`, already
/// encoded) and reads the report.
pub fn coverage(
    url: &str,
    query: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<crate::coverage::Report, String> {
    let path = match query {
        "" => "/__admin/coverage".to_string(),
        q => format!("/__admin/coverage?{q}"),
    };
    let answer = get(url, &path, token, timeout, 64 * MAX_ANSWER)?;
    let (status, body) = status_and_body(url, &answer)?;
    if status != 200 {
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let why = doc["error"].as_str().unwrap_or(body.trim());
        return Err(format!("{url}{path} answered {status}: {why}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("{url}{path}: not a coverage report: {e}"))
}

/// One GET of `path` under `url`, the whole answer (head and body) as sent.
fn get(
    url: &str,
    path: &str,
    token: Option<&str>,
    timeout: Duration,
    max: u64,
) -> Result<Vec<u8>, String> {
    let started = Instant::now();
    let t = parse_url(url)?;
    let stream = connect(&t, timeout)?;
    let left = timeout
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(10));
    stream
        .set_read_timeout(Some(left))
        .and_then(|_| stream.set_write_timeout(Some(left)))
        .map_err(|e| e.to_string())?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {}{path} HTTP/1.0\r\nHost: {}\r\nUser-Agent: signsim-probe/{}\r\nAccept: application/json\r\n{auth}\r\n",
        t.prefix,
        t.authority,
        crate::VERSION
    );
    let mut answer = Vec::new();
    let io = |e: std::io::Error| {
        if matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            format!("no answer within {timeout:?}")
        } else {
            e.to_string()
        }
    };
    if t.tls {
        let mut conn = tls_client(&t.host)?;
        let mut stream = stream;
        let mut tls = rustls::Stream::new(&mut conn, &mut stream);
        tls.write_all(request.as_bytes()).map_err(io)?;
        // A server that closes without close_notify still gave the whole answer.
        match tls.take(max).read_to_end(&mut answer) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => {}
            Err(e) => return Err(io(e)),
        }
    } else {
        let mut stream = stream;
        stream.write_all(request.as_bytes()).map_err(io)?;
        stream.take(max).read_to_end(&mut answer).map_err(io)?;
    }
    Ok(answer)
}

/// The status code and the body of an HTTP/1.x answer read whole.
fn status_and_body(url: &str, answer: &[u8]) -> Result<(u16, String), String> {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| format!("{url} gave no HTTP answer"))?;
    Ok((status, body.to_string()))
}

/// Reads the status line and the health document.
fn judge(url: &str, answer: &[u8]) -> Result<String, String> {
    let (status, body) = status_and_body(url, answer)?;
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    if status != 200 {
        let why = doc["error"].as_str().unwrap_or(body.trim());
        return Err(format!("{url}/__admin/health answered {status}: {why}"));
    }
    if doc["status"] != "ok" {
        return Err(format!("{url}/__admin/health says {body}"));
    }
    Ok(format!(
        "healthy: signsim {} at {url}, scenario '{}', store {}, up {:.1} s",
        doc["version"].as_str().unwrap_or("?"),
        doc["scenario"].as_str().unwrap_or("?"),
        doc["store"].as_str().unwrap_or("?"),
        doc["uptime_ms"].as_f64().unwrap_or(0.0) / 1000.0
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_apart() {
        let t = parse_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.prefix.as_str()),
            (false, "127.0.0.1", 8080, "")
        );
        let t = parse_url("https://[::1]:9/base/").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.prefix.as_str()),
            (true, "::1", 9, "/base")
        );
        let t = parse_url("http://signsim").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("signsim", 80));
        assert!(parse_url("127.0.0.1:8080")
            .unwrap_err()
            .contains("not a URL"));
        assert!(parse_url("ftp://x")
            .unwrap_err()
            .contains("not http or https"));
        assert!(parse_url("http://x:port")
            .unwrap_err()
            .contains("not a number"));
    }

    #[test]
    fn the_local_url_of_an_unspecified_address_is_loopback() {
        assert_eq!(
            local_url("0.0.0.0:8080".parse().unwrap(), false),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            local_url("[::]:1".parse().unwrap(), true),
            "https://[::1]:1"
        );
        assert_eq!(
            local_url("10.0.0.2:80".parse().unwrap(), false),
            "http://10.0.0.2:80"
        );
    }

    #[test]
    fn answers_are_judged() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"status\":\"ok\",\"version\":\"0.2.0\",\"scenario\":\"default\",\"store\":\"memory\",\"uptime_ms\":1500}";
        assert!(judge("u", ok)
            .unwrap()
            .contains("signsim 0.2.0 at u, scenario 'default'"));

        let refused = b"HTTP/1.1 401 Unauthorized\r\n\r\n{\"error\":\"needs a token\"}";
        assert!(judge("u", refused)
            .unwrap_err()
            .contains("401: needs a token"));
        assert!(judge("u", b"garbage")
            .unwrap_err()
            .contains("no HTTP answer"));
    }
}
