//! Resource bars: for each agent (or group of agents) its cpus, mem, disk and ports, split
//! into what tasks use, what is offered, what is reserved and idle, and what is free.
//!
//! All rows share one scale per resource, so a bar's length is proportional to the amount and
//! a small agent looks small next to a large one.

use super::{MAX_ROWS, Rect, Svg, Text, clip, palette};
use crate::display::counted;
use std::collections::BTreeMap;

/// The resources drawn, one column each.
pub const RESOURCES: [&str; 4] = ["cpus", "mem", "disk", "ports"];
/// Width of the label column.
const LABEL_W: f64 = 200.0;
/// Width of one resource column at full scale.
pub const COL_W: f64 = 150.0;
/// Space between columns.
const GAP: f64 = 14.0;
/// Height of a row and of its bars.
const ROW_H: f64 = 18.0;
const BAR_H: f64 = 12.0;
/// Where the first row starts: below the title and the column headers.
const TOP: f64 = 40.0;
/// Characters of a row label kept.
const LABEL_CHARS: usize = 30;

/// What a segment of a bar stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Allocated to tasks and executors.
    Used,
    /// Offered to frameworks, not yet accepted.
    Offered,
    /// Reserved for a role, neither used nor offered.
    Reserved,
    /// Neither.
    Free,
}

impl Part {
    /// Every part, in the order segments are drawn.
    pub const ALL: [Part; 4] = [Part::Used, Part::Offered, Part::Reserved, Part::Free];

    /// The tag written on its rectangles (`data-part`).
    pub fn tag(self) -> &'static str {
        match self {
            Part::Used => "used",
            Part::Offered => "offered",
            Part::Reserved => "reserved",
            Part::Free => "free",
        }
    }

    /// Words for the legend and tooltips.
    pub fn label(self) -> &'static str {
        match self {
            Part::Used => "used by tasks",
            Part::Offered => "offered",
            Part::Reserved => "reserved, idle",
            Part::Free => "free",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Part::Used => palette::BLUE,
            Part::Offered => palette::ORANGE,
            Part::Reserved => palette::PURPLE,
            Part::Free => palette::EMPTY,
        }
    }
}

/// Amounts of one resource, by part.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// Used by tasks.
    pub used: f64,
    /// Offered.
    pub offered: f64,
    /// Reserved and idle.
    pub reserved: f64,
    /// Free.
    pub free: f64,
}

impl Usage {
    /// The amount of one part.
    pub fn get(&self, part: Part) -> f64 {
        match part {
            Part::Used => self.used,
            Part::Offered => self.offered,
            Part::Reserved => self.reserved,
            Part::Free => self.free,
        }
    }

    /// The sum of `parts`.
    pub fn total(&self, parts: &[Part]) -> f64 {
        parts.iter().map(|p| self.get(*p)).sum()
    }

    fn add(&mut self, o: &Usage) {
        self.used += o.used;
        self.offered += o.offered;
        self.reserved += o.reserved;
        self.free += o.free;
    }
}

/// One row: an agent, or several summed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarRow {
    /// Hostname, group name or range.
    pub label: String,
    /// Agents summed in this row.
    pub agents: usize,
    /// cpus, mem, disk and ports (a count), in [`RESOURCES`] order.
    pub usage: [Usage; 4],
}

impl BarRow {
    fn absorb(&mut self, o: &BarRow) {
        self.agents += o.agents;
        for (mine, theirs) in self.usage.iter_mut().zip(&o.usage) {
            mine.add(theirs);
        }
    }
}

/// A bar chart ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Heading and `<title>`.
    pub title: String,
    /// Which parts the bars show (`%offers` shows only what is offered).
    pub parts: &'static [Part],
    /// Rows, at most [`MAX_ROWS`] after [`fit`].
    pub rows: Vec<BarRow>,
    /// Said under the legend: how rows were aggregated.
    pub note: Option<String>,
    /// An amount per resource marked on every bar (what a launch wants), with its legend label.
    pub marker: Option<([Option<f64>; 4], String)>,
}

