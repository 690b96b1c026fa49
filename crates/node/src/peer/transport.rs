//! Calling peers: HTTPS with mutual node certificates ([`super::tls`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use strongroom_consensus::{NodeAddr, PeerTransport};

use super::tls::{NodeCredential, PeerTrust, client_config};
use crate::error::{NodeError, error_chain};

/// The node-to-node client: every call is an HTTPS `POST` to a peer's peer listener.
#[derive(Clone, Debug)]
pub struct HttpsPeers {
    http: reqwest::Client,
}

/// A peer's answer that was not a success: its status and its body.
#[derive(Debug)]
pub struct PeerRefusal {
    /// The HTTP status.
    pub status: u16,
    /// The body (a reason in plain words, or JSON).
    pub body: Vec<u8>,
}

/// How a call to a peer failed.
#[derive(Debug)]
pub enum CallError {
    /// The peer could not be reached or the connection failed.
    Unreachable(String),
    /// The peer answered with an error status.
    Refused(PeerRefusal),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(reason) => write!(f, "unreachable: {reason}"),
            Self::Refused(r) => write!(
                f,
                "answered {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ),
        }
    }
}

impl HttpsPeers {
    /// A client presenting `credential` and trusting the node certificates of `trust`;
    /// its connections leave from `source` when given (the peer listener's address, so
    /// that a firewall rule written for a node's peer address holds both ways).
    pub fn new(
        credential: &NodeCredential,
        trust: &Arc<PeerTrust>,
        source: Option<IpAddr>,
    ) -> Result<Self, NodeError> {
        let tls = client_config(credential, trust)?;
        let http = reqwest::Client::builder()
            .local_address(source)
            .use_preconfigured_tls(tls)
            .http2_prior_knowledge()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .http2_adaptive_window(true)
            .build()
            .map_err(|e| NodeError::Tls(format!("peer client: {e}")))?;
        Ok(Self { http })
    }

    /// `POST https://{addr}{path}` with `body`; the answer's body on success.
    pub async fn post(&self, addr: &str, path: &str, body: Vec<u8>) -> Result<Vec<u8>, CallError> {
        let response = self
            .http
            .post(format!("https://{addr}{path}"))
            .body(body)
            .send()
            .await
            .map_err(|e| CallError::Unreachable(error_chain(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| CallError::Unreachable(error_chain(&e)))?
            .to_vec();
        if status.is_success() {
            Ok(body)
        } else {
            Err(CallError::Refused(PeerRefusal {
                status: status.as_u16(),
                body,
            }))
        }
    }
}

impl PeerTransport for HttpsPeers {
    async fn call(
        &self,
        target: &NodeAddr,
        path: &'static str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.post(&target.addr, path, body)
            .await
            .map_err(|e| e.to_string())
    }
}
