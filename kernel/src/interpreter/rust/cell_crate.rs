//! The crate every Rust session gets at start: `mesos-lib`'s light core (v1 types, RecordIO,
//! resources, builders) plus `mesos_lib::session`, the client of the kernel's live session.

use std::path::PathBuf;

/// Where `mesos-lib`'s source is: `$MESOS_KERNEL_LIB_DIR`, else the path recorded when this
/// kernel was built (the install builds from a checkout, which must stay where it was).
pub fn mesos_lib_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MESOS_KERNEL_LIB_DIR") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mesos-lib")
}

/// The evcxr `:dep` line adding it, or `None` (with a warning) when the source is missing.
pub fn dep_command() -> Option<String> {
    let dir = mesos_lib_dir();
    let Ok(dir) = dir.canonicalize() else {
        tracing::warn!(dir = %dir.display(), "mesos-lib source not found: Rust cells get no mesos_lib crate (set MESOS_KERNEL_LIB_DIR)");
        return None;
    };
    Some(dep_line(&dir.to_string_lossy()))
}

fn dep_line(path: &str) -> String {
    // Debug of a str is a valid TOML basic string (quotes and backslashes escaped).
    format!(
        ":dep mesos-lib = {{ path = {path:?}, default-features = false, features = [\"cell\"] }}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dep_line_is_light_and_quoted() {
        assert_eq!(
            dep_line("/a \"b\"/mesos-lib"),
            r#":dep mesos-lib = { path = "/a \"b\"/mesos-lib", default-features = false, features = ["cell"] }"#
        );
        assert!(mesos_lib_dir().join("Cargo.toml").exists());
    }
}
