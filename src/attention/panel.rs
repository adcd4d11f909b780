//! The presenter's class panel, drawn by `attentionoverlay`: the class average, the alerted
//! viewers, the lesson chart (labelled axes, legend, history behind) and the distribution
//! of window attention per viewer and for the class (histogram, share of time low).
//!
//! The same drawing goes either straight into the frame or, for the overlay-composition
//! mode, into a transparent layer ([`matte`]) that a preview sink blends.

use super::board::{ClassBoard, Distribution};
use super::paint::{self, Painter, Rect, TextFont};
use crate::frame::draw::Canvas;
use crate::frame::image::Layout;

/// Which corner the panel sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Corner {
    #[default]
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

impl Corner {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "top-left" => Self::TopLeft,
            "top-right" => Self::TopRight,
            "bottom-left" => Self::BottomLeft,
            "bottom-right" => Self::BottomRight,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TopLeft => "top-left",
            Self::TopRight => "top-right",
            Self::BottomLeft => "bottom-left",
            Self::BottomRight => "bottom-right",
        }
    }
}

/// Size and place of the panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// 1 = default size (text height = frame height / 22).
    pub scale: f32,
    pub corner: Corner,
    /// Opacity of the panel's dark background, 0..1.
    pub opacity: f32,
}

impl Default for Placement {
    fn default() -> Self {
        Self {
            scale: 1.0,
            corner: Corner::TopLeft,
            opacity: 0.7,
        }
    }
}

/// Where the presenter overlay draws, for a `width` x `height` frame (documented in
/// docs/attentionoverlay.md; tests compare these regions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverlayLayout {
    /// The translucent panel holding everything.
    pub panel: Rect,
    /// The header line: class average and viewer count.
    pub header: Rect,
    /// The list of alerted viewers (red: id and attention).
    pub alerts: Rect,
    /// The plot area of the lesson chart (axis labels left of and below it).
    pub chart: Rect,
    /// The legend line under the chart.
    pub legend: Rect,
    /// Distribution rows: the class, then the least attentive viewers.
    pub distribution: Rect,
    /// Text size in pixels, and of the small text (axis labels, legend, rows).
    pub font_px: f32,
    pub small_px: f32,
    /// Alert lines and distribution rows that fit.
    pub alert_lines: usize,
    pub rows: usize,
    pub opacity: f32,
}

impl OverlayLayout {
    pub fn new(width: u32, height: u32) -> Self {
        Self::placed(width, height, Placement::default())
    }

    pub fn placed(width: u32, height: u32, place: Placement) -> Self {
        let (w, h) = (width as f32, height as f32);
        let s = place.scale;
        let font_px = (h / 22.0 * s).clamp(10.0, 48.0);
        let small_px = (font_px * 0.75).max(9.0);
        let margin = (h / 45.0 * s).max(3.0).round();
        let line = (font_px * 1.25).round();
        let small_line = (small_px * 1.3).round();
        let alert_lines = 3;
        let rows = 4;
        let panel_w = (w * 0.42 * s)
            .max(font_px * 15.0)
            .min(w - 2.0 * margin)
            .max(1.0);
        let chart_h = (h * 0.16 * s).max(font_px * 2.5).round();
        let content = line * (1 + alert_lines) as f32
            + chart_h
            + small_line * (2 + rows) as f32
            + margin * 4.0;
        let panel_h = content.min(h - 2.0 * margin).max(1.0);
        let x = match place.corner {
            Corner::TopLeft | Corner::BottomLeft => margin,
            _ => (w - margin - panel_w).max(0.0),
        };
        let y = match place.corner {
            Corner::TopLeft | Corner::TopRight => margin,
            _ => (h - margin - panel_h).max(0.0),
        };
        let panel = Rect::new(x, y, panel_w, panel_h);
        let inner_x = panel.x + margin;
        let inner_w = (panel.w - 2.0 * margin).max(1.0);
        let header = Rect::new(inner_x, panel.y + margin, inner_w, line);
        let alerts = Rect::new(inner_x, header.y + line, inner_w, line * alert_lines as f32);
        let y_labels = (small_px * 2.7).round();
        let chart = Rect::new(
            inner_x + y_labels,
            alerts.y + alerts.h + margin,
            (inner_w - y_labels).max(1.0),
            chart_h,
        );
        let legend = Rect::new(inner_x, chart.y + chart.h + small_line, inner_w, small_line);
        let distribution = Rect::new(
            inner_x,
            legend.y + legend.h + margin,
            inner_w,
            small_line * rows as f32,
        );
        Self {
            panel,
            header,
            alerts,
            chart,
            legend,
            distribution,
            font_px,
            small_px,
            alert_lines,
            rows,
            opacity: place.opacity.clamp(0.0, 1.0),
        }
    }
}

