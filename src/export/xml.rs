//! The quick-xml calls every XML writer makes (BPMN, SVG, the handbook's
//! HTML): elements with attributes, escaped text, into memory.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

pub type W = Writer<Vec<u8>>;

pub fn io(r: std::io::Result<()>) {
    r.expect("writing to memory does not fail");
}

fn element<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut el = BytesStart::new(name);
    for a in attrs {
        el.push_attribute(*a);
    }
    el
}

pub fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    io(w.write_event(Event::Start(element(name, attrs))));
}

pub fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    io(w.write_event(Event::Empty(element(name, attrs))));
}

pub fn end(w: &mut W, name: &str) {
    io(w.write_event(Event::End(BytesEnd::new(name))));
}

/// Escaped text.
pub fn chars(w: &mut W, body: &str) {
    io(w.write_event(Event::Text(BytesText::new(body))));
}

/// An element holding text.
pub fn text(w: &mut W, name: &str, attrs: &[(&str, &str)], body: &str) {
    start(w, name, attrs);
    chars(w, body);
    end(w, name);
}