/// Rows summed by `key` (an attribute's value), one row per distinct key, in key order.
pub fn group_by(rows: Vec<BarRow>, key: impl Fn(&BarRow) -> String) -> Vec<BarRow> {
    let mut groups: BTreeMap<String, BarRow> = BTreeMap::new();
    for r in rows {
        let k = key(&r);
        let g = groups.entry(k.clone()).or_insert_with(|| BarRow {
            label: k,
            ..BarRow::default()
        });
        g.absorb(&r);
    }
    groups.into_values().collect()
}

/// At most [`MAX_ROWS`] rows (`what` names the rows in the plural: there are always many of
/// them when it is used): beyond that, consecutive rows are summed into runs of equal size,
/// labelled by position (`agents 1–34`), or with `by_label` by their first and last labels
/// (`rack=r0 … rack=r1`, for groups that have names), and the returned note says so.
pub fn fit(rows: Vec<BarRow>, what: &str, by_label: bool) -> (Vec<BarRow>, Option<String>) {
    if rows.len() <= MAX_ROWS {
        return (rows, None);
    }
    let n = rows.len();
    let run = n.div_ceil(MAX_ROWS);
    let mut out = Vec::with_capacity(MAX_ROWS);
    for (i, chunk) in rows.chunks(run).enumerate() {
        let first = i * run + 1;
        let label = match (chunk.first(), chunk.last()) {
            (Some(a), Some(b)) if by_label && chunk.len() > 1 => {
                format!("{} … {}", clip(&a.label, 12), clip(&b.label, 12))
            }
            (Some(a), _) if by_label => a.label.clone(),
            _ => format!("{what} {first}–{}", first + chunk.len() - 1),
        };
        let mut sum = BarRow {
            label,
            ..BarRow::default()
        };
        for r in chunk {
            sum.absorb(r);
        }
        out.push(sum);
    }
    let note =
        format!("{n} {what}, too many to draw one by one: each row sums {run} of them, in order");
    (out, Some(note))
}

/// A number as the tables print it (`0.5`, `1024`).
fn amount(v: f64) -> String {
    format!("{}", (v * 1000.0).round() / 1000.0)
}

impl BarChart {
    /// The largest total per resource (marker included), the full width of its column.
    fn scales(&self) -> [f64; 4] {
        let mut max = [0.0f64; 4];
        for r in &self.rows {
            for (m, u) in max.iter_mut().zip(&r.usage) {
                *m = m.max(u.total(self.parts));
            }
        }
        if let Some((want, _)) = &self.marker {
            for (m, w) in max.iter_mut().zip(want) {
                *m = m.max(w.unwrap_or(0.0));
            }
        }
        max
    }

    /// A text equivalent of the picture: totals per resource and part.
    fn describe(&self) -> String {
        let agents: usize = self.rows.iter().map(|r| r.agents).sum();
        let mut out = format!(
            "{} in {}.",
            counted(agents, "agent"),
            counted(self.rows.len(), "row")
        );
        for (i, name) in RESOURCES.iter().enumerate() {
            let parts: Vec<String> = self
                .parts
                .iter()
                .map(|p| {
                    let sum: f64 = self.rows.iter().map(|r| r.usage[i].get(*p)).sum();
                    format!("{} {}", amount(sum), p.label())
                })
                .collect();
            out.push_str(&format!(" {name}: {}.", parts.join(", ")));
        }
        if let Some(n) = &self.note {
            out.push(' ');
            out.push_str(n);
        }
        out
    }

