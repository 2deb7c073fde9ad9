//! The code blocks of `README.md` and of the operator's guide (`docs/operator/*.md`) that show
//! a command are run here, offline, and must pass; a block of a kind this test does not know
//! fails it, so the documents cannot drift from what the programs do.
//!
//! Each fenced block says its kind after the fence:
//!
//! - `chat`: lines typed into one session of `cargo run` (this crate's `agent-shell` binary on
//!   its built-in simulator, stdin piped): commands (`/numbers task:demo status:busy`), the
//!   number of an action of the last reply (`1` presses the first button), `exit`. A ` # `
//!   starts a comment. Every reply must be neither an error nor a refusal.
//! - `console`: `$ ` lines are shell commands (a trailing `\` continues one; `#` starts a
//!   comment; `VAR=value` words before the command set its environment; `export VAR=value`
//!   sets it for the block's later lines); the lines after a command are its expected output.
//!   Each expected line must match a line of the command's stdout, in order (lines may be left
//!   out; `...` inside a line matches any text). The command must exit 0, unless the first
//!   expected line starts with `refused:` or `error:`: then it must fail.
//!   - `cargo run [--release] [-p agent-shell] [-- ARGS]` is **run**: the binary
//!     (`CARGO_BIN_EXE_agent-shell`) with the same arguments and environment, in a fresh
//!     folder, with no `AGENT_*` variable of this process. When the line's environment names
//!     the platform (`AGENT_API_BASE_URL`, `AGENT_API_TOKEN`), a simulator started by this
//!     test stands in for it: its address and token replace the documented ones, a value that
//!     is a placeholder (`...`) is left out, and `<task id>` becomes the simulator's demo task.
//!   - Other `cargo` lines are **checked, not run** (they need a chat service's token, take
//!     minutes, or run this test itself): `cargo test --workspace` and `cargo fmt`/`clippy`
//!     must be in `.ci/run`; `cargo test -p P [--test T]`, `cargo bench -p P --bench B`, `cargo
//!     run -p P --example E` must name a package of the workspace and a file of it
//!     (`tests/T.rs`, `benches/B.rs`, `examples/E.rs`; an example also in `.ci/run`, which runs
//!     them); `cargo run -p P -- --flag` must name a package with a binary and flags its
//!     sources declare; `cargo xtask SUB` must name a subcommand of `xtask/src/main.rs`;
//!     `cargo doc -p P` a package. `bash .ci/run` must name the file.
//!   - Any other command fails the test: put it in an `sh` block.
//! - `sh`: a script for a live service (a webhook set with `curl`, say): not run; its `cargo`
//!   lines are checked as in `console`, and a `cargo run` of the shell in it fails (it can run
//!   here, so it belongs in a `console` block).
//! - `text`, `toml`, `rust`, `json`: shown, not run; a line in them that looks like a command
//!   (`$ …`, `cargo …`, `/numbers …`) fails the test (use `chat` or `console`).
//! - A fence without a kind, or with any other kind, fails the test.
#![allow(clippy::unwrap_used)] // tests may panic

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The documents whose blocks this test runs.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let guide = root().join("docs/operator");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&guide)
        .unwrap_or_else(|err| panic!("{}: {err}", guide.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

/// A fenced block: its document, its first line's number, its kind and its lines.
struct Block {
    place: String,
    kind: String,
    lines: Vec<String>,
}

fn blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    let mut blocks = Vec::new();
    let mut open: Option<(Block, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let block = Block {
                        place: format!("{name}:{}", n + 1),
                        kind: info.split_whitespace().next().unwrap_or("").to_string(),
                        lines: Vec::new(),
                    };
                    open = Some((block, indent));
                }
            }
            Some((mut block, indent_of_block)) => {
                if trimmed.trim_end() == "```" {
                    blocks.push(block);
                } else {
                    // Blocks inside list items are indented with their item.
                    let cut = indent.min(indent_of_block);
                    block.lines.push(line[cut..].to_string());
                    open = Some((block, indent_of_block));
                }
            }
        }
    }
    assert!(open.is_none(), "{name}: a block is not closed");
    blocks
}

/// A line split into words as a POSIX shell would (quotes, backslashes, `#` comments); a
/// trailing `&` is dropped.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => word
                .get_or_insert_default()
                .push(chars.next().unwrap_or('\\')),
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, '\\') => word.get_or_insert_default().extend(chars.next()),
            (None, '#') if word.is_none() => break,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("unclosed quote in `{line}`"));
    }
    words.extend(word);
    if words.last().is_some_and(|w| w == "&") {
        words.pop();
    }
    if let Some(w) = words
        .iter()
        .find(|w| ["|", ";", "&&", "||", ">", "<"].contains(&w.as_str()))
    {
        return Err(format!("`{w}` in `{line}`: one command a line"));
    }
    Ok(words)
}

