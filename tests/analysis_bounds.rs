//! The exact fallback for widened sets, and the IR graph's shape.

mod common;

use sopflow::diagnostics::Code;
use sopflow::eval::{self, End};

/// A flow whose reaching sets cannot stay exact within the bound: every step
/// removes one more point of a two-dimensional space.
fn wide_flow(steps: usize) -> String {
    let mut text = String::from("input n: int in 0 to 1000\ninput m: int in 0 to 1000\noutcome a\noutcome b\nflow wide {\n  start s0\n");
    for i in 0..steps {
        text.push_str(&format!("  step s{i} {{\n    when n == {i} and m == {i} -> outcome a\n    otherwise -> s{}\n  }}\n", i + 1));
    }
    text.push_str(&format!("  step s{steps} {{\n    when n < 700 and m < 700 -> outcome a\n    when n >= 700 -> outcome b\n  }}\n}}\n"));
    text
}

/// Its reaching sets outgrow the cube bound and are widened; the questions
/// they cannot answer go to the solver, and the finding is exact.
#[test]
fn a_widened_flow_is_decided_exactly() {
    let result = common::check_source("wide.sop", &wide_flow(600));
    assert!(result.incomplete.is_empty(), "{:?}", result.incomplete);
    let codes: Vec<Code> = result.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::NonExhaustive]);
    let program = result.program.as_ref().unwrap();
    let case = eval::case_from_json(program, &common::witness_json(&result.diagnostics[0])).unwrap();
    assert!(matches!(eval::run_flow(program, 0, &case).end, End::FallThrough { .. }));
}

#[test]
fn a_smaller_flow_of_the_same_shape_stays_exact() {
    let result = common::check_source("narrow.sop", &wide_flow(100));
    assert!(result.incomplete.is_empty());
    assert_eq!(result.diagnostics.len(), 1);
}

#[test]
fn the_ir_graph_serializes_with_steps_chains_and_ends() {
    let result = common::check_path(std::path::Path::new("tests/conformance/01_clean.sop"));
    let program = result.program.expect("the clean case parses");
    let graph = sopflow::ir::build(&program, 0);
    insta::assert_json_snapshot!("ir_counterfeit_review", graph);
}