    /// The picture.
    pub fn to_svg(&self, id: &str) -> String {
        let scales = self.scales();
        let rows = self.rows.len().max(1);
        let legend_y = TOP + rows as f64 * ROW_H + 16.0;
        let height = legend_y + if self.note.is_some() { 26.0 } else { 10.0 };
        let width = LABEL_W + RESOURCES.len() as f64 * (COL_W + GAP);
        let mut svg = Svg::new(width, height, &self.title, self.describe());
        svg.text(&Text::at(4.0, 14.0, &self.title).bold());
        for (i, name) in RESOURCES.iter().enumerate() {
            let x = LABEL_W + i as f64 * (COL_W + GAP);
            svg.text(&Text::at(
                x,
                32.0,
                format!("{name} (scale {})", amount(scales[i])),
            ));
        }
        if self.rows.is_empty() {
            svg.text(&Text::at(4.0, TOP + 12.0, "nothing to show").coloured(palette::INK));
        }
        for (row_i, row) in self.rows.iter().enumerate() {
            self.draw_row(&mut svg, row, TOP + row_i as f64 * ROW_H, &scales);
        }
        if let Some((want, _)) = &self.marker {
            for (i, w) in want.iter().enumerate() {
                let Some(w) = w.filter(|_| scales[i] > 0.0) else {
                    continue;
                };
                let x = LABEL_W + i as f64 * (COL_W + GAP) + COL_W * w / scales[i];
                svg.line(x, TOP - 4.0, x, TOP + rows as f64 * ROW_H, palette::BLACK);
            }
        }
        self.draw_legend(&mut svg, legend_y);
        if let Some(note) = &self.note {
            svg.text(&Text::at(4.0, legend_y + 16.0, note).coloured(palette::INK));
        }
        svg.finish(id)
    }

    /// One row: its label and, per resource, a bar segment per part.
    fn draw_row(&self, svg: &mut Svg, row: &BarRow, y: f64, scales: &[f64; 4]) {
        let label = if row.agents > 1 {
            format!("{} ({})", clip(&row.label, LABEL_CHARS - 6), row.agents)
        } else {
            clip(&row.label, LABEL_CHARS)
        };
        svg.text(&Text::at(4.0, y + BAR_H - 2.0, label));
        for (i, name) in RESOURCES.iter().enumerate() {
            let x0 = LABEL_W + i as f64 * (COL_W + GAP);
            let total = row.usage[i].total(self.parts);
            if scales[i] <= 0.0 || total <= 0.0 {
                svg.text(&Text::at(x0, y + BAR_H - 2.0, "–").coloured(palette::INK));
                continue;
            }
            let mut x = x0;
            for part in self.parts {
                let v = row.usage[i].get(*part);
                if v <= 0.0 {
                    continue;
                }
                let w = COL_W * v / scales[i];
                svg.rect(&Rect {
                    x,
                    y,
                    w,
                    h: BAR_H,
                    fill: part.colour(),
                    tip: Some(format!(
                        "{}: {name} {} {} of {}",
                        row.label,
                        amount(v),
                        part.label(),
                        amount(total)
                    )),
                    part: Some(part.tag()),
                });
                x += w;
            }
        }
    }