/// One distribution row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub distribution: Distribution,
}

/// Everything the panel shows, taken from the board in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelView {
    pub average: Option<f64>,
    pub present: usize,
    /// (id, attention, left the lesson).
    pub alerted: Vec<(String, f64, bool)>,
    pub class_curve: Vec<(f64, f64)>,
    pub history: Vec<(f64, f64)>,
    pub threshold: f64,
    pub elapsed: f64,
    /// The class first, then viewers least attentive first.
    pub rows: Vec<Row>,
}

impl PanelView {
    pub fn new(board: &ClassBoard, history: &[(f64, f64)]) -> Self {
        let mut viewers: Vec<Row> = board
            .viewers
            .iter()
            .map(|(id, v)| Row {
                label: id.clone(),
                distribution: board.viewer_distribution(v),
            })
            .collect();
        viewers.sort_by(|a, b| {
            let m = |r: &Row| r.distribution.mean.unwrap_or(1.0);
            m(a).total_cmp(&m(b)).then_with(|| a.label.cmp(&b.label))
        });
        let mut rows = vec![Row {
            label: "class".into(),
            distribution: board.class_distribution(),
        }];
        rows.extend(viewers);
        Self {
            average: board.class_average(),
            present: board.present().count(),
            alerted: board
                .alerted()
                .into_iter()
                .map(|(id, a)| {
                    let left = board.viewers.get(&id).is_some_and(|v| v.left);
                    (id, a, left)
                })
                .collect(),
            class_curve: board.class_curve(),
            history: history.to_vec(),
            threshold: board.threshold.map_or(0.5, |t| t.value),
            elapsed: board.elapsed(),
            rows,
        }
    }
}

fn minutes(t: f64) -> String {
    let m = t / 60.0;
    if m >= 10.0 || (m - m.round()).abs() < 0.05 {
        format!("{:.0} min", m.round())
    } else {
        format!("{m:.1} min")
    }
}

/// Draws the whole panel.
pub fn draw_panel(p: &mut Painter, font: &TextFont, l: &OverlayLayout, v: &PanelView) {
    let px = l.font_px;
    p.fill(l.panel, [0, 0, 0], l.opacity);
    let header = match v.average {
        Some(a) => format!(
            "Class attention {:.0}% · {} viewer{}",
            a * 100.0,
            v.present,
            if v.present == 1 { "" } else { "s" }
        ),
        None => "Attention: waiting for viewers".to_string(),
    };
    p.text_shadowed(font, l.header.x, l.header.y, px, &header, paint::WHITE);
    let line = l.alerts.h / l.alert_lines as f32;
    if v.alerted.is_empty() {
        p.text_shadowed(
            font,
            l.alerts.x,
            l.alerts.y,
            px,
            "No alerts",
            paint::DIM_GREY,
        );
    }
    let shown = if v.alerted.len() > l.alert_lines {
        l.alert_lines - 1
    } else {
        v.alerted.len()
    };
    for (i, (id, a, left)) in v.alerted.iter().take(shown).enumerate() {
        let y = l.alerts.y + i as f32 * line;
        let gone = if *left { "  (left)" } else { "" };
        let text = format!("● {id}  {:.0}%{gone}", a * 100.0);
        p.text_shadowed(font, l.alerts.x, y, px, &text, paint::ALERT_RED);
    }
    if v.alerted.len() > shown {
        let y = l.alerts.y + shown as f32 * line;
        let text = format!("+{} more alerted", v.alerted.len() - shown);
        p.text_shadowed(font, l.alerts.x, y, px, &text, paint::ALERT_RED);
    }
    draw_chart(p, font, l, v);
    draw_rows(p, font, l, v);
}

