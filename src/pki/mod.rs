//! The PKI RA gateway API (Pendar Kooshk Iman, Iran), as documented in
//! `seeds/pki-ra-api-v1.8.fa.txt` and interpreted by SPEC section 1.
//!
//! - [`ROUTES`] is the route table: one line per upstream method, with its HTTP method, its
//!   failure envelope and its handler in [`endpoints`] (one file per method).
//! - [`Pki::handle`] is the one wrapper every request goes through: method lookup (404/405 in
//!   the API's own shape), content type and body limit, binding ([`wire::Fields`]), the handler,
//!   and the single mapping of [`error::PkiError`] to the wire.
//! - [`World`] is the scenario as the handlers need it (CAs with their signers and profiles,
//!   customers with their keys, the registry); [`state`] holds the stored records.
//!
//! Handlers are synchronous: they read the clock once ([`Ctx::now`]), do their RSA work, and
//! change state in one store transaction. Nothing here knows hyper beyond the request it reads.

pub mod control;
pub mod endpoints;
pub mod error;
pub mod identity;
pub mod keypool;
pub mod report;
pub mod signature;
pub mod state;
pub mod subject;
pub mod tools;
pub mod wire;

use crate::clock::Clock;
use crate::crypto::rsa::PublicKey;
use crate::crypto::x509::CaSigner;
use crate::faults::{Action, Faults};
use crate::journal::Meta;
use crate::scenario::model::{
    CaKind, CaSpec, CustomerSpec, PersonSpec, PkiSpec, PolicySpec, PostalSpec, ProfileSpec,
};
use crate::scenario::PkiMaterial;
use crate::server::{body, router, Request, Response};
use crate::store::Store;
use bytes::Bytes;
use error::{Kind, Overrides, PkiError, Shape};
use http_body_util::Full;
use hyper::{header, Method, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use subject::Template;
use time::OffsetDateTime;
use wire::Fields;

pub type Handler = fn(&mut Ctx<'_>, &Fields) -> Result<Value, PkiError>;

pub struct Route {
    pub name: &'static str,
    pub method: Method,
    pub shape: Shape,
    pub handler: Handler,
}

/// Every method of the API. Names match case-insensitively, as ASP.NET routes do.
pub static ROUTES: std::sync::LazyLock<Vec<Route>> = std::sync::LazyLock::new(|| {
    use endpoints::*;
    let r = |name, method, shape, handler| Route {
        name,
        method,
        shape,
        handler,
    };
    vec![
        r(
            "GetVersion",
            Method::GET,
            Shape::IsSuccess(&["Version"]),
            get_version::handle,
        ),
        r(
            "GetCAList",
            Method::GET,
            Shape::IsSuccess(&["CAList"]),
            get_ca_list::handle,
        ),
        r(
            "GetCAProfileInfo",
            Method::GET,
            Shape::IsSuccess(&["Profile"]),
            get_ca_profile_info::handle,
        ),
        r(
            "IsAvailable",
            Method::GET,
            Shape::IsAvailable,
            is_available::handle,
        ),
        r(
            "RegisterInfo",
            Method::POST,
            Shape::IsSuccess(&["TrackingCode", "Description"]),
            register_info::handle,
        ),
        r(
            "GetTrackingCodeInfo",
            Method::POST,
            Shape::ResultCode,
            get_tracking_code_info::handle,
        ),
        r(
            "IssueCertificateByTrackingCode",
            Method::POST,
            Shape::IsSuccess(&[
                "Certificate",
                "PaymentStatus",
                "Description",
                "CN",
                "IssuerName",
                "ValidFrom",
                "ValidTo",
            ]),
            issue_certificate_by_tracking_code::handle,
        ),
        r(
            "RevokeCertificate",
            Method::POST,
            Shape::IsSuccess(&["Description"]),
            revoke_certificate::handle,
        ),
        r(
            "RequestApprove",
            Method::POST,
            Shape::ResultCode,
            request_approve::handle,
        ),
        r(
            "GetAllCert",
            Method::GET,
            Shape::IsSuccess(&["CertList"]),
            get_all_cert::handle,
        ),
        r(
            "GetAllMobileCert",
            Method::GET,
            Shape::IsSuccess(&["CertList"]),
            get_all_mobile_cert::handle,
        ),
        r(
            "GetUserCertHistory",
            Method::POST,
            Shape::IsSuccess(&["CertList"]),
            get_user_cert_history::handle,
        ),
        r(
            "IssuingReport",
            Method::POST,
            Shape::IsSuccess(&[]),
            issuing_report::handle,
        ),
        r(
            "IsApproved",
            Method::POST,
            Shape::ResultCode,
            is_approved::handle,
        ),
        r(
            "RecievedCertConfirmation",
            Method::POST,
            Shape::IsSuccess(&["Description"]),
            recieved_cert_confirmation::handle,
        ),
        r(
            "GetCredit",
            Method::POST,
            Shape::IsSuccess(&["Credit", "Description"]),
            get_credit::handle,
        ),
    ]
});

/// A CA as the handlers use it.
pub struct Ca {
    pub spec: CaSpec,
    pub signer: CaSigner,
    pub chain_pem: Vec<String>,
    pub available: AtomicBool,
    pub profiles: Vec<Profile>,
}

pub struct Profile {
    pub spec: ProfileSpec,
    pub template: Template,
}

impl Ca {
    pub fn is_government_public(&self) -> bool {
        self.spec.kind == CaKind::GovernmentPublic
    }

    pub fn profile(&self, name: &str) -> Result<&Profile, PkiError> {
        self.profiles
            .iter()
            .find(|p| p.spec.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                PkiError::new(
                    Kind::UnknownProfile,
                    format!(
                        "profileName '{name}' is not a profile of CA '{}'; its profiles are: {}",
                        self.spec.name,
                        self.profiles
                            .iter()
                            .map(|p| p.spec.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn require_available(&self) -> Result<(), PkiError> {
        if self.available.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err(PkiError::new(
                Kind::CaUnavailable,
                format!("CA '{}' is not available right now (IsAvailable is false); nothing was changed — retry later", self.spec.name),
            ))
        }
    }
}

/// An RA officer whose CMS signature approves identities in person.
pub struct Approver {
    pub name: String,
    pub cert_der: Vec<u8>,
}

pub struct Customer {
    pub code: String,
    pub spec: CustomerSpec,
    pub key: PublicKey,
}

/// The scenario's PKI world.
pub struct World {
    pub version: String,
    pub policy: PolicySpec,
    pub first_tracking_code: u64,
    pub cas: Vec<Ca>,
    pub customers: Vec<Customer>,
    pub persons: HashMap<String, PersonSpec>,
    pub postal_codes: Vec<PostalSpec>,
    pub overrides: Overrides,
    pub approvers: Vec<Approver>,
    pub get_all_cert_latency_ms: u64,
    pub replay_window_seconds: u64,
    pub p12_key_pool: usize,
    /// Bumped whenever something GET answers depend on changes (CA availability).
    pub generation: std::sync::atomic::AtomicU64,
}

impl World {
    pub fn build(
        spec: &PkiSpec,
        material: PkiMaterial,
        policy: &PolicySpec,
    ) -> Result<World, String> {
        let mut cas = Vec::new();
        for (ca, m) in spec.cas.iter().zip(material.cas) {
            let profiles = ca
                .profiles
                .iter()
                .map(|p| {
                    Ok(Profile {
                        spec: p.clone(),
                        template: Template::parse(&p.subject_dn)?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            cas.push(Ca {
                spec: ca.clone(),
                available: AtomicBool::new(ca.available),
                signer: m.signer,
                chain_pem: m.chain_pem,
                profiles,
            });
        }
        Ok(World {
            version: spec.version.clone(),
            policy: policy.clone(),
            first_tracking_code: spec.first_tracking_code,
            cas,
            customers: spec
                .customers
                .iter()
                .zip(material.customer_keys)
                .map(|(c, key)| Customer {
                    code: c.code.clone(),
                    spec: c.clone(),
                    key,
                })
                .collect(),
            approvers: spec
                .approvers
                .iter()
                .zip(material.approver_certs)
                .map(|(a, der)| Approver {
                    name: a.name.clone(),
                    cert_der: der,
                })
                .collect(),
            get_all_cert_latency_ms: spec.get_all_cert_latency_ms,
            replay_window_seconds: spec.replay_window_seconds,
            p12_key_pool: spec.p12_key_pool,
            persons: spec
                .registry
                .persons
                .iter()
                .map(|p| (p.national_code.clone(), p.clone()))
                .collect(),
            postal_codes: spec.registry.postal_codes.clone(),
            overrides: spec
                .errors
                .iter()
                .map(|(k, v)| (k.clone(), (v.code, v.message.clone())))
                .collect(),
            generation: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Switches a CA on or off (admin, scenario events); GET answers reflect it at once.
    pub fn set_available(&self, ca: &str, up: bool) -> Result<(), PkiError> {
        self.ca(ca)?.available.store(up, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    pub fn ca(&self, name: &str) -> Result<&Ca, PkiError> {
        self.cas
            .iter()
            .find(|c| c.spec.name == name)
            .ok_or_else(|| {
                PkiError::new(
                    Kind::UnknownCa,
                    format!(
                        "caName '{name}' is not a CA of this service; the CAs are: {}",
                        self.cas
                            .iter()
                            .map(|c| c.spec.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn customer(&self, code: &str) -> Result<&Customer, PkiError> {
        self.customers.iter().find(|c| c.code == code).ok_or_else(|| {
            PkiError::new(
                Kind::UnknownCustomer,
                format!("customer code '{code}' is not known to this service (the scenario defines {} customers)", self.customers.len()),
            )
        })
    }
}

/// Everything a handler may use for one request.
pub struct Ctx<'a> {
    pub world: &'a World,
    pub store: &'a Store,
    pub now: OffsetDateTime,
    pub base_url: &'a str,
    pub keys: &'a keypool::KeyPool,
    pub replays: &'a Mutex<HashMap<(String, String), OffsetDateTime>>,
    /// How the request was judged, for the journal and the log.
    pub diag: Vec<String>,
    /// The tracking code the request touched, when the request itself does not name it.
    pub record: Option<String>,
}

impl<'a> Ctx<'a> {
    /// The customer of a POST body (`customercode` = `Code-License`), license checked.
    pub fn customer_post(&self, f: &Fields) -> Result<&'a Customer, PkiError> {
        let (code, license) = wire::split_customercode(f, "customercode")?;
        let c = self.world.customer(&code)?;
        if c.spec.license != license {
            return Err(PkiError::new(
                Kind::LicenseMismatch,
                format!("customercode '{code}-{license}': license number '{license}' is not customer {code}'s"),
            ));
        }
        Ok(c)
    }

    /// The customer named by a bare code (query strings, reports).
    pub fn customer_bare(&self, f: &Fields, name: &str) -> Result<&'a Customer, PkiError> {
        let code = f.str(name)?;
        let code = code.split('-').next().unwrap_or(&code).to_string();
        self.world.customer(&code)
    }

    /// A CA the customer may use.
    pub fn ca_for(&self, customer: &Customer, name: &str) -> Result<&'a Ca, PkiError> {
        let ca = self.world.ca(name)?;
        if !customer.spec.cas.iter().any(|c| c == name) {
            return Err(PkiError::new(
                Kind::CaNotAllowed,
                format!(
                    "customer {} may not use CA '{name}'; its CAs are: {}",
                    customer.code,
                    customer.spec.cas.join(", ")
                ),
            ));
        }
        Ok(ca)
    }

    pub fn verify(
        &mut self,
        customer: &Customer,
        sig: &str,
        signed: signature::Signed<'_>,
    ) -> Result<(), PkiError> {
        let line = signature::verify(
            self.world.policy.signature,
            customer,
            &self.world.customers,
            sig,
            &signed,
        )?;
        self.diag.push(line);
        Ok(())
    }

    /// A tracking record that belongs to `customer`.
    pub fn tracking(&self, code: &str, customer: &str) -> Result<state::TrackingRecord, PkiError> {
        let rec: state::TrackingRecord = self
            .store
            .get(
                crate::store::Table::PkiTracking,
                &state::keys::tracking(code),
            )?
            .ok_or_else(|| {
                PkiError::new(
                    Kind::TrackingCodeUnknown,
                    format!("tracking code '{code}' does not exist"),
                )
            })?;
        if rec.customer != customer {
            return Err(PkiError::new(
                Kind::NotOwner,
                format!("tracking code {code} was registered by another customer; customer {customer} can not use it"),
            ));
        }
        Ok(rec)
    }

    /// Records a report nonce; refuses one seen from the same customer within the window.
    pub fn remember_rnd(&self, customer: &str, rnd: &str) -> Result<(), PkiError> {
        let window = time::Duration::seconds(self.world.replay_window_seconds as i64);
        let mut seen = crate::sync::lock(&self.replays);
        let now = self.now;
        if let Some(at) = seen.get(&(customer.to_string(), rnd.to_string())) {
            if now - *at < window {
                return Err(PkiError::new(
                    Kind::ReplayedRequest,
                    format!(
                        "rnd '{rnd}' was already used by customer {customer} at {} (within pki.replay_window_seconds = {}): send a new random string with every call",
                        crate::clock::wire_time(*at),
                        window.whole_seconds()
                    ),
                ));
            }
        }
        if seen.len() > 100_000 {
            seen.retain(|_, at| now - *at < window);
        }
        seen.insert((customer.to_string(), rnd.to_string()), now);
        Ok(())
    }

    /// A tracking record of `customer` that must also belong to `national_code`.
    pub fn tracking_of(
        &self,
        code: &str,
        customer: &str,
        national_code: &str,
    ) -> Result<state::TrackingRecord, PkiError> {
        let rec = self.tracking(code.trim(), customer)?;
        if rec.person.national_code != national_code.trim() {
            return Err(PkiError::new(
                Kind::TrackingCodeMismatch,
                format!(
                    "tracking code {} was registered for another national code than '{}'",
                    rec.code,
                    national_code.trim()
                ),
            ));
        }
        Ok(rec)
    }

    pub fn crl_url(&self, ca: &str) -> String {
        format!("{}/crl/{}.crl", self.base_url, ca)
    }
}

/// The PKI API: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Pki {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    world: RwLock<Arc<World>>,
    base_url: String,
    crl_cache: Mutex<HashMap<String, CachedCrl>>,
    keys: keypool::KeyPool,
    faults: Arc<Faults>,
    /// GetUserCertHistory `rnd` values seen: (customer, rnd) → when.
    replays: Mutex<HashMap<(String, String), OffsetDateTime>>,
    get_cache: RwLock<HashMap<(&'static str, String), CachedGet>>,
}

/// (world generation, HTTP status, body, success) of a GET answer.
type CachedGet = (u64, u16, Bytes, bool);

struct CachedCrl {
    revoked: usize,
    hour: i64,
    der: Bytes,
}

impl Pki {
    pub fn new(
        store: Store,
        clock: Clock,
        world: World,
        base_url: String,
        faults: Arc<Faults>,
    ) -> Result<Pki, PkiError> {
        let keys = keypool::KeyPool::new(world.p12_key_pool);
        let pki = Pki {
            inner: Arc::new(Inner {
                store,
                clock,
                world: RwLock::new(Arc::new(world)),
                base_url,
                crl_cache: Mutex::new(HashMap::new()),
                keys,
                faults,
                replays: Mutex::new(HashMap::new()),
                get_cache: RwLock::new(HashMap::new()),
            }),
        };
        pki.seed()?;
        Ok(pki)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    pub fn world(&self) -> Arc<World> {
        crate::sync::read(&self.inner.world)
            .clone()
    }

    /// Puts the scenario's starting balances in the store for customers that have none yet
    /// (a data directory keeps balances across restarts).
    fn seed(&self) -> Result<(), PkiError> {
        let world = self.world();
        self.inner.store.write::<_, PkiError>(|tx| {
            for c in &world.customers {
                let key = state::keys::customer(&c.code);
                if tx
                    .get::<state::CustomerState, _>(crate::store::Table::PkiCustomers, &key)?
                    .is_none()
                {
                    tx.put(
                        crate::store::Table::PkiCustomers,
                        &key,
                        &state::CustomerState {
                            credit: c.spec.credit,
                        },
                    )?;
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Serves `/api/{Method}` and `/crl/{ca}.crl`.
    pub async fn handle(&self, req: Request) -> Response {
        let world = self.world();
        let path = req.uri().path().to_string();
        if let Some(rest) = path.strip_prefix("/crl/") {
            return self.crl(&world, req.method(), rest);
        }
        let name = path.trim_start_matches("/api/").trim_end_matches('/');
        let Some(route) = ROUTES.iter().find(|r| r.name.eq_ignore_ascii_case(name)) else {
            let e = PkiError::new(Kind::UnknownMethod, unknown_method_message(name));
            return with_meta(
                reply(Err(e), Shape::IsSuccess(&[]), &world.overrides),
                meta(name, Some(false)),
            );
        };
        if *req.method() != route.method
            && !(route.method == Method::GET && *req.method() == Method::HEAD)
        {
            let e = PkiError::new(
                Kind::MethodNotAllowed,
                format!(
                    "{} is called with {}, not {}",
                    route.name,
                    route.method,
                    req.method()
                ),
            );
            let mut resp = reply(Err(e), route.shape, &world.overrides);
            if let Ok(v) = header::HeaderValue::from_str(route.method.as_str()) {
                resp.headers_mut().insert(header::ALLOW, v);
            }
            return with_meta(resp, meta(route.name, Some(false)));
        }
        let faults_armed = self.inner.faults.armed();
        // GET answers depend only on the world and CA availability: serve them from a cache
        // keyed by the query and invalidated by the world's generation (plain reads at speed).
        let cache_key = CACHEABLE
            .contains(&route.name)
            .then(|| (route.name, req.uri().query().unwrap_or("").to_string()));
        let generation = world.generation.load(Ordering::Acquire);
        if let (Some(key), false) = (&cache_key, faults_armed) {
            let cache = crate::sync::read(&self.inner.get_cache);
            if let Some((g, status, bytes, ok)) = cache.get(key) {
                if *g == generation {
                    let mut m = meta(route.name, Some(*ok));
                    // The cheapest summary that still shows the fields: the query as sent.
                    m.request = Value::String(req.uri().query().unwrap_or("").to_string());
                    return with_meta(respond(*status, bytes.clone()), m);
                }
            }
        }
        let fields = if route.method == Method::GET {
            Ok(Fields::from_query(router::query_pairs(req.uri().query())))
        } else {
            self.read_json(req, &world).await
        };
        let mut m = meta(route.name, None);
        // Faults apply to malformed requests too (a field rule just can not match them).
        let fault = match (&fields, faults_armed) {
            (Ok(f), true) => self
                .inner
                .faults
                .decide("pki", route.name, &|name| f.lookup(name)),
            (Err(_), true) => self.inner.faults.decide("pki", route.name, &|_| None),
            _ => None,
        };
        if let Some(d) = &fault {
            m.diagnostics.push(format!("fault {}", d.describe()));
            match &d.action {
                Action::Delay { .. } => {
                    tokio::time::sleep(std::time::Duration::from_millis(d.delay_ms)).await
                }
                Action::Error { code, message } => {
                    m.success = Some(false);
                    m.request = fields.as_ref().map(Fields::to_json).unwrap_or_default();
                    let resp = reply(
                        Err(PkiError::injected(*code, message)),
                        route.shape,
                        &world.overrides,
                    );
                    return with_meta(resp, m);
                }
                Action::Status { status, body } => {
                    m.success = Some(false);
                    let mut resp = respond(*status, Bytes::from(body.clone().unwrap_or_default()));
                    *resp.status_mut() =
                        StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
                    return with_meta(resp, m);
                }
                Action::Reset | Action::Empty => {
                    let mut resp = respond(200, Bytes::new());
                    resp.extensions_mut().insert(if d.action == Action::Reset {
                        crate::server::ConnectionFault::Reset
                    } else {
                        crate::server::ConnectionFault::Close
                    });
                    return with_meta(resp, m);
                }
                Action::Truncate | Action::Malformed => {}
            }
        }
        if route.name == "GetAllCert" && world.get_all_cert_latency_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(
                world.get_all_cert_latency_ms,
            ))
            .await;
        }
        if let Ok(f) = &fields {
            m.request = f.to_json();
            m.diagnostics.extend(f.case_bindings());
        }
        let result = fields.and_then(|f| {
            let mut ctx = Ctx {
                world: &world,
                store: &self.inner.store,
                now: self.inner.clock.now(),
                base_url: &self.inner.base_url,
                keys: &self.inner.keys,
                replays: &self.inner.replays,
                diag: Vec::new(),
                record: None,
            };
            let r = (route.handler)(&mut ctx, &f);
            m.diagnostics.append(&mut ctx.diag);
            m.record = ctx
                .record
                .take()
                .or_else(|| f.lookup("trackingCode").filter(|s| !s.is_empty()));
            r
        });
        match &result {
            Ok(v) => {
                if let Some(code) = v.get("TrackingCode").and_then(Value::as_str) {
                    m.record = Some(code.to_string());
                }
            }
            Err(e) => {
                tracing::info!(
                    method = route.name,
                    code = e.kind.code(),
                    "refused: {}",
                    e.message
                );
                m.diagnostics
                    .push(format!("refused: {} ({})", e.kind.name(), e.kind.code()));
            }
        }
        let ok = result.is_ok();
        m.success = Some(ok);
        let (status, bytes) = encode(result, route.shape, &world.overrides);
        if let (Some(key), None) = (cache_key, &fault) {
            let mut cache = crate::sync::write(&self.inner.get_cache);
            if cache.len() >= GET_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, (generation, status, bytes.clone(), ok));
        }
        let bytes = match fault.map(|d| d.action) {
            Some(Action::Truncate) => bytes.slice(..bytes.len() / 2),
            Some(Action::Malformed) => Bytes::from_static(MALFORMED),
            _ => bytes,
        };
        with_meta(respond(status, bytes), m)
    }

    async fn read_json(&self, req: Request, world: &World) -> Result<Fields, PkiError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !ct.contains("json") {
            return Err(PkiError::new(
                Kind::UnsupportedMediaType,
                if ct.is_empty() {
                    "the request has no Content-Type; send the JSON body with Content-Type: application/json".to_string()
                } else {
                    format!("Content-Type is '{ct}'; the service reads JSON bodies only: send Content-Type: application/json")
                },
            ));
        }
        let limit = world.policy.pki_max_body_bytes;
        match body::read_limited(req, limit).await {
            Ok((_, bytes)) => Fields::from_json(&bytes),
            Err(body::BodyError::TooLarge { limit }) => Err(PkiError::new(
                Kind::BodyTooLarge,
                format!("the request body is over {limit} bytes (policy.pki_max_body_bytes)"),
            )),
            Err(body::BodyError::Read(e)) => Err(PkiError::new(
                Kind::MalformedBody,
                format!("the request body could not be read: {e}"),
            )),
        }
    }

    fn crl(&self, world: &World, method: &Method, rest: &str) -> Response {
        let ca_name = router::percent_decode(rest.strip_suffix(".crl").unwrap_or(rest));
        if *method != Method::GET && *method != Method::HEAD {
            let e = PkiError::new(
                Kind::MethodNotAllowed,
                format!("CRLs are fetched with GET, not {method}"),
            );
            return reply(Err(e), Shape::IsSuccess(&[]), &world.overrides);
        }
        let ca = match world.ca(&ca_name) {
            Ok(ca) if rest.ends_with(".crl") => ca,
            Ok(_) => {
                let e = PkiError::new(
                    Kind::UnknownMethod,
                    format!("CRLs are at /crl/{ca_name}.crl"),
                );
                return reply(Err(e), Shape::IsSuccess(&[]), &world.overrides);
            }
            Err(e) => {
                // A CRL is a file, not a method: an unknown CA is a missing file (404), with
                // the API's error body saying which CAs exist.
                let mut resp = reply(Err(e), Shape::IsSuccess(&[]), &world.overrides);
                *resp.status_mut() = StatusCode::NOT_FOUND;
                return resp;
            }
        };
        match self.crl_der(ca) {
            Ok(der) => hyper::Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/pkix-crl")
                .body(Full::new(der))
                .unwrap_or_default(),
            Err(e) => reply(Err(e), Shape::IsSuccess(&[]), &world.overrides),
        }
    }

    /// The CA's current CRL. It is re-signed when a revocation is added or the hour changes
    /// (thisUpdate is the start of the current hour, nextUpdate a day later).
    pub fn crl_der(&self, ca: &Ca) -> Result<Bytes, PkiError> {
        let name = &ca.spec.name;
        let store = &self.inner.store;
        let keys = store.scan_prefix::<state::CertRecord>(
            crate::store::Table::PkiRevoked,
            &state::keys::revoked_prefix(name),
            usize::MAX,
        )?;
        let now = self.inner.clock.now();
        let hour = now.unix_timestamp().div_euclid(3600);
        let mut cache = crate::sync::lock(&self.inner.crl_cache);
        if let Some(c) = cache.get(name) {
            if c.revoked == keys.len() && c.hour == hour {
                return Ok(c.der.clone());
            }
        }
        let revoked: Vec<crate::crypto::x509::Revoked> = keys
            .iter()
            .map(|(_, r)| crate::crypto::x509::Revoked {
                serial: r.serial,
                at: r.revoked_at.unwrap_or(now),
                reason: r.revoke_reason.unwrap_or(0),
            })
            .collect();
        let this_update = OffsetDateTime::from_unix_timestamp(hour * 3600).unwrap_or(now);
        let der = crate::crypto::x509::make_crl(
            &ca.signer,
            &revoked,
            revoked.len() as u64 + 1,
            this_update,
        )
        .map_err(|e| PkiError::internal("signing the CRL", e))?;
        let der = Bytes::from(der);
        cache.insert(
            name.clone(),
            CachedCrl {
                revoked: keys.len(),
                hour,
                der: der.clone(),
            },
        );
        Ok(der)
    }
}

fn unknown_method_message(name: &str) -> String {
    if name.eq_ignore_ascii_case("ReceivedCertConfirmation") {
        return "there is no method ReceivedCertConfirmation: the upstream spells it RecievedCertConfirmation (sic), call /api/RecievedCertConfirmation".into();
    }
    let names: Vec<&str> = ROUTES.iter().map(|r| r.name).collect();
    let closest = names
        .iter()
        .min_by_key(|n| edit_distance(&n.to_lowercase(), &name.to_lowercase()))
        .filter(|n| edit_distance(&n.to_lowercase(), &name.to_lowercase()) <= 3);
    match closest {
        Some(c) => format!(
            "there is no method '{name}' under /api/; did you mean {c}? The methods are: {}",
            names.join(", ")
        ),
        None => format!(
            "there is no method '{name}' under /api/; the methods are: {}",
            names.join(", ")
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + (ca != *cb) as usize)
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The one place a PKI answer becomes HTTP.
fn reply(result: Result<Value, PkiError>, shape: Shape, overrides: &Overrides) -> Response {
    let (status, bytes) = encode(result, shape, overrides);
    respond(status, bytes)
}

fn encode(result: Result<Value, PkiError>, shape: Shape, overrides: &Overrides) -> (u16, Bytes) {
    let (status, body) = match result {
        Ok(v) => (200, v),
        Err(e) => e.into_body(shape, overrides),
    };
    (
        status,
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    )
}

/// What a `malformed` fault sends: a proxy's error page where JSON was expected.
const MALFORMED: &[u8] = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

fn meta(operation: &str, success: Option<bool>) -> Meta {
    Meta {
        api: "pki",
        operation: operation.to_string(),
        success,
        ..Meta::default()
    }
}

fn with_meta(mut resp: Response, meta: Meta) -> Response {
    resp.extensions_mut().insert(meta);
    resp
}

fn respond(status: u16, bytes: Bytes) -> Response {
    let mut resp = hyper::Response::new(Full::new(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// Methods whose answer depends only on the world (scenario + CA availability), not on
/// stored state: safe to cache until the world's generation changes.
const CACHEABLE: [&str; 4] = ["GetVersion", "GetCAList", "GetCAProfileInfo", "IsAvailable"];

/// Distinct GET queries remembered; the cache is emptied when full (random queries can't grow it).
const GET_CACHE_ENTRIES: usize = 1024;
