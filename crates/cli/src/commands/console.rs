//! `strongroom console`: the member's web console, served on this machine.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::Args;
use strongroom_console::{Console, Settings};

use super::net::{MemberArgs, NodeArgs, block_on};

/// Arguments of `strongroom console`.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    member: MemberArgs,
    /// Where to serve the console: a loopback address (port 0 picks one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

/// Runs the console until Ctrl-C.
pub fn run(args: ConsoleArgs) -> Result<()> {
    let member = args.member.load()?;
    let result_key = args.member.result_key()?;
    let org_key = if member.role() == strongroom_identity::Role::Owner {
        Some(args.member.org_data_key()?)
    } else {
        None
    };
    let node_cert = match &args.node.node_cert {
        None => None,
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the node's TLS certificate {}", path.display())
        })?),
    };
    let settings = Settings {
        node: args.node.node.clone(),
        node_cert,
        policy: args.node.policy()?,
        member,
        result_key,
        org_key,
    };
    block_on(async move {
        let console = Console::bind(settings, args.listen).await?;
        match console.attestation_failure() {
            Some(why) => eprintln!(
                "strongroom: the node at {} is NOT trusted: {why}\nstrongroom: the console shows only why",
                args.node.node
            ),
            None if console.insecure() => eprintln!(
                "strongroom: WARNING: the node at {} runs an INSECURE SIMULATION of a TEE",
                args.node.node
            ),
            None => {}
        }
        println!(
            "console for {} at {}",
            args.member.member,
            console.address()
        );
        println!("open {}", console.login_url());
        console
            .run(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })?
}
