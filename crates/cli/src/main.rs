//! The `strongroom` command: glue over the strongroom libraries.
//!
//! Every subcommand explains itself with `--help`. On error the command prints one
//! line that says what was wrong and exits non-zero, and leaves no partial output file
//! behind: outputs are written to a temporary file beside the destination and renamed
//! into place only on success.

mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::commands::Command;

/// mimalloc: the node allocates per request (TLS records, HTTP frames, JSON), and
/// glibc's allocator took ~7% of its CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// strongroom: share and analyse sensitive data between organizations without trusting
/// each other or the machines it runs on.
#[derive(Debug, Parser)]
#[command(name = "strongroom", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                error.exit();
            }
            // Usage errors too are one line: clap's first line, without its prefix.
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let reason = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("strongroom: error: {reason} (see --help)");
            return ExitCode::from(2);
        }
    };
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: the context chain joined, outermost first.
            let mut line = error.to_string();
            for cause in error.chain().skip(1) {
                line.push_str(": ");
                line.push_str(&cause.to_string());
            }
            eprintln!("strongroom: error: {line}");
            ExitCode::FAILURE
        }
    }
}
