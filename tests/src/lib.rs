//! Cross-crate integration tests of the agent-ops workspace live in `tests/tests/`: what holds
//! across crates, such as every transport showing the engine's replies alike. This library
//! holds what those tests and the benchmarks in `tests/benches/` share: the load test of the
//! bots as replicas ([`load`]).

pub mod load;
