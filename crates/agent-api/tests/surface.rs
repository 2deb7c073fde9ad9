//! A snapshot of the generated client's public surface: every public type, field and method of
//! `src/generated.rs` with its signature. A change to the spec or to the generator settings that
//! changes what users call shows up here, reviewable, beside the regenerated code. The walker is
//! the xtask's (`cargo xtask spec diff` compares two specs' surfaces with it).
#![allow(clippy::unwrap_used)] // tests may panic

#[path = "../../../xtask/src/surface.rs"]
mod surface;

#[test]
fn generated_public_surface() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/generated.rs");
    let source = std::fs::read_to_string(path).unwrap();
    let surface = surface::surface(&source).unwrap();
    assert!(surface.contains("fn list_numbers(&self)"));
    assert!(surface.contains("fn batch_reset_numbers(&self)"));
    insta::assert_snapshot!(surface);
}
