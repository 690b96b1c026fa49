//! Serving the API over TLS, and stopping gracefully.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use crate::data_dir::write_private_atomic;
use crate::error::NodeError;
use crate::http::{Limits, OpsRoutes, routers};
use crate::service::Node;
use crate::settings::NodeSettings;

/// TLS certificate file in the data directory.
pub const TLS_CERT_FILE: &str = "tls/cert.pem";
/// TLS key file in the data directory (mode 0600).
pub const TLS_KEY_FILE: &str = "tls/key.pem";

/// Loads the node's TLS certificate and key, creating a self-signed pair for `names` on
/// first start. Returns the certificate PEM, its DER chain and the key.
pub fn load_or_create_tls(
    dir: &Path,
    names: &[String],
) -> Result<(String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), NodeError> {
    let cert_path = dir.join(TLS_CERT_FILE);
    let key_path = dir.join(TLS_KEY_FILE);
    let file_err = |path: &Path, e: &dyn std::fmt::Display| NodeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if !cert_path.exists() {
        std::fs::create_dir_all(dir.join("tls")).map_err(|e| file_err(dir, &e))?;
        let generated = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| NodeError::Tls(format!("cannot create the TLS certificate: {e}")))?;
        let key_pem = Zeroizing::new(generated.signing_key.serialize_pem());
        // Key first: a certificate without its key is never left behind.
        if key_path.exists() {
            std::fs::remove_file(&key_path).map_err(|e| file_err(&key_path, &e))?;
        }
        write_private_atomic(&key_path, key_pem.as_bytes())?;
        write_private_atomic(&cert_path, generated.cert.pem().as_bytes())?;
    }
    let cert_pem = std::fs::read_to_string(&cert_path).map_err(|e| file_err(&cert_path, &e))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(&cert_path, &e))?;
    if certs.is_empty() {
        return Err(file_err(&cert_path, &"holds no certificate"));
    }
    let key_pem = Zeroizing::new(std::fs::read(&key_path).map_err(|e| file_err(&key_path, &e))?);
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| file_err(&key_path, &e))?;
    Ok((cert_pem, certs, key))
}

/// Initial HTTP/2 flow-control window, per stream and per connection.
const H2_WINDOW: u32 = 4 * 1024 * 1024;

/// The plain-HTTP listener of `/metrics` and `/healthz` (`ops_listen`).
struct OpsServer {
    addr: SocketAddr,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// A node serving its API.
pub struct RunningNode {
    addr: SocketAddr,
    cert_pem: String,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    ops: Option<OpsServer>,
    peers: Option<crate::peer::PeerServer>,
    node: Arc<Node>,
    grace: Duration,
}

impl std::fmt::Debug for RunningNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningNode")
            .field("addr", &self.addr)
            .field("ops_addr", &self.ops_addr())
            .finish_non_exhaustive()
    }
}

