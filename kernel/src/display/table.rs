//! A table rendered both as aligned text and as an HTML table.

use super::escape_html;
use crate::protocol::content::MimeBundle;

/// Rows of cells under a header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column titles.
    pub headers: Vec<String>,
    /// Cells, one Vec per row.
    pub rows: Vec<Vec<String>>,
    /// Optional caption, shown above.
    pub caption: Option<String>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            ..Self::default()
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Aligned plain text, for consoles and nbconvert to text.
    pub fn to_text(&self) -> String {
        let cols = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                if i + 1 == cols {
                    s.push_str(cell);
                } else {
                    s.push_str(&format!("{cell:<w$}  "));
                }
            }
            s.trim_end().to_owned()
        };
        let mut out = String::new();
        if let Some(c) = &self.caption {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str(&line(&self.headers));
        out.push('\n');
        out.push_str(&line(
            &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
        ));
        for row in &self.rows {
            out.push('\n');
            out.push_str(&line(row));
        }
        out
    }

    /// An HTML table.
    pub fn to_html(&self) -> String {
        let mut out = String::from("<table>");
        if let Some(c) = &self.caption {
            out.push_str(&format!("<caption>{}</caption>", escape_html(c)));
        }
        out.push_str("<thead><tr>");
        for h in &self.headers {
            out.push_str(&format!("<th>{}</th>", escape_html(h)));
        }
        out.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str(&format!(
                    "<td style=\"text-align:left\">{}</td>",
                    escape_html(cell)
                ));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        out
    }

    /// Both renderings in one bundle.
    pub fn to_bundle(&self) -> MimeBundle {
        MimeBundle::text(self.to_text()).with("text/html", self.to_html())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_text_and_escaped_html() {
        let mut t = Table::new(&["name", "what"]);
        t.row(vec!["%lsmagic".into(), "list <magics>".into()]);
        let text = t.to_text();
        assert_eq!(text.lines().nth(2).unwrap(), "%lsmagic  list <magics>");
        assert!(t.to_html().contains("list &lt;magics&gt;"));
    }
}
