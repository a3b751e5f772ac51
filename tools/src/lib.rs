//! SOPflow's benchmark and corpus tools (docs/PERFORMANCE.md "How to
//! measure"): [`gen`] generates projects of any size with planted defects;
//! the binaries in `src/bin` write them to disk, check them end to end
//! (`scale`), time the stages (`stage-times`, `parse-speed`), run the
//! adversarial families (`families`) and compare builds (`parse-dump`).
//! Run from the repository root: `cargo run --release -p sopflow-tools --bin NAME`.

pub mod cases;
pub mod gen;
