//! The scenario file format, as serde types.
//!
//! Every table refuses unknown keys (`deny_unknown_fields`), so a typo is an error with its
//! line rather than a silently ignored setting. Defaults are the values docs/scenarios.md documents.
//! Paths are relative to the fixtures directory (see [`ScenarioFile::fixtures`]).

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `"default"`: the default world with this file's keys on top (see `load::parse_text`).
    #[serde(default)]
    pub extends: Option<String>,
    pub scenario: Meta,
    /// Directory that key and certificate paths are relative to, itself relative to the
    /// scenario file. Default `../fixtures` (the repository layout); `"embedded"`: the
    /// fixture files built into the binary, wherever the scenario file is.
    #[serde(default)]
    pub fixtures: Option<String>,
    #[serde(default)]
    pub clock: ClockSpec,
    #[serde(default)]
    pub policy: PolicySpec,
    #[serde(default)]
    pub pki: Option<PkiSpec>,
    /// Fault rules active from the start (off unless listed; see `faults.rs`).
    #[serde(default)]
    pub faults: Vec<crate::faults::FaultRule>,
    /// Scheduled events, relative to the clock's start.
    #[serde(default)]
    pub events: Vec<crate::events::EventSpec>,
    /// Reactions to requests.
    #[serde(default)]
    pub reactions: Vec<crate::events::ReactionSpec>,
    #[serde(default)]
    pub podpishi: Option<PodpishiSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// RFC 3339 instant the clock starts at; without it, real time.
    #[serde(default)]
    pub start: Option<String>,
    /// Stay at `start` until moved (tests); otherwise tick from `start`.
    #[serde(default)]
    pub frozen: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SignaturePolicy {
    /// Only the documented byte form of each signed field.
    Strict,
    /// The documented form, and for the fields the document leaves ambiguous the other
    /// plausible forms too.
    #[default]
    Lenient,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    #[serde(default)]
    pub signature: SignaturePolicy,
    /// What to do with an acceptance production may not share (docs/portability.md); `--portability` overrides it.
    #[serde(default)]
    pub portability: crate::portability::Policy,
    /// Smallest RSA key a CSR may carry.
    #[serde(default = "default_min_csr_bits")]
    pub min_csr_key_bits: usize,
    /// Largest request body the PKI API accepts.
    #[serde(default = "default_pki_body")]
    pub pki_max_body_bytes: usize,
}

impl Default for PolicySpec {
    fn default() -> Self {
        PolicySpec {
            signature: SignaturePolicy::default(),
            portability: Default::default(),
            min_csr_key_bits: default_min_csr_bits(),
            pki_max_body_bytes: default_pki_body(),
        }
    }
}

