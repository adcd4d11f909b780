//! The viewer's own cue, drawn by `attentionmeter draw=true`: a labelled attention bar with
//! the number and a threshold tick on a dark backing (legible on dark and bright video), and a
//! banner while reminded (amber) that turns red once the presenter was alerted.

use super::paint::{self, Painter, Rect, TextFont};
use super::{Meter, ReminderState};

/// Where the viewer-side cue goes: a box at the bottom and a banner across the top.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewerCueLayout {
    /// Dark backing of the label and bar.
    pub backing: Rect,
    /// Where the label ("Attention 73%") starts.
    pub label: Rect,
    /// The bar (0..100%).
    pub bar: Rect,
    pub banner: Rect,
    pub font_px: f32,
}

impl ViewerCueLayout {
    pub fn new(width: u32, height: u32) -> Self {
        let (w, h) = (width as f32, height as f32);
        let font_px = (h / 18.0).min(w / 18.0).clamp(9.0, 32.0);
        let margin = (h / 40.0).max(2.0).round();
        let box_h = (font_px * 1.5).round().min(h);
        let box_w = (w * 0.45)
            .max(font_px * 14.0)
            .min(w - 2.0 * margin)
            .max(1.0);
        let backing = Rect::new(margin, (h - margin - box_h).max(0.0), box_w, box_h);
        let pad = (font_px * 0.3).round().max(1.0);
        // "Attention 100%" takes about 7.5 em at DejaVu Sans.
        let label_w = (font_px * 7.6).min(box_w * 0.6);
        let label = Rect::new(backing.x + pad, backing.y, label_w, box_h);
        let bar_x = label.x + label_w + pad;
        let bar = Rect::new(
            bar_x,
            backing.y + box_h * 0.3,
            (backing.x + box_w - pad - bar_x).max(1.0),
            (box_h * 0.4).max(2.0),
        );
        Self {
            backing,
            label,
            bar,
            banner: Rect::new(0.0, 0.0, w, (font_px * 1.6).round().min(h)),
            font_px,
        }
    }
}

/// What the cue shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CueState {
    /// Latest complete window (`None` before the first one closed).
    pub attention: Option<f64>,
    pub threshold: f64,
    pub low: bool,
    pub state: ReminderState,
    /// Seconds until the first window closes, while waiting for it.
    pub first_in: Option<f64>,
}

impl CueState {
    /// What the cue shows of `meter` now.
    pub fn of(meter: &Meter) -> Self {
        let threshold = meter.config().threshold;
        Self {
            attention: meter.last_attention(),
            threshold: threshold.value,
            low: meter.last_attention().is_some_and(|a| threshold.is_low(a)),
            state: meter.state(),
            first_in: meter.first_window_in(),
        }
    }
}

