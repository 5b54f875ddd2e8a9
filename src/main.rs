//! The `signsim` command: flags and logging; everything else is the library's.

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use signsim::config::{Config, ScenarioSource};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Parser)]
#[command(
    name = "signsim",
    version = signsim::LONG_VERSION,
    about = "Offline emulator of the PKI RA gateway (Iran) and Podpishi.Online (Kazakhstan) APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the APIs (the default: `signsim` alone serves the embedded default scenario on 127.0.0.1:8080).
    Serve(Box<ServeArgs>),
    /// Work with scenario files.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
    /// PKI RA helpers: transaction signatures and signed request bodies for curl.
    Pki {
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// CMS helpers for Podpishi.Online's signature_pem.
    Cms {
        #[command(subcommand)]
        command: CmsCommand,
    },
    /// Ask a running signsim whether it is healthy (GET /__admin/health): exit 0 if so, 1 if not.
    /// For container health checks and scripts that wait for it; reads the same SIGNSIM_*
    /// variables as `serve`.
    Health(HealthArgs),
    /// Print a running signsim's contract coverage report (GET /__admin/coverage): which
    /// operations, errors, transitions, warnings and faults your tests reached. With
    /// --require FILE, exit 1 listing the required outcomes not reached (docs/coverage.md).
    Coverage(CoverageArgs),
    /// The test fixtures built into the binary.
    Fixtures {
        #[command(subcommand)]
        command: FixturesCommand,
    },
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Write the embedded fixtures (keys, private ones included; certificates; documents) to
    /// DIR/fixtures, the default scenario to DIR/scenarios/default.toml, and a README. DIR must
    /// be new or empty unless --force; nothing is ever written through a symbolic link.
    Export {
        dir: PathBuf,
        /// Write into a DIR that is not empty (a previous export, say): the files the export
        /// writes are replaced, each atomically; other files are left alone. A symbolic link
        /// in the way is refused all the same.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Print Base64(RSA-SHA1(key, text)) — the PKI transaction signature.
    Sign {
        /// The customer's private key (PEM PKCS#8 or PKCS#1), e.g. fixtures/pki/customers/10320874334.key.
        #[arg(long)]
        key: PathBuf,
        /// The signed text, e.g. "10320874334-1234-0012345679" for RegisterInfo.
        #[arg(long)]
        text: String,
        /// utf16le (the document's "Unicode") or utf8 (for Sign(csr) / Sign(certificate)).
        #[arg(long, default_value = "utf16le")]
        encoding: String,
    },
    /// Print a complete signed JSON body for a method, ready for `curl -d @-`.
    Body {
        /// RegisterInfo, GetTrackingCodeInfo, IssueCertificateByTrackingCode, RevokeCertificate,
        /// RecievedCertConfirmation, RequestApprove or GetUserCertHistory.
        operation: String,
        #[arg(long)]
        key: PathBuf,
        /// CustomerCode-LisenceNumber, e.g. 10320874334-1234.
        #[arg(long)]
        customercode: String,
        /// A field, name=value (repeat); personData.NAME=value for RegisterInfo.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// The CSR file (DER or PEM) for IssueCertificateByTrackingCode.
        #[arg(long)]
        csr: Option<PathBuf>,
        /// The certificate file (DER or PEM) for RevokeCertificate / RecievedCertConfirmation.
        #[arg(long)]
        certificate: Option<PathBuf>,
        /// RequestApprove in person: the approver's certificate (PEM), with --approver-key.
        #[arg(long, requires = "approver_key")]
        approver_cert: Option<PathBuf>,
        #[arg(long, requires = "approver_cert")]
        approver_key: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CmsCommand {
    /// Print base64 DER CMS (sha256WithRSA, detached unless --attached) over a file, for signature_pem.
    Sign {
        /// A test signer of fixtures/kz/signers (ivanov, seitkali, petrova, nurlanov, omarov, service).
        #[arg(long, conflicts_with_all = ["cert", "key"])]
        signer: Option<String>,
        /// Signer certificate (PEM); with --key.
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        /// Signer private key (PEM PKCS#8 or PKCS#1); with --cert.
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
        /// The file to sign.
        #[arg(long = "in")]
        input: PathBuf,
        /// Put the content inside the CMS (openssl cms -nodetach).
        #[arg(long)]
        attached: bool,
    },
}

#[derive(Subcommand)]
enum ScenarioCommand {
    /// Validate a scenario file and print every problem with file, line and field (exit 1 on problems).
    Check { file: PathBuf },
}

/// How a client command (`health`, `coverage`) reaches a running server without a URL.
#[derive(Args)]
struct Reach {
    /// The address the server listens on, as given to `serve` (0.0.0.0 is asked on 127.0.0.1).
    #[arg(long, env = "SIGNSIM_ADDR", default_value = "127.0.0.1:8080", value_parser = signsim::config::parse_addr)]
    addr: SocketAddr,
    /// The server serves HTTPS (`serve --tls`); its certificate is checked against the test root.
    #[arg(long, env = "SIGNSIM_TLS", value_parser = BoolishValueParser::new())]
    tls: bool,
    /// The control API's token, when the server has one.
    #[arg(long, env = "SIGNSIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

impl Reach {
    /// `url` as given, else the loopback URL of `--addr`; and the token, when not blank.
    fn resolve(&self, url: Option<String>) -> (String, Option<&str>) {
        let url = url.unwrap_or_else(|| signsim::probe::local_url(self.addr, self.tls));
        let url = url.trim_end_matches('/').to_string();
        (url, signsim::config::token(self.admin_token.as_deref()))
    }
}

#[derive(Args)]
struct HealthArgs {
    /// The server's URL (default: the loopback address of --addr, https with --tls).
    #[arg(long, env = "SIGNSIM_HEALTH_URL")]
    url: Option<String>,
    #[command(flatten)]
    reach: Reach,
    /// How long to wait for the answer (e.g. 2s).
    #[arg(long, env = "SIGNSIM_HEALTH_TIMEOUT", default_value = "2s", value_parser = std_duration)]
    timeout: std::time::Duration,
}

#[derive(Args)]
struct CoverageArgs {
    /// The server's URL (default: the loopback address of --addr, https with --tls).
    #[arg(long, env = "SIGNSIM_COVERAGE_URL")]
    url: Option<String>,
    #[command(flatten)]
    reach: Reach,
    /// text, markdown (a CI job summary), json, or junit (one test case per outcome, the
    /// never-reached ones skipped). Default text; with --require, only the verdict unless given.
    #[arg(long, value_parser = ["text", "markdown", "json", "junit"])]
    format: Option<String>,
    /// Only this tenant: a PKI customer code or a Podpishi login.
    #[arg(long)]
    tenant: Option<String>,
    /// Only this API: pki or podpishi.
    #[arg(long, value_parser = ["pki", "podpishi"])]
    api: Option<String>,
    /// A file of required outcomes, one a line (`RevokeCertificate:ok`, `upload:status=22`,
    /// `tracking:Approved->Issued`, `warning:*=0`; `#` comments): exit 1 if any is not met.
    #[arg(long)]
    require: Option<PathBuf>,
    /// How long to wait for the answer (e.g. 5s).
    #[arg(long, default_value = "10s", value_parser = std_duration)]
    timeout: std::time::Duration,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on: IP:PORT, [IPv6]:PORT or localhost:PORT; 0.0.0.0:PORT listens on
    /// every interface; port 0 lets the OS pick (the URL is printed on the first stdout line).
    #[arg(long, env = "SIGNSIM_ADDR", default_value = "127.0.0.1:8080", value_parser = signsim::config::parse_addr)]
    addr: SocketAddr,
    /// Scenario file (default: the embedded default scenario).
    #[arg(long, env = "SIGNSIM_SCENARIO")]
    scenario: Option<PathBuf>,
    /// Keep state in this directory (sled); without it, state lives in memory.
    #[arg(long, env = "SIGNSIM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Write the bound URL to this file once accepting connections.
    #[arg(long, env = "SIGNSIM_READY_FILE")]
    ready_file: Option<PathBuf>,
    /// Freeze the clock at this RFC 3339 instant (overrides the scenario's clock).
    #[arg(long, env = "SIGNSIM_CLOCK")]
    clock: Option<String>,
    /// The URL clients use to reach signsim (goes into certificates' CRL distribution points):
    /// http(s)://HOST[:PORT], HOST a DNS name, an IPv4 or a bracketed IPv6 address. Without it,
    /// bound to 0.0.0.0, certificates name the request's Host when well-formed, else the bound URL.
    #[arg(long, env = "SIGNSIM_PUBLIC_URL")]
    public_url: Option<String>,
    /// Token the control API (/__admin) requires as `Authorization: Bearer <token>`; to listen
    /// on a non-loopback address signsim needs this or --admin-open.
    #[arg(long, env = "SIGNSIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Let every client that reaches the port use the control API without a token (the
    /// container image sets it: publish the port on 127.0.0.1). A token, when given, wins.
    #[arg(long, env = "SIGNSIM_ADMIN_OPEN", value_parser = BoolishValueParser::new())]
    admin_open: bool,
    /// How many requests the journal keeps (older ones are evicted and counted).
    #[arg(long, env = "SIGNSIM_JOURNAL_SIZE", default_value_t = 1000)]
    journal_size: usize,
    /// How many bytes the journal keeps in all (default 16 MiB; the oldest entries go first).
    #[arg(long, env = "SIGNSIM_JOURNAL_BYTES", default_value_t = signsim::config::JOURNAL_BYTES)]
    journal_bytes: usize,
    /// Open connections at most, TLS handshakes in progress included; beyond it one still in its
    /// handshake, else the longest-idle one, is closed (or, all busy, 503).
    #[arg(long, env = "SIGNSIM_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// A request head must arrive within this, and a body may pause no longer (e.g. 10s);
    /// under --tls a handshake must finish within it of the connect.
    #[arg(long, env = "SIGNSIM_READ_TIMEOUT", default_value = "10s", value_parser = std_duration)]
    read_timeout: std::time::Duration,
    /// A connection with no request in progress is closed after this (e.g. 30s).
    #[arg(long, env = "SIGNSIM_IDLE_TIMEOUT", default_value = "30s", value_parser = std_duration)]
    idle_timeout: std::time::Duration,
    /// Writes are refused (in each API's own error shape; reads go on) while the data
    /// directory's filesystem — without one, the memory — has less free than this: a size
    /// (64MiB), a share (2%) or `auto`, the larger of 64 MiB and 2 %. Writes resume by
    /// themselves once space is freed.
    #[arg(long, env = "SIGNSIM_MIN_FREE", default_value = "auto", value_parser = signsim::store::MinFree::parse)]
    min_free: signsim::store::MinFree,
    /// The most memory the data directory's page cache takes (e.g. 8MiB, 64MiB).
    #[arg(long, env = "SIGNSIM_STORE_CACHE", default_value = "8MiB", value_parser = cache_size)]
    store_cache: u64,
    /// How long a request waits for the store before it is answered with an error (a stalled
    /// disk); `/__admin/health` then says why.
    #[arg(long, env = "SIGNSIM_STORE_TIMEOUT", default_value = "10s", value_parser = std_duration)]
    store_timeout: std::time::Duration,
    /// How long SIGTERM waits for requests in progress before closing their connections.
    #[arg(long, env = "SIGNSIM_SHUTDOWN_GRACE", default_value = "5s", value_parser = std_duration)]
    shutdown_grace: std::time::Duration,
    /// Log level (error, warn, info, debug, trace) or filter directives such as
    /// `info,signsim::access=warn`; `RUST_LOG`, when set, takes precedence. `info` logs one
    /// access line per request, `debug` adds each request's diagnostics.
    #[arg(long, env = "SIGNSIM_LOG", default_value = "info")]
    log: String,
    /// Serve HTTPS: a server certificate is issued at start by the test root for localhost,
    /// 127.0.0.1, api.pki.co.ir, www.podpishi.kz, api.podpishi.kz and every --tls-name
    /// (GET /__admin/tls/root gives the root for curl --cacert).
    #[arg(long, env = "SIGNSIM_TLS", value_parser = BoolishValueParser::new())]
    tls: bool,
    /// Another DNS name or IP address for the TLS server certificate (repeat; the variable
    /// takes a comma-separated list).
    #[arg(
        long = "tls-name",
        value_name = "NAME",
        requires = "tls",
        env = "SIGNSIM_TLS_NAMES",
        value_delimiter = ','
    )]
    tls_names: Vec<String>,
    /// Let browser-based clients call the APIs from any origin (CORS preflights answered,
    /// Access-Control-Allow-Origin: *); the control API stays same-origin.
    #[arg(long, env = "SIGNSIM_CORS", value_parser = BoolishValueParser::new())]
    cors: bool,
    /// What to do with a request that relies on behaviour production may not share: `warn`
    /// (accept, with an X-Signsim-Warning header), `refuse` (answer the API's error), `allow`.
    /// Overrides the scenario's `policy.portability`.
    #[arg(long, env = "SIGNSIM_PORTABILITY", value_parser = ["warn", "refuse", "allow"])]
    portability: Option<String>,
    /// Log format: `text` for people, `json` (one object per line) for log collectors.
    #[arg(long, env = "SIGNSIM_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Write the contract coverage report (JSON, as GET /__admin/coverage) to this file when
    /// the server stops (SIGTERM, Ctrl-C).
    #[arg(long, env = "SIGNSIM_COVERAGE_OUT")]
    coverage_out: Option<PathBuf>,
}

/// A size like `8MiB`, `64MiB` or `1048576` (bytes).
fn cache_size(text: &str) -> Result<u64, String> {
    match signsim::store::MinFree::parse(text)? {
        signsim::store::MinFree::Bytes(b) => Ok(b),
        _ => Err(format!("'{text}' is not a size such as 8MiB or 67108864")),
    }
}

/// A positive duration like `10s`, `500ms`, `2m` (the scenario's duration syntax).
fn std_duration(text: &str) -> Result<std::time::Duration, String> {
    let d = signsim::clock::parse_duration(text)?;
    std::time::Duration::try_from(d)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("'{text}' is not a positive duration such as 10s or 500ms"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Scenario {
            command: ScenarioCommand::Check { file },
        }) => check(&file),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Cms {
            command:
                CmsCommand::Sign {
                    signer,
                    cert,
                    key,
                    input,
                    attached,
                },
        }) => cms_sign(signer, cert, key, &input, attached),
        Some(Command::Pki { command }) => pki_tool(command),
        Some(Command::Health(args)) => health(args),
        Some(Command::Coverage(args)) => coverage(args),
        Some(Command::Fixtures {
            command: FixturesCommand::Export { dir, force },
        }) => match signsim::scenario::export::export(&dir, force) {
            Ok(written) => {
                println!(
                    "{}: {} files written (fixtures/, scenarios/default.toml, README.md); TEST keys only",
                    dir.display(),
                    written.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("signsim fixtures export: {e}");
                ExitCode::FAILURE
            }
        },
        None => serve(ServeArgs::parse_from(["serve"])),
    }
}

fn health(args: HealthArgs) -> ExitCode {
    let (url, token) = args.reach.resolve(args.url.clone());
    match signsim::probe::health(&url, token, args.timeout) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signsim health: unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `signsim coverage`: the report in a format, or the verdict of a require file (exit 1 on
/// misses, 2 on a file that names what the report does not have).
fn coverage(args: CoverageArgs) -> ExitCode {
    use signsim::coverage::{format, require};
    let (url, token) = args.reach.resolve(args.url.clone());
    let url = url.as_str();
    let query: Vec<String> = [("tenant", &args.tenant), ("api", &args.api)]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    let report = match signsim::probe::coverage(url, &query.join("&"), token, args.timeout) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("signsim coverage: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shown = args
        .format
        .as_deref()
        .or(args.require.is_none().then_some("text"));
    if let Some(f) = shown {
        match format::render(&report, f) {
            Ok(out) => print!("{out}"),
            Err(e) => {
                eprintln!("signsim coverage: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = args.require else {
        return ExitCode::SUCCESS;
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("signsim coverage: --require {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let reqs = match require::parse(&text, &report) {
        Ok(r) => r,
        Err(problems) => {
            for p in problems {
                eprintln!("signsim coverage: {}: {p}", file.display());
            }
            return ExitCode::from(2);
        }
    };
    let misses = require::misses(&reqs, &report);
    if misses.is_empty() {
        println!(
            "coverage: all {} requirements of {} met ({})",
            reqs.len(),
            file.display(),
            format::headline(&report)
        );
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "coverage: {} of {} requirements of {} not met:",
        misses.len(),
        reqs.len(),
        file.display()
    );
    for m in misses {
        eprintln!("  {m}");
    }
    ExitCode::FAILURE
}

/// A query value, percent-encoded.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn pki_tool(command: PkiCommand) -> ExitCode {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let text = |p: &Path| read(p).map(|b| String::from_utf8_lossy(&b).into_owned());
    let result = match command {
        PkiCommand::Sign {
            key,
            text: t,
            encoding,
        } => text(&key).and_then(|k| signsim::pki::tools::sign_text(&k, &t, &encoding)),
        PkiCommand::Body {
            operation,
            key,
            customercode,
            set,
            csr,
            certificate,
            approver_cert,
            approver_key,
        } => (|| {
            let fields = set
                .iter()
                .map(|kv| {
                    kv.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .ok_or_else(|| format!("--set '{kv}' is not NAME=VALUE"))
                })
                .collect::<Result<Vec<_>, String>>()?;
            let approver = match (approver_cert, approver_key) {
                (Some(c), Some(k)) => Some((text(&c)?, text(&k)?)),
                _ => None,
            };
            let input = signsim::pki::tools::BodyInput {
                customercode,
                fields,
                csr: csr.as_deref().map(read).transpose()?,
                certificate: certificate.as_deref().map(read).transpose()?,
                approver,
                now: None,
            };
            signsim::pki::tools::build_body(&operation, &text(&key)?, &input).map(|v| v.to_string())
        })(),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signsim pki: {e}");
            ExitCode::from(2)
        }
    }
}

impl ServeArgs {
    fn parse_from(args: [&str; 1]) -> ServeArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            args: ServeArgs,
        }
        Wrap::parse_from(args).args
    }
}

fn cms_sign(
    signer: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    input: &Path,
    attached: bool,
) -> ExitCode {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let result = (|| {
        let content = read(input)?;
        let pems = match (cert, key) {
            (Some(c), Some(k)) => Some((
                String::from_utf8_lossy(&read(&c)?).into_owned(),
                String::from_utf8_lossy(&read(&k)?).into_owned(),
            )),
            _ => None,
        };
        signsim::podpishi::signing::cli_sign(
            signer.as_deref(),
            pems,
            &content,
            attached,
            signsim::clock::Clock::system().now(),
        )
    })();
    match result {
        Ok(b64) => {
            println!("{b64}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signsim cms sign: {e}");
            ExitCode::from(2)
        }
    }
}

fn check(file: &Path) -> ExitCode {
    match signsim::app::load_file(file) {
        Ok(s) => {
            println!("{}: scenario '{}' is valid", file.display(), s.name());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            eprintln!("{} problem(s)", problems.len());
            ExitCode::from(1)
        }
    }
}

/// The log filter: `RUST_LOG` when set, else `--log`; a bare word must be a level (a typo
/// such as `loud` is a usage error, not a silent filter for a target named "loud").
fn log_filter(log: &str) -> Result<tracing_subscriber::EnvFilter, String> {
    use tracing_subscriber::EnvFilter;
    if let Ok(env) = std::env::var("RUST_LOG") {
        return EnvFilter::try_new(&env).map_err(|e| format!("RUST_LOG '{env}': {e}"));
    }
    let levels = ["error", "warn", "info", "debug", "trace", "off"];
    if !log.contains(['=', ',', ':']) && !levels.contains(&log.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "--log '{log}' is not a level: use one of {} or filter directives like info,signsim::access=warn",
            levels.join(", ")
        ));
    }
    EnvFilter::try_new(log).map_err(|e| format!("--log '{log}': {e}"))
}

fn init_logging(args: &ServeArgs) -> Result<(), String> {
    use std::io::IsTerminal;
    let filter = log_filter(&args.log)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if args.log_format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
    Ok(())
}

fn serve(args: ServeArgs) -> ExitCode {
    if let Err(e) = init_logging(&args) {
        eprintln!("signsim serve: {e}");
        return ExitCode::from(2);
    }
    let args_coverage_out = args.coverage_out.clone();
    let frozen_clock = match args
        .clock
        .as_deref()
        .map(|c| OffsetDateTime::parse(c, &Rfc3339))
    {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            eprintln!("--clock: not an RFC 3339 instant: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        addr: args.addr,
        scenario: args
            .scenario
            .map(ScenarioSource::File)
            .unwrap_or(ScenarioSource::Embedded),
        data_dir: args.data_dir,
        ready_file: args.ready_file,
        frozen_clock,
        public_url: args.public_url,
        admin_token: args.admin_token,
        admin_open: args.admin_open,
        journal_size: args.journal_size,
        tls: args.tls,
        tls_names: args.tls_names,
        cors: args.cors,
        portability: args
            .portability
            .as_deref()
            .and_then(|p| signsim::portability::Policy::parse(p).ok()),
        journal_bytes: args.journal_bytes,
        limits: signsim::server::Limits {
            max_connections: args.max_connections,
            read_timeout: args.read_timeout,
            idle_timeout: args.idle_timeout,
            shutdown_grace: args.shutdown_grace,
            ..Default::default()
        },
        store: signsim::store::Options {
            min_free: args.min_free,
            cache_bytes: args.store_cache,
            timeout: args.store_timeout,
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let running = match signsim::start(config.clone()).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("signsim: {e}");
                return ExitCode::FAILURE;
            }
        };
        let stop = shutdown_signal();
        println!("{}", running.url);
        let _ = std::io::stdout().flush();
        tracing::info!(
            "signsim {} serving scenario '{}' at {} ({} store{})",
            signsim::LONG_VERSION,
            running.app.scenario_name(),
            running.url,
            if config.data_dir.is_some() {
                "persistent"
            } else {
                "in-memory"
            },
            if running.app.shared.clock.is_frozen() {
                ", frozen clock"
            } else {
                ""
            }
        );
        stop.await;
        tracing::info!("stopping: finishing in-flight requests");
        let app = running.app.clone();
        running.stop().await;
        if let Some(summary) = app.shared.warnings.summary() {
            eprintln!("{summary}");
        }
        write_coverage(&app, args_coverage_out.as_deref())
    })
}

/// `--coverage-out FILE`: the whole coverage report, written once the server has stopped.
fn write_coverage(app: &signsim::app::App, path: Option<&Path>) -> ExitCode {
    let Some(path) = path else {
        return ExitCode::SUCCESS;
    };
    let report = app.shared.coverage.report(&Default::default());
    let json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    match std::fs::write(path, json) {
        Ok(()) => {
            tracing::info!(
                "coverage report written to {} ({} of {} outcomes reached)",
                path.display(),
                report.reached,
                report.total
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signsim: --coverage-out {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when
/// it is first polled: call it before announcing the URL, so a supervisor that signals right
/// after reading it gets a graceful stop, not the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}