/// Whether `line` matches `pattern`, where `...` matches any text.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Checks that `expected` lines match lines of `actual`, in order.
fn expect_lines(expected: &[String], actual: &str) -> Result<(), String> {
    let mut lines = actual.lines().map(str::trim_end);
    for want in expected {
        let want = want.trim_end();
        if !lines.any(|line| matches(want, line)) {
            return Err(format!("expected a line `{want}` (in order) in:\n{actual}"));
        }
    }
    Ok(())
}

/// The shell binary with none of this process's settings, in `dir`.
fn shell(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agent-shell"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AGENT_") || name == "LANG" || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
        .current_dir(dir)
        .env("TMPDIR", dir)
        .env("USER", "alice");
    command
}

/// Runs the shell with `stdin` as its input (a file in `dir`); says whether it succeeded, and
/// what it printed.
fn run_shell(mut command: Command, stdin: &str, dir: &Path) -> (bool, String, String) {
    let input = dir.join("typed.txt");
    std::fs::write(&input, stdin).unwrap();
    let output = command
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.success(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// A stand-in for the real platform, for lines that point the shell at one.
fn platform() -> &'static agent_sim::SimHandle {
    static PLATFORM: OnceLock<agent_sim::SimHandle> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        agent_sim::spawn_blocking_runtime(agent_sim::SimConfig {
            size: 300,
            token: "platform-token".into(),
            ..Default::default()
        })
        .unwrap()
    })
}

/// Whether a documented value stands for one the reader fills in.
fn placeholder(value: &str) -> bool {
    value.contains("...") || value.contains('…') || value.contains('<')
}

/// A `chat` block: its lines typed into one session.
fn run_chat(block: &Block) -> Result<(), String> {
    let mut typed = Vec::new();
    for line in &block.lines {
        let line = line.split(" # ").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let command =
            line.starts_with('/') && line[1..].starts_with(|c: char| c.is_ascii_lowercase());
        if !(command || line.parse::<usize>().is_ok() || line == "exit") {
            return Err(format!("`{line}` is neither a command, a press nor `exit`"));
        }
        typed.push(line.to_string());
    }
    if typed.is_empty() {
        return Err("a chat block without a command".into());
    }
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = run_shell(
        shell(dir.path()),
        &format!("{}\nexit\n", typed.join("\n")),
        dir.path(),
    );
    if !ok {
        return Err(format!("the session failed:\n{stdout}\n{stderr}"));
    }
    // The piped session echoes each line as `> line`, then prints the reply.
    // The last is the `exit` this test adds.
    let replies: Vec<&str> = stdout.split("\n> ").skip(1).collect();
    if replies.len() != typed.len() + 1 {
        return Err(format!(
            "{} replies for {} lines:\n{stdout}",
            replies.len(),
            typed.len()
        ));
    }
    for (line, reply) in typed.iter().zip(&replies) {
        let answer = reply.split_once('\n').map_or("", |(_, answer)| answer);
        if answer.starts_with("error:") || answer.starts_with("refused:") {
            return Err(format!("`{line}` was answered:\n{answer}"));
        }
    }
    Ok(())
}

/// One command of a `console` or `sh` block, with the output the document shows.
struct Step {
    line: String,
    expected: Vec<String>,
}

fn steps(block: &Block) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continued = false;
    for line in &block.lines {
        if continued {
            let step = steps.last_mut().unwrap();
            step.line.push(' ');
            step.line.push_str(line.trim().trim_end_matches('\\'));
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                line: command.trim_end_matches('\\').to_string(),
                expected: Vec::new(),
            });
        } else if block.kind == "sh" {
            steps.push(Step {
                line: line.trim_end_matches('\\').to_string(),
                expected: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            if !line.trim().is_empty() {
                step.expected.push(line.clone());
            }
        } else {
            return Err(format!("`{line}` comes before any `$ ` command"));
        }
        continued = line.trim_end().ends_with('\\');
    }
    Ok(steps)
}

/// What the workspace holds: its packages' folders by name, and `.ci/run`.
struct Workspace {
    packages: BTreeMap<String, PathBuf>,
    ci: String,
}

