//! Installs and removes the `mesos` kernelspec.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

const KERNEL_JSON: &str = include_str!("../../install/kernel.json.in");
const LOGOS: &[(&str, &[u8])] = &[
    (
        "logo-32x32.png",
        include_bytes!("../../install/logo-32x32.png"),
    ),
    (
        "logo-64x64.png",
        include_bytes!("../../install/logo-64x64.png"),
    ),
    ("logo-svg.svg", include_bytes!("../../install/logo-svg.svg")),
];

/// Where a kernelspec goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The user's Jupyter data dir.
    User,
    /// The active Python environment.
    SysPrefix,
    /// `PREFIX/share/jupyter/kernels`.
    Prefix(PathBuf),
}

/// The kernels directory of a target.
pub fn kernels_dir(target: &Target) -> anyhow::Result<PathBuf> {
    Ok(match target {
        Target::User => user_data_dir()?.join("kernels"),
        Target::SysPrefix => sys_prefix()?.join("share/jupyter/kernels"),
        Target::Prefix(p) => p.join("share/jupyter/kernels"),
    })
}

fn user_data_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("JUPYTER_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var("HOME").context("HOME is not set")?;
    if cfg!(target_os = "macos") {
        Ok(Path::new(&home).join("Library/Jupyter"))
    } else {
        let base =
            std::env::var("XDG_DATA_HOME").unwrap_or_else(|_| format!("{home}/.local/share"));
        Ok(Path::new(&base).join("jupyter"))
    }
}

fn sys_prefix() -> anyhow::Result<PathBuf> {
    if let Ok(venv) = std::env::var("VIRTUAL_ENV") {
        return Ok(PathBuf::from(venv));
    }
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .context("--sys-prefix needs python3 or an active virtualenv")?;
    Ok(PathBuf::from(String::from_utf8(out.stdout)?.trim()))
}

/// The kernel.json text for a binary.
pub fn kernel_json(exe: &Path) -> String {
    let exe = serde_json::to_string(&exe.display().to_string()).expect("strings serialize");
    KERNEL_JSON.replace("\"@MESOS_KERNEL_EXE@\"", &exe)
}

/// Writes the kernelspec for the running binary; returns its directory.
pub fn install(target: &Target, name: &str) -> anyhow::Result<PathBuf> {
    validate_name(name)?;
    let exe = std::env::current_exe()?.canonicalize()?;
    let dir = kernels_dir(target)?.join(name.to_ascii_lowercase());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("kernel.json"), kernel_json(&exe))?;
    for (file, bytes) in LOGOS {
        std::fs::write(dir.join(file), bytes)?;
    }
    Ok(dir)
}

/// Removes the kernelspec; returns the directory it was in.
pub fn uninstall(target: &Target, name: &str) -> anyhow::Result<PathBuf> {
    validate_name(name)?;
    let dir = kernels_dir(target)?.join(name.to_ascii_lowercase());
    if !dir.join("kernel.json").exists() {
        bail!("no kernelspec {name} in {}", dir.display());
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(dir)
}

fn validate_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        bail!("kernelspec names may hold only ASCII letters, digits, '-', '.' and '_'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_json_is_valid_and_points_at_the_binary() {
        let text = kernel_json(Path::new("/opt/a \"b\"/mesos-kernel"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["argv"][0], "/opt/a \"b\"/mesos-kernel");
        assert_eq!(v["argv"][3], "{connection_file}");
        assert_eq!(v["interrupt_mode"], "message");
        assert_eq!(v["display_name"], "Mesos (Rust)");
    }

    #[test]
    fn install_and_uninstall_under_a_prefix() {
        let tmp = std::env::temp_dir().join(format!("mk-install-{}", std::process::id()));
        let target = Target::Prefix(tmp.clone());
        let dir = install(&target, "mesos").unwrap();
        assert!(dir.join("kernel.json").exists() && dir.join("logo-64x64.png").exists());
        uninstall(&target, "mesos").unwrap();
        assert!(!dir.exists());
        assert!(uninstall(&target, "mesos").is_err());
        assert!(install(&target, "bad name").is_err());
        let _ = std::fs::remove_dir_all(tmp);
    }
}
