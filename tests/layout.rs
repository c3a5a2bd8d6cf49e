//! The shape of the library, checked: the top-level modules of `src/` form
//! no cycle, each uses only the modules of the layers below its own as
//! `src/lib.rs` writes them, and the crate root re-exports a small, curated
//! API (at most 40 names).
//!
//! A module's dependencies are the `crate::NAME` paths in its code (comments
//! excluded), with root re-exports such as `crate::Error` resolved to the
//! module they come from.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_ROOT_NAMES: usize = 40;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (line comments and doc comments;
/// the crate uses no block comments).
fn code_of(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL) is not a comment, but no
            // `crate::` path follows one in this crate.
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Identifiers following `crate::` (or `$crate::`) in `code`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// The names `lib.rs` re-exports, each with the module it comes from.
fn root_exports() -> BTreeMap<String, String> {
    let lib = code_of(&src().join("lib.rs"));
    let mut exports = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let Some(path) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let (module, rest) = path.split_once("::").expect("pub use MODULE::...");
        // `MODULE::sub::{A, B}` or `MODULE::sub::A`: the names after the
        // last path segment.
        let names = match rest.find('{') {
            Some(brace) => &rest[brace..],
            None => rest.rsplit("::").next().unwrap_or(rest),
        };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            exports.insert(name.to_owned(), module.to_owned());
        }
    }
    exports
}

/// Top-level module name of a file under `src/` (`lists` for
/// `src/lists/trust.rs`, `time` for `src/time.rs`), or `None` for `lib.rs`.
fn top_module(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let exports = root_exports();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = top_module(&file) else {
            continue;
        };
        let deps = graph.entry(module.clone()).or_default();
        for name in crate_paths(&code_of(&file)) {
            let target = if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                exports
                    .get(&name)
                    .unwrap_or_else(|| {
                        panic!("{}: crate::{name} is not a root export", file.display())
                    })
                    .clone()
            } else {
                name
            };
            if target != module {
                deps.insert(target);
            }
        }
    }
    graph
}

/// A cycle through `node`, if the graph has one reachable from it.
fn find_cycle(
    graph: &BTreeMap<String, BTreeSet<String>>,
    node: &str,
    stack: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = stack.iter().position(|n| n == node) {
        let mut cycle = stack[at..].to_vec();
        cycle.push(node.to_owned());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    stack.push(node.to_owned());
    for dep in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = find_cycle(graph, dep, stack, done) {
            return Some(cycle);
        }
    }
    stack.pop();
    done.insert(node.to_owned());
    None
}

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = module_graph();
    for (module, deps) in &graph {
        println!("{module} -> {deps:?}");
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = find_cycle(&graph, module, &mut Vec::new(), &mut done) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
    // The bottom layer uses nothing but the time type.
    assert_eq!(
        graph["error"].iter().collect::<Vec<_>>(),
        ["time"],
        "error may only use time"
    );
    assert!(graph["time"].is_empty(), "time uses no other module");
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default().insert("a".into());
    let cycle = find_cycle(&graph, "a", &mut Vec::new(), &mut BTreeSet::new()).unwrap();
    assert_eq!(cycle, ["a", "b", "c", "a"]);
    assert_eq!(
        crate_paths("use crate::lists::X; $crate::error::Error"),
        ["lists", "error"]
    );
}

#[test]
fn the_root_api_is_small() {
    let exports = root_exports();
    println!("{} root names: {:?}", exports.len(), exports.keys());
    assert!(
        exports.len() <= MAX_ROOT_NAMES,
        "{} names re-exported at the crate root, at most {MAX_ROOT_NAMES}",
        exports.len()
    );
    // No constants at the root: limits live in `medcode::limits`, defaults
    // in their modules.
    let constants: Vec<_> = exports
        .keys()
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        })
        .collect();
    assert!(constants.is_empty(), "constants at the root: {constants:?}");
}

#[test]
fn a_bad_time_is_an_invalid_argument() {
    let err = medcode::UnixTime::parse_rfc3339("yesterday").unwrap_err();
    let err = medcode::Error::from(err);
    assert_eq!(err.reason(), medcode::Reason::InvalidArgument);
    assert!(
        err.to_string()
            .starts_with("invalid time: \"yesterday\" is not an RFC 3339 time"),
        "{err}"
    );
}

