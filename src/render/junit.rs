//! `sopflow test --format junit`: JUnit XML, one test case per `test` block,
//! grouped in one test suite per file, so CI systems list each policy test.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::model::Program;
use crate::source::SourceMap;
use crate::testing::TestResult;

pub fn render(program: &Program, sources: &SourceMap, results: &[TestResult]) -> String {
    let mut files: Vec<String> = Vec::new();
    for r in results {
        let path = &sources.get(program.tests[r.test].span.file).path;
        if !files.contains(path) {
            files.push(path.clone());
        }
    }
    let failures = results.iter().filter(|r| !r.passed()).count();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let io = |r: std::io::Result<()>| r.expect("writing to memory does not fail");
    io(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "sopflow"));
    suites.push_attribute(("tests", results.len().to_string().as_str()));
    suites.push_attribute(("failures", failures.to_string().as_str()));
    io(w.write_event(Event::Start(suites)));
    for file in &files {
        let in_file: Vec<&TestResult> = results.iter().filter(|r| &sources.get(program.tests[r.test].span.file).path == file).collect();
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", file.as_str()));
        suite.push_attribute(("tests", in_file.len().to_string().as_str()));
        suite.push_attribute(("failures", in_file.iter().filter(|r| !r.passed()).count().to_string().as_str()));
        io(w.write_event(Event::Start(suite)));
        for r in in_file {
            let test = &program.tests[r.test];
            let (line, _) = sources.get(test.span.file).line_col(test.span.start as usize);
            let mut case = BytesStart::new("testcase");
            case.push_attribute(("name", test.name.as_str()));
            case.push_attribute(("classname", file.as_str()));
            case.push_attribute(("file", file.as_str()));
            case.push_attribute(("line", line.to_string().as_str()));
            if r.passed() {
                io(w.write_event(Event::Empty(case)));
                continue;
            }
            io(w.write_event(Event::Start(case)));
            let mut failure = BytesStart::new("failure");
            failure.push_attribute(("message", r.failures.first().map(String::as_str).unwrap_or("failed")));
            failure.push_attribute(("type", "test-failed"));
            io(w.write_event(Event::Start(failure)));
            io(w.write_event(Event::Text(BytesText::new(&format!("{file}:{line}: {}", r.failures.join("\n"))))));
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
