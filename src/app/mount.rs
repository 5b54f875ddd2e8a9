//! The mount table — which API owns a path — and what the app answers itself: CORS
//! preflights under `--cors`, the way to the dashboard, and the 404 for a path no API owns.

use super::App;
use crate::admin::Admin;
use crate::journal::Meta;
use crate::pipeline::{self, Answer};
use crate::server::router::{Match, Router};
use crate::server::{Request, Response, Service};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

/// Which API owns a path.
#[derive(Clone, Copy)]
enum Mount {
    Pki,
    Podpishi,
    Admin,
}

#[rustfmt::skip]
static MOUNTS: LazyLock<Router<Mount>> = LazyLock::new(|| {
    Router::new(false)
        // ASP.NET routes are case-insensitive, `/API/GetCAList` included; PHP file names are not.
        .any_case("/api/{*method}", Mount::Pki)
        .any("/crl/{*file}", Mount::Pki)
        .any("/api.php", Mount::Podpishi)
        .any("/apistatus.php", Mount::Podpishi)
        .any("/cabinet", Mount::Podpishi)
        .any("/__admin", Mount::Admin)
        .any("/__admin/{*route}", Mount::Admin)
});

/// The service: scheduled actions that are due, then the owning API's pipeline.
pub fn service(app: Arc<App>) -> Service {
    Arc::new(move |req: Request, peer: SocketAddr| {
        let app = app.clone();
        Box::pin(async move {
            app.run_due();
            let resp = dispatch(&app, req, peer).await;
            app.run_due();
            resp
        })
    })
}

async fn dispatch(app: &Arc<App>, req: Request, peer: SocketAddr) -> Response {
    let mount = match MOUNTS.find(req.method(), req.uri().path()) {
        Match::Found { handler, .. } => Some(*handler),
        _ => None,
    };
    let api = match mount {
        Some(Mount::Pki) => Some("pki"),
        Some(Mount::Podpishi) => Some("podpishi"),
        _ => None,
    };
    match api {
        Some(api) if app.config.cors => {
            if req.method() == hyper::Method::OPTIONS
                && req.headers().contains_key("access-control-request-method")
            {
                return preflight(app, req, api);
            }
            let mut resp = route(app, mount, req, peer).await;
            allow_origin(resp.headers_mut());
            resp
        }
        _ => route(app, mount, req, peer).await,
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

async fn route(app: &Arc<App>, mount: Option<Mount>, req: Request, peer: SocketAddr) -> Response {
    let shared = &app.shared;
    match mount {
        // What people type for the dashboard; the control API's routes stay its own.
        Some(Mount::Admin)
            if req.method() == hyper::Method::GET
                && matches!(req.uri().path(), "/__admin" | "/__admin/") =>
        {
            return to_dashboard(app, req.into_parts().0);
        }
        Some(Mount::Admin) => {
            let admin = Admin {
                control: app.clone(),
                peer,
            };
            return pipeline::serve(&admin, shared, req).await;
        }
        Some(Mount::Pki) => {
            if let Some(pki) = app.pki() {
                return pipeline::serve(&pki, shared, req).await;
            }
        }
        Some(Mount::Podpishi) => {
            if let Some(pod) = app.podpishi() {
                return pipeline::serve(&pod, shared, req).await;
            }
        }
        None => {}
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
    let answer = Answer::new(303, "text/plain; charset=utf-8", body)
        .with_header(hyper::header::LOCATION, "/__admin/ui");
    pipeline::finish(&app.shared, seen, Meta::new("other", ""), answer)
}

/// A path no API of the loaded scenario owns.
fn nothing_here(app: &App, req: Request) -> Response {
    let (head, _) = req.into_parts();
    let seen = pipeline::Seen::of(&head);
    if head.method == hyper::Method::GET && head.uri.path() == "/" {
        return to_dashboard(app, head);
    }
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
