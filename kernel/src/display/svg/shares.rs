//! Each role's dominant share of the cluster over time: a solid step line per role, and its
//! weighted share (dominant share ÷ weight, what weighted DRF evens out) dashed in the same
//! colour, on a common time axis.

use super::{Anchor, Svg, Text, clip, palette};

/// Left margin (the share axis' labels).
const LEFT: f64 = 44.0;
/// Width of the time axis.
const AXIS_W: f64 = 600.0;
/// Top of the plot and its height.
const TOP: f64 = 30.0;
const PLOT_H: f64 = 180.0;
/// One legend line.
const LEGEND_H: f64 = 16.0;
/// Characters of a role name kept in the legend.
const ROLE_CHARS: usize = 24;

/// Colours given to roles in order; a legend names each.
const COLOURS: &[&str] = &[
    palette::BLUE,
    palette::ORANGE,
    palette::GREEN,
    palette::VERMILLION,
    palette::PURPLE,
    palette::SKY_BLUE,
    palette::YELLOW,
    palette::BLACK,
];

/// One role's dominant share, as steps: from each point's time to the next one's.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareSeries {
    /// The role.
    pub role: String,
    /// Its weight.
    pub weight: f64,
    /// (seconds since the epoch, dominant share 0..1), oldest first; the first is at the
    /// chart's start.
    pub points: Vec<(f64, f64)>,
}

impl ShareSeries {
    /// The share at the end.
    pub fn last(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.1)
    }
}

/// The chart: every role over one time span.
#[derive(Debug, Clone, PartialEq)]
pub struct SharesChart {
    /// Roles in legend order.
    pub series: Vec<ShareSeries>,
    /// Seconds since the epoch at the left and right edges.
    pub start: f64,
    /// See `start`.
    pub end: f64,
    /// What the picture shows, in words.
    pub title: String,
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

impl SharesChart {
    fn x(&self, t: f64) -> f64 {
        let span = (self.end - self.start).max(1e-9);
        LEFT + ((t - self.start) / span).clamp(0.0, 1.0) * AXIS_W
    }

    fn y(share: f64) -> f64 {
        TOP + PLOT_H - share.clamp(0.0, 1.0) * PLOT_H
    }

    /// Step points of `values` (time, share) scaled by `f`, ending at the chart's end.
    fn steps(&self, values: &[(f64, f64)], f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        let mut out = Vec::with_capacity(values.len() * 2 + 1);
        for (i, (t, v)) in values.iter().enumerate() {
            if i > 0 {
                out.push((self.x(*t), Self::y(f(values[i - 1].1))));
            }
            out.push((self.x(*t), Self::y(f(*v))));
        }
        if let Some((_, v)) = values.last() {
            out.push((self.x(self.end), Self::y(f(*v))));
        }
        out
    }

    /// The `<desc>`: every role's share now, in words.
    fn describe(&self) -> String {
        if self.series.is_empty() {
            return "No role holds resources in this span.".into();
        }
        let parts: Vec<String> = self
            .series
            .iter()
            .map(|s| {
                format!(
                    "{} (weight {}) {} now, weighted {}",
                    s.role,
                    s.weight,
                    pct(s.last()),
                    pct(s.last() / s.weight)
                )
            })
            .collect();
        format!(
            "Dominant share per role over {:.0} s: {}.",
            self.end - self.start,
            parts.join("; ")
        )
    }

    /// The picture.
    pub fn to_svg(&self, id: &str) -> String {
        let legend_top = TOP + PLOT_H + 30.0;
        let height = legend_top + LEGEND_H * (self.series.len().max(1) as f64 + 1.0);
        let mut svg = Svg::new(
            LEFT + AXIS_W + 20.0,
            height,
            self.title.clone(),
            self.describe(),
        );
        svg.text(&Text::at(LEFT, 16.0, self.title.clone()).bold());
        self.draw_axes(&mut svg);
        for (i, s) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            svg.open_group("role", &s.role);
            let tip = format!("{}: dominant share {} now", s.role, pct(s.last()));
            svg.polyline(&self.steps(&s.points, |v| v), colour, false, "share", &tip);
            let weighted = format!(
                "{}: weighted share (÷ weight {}) {} now",
                s.role,
                s.weight,
                pct(s.last() / s.weight)
            );
            let w = s.weight.max(1e-9);
            svg.polyline(
                &self.steps(&s.points, |v| v / w),
                colour,
                true,
                "weighted",
                &weighted,
            );
            let y = legend_top + LEGEND_H * i as f64;
            svg.line(LEFT, y - 4.0, LEFT + 18.0, y - 4.0, colour);
            svg.text(&Text::at(
                LEFT + 24.0,
                y,
                format!(
                    "{} (weight {}): dominant share {}, weighted {}",
                    clip(&s.role, ROLE_CHARS),
                    s.weight,
                    pct(s.last()),
                    pct(s.last() / s.weight)
                ),
            ));
            svg.close_group();
        }
        let note_y = legend_top + LEGEND_H * self.series.len() as f64;
        svg.text(
            &Text::at(
                LEFT,
                note_y,
                "solid: dominant share (max over cpus, mem, disk of allocated ÷ cluster total); dashed: ÷ weight",
            )
            .coloured(palette::INK),
        );
        svg.finish(id)
    }

    /// The share axis (0–100%) with its grid lines, and the time axis ("-Ns" to "now").
    fn draw_axes(&self, svg: &mut Svg) {
        for i in 0..=4 {
            let share = f64::from(i) / 4.0;
            let y = Self::y(share);
            svg.line(LEFT, y, LEFT + AXIS_W, y, palette::EMPTY);
            svg.text(
                &Text::at(LEFT - 4.0, y + 4.0, pct(share))
                    .anchored(Anchor::End)
                    .coloured(palette::INK),
            );
        }
        let span = self.end - self.start;
        for i in 0..=4 {
            let t = self.start + span * f64::from(i) / 4.0;
            let label = format!("-{:.0}s", self.end - t);
            let anchor = match i {
                0 => Anchor::Start,
                4 => Anchor::End,
                _ => Anchor::Middle,
            };
            svg.text(
                &Text::at(
                    self.x(t),
                    TOP + PLOT_H + 14.0,
                    if i == 4 { "now".into() } else { label },
                )
                .anchored(anchor)
                .coloured(palette::INK),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::parse;
    use super::*;

    #[test]
    fn each_role_has_a_share_line_and_a_weighted_one() {
        let chart = SharesChart {
            series: vec![
                ShareSeries {
                    role: "web".into(),
                    weight: 3.0,
                    points: vec![(0.0, 0.0), (5.0, 0.75)],
                },
                ShareSeries {
                    role: "batch".into(),
                    weight: 1.0,
                    points: vec![(0.0, 0.5), (5.0, 0.25)],
                },
            ],
            start: 0.0,
            end: 10.0,
            title: "dominant shares".into(),
        };
        let svg = chart.to_svg("t");
        let doc = parse(&svg);
        let lines: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .collect();
        assert_eq!(lines.len(), 4);
        let web = doc
            .descendants()
            .find(|n| n.attribute("data-role") == Some("web"))
            .unwrap();
        let share = web
            .descendants()
            .find(|n| n.attribute("data-part") == Some("share"))
            .unwrap();
        // A step at t=5 (x = 44 + 300) from 0 to 75% (y = 210 - 135), held to the end.
        assert_eq!(
            share.attribute("points"),
            Some("44.0,210.0 344.0,210.0 344.0,75.0 644.0,75.0")
        );
        assert!(
            svg.contains("web (weight 3) 75% now, weighted 25%"),
            "{svg}"
        );
    }
}