fn workspace() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    WORKSPACE.get_or_init(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        dirs.push(root().join("xtask"));
        dirs.push(root().join("tests"));
        let mut packages = BTreeMap::new();
        for dir in dirs {
            let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
                continue;
            };
            let name = manifest
                .lines()
                .find_map(|l| l.strip_prefix("name = \""))
                .and_then(|l| l.strip_suffix('"'))
                .unwrap_or_else(|| panic!("{}: no name", dir.display()));
            packages.insert(name.to_string(), dir);
        }
        let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
        Workspace { packages, ci }
    })
}

/// The value of an option (`-p agent-api`, `--package=agent-api`).
fn option<'a>(args: &'a [String], names: &[&str]) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, arg)| {
        names.iter().find_map(|name| {
            if arg == name {
                args.get(i + 1).map(String::as_str)
            } else {
                arg.strip_prefix(&format!("{name}="))
            }
        })
    })
}

/// The folder of a package named by `-p`, or why not.
fn package(args: &[String]) -> Result<Option<&'static Path>, String> {
    match option(args, &["-p", "--package"]) {
        None => Ok(None),
        Some(name) => workspace()
            .packages
            .get(name)
            .map(|dir| Some(dir.as_path()))
            .ok_or_else(|| format!("no package `{name}` in the workspace")),
    }
}

/// The files under `dir` whose names end with `.{ext}`, in every folder below it.
fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.map(|entry| entry.unwrap().path()) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                files.push(path);
            }
        }
    }
    files
}

/// Checks a `cargo` line that is not run (see the module's comment).
fn check_cargo(words: &[String]) -> Result<(), String> {
    let ws = workspace();
    let line = words.join(" ");
    let sub = words.get(1).map_or("", String::as_str);
    let (args, after) = match words.iter().position(|w| w == "--") {
        Some(at) => (&words[2..at], &words[at + 1..]),
        None => (&words[2.min(words.len())..], &words[words.len()..]),
    };
    let file = |kind: &str, names: &[&str]| -> Result<(), String> {
        let Some(name) = option(args, names) else {
            return Ok(());
        };
        let dir = package(args)?.ok_or(format!("`{line}`: {} without -p", names[0]))?;
        let path = dir.join(kind).join(format!("{name}.rs"));
        if path.is_file() {
            Ok(())
        } else {
            Err(format!("`{line}`: no {}", path.display()))
        }
    };
    match sub {
        "test" if args.iter().any(|a| a == "--workspace") => {
            if ws.ci.contains("cargo test --workspace") {
                Ok(())
            } else {
                Err("`cargo test --workspace` is not in .ci/run".into())
            }
        }
        "test" => {
            package(args)?;
            file("tests", &["--test"])
        }
        "bench" => {
            package(args)?.ok_or(format!("`{line}`: which package?"))?;
            file("benches", &["--bench"])
        }
        "fmt" | "clippy" => {
            let known = ws
                .ci
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("cargo {sub}")));
            if known {
                Ok(())
            } else {
                Err(format!("`cargo {sub}` is not in .ci/run"))
            }
        }
        "doc" => package(args).map(|_| ()),
        "xtask" => {
            let main = std::fs::read_to_string(root().join("xtask/src/main.rs")).unwrap();
            for word in args.iter().take_while(|w| !w.starts_with('-')).take(2) {
                let variant: String = word
                    .split('-')
                    .map(|part| {
                        let mut chars = part.chars();
                        chars
                            .next()
                            .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
                    })
                    .collect();
                if !main.contains(&format!("    {variant}")) {
                    return Err(format!("`{line}`: xtask has no subcommand `{word}`"));
                }
            }
            Ok(())
        }
        "run" => {
            let dir = package(args)?.ok_or(format!("`{line}`: which package?"))?;
            if let Some(example) = option(args, &["--example"]) {
                file("examples", &["--example"])?;
                return if ws.ci.contains(example) {
                    Ok(())
                } else {
                    Err(format!("`{line}`: .ci/run does not run the example"))
                };
            }
            if !dir.join("src/main.rs").is_file() {
                return Err(format!("`{line}`: the package has no binary"));
            }
            let sources: String = files_under(&root().join("crates"), "rs")
                .iter()
                .map(|path| std::fs::read_to_string(path).unwrap())
                .collect();
            for flag in after.iter().filter_map(|w| w.strip_prefix("--")) {
                let flag = flag.split('=').next().unwrap_or(flag);
                let field = flag.replace('-', "_");
                if !sources.contains(&format!("\"{flag}\""))
                    && !sources.contains(&format!("{field}:"))
                {
                    return Err(format!("`{line}`: no source declares --{flag}"));
                }
            }
            Ok(())
        }
        _ => Err(format!("`{line}`: cannot check `cargo {sub}`")),
    }
}

