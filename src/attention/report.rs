//! The lesson report picture (SVG), rendered from the [`LessonDocument`] so the picture and
//! the JSON carry the same numbers: attention over lesson time per viewer with reminder,
//! alert and recovery markers, the class mean, the history of previous lessons, the threshold,
//! labelled axes and a legend with each viewer's mean and alert count, and the distribution
//! (histogram, share of time low) per viewer and for the class. Each curve is one
//! `<polyline class="series …" data-series="…">` so tools (and tests) can count series.

use std::fmt::Write;

use super::document::{DistributionFields, LessonDocument};

const W: f64 = 960.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 270.0;
const TOP: f64 = 70.0;
const PLOT_H: f64 = 330.0;
const ROW_H: f64 = 22.0;

/// Distinct colours for viewers (cycled).
const PALETTE: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
];
const CLASS: &str = "#2ca02c";
const HISTORY: &str = "#aaa";
const THRESHOLD: &str = "#e0a020";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.0}%", v * 100.0))
}

/// Renders the report.
pub fn render_svg(doc: &LessonDocument) -> String {
    let pw = W - LEFT - RIGHT;
    let t_max = doc
        .viewers
        .iter()
        .flat_map(|v| v.curve.iter().map(|p| p.0))
        .chain(doc.history.iter().map(|p| p.0))
        .fold(doc.elapsed_seconds.max(60.0), f64::max);
    let x = |t: f64| LEFT + t / t_max * pw;
    // 100% and 0% stay off the frame of the plot.
    let y = |a: f64| TOP + 8.0 + (1.0 - a.clamp(0.0, 1.0)) * (PLOT_H - 16.0);
    let points = |curve: &[(f64, f64)]| {
        curve
            .iter()
            .map(|&(t, a)| format!("{:.1},{:.1}", x(t), y(a)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = 1 + doc.viewers.len();
    let dist_top = TOP + PLOT_H + 70.0;
    let h = dist_top + 30.0 + rows as f64 * ROW_H + 20.0;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="DejaVu Sans, sans-serif">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="30" font-size="20">Lesson attention — {}</text>"#,
        escape(&doc.course)
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="52" font-size="13" fill="#444">{} UTC · {:.0} min · threshold {:.0}% (low: {} threshold) · {} viewer{} · {} alert{}</text>"##,
        doc.date.replace('T', " ").trim_end_matches('Z'),
        doc.elapsed_seconds / 60.0,
        doc.threshold * 100.0,
        if doc.low_at_threshold {
            "at or below"
        } else {
            "below"
        },
        doc.viewers.len(),
        if doc.viewers.len() == 1 { "" } else { "s" },
        doc.class.alerts,
        if doc.class.alerts == 1 { "" } else { "s" },
    );
    // Axes: 0/25/50/75/100% and elapsed minutes.
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{PLOT_H}" fill="none" stroke="#bbb"/>"##
    );
    for i in 0..=4 {
        let a = i as f64 / 4.0;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{x2:.1}" y2="{yy:.1}" stroke="#eee"/><text x="{tx}" y="{ty:.1}" font-size="13" text-anchor="end">{p}%</text>"##,
            yy = y(a),
            x2 = LEFT + pw,
            tx = LEFT - 8.0,
            ty = y(a) + 4.0,
            p = (a * 100.0) as u32
        );
    }
    let minutes = t_max / 60.0;
    let step = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0]
        .into_iter()
        .find(|s| minutes / s <= 8.0)
        .unwrap_or(120.0);
    let mut m = 0.0;
    while m <= minutes + 1e-9 {
        let _ = writeln!(
            s,
            r##"<line x1="{xx:.1}" y1="{b}" x2="{xx:.1}" y2="{b2}" stroke="#999"/><text x="{xx:.1}" y="{ty}" font-size="13" text-anchor="middle">{m}</text>"##,
            xx = x(m * 60.0),
            b = TOP + PLOT_H,
            b2 = TOP + PLOT_H + 5.0,
            ty = TOP + PLOT_H + 20.0,
        );
        m += step;
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">minutes since the lesson started</text>"#,
        LEFT + pw / 2.0,
        TOP + PLOT_H + 40.0
    );
    let _ = writeln!(
        s,
        r#"<text x="18" y="{:.1}" font-size="13" text-anchor="middle" transform="rotate(-90 18 {:.1})">attention (gaze time per window)</text>"#,
        TOP + PLOT_H / 2.0,
        TOP + PLOT_H / 2.0
    );
    let _ = writeln!(
        s,
        r#"<line x1="{LEFT}" y1="{yt:.1}" x2="{x2:.1}" y2="{yt:.1}" stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="6 4"/>"#,
        yt = y(doc.threshold),
        x2 = LEFT + pw
    );

    // Legend entries: (colour, width, dashed, label).
    let mut legend: Vec<(String, f64, bool, String)> = Vec::new();
    if !doc.history.is_empty() {
        let _ = writeln!(
            s,
            r#"<polyline class="series history" data-series="history" fill="none" stroke="{HISTORY}" stroke-width="7" stroke-opacity="0.6" points="{}"/>"#,
            points(&doc.history)
        );
        legend.push((
            HISTORY.into(),
            7.0,
            false,
            "earlier lessons (class mean)".into(),
        ));
    }
    legend.push((
        THRESHOLD.into(),
        1.5,
        true,
        format!("threshold {:.0}%", doc.threshold * 100.0),
    ));
    let mut markers = String::new();
    for (i, v) in doc.viewers.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        if !v.curve.is_empty() {
            let _ = writeln!(
                s,
                r#"<polyline class="series viewer" data-series="viewer:{id}" fill="none" stroke="{colour}" stroke-width="1.8" points="{p}"/>"#,
                id = escape(&v.viewer_id),
                p = points(&v.curve)
            );
        }
        for m in &v.markers {
            let a = v
                .curve
                .iter()
                .find(|p| (p.0 - m.t).abs() < 1e-6)
                .map_or(0.0, |p| p.1);
            let (mx, my) = (x(m.t), y(a));
            let _ = match m.kind.as_str() {
                "alert" => writeln!(
                    markers,
                    r##"<circle class="marker alert" cx="{mx:.1}" cy="{my:.1}" r="5" fill="#d62728" stroke="white"/>"##
                ),
                "reminder" => writeln!(
                    markers,
                    r##"<path class="marker reminder" d="M{:.1},{:.1} l5,9 h-10 z" fill="{THRESHOLD}" stroke="white"/>"##,
                    mx,
                    my - 6.0
                ),
                _ => writeln!(
                    markers,
                    r#"<rect class="marker recovered" x="{:.1}" y="{:.1}" width="8" height="8" fill="{CLASS}" stroke="white"/>"#,
                    mx - 4.0,
                    my - 4.0
                ),
            };
        }
        let mean = pct(v.distribution.mean);
        legend.push((
            colour.into(),
            2.5,
            false,
            format!(
                "{} · mean {mean} · {} alert{}",
                v.viewer_id,
                v.alerts,
                if v.alerts == 1 { "" } else { "s" }
            ),
        ));
    }
    if !doc.class.curve.is_empty() {
        let _ = writeln!(
            s,
            r#"<polyline class="series class-mean" data-series="class-mean" fill="none" stroke="{CLASS}" stroke-width="4" points="{}"/>"#,
            points(&doc.class.curve)
        );
        legend.push((
            CLASS.into(),
            4.0,
            false,
            format!("class mean {}", pct(doc.class.distribution.mean)),
        ));
    }
    s.push_str(&markers);
    let lx = W - RIGHT + 15.0;
    let mut ly = TOP + 6.0;
    for (colour, width, dashed, label) in &legend {
        let dash = if *dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{x2}" y2="{ly}" stroke="{colour}" stroke-width="{width}"{dash}/><text x="{tx}" y="{ty}" font-size="12">{label}</text>"#,
            x2 = lx + 24.0,
            tx = lx + 30.0,
            ty = ly + 4.0,
            label = escape(label)
        );
        ly += 19.0;
    }
    let _ = writeln!(
        s,
        r##"<circle cx="{cx}" cy="{ly}" r="5" fill="#d62728"/><text x="{tx}" y="{ty}" font-size="12">alert</text><path d="M{rx},{ry} l5,9 h-10 z" fill="{THRESHOLD}"/><text x="{rtx}" y="{ty}" font-size="12">reminder</text><rect x="{qx}" y="{qy}" width="8" height="8" fill="{CLASS}"/><text x="{qtx}" y="{ty}" font-size="12">recovered</text>"##,
        cx = lx + 12.0,
        tx = lx + 22.0,
        ty = ly + 4.0,
        rx = lx + 77.0,
        ry = ly - 6.0,
        rtx = lx + 87.0,
        qx = lx + 158.0,
        qy = ly - 4.0,
        qtx = lx + 170.0,
    );

    // Distribution table.
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="{dist_top}" font-size="14">Distribution of window attention (deciles 0–100%) and share of time low</text>"#
    );
    let row = |s: &mut String, i: usize, label: &str, colour: &str, d: &DistributionFields| {
        let ry = dist_top + 14.0 + i as f64 * ROW_H;
        let _ = writeln!(
            s,
            r#"<text x="{LEFT}" y="{:.1}" font-size="12" fill="{colour}">{}</text>"#,
            ry + 14.0,
            escape(label)
        );
        let hx = LEFT + 170.0;
        let max = d.histogram.iter().copied().max().unwrap_or(0).max(1);
        for (bin, count) in d.histogram.iter().enumerate() {
            let bh = 16.0 * *count as f64 / max as f64;
            let fill = if (bin as f64 + 0.5) / 10.0 < doc.threshold {
                "#d62728"
            } else {
                CLASS
            };
            let _ = writeln!(
                s,
                r##"<rect class="bin" x="{:.1}" y="{:.1}" width="14" height="{bh:.1}" fill="{fill}"/><rect x="{:.1}" y="{:.1}" width="14" height="1" fill="#bbb"/>"##,
                hx + bin as f64 * 16.0,
                ry + 18.0 - bh,
                hx + bin as f64 * 16.0,
                ry + 18.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{} windows · mean {} · {} of the time low</text>"#,
            hx + 175.0,
            ry + 14.0,
            d.windows,
            pct(d.mean),
            pct(d.low_share)
        );
    };
    row(&mut s, 0, "class", CLASS, &doc.class.distribution);
    for (i, v) in doc.viewers.iter().enumerate() {
        row(
            &mut s,
            i + 1,
            &v.viewer_id,
            PALETTE[i % PALETTE.len()],
            &v.distribution,
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Writes the report to `path` (via a temporary file, so a reader never sees half of it).
pub fn write(path: &std::path::Path, svg: &str) -> Result<(), String> {
    super::document::write_atomically(path, svg, "report")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::board::tests::{T0, report};
    use crate::attention::{AttentionEvent, ClassBoard};

    #[test]
    fn one_series_per_viewer_plus_class_mean_history_and_markers() {
        let mut board = ClassBoard::new(T0);
        for (id, a) in [("anna", 0.9), ("bob<&>", 0.1)] {
            for i in 0..3 {
                let r = report(id, 0, 60, i, a);
                board.apply(&AttentionEvent::Attention(r.clone()));
                if a < 0.5 && i == 1 {
                    board.apply(&AttentionEvent::Alert(r));
                }
            }
        }
        let doc = LessonDocument::new("course/42", &board, &[(60.0, 0.5), (120.0, 0.6)]);
        let svg = render_svg(&doc);
        assert_eq!(svg.matches("class=\"series").count(), 4);
        assert_eq!(svg.matches("class=\"series viewer\"").count(), 2);
        assert!(svg.contains("data-series=\"viewer:bob&lt;&amp;&gt;\""));
        assert!(
            svg.contains("class=\"series class-mean\"") && svg.contains("class=\"series history\"")
        );
        assert_eq!(svg.matches("class=\"marker alert\"").count(), 1);
        assert!(svg.contains("2025-11-21 21:20:00 UTC"), "date");
        assert!(svg.contains("threshold 50%"));
        assert!(svg.contains("anna · mean 90% · 0 alerts"));
        assert!(svg.contains("bob&lt;&amp;&gt; · mean 10% · 1 alert"));
        assert!(svg.contains("minutes since the lesson started"));
        assert!(svg.contains("3 windows · mean 10% · 100% of the time low"));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // No history, no viewers: an empty chart, still a valid picture.
        let empty = render_svg(&LessonDocument::new("c", &ClassBoard::default(), &[]));
        assert_eq!(empty.matches("class=\"series").count(), 0);
        let p = std::env::temp_dir().join(format!("facekit-report-{}.svg", std::process::id()));
        write(&p, &svg).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), svg);
        let _ = std::fs::remove_file(p);
        assert!(
            write(std::path::Path::new("/nonexistent/r.svg"), &svg)
                .unwrap_err()
                .contains("report-location")
        );
    }
}
