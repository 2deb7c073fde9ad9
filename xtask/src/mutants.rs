//! `cargo xtask mutants`: the regressions our tests must notice, replayed one at a time.
//!
//! Each `xtask/mutants/*.toml` lists mutants: a small, realistic regression of the production
//! code (`from` → `to` in one file, `from` occurring there exactly once) and the test command
//! that must fail on it. The runner checks that every command passes on the code as it is,
//! then applies each mutant, runs its command, and puts the file back, whatever happened. A
//! mutant whose command still passes *survived*: a promise no test holds. A survivor that is
//! known and harmless says why in `survives`, and does not fail the run.
//!
//! Written by hand rather than with `cargo-mutants`: that tool generates its own mutants
//! (hundreds per file, each a build and a test run, hours on two cores) and cannot be told
//! "this is the regression an audit made, and this is the test that must catch it".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// One regression and the test that must notice it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutant {
    /// What the regression is, in words.
    pub name: String,
    /// The file, from the workspace root.
    pub file: PathBuf,
    /// Text that occurs exactly once in the file.
    pub from: String,
    /// What it becomes.
    pub to: String,
    /// A shell command (run at the root) that must fail with the mutant in place.
    pub test: String,
    /// A known survivor: why it is harmless.
    #[serde(default)]
    pub survives: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MutantsFile {
    #[serde(default)]
    mutant: Vec<Mutant>,
}

/// Every mutant of `xtask/mutants/*.toml` under `root`, with the file it came from.
pub fn load(root: &Path) -> anyhow::Result<Vec<(PathBuf, Mutant)>> {
    let dir = root.join("xtask").join("mutants");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let parsed: MutantsFile =
            toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        all.extend(parsed.mutant.into_iter().map(|m| (file.clone(), m)));
    }
    Ok(all)
}

/// Problems that make a mutant meaningless: its `from` is missing or not unique, or it changes
/// nothing. Empty when every mutant applies.
pub fn problems(root: &Path, mutants: &[(PathBuf, Mutant)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (source, mutant) in mutants {
        let at = format!("{} ({})", mutant.name, source.display());
        if mutant.from == mutant.to {
            problems.push(format!("{at}: `from` and `to` are the same"));
            continue;
        }
        match std::fs::read_to_string(root.join(&mutant.file)) {
            Err(err) => problems.push(format!("{at}: {}: {err}", mutant.file.display())),
            Ok(text) => match text.matches(&mutant.from).count() {
                1 => {}
                n => problems.push(format!(
                    "{at}: `from` occurs {n} times in {} (must be once)",
                    mutant.file.display()
                )),
            },
        }
    }
    problems
}

/// Puts a mutated file back when dropped, however the run ends.
struct Restore<'a> {
    path: &'a Path,
    original: String,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        if let Err(err) = std::fs::write(self.path, &self.original) {
            eprintln!("error: could not restore {}: {err}", self.path.display());
        }
    }
}

/// Runs `command` at `root`, its output into `log`; whether it passed.
fn passes(root: &Path, command: &str, log: &Path) -> anyhow::Result<bool> {
    let out = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let status = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(root)
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()
        .with_context(|| format!("running `{command}`"))?;
    Ok(status.success())
}

/// `cargo xtask mutants`: check (`--check`: only that each mutant applies), or replay each
/// mutant whose name contains `only`.
pub fn run(check: bool, only: Option<&str>) -> anyhow::Result<()> {
    let root = crate::paths::root();
    let mutants: Vec<_> = load(&root)?
        .into_iter()
        .filter(|(_, m)| only.is_none_or(|only| m.name.contains(only)))
        .collect();
    let problems = problems(&root, &mutants);
    if !problems.is_empty() {
        bail!("mutants that do not apply:\n  {}", problems.join("\n  "));
    }
    println!("{} mutants apply", mutants.len());
    if check {
        return Ok(());
    }
    let logs = root.join("target").join("mutants");
    std::fs::create_dir_all(&logs)?;
    // Every command must pass on the code as it is, or a "kill" means nothing.
    let commands: BTreeMap<&str, usize> = mutants
        .iter()
        .enumerate()
        .map(|(i, (_, m))| (m.test.as_str(), i))
        .collect();
    for (command, i) in &commands {
        let log = logs.join(format!("baseline-{i}.log"));
        if !passes(&root, command, &log)? {
            bail!(
                "`{command}` fails without any mutant (see {})",
                log.display()
            );
        }
        println!("baseline passes: {command}");
    }
    let mut survivors = Vec::new();
    let mut unexplained = 0;
    for (i, (_, mutant)) in mutants.iter().enumerate() {
        let path = root.join(&mutant.file);
        let original = std::fs::read_to_string(&path)?;
        let killed = {
            let _restore = Restore {
                path: &path,
                original: original.clone(),
            };
            std::fs::write(&path, original.replacen(&mutant.from, &mutant.to, 1))?;
            let log = logs.join(format!("mutant-{i}.log"));
            !passes(&root, &mutant.test, &log)?
        };
        let verdict = match (killed, &mutant.survives) {
            (true, _) => "killed",
            (false, Some(_)) => "survived (known)",
            (false, None) => {
                unexplained += 1;
                "SURVIVED"
            }
        };
        println!("{verdict:>16}  {}", mutant.name);
        if !killed {
            survivors.push(mutant);
        }
    }
    println!(
        "\n{} mutants: {} killed, {} survived ({} unexplained)",
        mutants.len(),
        mutants.len() - survivors.len(),
        survivors.len(),
        unexplained
    );
    for mutant in &survivors {
        let why = mutant.survives.as_deref().unwrap_or("no test notices it");
        println!("  survivor: {}: {why}", mutant.name);
    }
    if unexplained > 0 {
        bail!("{unexplained} mutants survived that no test notices");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mutant still applies to the code: a mutant whose `from` was edited away would
    /// silently test nothing.
    #[test]
    fn every_mutant_applies_to_the_code_as_it_is() {
        let root = crate::paths::root();
        let mutants = load(&root).unwrap_or_else(|err| panic!("{err:#}"));
        assert!(!mutants.is_empty());
        let problems = problems(&root, &mutants);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
