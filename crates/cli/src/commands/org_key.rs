//! `strongroom org data-key …`: provisioning the organization's data key to the members
//! that need it (its analyzer), wrapped to each member's published key, instead of
//! copying a key file by hand.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_client::Client;
use strongroom_client::data::{self, parse_public, public_hex};
use strongroom_contract::sharing::{
    Invocation, MemberKeyView, OrgKeyShareView, PublishMemberKey, Query, ShareOrgKey,
};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_identity::Member;

use crate::commands::flow;
use crate::commands::net::{block_on, print};
use crate::commands::sharing::Common;

/// The organization's data key.
#[derive(Debug, Subcommand)]
pub enum DataKeyCommand {
    /// Publish your member key (the public half of `IDENTITY/NAME.x25519.key`) so that
    /// an owner can share the organization's data key with you.
    Publish(KeyArgs),
    /// Share the organization's data key (`IDENTITY/org-data-key.x25519.key`) with a
    /// member of your organization, wrapped to the member key it published (owner or
    /// admin).
    Share(ShareArgs),
    /// Fetch the organization's data key shared with you, open it with your member key
    /// and store it as `IDENTITY/org-data-key.x25519.key` (mode 0600). `analyzer run`
    /// does this by itself when it holds no key.
    Fetch(KeyArgs),
}

/// Connection and identity.
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(flatten)]
    common: Common,
}

/// Arguments of `org data-key share`.
#[derive(Debug, Args)]
pub struct ShareArgs {
    #[command(flatten)]
    common: Common,
    /// The member of your organization to share it with (its name).
    #[arg(long, value_name = "MEMBER")]
    to: String,
}

/// The organization data key file in an identity directory.
pub fn org_key_path(identity: &Path) -> std::path::PathBuf {
    identity.join("org-data-key.x25519.key")
}

/// Fetches the organization data key shared with `member`, opens it with its member
/// key and stores it in `identity`; `None` if no key was shared with it.
pub async fn fetch_shared(
    client: &Client,
    member: &Member,
    member_key: &PrivateKey,
    identity: &Path,
) -> Result<Option<(PrivateKey, OrgKeyShareView)>> {
    let share: OrgKeyShareView = match client.ask(member, &Query::GetOrgKeyShare).await {
        Ok(share) => share,
        Err(strongroom_client::ClientError::Refused { .. }) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    if share.public_key != public_hex(member_key) {
        bail!(
            "the key shared with {} is wrapped to another member key ({}) than its own; ask for a new share",
            member.name(),
            share.public_key
        );
    }
    let key = data::unwrap_org_key(
        member_key,
        &share.wrapped_key,
        member.msp_id(),
        member.name(),
    )?;
    data::store_x25519(&org_key_path(identity), &key)?;
    Ok(Some((key, share)))
}

/// Runs one `org data-key` subcommand.
pub fn run(command: DataKeyCommand) -> Result<()> {
    block_on(async move {
        match command {
            DataKeyCommand::Publish(args) => {
                let (client, member) = args.common.open().await?;
                let key = args.common.member.result_key()?;
                let (view, sequence): (MemberKeyView, u64) = flow::invoke(
                    &client,
                    &member,
                    Invocation::PublishMemberKey(PublishMemberKey {
                        public_key: public_hex(&key),
                    }),
                )
                .await?;
                print(args.common.node.json, &view, |v| {
                    format!(
                        "published the member key of {} ({}, ledger entry {sequence})\n",
                        v.member.name, v.public_key
                    )
                })
            }
            DataKeyCommand::Share(args) => {
                let (client, member) = args.common.open().await?;
                let path = org_key_path(&args.common.member.identity);
                if !path.is_file() {
                    bail!(
                        "{}: no organization data key here to share (`data put` creates it)",
                        path.display()
                    );
                }
                let org_key = args.common.member.org_data_key()?;
                let target: MemberKeyView = client
                    .ask(&member, &Query::GetMemberKey { name: args.to.clone() })
                    .await
                    .with_context(|| {
                        format!(
                            "{} of {} has published no member key: it runs `strongroom org data-key publish` first",
                            args.to,
                            member.msp_id()
                        )
                    })?;
                let wrapped = data::wrap_org_key(
                    &parse_public(&target.public_key)?,
                    &org_key,
                    member.msp_id(),
                    &args.to,
                )?;
                let (view, sequence): (OrgKeyShareView, u64) = flow::invoke(
                    &client,
                    &member,
                    Invocation::ShareOrgKey(ShareOrgKey {
                        to: args.to.clone(),
                        public_key: target.public_key,
                        wrapped_key: wrapped,
                    }),
                )
                .await?;
                print(args.common.node.json, &view, |v| {
                    format!(
                        "shared {}'s data key with {} (wrapped to {}, ledger entry {sequence})\n",
                        v.to.msp_id, v.to.name, v.public_key
                    )
                })
            }
            DataKeyCommand::Fetch(args) => {
                let (client, member) = args.common.open().await?;
                let identity = &args.common.member.identity;
                let path = org_key_path(identity);
                if path.exists() {
                    bail!(
                        "{}: an organization data key is already here",
                        path.display()
                    );
                }
                let key = args.common.member.result_key()?;
                match fetch_shared(&client, &member, &key, identity).await? {
                    Some((_, share)) => print(args.common.node.json, &share, |s| {
                        format!(
                            "fetched {}'s data key, shared by {} at {} ms, into {}\n",
                            s.to.msp_id,
                            s.by.name,
                            s.shared_at_ms,
                            path.display()
                        )
                    }),
                    None => bail!(
                        "no organization data key was shared with {}: an owner of {} runs `strongroom org data-key share --to {}`",
                        member.name(),
                        member.msp_id(),
                        member.name()
                    ),
                }
            }
        }
    })?
}
