//! The lesson report picture (SVG): attention over time per viewer, the class mean, and the
//! history curve of previous lessons behind them. Each curve is one
//! `<polyline class="series …" data-series="…">` so tools (and tests) can count series.

use std::fmt::Write;

use super::ClassBoard;

const W: f64 = 960.0;
const H: f64 = 540.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

/// Distinct colours for viewers (cycled).
const PALETTE: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the report; `history` is `(seconds, attention)` of previous lessons.
pub fn render_svg(
    course: &str,
    board: &ClassBoard,
    history: &[(f64, f64)],
    threshold: f64,
) -> String {
    let class = board.class_curve();
    let t_max = board
        .viewers
        .values()
        .flat_map(|v| v.curve.iter().map(|p| p.0))
        .chain(history.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |t: f64| LEFT + t / t_max * pw;
    let y = |a: f64| TOP + (1.0 - a.clamp(0.0, 1.0)) * ph;
    let points = |curve: &[(f64, f64)]| {
        curve
            .iter()
            .map(|&(t, a)| format!("{:.1},{:.1}", x(t), y(a)))
            .collect::<Vec<_>>()
            .join(" ")
    };

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, sans-serif">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="30" font-size="20">Lesson attention — {}</text>"#,
        escape(course)
    );
    // Axes and grid.
    for i in 0..=4 {
        let a = i as f64 / 4.0;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" font-size="13" text-anchor="end">{p}%</text>"##,
            y = y(a),
            x2 = LEFT + pw,
            tx = LEFT - 8.0,
            ty = y(a) + 4.0,
            p = (a * 100.0) as u32
        );
    }
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{yt:.1}" x2="{x2:.1}" y2="{yt:.1}" stroke="#e0a020" stroke-dasharray="6 4"/>"##,
        yt = y(threshold),
        x2 = LEFT + pw
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">time since lesson start (s), 0 – {t_max:.0}</text>"#,
        LEFT + pw / 2.0,
        H - 20.0
    );

    let mut legend = Vec::new();
    if !history.is_empty() {
        let _ = writeln!(
            s,
            r##"<polyline class="series history" data-series="history" fill="none" stroke="#aaa" stroke-width="6" stroke-opacity="0.7" points="{}"/>"##,
            points(history)
        );
        legend.push(("#aaa".to_string(), "previous lessons".to_string()));
    }
    for (i, (id, v)) in board.viewers.iter().enumerate() {
        if v.curve.is_empty() {
            continue;
        }
        let colour = PALETTE[i % PALETTE.len()];
        let _ = writeln!(
            s,
            r#"<polyline class="series viewer" data-series="viewer:{id}" fill="none" stroke="{colour}" stroke-width="1.5" points="{p}"/>"#,
            id = escape(id),
            p = points(&v.curve)
        );
        legend.push((colour.to_string(), id.clone()));
    }
    if !class.is_empty() {
        let _ = writeln!(
            s,
            r##"<polyline class="series class-mean" data-series="class-mean" fill="none" stroke="#2ca02c" stroke-width="4" points="{}"/>"##,
            points(&class)
        );
        legend.push(("#2ca02c".to_string(), "class mean".to_string()));
    }
    for (i, (colour, label)) in legend.iter().enumerate() {
        let ly = TOP + 10.0 + i as f64 * 20.0;
        let lx = W - RIGHT + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{x2}" y2="{ly}" stroke="{colour}" stroke-width="4"/><text x="{tx}" y="{ty}" font-size="13">{label}</text>"#,
            x2 = lx + 24.0,
            tx = lx + 30.0,
            ty = ly + 4.0,
            label = escape(label)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Writes the report to `path` (via a temporary file, so a reader never sees half of it).
pub fn write(path: &std::path::Path, svg: &str) -> Result<(), String> {
    let tmp = path.with_extension("svg.part");
    std::fs::write(&tmp, svg)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            format!(
                "cannot write the report {}: {e}; set report-location to a writable file",
                path.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::messages::{AttentionEvent, tests::window_report};

    #[test]
    fn one_series_per_viewer_plus_class_mean_and_history() {
        let mut board = ClassBoard::default();
        for (id, a) in [("anna", 0.9), ("bob<&>", 0.1)] {
            for i in 0..3 {
                let mut r = window_report();
                r.viewer_id = id.into();
                r.window_index = i;
                r.window_start = i * 60_000_000_000;
                r.window_end = (i + 1) * 60_000_000_000;
                r.attention = a;
                board.apply(&AttentionEvent::Attention(r));
            }
        }
        let svg = render_svg("course/42", &board, &[(60.0, 0.5), (120.0, 0.6)], 0.5);
        assert_eq!(svg.matches("class=\"series").count(), 4);
        assert_eq!(svg.matches("class=\"series viewer\"").count(), 2);
        assert!(svg.contains("data-series=\"viewer:bob&lt;&amp;&gt;\""));
        assert!(
            svg.contains("class=\"series class-mean\"") && svg.contains("class=\"series history\"")
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // No history, no viewers: an empty chart, still a valid picture.
        let empty = render_svg("c", &ClassBoard::default(), &[], 0.5);
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
