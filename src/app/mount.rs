//! The routing table — one lookup decides the API and its route — and what the app answers
//! itself: CORS preflights under `--cors`, the way to the dashboard, and the 404 for a path no
//! API owns.

use super::App;
use crate::admin::route::AdminRoute;
use crate::admin::Admin;
use crate::journal::Meta;
use crate::pipeline::{self, Answer, Routed};
use crate::server::router::{Match, Router};
use crate::server::{Request, Response, Service};
use crate::{admin, pki, podpishi};
use hyper::Method;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

/// A route of one API: an entry of the table.
#[derive(Clone, Copy)]
enum Entry {
    Pki(&'static pki::routes::Route),
    Podpishi(podpishi::routes::Route),
    Admin(&'static AdminRoute),
}

/// Which API owns a path that none of its routes serves.
#[derive(Clone, Copy)]
enum Owner {
    Pki,
    Podpishi,
    Admin,
}

/// Every API's routes and mount points, in one table built once: each API states its own paths.
static TABLE: LazyLock<Router<Entry, Owner>> = LazyLock::new(|| {
    let table = Router::with_mounts(false);
    let table = pki::routes::paths(table, Entry::Pki, Owner::Pki);
    let table = podpishi::routes::paths(table, Entry::Podpishi, Owner::Podpishi);
    admin::routes::paths(table, Entry::Admin, Owner::Admin)
});

/// Builds the table now (at start), so that no request waits for it.
pub(super) fn build_table() {
    LazyLock::force(&TABLE);
}

/// Where one lookup sends a request.
enum Target {
    Pki(Routed<&'static pki::routes::Route>),
    Podpishi(Routed<podpishi::routes::Route>),
    Admin(Routed<&'static AdminRoute>),
    /// `GET /`, `/__admin` and `/__admin/`.
    Dashboard,
    /// A path no API owns.
    Nothing,
}

fn lookup(method: &Method, path: &str) -> Target {
    match TABLE.find(method, path) {
        Match::Found { handler, params } => match *handler {
            Entry::Pki(route) => Target::Pki(Routed::Found(route, params)),
            Entry::Podpishi(route) => Target::Podpishi(Routed::Found(route, params)),
            Entry::Admin(route) => Target::Admin(Routed::Found(route, params)),
        },
        // What people type for the dashboard; the control API's refusals of other methods
        // stay its own.
        Match::Mounted {
            owner: Owner::Admin,
            ..
        } if *method == Method::GET && matches!(path, "/__admin" | "/__admin/") => {
            Target::Dashboard
        }
        Match::Mounted { owner, allowed } => match owner {
            Owner::Pki => Target::Pki(Routed::Missed(allowed)),
            Owner::Podpishi => Target::Podpishi(Routed::Missed(allowed)),
            Owner::Admin => Target::Admin(Routed::Missed(allowed)),
        },
        _ if *method == Method::GET && path == "/" => Target::Dashboard,
        Match::MethodNotAllowed(_) | Match::NotFound => Target::Nothing,
    }
}

/// The service: scheduled actions that are due, then the owning API's pipeline.
/// One async layer above the API's pipeline (its future is moved whole a few times a
/// request, and each layer keeps its request twice).
impl Service for App {
    async fn call(self: Arc<Self>, req: Request, peer: SocketAddr) -> Response {
        self.run_due();
        let target = lookup(req.method(), req.uri().path());
        let cors = match target {
            Target::Pki(_) if self.config.cors => Some("pki"),
            Target::Podpishi(_) if self.config.cors => Some("podpishi"),
            _ => None,
        };
        let resp = match cors {
            Some(api)
                if req.method() == Method::OPTIONS
                    && req.headers().contains_key("access-control-request-method") =>
            {
                preflight(&self, req, api)
            }
            Some(_) => {
                let mut resp = route(&self, target, req, peer).await;
                allow_origin(resp.headers_mut());
                resp
            }
            None => route(&self, target, req, peer).await,
        };
        self.run_due();
        resp
    }
}

/// `--cors`: any origin may call the APIs from a browser (not the control API, which a web page
/// must not drive); these response headers may be read by its script.
fn allow_origin(headers: &mut hyper::HeaderMap) {
    use hyper::header::HeaderValue;
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("X-Signsim, X-Signsim-Request-Id, Content-Disposition"),
    );
}

/// A browser's CORS preflight for an API path under `--cors`: 204, the methods the APIs take,
/// the headers the page asked for; journaled as the API's `cors-preflight`.
fn preflight(app: &App, req: Request, api: &'static str) -> Response {
    let (head, _) = req.into_parts();
    let seen = pipeline::Seen::of(&head);
    let asked = pipeline::header(&head, hyper::header::ACCESS_CONTROL_REQUEST_HEADERS);
    let allowed = if asked
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_, ".contains(c))
        && !asked.is_empty()
    {
        asked.to_string()
    } else {
        "Content-Type".to_string()
    };
    let answer = Answer::new(204, "text/plain; charset=utf-8", "")
        .with_header(
            hyper::header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, OPTIONS",
        )
        .with_header(hyper::header::ACCESS_CONTROL_ALLOW_HEADERS, &allowed)
        .with_header(hyper::header::ACCESS_CONTROL_MAX_AGE, "600");
    let mut meta = Meta::new(api, "cors-preflight");
    meta.success = Some(true);
    let mut resp = pipeline::finish(&app.shared, seen, meta, answer);
    allow_origin(resp.headers_mut());
    resp
}

async fn route(app: &Arc<App>, target: Target, req: Request, peer: SocketAddr) -> Response {
    let shared = &app.shared;
    match target {
        Target::Pki(routed) => {
            if let Some(pki) = app.serving_pki() {
                return pipeline::serve(&*pki, shared, req, routed).await;
            }
        }
        Target::Podpishi(routed) => {
            if let Some(pod) = app.serving_podpishi() {
                return pipeline::serve(&*pod, shared, req, routed).await;
            }
        }
        Target::Admin(routed) => {
            let admin = Admin {
                control: app.clone(),
                peer,
            };
            // Boxed: the control API's pipeline is the largest, and rarely the one running;
            // the APIs' requests need not carry room for it.
            return Box::pin(pipeline::serve(&admin, shared, req, routed)).await;
        }
        Target::Dashboard => return to_dashboard(app, req.into_parts().0),
        Target::Nothing => {}
    }
    nothing_here(app, req)
}

/// `GET /`, `/__admin` and `/__admin/`: where a person opening signsim's URL in a browser
/// lands (`docker run -p 127.0.0.1:8080:8080 …`, then http://localhost:8080). They are sent
/// to the dashboard, with the endpoints listed for a client that does not follow.
fn to_dashboard(app: &App, head: hyper::http::request::Parts) -> Response {
    let seen = pipeline::Seen::of(&head);
    let body = format!(
        "signsim {}: the dashboard is at /__admin/ui; scenario '{}' serves /api/{{Method}} and /crl/{{caName}}.crl (PKI RA), /api.php, /apistatus.php and /cabinet (Podpishi.Online), and the control API under /__admin/\n",
        crate::VERSION,
        app.scenario_name()
    );
    let answer = admin::ui::guarded(
        Answer::new(303, "text/plain; charset=utf-8", body)
            .with_header(hyper::header::LOCATION, "/__admin/ui"),
    );
    pipeline::finish(&app.shared, seen, Meta::new("other", ""), answer)
}

/// A path no API of the loaded scenario owns.
fn nothing_here(app: &App, req: Request) -> Response {
    let (head, _) = req.into_parts();
    let seen = pipeline::Seen::of(&head);
    let body = serde_json::json!({
        "error": format!(
            "signsim has nothing at {} {}: scenario '{}' serves /api/{{Method}} and /crl/{{caName}}.crl (PKI RA), /api.php, /apistatus.php and /cabinet (Podpishi.Online), and /__admin/",
            head.method,
            head.uri.path(),
            app.scenario_name()
        )
    });
    let answer = Answer::new(404, "application/json; charset=utf-8", body.to_string());
    pipeline::finish(&app.shared, seen, Meta::new("other", ""), answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path a route's pattern matches: each `{name}` becomes `1`, its suffix kept.
    fn path_of(pattern: &str) -> String {
        pattern
            .split('/')
            .map(|s| match s.split_once('}') {
                Some((_, suffix)) if s.starts_with('{') => format!("1{suffix}"),
                _ => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn one_lookup_finds_every_route_of_every_api() {
        for route in pki::routes::ROUTES {
            let path = format!("/API/{}", route.name.to_ascii_lowercase());
            assert!(
                matches!(lookup(&route.verb.method(), &path), Target::Pki(Routed::Found(r, _)) if std::ptr::eq(r, route)),
                "{path}"
            );
        }
        assert!(matches!(
            lookup(&Method::GET, "/crl/01.crl"),
            Target::Pki(Routed::Found(r, p)) if r.name == "crl" && p == ["01"]
        ));
        for (method, pattern, route) in admin::routes::ROUTES {
            let path = path_of(pattern);
            assert!(
                matches!(lookup(method, &path), Target::Admin(Routed::Found(r, _)) if std::ptr::eq(r, route)),
                "{method} {path}"
            );
        }
        assert!(matches!(
            lookup(&Method::POST, "/apistatus.php"),
            Target::Podpishi(Routed::Found(podpishi::routes::Route::Command, _))
        ));
    }

    #[test]
    fn a_miss_goes_to_the_api_that_owns_the_path_or_to_the_app() {
        let missed = |method: Method, path: &str| match lookup(&method, path) {
            Target::Pki(Routed::Missed(allowed)) => ("pki", allowed),
            Target::Podpishi(Routed::Missed(allowed)) => ("podpishi", allowed),
            Target::Admin(Routed::Missed(allowed)) => ("admin", allowed),
            Target::Dashboard => ("dashboard", vec![]),
            Target::Nothing => ("nothing", vec![]),
            _ => ("found", vec![]),
        };
        assert_eq!(
            missed(Method::POST, "/api/GetCAList"),
            ("pki", vec![Method::GET])
        );
        assert_eq!(missed(Method::GET, "/api/Nope"), ("pki", vec![]));
        assert_eq!(
            missed(Method::POST, "/crl/01.crl"),
            ("pki", vec![Method::GET])
        );
        assert_eq!(
            missed(Method::GET, "/api.php"),
            ("podpishi", vec![Method::POST])
        );
        assert_eq!(missed(Method::GET, "/__admin/nope"), ("admin", vec![]));
        assert_eq!(missed(Method::POST, "/__admin"), ("admin", vec![]));
        assert_eq!(missed(Method::HEAD, "/__admin/"), ("admin", vec![]));
        assert_eq!(missed(Method::GET, "/__admin"), ("dashboard", vec![]));
        assert_eq!(missed(Method::GET, "/__admin/"), ("dashboard", vec![]));
        assert_eq!(missed(Method::GET, "/"), ("dashboard", vec![]));
        assert_eq!(missed(Method::HEAD, "/"), ("nothing", vec![]));
        assert_eq!(missed(Method::GET, "/CRL/01.crl"), ("nothing", vec![]));
        assert_eq!(missed(Method::GET, "/API.php"), ("nothing", vec![]));
    }
}
