//! The plain tables of the list commands: left-aligned columns three spaces apart, as the
//! engines' own CLIs print them.

use std::io::Write;

/// Writes `headers` and `rows` (each as long as `headers`).
pub(super) fn write(
    out: &mut dyn Write,
    headers: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line =
        |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> std::io::Result<()> {
            let mut text = String::new();
            for (cell, w) in cells.zip(&widths) {
                text.push_str(cell);
                let pad = w.saturating_sub(cell.chars().count()) + 3;
                text.extend(std::iter::repeat_n(' ', pad));
            }
            writeln!(out, "{}", text.trim_end())
        };
    line(out, &mut headers.iter().copied())?;
    for row in rows {
        line(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up_and_lines_have_no_trailing_space() {
        let mut out = Vec::new();
        super::write(
            &mut out,
            &["A", "BB"],
            &[
                vec!["long".into(), "x".into()],
                vec!["y".into(), String::new()],
            ],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "A      BB\nlong   x\ny\n");
    }
}