fn draw_chart(p: &mut Painter, font: &TextFont, l: &OverlayLayout, v: &PanelView) {
    let c = l.chart;
    let sp = l.small_px;
    p.fill(c, [20, 20, 30], 0.6);
    let thick = (l.font_px / 8.0).max(1.5);
    // Room above 100% and below 0% so the extremes do not sit on the border.
    let pad = (thick * 2.0).ceil();
    let (top, bottom) = (c.y + pad, c.y + c.h - 1.0 - pad);
    let y_of = |a: f64| top + (1.0 - a.clamp(0.0, 1.0) as f32) * (bottom - top);
    for (a, label) in [(1.0, "100%"), (0.5, "50%"), (0.0, "0%")] {
        let y = y_of(a);
        p.line((c.x, y), (c.x + c.w - 1.0, y), [90, 90, 100], 1.0, 0.0);
        let w = font.width(label, sp);
        p.text_shadowed(
            font,
            c.x - w - sp * 0.3,
            y - sp * 0.6,
            sp,
            label,
            paint::DIM_GREY,
        );
    }
    let t_max = v
        .class_curve
        .iter()
        .chain(&v.history)
        .map(|p| p.0)
        .fold(v.elapsed.max(60.0), f64::max);
    let x_of = |t: f64| c.x + (t / t_max) as f32 * (c.w - 1.0);
    let label_y = c.y + c.h + 1.0;
    p.text_shadowed(font, c.x, label_y, sp, "0", paint::DIM_GREY);
    let end = minutes(t_max);
    let w = font.width(&end, sp);
    p.text_shadowed(font, c.x + c.w - w, label_y, sp, &end, paint::DIM_GREY);
    let ty = y_of(v.threshold);
    p.line(
        (c.x, ty),
        (c.x + c.w - 1.0, ty),
        paint::THRESHOLD_AMBER,
        1.0,
        4.0,
    );
    let history: Vec<(f32, f32)> = v.history.iter().map(|&(t, a)| (x_of(t), y_of(a))).collect();
    p.polyline(&history, paint::HISTORY_GREY, thick * 2.5);
    // The live curve on top, with a dark edge so it stays visible on the grey history and on
    // the threshold line, and a dot per point.
    let live: Vec<(f32, f32)> = v
        .class_curve
        .iter()
        .map(|&(t, a)| (x_of(t), y_of(a)))
        .collect();
    p.polyline(&live, [0, 0, 0], thick + 2.0);
    p.polyline(&live, paint::CLASS_GREEN, thick);
    for &pt in &live {
        p.line(pt, pt, [0, 0, 0], thick * 2.5 + 2.0, 0.0);
        p.line(pt, pt, paint::CLASS_GREEN, thick * 2.5, 0.0);
    }
    // Legend: what green, grey and dashed mean.
    let lg = l.legend;
    let seg = sp * 1.6;
    let mid = lg.y + lg.h / 2.0;
    let mut x = lg.x;
    let mut item = |p: &mut Painter, colour: [u8; 3], width: f32, dash: f32, text: &str| {
        p.line((x, mid), (x + seg, mid), colour, width, dash);
        x += seg + sp * 0.3;
        x += p.text_shadowed(font, x, lg.y, sp, text, paint::DIM_GREY) + sp * 0.8;
    };
    item(p, paint::CLASS_GREEN, thick, 0.0, "class");
    if !v.history.is_empty() {
        item(p, paint::HISTORY_GREY, thick * 2.5, 0.0, "earlier lessons");
    }
    item(
        p,
        paint::THRESHOLD_AMBER,
        1.5,
        3.0,
        &format!("threshold {:.0}%", v.threshold * 100.0),
    );
}

