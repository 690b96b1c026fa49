//! Typed calls of the data-sharing contract (`strongroom_contract::sharing`): JSON
//! invocations and queries in, typed views out.

use serde::de::DeserializeOwned;
use strongroom_contract::sharing::{Invocation, Query, TaskList, TaskView};
use strongroom_enclave::request::Reply;
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

impl Client {
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
