//! Cross-crate integration tests of the agent-ops workspace live in `tests/tests/`; this library
//! holds what they share.