/// Whether `cargo ARGS` runs the shell (the default binary).
fn runs_the_shell(args: &[String]) -> bool {
    args.first().is_some_and(|a| a == "run")
        && option(args, &["-p", "--package"]).is_none_or(|p| p == "agent-shell")
        && option(args, &["--example", "--bin"]).is_none()
}

/// A `console` or `sh` block, step by step.
fn run_console(block: &Block) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let mut exported: Vec<(String, String)> = Vec::new();
    for step in steps(block)? {
        let mut words = words(&step.line)?;
        if words.is_empty() {
            continue;
        }
        if words[0] == "export" {
            for assignment in &words[1..] {
                let (name, value) = assignment
                    .split_once('=')
                    .ok_or(format!("`{}`: export what?", step.line))?;
                exported.push((name.into(), value.into()));
            }
            continue;
        }
        let mut env = exported.clone();
        while words.first().is_some_and(|w| {
            w.split_once('=').is_some_and(|(name, _)| {
                name.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            })
        }) {
            let assignment = words.remove(0);
            let (name, value) = assignment.split_once('=').unwrap();
            env.push((name.into(), value.into()));
        }
        match words.first().map(String::as_str) {
            Some("cargo") if runs_the_shell(&words[1..]) => {
                if block.kind == "sh" {
                    return Err(format!(
                        "`{}` runs here: put it in a console block",
                        step.line
                    ));
                }
                run_shell_step(&step, &words, &env, dir.path())?;
            }
            Some("cargo") => check_cargo(&words)?,
            Some("bash") if words.get(1).is_some_and(|w| w == ".ci/run") => {}
            Some(_) if block.kind == "sh" => {}
            Some(other) => {
                return Err(format!(
                    "`{other}` is not run here: put the line in an sh block"
                ));
            }
            None => {}
        }
        if block.kind == "console" && !step.expected.is_empty() && !runs_the_shell(&words[1..]) {
            return Err(format!(
                "`{}`: output shown for a command that is not run",
                step.line
            ));
        }
    }
    Ok(())
}

fn run_shell_step(
    step: &Step,
    words: &[String],
    env: &[(String, String)],
    dir: &Path,
) -> Result<(), String> {
    let mut command = shell(dir);
    let on_platform = env.iter().any(|(name, _)| name.starts_with("AGENT_API_"));
    for (name, value) in env {
        match name.as_str() {
            "AGENT_API_BASE_URL" if on_platform => command.env(name, platform().base_url()),
            "AGENT_API_TOKEN" if on_platform => command.env(name, platform().token()),
            _ if placeholder(value) => &mut command,
            _ => command.env(name, value),
        };
    }
    if on_platform && !env.iter().any(|(name, _)| name == "AGENT_API_BASE_URL") {
        command.env("AGENT_API_BASE_URL", platform().base_url());
    }
    if let Some(at) = words.iter().position(|w| w == "--") {
        command.args(
            words[at + 1..]
                .iter()
                .map(|arg| arg.replace("<task id>", agent_sim::DEMO_TASK_ID)),
        );
    }
    let (ok, stdout, stderr) = run_shell(command, "", dir);
    let refusal = step
        .expected
        .first()
        .is_some_and(|l| l.starts_with("refused:") || l.starts_with("error:"));
    if ok == refusal {
        return Err(format!(
            "`{}` {}:\n{stdout}\n{stderr}",
            step.line,
            if ok {
                "succeeded, the document says it fails"
            } else {
                "failed"
            }
        ));
    }
    expect_lines(&step.expected, &stdout).map_err(|err| format!("`{}`: {err}", step.line))
}

/// A block that is shown, not run, must not hold a command.
fn check_shown(block: &Block) -> Result<(), String> {
    for line in &block.lines {
        let line = line.trim_start();
        let slash =
            line.starts_with('/') && line[1..].starts_with(|c: char| c.is_ascii_lowercase());
        if slash || line.starts_with("$ ") || line.starts_with("cargo ") {
            return Err(format!(
                "`{line}` is a command in a `{}` block: use chat or console",
                block.kind
            ));
        }
    }
    Ok(())
}