fn default_min_csr_bits() -> usize {
    2048
}
fn default_pki_body() -> usize {
    1024 * 1024
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PkiSpec {
    /// What `GetVersion` answers.
    #[serde(default = "default_version")]
    pub version: String,
    /// The first tracking code handed out.
    #[serde(default = "default_first_tracking")]
    pub first_tracking_code: u64,
    #[serde(default)]
    pub cas: Vec<CaSpec>,
    #[serde(default)]
    pub customers: Vec<CustomerSpec>,
    #[serde(default)]
    pub registry: RegistrySpec,
    /// RA officers whose CMS signatures approve identities in person (RequestApprove).
    #[serde(default)]
    pub approvers: Vec<ApproverSpec>,
    /// Delay before GetAllCert answers (the upstream asks every CA and is slow), milliseconds.
    #[serde(default)]
    pub get_all_cert_latency_ms: u64,
    /// A GetUserCertHistory `rnd` reused by the same customer within this many seconds (from
    /// its first use) is warned `rnd-repeated` (refused under `portability = "refuse"`).
    #[serde(default = "default_replay_window")]
    pub replay_window_seconds: u64,
    /// RSA keys generated ahead for P12 tokens (0 generates on demand).
    #[serde(default = "default_key_pool")]
    pub p12_key_pool: usize,
    /// Error code/message overrides by error kind (see docs/errors.md).
    #[serde(default)]
    pub errors: BTreeMap<String, ErrorOverride>,
}

fn default_replay_window() -> u64 {
    600
}
fn default_key_pool() -> usize {
    16
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverSpec {
    /// The `approver` value of RequestApprove.
    pub name: String,
    /// The approver's certificate; it must chain to one of the scenario's CAs or their chains.
    pub cert: String,
}

fn default_version() -> String {
    "1.8".into()
}
fn default_first_tracking() -> u64 {
    1_000_001
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaKind {
    /// An ordinary intermediate: tracking codes are idempotent per subject DN.
    Private,
    /// The government public CA: a new tracking code every time, postal code, city and
    /// province mandatory.
    GovernmentPublic,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaSpec {
    /// `caName` on the wire, e.g. "01".
    pub name: String,
    #[serde(default)]
    pub title: String,
    pub kind: CaKind,
    pub cert: String,
    pub key: String,
    /// Issuer certificates above this CA, nearest first (ends at the root).
    #[serde(default)]
    pub chain: Vec<String>,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default)]
    pub description: String,
    /// Certificate policy OIDs put in every certificate (assurance level).
    #[serde(default)]
    pub policy_oids: Vec<String>,
    #[serde(default)]
    pub profiles: Vec<ProfileSpec>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    pub name: String,
    #[serde(default)]
    pub price: u64,
    #[serde(default)]
    pub face_auth: bool,
    #[serde(default = "default_input_type")]
    pub input_type: String,
    #[serde(default)]
    pub approval: bool,
    #[serde(default)]
    pub product_id: u64,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_token_types")]
    pub token_types: Vec<String>,
    #[serde(default = "default_validity")]
    pub validity_days: u32,
    /// `natural-person`, `legal-person`, or a template such as
    /// `CN={EnName} {EnLastName} [Sign],serialNumber={NationalCode},C=IR` (first RDN last,
    /// as Windows shows it).
    #[serde(default = "default_dn")]
    pub subject_dn: String,
    /// Extra extended key usage OIDs in issued certificates.
    #[serde(default)]
    pub extra_ekus: Vec<String>,
}

fn default_input_type() -> String {
    "manually".into()
}
fn default_token_types() -> Vec<String> {
    vec!["USERGENERATED".into(), "P12".into()]
}
fn default_validity() -> u32 {
    365
}
fn default_dn() -> String {
    "natural-person".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerSpec {
    /// The company's 11-digit legal national ID.
    pub code: String,
    /// `LisenceNumber` (sic): the second half of `customercode` in POST bodies.
    pub license: String,
    #[serde(default)]
    pub name: String,
    /// Path to the public key (PEM SPKI, PEM PKCS#1 or .NET `<RSAKeyValue>`), or the key itself.
    pub public_key: String,
    pub report_key: String,
    /// CA names this customer may use.
    pub cas: Vec<String>,
    /// Starting credit, in the currency of profile prices (Rials).
    #[serde(default)]
    pub credit: i64,
    #[serde(default)]
    pub checks: ChecksSpec,
    /// The customer uses the provider's own face authentication: remote RequestApprove
    /// must carry its `orderId`.
    #[serde(default)]
    pub provider_face_auth: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksSpec {
    /// Civil registry (ثبت احوال): the person exists and the given data matches.
    #[serde(default)]
    pub registry: bool,
    /// Shahkar: the mobile number belongs to the national code.
    #[serde(default)]
    pub shahkar: bool,
    /// The postal code is a known one.
    #[serde(default)]
    pub postal_code: bool,
    /// Names may be omitted and are looked up in the registry, at `lookup_price` extra.
    #[serde(default)]
    pub name_lookup: bool,
    #[serde(default)]
    pub lookup_price: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySpec {
    #[serde(default)]
    pub persons: Vec<PersonSpec>,
    #[serde(default)]
    pub postal_codes: Vec<PostalSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonSpec {
    pub national_code: String,
    pub name: String,
    pub last_name: String,
    #[serde(default)]
    pub en_name: String,
    #[serde(default)]
    pub en_last_name: String,
    #[serde(default)]
    pub father_name: String,
    /// `yyyy/mm/dd`, Gregorian or Solar Hijri.
    pub birth_date: String,
    #[serde(default)]
    pub birth_certificate_id: String,
    #[serde(default = "yes")]
    pub is_man: bool,
    /// Mobile numbers Shahkar ties to this national code.
    #[serde(default)]
    pub mobiles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalSpec {
    pub code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub province: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorOverride {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

// ── Podpishi.Online ──────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum UnverifiablePolicy {
    /// Store the signature, fill the signer fields from its certificate, flag it in the log.
    #[default]
    AcceptAndFlag,
    /// Refuse it with an error naming the algorithm.
    Refuse,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodpishiSpec {
    /// Service-local zone of `YYYYMMDDhhmmss` times: `Asia/Almaty`, `UTC` or `UTC+05:00`.
    #[serde(default = "default_zone")]
    pub zone: String,
    /// What to do with a signature in an algorithm signsim cannot verify (GOST).
    #[serde(default)]
    pub unverifiable_algorithm: UnverifiablePolicy,
    /// A command whose `<time>` is further than this from now is refused; 0 = no check.
    #[serde(default)]
    pub stale_time_seconds: u64,
    /// Largest upload (`/api.php`) body.
    #[serde(default = "default_upload_body")]
    pub max_upload_bytes: usize,
    /// Largest command (`/apistatus.php`) body.
    #[serde(default = "default_command_body")]
    pub max_command_bytes: usize,
    /// Check the IIN/BIN check digit of `owner_bin`, `receiver_bin`, `bin2client` and
    /// `client_bin`: a wrong one is the portability warning `bin-check-digit` (the document
    /// states no check-digit rule); false skips the check.
    #[serde(default = "yes")]
    pub check_digits: bool,
    /// The first document number (`num`) handed out.
    #[serde(default = "default_first_doc")]
    pub first_document_number: u64,
    /// The first `serviceid` of a client registered by a partner.
    #[serde(default = "default_first_serviceid")]
    pub first_service_id: u64,
    /// How long an `authuserbypartner` session opens the cabinet.
    #[serde(default = "default_session")]
    pub session_seconds: u64,
    /// Root certificates signer certificates must chain to (paths under fixtures).
    #[serde(default)]
    pub trusted_roots: Vec<String>,
    /// The signer (from `signers`) that signs the service's invoices.
    pub service_signer: String,
    #[serde(default)]
    pub accounts: Vec<PodAccountSpec>,
    #[serde(default)]
    pub tariffs: Vec<TariffSpec>,
    #[serde(default)]
    pub signers: Vec<SignerSpec>,
}

fn default_zone() -> String {
    "Asia/Almaty".into()
}
fn default_upload_body() -> usize {
    20 * 1024 * 1024
}
fn default_command_body() -> usize {
    8 * 1024 * 1024
}
fn default_first_doc() -> u64 {
    1001
}
fn default_first_serviceid() -> u64 {
    5001
}
fn default_session() -> u64 {
    3600
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodAccountSpec {
    /// The login (an email, at most 30 characters).
    pub login: String,
    /// 32 characters.
    pub apikey: String,
    /// Company templates ("шаблон ЭЦП"): BINs or IINs; the first is the default `owner_bin`.
    pub bins: Vec<String>,
    /// Documents available to upload (`getavailabledocs`).
    #[serde(default)]
    pub balance: i64,
    /// A partner may use the partner commands.
    #[serde(default)]
    pub partner: bool,
    #[serde(default)]
    pub blocked: bool,
    /// `serviceid` of this account (default: its position from `first_service_id - 1000`).
    #[serde(default)]
    pub service_id: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffSpec {
    /// `<tarif>` number.
    pub id: u64,
    pub name: String,
    /// Documents the plan adds.
    pub counts: i64,
    /// Price in tenge.
    pub price: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerSpec {
    /// The name tests use (`signer` of the admin sign endpoint, `--signer` of the CLI).
    pub name: String,
    pub cert: String,
    pub key: String,
}
