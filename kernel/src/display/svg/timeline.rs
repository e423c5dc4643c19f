//! Task timelines: one row per task, a coloured segment for each state it went through, on a
//! time axis shared by all rows and taken from the status updates' timestamps.

use super::{Anchor, MAX_ROWS, Rect, Svg, Text, clip, palette};
use crate::display::counted;
use std::collections::BTreeMap;

/// Width of the label column.
const LABEL_W: f64 = 200.0;
/// Width of the time axis.
pub const AXIS_W: f64 = 600.0;
/// Height of a row and of its segments.
const ROW_H: f64 = 18.0;
const BAR_H: f64 = 12.0;
/// Where the first row starts.
const TOP: f64 = 40.0;
/// A terminal state has no duration; it is drawn this wide so it is still seen.
pub const END_W: f64 = 4.0;
/// Characters of a row label kept.
const LABEL_CHARS: usize = 30;
/// Ticks on the time axis.
const TICKS: usize = 5;

/// Time spent in one state: from its update to the next one (or to now).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// `TASK_RUNNING`…
    pub state: String,
    /// Seconds since the epoch.
    pub start: f64,
    /// Seconds since the epoch; equal to `start` for a terminal state.
    pub end: f64,
}

/// One row: a task, or (aggregated) the tasks sharing a latest state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskLine {
    /// Task id or name, or the state of an aggregated row.
    pub label: String,
    /// The latest state.
    pub state: String,
    /// Tasks in this row.
    pub tasks: usize,
    /// Oldest first.
    pub segments: Vec<Segment>,
}

/// Whether a state is one a task never leaves.
pub fn is_terminal(state: &str) -> bool {
    matches!(
        state,
        "TASK_FINISHED"
            | "TASK_FAILED"
            | "TASK_KILLED"
            | "TASK_ERROR"
            | "TASK_LOST"
            | "TASK_DROPPED"
            | "TASK_GONE"
            | "TASK_GONE_BY_OPERATOR"
    )
}

/// A state's colour (Okabe–Ito) and whether text on it should be white.
fn style(state: &str) -> (&'static str, bool) {
    match state.strip_prefix("TASK_").unwrap_or(state) {
        "STAGING" => (palette::YELLOW, false),
        "STARTING" => (palette::ORANGE, false),
        "RUNNING" => (palette::GREEN, true),
        "KILLING" => (palette::PURPLE, false),
        "FINISHED" => (palette::BLUE, true),
        "FAILED" | "ERROR" => (palette::VERMILLION, true),
        "KILLED" => (palette::BLACK, true),
        "LOST" | "DROPPED" | "GONE" | "GONE_BY_OPERATOR" | "UNREACHABLE" => {
            (palette::SKY_BLUE, false)
        }
        _ => (palette::EMPTY, false),
    }
}

/// Segments from a task's statuses (state, timestamp), oldest first: repeats of a state are
/// one segment; each ends where the next begins; the last runs to `now` unless it is terminal.
pub fn segments(statuses: impl IntoIterator<Item = (String, f64)>, now: f64) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for (state, t) in statuses {
        if let Some(last) = out.last_mut() {
            if last.state == state {
                continue;
            }
            last.end = t.max(last.start);
        }
        out.push(Segment {
            state,
            start: t,
            end: t,
        });
    }
    if let Some(last) = out.last_mut()
        && !is_terminal(&last.state)
    {
        last.end = now.max(last.start);
    }
    out
}