fn draw_rows(p: &mut Painter, font: &TextFont, l: &OverlayLayout, v: &PanelView) {
    let d = l.distribution;
    let sp = l.small_px;
    let row_h = d.h / l.rows as f32;
    let label_w = (d.w * 0.32).round();
    let hist_w = (d.w * 0.3).round();
    let bar_w = (hist_w / 10.0).floor().max(1.0);
    for (i, row) in v.rows.iter().take(l.rows).enumerate() {
        let y = d.y + i as f32 * row_h;
        let colour = if i == 0 {
            paint::WHITE
        } else {
            paint::DIM_GREY
        };
        let mut label = row.label.clone();
        while label.chars().count() > 1 && font.width(&label, sp) > label_w - sp * 0.3 {
            label.pop();
        }
        p.text_shadowed(font, d.x, y, sp, &label, colour);
        // Histogram: one bar per decile, red below the threshold, green at or above.
        let hx = d.x + label_w;
        let base = y + row_h - 2.0;
        let max = row
            .distribution
            .histogram
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(1);
        p.fill(Rect::new(hx, base, bar_w * 10.0, 1.0), [110, 110, 110], 1.0);
        for (bin, count) in row.distribution.histogram.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let hgt = (row_h - 3.0) * *count as f32 / max as f32;
            let low = (bin as f64 + 0.5) / 10.0 < v.threshold;
            let col = if low {
                paint::ALERT_RED
            } else {
                paint::CLASS_GREEN
            };
            p.fill(
                Rect::new(
                    hx + bin as f32 * bar_w,
                    base - hgt,
                    (bar_w - 1.0).max(1.0),
                    hgt,
                ),
                col,
                1.0,
            );
        }
        let text = match (row.distribution.mean, row.distribution.low_share) {
            (Some(m), Some(low)) => format!("{:.0}% · {:.0}% low", m * 100.0, low * 100.0),
            _ => "–".into(),
        };
        p.text_shadowed(font, hx + bar_w * 10.0 + sp * 0.5, y, sp, &text, colour);
    }
}

