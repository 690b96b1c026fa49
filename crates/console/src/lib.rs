//! strongroom's console: a web server on a member's own machine that acts as that
//! member's client to a node, for the pages a browser shows.
//!
//! The console verifies the node's attestation under the member's policy before it
//! serves anything, signs and seals with the member's key, and opens results with the
//! member's result key: the browser never holds a key. It shows what it will sign
//! ([`POST /api/prepare`](crate#api)), and signs exactly that, once, when the page
//! names its digest. Only the holder of the one-time login URL it prints gets a
//! session; cross-origin requests are refused. `docs/console.md` lists the threats and
//! what stops each.
//!
//! ```no_run
//! # async fn run(settings: strongroom_console::Settings) -> Result<(), strongroom_console::ConsoleError> {
//! let console = strongroom_console::Console::bind(settings, "127.0.0.1:0".parse().unwrap()).await?;
//! println!("open {}", console.login_url());
//! console.run(std::future::pending()).await
//! # }
//! ```
//!
//! # API
//!
//! `docs/console.md` gives the routes and their answers.

mod access;
mod actions;
mod assets;
mod error;
mod routes;
mod table;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use strongroom_client::Client;
use strongroom_crypto::hpke::PrivateKey;
use strongroom_identity::Member;
use strongroom_tee::Policy;

pub use error::ConsoleError;

use access::Access;
use actions::Prepared;

/// What a console needs: the node, how to trust it, and the member it acts as.
pub struct Settings {
    /// The node's API URL (`https://host:port`).
    pub node: String,
    /// A PEM root the node's TLS certificate must also chain to (not needed: the
    /// evidence binds the node's TLS key).
    pub node_cert: Option<String>,
    /// The attestation policy the node's evidence must satisfy.
    pub policy: Policy,
    /// The member the console acts as.
    pub member: Member,
    /// The member's X25519 result key: results sealed to the member open with it.
    pub result_key: PrivateKey,
    /// The organization's data key, for an owner registering datasets.
    pub org_key: Option<PrivateKey>,
}

/// A console bound to its address, ready to run.
pub struct Console {
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    login_url: String,
    state: Arc<ConsoleState>,
}

/// What the handlers share.
pub(crate) struct ConsoleState {
    pub(crate) node: String,
    pub(crate) member: Member,
    pub(crate) result_key: PrivateKey,
    pub(crate) org_key: Option<PrivateKey>,
    /// The attested connection, or why the node was not trusted.
    pub(crate) connection: Result<Client, String>,
    pub(crate) access: Access,
    /// Actions shown to the member and not yet signed, by digest.
    pub(crate) prepared: Mutex<HashMap<String, Prepared>>,
    /// Files uploaded from the browser for a registration, by upload id.
    pub(crate) uploads: Mutex<HashMap<String, Upload>>,
    pub(crate) upload_dir: tempfile::TempDir,
}

/// A file the browser uploaded, kept until a registration uses it.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub(crate) path: PathBuf,
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
}

impl Console {
    /// Connects to the node and verifies its attestation (a node that fails its
    /// policy is recorded, and the console then serves only the reason), then binds
    /// `listen`. A non-loopback `listen` is refused: the console holds the member's key.
    pub async fn bind(settings: Settings, listen: SocketAddr) -> Result<Self, ConsoleError> {
        if !listen.ip().is_loopback() {
            return Err(ConsoleError::NotLoopback(listen));
        }
        let connection = Client::connect(
            &settings.node,
            settings.node_cert.as_deref(),
            &settings.policy,
        )
        .await
        .map_err(|e| e.to_string());
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| ConsoleError::Bind(listen, e))?;
        let address = listener
            .local_addr()
            .map_err(|e| ConsoleError::Bind(listen, e))?;
        let access = Access::new(address);
        let login_url = format!("http://{address}/login?token={}", access.login_token());
        let upload_dir = tempfile::Builder::new()
            .prefix("strongroom-console-")
            .tempdir()
            .map_err(ConsoleError::Uploads)?;
        let state = Arc::new(ConsoleState {
            node: settings.node,
            member: settings.member,
            result_key: settings.result_key,
            org_key: settings.org_key,
            connection,
            access,
            prepared: Mutex::default(),
            uploads: Mutex::default(),
            upload_dir,
        });
        Ok(Self {
            listener,
            address,
            login_url,
            state,
        })
    }

    /// The address the console listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL to open, with the one-time login token.
    pub fn login_url(&self) -> &str {
        &self.login_url
    }

    /// Why the node was not trusted, if it was not.
    pub fn attestation_failure(&self) -> Option<&str> {
        self.state.connection.as_ref().err().map(String::as_str)
    }

    /// Whether the node's evidence is an INSECURE simulation of a TEE.
    pub fn insecure(&self) -> bool {
        self.state
            .connection
            .as_ref()
            .is_ok_and(|c| c.claims().insecure)
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ConsoleError> {
        let app = routes::router(self.state);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ConsoleError::Serve)
    }
}
