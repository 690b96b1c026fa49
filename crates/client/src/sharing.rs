//! Typed calls of the data-sharing contract (`strongroom_contract::sharing`): JSON
//! invocations and queries in, typed views out.

use serde::de::DeserializeOwned;
use strongroom_contract::sharing::{Invocation, Query, TaskList, TaskView};
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_enclave::{AttestedReply, EvidenceMessage, JoinCollateral};
use strongroom_identity::Member;

use crate::{Client, ClientError};

/// The answer of a committed invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoked<T> {
    /// The contract's typed answer.
    pub value: T,
    /// The ledger entry that records the transaction.
    pub sequence: Option<u64>,
}

/// Decodes an accepted reply as `T`; a refusal is an error.
pub(crate) fn accepted<T: DeserializeOwned>(reply: Reply) -> Result<T, ClientError> {
    match reply {
        Reply::Accept(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Protocol(format!("the contract's answer: {e}"))),
        Reply::Refuse(reason) => Err(ClientError::Refused { reason }),
        Reply::RefuseUnauthenticated(reason) => Err(ClientError::Refused {
            reason: format!("{reason} (unauthenticated: the core could not read the request)"),
        }),
    }
}

/// Encodes `value` as JSON, for a request body.
pub(crate) fn json_of<T: serde::Serialize>(value: &T, what: &str) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(value)
        .map_err(|e| ClientError::Protocol(format!("encoding the {what}: {e}")))
}

impl Client {
    /// Sends a prepared transaction and decodes the accepted answer.
    pub(crate) async fn commit_typed<T: DeserializeOwned>(
        &self,
        prepared: &PreparedRequest,
    ) -> Result<Invoked<T>, ClientError> {
        let committed = self.submit_prepared(prepared).await?;
        Ok(Invoked {
            value: accepted(committed.reply)?,
            sequence: committed.sequence,
        })
    }

    /// Commits `invocation` as `member` and decodes the contract's answer.
    pub async fn invoke<T: DeserializeOwned>(
        &self,
        member: &Member,
        invocation: &Invocation,
    ) -> Result<Invoked<T>, ClientError> {
        let bytes = serde_json::to_vec(invocation)
            .map_err(|e| ClientError::Protocol(format!("encoding the invocation: {e}")))?;
        let committed = self.transact(member, &bytes).await?;
        Ok(Invoked {
            value: accepted(committed.reply)?,
            sequence: committed.sequence,
        })
    }

    /// Commits `invocation` as `member`, an attested worker: `evidence` is called with
    /// the report data that binds `config_hash`, `worker_key`, the request's nonce and
    /// the invocation, and makes the evidence over it. Answers the contract's typed
    /// answer and the data keys the core released to `worker_key`.
    pub async fn invoke_attested<T: DeserializeOwned>(
        &self,
        member: &Member,
        invocation: &Invocation,
        config_hash: [u8; 32],
        worker_key: [u8; 32],
        evidence: impl FnOnce(&[u8; 64]) -> Result<(EvidenceMessage, JoinCollateral), String>,
    ) -> Result<(Invoked<T>, Vec<strongroom_enclave::ReleasedKey>), ClientError> {
        let bytes = serde_json::to_vec(invocation)
            .map_err(|e| ClientError::Protocol(format!("encoding the invocation: {e}")))?;
        let prepared = PreparedRequest::attested(
            &self.keys.transaction_key,
            member,
            bytes,
            config_hash,
            worker_key,
            evidence,
        )?
        .map_err(|e| ClientError::Data(format!("making the worker's evidence: {e}")))?;
        let committed = self.submit_prepared(&prepared).await?;
        let reply: AttestedReply = accepted(committed.reply)?;
        let value = serde_json::from_value(reply.result)
            .map_err(|e| ClientError::Protocol(format!("the contract's answer: {e}")))?;
        Ok((
            Invoked {
                value,
                sequence: committed.sequence,
            },
            reply.released_keys,
        ))
    }

    /// Asks `query` as `member` and decodes the answer.
    pub async fn ask<T: DeserializeOwned>(
        &self,
        member: &Member,
        query: &Query,
    ) -> Result<T, ClientError> {
        let bytes = serde_json::to_vec(query)
            .map_err(|e| ClientError::Protocol(format!("encoding the query: {e}")))?;
        let reply = self.query(member, &bytes).await?;
        accepted(reply)
    }

    /// The member's tasks (`list_my_tasks`), every page.
    pub async fn my_tasks(&self, member: &Member) -> Result<Vec<TaskView>, ClientError> {
        let mut items = Vec::new();
        let mut after = None;
        loop {
            let page: TaskList = self
                .ask(
                    member,
                    &Query::ListMyTasks {
                        after: after.take(),
                        limit: Some(1000),
                    },
                )
                .await?;
            items.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(items),
            }
        }
    }
}