/// Renders `draw` as a transparent BGRA layer (non-premultiplied, as
/// `GstVideoOverlayRectangle` takes it) covering `area` of a `width` x `height` frame: drawn
/// once over black and once over white, the two results give each pixel's alpha and colour
/// exactly (every drawing operation is a linear blend with the background).
pub fn matte(
    width: u32,
    height: u32,
    area: Rect,
    draw: impl Fn(&mut Painter),
) -> (Vec<u8>, [u32; 4]) {
    let (w, h) = (width as usize, height as usize);
    let x0 = (area.x.max(0.0) as usize).min(w);
    let y0 = (area.y.max(0.0) as usize).min(h);
    let x1 = ((area.x + area.w).ceil().max(0.0) as usize).clamp(x0, w);
    let y1 = ((area.y + area.h).ceil().max(0.0) as usize).clamp(y0, h);
    let bgra = Layout::Packed {
        bpp: 4,
        r: 2,
        g: 1,
        b: 0,
    };
    let render = |level: u8| {
        let mut pixels = vec![level; w * h * 4];
        // A zero-sized frame has nothing to draw on.
        if let Ok(mut c) = Canvas::new(bgra, w, h, [&mut pixels, &mut [], &mut []], [w * 4, 0, 0]) {
            draw(&mut Painter::new(&mut c));
        }
        pixels
    };
    let (black, white) = (render(0), render(255));
    let (rw, rh) = (x1 - x0, y1 - y0);
    let mut out = vec![0u8; rw * rh * 4];
    for y in 0..rh {
        for x in 0..rw {
            let o = ((y0 + y) * w + x0 + x) * 4;
            let b = &black[o..o + 3];
            let wt = &white[o..o + 3];
            // White minus black = 255 * (1 - alpha), the same in every channel.
            let diff: f32 = (0..3).map(|i| wt[i] as f32 - b[i] as f32).sum::<f32>() / 3.0;
            let alpha = (1.0 - diff / 255.0).clamp(0.0, 1.0);
            let d = &mut out[(y * rw + x) * 4..][..4];
            if alpha > 0.0 {
                for i in 0..3 {
                    d[i] = (b[i] as f32 / alpha).round().clamp(0.0, 255.0) as u8;
                }
            }
            d[3] = (alpha * 255.0).round() as u8;
        }
    }
    (out, [x0 as u32, y0 as u32, rw as u32, rh as u32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::AttentionEvent;
    use crate::attention::board::tests::{T0, report};

    #[test]
    fn layouts_fit_inside_the_frame_and_stay_readable() {
        for (w, h) in [(640, 360), (1280, 720), (1920, 1080), (176, 144)] {
            let l = OverlayLayout::new(w, h);
            assert!(l.panel.x + l.panel.w <= w as f32 && l.panel.y + l.panel.h <= h as f32);
            assert!(l.chart.h >= 1.0 && l.alerts.y >= l.header.y + l.header.h - 0.01);
            if h >= 360 {
                assert!(l.font_px >= 16.0, "{w}x{h}: {}", l.font_px);
                assert!(
                    l.distribution.y + l.distribution.h <= l.panel.y + l.panel.h,
                    "{w}x{h}"
                );
            }
        }
        // Smaller and in another corner.
        let place = Placement {
            scale: 0.5,
            corner: Corner::BottomRight,
            opacity: 0.4,
        };
        let small = OverlayLayout::placed(1280, 720, place);
        let big = OverlayLayout::new(1280, 720);
        assert!(small.panel.w * small.panel.h < big.panel.w * big.panel.h * 0.4);
        assert!(small.panel.x + small.panel.w > 1280.0 - 20.0);
        assert!(small.panel.y > 360.0);
        assert_eq!(Corner::parse("bottom-right"), Some(Corner::BottomRight));
        assert_eq!(
            Corner::parse(Corner::TopLeft.as_str()),
            Some(Corner::TopLeft)
        );
        assert_eq!(Corner::parse("middle"), None);
    }

    #[test]
    fn the_view_puts_the_class_first_and_the_least_attentive_next() {
        let mut b = ClassBoard::new(T0);
        b.apply(&AttentionEvent::Attention(report("anna", 0, 60, 0, 1.0)));
        b.apply(&AttentionEvent::Attention(report("ben", 0, 60, 0, 0.2)));
        let v = PanelView::new(&b, &[]);
        let labels: Vec<&str> = v.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["class", "ben", "anna"]);
        assert_eq!(v.rows[0].distribution.low_share, Some(0.5));
        assert_eq!(v.present, 2);
    }

    #[test]
    fn matte_recovers_colour_and_alpha() {
        let (layer, rect) = matte(20, 10, Rect::new(2.0, 2.0, 8.0, 4.0), |p| {
            p.fill(Rect::new(2.0, 2.0, 8.0, 4.0), [0, 0, 0], 0.5);
            p.fill(Rect::new(4.0, 3.0, 2.0, 1.0), [255, 60, 60], 1.0);
        });
        assert_eq!(rect, [2, 2, 8, 4]);
        // Translucent black: alpha 0.5 (±1), black.
        assert!((layer[3] as i32 - 128).abs() <= 1 && layer[0..3] == [0, 0, 0]);
        // Opaque red at (4,3) → (2,1) in the layer: BGRA.
        let o = (8 + 2) * 4;
        assert_eq!(&layer[o..o + 4], &[60, 60, 255, 255]);
        let empty = matte(4, 4, Rect::new(10.0, 10.0, 5.0, 5.0), |_| {});
        assert_eq!(empty.1[2] * empty.1[3], 0);
    }
}
