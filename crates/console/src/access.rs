//! Who may drive the console: the holder of the one-time login token, then of the
//! session cookie it buys; from the console's own origin only.
//!
//! Checked on every request, before any handler: the `Host` header names the console
//! (DNS rebinding), the session cookie matches (compared in constant time), and a
//! request to `/api` carries `X-Strongroom-Console: 1` (which a cross-origin page
//! cannot send without a preflight the console never grants) and no foreign `Origin`.

use std::net::SocketAddr;
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ConsoleState;
use crate::routes::ApiError;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "strongroom_console";
/// The header every `/api` request carries.
pub(crate) const API_HEADER: &str = "x-strongroom-console";
/// What the console's responses allow a browser to load and run.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                   script-src 'self'; object-src 'none'; base-uri 'none'; \
                   frame-ancestors 'none'; form-action 'self'";

/// The login token and the sessions it bought.
pub(crate) struct Access {
    address: SocketAddr,
    /// The token, hex; `None` once used.
    login: Mutex<Option<String>>,
    /// The token as printed, kept for the login URL.
    printed: String,
    /// SHA-256 of each session's secret.
    sessions: Mutex<Vec<[u8; 32]>>,
}

/// 32 random bytes, hex.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Access {
    pub(crate) fn new(address: SocketAddr) -> Self {
        let token = random_hex();
        Self {
            address,
            login: Mutex::new(Some(token.clone())),
            printed: token,
            sessions: Mutex::default(),
        }
    }

    pub(crate) fn login_token(&self) -> &str {
        &self.printed
    }

    /// Spends the login token: answers a new session secret if `offered` is the token
    /// and it was not used yet.
    fn log_in(&self, offered: &str) -> Option<String> {
        let mut login = self.login.lock().ok()?;
        let token = login.as_ref()?;
        if !bool::from(token.as_bytes().ct_eq(offered.as_bytes())) {
            return None;
        }
        *login = None;
        let session = random_hex();
        self.sessions
            .lock()
            .ok()?
            .push(Sha256::digest(session.as_bytes()).into());
        Some(session)
    }

    /// Whether the request's cookie is a session's secret.
    fn has_session(&self, headers: &HeaderMap) -> bool {
        let Some(secret) = cookie(headers, COOKIE) else {
            return false;
        };
        let offered: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let Ok(sessions) = self.sessions.lock() else {
            return false;
        };
        // Every session is compared, in constant time each.
        sessions
            .iter()
            .fold(subtle::Choice::from(0), |any, s| any | s.ct_eq(&offered))
            .into()
    }

    /// Whether `Host` names this console (`127.0.0.1:PORT`, or `localhost:PORT` on a
    /// loopback address).
    fn host_is_ours(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        host == self.address.to_string() || host == format!("localhost:{}", self.address.port())
    }

    /// Whether a present `Origin` is this console's.
    fn origin_is_ours(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        origin == format!("http://{}", self.address)
            || origin == format!("http://localhost:{}", self.address.port())
    }
}

/// The value of cookie `name`, if sent.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `?token=` of the login URL.
#[derive(serde::Deserialize)]
pub(crate) struct Login {
    token: String,
}

/// `GET /login?token=T`: spends the one-time token for a session cookie.
pub(crate) async fn login(
    State(state): State<std::sync::Arc<ConsoleState>>,
    Query(login): Query<Login>,
) -> Response {
    match state.access.log_in(&login.token) {
        Some(session) => {
            let mut response = Redirect::to("/#/node").into_response();
            let cookie = format!("{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        None => (
            StatusCode::FORBIDDEN,
            "this login link is not valid, or was used already: start `strongroom console` again for a new one",
        )
            .into_response(),
    }
}

/// Runs before every handler: see the module's docs.
pub(crate) async fn guard(
    State(state): State<std::sync::Arc<ConsoleState>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let access = &state.access;
    let headers = request.headers();
    let path = request.uri().path();
    let refusal = if !access.host_is_ours(headers) {
        Some((
            StatusCode::MISDIRECTED_REQUEST,
            "the Host header does not name this console",
        ))
    } else if !access.origin_is_ours(headers) {
        Some((StatusCode::FORBIDDEN, "cross-origin requests are refused"))
    } else if path == "/login" {
        None
    } else if !access.has_session(headers) {
        Some((
            StatusCode::UNAUTHORIZED,
            "no console session: open the login URL that `strongroom console` printed",
        ))
    } else if path.starts_with("/api/") && !carries_api_header(&request) {
        Some((
            StatusCode::FORBIDDEN,
            "console API requests must carry the header X-Strongroom-Console: 1",
        ))
    } else {
        None
    };
    let mut response = match refusal {
        Some((status, why)) => ApiError::new(status, why).into_response(),
        None => next.run(request).await,
    };
    secure(response.headers_mut());
    response
}

/// Whether a request to `/api` carries the console's header; a download of a result
/// (`GET ...?format=`) by a link may go without it.
fn carries_api_header(request: &Request<Body>) -> bool {
    let has = request
        .headers()
        .get(API_HEADER)
        .is_some_and(|v| v.as_bytes() == b"1");
    let download = request.method() == Method::GET
        && request.uri().path().starts_with("/api/results/")
        && request
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("format=")));
    has || download
}

/// The headers every response carries.
fn secure(headers: &mut HeaderMap) {
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn access() -> Access {
        Access::new("127.0.0.1:4000".parse().unwrap())
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_login_token_buys_one_session_once() {
        let access = access();
        let token = access.login_token().to_owned();
        let session = access.log_in(&token).unwrap();
        assert!(access.log_in(&token).is_none());
        assert!(access.has_session(&with_cookie(&format!("a=b; {COOKIE}={session}"))));
    }

    #[test]
    fn a_wrong_token_buys_nothing_and_leaves_the_right_one_usable() {
        let access = access();
        let token = access.login_token().to_owned();
        assert!(access.log_in(&"0".repeat(64)).is_none());
        assert!(access.log_in("").is_none());
        assert!(access.log_in(&token).is_some());
    }

    #[test]
    fn a_guessed_session_is_refused() {
        let access = access();
        let token = access.login_token().to_owned();
        access.log_in(&token).unwrap();
        assert!(!access.has_session(&with_cookie(&format!("{COOKIE}={token}"))));
        assert!(!access.has_session(&HeaderMap::new()));
    }

    #[test]
    fn only_the_consoles_own_host_and_origin_pass() {
        let access = access();
        let host = |h: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            access.host_is_ours(&headers)
        };
        assert!(host("127.0.0.1:4000"));
        assert!(host("localhost:4000"));
        assert!(!host("evil.example:4000"));
        assert!(!host("127.0.0.1:4001"));
        let origin = |o: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
            access.origin_is_ours(&headers)
        };
        assert!(origin("http://127.0.0.1:4000"));
        assert!(!origin("http://evil.example"));
        assert!(!origin("null"));
        assert!(access.origin_is_ours(&HeaderMap::new()));
    }
}
