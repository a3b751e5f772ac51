//! Evaluating an arbitrary case on a fixed project never panics.
#![no_main]
use std::sync::OnceLock;

use sopflow::model::{Program, RunTarget};

const POLICY: &str = include_str!("../../policies/counterfeit.sop");
const COMMON: &str = include_str!("../../policies/common.sop");

fn program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| {
        let files = [COMMON, POLICY].map(|t| sopflow::syntax::parse_file(sopflow::source::FileId(0), t).unwrap());
        sopflow::resolve::resolve(&files).0
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let p = program();
    let text = String::from_utf8_lossy(data);
    let flow = RunTarget::Flow(p.flows.iter().position(|f| f.name == "counterfeit_review").unwrap());
    let _ = sopflow::render::run::eval_text(p, flow, &text, None);
    let _ = sopflow::render::run::batch(p, flow, data, &mut std::io::sink());
});
