//! Pictures as inline SVG: a small typed builder, the palette, and the charts the magics draw
//! (`bars` for resources per agent, `timeline` for task states over time, `shares` for each
//! role's dominant share over time).
//!
//! SVG goes inside the HTML output, with no script and no stylesheet, so JupyterLab, Notebook 7,
//! VS Code and nbconvert show the same picture; the text/plain part of a bundle stays the table.

pub mod bars;
pub mod shares;
pub mod timeline;

use super::escape_html;
use crate::protocol::content::MimeBundle;
use std::fmt::Write as _;

/// Rows a picture draws before it aggregates: enough to read each one by eye, few enough that
/// the SVG stays small whatever the cluster's size.
pub const MAX_ROWS: usize = 30;

/// Okabe–Ito colours, told apart by the common forms of colour blindness; every use is also
/// labelled in a legend, so colour is never the only cue.
pub mod palette {
    /// Orange.
    pub const ORANGE: &str = "#E69F00";
    /// Sky blue.
    pub const SKY_BLUE: &str = "#56B4E9";
    /// Bluish green.
    pub const GREEN: &str = "#009E73";
    /// Yellow.
    pub const YELLOW: &str = "#F0E442";
    /// Blue.
    pub const BLUE: &str = "#0072B2";
    /// Vermillion.
    pub const VERMILLION: &str = "#D55E00";
    /// Reddish purple.
    pub const PURPLE: &str = "#CC79A7";
    /// Black.
    pub const BLACK: &str = "#000000";
    /// Light grey for what is empty (free resources), not part of Okabe–Ito.
    pub const EMPTY: &str = "#E4E4E4";
    /// Grey for axes, rules and secondary text.
    pub const INK: &str = "#555555";
}

/// Where a text sits relative to its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// x is the start.
    Start,
    /// x is the middle.
    Middle,
    /// x is the end.
    End,
}

impl Anchor {
    fn attr(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// A filled rectangle; `tip` becomes its `<title>`, the tooltip and what a screen reader says.
#[derive(Debug, Clone, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Fill colour.
    pub fill: &'static str,
    /// Tooltip text.
    pub tip: Option<String>,
    /// A semantic tag (`data-part`), so tests and readers can find what a rectangle stands for.
    pub part: Option<&'static str>,
}

/// A line of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// x of the anchor.
    pub x: f64,
    /// Baseline.
    pub y: f64,
    /// What it says (escaped when written).
    pub text: String,
    /// Alignment.
    pub anchor: Anchor,
    /// Colour.
    pub fill: &'static str,
    /// Bold.
    pub bold: bool,
}

impl Text {
    /// Plain ink text starting at (x, y).
    pub fn at(x: f64, y: f64, text: impl Into<String>) -> Self {
        Self {
            x,
            y,
            text: text.into(),
            anchor: Anchor::Start,
            fill: palette::BLACK,
            bold: false,
        }
    }

    /// The same text with another anchor.
    pub fn anchored(self, anchor: Anchor) -> Self {
        Self { anchor, ..self }
    }

    /// The same text in another colour.
    pub fn coloured(self, fill: &'static str) -> Self {
        Self { fill, ..self }
    }

    /// The same text in bold.
    pub fn bold(self) -> Self {
        Self { bold: true, ..self }
    }
}

/// An SVG document being built: elements are written as they are added, escaped, with
/// coordinates rounded to 0.1 px so size stays proportional to the number of elements.
#[derive(Debug)]
pub struct Svg {
    width: f64,
    height: f64,
    title: String,
    desc: String,
    body: String,
}

impl Svg {
    /// A picture of this size, with the title and description every picture must have.
    pub fn new(width: f64, height: f64, title: impl Into<String>, desc: impl Into<String>) -> Self {
        Self {
            width,
            height,
            title: title.into(),
            desc: desc.into(),
            body: String::with_capacity(16 * 1024),
        }
    }

    /// Adds a rectangle.
    pub fn rect(&mut self, r: &Rect) {
        let _ = write!(
            self.body,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"",
            r.x,
            r.y,
            r.w.max(0.0),
            r.h.max(0.0),
            r.fill
        );
        if let Some(p) = r.part {
            let _ = write!(self.body, " data-part=\"{p}\"");
        }
        match &r.tip {
            Some(tip) => {
                let _ = write!(self.body, "><title>{}</title></rect>", escape_html(tip));
            }
            None => self.body.push_str("/>"),
        }
    }