pub fn draw_cue(p: &mut Painter, font: Option<&TextFont>, l: &ViewerCueLayout, cue: &CueState) {
    p.fill(l.backing, [0, 0, 0], 0.6);
    let px = l.font_px;
    let text_y = l.label.y + (l.label.h - px * 1.2) / 2.0;
    let label = match cue.attention {
        Some(a) => format!("Attention {:.0}%", a * 100.0),
        None => "Attention …".to_string(),
    };
    if let Some(font) = font {
        p.text_shadowed(font, l.label.x, text_y, px, &label, paint::WHITE);
    }
    // The empty bar is grey, not black, so "no value yet" never looks like 0%.
    let bar = l.bar;
    p.fill(bar, [90, 90, 90], 0.9);
    match cue.attention {
        Some(a) => {
            let mut fill = bar;
            fill.w *= a.clamp(0.0, 1.0) as f32;
            let colour = if cue.low {
                paint::ALERT_RED
            } else {
                paint::CLASS_GREEN
            };
            p.fill(fill, colour, 1.0);
        }
        None => {
            // Measuring: a striped bar.
            let stripe = (bar.h * 1.5).max(3.0);
            let mut x = bar.x;
            while x < bar.x + bar.w {
                p.fill(
                    Rect::new(x, bar.y, (stripe / 2.0).min(bar.x + bar.w - x), bar.h),
                    [150, 150, 150],
                    0.9,
                );
                x += stripe;
            }
        }
    }
    // Threshold tick, taller than the bar, white with a dark edge.
    let tx = bar.x + bar.w * cue.threshold.clamp(0.0, 1.0) as f32;
    let tick_w = (px / 8.0).max(1.0).round();
    let tick = Rect::new(tx - tick_w / 2.0, bar.y - bar.h * 0.4, tick_w, bar.h * 1.8);
    p.fill(
        Rect::new(tick.x - 1.0, tick.y, tick.w + 2.0, tick.h),
        [0, 0, 0],
        0.8,
    );
    p.fill(tick, paint::WHITE, 1.0);
    let banner = match cue.state {
        ReminderState::NotReminded => None,
        ReminderState::Reminded => Some((paint::BANNER_AMBER, "Please look at the lesson")),
        ReminderState::Alerted => {
            Some((paint::BANNER_RED, "Presenter notified: look at the lesson"))
        }
    };
    if let Some((colour, text)) = banner {
        p.fill(l.banner, colour, 0.85);
        if let Some(font) = font {
            let text = format!("{text} · {:.0}%", cue.attention.unwrap_or(0.0) * 100.0);
            // Shrink the text to fit small frames.
            let room = l.banner.w - px;
            let size = if font.width(&text, px) > room {
                px * room / font.width(&text, px)
            } else {
                px
            };
            let y = l.banner.y + (l.banner.h - size * 1.2) / 2.0;
            p.text_shadowed(font, px * 0.5, y, size, &text, paint::WHITE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::draw::Canvas;
    use crate::frame::image::Layout;

    #[test]
    fn cue_layout_fits_and_keeps_text_legible_at_qcif() {
        for (w, h) in [(176, 144), (640, 360), (1280, 720), (16, 16)] {
            let l = ViewerCueLayout::new(w, h);
            assert!(l.backing.x + l.backing.w <= w as f32 + 0.01, "{w}x{h}");
            assert!(l.backing.y + l.backing.h <= h as f32 + 0.01, "{w}x{h}");
            assert!(l.bar.x >= l.label.x + l.label.w, "{w}x{h}");
            assert!(l.font_px >= 9.0);
        }
    }

    /// Draws the cue on a frame of one grey level; returns the RGB pixels.
    fn render(level: u8, cue: &CueState) -> (ViewerCueLayout, Vec<u8>) {
        let (w, h) = (176usize, 144usize);
        let mut rgb = vec![level; w * h * 3];
        let font = TextFont::load(std::path::Path::new(paint::DEFAULT_FONT)).unwrap();
        let l = ViewerCueLayout::new(w as u32, h as u32);
        let mut c = Canvas::new(
            Layout::RGB,
            w,
            h,
            [&mut rgb, &mut [], &mut []],
            [w * 3, 0, 0],
        )
        .unwrap();
        draw_cue(&mut Painter::new(&mut c), Some(&font), &l, cue);
        if let Some(dir) = std::env::var_os("FACEKIT_DUMP") {
            let name = format!("cue-{level}-{:?}-{:?}.png", cue.state, cue.attention);
            image::save_buffer(
                std::path::Path::new(&dir).join(name),
                &rgb,
                w as u32,
                h as u32,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        }
        (l, rgb)
    }

    fn count(rgb: &[u8], r: Rect, f: impl Fn(&[u8]) -> bool) -> usize {
        let mut n = 0;
        for y in r.y as usize..(r.y + r.h) as usize {
            for x in r.x as usize..(r.x + r.w) as usize {
                if f(&rgb[(y * 176 + x) * 3..][..3]) {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn label_number_and_tick_show_on_dark_video_and_waiting_is_not_zero() {
        let cue = CueState {
            attention: Some(0.3),
            threshold: 0.5,
            low: true,
            state: ReminderState::NotReminded,
            first_in: None,
        };
        let (l, black) = render(0, &cue);
        let white = |p: &[u8]| p.iter().all(|v| *v > 150);
        assert!(
            count(&black, l.label, white) > 20,
            "label text on black video"
        );
        // The tick at 50% of the bar.
        let tx = l.bar.x + l.bar.w * 0.5;
        let tick = Rect::new(tx - 1.0, l.bar.y - 1.0, 2.0, l.bar.h + 2.0);
        assert!(
            count(&black, tick, |p: &[u8]| p.iter().all(|v| *v > 200)) >= 2,
            "threshold tick"
        );
        // Red fill up to 30%, none beyond the tick.
        let red = |p: &[u8]| p[0] > 200 && p[1] < 100;
        let left = Rect::new(l.bar.x, l.bar.y, l.bar.w * 0.28, l.bar.h);
        let right = Rect::new(l.bar.x + l.bar.w * 0.55, l.bar.y, l.bar.w * 0.4, l.bar.h);
        assert!(count(&black, left, red) as f32 > left.w * left.h * 0.8);
        assert_eq!(count(&black, right, red), 0);
        // Before the first window: striped grey, no red or green fill.
        let waiting = CueState {
            attention: None,
            first_in: Some(30.0),
            ..cue
        };
        let (_, w) = render(0, &waiting);
        let coloured = |p: &[u8]| p[0].abs_diff(p[1]) > 40;
        assert_eq!(count(&w, l.bar, coloured), 0);
        let grey = |p: &[u8]| p[0] > 120 && p[0] == p[1];
        assert!(count(&w, l.bar, grey) > 0);
    }

    #[test]
    fn banner_turns_from_amber_to_red_when_the_presenter_is_alerted() {
        let base = CueState {
            attention: Some(0.1),
            threshold: 0.5,
            low: true,
            state: ReminderState::Reminded,
            first_in: None,
        };
        let amber = |p: &[u8]| p[0] > 180 && (90..170).contains(&p[1]) && p[2] < 80;
        let red = |p: &[u8]| p[0] > 150 && p[1] < 60 && p[2] < 60;
        let (l, reminded) = render(128, &base);
        let (_, alerted) = render(
            128,
            &CueState {
                state: ReminderState::Alerted,
                ..base
            },
        );
        let area = (l.banner.w * l.banner.h) as usize;
        assert!(count(&reminded, l.banner, amber) > area / 3);
        assert_eq!(count(&reminded, l.banner, red), 0);
        assert!(count(&alerted, l.banner, red) > area / 3);
        assert_eq!(count(&alerted, l.banner, amber), 0);
        let (_, calm) = render(
            128,
            &CueState {
                state: ReminderState::NotReminded,
                ..base
            },
        );
        assert_eq!(
            count(&calm, l.banner, amber) + count(&calm, l.banner, red),
            0
        );
    }
}
