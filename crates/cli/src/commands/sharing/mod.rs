//! The data-sharing commands: `data`, `catalog`, `algorithm`, `access`, `task`,
//! `result`, `analyzer` and `receipt`. Each connects to a node, verifies its
//! attestation, and acts as one member.

mod access;
mod catalog;
mod data;
mod run;
mod task;

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use strongroom_client::Client;
use strongroom_contract::sharing::DatasetKind;
use strongroom_identity::Member;

use crate::commands::net::{MemberArgs, NodeArgs};
use crate::output::AtomicFile;

pub use access::*;
pub use catalog::*;
pub use data::*;
pub use run::*;
pub use task::*;

/// Connection and identity, shared by every sharing command.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    pub(crate) node: NodeArgs,
    #[command(flatten)]
    pub(crate) member: MemberArgs,
}

impl Common {
    pub(crate) async fn open(&self) -> Result<(Client, Member)> {
        let member = self.member.load()?;
        let client = self.node.connect().await?;
        Ok((client, member))
    }
}

/// ε given as a decimal (such as 0.5), in millionths: positive and finite.
pub(super) fn epsilon_micro(flag: &str, epsilon: f64) -> Result<u64> {
    let micro = (epsilon * 1e6).round();
    if !(epsilon.is_finite() && (1.0..=1e15).contains(&micro)) {
        anyhow::bail!("{flag} {epsilon}: expected a positive ε of at least 0.000001");
    }
    Ok(micro as u64)
}

pub(super) fn ms_in_days(days: u64) -> Result<u64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?;
    let later = now
        .checked_add(Duration::from_secs(days.saturating_mul(86_400)))
        .ok_or_else(|| anyhow!("{days} days is too far in the future"))?;
    u64::try_from(later.as_millis()).context("time out of range")
}

/// A grant's row-window bound: a `YYYY-MM-DD` date (midnight UTC) or an RFC 3339
/// date-time, read as the analyzer reads the data's times.
pub(super) fn parse_row_time(text: &str) -> Result<u64, String> {
    let ms = strongroom_compute::timestamp_ms(text).ok_or_else(|| {
        format!("{text:?} is neither a YYYY-MM-DD date nor an RFC 3339 date-time")
    })?;
    u64::try_from(ms).map_err(|_| format!("{text:?} is before 1970, which a grant cannot express"))
}

pub(super) fn parse_kind(text: &str) -> Result<DatasetKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("unknown kind {text:?} (csv, parquet, vcf or blob)"))
}

// ---------------------------------------------------------------------------- data

/// A listing.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    common: Common,
}

/// One thing by id.
#[derive(Debug, Args)]
pub struct IdArgs {
    #[command(flatten)]
    common: Common,
    /// Its id.
    id: String,
}

/// An id and a reason.
#[derive(Debug, Args)]
pub struct ReasonArgs {
    #[command(flatten)]
    common: Common,
    /// The id.
    id: String,
    /// Why.
    #[arg(long)]
    reason: Option<String>,
}

pub(super) fn write_file(path: &std::path::Path, bytes: &[u8], force: bool) -> Result<()> {
    let mut file = AtomicFile::create(path, force)?;
    {
        let mut writer = file.writer();
        writer.write_all(bytes)?;
        writer.flush()?;
    }
    file.commit()
}
