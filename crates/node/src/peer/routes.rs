//! The peer listener's routes: a node's (Raft, join, forward, ledger) and an
//! observer's (ledger only).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use strongroom_consensus::{APPEND_PATH, SNAPSHOT_PATH, VOTE_PATH, serve_rpc};
use strongroom_ledger::LedgerStore;

use super::{NodeCredential, PeerTrust};
use crate::cluster::{FORWARD_PATH, JOIN_PATH, JoinBody, Misdirected};
use crate::error::NodeError;
use crate::service::Node;

/// Largest body a peer may send (an append of a full batch, or a snapshot).
pub const MAX_PEER_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Largest body a peer may send to an observer: a [`super::LedgerRange`] only.
const MAX_LEDGER_RANGE_BYTES: usize = 4096;

/// The running peer listener.
#[derive(Debug)]
pub struct PeerServer {
    addr: SocketAddr,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl PeerServer {
    /// Serves `node`'s peer routes on its cluster's `listen` address.
    pub fn start(node: Arc<Node>) -> Result<Option<Self>, NodeError> {
        let Some(cluster) = node.cluster() else {
            return Ok(None);
        };
        let config = super::server_config(&cluster.credential, &cluster.trust)?;
        let app = Router::new()
            .route(APPEND_PATH, post(raft_rpc_append))
            .route(VOTE_PATH, post(raft_rpc_vote))
            .route(SNAPSHOT_PATH, post(raft_rpc_snapshot))
            .route(JOIN_PATH, post(join))
            .route(FORWARD_PATH, post(forward))
            .route(super::LEDGER_PATH, post(ledger_entries))
            .layer(DefaultBodyLimit::max(MAX_PEER_BODY_BYTES))
            .with_state(node.clone());
        Self::bind("peer_listen", cluster.listen, config, app).map(Some)
    }

    /// Serves [`super::LEDGER_PATH`] from `ledger`, and no other peer route, on
    /// `listen` (an observer's listener): the same TLS as a node's peer listener
    /// ([`super::server_config`]), so only a node certificate of `trust`'s
    /// organizations gets an answer.
    pub(super) fn ledger_only(
        listen: SocketAddr,
        credential: &NodeCredential,
        trust: &Arc<PeerTrust>,
        ledger: Arc<LedgerStore>,
    ) -> Result<Self, NodeError> {
        let config = super::server_config(credential, trust)?;
        let app = Router::new()
            .route(super::LEDGER_PATH, post(held_ledger_entries))
            .layer(DefaultBodyLimit::max(MAX_LEDGER_RANGE_BYTES))
            .with_state(ledger);
        Self::bind("observer listener", listen, config, app)
    }

    /// Binds `listen` (named `setting` in errors) and serves `app` over `config`.
    fn bind(
        setting: &str,
        listen: SocketAddr,
        config: rustls::ServerConfig,
        app: Router,
    ) -> Result<Self, NodeError> {
        let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
        let listener = std::net::TcpListener::bind(listen).map_err(|e| NodeError::Config {
            reason: format!("{setting}: cannot bind {listen}: {e}"),
        })?;
        let addr = listener
            .set_nonblocking(true)
            .and_then(|()| listener.local_addr())
            .map_err(|e| NodeError::Config {
                reason: format!("{setting}: {listen}: {e}"),
            })?;
        let handle = axum_server::Handle::new();
        let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
            .acceptor(axum_server::accept::NoDelayAcceptor::new());
        let server = axum_server::from_tcp(listener)
            .acceptor(acceptor)
            .handle(handle.clone())
            .serve(app.into_make_service());
        tracing::info!(%addr, "serving peers over mutual TLS");
        Ok(Self {
            addr,
            handle,
            server: tokio::spawn(server),
        })
    }

    /// Where the peer listener listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops at once: peers retry elsewhere.
    pub async fn shutdown(self) {
        self.handle.shutdown();
        let _ = self.server.await;
    }
}

fn plain(status: StatusCode, text: String) -> Response {
    (status, text).into_response()
}

async fn raft_rpc(node: &Node, path: &'static str, body: &[u8]) -> Response {
    match serve_rpc(node.raft(), path, body).await {
        Ok(answer) => answer.into_response(),
        Err(reason) => plain(StatusCode::BAD_REQUEST, reason),
    }
}

async fn raft_rpc_append(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    raft_rpc(&node, APPEND_PATH, &body).await
}

async fn raft_rpc_vote(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    raft_rpc(&node, VOTE_PATH, &body).await
}

async fn raft_rpc_snapshot(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    raft_rpc(&node, SNAPSHOT_PATH, &body).await
}

fn misdirected(node: &Node) -> Response {
    let leader = node.leader_addr();
    let body = Misdirected {
        error: match &leader {
            Some(addr) => format!("this node does not lead; the leader is at {addr}"),
            None => "this node does not lead and knows no leader (an election)".into(),
        },
        leader,
    };
    match serde_json::to_vec(&body) {
        Ok(json) => (StatusCode::MISDIRECTED_REQUEST, json).into_response(),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn join(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    if !node.is_leader() {
        return misdirected(&node);
    }
    let body: JoinBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("join: {e}")),
    };
    match node.admit(body) {
        Ok(answer) => match serde_json::to_vec(&answer) {
            Ok(json) => json.into_response(),
            Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        Err(NodeError::BadRequest(reason)) => plain(StatusCode::BAD_REQUEST, reason),
        Err(e @ NodeError::Unauthorized(_)) => plain(StatusCode::FORBIDDEN, e.to_string()),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn forward(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    if !node.is_leader() {
        return misdirected(&node);
    }
    match node.order_here(body.to_vec()).await {
        Ok(applied) => match serde_json::to_vec(&applied) {
            Ok(json) => json.into_response(),
            Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        Err(NodeError::Consensus(strongroom_consensus::ConsensusError::NotLeader { .. })) => {
            misdirected(&node)
        }
        Err(e) => plain(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn ledger_entries(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    serve_ledger(node.ledger().clone(), &body).await
}

async fn held_ledger_entries(State(ledger): State<Arc<LedgerStore>>, body: Bytes) -> Response {
    serve_ledger(ledger, &body).await
}

async fn serve_ledger(ledger: Arc<LedgerStore>, body: &[u8]) -> Response {
    let range: super::LedgerRange = match serde_json::from_slice(body) {
        Ok(range) => range,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("ledger range: {e}")),
    };
    match tokio::task::spawn_blocking(move || super::ledger::serve(&ledger, &range)).await {
        Ok(Ok(bytes)) => bytes.into_response(),
        Ok(Err(reason)) => plain(StatusCode::BAD_REQUEST, reason),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
