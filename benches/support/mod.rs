//! What the benches share: a small deterministic random generator, sentence splitting
//! for synthetic texts, resident-memory readings and Markdown tables. Each bench uses
//! part of it.
#![allow(dead_code)]

/// A small deterministic PRNG (xorshift64), enough to shuffle text around.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The sentences of a text: cut after `.`, `!` or `?` followed by white space.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let at_break = matches!(c, '.' | '!' | '?')
            && chars.peek().is_none_or(|(_, next)| next.is_whitespace());
        if at_break {
            out.push(text[start..at + c.len_utf8()].trim());
            start = at + c.len_utf8();
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// Resident memory from `/proc/self/status`, in kB.
#[derive(Clone, Copy, Default)]
pub struct Memory {
    pub peak_kb: u64,
    pub current_kb: u64,
}

impl Memory {
    pub fn read() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Memory {
            peak_kb: field("VmHWM:"),
            current_kb: field("VmRSS:"),
        }
    }

    /// Resets the peak to the current resident size; false where Linux does not allow it.
    pub fn reset_peak() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }
}

/// A Markdown table with padded columns, readable in a terminal and pastable in a README.
/// The first column and those marked as text are left-aligned, the others (numbers)
/// right-aligned.
pub struct Table {
    pub header: Vec<String>,
    pub text_columns: Vec<usize>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            text_columns: vec![0],
            rows: Vec::new(),
        }
    }

    pub fn text_columns(mut self, columns: &[usize]) -> Self {
        self.text_columns.extend_from_slice(columns);
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(3)
            })
            .collect();
        let is_text = |c: usize| self.text_columns.contains(&c);
        let line = |cells: Vec<String>| println!("| {} |", cells.join(" | "));
        let pad = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (cell, &w))| {
                    if is_text(c) {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect()
        };
        line(pad(&self.header));
        line(
            widths
                .iter()
                .enumerate()
                .map(|(c, &w)| {
                    let dashes = "-".repeat(w - 1);
                    if is_text(c) {
                        format!(":{dashes}")
                    } else {
                        format!("{dashes}:")
                    }
                })
                .collect(),
        );
        for row in &self.rows {
            line(pad(row));
        }
        println!();
    }
}

pub fn heading(title: &str) {
    println!("## {title}\n");
}
