//! The dependency rules of ARCHITECTURE.md, checked against the workspace
//! as Cargo sees it: a crate that reaches one of its "never" crates, by a
//! direct dependency or through another workspace crate, fails this test.
//! The rules are read from ARCHITECTURE.md itself, so the document and the
//! check cannot drift apart. Inside `web`, no module reaches back to one
//! that uses it (the modules import each other in one direction).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// `- `web` never depends on `delivery`, `inbound``: crate → forbidden.
fn rules(architecture: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut rules = BTreeMap::new();
    for line in architecture.lines() {
        let Some(rest) = line.strip_prefix("- `") else { continue };
        let Some((krate, forbidden)) = rest.split_once("` never depends on ") else { continue };
        let names = forbidden.split(", ").map(|n| n.trim().trim_matches('`').to_owned()).collect();
        rules.insert(krate.to_owned(), names);
    }
    rules
}

/// Each workspace crate's normal (non-dev, non-build) dependencies on other
/// workspace crates.
fn workspace_graph(root: &Path) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let packages = metadata["packages"].as_array().context("no packages in cargo metadata")?;
    let members: BTreeSet<String> = packages.iter().filter_map(|p| p["name"].as_str()).map(str::to_owned).collect();
    let mut graph = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().context("a package without a name")?.to_owned();
        let deps = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .filter(|d| members.contains(*d))
            .map(str::to_owned)
            .collect();
        graph.insert(name, deps);
    }
    Ok(graph)
}

/// Every crate `from` reaches, each with the path it is reached by.
fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeMap<String, Vec<String>> {
    let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut todo = vec![vec![from.to_owned()]];
    while let Some(path) = todo.pop() {
        let last = path.last().cloned().unwrap_or_default();
        for next in graph.get(&last).into_iter().flatten() {
            if paths.contains_key(next) || next == from {
                continue;
            }
            let mut longer = path.clone();
            longer.push(next.clone());
            paths.insert(next.clone(), longer.clone());
            todo.push(longer);
        }
    }
    paths
}

/// The arrows that break a rule, each as the path that makes it.
fn violations(rules: &BTreeMap<String, BTreeSet<String>>, graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for (krate, forbidden) in rules {
        for (reached, path) in reachable(graph, krate) {
            if forbidden.contains(&reached) {
                found.push(format!("{krate} must never depend on {reached}, but: {}", path.join(" → ")));
            }
        }
    }
    found
}

#[test]
fn no_crate_depends_on_what_architecture_md_forbids() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md"))?;
    let rules = rules(&architecture);
    let graph = workspace_graph(&root)?;
    for name in ["web", "delivery", "inbound", "identity", "reports", "message", "store", "domain"] {
        assert!(rules.contains_key(name), "ARCHITECTURE.md has no dependency rule for {name}");
    }
    for (krate, forbidden) in &rules {
        assert!(graph.contains_key(krate), "ARCHITECTURE.md names a crate {krate} that the workspace lacks");
        for name in forbidden {
            assert!(graph.contains_key(name), "{krate}'s rule names a crate {name} that the workspace lacks");
        }
    }
    let found = violations(&rules, &graph);
    assert!(found.is_empty(), "dependency rules broken:\n{}", found.join("\n"));
    Ok(())
}

#[test]
fn an_arrow_through_another_crate_is_caught() {
    // The check itself: web → identity → delivery breaks "web never
    // depends on delivery" even though web names only identity.
    let rules = rules("- `web` never depends on `delivery`, `inbound`\n");
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("web", vec!["identity"]), ("identity", vec!["delivery"]), ("delivery", vec![]), ("inbound", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
            .collect();
    assert_eq!(violations(&rules, &graph), vec!["web must never depend on delivery, but: web → identity → delivery"]);
}

/// The modules of a crate's `src` (`api::lists` for `src/api/lists.rs`)
/// and the sibling modules each names through `crate::` (tests left out).
fn module_graph(src: &Path) -> Result<BTreeMap<String, BTreeSet<String>>> {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                files(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    files(src, &mut paths)?;
    let name_of = |path: &Path| -> Option<String> {
        let relative = path.strip_prefix(src).ok()?.with_extension("");
        let name = relative.to_string_lossy().replace('/', "::");
        let name = name.strip_suffix("::mod").map(str::to_owned).unwrap_or(name);
        (name != "lib" && name != "main").then_some(name)
    };
    let names: BTreeSet<String> = paths.iter().filter_map(|p| name_of(p)).collect();
    let mut graph = BTreeMap::new();
    for path in &paths {
        let Some(name) = name_of(path) else { continue };
        let text = std::fs::read_to_string(path)?;
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let parent = name.rsplit_once("::").map(|(p, _)| p.to_owned());
        let mut deps = BTreeSet::new();
        let mut add = |first: &str, second: Option<&str>| {
            let nested = second.map(|s| format!("{first}::{s}"));
            match nested.filter(|n| names.contains(n)) {
                Some(n) => deps.insert(n),
                None if names.contains(first) => deps.insert(first.to_owned()),
                None => false,
            };
        };
        let words = |prefix: &str| {
            code.match_indices(prefix)
                .map(|(at, _)| {
                    let rest = &code[at + prefix.len()..];
                    let mut parts = rest.split("::").map(|p| {
                        p.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect()
                    });
                    (parts.next().unwrap_or_default(), parts.next())
                })
                .collect::<Vec<(String, Option<String>)>>()
        };
        for (first, second) in words("crate::") {
            add(&first, second.as_deref());
        }
        if let Some(parent) = &parent {
            for (first, _) in words("super::") {
                add(&format!("{parent}::{first}"), None);
                add(parent, None);
            }
        }
        deps.remove(&name);
        graph.insert(name, deps);
    }
    Ok(graph)
}

/// The groups of modules that reach each other (a cycle each).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found: Vec<Vec<String>> = Vec::new();
    for start in graph.keys() {
        let reached = reachable(graph, start);
        let mut group: Vec<String> =
            reached.keys().filter(|m| reachable(graph, m).contains_key(start)).cloned().collect();
        if group.is_empty() {
            continue;
        }
        group.push(start.clone());
        group.sort();
        if !found.contains(&group) {
            found.push(group);
        }
    }
    found
}

#[test]
fn the_modules_of_web_import_each_other_in_one_direction() -> Result<()> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/web/src");
    let graph = module_graph(&src)?;
    assert!(graph.get("campaign_pages").is_some_and(|d| d.contains("campaigns")), "the graph is read: {graph:?}");
    let found = cycles(&graph);
    assert!(found.is_empty(), "modules of web that import each other in a circle: {found:?}");
    Ok(())
}

#[test]
fn a_circle_of_imports_is_caught() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
            .collect();
    assert_eq!(cycles(&graph), vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]);
}