/// At most [`MAX_ROWS`] rows: beyond that, one row per latest state, spanning its tasks' first
/// to last update, with a note saying so.
pub fn fit(lines: Vec<TaskLine>) -> (Vec<TaskLine>, Option<String>) {
    if lines.len() <= MAX_ROWS {
        return (lines, None);
    }
    let n = lines.len();
    let mut by_state: BTreeMap<String, TaskLine> = BTreeMap::new();
    for l in lines {
        let span = l
            .segments
            .first()
            .map(|f| f.start)
            .zip(l.segments.last().map(|s| s.end));
        let g = by_state.entry(l.state.clone()).or_insert_with(|| TaskLine {
            label: l.state.clone(),
            state: l.state.clone(),
            ..TaskLine::default()
        });
        g.tasks += l.tasks;
        if let Some((start, end)) = span {
            match g.segments.first_mut() {
                Some(s) => {
                    s.start = s.start.min(start);
                    s.end = s.end.max(end);
                }
                None => g.segments.push(Segment {
                    state: l.state,
                    start,
                    end,
                }),
            }
        }
    }
    let note = format!(
        "{}, too many to draw one by one: one row per latest state, from its tasks' first \
         update to their last",
        counted(n, "task")
    );
    (by_state.into_values().collect(), Some(note))
}

/// A timeline ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Heading and `<title>`.
    pub title: String,
    /// Rows, at most [`MAX_ROWS`] after [`fit`].
    pub lines: Vec<TaskLine>,
    /// Said under the legend.
    pub note: Option<String>,
}

/// Seconds since the epoch as local wall-clock time.
fn clock(t: f64) -> String {
    chrono::DateTime::from_timestamp_micros((t * 1e6) as i64)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%H:%M:%S%.3f")
                .to_string()
        })
        .unwrap_or_else(|| format!("{t}"))
}

/// A duration for axis labels: `0.4ms`, `850ms`, `12.5s`, `3.2m`, `1.5h`; a task that ends
/// at once spans a millisecond, and its ticks must still differ.
pub fn span_text(secs: f64) -> String {
    if secs < 0.01 {
        format!("{:.2}ms", secs * 1e3)
    } else if secs < 1.0 {
        format!("{:.0}ms", secs * 1e3)
    } else if secs < 120.0 {
        format!("{:.1}s", secs)
    } else if secs < 7200.0 {
        format!("{:.1}m", secs / 60.0)
    } else {
        format!("{:.1}h", secs / 3600.0)
    }
}

impl Timeline {
    /// The time axis: first and last instant of any row.
    fn axis(&self) -> Option<(f64, f64)> {
        let all = self.lines.iter().flat_map(|l| &l.segments);
        let start = all.clone().map(|s| s.start).reduce(f64::min)?;
        let end = all.map(|s| s.end).reduce(f64::max)?;
        Some((start, end.max(start + 1e-3)))
    }

    /// A text equivalent: how many tasks end in which state, and each row's states in order.
    fn describe(&self) -> String {
        let tasks: usize = self.lines.iter().map(|l| l.tasks).sum();
        let mut out = format!("{}.", counted(tasks, "task"));
        for l in &self.lines {
            let states: Vec<&str> = l.segments.iter().map(|s| s.state.as_str()).collect();
            out.push_str(&format!(" {}: {}.", l.label, states.join(" → ")));
        }
        if let Some(n) = &self.note {
            out.push(' ');
            out.push_str(n);
        }
        out
    }

    /// The picture.
    pub fn to_svg(&self, id: &str) -> String {
        let rows = self.lines.len().max(1);
        let axis_y = TOP + rows as f64 * ROW_H + 2.0;
        let legend_y = axis_y + 30.0;
        let height = legend_y + if self.note.is_some() { 26.0 } else { 10.0 };
        let width = LABEL_W + AXIS_W + 40.0;
        let mut svg = Svg::new(width, height, &self.title, clip(&self.describe(), 4000));
        svg.text(&Text::at(4.0, 14.0, &self.title).bold());
        let Some((t0, t1)) = self.axis() else {
            svg.text(&Text::at(
                4.0,
                TOP + 12.0,
                "no status updates with timestamps yet",
            ));
            return svg.finish(id);
        };
        let span = t1 - t0;
        let x_of = |t: f64| LABEL_W + AXIS_W * (t - t0) / span;
        svg.text(
            &Text::at(
                LABEL_W,
                32.0,
                format!("from {} to {}", clock(t0), clock(t1)),
            )
            .coloured(palette::INK),
        );
        let mut seen: Vec<&str> = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let y = TOP + i as f64 * ROW_H;
            draw_line(&mut svg, line, y, &x_of, &mut seen);
        }
        draw_axis(&mut svg, axis_y, span);
        draw_legend(&mut svg, &seen, legend_y);
        if let Some(note) = &self.note {
            svg.text(&Text::at(4.0, legend_y + 16.0, note).coloured(palette::INK));
        }
        svg.finish(id)
    }
}