/// The layers written in `src/lib.rs` (the line `// layers: a b | c | ...`),
/// bottom up, each a set of top-level modules.
fn written_layers() -> Vec<Vec<String>> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let line = lib
        .lines()
        .find_map(|l| l.trim().strip_prefix("// layers:"))
        .expect("src/lib.rs writes its layers on a `// layers:` line");
    line.split('|')
        .map(|layer| layer.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[test]
fn modules_use_only_the_layers_below_their_own() {
    let layers = written_layers();
    let layer_of = |module: &str| {
        layers
            .iter()
            .position(|l| l.iter().any(|m| m == module))
            .unwrap_or_else(|| panic!("module {module} is in no layer of src/lib.rs"))
    };
    let graph = module_graph();
    let mut wrong = Vec::new();
    for (module, deps) in &graph {
        for dep in deps {
            if layer_of(dep) >= layer_of(module) {
                wrong.push(format!("{module} uses {dep}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "against the layers of src/lib.rs: {wrong:?}"
    );
    // Every layer names real modules, each once.
    let named: Vec<&String> = layers.iter().flatten().collect();
    let unique: BTreeSet<&String> = named.iter().copied().collect();
    assert_eq!(named.len(), unique.len(), "a module named twice");
    for module in graph.keys() {
        assert!(unique.contains(module), "{module} is in no layer");
    }
}

/// At most this many names reachable through the public modules, beside
/// the root names (a root name defined in a public module's own file, such
/// as `keys::PublicKey`, is counted once, as a root name).
const MAX_MODULE_NAMES: usize = 120;

/// The file of module `name` declared in `dir` (`name.rs` or `name/mod.rs`).
fn module_file(dir: &Path, name: &str) -> PathBuf {
    let flat = dir.join(format!("{name}.rs"));
    if flat.exists() {
        flat
    } else {
        dir.join(name).join("mod.rs")
    }
}

/// The names a module file makes public at its own path: its `pub use`
/// names and its top-level `pub` items (not `pub(crate)`), its unit tests
/// left out; and the public modules it declares.
fn public_names(code: &str) -> (BTreeSet<String>, Vec<String>) {
    let code = code.split("#[cfg(test)]\nmod tests").next().unwrap_or(code);
    let mut names = BTreeSet::new();
    let mut modules = Vec::new();
    for stmt in code.split(';') {
        let stmt = stmt.trim_start();
        // Attributes before the statement (a cfg) are skipped.
        let stmt = stmt
            .lines()
            .skip_while(|l| l.trim_start().starts_with("#["))
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(path) = stmt.strip_prefix("pub use ") {
            let list = match path.find('{') {
                Some(brace) => &path[brace + 1..path.rfind('}').unwrap_or(path.len())],
                None => path.rsplit("::").next().unwrap_or(path),
            };
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let name = name.rsplit(" as ").next().unwrap_or(name);
                names.insert(name.rsplit("::").next().unwrap_or(name).to_owned());
            }
        } else if let Some(name) = stmt.strip_prefix("pub mod ") {
            modules.push(name.trim().to_owned());
        }
    }
    for line in code.lines() {
        for kind in [
            "pub fn ",
            "pub const fn ",
            "pub struct ",
            "pub enum ",
            "pub trait ",
            "pub const ",
            "pub type ",
            "pub static ",
        ] {
            if let Some(rest) = line.strip_prefix(kind) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
        }
    }
    (names, modules)
}

/// Every `medcode::module::...::Name` path the public modules give, as
/// (module path, name).
fn module_paths() -> Vec<(String, String)> {
    fn visit(file: &Path, dir: &Path, path: &str, out: &mut Vec<(String, String)>) {
        let (names, modules) = public_names(&code_of(file));
        out.extend(names.into_iter().map(|n| (path.to_owned(), n)));
        for module in modules {
            let file = module_file(dir, &module);
            let sub = file.parent().unwrap().join(&module);
            let dir = if file.ends_with("mod.rs") {
                file.parent().unwrap().to_path_buf()
            } else {
                sub
            };
            visit(&file, &dir, &format!("{path}::{module}"), out);
        }
    }
    let (_, top) = public_names(&code_of(&src().join("lib.rs")));
    let mut out = Vec::new();
    for module in top {
        let file = module_file(&src(), &module);
        let dir = if file.ends_with("mod.rs") {
            file.parent().unwrap().to_path_buf()
        } else {
            src().join(&module)
        };
        visit(&file, &dir, &module, &mut out);
    }
    out
}

#[test]
fn the_public_modules_give_few_names_each_at_one_path() {
    let root = root_exports();
    let paths = module_paths();
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (module, name) in &paths {
        by_name.entry(name).or_default().push(module);
    }
    let counted: Vec<_> = paths
        .iter()
        .filter(|(_, name)| !root.contains_key(name.as_str()))
        .collect();
    println!(
        "{} names through public modules (and {} root names): {counted:?}",
        counted.len(),
        root.len()
    );
    assert!(
        counted.len() <= MAX_MODULE_NAMES,
        "{} names reachable through public modules, at most {MAX_MODULE_NAMES}",
        counted.len()
    );
    // One path per name.
    let twice: Vec<_> = by_name.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(twice.is_empty(), "names at more than one path: {twice:?}");
    // Constants in `limits` only.
    let constants: Vec<_> = paths
        .iter()
        .filter(|(module, name)| {
            module != "limits"
                && name.len() > 1
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        })
        .collect();
    assert!(
        constants.is_empty(),
        "constants outside limits: {constants:?}"
    );
}
