//! The subcommands.

mod attest;
mod bench;
mod console;
mod crypto;
mod demo;
pub(crate) mod devnet;
mod flow;
mod governance;
mod identity;
mod ledger;
mod net;
mod node;
mod observe;
pub(crate) mod org_key;
mod recovery;
mod sharing;
pub(crate) mod worker;

use anyhow::Result;
use clap::Subcommand;

/// What `strongroom` can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole data-sharing flow on this machine: a node, three organizations,
    /// encrypted patient data, permission, two analyses, an unrelated organization
    /// refused at every step, and the ledger verified offline.
    Demo(demo::DemoArgs),
    /// Run a node.
    #[command(subcommand)]
    Node(Box<node::NodeCommand>),
    /// Keep a verified copy of the consortium's ledger without a TEE or any secret
    /// (an observer, for an organization that runs no node).
    Observe(observe::ObserveArgs),
    /// Serve a member's web console on this machine: it verifies the node, signs as the
    /// member and opens results locally; prints the one-time URL to open.
    Console(console::ConsoleArgs),
    /// Start and stop a local consortium of several nodes on loopback.
    #[command(subcommand)]
    Devnet(devnet::DevnetCommand),
    /// Store encrypted datasets and register them with consent.
    #[command(subcommand)]
    Data(sharing::DataCommand),
    /// Search the catalog of consented datasets.
    #[command(subcommand)]
    Catalog(sharing::CatalogCommand),
    /// Register and list the algorithms tasks may run.
    #[command(subcommand)]
    Algorithm(sharing::AlgorithmCommand),
    /// Request, grant, refuse and revoke permissions.
    #[command(subcommand)]
    Access(sharing::AccessCommand),
    /// Request, approve, reject and inspect analyses.
    #[command(subcommand)]
    Task(sharing::TaskCommand),
    /// Read and decrypt a task's result.
    #[command(subcommand)]
    Result(sharing::ResultCommand),
    /// Run the owner-side analyzer that executes approved tasks at the data owner.
    #[command(subcommand)]
    Analyzer(sharing::AnalyzerCommand),
    /// Run the attested worker that executes TEE-mode tasks over several owners' data.
    #[command(subcommand)]
    Worker(worker::WorkerCommand),
    /// Fetch and verify receipts.
    #[command(subcommand)]
    Receipt(sharing::ReceiptCommand),
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
    /// Propose and vote on changes to the consortium's membership and rules.
    #[command(subcommand)]
    Governance(governance::GovernanceCommand),
    /// Recover the service from recovery members' shares when no node holds its
    /// secrets any more.
    #[command(subcommand)]
    Recovery(recovery::RecoveryCommand),
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
        Command::Demo(args) => demo::run(args),
        Command::Node(command) => node::run(*command),
        Command::Observe(args) => observe::run(args),
        Command::Console(args) => console::run(args),
        Command::Devnet(command) => devnet::run(command),
        Command::Data(command) => sharing::run_data(command),
        Command::Catalog(command) => sharing::run_catalog(command),
        Command::Algorithm(command) => sharing::run_algorithm(command),
        Command::Access(command) => sharing::run_access(command),
        Command::Task(command) => sharing::run_task(command),
        Command::Result(command) => sharing::run_result(command),
        Command::Analyzer(command) => sharing::run_analyzer(command),
        Command::Receipt(command) => sharing::run_receipt(command),
        Command::Worker(command) => worker::run(command),
        Command::Attest(command) => attest::run(command),
        Command::Bench(command) => bench::run(command),
        Command::Crypto(command) => crypto::run(command),
        Command::Ledger(command) => ledger::run(command),
        Command::Governance(command) => governance::run(command),
        Command::Recovery(command) => recovery::run(command),
        Command::Member(command) => identity::run_member(command),
        Command::Org(command) => identity::run_org(command),
    }
}
