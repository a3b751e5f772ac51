//! Output of `sopflow backtest`: human tables and CSV (JSON is the report
//! serialized).

use crate::backtest::report::{Report, Share};

/// Pairs of the confusion matrix a human report lists.
const CONFUSION_SHOWN: usize = 20;

fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Rows of cells as a table, the first column left-aligned, the others right.
fn table(out: &mut String, indent: &str, rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for row in rows {
        let mut line = indent.to_string();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn shares(out: &mut String, indent: &str, list: &[Share]) {
    let mut rows = vec![vec!["result".to_string(), "rows".to_string(), "share".to_string()]];
    rows.extend(list.iter().map(|s| vec![s.result.label(), count(s.rows), percent(s.share)]));
    table(out, indent, &rows);
}

pub fn human(r: &Report) -> String {
    let mut out = format!("back-test of {} over {}: {} rows, {} evaluated", r.target, r.file, count(r.rows), count(r.evaluated));
    if r.bad_rows.rows > 0 {
        out.push_str(&format!(", {} bad", count(r.bad_rows.rows)));
    }
    out.push_str("\n\n");
    if r.rows == 0 {
        out.push_str("the file holds no cases\n");
        return out;
    }
    shares(&mut out, "", &r.results);
    if let Some(by) = &r.by {
        for g in &by.groups {
            out.push_str(&format!("\n{} = {} ({} rows)\n", by.column, g.value.as_deref().unwrap_or("(none)"), count(g.rows)));
            shares(&mut out, "  ", &g.results);
        }
    }
    if r.bad_rows.rows > 0 {
        let b = &r.bad_rows;
        out.push_str(&format!(
            "\nbad rows: {} ({} with a missing input, {} with a value that does not fit)\n",
            count(b.rows),
            count(b.missing_input),
            count(b.invalid)
        ));
        for row in &b.first {
            out.push_str(&format!("  row {}: {}\n", row.row, row.reason));
        }
        if (b.first.len() as u64) < b.rows {
            out.push_str(&format!("  … and {} more\n", count(b.rows - b.first.len() as u64)));
        }
    }
    if let Some(c) = &r.changes {
        out.push_str(&format!("\nagainst {}: {} of {} rows change result ({})\n", c.baseline, count(c.changed), count(r.rows), percent(c.share)));
        if !c.cells.is_empty() {
            let mut rows = vec![vec!["from → to".to_string(), "direction".into(), "rows".into(), "share".into(), "cases".into()]];
            rows.extend(
                c.cells
                    .iter()
                    .map(|x| vec![format!("{} → {}", x.from.label(), x.to.label()), x.direction.into(), count(x.rows), percent(x.share), x.cases.join(", ")]),
            );
            table(&mut out, "  ", &rows);
            out.push_str(&format!("  the regions of cases behind each change: sopflow diff {}\n", c.baseline));
        }
    }
    if let Some(a) = &r.adherence {
        out.push_str(&format!("\nadherence to {}: {} of {} rows agree with the SOP ({})\n", a.column, count(a.agree), count(a.compared), percent(a.rate)));
        if !a.confusion.is_empty() {
            let mut rows = vec![vec!["SOP → recorded".to_string(), "rows".into()]];
            rows.extend(a.confusion.iter().take(CONFUSION_SHOWN).map(|c| vec![format!("{} → {}", c.sop, c.recorded), count(c.rows)]));
            table(&mut out, "  ", &rows);
            if a.confusion.len() > CONFUSION_SHOWN {
                out.push_str(&format!("  … and {} more pairs (all of them in --format json or csv)\n", a.confusion.len() - CONFUSION_SHOWN));
            }
        }
        if !a.branches.is_empty() {
            out.push_str("where moderators most often decide otherwise:\n");
            let mut rows = vec![vec!["branch".to_string(), "otherwise".into(), "of rows".into(), "share".into(), "line".into()]];
            rows.extend(
                a.branches
                    .iter()
                    .map(|b| vec![format!("{}: {}", b.at, b.branch), count(b.otherwise), count(b.rows), percent(b.share), b.line.clone().unwrap_or_default()]),
            );
            table(&mut out, "  ", &rows);
        }
    }
    out
}

/// One table of every figure: `section,group,result,compared,rows,share`.
/// Sections: `result` (group: the `--by` value, if any), `bad_row`
/// (`group` the row, `result` the reason), `change` (`result` the baseline's
/// result, `compared` the new one), `decision` (`result` the SOP's
/// decision, `compared` the recorded one), `branch`.
pub fn csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["section", "group", "result", "compared", "rows", "share"])?;
    let f = |x: f64| format!("{x:.6}");
    for s in &r.results {
        w.write_record(["result", "", &s.result.label(), "", &s.rows.to_string(), &f(s.share)])?;
    }
    if let Some(by) = &r.by {
        for g in &by.groups {
            for s in &g.results {
                w.write_record(["result", g.value.as_deref().unwrap_or(""), &s.result.label(), "", &s.rows.to_string(), &f(s.share)])?;
            }
        }
    }
    for b in &r.bad_rows.first {
        w.write_record(["bad_row", &b.row.to_string(), &b.reason, "", "", ""])?;
    }
    if let Some(c) = &r.changes {
        for x in &c.cells {
            w.write_record(["change", x.direction, &x.from.label(), &x.to.label(), &x.rows.to_string(), &f(x.share)])?;
        }
    }
    if let Some(a) = &r.adherence {
        for c in &a.confusion {
            w.write_record(["decision", "", &c.sop, &c.recorded, &c.rows.to_string(), &f(c.rows as f64 / a.compared.max(1) as f64)])?;
        }
        for b in &a.branches {
            w.write_record(["branch", &b.at, &b.branch, "otherwise", &b.otherwise.to_string(), &f(b.share)])?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("CSV of strings is UTF-8"))
}
