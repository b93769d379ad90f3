//! The crate's modules depend on each other without a cycle: between any two modules of one
//! parent, uses go one way. Read from the source: every `crate::` and `super::` path outside
//! unit tests is a use of the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// Every module of `src`, by path, with its source up to its unit tests.
fn modules() -> BTreeMap<Module, String> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let root = dirs[0].clone();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).expect("under src");
            let mut module: Module = relative
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let source = std::fs::read_to_string(&path).expect("a source file");
            let code = match source.find("#[cfg(test)]\nmod tests") {
                Some(tests) => source[..tests].to_owned(),
                None => source,
            };
            found.insert(module, code);
        }
    }
    found
}

/// The module paths a source names after `prefix` (`crate::` or `super::`): `a::b` and each
/// name of a group `{a, b::c}`.
fn named_after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = Module> + 'a {
    code.match_indices(prefix).flat_map(move |(at, _)| {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return Vec::new();
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            group.split(',').map(path_of).collect()
        } else {
            vec![path_of(rest)]
        }
    })
}

/// The leading `a::b::c` of a path: its lower-case segments, up to the first that is not one
/// (a type, a group, a call).
fn path_of(text: &str) -> Module {
    let mut path = Module::new();
    for segment in text.trim().split("::") {
        let name: String = segment
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        let whole = name.len() == segment.len();
        path.push(name);
        if !whole {
            break;
        }
    }
    path
}

#[test]
fn the_modules_of_the_crate_form_no_cycle() {
    let modules = modules();
    assert!(modules.len() > 20, "the crate's modules are read");
    // Edges between siblings: a use of `a::x` from `a::y::z` is `a::y` using `a::x`.
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, code) in &modules {
        let parent = module[..module.len().saturating_sub(1)].to_vec();
        let used = named_after(code, "crate::")
            .chain(named_after(code, "super::").map(|path| [parent.clone(), path].concat()));
        for mut target in used {
            while !target.is_empty() && !modules.contains_key(&target) {
                target.pop();
            }
            let shared = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if shared < module.len() && shared < target.len() {
                edges
                    .entry(module[..=shared].to_vec())
                    .or_default()
                    .insert(target[..=shared].to_vec());
            }
        }
    }
    let cycles = strongly_connected(&edges);
    assert!(
        cycles.is_empty(),
        "modules that use each other: {:?}",
        cycles
            .iter()
            .map(|cycle| cycle.iter().map(|m| m.join("::")).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_check_finds_a_cycle_between_two_modules() {
    let edges = BTreeMap::from([
        (vec!["a".to_owned()], BTreeSet::from([vec!["b".to_owned()]])),
        (vec!["b".to_owned()], BTreeSet::from([vec!["a".to_owned()]])),
        (vec!["c".to_owned()], BTreeSet::from([vec!["a".to_owned()]])),
    ]);
    assert_eq!(strongly_connected(&edges).len(), 1);
}

/// The groups of more than one module that reach each other (Tarjan's algorithm).
fn strongly_connected(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        order: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        /// The lowest order reachable from `module` through modules still on the stack.
        fn visit(&mut self, module: &'a Module) -> usize {
            let order = self.order.len();
            self.order.insert(module, order);
            self.stack.push(module);
            let mut low = order;
            for next in self.edges.get(module).into_iter().flatten() {
                match self.order.get(next) {
                    None => low = low.min(self.visit(next)),
                    Some(&seen) if self.stack.contains(&next) => low = low.min(seen),
                    Some(_) => {}
                }
            }
            if low == order {
                let at = self.stack.iter().position(|m| *m == module);
                let group: Vec<Module> = self.stack.drain(at.unwrap_or(0)..).cloned().collect();
                if group.len() > 1 {
                    self.found.push(group);
                }
            }
            low
        }
    }
    let mut walk = Walk {
        edges,
        order: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for module in edges.keys() {
        if !walk.order.contains_key(module) {
            walk.visit(module);
        }
    }
    walk.found
}
