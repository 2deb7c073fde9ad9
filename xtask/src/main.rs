//! `cargo xtask`: the spec and codegen chores of agent-ops, in plain Rust.
//!
//! One subcommand per chore, in the manner of rust-analyzer's xtask:
//! - `codegen` regenerates `crates/agent-api/src/generated.rs` from `openapi/agent-api.yaml`;
//! - `codegen --check` fails, with a diff summary, when the committed file is stale;
//! - `spec lint` checks the spec's completeness (operation ids, summaries, descriptions...).

mod codegen;
mod paths;
mod spec;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Spec and codegen chores for agent-ops",
    version
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the agent-api client from openapi/agent-api.yaml.
    Codegen {
        /// Do not write: exit non-zero with a diff summary if the committed code is stale.
        #[arg(long)]
        check: bool,
        /// With --check, print the whole unified diff instead of a summary.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Chores on the OpenAPI spec.
    Spec {
        #[command(subcommand)]
        command: SpecCommand,
    },
}

#[derive(Subcommand)]
enum SpecCommand {
    /// Check that the spec parses and is complete: every operation has an operationId, a summary
    /// and documented responses; every parameter and property has a description.
    Lint,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check, verbose } => codegen::run(check, verbose),
        Command::Spec {
            command: SpecCommand::Lint,
        } => spec::run_lint(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
