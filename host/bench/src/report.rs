//! Output shared by the suites: a plain-text table for people and the one
//! machine-readable `RESULT suite=<suite> key=value ...` line that ends every run.

/// A table with a left-aligned first column and right-aligned value columns.
pub struct Table {
    widths: Vec<usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        let mut t = Table { widths: vec![0; header.len()], rows: Vec::new() };
        t.row(header.iter().map(std::string::ToString::to_string).collect());
        t
    }

    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.widths.len(), "table row has the wrong number of cells");
        for (w, c) in self.widths.iter_mut().zip(&cells) {
            *w = (*w).max(c.len());
        }
        self.rows.push(cells);
    }

    pub fn print(&self) {
        for row in &self.rows {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(&self.widths).enumerate() {
                if i == 0 {
                    line.push_str(&format!("{cell:<w$}"));
                } else {
                    line.push_str(&format!("  {cell:>w$}"));
                }
            }
            println!("{}", line.trim_end());
        }
    }
}

/// Prints `RESULT suite=<suite> k=v ...`; call it last.
pub fn result(suite: &str, pairs: &[(&str, String)]) {
    let mut line = format!("RESULT suite={suite}");
    for (k, v) in pairs {
        debug_assert!(!k.contains([' ', '=']) && !v.contains(' '), "RESULT keys and values have no spaces");
        line.push_str(&format!(" {k}={v}"));
    }
    println!("{line}");
}
