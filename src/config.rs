//! The typed configuration of a running emulator, built once from flags (and their
//! `SIGNSIM_*` environment twins, see `main.rs`) and logged at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub enum ScenarioSource {
    /// The default scenario compiled into the binary.
    Embedded,
    File(PathBuf),
    /// Scenario text, its relative paths resolved against `base` (tests).
    Text {
        text: String,
        base: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; port 0 lets the OS pick.
    pub addr: SocketAddr,
    pub scenario: ScenarioSource,
    /// Persistent store; `None` keeps state in memory.
    pub data_dir: Option<PathBuf>,
    /// Written with the bound URL once the server accepts connections.
    pub ready_file: Option<PathBuf>,
    /// Freeze the clock at this instant (overrides the scenario's clock).
    pub frozen_clock: Option<OffsetDateTime>,
    /// The URL clients reach signsim at: in certificates' CRL distribution points, on the
    /// first stdout line and in the ready file. Default: `http(s)://<bound address>`, and when
    /// bound to an unspecified address (`0.0.0.0`) the request's `Host` for certificates and
    /// `127.0.0.1` for the ready file.
    pub public_url: Option<String>,
    /// Bearer token the control API requires; a blank token is no token (see
    /// [`Config::token`]). Listening beyond loopback needs a token or `admin_open`.
    pub admin_token: Option<String>,
    /// The control API answers every client that reaches it, without a token
    /// (`--admin-open`): the container image sets it, because a container's port is reached
    /// from the host through a bridge (never from loopback), and publishing the port on the
    /// host's 127.0.0.1 is what confines it. A token, when given, wins.
    pub admin_open: bool,
    /// How many requests the journal keeps.
    pub journal_size: usize,
    /// Serve HTTPS with a server certificate issued at start by the test root.
    pub tls: bool,
    /// More DNS names or IP addresses for the server certificate (`--tls-name`).
    pub tls_names: Vec<String>,
    /// Answer browsers' CORS preflights and allow any origin on the APIs (`--cors`).
    pub cors: bool,
    /// Overrides the scenario's `policy.portability`.
    pub portability: Option<crate::portability::Policy>,
    /// How many bytes the journal keeps in all (the oldest entries go first).
    pub journal_bytes: usize,
    /// Connection limits and timeouts.
    pub limits: crate::server::Limits,
    /// The store's watermark, cache and timeout (`--min-free`, `--store-cache`,
    /// `--store-timeout`).
    pub store: crate::store::Options,
}

/// The journal's default byte budget: 16 MiB.
pub const JOURNAL_BYTES: usize = 16 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            scenario: ScenarioSource::Embedded,
            data_dir: None,
            ready_file: None,
            frozen_clock: None,
            public_url: None,
            admin_token: None,
            admin_open: false,
            journal_size: 1000,
            tls: false,
            tls_names: Vec::new(),
            cors: false,
            portability: None,
            journal_bytes: JOURNAL_BYTES,
            limits: crate::server::Limits::default(),
            store: crate::store::Options::default(),
        }
    }
}

/// Who may use the control API (`/__admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAccess<'a> {
    /// Every call needs `Authorization: Bearer <token>`, from anywhere.
    Token(&'a str),
    /// Every client that reaches the port, no token (`--admin-open`).
    Open,
    /// Loopback clients only, no token (the default).
    Loopback,
}

impl Config {
    /// The control API's access rule: a token wins over `admin_open`.
    pub fn admin_access(&self) -> AdminAccess<'_> {
        match (self.token(), self.admin_open) {
            (Some(t), _) => AdminAccess::Token(t),
            (None, true) => AdminAccess::Open,
            (None, false) => AdminAccess::Loopback,
        }
    }

    /// The admin token in force: a blank one (`--admin-token ''`, an unset CI secret in
    /// `SIGNSIM_ADMIN_TOKEN=`) is no token at all, so it can not open the control API.
    pub fn token(&self) -> Option<&str> {
        token(self.admin_token.as_deref())
    }
}

/// A token as given (flag or `SIGNSIM_ADMIN_TOKEN`), blank being none: what `serve` requires
/// and what `signsim health` sends are the same.
pub fn token(given: Option<&str>) -> Option<&str> {
    given.filter(|t| !t.trim().is_empty())
}

/// `--addr`: `IP:PORT`, `[IPv6]:PORT`, or `localhost:PORT` (127.0.0.1). No other name is
/// resolved: a static binary in an empty root has no name service to ask, and an address
/// that means something else on another machine is not what a test double should bind.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!(
            "'{text}' has no port: give HOST:PORT, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or localhost:8080"
        ));
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("'{text}': port '{port}' is not a number from 0 to 65535"))?;
    if host.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(format!(
            "'{text}': an IPv6 address takes brackets, e.g. [{host}]:{port}"
        ));
    }
    Err(format!(
        "'{text}': '{host}' is not an IP address, and signsim resolves no host name but localhost; give an address, e.g. 0.0.0.0:{port} (every interface, as in a container) or 127.0.0.1:{port}"
    ))
}

