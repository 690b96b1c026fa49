//! `strongroom observe`: an organization without a TEE keeps a verified copy of the
//! consortium's ledger, fetched from the nodes' peer listeners, and holds no secret
//! (`strongroom_node::peer::Observer`, ADR 0016). With `--listen` it serves that copy
//! to other observers as the nodes do (`Observer::serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use strongroom_identity::read_certificate;
use strongroom_node::peer::{NodeCredential, ObserveError, Observer};

use super::net::{NodeArgs, block_on};

/// Arguments of `strongroom observe`.
#[derive(Debug, Args)]
pub struct ObserveArgs {
    /// The node whose attestation vouches for the service key every signature entry
    /// must verify under (its API).
    #[command(flatten)]
    node: NodeArgs,
    /// Where the observed ledger is kept (`ledger.redb`), as in a node's data directory.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// A node's peer listener, or a serving observer's `--listen`, `host:port`, to
    /// fetch entries from (repeatable; the first that answers serves).
    #[arg(long = "peer", required = true, value_name = "HOST:PORT")]
    peers: Vec<String>,
    /// This observer's certificate, issued by its organization with `strongroom node
    /// enroll` (`NAME.pem`, its key beside it): peers accept only consortium node
    /// certificates.
    #[arg(long, value_name = "FILE")]
    certificate: PathBuf,
    /// An organization whose node certificates the peers present, `MSP=CA.pem`
    /// (repeatable).
    #[arg(long = "org", required = true, value_name = "MSP=FILE")]
    orgs: Vec<String>,
    /// Stop once the peers have nothing newer, instead of following.
    #[arg(long)]
    once: bool,
    /// While following, serve the verified copy on this address (`host:port`; port 0
    /// picks one, the bound address is printed) as nodes serve it
    /// (`/cluster/v1/ledger`, mutual TLS): only node certificates of the `--org`
    /// organizations are answered, and another observer can follow this one with
    /// `--peer`. The certificate must name the address it is called at.
    #[arg(long, value_name = "ADDR", conflicts_with = "once")]
    listen: Option<SocketAddr>,
    /// How often to ask for new entries while following, in milliseconds.
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
}

/// Runs `strongroom observe`.
pub fn run(args: ObserveArgs) -> Result<()> {
    block_on(observe(args))?
}

async fn observe(args: ObserveArgs) -> Result<()> {
    let roots = args
        .orgs
        .iter()
        .map(|org| {
            let Some((msp, file)) = org.split_once('=') else {
                bail!("--org {org:?}: expected MSP=CA.pem");
            };
            let der = read_certificate(std::path::Path::new(file))
                .with_context(|| format!("--org {msp}: cannot read {file}"))?;
            Ok((msp.to_owned(), der))
        })
        .collect::<Result<Vec<_>>>()?;
    let credential = NodeCredential::load(&args.certificate)?;
    let client = args.node.connect().await?;
    let mut observer = Observer::open(
        &args.dir,
        client.service_key().clone(),
        &credential,
        roots,
        args.peers.clone(),
    )?;
    eprintln!(
        "strongroom: observing from {}; {} entries held and verified",
        args.peers.join(", "),
        observer.head()
    );
    // Serves until the process ends.
    let _server = match args.listen {
        Some(listen) => {
            let server = observer.serve(listen, &credential)?;
            println!("serving the verified ledger to peers at {}", server.addr());
            Some(server)
        }
        None => None,
    };
    loop {
        match observer.catch_up().await {
            Ok(appended) => {
                if appended > 0 || args.once {
                    report(&observer, appended);
                }
                if args.once {
                    return Ok(());
                }
            }
            Err(e @ ObserveError::Unreachable { .. }) if !args.once => {
                eprintln!("strongroom: {e}; retrying");
            }
            Err(e) => return Err(e.into()),
        }
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
    }
}

fn report(observer: &Observer, appended: u64) {
    let signed = observer
        .signed_up_to()
        .map_or_else(|| "none yet".to_owned(), |s| s.to_string());
    println!(
        "ledger head {}: {appended} new entries verified; signed up to entry {signed}",
        observer.head()
    );
}
