//! `cargo xtask`: the spec and codegen chores of agent-ops, in plain Rust.
//!
//! One subcommand per chore, in the manner of rust-analyzer's xtask:
//! - `codegen` regenerates `crates/agent-api/src/generated.rs` from `openapi/agent-api.yaml`;
//! - `codegen --check` fails, with a diff summary, when the committed file is stale;
//! - `spec lint` checks the spec's completeness (operation ids, summaries, descriptions...);
//! - `spec check-docs` holds the vendor's documentation pages against the spec;
//! - `spec draft` drafts a path item from one page (a file, or fetched over HTTP);
//! - `spec diff` says what changed since a revision, what it breaks, and the bump it needs;
//! - `mutants` replays the regressions the tests must notice (`xtask/mutants/*.toml`).

mod codegen;
mod diff;
mod docs;
mod draft;
mod mutants;
mod paths;
mod spec;
mod surface;

use std::path::PathBuf;
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
    /// Replay the regressions of xtask/mutants/*.toml one at a time: each one's test command
    /// must fail with it in place (the file is put back after each). Exits non-zero when a
    /// mutant survives that is not marked `survives`.
    Mutants {
        /// Only check that every mutant applies (its `from` occurs once); run nothing.
        #[arg(long)]
        check: bool,
        /// Only the mutants whose name contains this.
        #[arg(long)]
        only: Option<String>,
    },
}

#[derive(Subcommand)]
enum SpecCommand {
    /// Check that the spec parses and is complete: every operation has an operationId, a summary
    /// and documented responses; every parameter and property has a description.
    Lint,
    /// Hold the vendor's documentation pages against the spec: every documented route, method,
    /// parameter and response field must be in the spec with the page's type and required flag,
    /// and the pages must agree with themselves. Exits non-zero on any finding.
    CheckDocs {
        /// Pages to check (text copied from the site, or saved HTML); default: openapi/seeds/*.
        pages: Vec<PathBuf>,
        /// The spec to check against.
        #[arg(long, default_value_os_t = paths::spec())]
        spec: PathBuf,
    },
    /// Print an OpenAPI path item (YAML) drafted from one documentation page.
    Draft {
        /// The page (text copied from the site, or saved HTML).
        #[arg(required_unless_present = "fetch", conflicts_with = "fetch")]
        page: Option<PathBuf>,
        /// Read the page over HTTP(S) instead.
        #[arg(long, value_name = "URL")]
        fetch: Option<String>,
    },
    /// Compare the spec at a git revision with the working one: changes, breaking or not, the
    /// public surface of the generated crate, the semver bump, a changelog entry. Exits non-zero
    /// on a breaking change unless --allow-breaking.
    Diff {
        /// The base revision.
        #[arg(long, default_value = "HEAD", conflicts_with = "base_file")]
        base: String,
        /// A base spec file instead of a revision.
        #[arg(long, value_name = "FILE")]
        base_file: Option<PathBuf>,
        /// The new spec.
        #[arg(long, default_value_os_t = paths::spec())]
        spec: PathBuf,
        /// Accept breaking changes (exit 0).
        #[arg(long)]
        allow_breaking: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check, verbose } => codegen::run(check, verbose),
        Command::Mutants { check, only } => mutants::run(check, only.as_deref()),
        Command::Spec { command } => match command {
            SpecCommand::Lint => spec::run_lint(),
            SpecCommand::CheckDocs { pages, spec } => docs::run_check(&spec, &pages),
            SpecCommand::Draft { page, fetch } => {
                draft::draft_text(page.as_deref(), fetch.as_deref()).map(|yaml| print!("{yaml}"))
            }
            SpecCommand::Diff {
                base,
                base_file,
                spec,
                allow_breaking,
            } => {
                let base = match &base_file {
                    Some(file) => diff::Base::File(file),
                    None => diff::Base::Rev(&base),
                };
                diff::run_diff(base, &spec, allow_breaking).map(|_| ())
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
