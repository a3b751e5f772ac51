//! `sopflow test --format junit`: JUnit XML, one test case per `test` block,
//! grouped in one test suite per file, so CI systems list each policy test.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::model::Program;
use crate::source::SourceMap;
use crate::testing::TestResult;

/// One test case of the report.
pub struct Case {
    /// The file: cases are grouped in one suite per file.
    pub file: String,
    pub name: String,
    pub line: usize,
    pub seconds: f64,
    /// Empty when the case passed; the first is the failure's message.
    pub failures: Vec<String>,
    /// The failure's `type`: `test-failed`, `syntax-error`, …
    pub kind: &'static str,
}

/// The report of a test run.
pub fn render(program: &Program, sources: &SourceMap, results: &[TestResult]) -> String {
    let cases: Vec<Case> = results
        .iter()
        .map(|r| {
            let test = &program.tests[r.test];
            let file = sources.get(test.span.file);
            Case {
                file: file.path.clone(),
                name: test.name.clone(),
                line: file.line_col(test.span.start as usize).0,
                seconds: r.seconds,
                failures: r.failures.clone(),
                kind: "test-failed",
            }
        })
        .collect();
    render_cases(&cases)
}

/// JUnit XML of `cases`, one suite per file in order of first appearance;
/// every case and suite carries its `time` in seconds.
pub fn render_cases(cases: &[Case]) -> String {
    let mut files: Vec<&str> = Vec::new();
    for c in cases {
        if !files.contains(&c.file.as_str()) {
            files.push(&c.file);
        }
    }
    let failed = |c: &&Case| !c.failures.is_empty();
    let time = |s: f64| format!("{s:.6}");
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let io = |r: std::io::Result<()>| r.expect("writing to memory does not fail");
    io(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "sopflow"));
    suites.push_attribute(("tests", cases.len().to_string().as_str()));
    suites.push_attribute(("failures", cases.iter().filter(failed).count().to_string().as_str()));
    suites.push_attribute(("time", time(cases.iter().map(|c| c.seconds).sum()).as_str()));
    io(w.write_event(Event::Start(suites)));
    for file in &files {
        let in_file: Vec<&Case> = cases.iter().filter(|c| c.file == *file).collect();
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", *file));
        suite.push_attribute(("tests", in_file.len().to_string().as_str()));
        suite.push_attribute(("failures", in_file.iter().filter(|c| !c.failures.is_empty()).count().to_string().as_str()));
        suite.push_attribute(("time", time(in_file.iter().map(|c| c.seconds).sum()).as_str()));
        io(w.write_event(Event::Start(suite)));
        for c in in_file {
            let mut case = BytesStart::new("testcase");
            case.push_attribute(("name", c.name.as_str()));
            case.push_attribute(("classname", *file));
            case.push_attribute(("file", *file));
            case.push_attribute(("line", c.line.to_string().as_str()));
            case.push_attribute(("time", time(c.seconds).as_str()));
            if c.failures.is_empty() {
                io(w.write_event(Event::Empty(case)));
                continue;
            }
            io(w.write_event(Event::Start(case)));
            let mut failure = BytesStart::new("failure");
            failure.push_attribute(("message", c.failures[0].as_str()));
            failure.push_attribute(("type", c.kind));
            io(w.write_event(Event::Start(failure)));
            io(w.write_event(Event::Text(BytesText::new(&format!("{file}:{}: {}", c.line, c.failures.join("\n"))))));
            io(w.write_event(Event::End(BytesEnd::new("failure"))));
            io(w.write_event(Event::End(BytesEnd::new("testcase"))));
        }
        io(w.write_event(Event::End(BytesEnd::new("testsuite"))));
    }
    io(w.write_event(Event::End(BytesEnd::new("testsuites"))));
    let mut out = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8");
    out.push('\n');
    out
}
