//! The module graph is enforced, not hoped for: every `crate::` path in `src/` is an edge between
//! top-level modules, and the graph must have no cycle. `model` and `net` are leaves, and no
//! command borrows from another. A failure names the cycle and the files that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → (module it uses → files that use it).
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its `#[cfg(test)]` module (tests may reach anywhere) and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names used after `crate::`, including those in `use crate::{a, b::c}` groups.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split on commas outside nested braces.
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.extend(first_name(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.extend(first_name(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

fn first_name(item: &str) -> Option<String> {
    let name: String = item
        .trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

fn graph() -> (Graph, BTreeMap<String, String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g = Graph::new();
    let mut texts = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().to_string();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = code(&std::fs::read_to_string(&f).unwrap());
        g.entry(top.clone()).or_default();
        for used in crate_refs(&text) {
            if used != top && used != "self" && used != "super" {
                g.entry(top.clone())
                    .or_default()
                    .entry(used)
                    .or_default()
                    .insert(rel.clone());
            }
        }
        texts.insert(rel, text);
    }
    (g, texts)
}

/// A cycle as a path `a -> b -> ... -> a`, if the graph has one.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        g: &Graph,
        node: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in g
            .get(node)
            .map(|m| m.keys().cloned().collect::<Vec<String>>())
            .unwrap_or_default()
        {
            if let Some(c) = visit(g, &next, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in g.keys() {
        if let Some(c) = visit(g, node, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn module_graph_has_no_cycle() {
    let (g, _) = graph();
    if let Some(cycle) = find_cycle(&g) {
        let evidence: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("  {} -> {}  ({:?})", w[0], w[1], g[&w[0]][&w[1]]))
            .collect();
        panic!(
            "module cycle {}:\n{}\nmove the shared piece down a layer (see README, Project layout)",
            cycle.join(" -> "),
            evidence.join("\n")
        );
    }
}

#[test]
fn model_net_tzdb_and_fsutil_are_leaves() {
    let (g, _) = graph();
    for leaf in ["model", "net", "tzdb", "fsutil"] {
        assert!(
            g[leaf].is_empty(),
            "`{leaf}` must import nothing from the crate, but uses {:?}",
            g[leaf]
        );
    }
}

#[test]
fn stages_never_reach_up_to_settings_or_commands() {
    let (g, _) = graph();
    for stage in [
        "source", "rules", "message", "gateway", "ledger", "audit", "net", "model",
    ] {
        for higher in [
            "settings",
            "cmd",
            "cli",
            "output",
            "pipeline",
            "report",
            "reconcile",
        ] {
            assert!(
                !g[stage].contains_key(higher),
                "`{stage}` uses `{higher}` in {:?}: a stage must not depend on a layer above it",
                g[stage].get(higher)
            );
        }
    }
}

#[test]
fn commands_never_borrow_from_each_other() {
    let (_, texts) = graph();
    let commands = ["check", "init", "reconcile", "report", "scan", "send"];
    for (file, text) in texts.iter().filter(|(f, _)| f.starts_with("cmd/")) {
        let own = file
            .trim_start_matches("cmd/")
            .split(['/', '.'])
            .next()
            .unwrap();
        for other in commands.iter().filter(|c| **c != own) {
            for pat in [format!("cmd::{other}::"), format!("super::{other}::")] {
                assert!(
                    !text.contains(&pat) || own == "mod",
                    "{file} uses `{pat}`: move what commands share into a lower module"
                );
            }
        }
    }
}

#[test]
fn the_checker_finds_a_cycle() {
    let mut g = Graph::new();
    g.entry("a".into())
        .or_default()
        .entry("b".into())
        .or_default();
    g.entry("b".into())
        .or_default()
        .entry("a".into())
        .or_default();
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    assert_eq!(
        crate_refs("use crate::{model::{E164, Money}, net};\n crate::ledger::x"),
        ["ledger", "model", "net"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
}