/// One task's row: its label and a bar segment per state; the states drawn go in `seen`.
fn draw_line<'a>(
    svg: &mut Svg,
    line: &'a TaskLine,
    y: f64,
    x_of: &dyn Fn(f64) -> f64,
    seen: &mut Vec<&'a str>,
) {
    svg.open_group("task", &line.label);
    let label = if line.tasks > 1 {
        format!("{} ({})", clip(&line.label, LABEL_CHARS - 8), line.tasks)
    } else {
        clip(&line.label, LABEL_CHARS)
    };
    svg.text(&Text::at(4.0, y + BAR_H - 2.0, label));
    for s in &line.segments {
        let (fill, white) = style(&s.state);
        let x = x_of(s.start);
        let w = (x_of(s.end) - x).max(END_W);
        svg.rect(&Rect {
            x,
            y,
            w,
            h: BAR_H,
            fill,
            tip: Some(format!(
                "{}: {} at {} for {}",
                line.label,
                s.state,
                clock(s.start),
                span_text(s.end - s.start)
            )),
            part: Some("segment"),
        });
        let short = s.state.strip_prefix("TASK_").unwrap_or(&s.state);
        if w > 7.0 * short.len() as f64 + 6.0 {
            let ink = if white { "#FFFFFF" } else { palette::BLACK };
            svg.text(&Text::at(x + 3.0, y + BAR_H - 2.0, short).coloured(ink));
        }
        if !seen.contains(&s.state.as_str()) {
            seen.push(&s.state);
        }
    }
    svg.close_group();
}

/// The time axis under the rows, `span` seconds long, with its ticks.
fn draw_axis(svg: &mut Svg, axis_y: f64, span: f64) {
    svg.line(LABEL_W, axis_y, LABEL_W + AXIS_W, axis_y, palette::INK);
    for k in 0..=TICKS {
        let x = LABEL_W + AXIS_W * k as f64 / TICKS as f64;
        svg.line(x, axis_y, x, axis_y + 4.0, palette::INK);
        let label = if k == 0 {
            "0".to_owned()
        } else {
            format!("+{}", span_text(span * k as f64 / TICKS as f64))
        };
        svg.text(
            &Text::at(x, axis_y + 15.0, label)
                .anchored(Anchor::Middle)
                .coloured(palette::INK),
        );
    }
}

