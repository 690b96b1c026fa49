//! Node-to-node transport, behind openraft's network traits.
//!
//! The plan (see `docs/consensus.md`): each RPC is an HTTPS `POST` to the peer's
//! node-to-node endpoint (`/raft/v1/{append,vote,snapshot}`), mutually authenticated
//! with node certificates issued by the member orgs' CAs (`identity::OrgCa::enroll_node`)
//! and accepted only from nodes whose attestation evidence verified. Append and
//! snapshot requests are binary ([`crate::wire`]); votes and every answer are
//! openraft's JSON. A [`PeerTransport`]
//! implementation carries the bytes; [`Network`] turns openraft's RPCs into them.
//!
//! A single node is a one-member cluster and never calls its network. The transport it
//! gets, [`NoPeers`], refuses every call, saying why.

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{AnyError, RaftNetwork, RaftNetworkFactory};

use crate::types::{NodeAddr, NodeId, Raft, TypeConfig};
use crate::wire;

/// The RPC paths.
pub const APPEND_PATH: &str = "/raft/v1/append";
/// See [`APPEND_PATH`].
pub const VOTE_PATH: &str = "/raft/v1/vote";
/// See [`APPEND_PATH`].
pub const SNAPSHOT_PATH: &str = "/raft/v1/snapshot";

/// Carries one RPC's bytes to a peer and brings back its answer.
pub trait PeerTransport: Clone + Send + Sync + 'static {
    /// Sends `body` to `path` on `target` and returns the response body.
    fn call(
        &self,
        target: &NodeAddr,
        path: &'static str,
        body: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, String>> + Send;
}

/// The transport of a single-node cluster: there are no peers to reach.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPeers;

impl PeerTransport for NoPeers {
    async fn call(
        &self,
        target: &NodeAddr,
        path: &'static str,
        _body: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        Err(format!(
            "cannot send {path} to {target}: this node runs as a single-node cluster \
             and has no peer transport"
        ))
    }
}

/// openraft's network over a [`PeerTransport`].
#[derive(Debug, Clone, Default)]
pub struct Network<T> {
    transport: T,
}

impl<T: PeerTransport> Network<T> {
    /// A network that sends through `transport`.
    pub fn new(transport: T) -> Self {
        Self { transport }
    }
}

/// A connection to one peer.
#[derive(Debug, Clone)]
pub struct PeerClient<T> {
    transport: T,
    target: NodeId,
    addr: NodeAddr,
}

impl<T: PeerTransport> RaftNetworkFactory<TypeConfig> for Network<T> {
    type Network = PeerClient<T>;

    async fn new_client(&mut self, target: NodeId, node: &NodeAddr) -> PeerClient<T> {
        PeerClient {
            transport: self.transport.clone(),
            target,
            addr: node.clone(),
        }
    }
}

impl<T: PeerTransport> PeerClient<T> {
    fn net<E: std::error::Error>(&self, e: String) -> RPCError<NodeId, NodeAddr, E> {
        RPCError::Network(NetworkError::new(&AnyError::error(format!(
            "node {} ({}): {e}",
            self.target, self.addr
        ))))
    }

    /// Sends `body` (already encoded) to `path`; the answer is JSON.
    async fn rpc<Resp, E>(
        &self,
        path: &'static str,
        body: Vec<u8>,
    ) -> Result<Resp, RPCError<NodeId, NodeAddr, E>>
    where
        Resp: serde::de::DeserializeOwned,
        E: std::error::Error + serde::de::DeserializeOwned,
    {
        let net = |e: String| self.net(e);
        let answer = self
            .transport
            .call(&self.addr, path, body)
            .await
            .map_err(net)?;
        let answer: Result<Resp, E> =
            serde_json::from_slice(&answer).map_err(|e| net(format!("bad answer: {e}")))?;
        answer.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl<T: PeerTransport> RaftNetwork<TypeConfig> for PeerClient<T> {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, NodeAddr, RaftError<NodeId>>> {
        self.rpc(APPEND_PATH, wire::encode_append(&rpc)).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, NodeAddr, RaftError<NodeId, InstallSnapshotError>>,
    > {
        self.rpc(SNAPSHOT_PATH, wire::encode_snapshot(&rpc)).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, NodeAddr, RaftError<NodeId>>> {
        let body = serde_json::to_vec(&rpc).map_err(|e| self.net(e.to_string()))?;
        self.rpc(VOTE_PATH, body).await
    }
}

/// The receiving side of the transport: hands one RPC body to the local Raft and
/// returns the answer body (`Result<response, error>` as JSON, so a remote Raft error
/// reaches the sender as such). A malformed body or unknown path is an `Err` with the
/// reason, for the transport to report as a client error.
pub async fn serve_rpc(raft: &Raft, path: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    fn decode<T: serde::de::DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, String> {
        serde_json::from_slice(body).map_err(|e| format!("{path}: malformed request: {e}"))
    }
    let encoded = match path {
        APPEND_PATH => {
            let request =
                wire::decode_append(body).map_err(|e| format!("{path}: malformed request: {e}"))?;
            serde_json::to_vec(&raft.append_entries(request).await)
        }
        VOTE_PATH => serde_json::to_vec(&raft.vote(decode(path, body)?).await),
        SNAPSHOT_PATH => {
            let request = wire::decode_snapshot(body)
                .map_err(|e| format!("{path}: malformed request: {e}"))?;
            serde_json::to_vec(&raft.install_snapshot(request).await)
        }
        other => return Err(format!("unknown Raft RPC path {other:?}")),
    };
    encoded.map_err(|e| format!("{path}: encoding the answer: {e}"))
}
