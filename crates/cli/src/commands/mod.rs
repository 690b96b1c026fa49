//! The subcommands.

mod attest;
mod bench;
mod crypto;
mod identity;
mod ledger;

use anyhow::Result;
use clap::Subcommand;

/// What `strongroom` can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify TEE attestation evidence against a policy.
    #[command(subcommand)]
    Attest(attest::AttestCommand),
    /// Measure strongroom's speed on this machine.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Encrypt, decrypt, hash, sign and verify files; generate keys.
    #[command(subcommand)]
    Crypto(crypto::CryptoCommand),
    /// Verify a ledger or a receipt offline.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Enroll members of an organization.
    #[command(subcommand)]
    Member(identity::MemberCommand),
    /// Create organizations (MSP id and CA).
    #[command(subcommand)]
    Org(identity::OrgCommand),
}

/// Runs one subcommand.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Attest(command) => attest::run(command),
        Command::Bench(command) => bench::run(command),
        Command::Crypto(command) => crypto::run(command),
        Command::Ledger(command) => ledger::run(command),
        Command::Member(command) => identity::run_member(command),
        Command::Org(command) => identity::run_org(command),
    }
}
