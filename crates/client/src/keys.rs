//! Typed calls of the core-held keys (`strongroom_enclave::keys`): keys that live only
//! in the core, used through transactions.

use serde::de::DeserializeOwned;
use strongroom_enclave::keys::{KeyInvocation, KeyQuery};
use strongroom_enclave::request::{PreparedRequest, Purpose};
use strongroom_identity::Member;

use crate::sharing::{Invoked, accepted, json_of};
use crate::{Client, ClientError};

impl Client {
    /// Commits a core-held key invocation as `member` and decodes the answer.
    pub async fn use_key<T: DeserializeOwned>(
        &self,
        member: &Member,
        invocation: &KeyInvocation,
    ) -> Result<Invoked<T>, ClientError> {
        let prepared = PreparedRequest::keys(
            &self.public_keys().transaction_key,
            member,
            Purpose::Transaction,
            json_of(invocation, "invocation")?,
        )?;
        self.commit_typed(&prepared).await
    }

    /// Asks a core-held key query as `member`.
    pub async fn ask_key<T: DeserializeOwned>(
        &self,
        member: &Member,
        query: &KeyQuery,
    ) -> Result<T, ClientError> {
        let prepared = PreparedRequest::keys(
            &self.public_keys().transaction_key,
            member,
            Purpose::Query,
            json_of(query, "query")?,
        )?;
        accepted(self.query_prepared(&prepared).await?)
    }
}
