//! Where things are, relative to the workspace root.

use std::path::PathBuf;

/// The workspace root (the parent of this crate's directory).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The OpenAPI spec, the single source of truth.
pub fn spec() -> PathBuf {
    root().join("openapi").join("agent-api.yaml")
}

/// The committed, generated client code.
pub fn generated() -> PathBuf {
    root()
        .join("crates")
        .join("agent-api")
        .join("src")
        .join("generated.rs")
}