#[test]
fn every_command_shown_in_the_readme_and_the_operator_guide_runs() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for path in documents() {
        for block in blocks(&path) {
            let result = match block.kind.as_str() {
                "chat" => run_chat(&block),
                "console" | "sh" => run_console(&block),
                "text" | "toml" | "rust" | "json" => check_shown(&block),
                "" => Err(
                    "a block without a kind: say chat, console, sh, text, toml, rust or json"
                        .into(),
                ),
                other => Err(format!(
                    "a block of kind `{other}`: this test knows chat, console, sh, text, toml, rust, json"
                )),
            };
            ran += 1;
            if let Err(err) = result {
                failures.push(format!("{} ({}): {err}", block.place, block.kind));
            }
        }
    }
    assert!(ran > 5, "only {ran} blocks found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_readme_shows_the_two_commands_and_stays_small() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.len() <= 10 * 1024,
        "README.md is {} bytes, more than 10 KB",
        readme.len()
    );
    let shown: Vec<String> = blocks(&root().join("README.md"))
        .into_iter()
        .filter(|b| b.kind == "console")
        .flat_map(|b| b.lines)
        .collect();
    for command in ["$ cargo run", "$ cargo test --workspace"] {
        assert!(
            shown
                .iter()
                .any(|l| l.trim_end() == command || l.starts_with(&format!("{command} "))),
            "README.md shows no `{command}`"
        );
    }
}

#[test]
fn the_checks_catch_what_they_should() {
    assert_eq!(
        words("A=1 cargo run -- '/numbers task:demo' # note").unwrap(),
        ["A=1", "cargo", "run", "--", "/numbers task:demo"]
    );
    assert!(words("cargo run | head").is_err());
    assert!(matches(
        "at http://...:... (token sim-token)",
        "at http://127.0.0.1:80 (token sim-token)"
    ));
    assert!(!matches("page 1/...", "page 2/25"));
    let w = |line: &str| words(line).unwrap();
    assert!(check_cargo(&w("cargo bench -p agent-core --bench export")).is_ok());
    assert!(check_cargo(&w("cargo bench -p agent-core --bench nothing")).is_err());
    assert!(check_cargo(&w("cargo xtask spec check-docs")).is_ok());
    assert!(check_cargo(&w("cargo xtask spec nothing")).is_err());
    assert!(
        check_cargo(&w(
            "cargo run -p discord-bot -- --http --listen 0.0.0.0:8080"
        ))
        .is_ok()
    );
    assert!(check_cargo(&w("cargo run -p discord-bot -- --no-such-flag")).is_err());
    assert!(check_cargo(&w("cargo run -p agent-api --example api_reset -- 8")).is_ok());
    assert!(check_cargo(&w("cargo frobnicate")).is_err());
    let block = |kind: &str, text: &str| Block {
        place: "test".into(),
        kind: kind.into(),
        lines: text.lines().map(String::from).collect(),
    };
    assert!(check_shown(&block("text", "/numbers task:demo")).is_err());
    assert!(run_console(&block("console", "$ curl http://example.com")).is_err());
    assert!(run_chat(&block("chat", "/numbers task:demo status:bussy")).is_err());
    assert_eq!(anchor("The client's overhead"), "the-clients-overhead");
    assert_eq!(
        anchor("`/watch`, `/unwatch`, `/watches`"),
        "watch-unwatch-watches"
    );
}

/// The anchor GitHub gives a heading: lower case, spaces as dashes, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A path with its `..` taken out.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every relative link of the README, the crates' READMEs and the book names a file that
/// exists, and a `#part` names one of its headings. `docs/configuration.md` is written from the
/// settings' declarations, and the test that writes it fails when it is missing or stale, so it
/// is only checked when it is there.
#[test]
fn every_link_of_the_book_leads_somewhere() {
    let mut files = vec![root().join("README.md")];
    files.extend(files_under(&root().join("docs"), "md"));
    for dir in std::fs::read_dir(root().join("crates")).unwrap() {
        let readme = dir.unwrap().path().join("README.md");
        if readme.is_file() {
            files.push(readme);
        }
    }
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut in_block = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_block = !in_block;
            }
            if in_block {
                continue;
            }
            for (_, rest) in line
                .match_indices("](")
                .map(|(at, _)| line.split_at(at + 2))
            {
                let target = rest.split(')').next().unwrap_or("");
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, part) = target.split_once('#').unwrap_or((target, ""));
                let linked = if path.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(path)
                };
                if normal(&linked) == normal(&root().join("docs/configuration.md"))
                    && !linked.exists()
                {
                    continue;
                }
                if !linked.exists() {
                    broken.push(format!("{}: `{target}`: no such file", file.display()));
                } else if !part.is_empty() {
                    let page = std::fs::read_to_string(&linked).unwrap_or_default();
                    let found = page
                        .lines()
                        .filter_map(|l| {
                            l.trim_start_matches('#')
                                .strip_prefix(' ')
                                .filter(|_| l.starts_with('#'))
                        })
                        .any(|heading| anchor(heading) == part);
                    if !found {
                        broken.push(format!(
                            "{}: `{target}`: no heading `#{part}`",
                            file.display()
                        ));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
