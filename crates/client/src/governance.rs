//! Typed calls of the consortium's governance (`strongroom_enclave::governance`):
//! proposals, votes, and what the consortium looks like now.

use serde::de::DeserializeOwned;
use strongroom_enclave::governance::{
    ConstitutionView, GovernanceInvocation, GovernanceQuery, HistoryEntry, HistoryPage,
    ProposalList, ProposalView,
};
use strongroom_enclave::request::{PreparedRequest, Purpose};
use strongroom_identity::Member;

use crate::sharing::{Invoked, accepted, json_of};
use crate::{Client, ClientError};

impl Client {
    /// Commits a governance invocation (a proposal or a vote) as `member`, an
    /// organization's admin; answers the proposal as it stands after it.
    pub async fn govern(
        &self,
        member: &Member,
        invocation: &GovernanceInvocation,
    ) -> Result<Invoked<ProposalView>, ClientError> {
        let prepared = PreparedRequest::governance(
            &self.public_keys().transaction_key,
            member,
            Purpose::Transaction,
            json_of(invocation, "invocation")?,
        )?;
        self.commit_typed(&prepared).await
    }

    /// Asks a governance query as `member`.
    pub async fn ask_governance<T: DeserializeOwned>(
        &self,
        member: &Member,
        query: &GovernanceQuery,
    ) -> Result<T, ClientError> {
        let prepared = PreparedRequest::governance(
            &self.public_keys().transaction_key,
            member,
            Purpose::Query,
            json_of(query, "query")?,
        )?;
        accepted(self.query_prepared(&prepared).await?)
    }

    /// Every proposal, all pages.
    pub async fn proposals(&self, member: &Member) -> Result<Vec<ProposalView>, ClientError> {
        let mut items = Vec::new();
        let mut after = None;
        loop {
            let page: ProposalList = self
                .ask_governance(
                    member,
                    &GovernanceQuery::ListProposals {
                        after: after.take(),
                        limit: Some(100),
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

    /// Every change that took effect, in ledger order, with the votes that carried it;
    /// all pages.
    pub async fn governance_history(
        &self,
        member: &Member,
    ) -> Result<Vec<HistoryEntry>, ClientError> {
        let mut items = Vec::new();
        let mut after = None;
        loop {
            let page: HistoryPage = self
                .ask_governance(
                    member,
                    &GovernanceQuery::History {
                        after: after.take(),
                        limit: Some(100),
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

    /// The consortium's organizations, threshold and revoked certificates now.
    pub async fn constitution(&self, member: &Member) -> Result<ConstitutionView, ClientError> {
        self.ask_governance(member, &GovernanceQuery::Constitution)
            .await
    }
}
