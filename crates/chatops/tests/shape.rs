//! The engine's shape, as `docs/dev/architecture.md` states it, checked on its sources (the
//! way rust-analyzer's tidy tests check theirs):
//!
//! - no source file longer than 600 lines before its `#[cfg(test)]` part;
//! - `impl Engine` only in the kernel (`src/kernel/`): a command is a module with a handler
//!   that takes a context, never a method of the engine;
//! - no cycle between the crate's top-level modules, where a module depends on another when
//!   its code (outside comments and tests) names `crate::<other>`;
//! - every command module is one line of the `commands!` list, and the engine names no transport.

#![allow(clippy::unwrap_used)] // tests may panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as paths relative to `src/`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src()).unwrap().to_path_buf());
        }
    }
}

/// A file's code before its tests, without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(src().join(path)).unwrap();
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or_default();
    before_tests
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string (a URL) is rare in this crate; a comment is not code.
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module a file belongs to (`kernel` for `kernel/dispatch.rs`).
fn top(path: &Path) -> String {
    let first = path.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// The top-level modules `code` names as `crate::<name>` (also inside `crate::{a, b::c}`).
fn named(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `$crate::` in a macro is the crate itself, as much as `crate::`.
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

#[test]
fn no_source_file_is_longer_than_600_lines_before_its_tests() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(src().join(path)).unwrap();
            let lines = text.split("#[cfg(test)]").next().unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

/// Whether `code` has an `impl Engine` block (not `impl EngineConfig`).
fn implements_engine(code: &str) -> bool {
    code.match_indices("impl Engine").any(|(at, found)| {
        !code[at + found.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn only_the_kernel_implements_the_engine() {
    assert!(implements_engine("impl Engine {") && !implements_engine("impl EngineConfig {"));
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let outside: Vec<String> = files
        .iter()
        .filter(|path| top(path) != "kernel" && implements_engine(&code(path)))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        outside.is_empty(),
        "`impl Engine` outside src/kernel: {outside:?}"
    );
}

#[test]
fn the_modules_form_no_cycle() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| top(p))
        .filter(|m| m != "lib")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let from = top(path);
        if from == "lib" {
            continue;
        }
        let edges = graph.entry(from.clone()).or_default();
        for to in named(&code(path)) {
            if to != from && modules.contains(&to) {
                edges.insert(to);
            }
        }
    }
    // Depth-first search with colours: a grey node met again closes a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|n| n == next).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, graph, state, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0
            && let Some(cycle) = visit(node, &graph, &mut state, &mut Vec::new())
        {
            panic!("a module cycle: {}", cycle.join(" -> "));
        }
    }
    // The kernel depends on the commands, which depend on the context and the services:
    // the check sees real edges.
    assert!(graph["kernel"].contains("commands"), "{graph:?}");
    assert!(graph["commands"].contains("context"), "{graph:?}");
}

#[test]
fn the_cycle_check_reads_paths_and_groups() {
    let names =
        named("use crate::{access::Caller, reply, token::{A, B}};\nlet x = crate::kernel::f();");
    assert!(names.contains("access") && names.contains("reply") && names.contains("kernel"));
    assert!(names.contains("token"), "{names:?}");
}

#[test]
fn every_command_module_is_one_line_of_the_list_and_the_engine_names_no_transport() {
    let list = std::fs::read_to_string(src().join("commands/mod.rs")).unwrap();
    let start = list.find("\ncommands! {").expect("the command list");
    let body = &list[start..start + list[start..].find("\n}").unwrap()];
    let lines: Vec<&str> = body.lines().skip(2).map(str::trim).collect();
    // `module: [module::COMMAND, module::sub::COMMAND],`: a line a module.
    let listed: usize = lines
        .iter()
        .map(|line| {
            let (module, commands) = line.split_once(": [").expect(line);
            assert!(commands.ends_with("],"), "{line}");
            let commands: Vec<&str> = commands.trim_end_matches("],").split(", ").collect();
            assert!(
                commands
                    .iter()
                    .all(|c| c.starts_with(&format!("{module}::")) && c.ends_with("::COMMAND")),
                "{line}"
            );
            commands.len()
        })
        .sum();
    assert_eq!(listed, agent_chatops::COMMANDS.len(), "{lines:?}");
    // The engine knows its transports only as the profile each registers: no namespace,
    // cap or limit of theirs is named in the kernel, the services or the store.
    let mut files = Vec::new();
    sources(&src(), &mut files);
    for path in files
        .iter()
        .filter(|p| ["kernel", "services", "store", "commands"].contains(&top(p).as_str()))
    {
        let code = code(path).to_lowercase();
        for name in ["discord", "telegram"] {
            assert!(
                !code.contains(&format!("{name}_seen")) && !code.contains(&format!("{name}-seen")),
                "{} names {name}'s records",
                path.display()
            );
        }
    }
}
