//! `cargo xtask plugins`: build the plugins workspace for `wasm32-wasip2` and stage each
//! plugin where the server and the tests look for it:
//! `<target-dir>/plugins/<name>.wasm` beside its manifest `<name>.toml`, `<name>` being
//! the manifest's `name` (crate `price-band` builds `price_band.wasm`; staging renames it).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, fail, repo_root, run, target_dir};

pub const WASM_TARGET: &str = "wasm32-wasip2";

/// Install the target if needed, build every plugin, stage them; the staging directory.
pub fn build_and_stage() -> PathBuf {
    ensure_wasm_target();
    let root = repo_root();
    let target = target_dir();
    let mut build = cargo(&["build", "--release", "--target", WASM_TARGET, "--manifest-path"]);
    build.arg(root.join("plugins/Cargo.toml")).arg("--target-dir").arg(&target);
    run(build);
    let staged = target.join("plugins");
    stage(&root.join("plugins"), &target.join(WASM_TARGET).join("release"), &staged).unwrap_or_else(|e| fail(&format!("staging plugins: {e}")));
    staged
}

/// The native unit tests of the SDK and every plugin (`cargo test --release`).
pub fn native_tests() -> Command {
    let mut cmd = cargo(&["test", "--release", "--manifest-path"]);
    cmd.arg(repo_root().join("plugins/Cargo.toml")).arg("--target-dir").arg(target_dir());
    cmd
}

fn ensure_wasm_target() {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(out) if out.status.success() => {
            if !String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == WASM_TARGET) {
                eprintln!("xtask: installing the {WASM_TARGET} target");
                let mut add = Command::new("rustup");
                add.args(["target", "add", WASM_TARGET]);
                run(add);
            }
        }
        // No rustup (a distribution's toolchain): let cargo say whether the target exists.
        _ => eprintln!("xtask: rustup not found; assuming the {WASM_TARGET} target is installed"),
    }
}

/// Copy each member's wasm and manifest into `staged`, and remove what is no longer built.
fn stage(workspace: &Path, built: &Path, staged: &Path) -> Result<(), String> {
    fs::create_dir_all(staged).map_err(|e| format!("{}: {e}", staged.display()))?;
    let mut names = BTreeMap::new();
    for member in plugin_members(workspace)? {
        let manifest_path = member.join("plugin.toml");
        let manifest = read(&manifest_path)?;
        let name = toml_string(&manifest, None, "name")
            .filter(|n| is_plugin_name(n))
            .ok_or_else(|| format!("{}: `name` must be lowercase letters, digits and '-'", manifest_path.display()))?;
        let package =
            toml_string(&read(&member.join("Cargo.toml"))?, Some("package"), "name").ok_or_else(|| format!("{}: no [package] name", member.display()))?;
        if let Some(other) = names.insert(name.clone(), member.clone()) {
            return Err(format!("plugin name {name:?} is used by both {} and {}", other.display(), member.display()));
        }
        let wasm = built.join(format!("{}.wasm", package.replace('-', "_")));
        copy(&wasm, &staged.join(format!("{name}.wasm")))?;
        copy(&manifest_path, &staged.join(format!("{name}.toml")))?;
    }
    for entry in fs::read_dir(staged).map_err(|e| e.to_string())?.flatten() {
        let path = entry.path();
        let stale = matches!(path.extension().and_then(|e| e.to_str()), Some("wasm" | "toml"))
            && path.file_stem().and_then(|s| s.to_str()).is_some_and(|stem| !names.contains_key(stem));
        if stale {
            fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Workspace members that carry a `plugin.toml` (the SDK, for one, does not).
fn plugin_members(workspace: &Path) -> Result<Vec<PathBuf>, String> {
    let manifest = read(&workspace.join("Cargo.toml"))?;
    Ok(workspace_members(&manifest).into_iter().map(|m| workspace.join(m)).filter(|dir| dir.join("plugin.toml").is_file()).collect())
}

/// The strings of the `members = [...]` array of a workspace manifest.
pub fn workspace_members(manifest: &str) -> Vec<String> {
    let Some(start) = manifest.find("members") else { return Vec::new() };
    let rest = &manifest[start..];
    let (Some(open), Some(close)) = (rest.find('['), rest.find(']')) else { return Vec::new() };
    rest[open + 1..close]
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.split(','))
        .filter_map(|item| Some(item.trim().strip_prefix('"')?.strip_suffix('"')?.to_owned()))
        .collect()
}

/// A `key = "value"` string in `table` (`None`: before the first table). Enough TOML for
/// the manifests this repository writes; the server parses them for real.
pub fn toml_string(text: &str, table: Option<&str>, key: &str) -> Option<String> {
    let mut current: Option<&str> = None;
    for line in text.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            let header = header.split('#').next().unwrap_or("");
            current = Some(header.trim_end_matches([']', ' ']).trim_start_matches('['));
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        if current == table && k.trim() == key {
            let value = v.trim();
            let value = value.strip_prefix('"')?;
            return Some(value[..value.find('"')?].to_owned());
        }
    }
    None
}

pub fn is_plugin_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase()) && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to).map(drop).map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_manifest_strings() {
        let workspace = "[workspace]\nmembers = [\n    \"../sdk\", # the SDK\n    \"a\",\"hostile/b\",\n]\n";
        assert_eq!(workspace_members(workspace), ["../sdk", "a", "hostile/b"]);
        let manifest = "name = \"price-band\" # stem\n[package] # x\nname = \"crate\"\n[config]\nname = 3\n";
        assert_eq!(toml_string(manifest, None, "name").as_deref(), Some("price-band"));
        assert_eq!(toml_string(manifest, Some("package"), "name").as_deref(), Some("crate"));
        assert_eq!(toml_string(manifest, Some("config"), "name"), None);
    }

    #[test]
    fn plugin_names_are_file_stems() {
        assert!(is_plugin_name("price-band2"));
        assert!(!is_plugin_name("Price"));
        assert!(!is_plugin_name("../x"));
        assert!(!is_plugin_name("-x"));
    }
}
