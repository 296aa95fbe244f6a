//! Test support shared by every adapter crate: deterministic fakes and the conformance
//! suites that each native port implementation must pass (feature `testkit`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod conformance;
mod fakes;

pub use fakes::{FixedClock, SeededRandom, block_on};
