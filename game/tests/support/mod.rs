//! Helpers shared by the content tests: reading a content folder from disk
//! (the game crate itself never does I/O).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The demo content shipped with the project.
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

/// The corpus of broken content sets, one folder per kind of error.
pub fn broken_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken")
}

/// Every `.toml` file under `dir` as `(path relative to dir, text)`.
pub fn read_dir(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|ext| ext == "toml") {
                let text = std::fs::read_to_string(&path).expect("readable content file");
                let relative = path.strip_prefix(root).expect("path under root");
                let relative: Vec<String> =
                    relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
                out.push((relative.join("/"), text));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}