impl RunningNode {
    /// Serves `node` on `settings.listen` (port 0 picks a free port) over TLS, and
    /// `/metrics` and `/healthz` on `settings.ops_listen` over plain HTTP if set.
    pub async fn start(node: Node, settings: &NodeSettings) -> Result<Self, NodeError> {
        if let Err(e) = settings.validate() {
            // Released as on any stop, so that the data directory can be opened again.
            let _ = node.shutdown().await;
            return Err(e);
        }
        let (cert_pem, certs, key) = load_or_create_tls(node.dir(), &settings.tls_names)?;
        let endpoint = certs
            .first()
            .map(|cert| strongroom_identity::spki_sha256(cert))
            .transpose()
            .map_err(|e| NodeError::Tls(format!("the TLS certificate: {e}")))?
            .ok_or_else(|| NodeError::Tls("no TLS certificate".into()))?;
        // The core binds the TLS key into its evidence, so clients need not pin a
        // certificate by hand, and authorizations name this node by it.
        node.bind_endpoint(endpoint)?;
        let tls = tls_config(certs, key)?;
        let node = Arc::new(node);
        let ops_routes = match settings.ops_listen {
            Some(_) => OpsRoutes::Separate,
            None => OpsRoutes::OnApi,
        };
        let (app, ops_app) = routers(node.clone(), Limits::of(settings), ops_routes);
        let (listener, addr) = bind("listen", settings.listen)?;
        // Bound before anything is served, so that a bad ops address stops the start.
        let ops_listener = match settings.ops_listen {
            Some(ops_addr) => Some(bind("ops_listen", ops_addr)?),
            None => None,
        };
        let handle = axum_server::Handle::new();
        // TCP_NODELAY: small answers must not wait for Nagle and delayed ACKs (~40 ms).
        let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
            .acceptor(axum_server::accept::NoDelayAcceptor::new());
        let mut server = axum_server::from_tcp(listener)
            .acceptor(acceptor)
            .handle(handle.clone());
        // HTTP/2's default 64 KiB flow-control windows throttle large uploads to a
        // fraction of the link; let the windows grow with the measured bandwidth.
        server
            .http_builder()
            .http2()
            .adaptive_window(true)
            .initial_stream_window_size(H2_WINDOW)
            .initial_connection_window_size(H2_WINDOW);
        let server =
            tokio::spawn(server.serve(app.into_make_service_with_connect_info::<SocketAddr>()));
        tracing::info!(%addr, "serving the API over TLS");
        let ops = match (ops_listener, ops_app) {
            (Some((listener, addr)), Some(app)) => {
                let handle = axum_server::Handle::new();
                let server = axum_server::from_tcp(listener)
                    .handle(handle.clone())
                    .serve(app.into_make_service_with_connect_info::<SocketAddr>());
                let server = tokio::spawn(server);
                tracing::info!(%addr, "serving /metrics and /healthz over plain HTTP");
                Some(OpsServer {
                    addr,
                    handle,
                    server,
                })
            }
            _ => None,
        };
        let peers = crate::peer::PeerServer::start(node.clone())?;
        Ok(Self {
            addr,
            cert_pem,
            handle,
            server,
            ops,
            peers,
            node,
            grace: Duration::from_millis(settings.shutdown_grace_ms),
        })
    }

    /// The address the API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address `/metrics` and `/healthz` are served on over plain HTTP, when they
    /// have their own listener (`ops_listen`).
    pub fn ops_addr(&self) -> Option<SocketAddr> {
        self.ops.as_ref().map(|ops| ops.addr)
    }

    /// The address the peer listener (node-to-node) listens on, in a cluster.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peers.as_ref().map(crate::peer::PeerServer::addr)
    }

    /// The node's TLS certificate (PEM), for clients to trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Stops accepting connections, lets requests in flight finish (up to the grace
    /// period), then stops consensus once everything acknowledged is on disk.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        if let Some(peers) = self.peers {
            peers.shutdown().await;
        }
        self.handle.graceful_shutdown(Some(self.grace));
        if let Some(ops) = &self.ops {
            ops.handle.graceful_shutdown(Some(self.grace));
        }
        let _ = self.server.await;
        if let Some(ops) = self.ops {
            let _ = ops.server.await;
        }
        // Handlers hold clones while they run; after the server stopped they are gone,
        // except for blocking tasks that are finishing.
        let mut node = self.node;
        for _ in 0..100 {
            match Arc::try_unwrap(node) {
                Ok(node) => return node.shutdown().await,
                Err(shared) => {
                    node = shared;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        Err(NodeError::Config {
            reason: "shutdown: the node is still in use after 5 s".into(),
        })
    }
}

/// The API's TLS configuration: the node's certificate and key, HTTP/2 and HTTP/1.1.
pub(crate) fn tls_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<axum_server::tls_rustls::RustlsConfig, NodeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NodeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| NodeError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

/// A non-blocking listener on `addr` (port 0 picks one) and the address it got; the
/// error names the setting.
pub(crate) fn bind(
    setting: &str,
    addr: SocketAddr,
) -> Result<(std::net::TcpListener, SocketAddr), NodeError> {
    let config = |reason: String| NodeError::Config {
        reason: format!("{setting}: {reason}"),
    };
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| config(format!("cannot bind {addr}: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| config(e.to_string()))?;
    let bound = listener.local_addr().map_err(|e| config(e.to_string()))?;
    Ok((listener, bound))
}