/// A swatch and a name for each state drawn.
fn draw_legend(svg: &mut Svg, seen: &[&str], legend_y: f64) {
    let mut x = 4.0;
    for &state in seen {
        let (fill, _) = style(state);
        svg.rect(&Rect {
            x,
            y: legend_y - 9.0,
            w: 10.0,
            h: 10.0,
            fill,
            tip: None,
            part: None,
        });
        svg.text(&Text::at(x + 14.0, legend_y, state));
        x += 14.0 + 7.0 * state.len() as f64 + 12.0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{parse, parts};
    use super::*;

    fn st(s: &str, t: f64) -> (String, f64) {
        (s.to_owned(), t)
    }

    #[test]
    fn segments_merge_repeats_and_run_to_now_unless_terminal() {
        let running = segments(
            [
                st("TASK_STARTING", 10.0),
                st("TASK_RUNNING", 11.0),
                st("TASK_RUNNING", 15.0),
            ],
            20.0,
        );
        assert_eq!(
            running,
            vec![
                Segment {
                    state: "TASK_STARTING".into(),
                    start: 10.0,
                    end: 11.0
                },
                Segment {
                    state: "TASK_RUNNING".into(),
                    start: 11.0,
                    end: 20.0
                },
            ]
        );
        let killed = segments([st("TASK_RUNNING", 11.0), st("TASK_KILLED", 13.0)], 20.0);
        assert_eq!(killed[1].start, killed[1].end);
        assert_eq!(killed[0].end, 13.0);
    }

    #[test]
    fn axis_labels_tell_short_spans_apart() {
        let ticks: Vec<String> = (1..=5).map(|k| span_text(0.001 * k as f64 / 5.0)).collect();
        assert_eq!(ticks, ["0.20ms", "0.40ms", "0.60ms", "0.80ms", "1.00ms"]);
        assert_eq!(span_text(0.85), "850ms");
        assert_eq!(span_text(90.0), "90.0s");
        assert_eq!(span_text(600.0), "10.0m");
    }

    #[test]
    fn segments_sit_on_a_common_axis() {
        let tl = Timeline {
            title: "tasks".into(),
            lines: vec![
                TaskLine {
                    label: "a".into(),
                    state: "TASK_RUNNING".into(),
                    tasks: 1,
                    segments: segments([st("TASK_STARTING", 0.0), st("TASK_RUNNING", 2.0)], 10.0),
                },
                TaskLine {
                    label: "b & c".into(),
                    state: "TASK_KILLED".into(),
                    tasks: 1,
                    segments: segments([st("TASK_RUNNING", 5.0), st("TASK_KILLED", 7.5)], 10.0),
                },
            ],
            note: None,
        };
        let svg = tl.to_svg("t");
        let doc = parse(&svg);
        let segs = parts(&doc, "segment");
        assert_eq!(segs.len(), 4);
        // 10 s over AXIS_W: 2 s is a fifth of it.
        assert!((segs[0].1 - AXIS_W / 5.0).abs() < 0.1, "{segs:?}");
        assert!((segs[1].1 - AXIS_W * 0.8).abs() < 0.1);
        assert!((segs[2].0 - (LABEL_W + AXIS_W / 2.0)).abs() < 0.1);
        assert!((segs[2].1 - AXIS_W / 4.0).abs() < 0.1);
        assert_eq!(segs[3].1, END_W);
        // Rows are grouped by task, and every state is named in the legend.
        let row_b = doc
            .descendants()
            .find(|n| n.attribute("data-task") == Some("b & c"))
            .unwrap();
        assert_eq!(
            row_b.children().filter(|n| n.has_tag_name("rect")).count(),
            2
        );
        for state in ["TASK_STARTING", "TASK_RUNNING", "TASK_KILLED"] {
            assert!(svg.contains(&format!(">{state}</text>")), "{state}");
        }
    }

    #[test]
    fn ten_thousand_tasks_become_one_row_per_state() {
        let states = ["TASK_RUNNING", "TASK_FINISHED", "TASK_FAILED"];
        let lines: Vec<TaskLine> = (0..10_000)
            .map(|i| {
                let state = states[i % 3];
                TaskLine {
                    label: format!("task-{i}"),
                    state: state.into(),
                    tasks: 1,
                    segments: segments(
                        [st("TASK_STAGING", i as f64), st(state, i as f64 + 1.0)],
                        20_000.0,
                    ),
                }
            })
            .collect();
        let (fitted, note) = fit(lines);
        assert_eq!(fitted.len(), 3);
        assert_eq!(fitted.iter().map(|l| l.tasks).sum::<usize>(), 10_000);
        let svg = Timeline {
            title: "10000 tasks".into(),
            lines: fitted,
            note,
        }
        .to_svg("big");
        parse(&svg);
        assert!(svg.len() < 16 * 1024, "{} bytes", svg.len());
        assert!(svg.contains("one row per latest state"));
    }
}