    /// Adds a text.
    pub fn text(&mut self, t: &Text) {
        let _ = write!(
            self.body,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\" fill=\"{}\"{}>{}</text>",
            t.x,
            t.y,
            t.anchor.attr(),
            t.fill,
            if t.bold { " font-weight=\"bold\"" } else { "" },
            escape_html(&t.text)
        );
    }

    /// Opens a group tagged `data-{tag}="{value}"`, so a row's shapes can be found together;
    /// close it with [`Svg::close_group`].
    pub fn open_group(&mut self, tag: &'static str, value: &str) {
        let _ = write!(self.body, "<g data-{tag}=\"{}\">", escape_html(value));
    }

    /// Closes the group opened last.
    pub fn close_group(&mut self) {
        self.body.push_str("</g>");
    }

    /// Adds a 1 px line.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &'static str) {
        let _ = write!(
            self.body,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\" stroke-width=\"1\"/>"
        );
    }

    /// Adds a 2 px open line through `points` (dashed when `dashed`), with a tooltip, tagged
    /// `data-part` so tests and readers can find what it stands for.
    pub fn polyline(
        &mut self,
        points: &[(f64, f64)],
        stroke: &'static str,
        dashed: bool,
        part: &'static str,
        tip: &str,
    ) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            self.body,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2\"{} data-part=\"{part}\"><title>{}</title></polyline>",
            pts.join(" "),
            if dashed {
                " stroke-dasharray=\"5,3\""
            } else {
                ""
            },
            escape_html(tip)
        );
    }

    /// The finished `<svg>` element. `id` makes the title and description referable from
    /// `aria-labelledby` when several pictures share a page.
    pub fn finish(self, id: &str) -> String {
        let id = escape_html(id);
        let mut out = String::with_capacity(self.body.len() + 512);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
             aria-labelledby=\"{id}-title {id}-desc\" width=\"{w:.0}\" height=\"{h:.0}\" \
             viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\" font-size=\"11\" \
             style=\"max-width:100%;height:auto;display:block\">\
             <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
            w = self.width,
            h = self.height,
            title = escape_html(&self.title),
            desc = escape_html(&self.desc),
        );
        out.push_str(&self.body);
        out.push_str("</svg>");
        out
    }
}

/// A fresh id for a picture's title and description.
pub fn picture_id(kind: &str) -> String {
    format!("mesos-{kind}-{}", uuid::Uuid::new_v4().simple())
}

/// `label`, cut to `max` characters with an ellipsis, so a long hostname cannot push a
/// picture's bars out of place.
pub fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A bundle whose HTML is the picture above the table's HTML; text/plain is left as it is.
pub fn with_picture(mut bundle: MimeBundle, svg: &str) -> MimeBundle {
    let table = bundle
        .data
        .get("text/html")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    bundle.data.insert(
        "text/html".into(),
        format!("<figure style=\"margin:0 0 0.5em 0\">{svg}</figure>{table}").into(),
    );
    bundle
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Reading pictures back in tests.

    /// Parses `svg` as XML, failing the test with the parser's reason.
    pub fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"))
    }

    /// Rectangles tagged `part`, as (x, width, tooltip).
    pub fn parts(doc: &roxmltree::Document<'_>, part: &str) -> Vec<(f64, f64, String)> {
        doc.descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("data-part") == Some(part))
            .map(|n| {
                let num = |a| n.attribute(a).unwrap().parse::<f64>().unwrap();
                let tip = n
                    .children()
                    .find(|c| c.has_tag_name("title"))
                    .and_then(|t| t.text())
                    .unwrap_or_default()
                    .to_owned();
                (num("x"), num("width"), tip)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_picture_parses() {
        let mut s = Svg::new(100.0, 20.0, "a <title> & more", "desc \"quoted\"");
        s.text(&Text::at(1.0, 10.0, "<script>alert('x')</script>"));
        s.rect(&Rect {
            x: 0.0,
            y: 0.0,
            w: -3.0,
            h: 4.0,
            fill: palette::BLUE,
            tip: Some("a & b".into()),
            part: Some("used"),
        });
        let svg = s.finish("t");
        let doc = test_support::parse(&svg);
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        let title = root.children().find(|n| n.has_tag_name("title")).unwrap();
        assert_eq!(title.text(), Some("a <title> & more"));
        assert!(!svg.contains("<script>"));
        let parts = test_support::parts(&doc, "used");
        assert_eq!(parts, vec![(0.0, 0.0, "a & b".to_owned())]);
    }

    #[test]
    fn clip_keeps_short_labels() {
        assert_eq!(clip("agent-1", 10), "agent-1");
        assert_eq!(clip("agent-0001.dc1.example.com", 10), "agent-000…");
    }
}