/// Why `text` is not a `host[:port]` signsim may write into a URL it builds from a request (a
/// certificate's CRL distribution point from `Host`, copy as curl's base): the host is a DNS
/// name (labels of 1–63 letters, digits and hyphens, no hyphen first or last, 253 characters at
/// most, one final dot allowed, the last label not all digits unless the whole is an IPv4
/// address), an IPv4 address or a bracketed IPv6 address; the port, when present, 1–65535.
/// Anything else — `[[[::`, `evil.example:99999`, `a b`, `user@host` — is refused, so no URL
/// signsim writes is malformed.
pub fn check_authority(text: &str) -> Result<(), String> {
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest
                .split_once(']')
                .ok_or("an IPv6 address opened with '[' is not closed with ']'")?;
            if inside.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("'[{inside}]' is not an IPv6 address"));
            }
            match after {
                "" => (None, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (None, Some(port)),
                    None => return Err(format!("'{after}' follows ']', where only :PORT may")),
                },
            }
        }
        None => match text.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(text), None),
        },
    };
    if let Some(host) = host {
        check_host_name(host)?;
    }
    match port {
        Some(p) if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("port '{p}' is not a number from 1 to 65535"))
        }
        Some(p) if !(1..=65535).contains(&p.parse::<u32>().unwrap_or(0)) => {
            Err(format!("port {p} is not from 1 to 65535"))
        }
        _ => Ok(()),
    }
}

/// A DNS name or an IPv4 address (see [`check_authority`]).
fn check_host_name(host: &str) -> Result<(), String> {
    if host.contains(':') {
        return Err(format!(
            "'{host}' has a ':' in its host: an IPv6 address takes brackets, e.g. [::1]:8080"
        ));
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Ok(());
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.is_empty() || name.len() > 253 {
        return Err(format!("'{host}' is not a host name (1 to 253 characters)"));
    }
    for label in name.split('.') {
        let ok = (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(format!(
                "'{host}' is not a host name: its label '{label}' is not 1 to 63 letters, digits and hyphens with no hyphen first or last"
            ));
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "'{host}' is neither an IPv4 address nor a host name (its last label is a number)"
        ));
    }
    Ok(())
}

/// Why `url` is not an `http(s)://host[:port]` base URL, with an optional path, that signsim may
/// put a path after: the authority as [`check_authority`] says, the path without a query, a
/// fragment, spaces or control characters.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("it does not start with http:// or https://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    check_authority(authority)?;
    match path
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "?#".contains(*c))
    {
        Some(c) => Err(format!(
            "its path has {c:?}: give a base URL without a query or fragment"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_hosts_and_ports_may_be_written_into_a_url() {
        for good in [
            "localhost",
            "localhost:8080",
            "signsim",
            "signsim.ci:1",
            "pki-emulator.example.com:65535",
            "Signsim.CI",
            "signsim.ci.",
            "127.0.0.1:8080",
            "10.0.0.1",
            "[::1]",
            "[::1]:8080",
            "[2001:db8::7]:443",
            "[::ffff:10.0.0.1]:80",
            "a1.b2.c3",
            "xn--80ak6aa92e.example",
        ] {
            assert_eq!(check_authority(good), Ok(()), "{good}");
        }
        let long_label = format!("{}.example", "a".repeat(64));
        let long_name = vec!["abcdefghi"; 26].join(".");
        for bad in [
            "",
            ":8080",
            "[[[::",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[not-v6]:80",
            "[::1]:0",
            "::1",
            "::1:8080",
            "evil.example:99999",
            "evil.example:0",
            "evil.example:",
            "evil.example:80:80",
            "evil.example:+80",
            "evil.example:008080",
            "evil.example:http",
            "-evil.example",
            "evil-.example",
            "evil..example",
            ".evil",
            ".",
            "evil example",
            "evil_example",
            "user@evil.example",
            "evil.example/path",
            "evil.example?q",
            "evil.example#f",
            "evil.example\\x",
            "ev\u{0}il",
            "еvil.example",
            "999.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            &long_label,
            &long_name,
        ] {
            assert!(check_authority(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_base_url_is_a_scheme_a_valid_authority_and_a_plain_path() {
        for good in [
            "http://127.0.0.1:8080",
            "https://signsim:8443/",
            "http://[::1]:8080/behind/a/proxy",
        ] {
            assert_eq!(check_base_url(good), Ok(()), "{good}");
        }
        for bad in [
            "ftp://signsim",
            "signsim:8080",
            "http://",
            "http://[[[::",
            "http://evil.example:99999",
            "http://signsim:8080/a b",
            "http://signsim:8080/?q=1",
            "http://signsim:8080/#f",
            "http://user@signsim",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn addresses_and_localhost_are_accepted_names_are_not() {
        assert_eq!(
            parse_addr("127.0.0.1:8080").unwrap().to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(parse_addr("[::1]:0").unwrap().to_string(), "[::1]:0");
        assert_eq!(
            parse_addr("localhost:8080").unwrap().to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            parse_addr("LocalHost:1").unwrap().to_string(),
            "127.0.0.1:1"
        );
        let e = parse_addr("signsim:8080").unwrap_err();
        assert!(
            e.contains("'signsim' is not an IP address") && e.contains("0.0.0.0:8080"),
            "{e}"
        );
        assert!(parse_addr("localhost").unwrap_err().contains("has no port"));
        assert!(parse_addr("localhost:http")
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_addr("::1:80").unwrap_err().contains("brackets"));
    }

    #[test]
    fn a_token_wins_over_open_and_a_blank_token_is_none() {
        let mut c = Config {
            admin_open: true,
            admin_token: Some("t".into()),
            ..Config::default()
        };
        assert_eq!(c.admin_access(), AdminAccess::Token("t"));
        c.admin_token = Some(" ".into());
        assert_eq!(c.admin_access(), AdminAccess::Open);
        c.admin_open = false;
        assert_eq!(c.admin_access(), AdminAccess::Loopback);
    }
}
