//! Cross-crate integration tests of the agent-ops workspace live in `tests/tests/`: what holds
//! across crates, such as every transport showing the engine's replies alike.