    /// A swatch and a name per part, and the marker line's meaning if there is one.
    fn draw_legend(&self, svg: &mut Svg, legend_y: f64) {
        let mut x = 4.0;
        for part in self.parts {
            svg.rect(&Rect {
                x,
                y: legend_y - 9.0,
                w: 10.0,
                h: 10.0,
                fill: part.colour(),
                tip: None,
                part: None,
            });
            svg.text(&Text::at(x + 14.0, legend_y, part.label()));
            x += 14.0 + 7.0 * part.label().len() as f64 + 16.0;
        }
        if let Some((_, label)) = &self.marker {
            svg.line(
                x + 5.0,
                legend_y - 10.0,
                x + 5.0,
                legend_y + 2.0,
                palette::BLACK,
            );
            svg.text(&Text::at(x + 12.0, legend_y, format!("line: {label}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{parse, parts};
    use super::*;

    fn row(label: &str, cpus: Usage, mem_free: f64) -> BarRow {
        BarRow {
            label: label.into(),
            agents: 1,
            usage: [
                cpus,
                Usage {
                    free: mem_free,
                    ..Usage::default()
                },
                Usage::default(),
                Usage::default(),
            ],
        }
    }

    #[test]
    fn bar_lengths_are_proportional_to_the_amounts() {
        let chart = BarChart {
            title: "2 agents".into(),
            parts: &Part::ALL,
            rows: vec![
                row(
                    "a<1>",
                    Usage {
                        used: 1.0,
                        offered: 2.0,
                        reserved: 0.5,
                        free: 0.5,
                    },
                    1024.0,
                ),
                row(
                    "b",
                    Usage {
                        used: 2.0,
                        ..Usage::default()
                    },
                    512.0,
                ),
            ],
            note: None,
            marker: None,
        };
        let svg = chart.to_svg("t");
        let doc = parse(&svg);
        // cpus scale is agent a's 4 cpus: 1 used = a quarter of the column.
        let used = parts(&doc, "used");
        assert_eq!(used.len(), 2);
        assert!((used[0].1 - COL_W / 4.0).abs() < 0.1, "{used:?}");
        assert!((used[1].1 - COL_W / 2.0).abs() < 0.1, "{used:?}");
        let offered = parts(&doc, "offered");
        assert!((offered[0].1 - COL_W / 2.0).abs() < 0.1);
        // Segments follow each other: offered starts where used ends.
        assert!((offered[0].0 - (used[0].0 + used[0].1)).abs() < 0.2);
        assert_eq!(offered[0].2, "a<1>: cpus 2 offered of 4");
        // mem: 1024 is the scale, 512 half of it.
        let free: Vec<f64> = parts(&doc, "free").iter().map(|p| p.1).collect();
        assert_eq!(free.len(), 3);
        assert!((free[1] - COL_W).abs() < 0.1 && (free[2] - COL_W / 2.0).abs() < 0.1);
        let desc = doc
            .descendants()
            .find(|n| n.has_tag_name("desc"))
            .and_then(|n| n.text())
            .unwrap();
        assert!(desc.contains("cpus: 3 used by tasks, 2 offered"), "{desc}");
    }

    #[test]
    fn many_agents_are_summed_into_a_bounded_picture() {
        let rows: Vec<BarRow> = (0..1000)
            .map(|i| {
                row(
                    &format!("agent-{i}"),
                    Usage {
                        used: 1.0,
                        free: 1.0,
                        ..Usage::default()
                    },
                    10.0,
                )
            })
            .collect();
        let (fitted, note) = fit(rows.clone(), "agents", false);
        assert!(fitted.len() <= MAX_ROWS);
        assert_eq!(fitted.iter().map(|r| r.agents).sum::<usize>(), 1000);
        assert_eq!(fitted[0].label, "agents 1–34");
        assert!(note.as_deref().unwrap().starts_with("1000 agents"));
        let chart = BarChart {
            title: "1000 agents".into(),
            parts: &Part::ALL,
            rows: fitted,
            note,
            marker: None,
        };
        let svg = chart.to_svg("big");
        parse(&svg);
        assert!(svg.len() < 64 * 1024, "{} bytes", svg.len());
        assert!(svg.contains("too many to draw one by one"));
        let grouped = group_by(rows.clone(), |r| format!("rack=r{}", r.label.len() % 3));
        assert_eq!(grouped.len(), 3);
        assert_eq!(grouped.iter().map(|r| r.agents).sum::<usize>(), 1000);
        // Forty named groups: runs keep the names.
        let racks = group_by(rows, |r| {
            format!("rack=r{:02}", r.label[6..].parse::<usize>().unwrap() % 40)
        });
        let (runs, _) = fit(racks, "groups", true);
        assert_eq!(runs.len(), 20);
        assert_eq!(runs[0].label, "rack=r00 … rack=r01");
        assert_eq!(runs[0].agents, 50);
    }

    #[test]
    fn the_marker_extends_the_scale() {
        let chart = BarChart {
            title: "offers".into(),
            parts: &[Part::Offered],
            rows: vec![row(
                "a",
                Usage {
                    offered: 1.0,
                    ..Usage::default()
                },
                0.0,
            )],
            note: None,
            marker: Some(([Some(2.0), None, None, None], "wanted".into())),
        };
        let doc_text = chart.to_svg("m");
        let doc = parse(&doc_text);
        let offered = parts(&doc, "offered");
        assert!((offered[0].1 - COL_W / 2.0).abs() < 0.1);
        assert!(doc_text.contains("line: wanted"));
    }
}
