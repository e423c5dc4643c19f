//! A table rendered both as aligned text and as an HTML table.

use super::escape_html;
use crate::protocol::content::MimeBundle;

/// Rows shown before a table is cut with a count: enough for any cluster a notebook explores
/// by eye, few enough that a 10,000-task cluster does not freeze the browser.
pub const MAX_ROWS: usize = 200;
/// Rows above which the HTML table scrolls inside its own box instead of growing the page.
const SCROLL_ROWS: usize = 15;

/// Rows of cells under a header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column titles.
    pub headers: Vec<String>,
    /// Cells, one Vec per row.
    pub rows: Vec<Vec<String>>,
    /// Optional caption, shown above.
    pub caption: Option<String>,
    /// Rows left out before they were built (see [`Table::extend_capped`]), counted in the
    /// note under the table.
    pub omitted: usize,
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

    /// Appends rows made by `make`, building at most [`MAX_ROWS`] in all and only counting
    /// the rest, so a 10,000-task listing costs what the 200 rows shown cost.
    pub fn extend_capped<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        make: impl Fn(T) -> Vec<String>,
    ) {
        for item in items {
            if self.rows.len() < MAX_ROWS {
                self.rows.push(make(item));
            } else {
                self.omitted += 1;
            }
        }
    }

    /// Rows in all, shown or not.
    pub fn total_rows(&self) -> usize {
        self.rows.len() + self.omitted
    }

    /// Aligned plain text, for consoles and nbconvert to text.
    pub fn to_text(&self) -> String {
        let cols = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in self.rows.iter().take(MAX_ROWS) {
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
        for row in self.rows.iter().take(MAX_ROWS) {
            out.push('\n');
            out.push_str(&line(row));
        }
        if let Some(more) = self.more() {
            out.push('\n');
            out.push_str(&more);
        }
        out
    }

    /// The note under a cut table: how many rows are not shown.
    fn more(&self) -> Option<String> {
        let total = self.total_rows();
        (total > MAX_ROWS).then(|| {
            format!(
                "… {} more rows not shown ({MAX_ROWS} of {total})",
                total - MAX_ROWS
            )
        })
    }

    /// An HTML table.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        if self.rows.len().min(MAX_ROWS) > SCROLL_ROWS {
            out.push_str("<div style=\"max-height:30em;overflow:auto\">");
        }
        out.push_str("<table>");
        if let Some(c) = &self.caption {
            out.push_str(&format!("<caption>{}</caption>", escape_html(c)));
        }
        out.push_str("<thead><tr>");
        for h in &self.headers {
            out.push_str(&format!("<th>{}</th>", escape_html(h)));
        }
        out.push_str("</tr></thead><tbody>");
        for row in self.rows.iter().take(MAX_ROWS) {
            out.push_str("<tr>");
            for cell in row {
                let colour = state_colour(cell)
                    .map(|c| format!(";color:{c};font-weight:600"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "<td style=\"text-align:left{colour}\">{}</td>",
                    escape_html(cell)
                ));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        if let Some(more) = self.more() {
            out.push_str(&format!("<p><i>{}</i></p>", escape_html(&more)));
        }
        if self.rows.len().min(MAX_ROWS) > SCROLL_ROWS {
            out.push_str("</div>");
        }
        out
    }

    /// Both renderings in one bundle.
    pub fn to_bundle(&self) -> MimeBundle {
        MimeBundle::text(self.to_text()).with("text/html", self.to_html())
    }
}

/// A colour for a cell that is a task state, so running, finished and failed tasks stand apart
/// at a glance; the text stays the same for consoles and screen readers.
fn state_colour(cell: &str) -> Option<&'static str> {
    if let Some(c) = agent_state_colour(cell) {
        return Some(c);
    }
    Some(match cell.strip_prefix("TASK_")? {
        "RUNNING" => "#1a7f37",
        "FINISHED" => "#0550ae",
        "STAGING" | "STARTING" | "KILLING" => "#9a6700",
        "KILLED" => "#bc4c00",
        "FAILED" | "ERROR" | "LOST" | "DROPPED" | "GONE" | "GONE_BY_OPERATOR" => "#cf222e",
        _ => return None,
    })
}

/// A colour for an agent's state as `%agents` shows it: in service, scheduled for
/// maintenance, draining, or out of service.
fn agent_state_colour(cell: &str) -> Option<&'static str> {
    Some(match cell {
        "ACTIVE" => "#1a7f37",
        "MAINTENANCE" => "#8250df",
        "DRAINING" => "#9a6700",
        "DEACTIVATED" | "DRAINED" => "#bc4c00",
        "DOWN" => "#cf222e",
        _ => return None,
    })
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

    #[test]
    fn long_tables_are_cut_with_a_count() {
        let mut t = Table::new(&["n"]);
        for i in 0..MAX_ROWS + 5 {
            t.row(vec![i.to_string()]);
        }
        let text = t.to_text();
        assert!(text.ends_with(&format!(
            "5 more rows not shown ({MAX_ROWS} of {})",
            MAX_ROWS + 5
        )));
        assert!(!text.contains(&format!("\n{}\n", MAX_ROWS + 1)));
        let html = t.to_html();
        assert_eq!(html.matches("<tr>").count(), MAX_ROWS + 1);
        assert!(html.starts_with("<div style=\"max-height"));
        // Built capped: the same note, without building the rows.
        let mut capped = Table::new(&["n"]);
        capped.extend_capped(0..MAX_ROWS + 5, |i| vec![i.to_string()]);
        assert_eq!(capped.rows.len(), MAX_ROWS);
        assert_eq!(capped.to_text(), text);
    }

    #[test]
    fn task_states_are_coloured_in_html_only() {
        let mut t = Table::new(&["state"]);
        t.row(vec!["TASK_FAILED".into()]);
        t.row(vec!["TASK_SOMETHING_NEW".into()]);
        assert!(
            t.to_html()
                .contains("color:#cf222e;font-weight:600\">TASK_FAILED")
        );
        assert!(t.to_html().contains("left\">TASK_SOMETHING_NEW"));
        assert!(!t.to_text().contains("color"));
    }
}
