//! Drawing the attention cues into raw frames: translucent panels, text in a real font
//! (ab_glyph, e.g. DejaVu Sans from Debian's `fonts-dejavu-core`), curves and bars.
//! Works on [`crate::frame::draw::Canvas`] (I420, NV12, RGB family) with alpha blending.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};

use crate::frame::draw::Canvas;

/// Where Debian's `fonts-dejavu-core` puts DejaVu Sans.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

pub const WHITE: [u8; 3] = [255, 255, 255];
pub const ALERT_RED: [u8; 3] = [255, 60, 60];
pub const CLASS_GREEN: [u8; 3] = [70, 220, 90];
pub const HISTORY_GREY: [u8; 3] = [150, 150, 160];
pub const THRESHOLD_AMBER: [u8; 3] = [255, 190, 40];
pub const BANNER_AMBER: [u8; 3] = [230, 140, 0];
pub const BANNER_RED: [u8; 3] = [200, 30, 30];
pub const DIM_GREY: [u8; 3] = [170, 170, 170];

/// A loaded font.
pub struct TextFont {
    font: FontVec,
}

impl TextFont {
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the font {}: {e}; install Debian's fonts-dejavu-core or set the font property to a .ttf file",
                path.display()
            )
        })?;
        let font = FontVec::try_from_vec(bytes)
            .map_err(|_| format!("{} is not a TrueType/OpenType font", path.display()))?;
        Ok(Self { font })
    }

    /// Width in pixels of `text` at `px` pixels per em.
    pub fn width(&self, text: &str, px: f32) -> f32 {
        let f = self.font.as_scaled(PxScale::from(px));
        let mut w = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                w += f.kern(p, id);
            }
            w += f.h_advance(id);
            prev = Some(id);
        }
        w
    }
}

/// An axis-aligned rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }

    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.w && y < self.y + self.h
    }
}

/// Alpha-blended drawing over a canvas.
pub struct Painter<'c, 'a> {
    pub canvas: &'c mut Canvas<'a>,
}

impl<'c, 'a> Painter<'c, 'a> {
    pub fn new(canvas: &'c mut Canvas<'a>) -> Self {
        Self { canvas }
    }

    pub fn width(&self) -> usize {
        self.canvas.width()
    }

    pub fn height(&self) -> usize {
        self.canvas.height()
    }

    /// Blends one pixel; chroma of subsampled formats is blended once per 2x2 block (at its
    /// top-left pixel) so that translucent fills keep their colour.
    pub fn blend(&mut self, x: i64, y: i64, rgb: [u8; 3], alpha: f32) {
        self.canvas.blend(x, y, rgb, alpha);
    }

    pub fn fill(&mut self, r: Rect, rgb: [u8; 3], alpha: f32) {
        let x0 = r.x.round().max(0.0) as i64;
        let y0 = r.y.round().max(0.0) as i64;
        let x1 = ((r.x + r.w).round() as i64).min(self.width() as i64);
        let y1 = ((r.y + r.h).round() as i64).min(self.height() as i64);
        for y in y0..y1 {
            for x in x0..x1 {
                self.blend(x, y, rgb, alpha);
            }
        }
    }

