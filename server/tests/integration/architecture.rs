//! The server's layering, read from its source: no module imports one
//! that imports it back (file by file, and folder by folder under
//! `src/`), the store imports neither the realtime hub nor the role
//! rules, and every write's policy and keyed transaction live in
//! `src/writes`, the one path the HTTP routes and server rendering share,
//! which alone tells the hub what it committed (the routes, but the
//! socket's own, never reach the hub).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`db/events`, `lib` for the crate root) → its source with
/// comments and the `#[cfg(test)] mod tests` block left out.
fn sources() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module = relative.to_string_lossy().replace('\\', "/");
            if let Some(parent) = module.strip_suffix("/mod") {
                module = parent.to_owned();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            out.insert(module, code_of(&text));
        }
    }
    out
}

/// `text` without `//` comments and without its unit tests.
fn code_of(text: &str) -> String {
    let code: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    match code.find("#[cfg(test)]\nmod tests") {
        Some(at) => code[..at].to_owned(),
        None => code,
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every module path `code` names through `crate::` or `super::`, as
/// segment lists from the crate root (groups `{a, b}` expanded one level).
fn paths_named(module: &str, code: &str) -> Vec<Vec<String>> {
    let here: Vec<&str> = match module {
        "lib" | "main" => vec![],
        m => m.split('/').collect(),
    };
    let parent: Vec<String> = here[..here.len().saturating_sub(1)]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out = Vec::new();
    for (start, base) in ["crate::", "super::"]
        .iter()
        .flat_map(|b| code.match_indices(b).map(|(at, _)| (at, *b)))
    {
        if code[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let mut segments: Vec<String> = if base == "crate::" {
            vec![]
        } else {
            parent.clone()
        };
        let mut rest = &code[start + base.len()..];
        loop {
            let len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
            if len == 0 {
                break;
            }
            segments.push(rest[..len].to_owned());
            rest = &rest[len..];
            match rest.strip_prefix("::") {
                Some(more) => rest = more,
                None => break,
            }
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let item: String = item.trim().chars().take_while(|&c| is_ident(c)).collect();
                if !item.is_empty() {
                    let mut path = segments.clone();
                    path.push(item);
                    out.push(path);
                }
            }
        }
        out.push(segments);
    }
    out
}

/// Module → the other modules of the crate it names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let sources = sources();
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, code) in &sources {
        let mut named = BTreeSet::new();
        for path in paths_named(module, code) {
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].join("/"))
                .find(|m| modules.contains(m));
            if let Some(target) = target.filter(|t| t != module) {
                named.insert(target);
            }
        }
        graph.insert(module.clone(), named);
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, path) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

/// The graph between the top-level folders and files of `src/`.
fn folders(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |m: &str| m.split('/').next().unwrap().to_owned();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in graph {
        let entry = out.entry(top(from)).or_default();
        entry.extend(targets.iter().map(|t| top(t)).filter(|t| *t != top(from)));
    }
    out
}

/// The modules whose code names `needle`.
fn naming(needle: &str) -> BTreeSet<String> {
    sources()
        .into_iter()
        .filter(|(_, code)| code.contains(needle))
        .map(|(module, _)| module)
        .collect()
}

#[test]
fn the_reader_sees_imports_and_cycles() {
    let graph = imports();
    assert!(graph["routes/posts"].contains("writes"));
    assert!(graph["db/posts"].contains("db/events"), "super:: paths");
    let looped: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), ["b".to_owned()].into()),
        ("b".to_owned(), ["a".to_owned()].into()),
    ]
    .into();
    assert_eq!(cycle(&looped).unwrap(), ["a", "b", "a"]);
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    assert_eq!(cycle(&graph), None, "files");
    assert_eq!(cycle(&folders(&graph)), None, "folders");
}

#[test]
fn the_store_knows_neither_the_hub_nor_the_role_rules() {
    for (module, targets) in imports().iter().filter(|(m, _)| m.starts_with("db")) {
        for target in targets {
            assert!(
                !target.starts_with("realtime") && target != "auth/policy",
                "{module} imports {target}"
            );
        }
    }
}

#[test]
fn every_write_decides_its_policy_and_transaction_in_writes() {
    let outside = |modules: BTreeSet<String>| -> Vec<String> {
        modules
            .into_iter()
            .filter(|m| !m.starts_with("writes") && m != "auth/policy" && m != "auth")
            .collect()
    };
    assert_eq!(outside(naming("policy::")), Vec::<String>::new());
    assert_eq!(
        outside(naming(".begin_keyed(")),
        Vec::<String>::new(),
        "the keyed frame"
    );
    assert_eq!(
        outside(naming("settle(")),
        ["db/idempotency".to_owned()],
        "the keyed frame"
    );
    let beyond_writes = |needle: &str| -> Vec<String> {
        naming(needle)
            .into_iter()
            .filter(|m| !m.starts_with("writes") && !m.starts_with("realtime"))
            .collect()
    };
    assert_eq!(
        beyond_writes(".announce("),
        Vec::<String>::new(),
        "commits reach the hub from writes"
    );
    assert_eq!(
        beyond_writes("end_session("),
        Vec::<String>::new(),
        "ended sessions reach the hub from writes"
    );
    let routes_on_the_hub: Vec<String> = imports()
        .into_iter()
        .filter(|(module, _)| module.starts_with("routes") && module != "routes/events")
        .filter(|(_, targets)| targets.iter().any(|t| t.starts_with("realtime")))
        .map(|(module, _)| module)
        .collect();
    assert_eq!(
        routes_on_the_hub,
        Vec::<String>::new(),
        "only the socket's route reaches the hub"
    );
}