    /// A line `thickness` pixels wide; `dash` > 0 draws dashes of that length.
    pub fn line(&mut self, a: (f32, f32), b: (f32, f32), rgb: [u8; 3], thickness: f32, dash: f32) {
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        // Bounded so a wild coordinate cannot stall the streaming thread.
        let steps = (len.ceil() as usize).clamp(1, 4 * (self.width() + self.height()));
        let half = (thickness / 2.0).max(0.5);
        let r = half.ceil() as i64;
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            if dash > 0.0 && ((t * len) / dash) as i64 % 2 == 1 {
                continue;
            }
            let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            for dy in -r..=r {
                for dx in -r..=r {
                    if ((dx * dx + dy * dy) as f32) <= half * half + 0.25 {
                        self.blend(x.round() as i64 + dx, y.round() as i64 + dy, rgb, 1.0);
                    }
                }
            }
        }
    }

    pub fn polyline(&mut self, points: &[(f32, f32)], rgb: [u8; 3], thickness: f32) {
        if points.len() == 1 {
            self.line(points[0], points[0], rgb, thickness + 2.0, 0.0);
        }
        for pair in points.windows(2) {
            self.line(pair[0], pair[1], rgb, thickness, 0.0);
        }
    }

    /// Text with a dark drop shadow, readable over any background.
    pub fn text_shadowed(
        &mut self,
        font: &TextFont,
        x: f32,
        y: f32,
        px: f32,
        text: &str,
        rgb: [u8; 3],
    ) -> f32 {
        let offset = (px / 14.0).max(1.0).round();
        self.text(font, x + offset, y + offset, px, text, [0, 0, 0]);
        self.text(font, x, y, px, text, rgb)
    }

    /// Draws `text` with its top-left corner at (x, y); returns the width drawn.
    pub fn text(
        &mut self,
        font: &TextFont,
        x: f32,
        y: f32,
        px: f32,
        text: &str,
        rgb: [u8; 3],
    ) -> f32 {
        let scaled = font.font.as_scaled(PxScale::from(px));
        let baseline = y + scaled.ascent();
        let mut caret = x;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(px, ab_glyph::point(caret, baseline));
            caret += scaled.h_advance(id);
            prev = Some(id);
            if let Some(outlined) = font.font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    self.blend(
                        bounds.min.x as i64 + gx as i64,
                        bounds.min.y as i64 + gy as i64,
                        rgb,
                        coverage,
                    );
                });
            }
        }
        caret - x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::image::Layout;

    fn font() -> TextFont {
        TextFont::load(std::path::Path::new(DEFAULT_FONT))
            .expect("fonts-dejavu-core installed by scripts/setup.sh")
    }

    #[test]
    fn text_is_rendered_with_antialiased_coverage_in_rgba_and_i420() {
        let f = font();
        let (w, h) = (120usize, 30usize);
        let mut rgba = vec![0u8; w * h * 4];
        let mut c = Canvas::new(
            Layout::RGBA,
            w,
            h,
            [&mut rgba, &mut [], &mut []],
            [w * 4, 0, 0],
        )
        .unwrap();
        let drawn = Painter::new(&mut c).text(&f, 2.0, 2.0, 16.0, "Anna 12%", WHITE);
        assert!((drawn - f.width("Anna 12%", 16.0)).abs() < 0.01);
        assert!(drawn > 50.0 && drawn < 90.0, "{drawn}");
        let lit: Vec<u8> = rgba.chunks(4).map(|p| p[0]).filter(|v| *v > 0).collect();
        assert!(lit.len() > 80, "too few text pixels: {}", lit.len());
        assert!(
            lit.contains(&255) && lit.iter().any(|v| *v < 200),
            "no anti-aliasing"
        );
        // Nothing below the line.
        assert!(rgba[(25 * w) * 4..].iter().all(|v| *v == 0));

        let (mut y, mut u, mut v) = (
            vec![16u8; w * h],
            vec![128u8; w * h / 4],
            vec![128u8; w * h / 4],
        );
        let mut c = Canvas::new(
            Layout::I420,
            w,
            h,
            [&mut y, &mut u, &mut v],
            [w, w / 2, w / 2],
        )
        .unwrap();
        let mut p = Painter::new(&mut c);
        p.text(&f, 2.0, 2.0, 16.0, "Bob", ALERT_RED);
        assert!(y.iter().any(|l| *l > 60));
        assert!(v.iter().any(|c| *c > 170), "red raises V");
    }

    #[test]
    fn translucent_fill_blends_and_chroma_blends_once_per_block() {
        let (w, h) = (4usize, 4usize);
        // NV12: the UV plane of a 4x4 frame holds 2 rows of 2 U,V pairs.
        let (mut y, mut u, mut v) = (vec![200u8; 16], vec![128u8; 8], vec![128u8; 4]);
        let mut c = Canvas::new(Layout::Nv12, w, h, [&mut y, &mut u, &mut []], [4, 4, 0]).unwrap();
        let _ = &mut v;
        Painter::new(&mut c).fill(Rect::new(0.0, 0.0, 2.0, 2.0), [0, 0, 0], 0.5);
        assert_eq!(&y[0..4], &[108, 108, 200, 200]);
        assert_eq!(u[0], 128);
        // Out-of-frame drawing is clipped.
        let mut rgb = vec![0u8; 12];
        let mut c =
            Canvas::new(Layout::RGB, 2, 2, [&mut rgb, &mut [], &mut []], [6, 0, 0]).unwrap();
        let mut p = Painter::new(&mut c);
        p.line((-50.0, -50.0), (50.0, 50.0), WHITE, 3.0, 0.0);
        p.fill(Rect::new(-5.0, -5.0, 100.0, 1.0), WHITE, 1.0);
        assert_eq!(rgb[0], 255);
    }
}

#[cfg(test)]
mod font_tests {
    use super::*;

    #[test]
    fn a_missing_font_says_how_to_fix_it() {
        let missing = TextFont::load(std::path::Path::new("/nonexistent.ttf"));
        assert!(missing.err().unwrap().contains("fonts-dejavu-core"));
    }
}
