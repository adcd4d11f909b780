//! Face image quality, free of GStreamer: the face mask, the four component scores, their
//! weighting (fixed or automatic) and the per-track key frame choice. `docs/facequality.md`
//! gives every formula; the element (`src/facequality`) only feeds frames and faces in.
//!
//! All scores are in 0..1, higher is better:
//! * **symmetry**: gradient-orientation histograms of the face's two halves, mirrored about
//!   the landmark midline, compared cell by cell (histogram intersection);
//! * **sharpness**: mean |Laplacian| over mean |gradient| inside the mask, at a common scale
//!   (faces wider than [`ANALYSIS_SIZE`] are area-averaged down to it), mapped to 0..1;
//! * **illumination**: 2nd..98th percentile grey spread inside the mask, mapped to 0..1 and
//!   penalised by the share of clipped (near black or near white) pixels;
//! * **resolution**: face size (square root of the box area) over a reference size, capped at 1.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::frame::image::{ImageView, Layout};
use crate::gst::meta::{BoundingBox, Landmarks};

/// Landmark scheme whose face oval and midline are known.
pub const MESH_SCHEME: &str = "mediapipe-468";

/// MediaPipe 468-point mesh: the face oval, in order around the face.
pub const FACE_OVAL: [usize; 36] = [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];

/// MediaPipe 468-point mesh: points on the face's symmetry line, forehead (10) to chin (152).
pub const MIDLINE: [usize; 28] = [
    10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 164, 0, 11, 12, 13, 14, 15, 16, 17, 18,
    200, 199, 175, 152,
];

/// Faces wider than this (pixels) are area-averaged down to it before sharpness and
/// illumination, so that sharpness means the same for every face size (112 px is the usual
/// input width of face recognisers).
pub const ANALYSIS_SIZE: f32 = 112.0;
/// Faces smaller than this (square root of box area, pixels) are too small to score.
pub const MIN_FACE_SIDE: f32 = 12.0;
/// Fewer mask pixels than this: too small to score.
const MIN_MASK_PIXELS: usize = 100;

/// Default component weights: symmetry, sharpness, illumination, resolution.
pub const DEFAULT_WEIGHTS: [f64; 4] = [0.2, 0.3, 0.2, 0.3];
/// Component names in weight order.
pub const COMPONENTS: [&str; 4] = ["symmetry", "sharpness", "illumination", "resolution"];

/// |Laplacian| / |gradient| ratio giving sharpness 1 - 1/e (see [`sharpness_score`]).
const SHARPNESS_SCALE: f64 = 1.0;
/// Added to the mean |gradient| (grey levels) so flat, noise-only faces do not look sharp.
const GRADIENT_FLOOR: f64 = 1.0;
/// Grey spread (fraction of 0..255) giving illumination 1 - 1/e before the clipping penalty.
const SPREAD_SCALE: f64 = 0.25;
/// Grey levels at or below / at or above these count as clipped.
const CLIP_LOW: f64 = 4.0;
const CLIP_HIGH: f64 = 251.0;
/// Clipping penalty `exp(-clipped / 0.15)`: 10% of the face clipped keeps half.
const CLIP_SCALE: f64 = 0.15;

/// Symmetry sampling grid: rows along the midline, columns per half, and cells.
const SYM_ROWS: usize = 48;
const SYM_COLS: usize = 24;
const SYM_CELL_ROWS: usize = 4;
const SYM_CELL_COLS: usize = 2;
const SYM_BINS: usize = 8;

/// How the face mask was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskKind {
    /// The face oval of the 468-point mesh: no background.
    Landmarks,
    /// No mesh on this face: an ellipse inscribed in the box (may hold a little background).
    Ellipse,
}

impl MaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Landmarks => "landmarks",
            Self::Ellipse => "ellipse",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "landmarks" => Some(Self::Landmarks),
            "ellipse" => Some(Self::Ellipse),
            _ => None,
        }
    }
}

/// Whether the scores of a face could be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Face or mask below [`MIN_FACE_SIDE`] / 100 pixels: only resolution is measured.
    TooSmall,
    /// No mask pixel inside the frame.
    Outside,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::TooSmall => "too-small",
            Self::Outside => "outside",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(Self::Ok),
            "too-small" => Some(Self::TooSmall),
            "outside" => Some(Self::Outside),
            _ => None,
        }
    }
}

/// The four component scores, each 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Components {
    pub symmetry: f64,
    pub sharpness: f64,
    pub illumination: f64,
    pub resolution: f64,
}

impl Components {
    pub fn as_array(&self) -> [f64; 4] {
        [
            self.symmetry,
            self.sharpness,
            self.illumination,
            self.resolution,
        ]
    }
}

/// Quality of one face on one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceQuality {
    pub components: Components,
    /// `visible` x the weighted sum of the components.
    pub overall: f64,
    /// Share of the face mask's area inside the frame (1 for an ellipse mask: the box is
    /// already clamped to the frame, so nothing is known about the part outside).
    pub visible: f64,
    pub mask: MaskKind,
    pub status: Status,
}

impl FaceQuality {
    /// True when every component was measured (status ok).
    pub fn valid(&self) -> bool {
        self.status == Status::Ok
    }
}

/// A line in frame pixels: a point on it and a unit direction (forehead to chin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Midline {
    pub origin: (f32, f32),
    pub direction: (f32, f32),
}

/// Where a face's midline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MidlineSource {
    /// Least-squares line through the mesh's [`MIDLINE`] points.
    Mesh,
    /// Perpendicular to the eye line through the eyes' midpoint (blazeface-6, centerface-5).
    Keypoints,
    /// Vertical through the box centre (no landmarks).
    Box,
}

/// A face's mask (a polygon rasterised to pixel spans, clipped to the frame) and midline.
#[derive(Debug, Clone)]
pub struct FaceRegion {
    /// Mask outline in frame pixels (may reach outside the frame).
    pub polygon: Vec<(f32, f32)>,
    pub mask: MaskKind,
    pub midline: Midline,
    pub midline_source: MidlineSource,
    /// Square root of the box area, pixels.
    pub size: f32,
    pub visible: f32,
    /// First frame row with spans, and per row the `[x0, x1)` spans of pixels whose centre
    /// lies inside the polygon, clipped to the frame.
    row0: usize,
    rows: Vec<Vec<(usize, usize)>>,
}

impl FaceRegion {
    /// The region of a face with box `bbox` (pixels) and optional landmarks (normalised to
    /// the box) on a `width` x `height` frame.
    pub fn new(
        bbox: &BoundingBox,
        landmarks: Option<&Landmarks>,
        width: usize,
        height: usize,
    ) -> Self {
        let size = bbox.area().sqrt();
        let pixels = landmarks.map(|lm| (lm.scheme.as_str(), lm.to_pixels(bbox)));
        let (polygon, mask, midline, midline_source) = match &pixels {
            Some((scheme, px)) if *scheme == MESH_SCHEME && px.len() >= 468 => {
                let polygon: Vec<(f32, f32)> =
                    FACE_OVAL.iter().map(|&i| (px[i][0], px[i][1])).collect();
                let midline = fit_midline(px);
                (polygon, MaskKind::Landmarks, midline, MidlineSource::Mesh)
            }
            other => {
                let polygon = ellipse(bbox);
                let eyes = match other {
                    Some((scheme, px))
                        if (*scheme == "blazeface-6" || *scheme == "centerface-5")
                            && px.len() >= 2 =>
                    {
                        Some(((px[0][0], px[0][1]), (px[1][0], px[1][1])))
                    }
                    _ => None,
                };
                match eyes.and_then(|(a, b)| eye_midline(a, b)) {
                    Some(m) => (polygon, MaskKind::Ellipse, m, MidlineSource::Keypoints),
                    None => (
                        polygon,
                        MaskKind::Ellipse,
                        Midline {
                            origin: bbox.center(),
                            direction: (0.0, 1.0),
                        },
                        MidlineSource::Box,
                    ),
                }
            }
        };
        let total = polygon_area(&polygon);
        let inside = polygon_area(&clip_to_frame(&polygon, width as f32, height as f32));
        let visible = if total > 1e-3 {
            (inside / total).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (row0, rows) = rasterise(&polygon, width, height);
        Self {
            polygon,
            mask,
            midline,
            midline_source,
            size,
            visible,
            row0,
            rows,
        }
    }

    /// True when pixel (`x`, `y`) is inside the mask (and the frame).
    pub fn contains(&self, x: usize, y: usize) -> bool {
        self.covers(y, x, x + 1)
    }

    /// True when every pixel `x0..x1` of row `y` is inside the mask.
    fn covers(&self, y: usize, x0: usize, x1: usize) -> bool {
        if y < self.row0 {
            return false;
        }
        self.rows
            .get(y - self.row0)
            .is_some_and(|spans| spans.iter().any(|&(a, b)| a <= x0 && x1 <= b))
    }

    /// Number of mask pixels inside the frame.
    pub fn pixel_count(&self) -> usize {
        self.rows
            .iter()
            .flat_map(|r| r.iter().map(|(a, b)| b - a))
            .sum()
    }

    /// Bounding rectangle `(x0, y0, x1, y1)` (exclusive ends) of the mask pixels.
    fn bounds(&self) -> Option<(usize, usize, usize, usize)> {
        let mut b: Option<(usize, usize, usize, usize)> = None;
        for (i, spans) in self.rows.iter().enumerate() {
            for &(a, e) in spans {
                let y = self.row0 + i;
                b = Some(match b {
                    None => (a, y, e, y + 1),
                    Some((x0, y0, x1, _)) => (x0.min(a), y0, x1.max(e), y + 1),
                });
            }
        }
        b
    }
}

fn ellipse(bbox: &BoundingBox) -> Vec<(f32, f32)> {
    // Inscribed in the box but narrower: the box's sides usually hold hair, ears, background.
    let (cx, cy) = bbox.center();
    let (rx, ry) = (bbox.width * 0.45, bbox.height * 0.5);
    (0..32)
        .map(|i| {
            let a = i as f32 / 32.0 * std::f32::consts::TAU;
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// Principal axis of the mesh's midline points, oriented forehead (10) to chin (152).
fn fit_midline(px: &[[f32; 3]]) -> Midline {
    let n = MIDLINE.len() as f32;
    let (mx, my) = MIDLINE.iter().fold((0.0, 0.0), |(sx, sy), &i| {
        (sx + px[i][0] / n, sy + px[i][1] / n)
    });
    let (mut sxx, mut sxy, mut syy) = (0.0f32, 0.0f32, 0.0f32);
    for &i in &MIDLINE {
        let (dx, dy) = (px[i][0] - mx, px[i][1] - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    // Angle of the principal axis of the 2x2 scatter matrix.
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let mut dir = (angle.cos(), angle.sin());
    let chin = (px[152][0] - px[10][0], px[152][1] - px[10][1]);
    if dir.0 * chin.0 + dir.1 * chin.1 < 0.0 {
        dir = (-dir.0, -dir.1);
    }
    if !(dir.0.is_finite() && dir.1.is_finite()) || sxx + syy < 1e-6 {
        dir = (0.0, 1.0);
    }
    Midline {
        origin: (mx, my),
        direction: dir,
    }
}

/// Perpendicular to the eye line through the eyes' midpoint. `a` is the eye on the image
/// left for an upright face.
fn eye_midline(a: (f32, f32), b: (f32, f32)) -> Option<Midline> {
    let (ex, ey) = (b.0 - a.0, b.1 - a.1);
    let len = (ex * ex + ey * ey).sqrt();
    if len < 1e-3 || !len.is_finite() {
        return None;
    }
    Some(Midline {
        origin: ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0),
        direction: (-ey / len, ex / len),
    })
}

fn polygon_area(p: &[(f32, f32)]) -> f32 {
    if p.len() < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..p.len() {
        let (a, b) = (p[i], p[(i + 1) % p.len()]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    (s / 2.0).abs()
}

/// Sutherland-Hodgman clip of a polygon to `[0, w] x [0, h]`.
fn clip_to_frame(p: &[(f32, f32)], w: f32, h: f32) -> Vec<(f32, f32)> {
    // Each edge: inside test and intersection with the clip line.
    type Inside = fn(&(f32, f32), f32, f32) -> bool;
    let edges: [(Inside, usize, bool); 4] = [
        (|p, _, _| p.0 >= 0.0, 0, false),
        (|p, w, _| p.0 <= w, 0, true),
        (|p, _, _| p.1 >= 0.0, 1, false),
        (|p, _, h| p.1 <= h, 1, true),
    ];
    let mut out = p.to_vec();
    for (inside, axis, far) in edges {
        if out.is_empty() {
            break;
        }
        let limit = if far {
            if axis == 0 { w } else { h }
        } else {
            0.0
        };
        let input = std::mem::take(&mut out);
        for i in 0..input.len() {
            let cur = input[i];
            let prev = input[(i + input.len() - 1) % input.len()];
            let (ci, pi) = (inside(&cur, w, h), inside(&prev, w, h));
            let cross = || {
                let (pa, ca) = if axis == 0 {
                    (prev.0, cur.0)
                } else {
                    (prev.1, cur.1)
                };
                let t = (limit - pa) / (ca - pa);
                (prev.0 + t * (cur.0 - prev.0), prev.1 + t * (cur.1 - prev.1))
            };
            if ci {
                if !pi {
                    out.push(cross());
                }
                out.push(cur);
            } else if pi {
                out.push(cross());
            }
        }
    }
    out
}

/// Even-odd scanline fill at pixel centres, clipped to the frame.
fn rasterise(poly: &[(f32, f32)], w: usize, h: usize) -> (usize, Vec<Vec<(usize, usize)>>) {
    if poly.len() < 3 || w == 0 || h == 0 {
        return (0, Vec::new());
    }
    let finite = poly.iter().all(|p| p.0.is_finite() && p.1.is_finite());
    if !finite {
        return (0, Vec::new());
    }
    let min_y = poly.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
    let max_y = poly.iter().map(|p| p.1).fold(f32::NEG_INFINITY, f32::max);
    let y0 = (min_y - 0.5).ceil().max(0.0) as usize;
    let y1 = ((max_y - 0.5).floor() + 1.0).clamp(0.0, h as f32) as usize;
    if y0 >= y1 {
        return (0, Vec::new());
    }
    let mut rows = Vec::with_capacity(y1 - y0);
    let mut xs = Vec::with_capacity(8);
    for y in y0..y1 {
        let yc = y as f32 + 0.5;
        xs.clear();
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            if (a.1 <= yc && yc < b.1) || (b.1 <= yc && yc < a.1) {
                xs.push(a.0 + (yc - a.1) * (b.0 - a.0) / (b.1 - a.1));
            }
        }
        xs.sort_by(|a, b| a.total_cmp(b));
        let mut spans = Vec::new();
        for pair in xs.chunks_exact(2) {
            // Pixels whose centre x + 0.5 lies in [pair[0], pair[1]).
            let a = (pair[0] - 0.5).ceil().clamp(0.0, w as f32) as usize;
            let b = (pair[1] - 0.5).ceil().clamp(0.0, w as f32) as usize;
            if a < b {
                spans.push((a, b));
            }
        }
        rows.push(spans);
    }
    (y0, rows)
}

/// Grey levels of the mask at the analysis scale: block averages of frame pixels, with
/// `inside` set only for blocks made entirely of mask pixels (so no background is mixed in).
struct Patch {
    width: usize,
    height: usize,
    grey: Vec<f32>,
    inside: Vec<bool>,
    /// Frame position of the patch's top-left corner, and frame pixels per patch pixel.
    origin: (usize, usize),
    scale: f32,
}

/// Grey levels (as [`ImageView::luma`]) of pixels `x0..x1` of row `y`, appended to `out`;
/// the layout is matched once per row rather than per pixel.
fn luma_row(image: &ImageView, y: usize, x0: usize, x1: usize, out: &mut Vec<f32>) {
    match image.layout {
        Layout::I420 | Layout::Nv12 => {
            let row = &image.planes[0][y * image.strides[0]..];
            out.extend(
                row[x0..x1]
                    .iter()
                    .map(|&v| ((v as f32 - 16.0) * 1.164).clamp(0.0, 255.0)),
            );
        }
        Layout::Packed { bpp, r, g, b } => {
            let row = &image.planes[0][y * image.strides[0]..];
            out.extend((x0..x1).map(|x| {
                let o = x * bpp;
                0.299 * row[o + r] as f32 + 0.587 * row[o + g] as f32 + 0.114 * row[o + b] as f32
            }));
        }
    }
}

fn analysis_patch(image: &ImageView, region: &FaceRegion) -> Option<Patch> {
    let (x0, y0, x1, y1) = region.bounds()?;
    let scale = (region.size / ANALYSIS_SIZE).max(1.0);
    let width = (((x1 - x0) as f32 / scale).ceil() as usize).max(1);
    let height = (((y1 - y0) as f32 / scale).ceil() as usize).max(1);
    // Block `i` of an axis starting at `origin` covers `a..b` (at least one pixel).
    let edge = |origin: usize, end: usize, i: usize| {
        let a = (origin + (i as f32 * scale) as usize).min(end);
        let b = (origin + ((i + 1) as f32 * scale) as usize).clamp(a + 1, end.max(a + 1));
        (a, b.min(end))
    };
    let columns: Vec<(usize, usize)> = (0..width).map(|px| edge(x0, x1, px)).collect();
    let mut grey = vec![0.0; width * height];
    let mut inside = vec![false; width * height];
    let mut row = Vec::with_capacity(x1 - x0);
    for py in 0..height {
        let (ry0, ry1) = edge(y0, y1, py);
        inside[py * width..(py + 1) * width].fill(ry0 < ry1);
        for y in ry0..ry1 {
            row.clear();
            luma_row(image, y, x0, x1, &mut row);
            for (px, &(rx0, rx1)) in columns.iter().enumerate() {
                let i = py * width + px;
                if !inside[i] {
                    continue;
                }
                if rx0 >= rx1 || !region.covers(y, rx0, rx1) {
                    inside[i] = false;
                    continue;
                }
                grey[i] += row[rx0 - x0..rx1 - x0].iter().sum::<f32>();
            }
        }
        for (px, &(rx0, rx1)) in columns.iter().enumerate() {
            let i = py * width + px;
            if inside[i] {
                grey[i] /= ((rx1 - rx0) * (ry1 - ry0)) as f32;
            }
        }
    }
    Some(Patch {
        width,
        height,
        grey,
        inside,
        origin: (x0, y0),
        scale,
    })
}

/// Sharpness from the mean |Laplacian| / mean |gradient| ratio (an inverse edge width:
/// ~0.8/sigma for an edge blurred by a Gaussian of sigma pixels, 2 for a perfect step),
/// mapped by `1 - exp(-ratio)`. Only pixels whose 4 neighbours are in the mask count.
pub fn sharpness_score(lap_sum: f64, grad_sum: f64, count: usize) -> f64 {
    if count == 0 {
        return 0.0;
    }
    let ratio = lap_sum / (grad_sum + GRADIENT_FLOOR * count as f64);
    1.0 - (-ratio / SHARPNESS_SCALE).exp()
}

fn sharpness(p: &Patch) -> f64 {
    let (w, h) = (p.width, p.height);
    let (mut lap, mut grad, mut n) = (0.0f64, 0.0f64, 0usize);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let i = y * w + x;
            let (l, r, u, d) = (i - 1, i + 1, i - w, i + w);
            if !(p.inside[i] && p.inside[l] && p.inside[r] && p.inside[u] && p.inside[d]) {
                continue;
            }
            let g = &p.grey;
            lap += (4.0 * g[i] - g[l] - g[r] - g[u] - g[d]).abs() as f64;
            let (gx, gy) = ((g[r] - g[l]) * 0.5, (g[d] - g[u]) * 0.5);
            grad += (gx * gx + gy * gy).sqrt() as f64;
            n += 1;
        }
    }
    sharpness_score(lap, grad, n)
}

/// Illumination from a grey-level histogram (256 bins): `(1 - exp(-spread / 0.25)) *
/// exp(-clipped / 0.15)`, spread = (98th - 2nd percentile) / 255, clipped = share of
/// pixels at or below 4 or at or above 251.
pub fn illumination_score(hist: &[u32; 256]) -> f64 {
    let n: u64 = hist.iter().map(|&c| c as u64).sum();
    if n == 0 {
        return 0.0;
    }
    let percentile = |q: f64| {
        // Linear interpolation inside the bin where the cumulative count crosses q * n.
        let target = q * n as f64;
        let mut acc = 0.0;
        for (v, &c) in hist.iter().enumerate() {
            let next = acc + c as f64;
            if next >= target && c > 0 {
                return v as f64 + (target - acc) / c as f64 - 0.5;
            }
            acc = next;
        }
        255.0
    };
    let spread = ((percentile(0.98) - percentile(0.02)) / 255.0).clamp(0.0, 1.0);
    let clipped: u64 = hist
        .iter()
        .enumerate()
        .filter(|(v, _)| (*v as f64) <= CLIP_LOW || (*v as f64) >= CLIP_HIGH)
        .map(|(_, &c)| c as u64)
        .sum();
    let clipped = clipped as f64 / n as f64;
    (1.0 - (-spread / SPREAD_SCALE).exp()) * (-clipped / CLIP_SCALE).exp()
}

fn illumination(p: &Patch) -> f64 {
    let mut hist = [0u32; 256];
    for (g, _) in p.grey.iter().zip(&p.inside).filter(|(_, inside)| **inside) {
        hist[g.round().clamp(0.0, 255.0) as usize] += 1;
    }
    illumination_score(&hist)
}

/// Resolution: `min(1, size / reference)`; `size` is the square root of the box area.
pub fn resolution_score(size: f32, reference: f32) -> f64 {
    if reference <= 0.0 || !size.is_finite() {
        return 0.0;
    }
    (size / reference).clamp(0.0, 1.0) as f64
}

/// Bilinear grey level of the patch at continuous frame coordinates, when all four taps are
/// inside the mask.
fn masked_grey(p: &Patch, x: f32, y: f32) -> Option<f32> {
    // Patch pixel i is centred on frame x = origin + (i + 0.5) * scale.
    let fx = (x - p.origin.0 as f32) / p.scale - 0.5;
    let fy = (y - p.origin.1 as f32) / p.scale - 0.5;
    if !(fx >= 0.0 && fy >= 0.0) {
        return None;
    }
    let (x0, y0) = (fx as usize, fy as usize);
    if x0 + 1 >= p.width || y0 + 1 >= p.height {
        return None;
    }
    let i = y0 * p.width + x0;
    let (a, b, c, d) = (i, i + 1, i + p.width, i + p.width + 1);
    if !(p.inside[a] && p.inside[b] && p.inside[c] && p.inside[d]) {
        return None;
    }
    let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
    let g = &p.grey;
    let top = g[a] + (g[b] - g[a]) * tx;
    let bottom = g[c] + (g[d] - g[c]) * tx;
    Some(top + (bottom - top) * ty)
}

/// Symmetry: the face (its analysis patch) is resampled on a grid aligned with the midline,
/// one half as seen and the other mirrored onto it. In each of 3 x 6 cells per half, magnitude-weighted
/// histograms of gradient orientation (8 bins over 180 degrees) are compared:
/// `sum(min(left, right)) / sum(max(total left, total right))` over all cells. Only samples
/// whose mirror partner and neighbours are mask pixels count.
fn symmetry(patch: &Patch, region: &FaceRegion) -> f64 {
    let Midline { origin, direction } = region.midline;
    let normal = (-direction.1, direction.0);
    let normal = (-normal.0, -normal.1); // towards the image right for an upright face
    let (mut v_min, mut v_max, mut u_max) = (f32::INFINITY, f32::NEG_INFINITY, 0.0f32);
    for &(x, y) in &region.polygon {
        let (dx, dy) = (x - origin.0, y - origin.1);
        let v = dx * direction.0 + dy * direction.1;
        let u = dx * normal.0 + dy * normal.1;
        v_min = v_min.min(v);
        v_max = v_max.max(v);
        u_max = u_max.max(u.abs());
    }
    if !(v_max > v_min && u_max > 0.0) {
        return 0.0;
    }
    let (du, dv) = (u_max / SYM_COLS as f32, (v_max - v_min) / SYM_ROWS as f32);
    // Side 0: right half as seen; side 1: left half mirrored onto it.
    let mut grid = vec![None; 2 * SYM_ROWS * SYM_COLS];
    for side in 0..2 {
        let sign = if side == 0 { 1.0 } else { -1.0 };
        for j in 0..SYM_ROWS {
            let v = v_min + (j as f32 + 0.5) * dv;
            for i in 0..SYM_COLS {
                let u = sign * (i as f32 + 0.5) * du;
                let x = origin.0 + u * normal.0 + v * direction.0;
                let y = origin.1 + u * normal.1 + v * direction.1;
                grid[(side * SYM_ROWS + j) * SYM_COLS + i] = masked_grey(patch, x, y);
            }
        }
    }
    let at = |side: usize, j: usize, i: usize| grid[(side * SYM_ROWS + j) * SYM_COLS + i];
    let mut hist = vec![[0.0f64; SYM_BINS]; 2 * SYM_CELL_ROWS * SYM_CELL_COLS];
    for j in 1..SYM_ROWS - 1 {
        for i in 1..SYM_COLS - 1 {
            let mut g = [(0.0f32, 0.0f32); 2];
            let mut ok = true;
            for (side, gs) in g.iter_mut().enumerate() {
                match (
                    at(side, j, i - 1),
                    at(side, j, i + 1),
                    at(side, j - 1, i),
                    at(side, j + 1, i),
                ) {
                    (Some(l), Some(r), Some(u), Some(d)) => *gs = (r - l, d - u),
                    _ => ok = false,
                }
            }
            if !ok {
                continue;
            }
            let cell =
                (j * SYM_CELL_ROWS / SYM_ROWS) * SYM_CELL_COLS + i * SYM_CELL_COLS / SYM_COLS;
            for (side, (gx, gy)) in g.into_iter().enumerate() {
                let mag = (gx * gx + gy * gy).sqrt() as f64;
                if mag <= 0.0 {
                    continue;
                }
                // Soft binning: split between the two nearest bins (circular), so that a
                // small change of angle makes a small change of histogram.
                let angle = (gy.atan2(gx) as f64).rem_euclid(std::f64::consts::PI);
                let pos = angle / std::f64::consts::PI * SYM_BINS as f64 - 0.5;
                let lower = pos.floor();
                let frac = pos - lower;
                let b0 = (lower as isize).rem_euclid(SYM_BINS as isize) as usize;
                let b1 = (b0 + 1) % SYM_BINS;
                let h = &mut hist[side * SYM_CELL_ROWS * SYM_CELL_COLS + cell];
                h[b0] += mag * (1.0 - frac);
                h[b1] += mag * frac;
            }
        }
    }
    let cells = SYM_CELL_ROWS * SYM_CELL_COLS;
    let (mut common, mut total) = (0.0, 0.0);
    for c in 0..cells {
        let (a, b) = (&hist[c], &hist[cells + c]);
        common += a.iter().zip(b).map(|(x, y)| x.min(*y)).sum::<f64>();
        total += a.iter().sum::<f64>().max(b.iter().sum::<f64>());
    }
    if total <= 1e-9 { 0.0 } else { common / total }
}

/// Scores one face. `weights` must already be normalised ([`Weights`]).
pub fn score_face(
    image: &ImageView,
    region: &FaceRegion,
    reference_size: f32,
    weights: &Weights,
) -> FaceQuality {
    let resolution = resolution_score(region.size, reference_size);
    let pixels = region.pixel_count();
    let (components, status) = if pixels == 0 {
        (
            Components {
                resolution,
                ..Default::default()
            },
            Status::Outside,
        )
    } else if region.size < MIN_FACE_SIDE || pixels < MIN_MASK_PIXELS {
        (
            Components {
                resolution,
                ..Default::default()
            },
            Status::TooSmall,
        )
    } else {
        match analysis_patch(image, region) {
            Some(patch) => (
                Components {
                    symmetry: symmetry(&patch, region),
                    sharpness: sharpness(&patch),
                    illumination: illumination(&patch),
                    resolution,
                },
                Status::Ok,
            ),
            None => (
                Components {
                    resolution,
                    ..Default::default()
                },
                Status::Outside,
            ),
        }
    };
    let visible = match region.mask {
        MaskKind::Landmarks => region.visible as f64,
        MaskKind::Ellipse => 1.0,
    };
    FaceQuality {
        components,
        overall: visible * weights.combine(&components),
        visible,
        mask: region.mask,
        status,
    }
}

/// Component weights, non-negative and summing to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights(pub [f64; 4]);

impl Default for Weights {
    fn default() -> Self {
        Self(DEFAULT_WEIGHTS)
    }
}

impl Weights {
    /// Four finite, non-negative weights with a positive sum, divided by their sum.
    /// Anything else is rejected with a message saying what to give instead.
    pub fn normalised(raw: &[f64]) -> Result<Self, String> {
        const HINT: &str = "give four non-negative numbers for symmetry, sharpness, \
                            illumination, resolution, e.g. <0.2, 0.3, 0.2, 0.3>";
        if raw.len() != 4 {
            return Err(format!("weights: {} values given; {HINT}", raw.len()));
        }
        if let Some((i, w)) = raw
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(format!(
                "weights: {} = {w} is not allowed; {HINT}",
                COMPONENTS[i]
            ));
        }
        let sum: f64 = raw.iter().sum();
        if sum <= 0.0 {
            return Err(format!("weights: all zero; {HINT}"));
        }
        Ok(Self([
            raw[0] / sum,
            raw[1] / sum,
            raw[2] / sum,
            raw[3] / sum,
        ]))
    }

    pub fn combine(&self, c: &Components) -> f64 {
        self.0
            .iter()
            .zip(c.as_array())
            .map(|(w, v)| w * v)
            .sum::<f64>()
            .clamp(0.0, 1.0)
    }
}

/// Faces seen before automatic weights apply.
pub const AUTO_WARMUP: u64 = 10;
/// Smoothing of the running statistics: about the last 100 faces.
const AUTO_HORIZON: f64 = 100.0;
/// Spreads below this are treated as this: differences under ~0.02 are noise, and a
/// component that never changes must not get an unbounded weight.
const AUTO_SPREAD_FLOOR: f64 = 0.02;

/// Automatic weights: each base weight divided by its component's running standard
/// deviation over the stream, then renormalised. A component's pull on the ranking is its
/// weight times its spread; dividing by the spread makes the configured weights the
/// components' shares of that pull, so a component that swings widely in this stream (say
/// resolution when people walk towards the camera) cannot drown the others by scale alone.
#[derive(Debug, Clone, Default)]
pub struct AutoWeights {
    count: u64,
    mean: [f64; 4],
    var: [f64; 4],
}

impl AutoWeights {
    /// Adds one valid face's components to the running statistics.
    pub fn observe(&mut self, c: &Components) {
        self.count += 1;
        let alpha = (1.0 / self.count as f64).max(1.0 / AUTO_HORIZON);
        for (k, x) in c.as_array().into_iter().enumerate() {
            let d = x - self.mean[k];
            self.mean[k] += alpha * d;
            self.var[k] = (1.0 - alpha) * (self.var[k] + alpha * d * d);
        }
    }

    /// Running standard deviation of each component.
    pub fn spreads(&self) -> [f64; 4] {
        self.var.map(f64::sqrt)
    }

    /// The weights in effect: `base` until [`AUTO_WARMUP`] faces were seen.
    pub fn effective(&self, base: &Weights) -> Weights {
        if self.count < AUTO_WARMUP {
            return *base;
        }
        let spreads = self.spreads();
        let raw: Vec<f64> = base
            .0
            .iter()
            .zip(spreads)
            .map(|(w, s)| w / s.max(AUTO_SPREAD_FLOOR))
            .collect();
        Weights::normalised(&raw).unwrap_or(*base)
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// When a track's key frame window closes (whichever comes first; the track's end and the
/// stream's end always close it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowLimits {
    /// Running time since the window's first valid face, nanoseconds.
    pub time_ns: Option<u64>,
    /// Valid faces seen in the window.
    pub frames: Option<u32>,
}

/// The best face of a window so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<T> {
    pub score: f64,
    pub time_ns: u64,
    pub payload: T,
}

/// A closed window: its best face and how many valid faces it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyframe<T> {
    pub track_id: i32,
    pub frames: u32,
    pub best: Candidate<T>,
}

#[derive(Debug)]
struct Window<T> {
    start_ns: u64,
    frames: u32,
    best: Candidate<T>,
}

/// Per-track key frame choice: one window per track, opened by its first valid face and
/// closed by the limits, the track's end or the stream's end; each track yields one key
/// frame. `T` is what is kept of the best face (the element keeps a copy of the crop).
#[derive(Debug)]
pub struct KeyframeSelector<T> {
    open: HashMap<i32, Window<T>>,
    done: HashSet<i32>,
    /// Windows closed by [`Self::offer`], handed out by the next [`Self::end_frame`].
    closed: Vec<Keyframe<T>>,
}

impl<T> Default for KeyframeSelector<T> {
    fn default() -> Self {
        Self {
            open: HashMap::new(),
            done: HashSet::new(),
            closed: Vec::new(),
        }
    }
}

impl<T> KeyframeSelector<T> {
    /// Offers a valid face of `track` at `time_ns`; `payload` is only called when the face
    /// becomes the window's best (strictly better, so the earliest of equal faces wins).
    /// A face at or after the window's time limit is not part of it: it closes the window.
    pub fn offer(
        &mut self,
        track: i32,
        time_ns: u64,
        score: f64,
        limits: WindowLimits,
        payload: impl FnOnce() -> T,
    ) {
        if self.done.contains(&track) || !score.is_finite() {
            return;
        }
        let expired = self.open.get(&track).is_some_and(|w| {
            limits
                .time_ns
                .is_some_and(|t| time_ns.saturating_sub(w.start_ns) >= t)
        });
        if expired {
            let closed = self.close(vec![track]);
            self.closed.extend(closed);
            return;
        }
        match self.open.get_mut(&track) {
            Some(w) => {
                w.frames += 1;
                if score > w.best.score {
                    w.best = Candidate {
                        score,
                        time_ns,
                        payload: payload(),
                    };
                }
            }
            None => {
                self.open.insert(
                    track,
                    Window {
                        start_ns: time_ns,
                        frames: 1,
                        best: Candidate {
                            score,
                            time_ns,
                            payload: payload(),
                        },
                    },
                );
            }
        }
    }

    /// Ends a frame on which the tracks `present` were seen, at `now_ns`: closes the windows
    /// of tracks that are gone or whose limits are reached, best first by track id.
    pub fn end_frame(
        &mut self,
        present: &[i32],
        now_ns: u64,
        limits: WindowLimits,
    ) -> Vec<Keyframe<T>> {
        let mut out = std::mem::take(&mut self.closed);
        let closing: Vec<i32> = self
            .open
            .iter()
            .filter(|(id, w)| {
                !present.contains(id)
                    || limits.frames.is_some_and(|n| w.frames >= n)
                    || limits
                        .time_ns
                        .is_some_and(|t| now_ns.saturating_sub(w.start_ns) >= t)
            })
            .map(|(id, _)| *id)
            .collect();
        out.extend(self.close(closing));
        out
    }

    /// Closes every open window (end of stream).
    pub fn finish_all(&mut self) -> Vec<Keyframe<T>> {
        let mut out = std::mem::take(&mut self.closed);
        let all: Vec<i32> = self.open.keys().copied().collect();
        out.extend(self.close(all));
        out
    }

    fn close(&mut self, mut ids: Vec<i32>) -> Vec<Keyframe<T>> {
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| {
                let w = self.open.remove(&id)?;
                self.done.insert(id);
                Some(Keyframe {
                    track_id: id,
                    frames: w.frames,
                    best: w.best,
                })
            })
            .collect()
    }

    /// Forgets everything (flush, new stream).
    pub fn reset(&mut self) {
        self.open.clear();
        self.done.clear();
        self.closed.clear();
    }

    /// Number of windows still open.
    pub fn open_windows(&self) -> usize {
        self.open.len()
    }
}

/// A face crop in tightly packed RGB.
#[derive(Debug, Clone, PartialEq)]
pub struct Crop {
    /// Top-left corner and size in the source frame.
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

/// Crops the box grown by `margin` (fraction of the box size on each side), clamped to the
/// frame, as RGB. `None` when nothing of it is inside the frame.
pub fn crop_rgb(image: &ImageView, bbox: &BoundingBox, margin: f32) -> Option<Crop> {
    let (mx, my) = (bbox.width * margin, bbox.height * margin);
    let x0 = (bbox.x - mx).floor().max(0.0) as usize;
    let y0 = (bbox.y - my).floor().max(0.0) as usize;
    let x1 = ((bbox.x + bbox.width + mx).ceil().max(0.0) as usize).min(image.width);
    let y1 = ((bbox.y + bbox.height + my).ceil().max(0.0) as usize).min(image.height);
    if x0 >= x1 || y0 >= y1 {
        return None;
    }
    let (width, height) = (x1 - x0, y1 - y0);
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in y0..y1 {
        match image.layout {
            // Packed RGB family: the bytes themselves, reordered.
            Layout::Packed { bpp, r, g, b } => {
                let row = &image.planes[0][y * image.strides[0]..];
                for x in x0..x1 {
                    let o = x * bpp;
                    rgb.extend_from_slice(&[row[o + r], row[o + g], row[o + b]]);
                }
            }
            Layout::I420 | Layout::Nv12 => {
                for x in x0..x1 {
                    let [r, g, b] = image.rgb(x, y);
                    rgb.extend_from_slice(&[(r + 0.5) as u8, (g + 0.5) as u8, (b + 0.5) as u8]);
                }
            }
        }
    }
    Some(Crop {
        x: x0,
        y: y0,
        width,
        height,
        rgb,
    })
}

/// A copy of a frame region in the frame's own layout: plain row copies, so keeping a
/// candidate key frame is cheap; it becomes RGB ([`RegionCopy::to_rgb`]) only when posted.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionCopy {
    /// Top-left corner in the source frame (even for I420 / NV12, to keep chroma aligned).
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
    layout: Layout,
    planes: [Vec<u8>; 3],
    strides: [usize; 3],
}

impl RegionCopy {
    pub fn view(&self) -> ImageView<'_> {
        ImageView {
            width: self.width,
            height: self.height,
            layout: self.layout,
            planes: [&self.planes[0], &self.planes[1], &self.planes[2]],
            strides: self.strides,
        }
    }

    /// The whole copy as RGB, positioned in the source frame.
    pub fn to_rgb(&self) -> Option<Crop> {
        let whole = BoundingBox::new(0.0, 0.0, self.width as f32, self.height as f32);
        let mut crop = crop_rgb(&self.view(), &whole, 0.0)?;
        crop.x += self.x;
        crop.y += self.y;
        Some(crop)
    }
}

/// Copies the box grown by `margin` (fraction of the box size on each side), clamped to the
/// frame. `None` when nothing of it is inside the frame.
pub fn copy_region(image: &ImageView, bbox: &BoundingBox, margin: f32) -> Option<RegionCopy> {
    let (mx, my) = (bbox.width * margin, bbox.height * margin);
    let mut x0 = (bbox.x - mx).floor().max(0.0) as usize;
    let mut y0 = (bbox.y - my).floor().max(0.0) as usize;
    let x1 = ((bbox.x + bbox.width + mx).ceil().max(0.0) as usize).min(image.width);
    let y1 = ((bbox.y + bbox.height + my).ceil().max(0.0) as usize).min(image.height);
    let subsampled = matches!(image.layout, Layout::I420 | Layout::Nv12);
    if subsampled {
        x0 &= !1;
        y0 &= !1;
    }
    if x0 >= x1 || y0 >= y1 {
        return None;
    }
    let (width, height) = (x1 - x0, y1 - y0);
    let rows = |plane: usize, r0: usize, r1: usize, b0: usize, b1: usize| {
        let mut out = Vec::with_capacity((r1 - r0) * (b1 - b0));
        for r in r0..r1 {
            let start = r * image.strides[plane];
            out.extend_from_slice(&image.planes[plane][start + b0..start + b1]);
        }
        out
    };
    let (planes, strides) = match image.layout {
        Layout::Packed { bpp, .. } => (
            [rows(0, y0, y1, x0 * bpp, x1 * bpp), Vec::new(), Vec::new()],
            [width * bpp, 0, 0],
        ),
        Layout::I420 => {
            let (c0, c1) = (x0 / 2, x1.div_ceil(2));
            let (r0, r1) = (y0 / 2, y1.div_ceil(2));
            (
                [
                    rows(0, y0, y1, x0, x1),
                    rows(1, r0, r1, c0, c1),
                    rows(2, r0, r1, c0, c1),
                ],
                [width, c1 - c0, c1 - c0],
            )
        }
        Layout::Nv12 => {
            let (c0, c1) = (x0 / 2 * 2, x1.div_ceil(2) * 2);
            let (r0, r1) = (y0 / 2, y1.div_ceil(2));
            (
                [rows(0, y0, y1, x0, x1), rows(1, r0, r1, c0, c1), Vec::new()],
                [width, c1 - c0, 0],
            )
        }
    };
    Some(RegionCopy {
        x: x0,
        y: y0,
        width,
        height,
        layout: image.layout,
        planes,
        strides,
    })
}

/// Image file formats for key frames, from the template's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Png,
    Jpeg,
}

/// Checks a `keyframe-location` template: it must name a `.png`, `.jpg` or `.jpeg` file,
/// contain `{track}` and `{time}`, and its folder must exist.
pub fn check_location(template: &str) -> Result<FileFormat, String> {
    const EXAMPLE: &str = "e.g. /var/lib/faces/face-{track}-{time}.png";
    if !template.contains("{track}") || !template.contains("{time}") {
        return Err(format!(
            "keyframe-location '{template}' must contain {{track}} (track id) and {{time}} \
             (running time in ms) so that key frames do not overwrite each other, {EXAMPLE}"
        ));
    }
    let lower = template.to_ascii_lowercase();
    let format = if lower.ends_with(".png") {
        FileFormat::Png
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        FileFormat::Jpeg
    } else {
        return Err(format!(
            "keyframe-location '{template}' must end in .png, .jpg or .jpeg, {EXAMPLE}"
        ));
    };
    let dir = Path::new(template)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!(
            "keyframe-location '{template}': folder '{}' does not exist; create it first",
            dir.display()
        ));
    }
    Ok(format)
}

/// The file name of a key frame: `{track}` and `{time}` (running time, whole ms) filled in.
pub fn keyframe_path(template: &str, track: i32, running_time_ns: u64) -> PathBuf {
    PathBuf::from(
        template
            .replace("{track}", &track.to_string())
            .replace("{time}", &(running_time_ns / 1_000_000).to_string()),
    )
}

/// Writes a crop as PNG or JPEG (quality 92).
pub fn write_crop(path: &Path, crop: &Crop, format: FileFormat) -> Result<(), String> {
    let fail =
        |e: &dyn std::fmt::Display| format!("cannot write key frame {}: {e}", path.display());
    let image = image::RgbImage::from_raw(crop.width as u32, crop.height as u32, crop.rgb.clone())
        .ok_or_else(|| fail(&"crop size does not match its pixels"))?;
    match format {
        FileFormat::Png => image
            .save_with_format(path, image::ImageFormat::Png)
            .map_err(|e| fail(&e)),
        FileFormat::Jpeg => {
            let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
            let mut out = std::io::BufWriter::new(file);
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
                .encode_image(&image)
                .map_err(|e| fail(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey test card: vertical stripes (period `period` px) of contrast `amp` around 128,
    /// `w` x `h` RGB.
    fn stripes(w: usize, h: usize, period: usize, amp: f32) -> Vec<u8> {
        let mut v = Vec::with_capacity(w * h * 3);
        for _y in 0..h {
            for x in 0..w {
                let on = (x / period.max(1)).is_multiple_of(2);
                let g = (128.0 + if on { amp } else { -amp }).clamp(0.0, 255.0) as u8;
                v.extend_from_slice(&[g, g, g]);
            }
        }
        v
    }

    fn box_blur(w: usize, h: usize, data: &[u8], radius: usize) -> Vec<u8> {
        let mut out = data.to_vec();
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let (mut s, mut n) = (0u32, 0u32);
                    for xx in x.saturating_sub(radius)..(x + radius + 1).min(w) {
                        s += data[(y * w + xx) * 3 + c] as u32;
                        n += 1;
                    }
                    out[(y * w + x) * 3 + c] = (s / n) as u8;
                }
            }
        }
        out
    }

    fn view(data: &[u8], w: usize, h: usize) -> ImageView<'_> {
        ImageView::packed(data, w, h, w * 3, Layout::RGB)
    }

    fn square_box(x: f32, y: f32, side: f32) -> BoundingBox {
        BoundingBox::new(x, y, side, side)
    }

    #[test]
    fn mask_spans_match_point_in_polygon() {
        let region = FaceRegion::new(&square_box(10.0, 10.0, 40.0), None, 64, 64);
        assert_eq!(region.mask, MaskKind::Ellipse);
        assert_eq!(region.midline_source, MidlineSource::Box);
        // Centre in, box corners out, a point just outside the ellipse's side out.
        assert!(region.contains(30, 30));
        assert!(!region.contains(11, 11));
        assert!(!region.contains(11, 30)); // ellipse is 0.45 of the width each side
        assert!(region.contains(30, 11));
        let n = region.pixel_count() as f32;
        let expected = std::f32::consts::PI * 18.0 * 20.0;
        assert!((n - expected).abs() / expected < 0.05, "{n} vs {expected}");
        assert!((region.visible - 1.0).abs() < 1e-6);
    }

    #[test]
    fn mask_partly_outside_is_clipped_and_visible_share_reported() {
        let lm = mesh_on_box();
        let bbox = square_box(-20.0, 0.0, 40.0);
        let region = FaceRegion::new(&bbox, Some(&lm), 64, 64);
        assert_eq!(region.mask, MaskKind::Landmarks);
        assert!(
            region.visible > 0.3 && region.visible < 0.7,
            "{}",
            region.visible
        );
        assert!(!region.contains(0, 70));
        assert!(region.pixel_count() > 0);
        let all_out = FaceRegion::new(&square_box(-100.0, -100.0, 40.0), Some(&lm), 64, 64);
        assert_eq!(all_out.pixel_count(), 0);
        assert_eq!(all_out.visible, 0.0);
    }

    /// A fake 468-point mesh whose oval is a circle inscribed in the box and whose midline is
    /// vertical through the box centre; other points at the centre.
    fn mesh_on_box() -> Landmarks {
        let mut points = vec![[0.5f32, 0.5, 0.0]; 468];
        for (k, &i) in FACE_OVAL.iter().enumerate() {
            // 10 (forehead) first, clockwise as seen: start at the top.
            let a = -std::f32::consts::FRAC_PI_2 + k as f32 / 36.0 * std::f32::consts::TAU;
            points[i] = [0.5 + 0.5 * a.cos(), 0.5 + 0.5 * a.sin(), 0.0];
        }
        for (k, &i) in MIDLINE.iter().enumerate() {
            if i != 10 && i != 152 {
                points[i] = [0.5, 0.05 + 0.9 * k as f32 / 27.0, 0.0];
            }
        }
        Landmarks {
            scheme: MESH_SCHEME.into(),
            points,
        }
    }

    #[test]
    fn mesh_midline_is_fitted_forehead_to_chin() {
        let region = FaceRegion::new(&square_box(0.0, 0.0, 100.0), Some(&mesh_on_box()), 200, 200);
        assert_eq!(region.midline_source, MidlineSource::Mesh);
        let Midline { origin, direction } = region.midline;
        assert!((origin.0 - 50.0).abs() < 1e-3);
        assert!(direction.1 > 0.999, "{direction:?}");
    }

    #[test]
    fn keypoint_midline_is_perpendicular_to_the_eyes() {
        let lm = Landmarks {
            scheme: "blazeface-6".into(),
            points: vec![[0.3, 0.4, 0.0], [0.7, 0.4, 0.0], [0.5, 0.6, 0.0]],
        };
        let r = FaceRegion::new(&square_box(0.0, 0.0, 100.0), Some(&lm), 100, 100);
        assert_eq!(r.midline_source, MidlineSource::Keypoints);
        assert_eq!(r.mask, MaskKind::Ellipse);
        assert!((r.midline.origin.0 - 50.0).abs() < 1e-3);
        assert!((r.midline.direction.1 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn sharpness_falls_with_blur_and_ignores_contrast() {
        let (w, h) = (96, 96);
        let weights = Weights::default();
        let lm = mesh_on_box();
        let region = FaceRegion::new(&square_box(8.0, 8.0, 80.0), Some(&lm), w, h);
        let sharp = stripes(w, h, 10, 60.0);
        let mut last = f64::INFINITY;
        for passes in [0, 1, 3, 6, 10] {
            // Repeated 3-tap box blurs approximate a Gaussian of growing sigma.
            let img = (0..passes).fold(sharp.clone(), |img, _| box_blur(w, h, &img, 1));
            let q = score_face(&view(&img, w, h), &region, 112.0, &weights);
            assert_eq!(q.status, Status::Ok);
            assert!(q.components.sharpness < last, "passes {passes}: {q:?}");
            last = q.components.sharpness;
        }
        let low = stripes(w, h, 10, 20.0);
        let a = score_face(&view(&sharp, w, h), &region, 112.0, &weights);
        let b = score_face(&view(&low, w, h), &region, 112.0, &weights);
        assert!((a.components.sharpness - b.components.sharpness).abs() < 0.05);
    }

    #[test]
    fn background_outside_the_mask_is_never_read() {
        let (w, h) = (96, 96);
        let region = FaceRegion::new(&square_box(8.0, 8.0, 80.0), Some(&mesh_on_box()), w, h);
        let a = stripes(w, h, 3, 60.0);
        let mut b = a.clone();
        for y in 0..h {
            for x in 0..w {
                if !region.contains(x, y) {
                    let o = (y * w + x) * 3;
                    b[o..o + 3].copy_from_slice(&[(x * 7 % 256) as u8, 255, 0]);
                }
            }
        }
        let weights = Weights::default();
        let qa = score_face(&view(&a, w, h), &region, 112.0, &weights);
        let qb = score_face(&view(&b, w, h), &region, 112.0, &weights);
        assert_eq!(qa, qb);
    }

    #[test]
    fn illumination_falls_when_darkened_or_clipped() {
        let mut hist = [0u32; 256];
        hist[40..220].fill(10);
        let base = illumination_score(&hist);
        let scaled = |f: f64, offset: f64| {
            let mut out = [0u32; 256];
            for (v, &c) in hist.iter().enumerate() {
                out[(v as f64 * f + offset).round().clamp(0.0, 255.0) as usize] += c;
            }
            illumination_score(&out)
        };
        assert!(base > 0.9);
        let mut last = base;
        for f in [0.7, 0.5, 0.3, 0.1] {
            let s = scaled(f, 0.0);
            assert!(s < last, "gain {f}: {s}");
            last = s;
        }
        let mut last = base;
        for offset in [40.0, 60.0, 80.0, 120.0] {
            let s = scaled(1.0, offset);
            assert!(s < last, "offset {offset}: {s}");
            last = s;
        }
        assert_eq!(illumination_score(&[0; 256]), 0.0);
    }

    #[test]
    fn resolution_is_capped_at_the_reference() {
        assert_eq!(resolution_score(224.0, 112.0), 1.0);
        assert!((resolution_score(56.0, 112.0) - 0.5).abs() < 1e-9);
        assert_eq!(resolution_score(56.0, 0.0), 0.0);
    }

    #[test]
    fn symmetry_high_for_mirror_symmetric_image_low_for_one_sided() {
        let (w, h) = (100, 100);
        let region = FaceRegion::new(&square_box(0.0, 0.0, 100.0), Some(&mesh_on_box()), w, h);
        // Symmetric: rings around the centre. One-sided: stripes on the right half only.
        let mut sym = vec![0u8; w * h * 3];
        let mut one = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 + 0.5 - 50.0, y as f32 + 0.5 - 50.0);
                let r = (dx * dx + dy * dy).sqrt();
                let g = (128.0 + 80.0 * (r / 3.0).sin()) as u8;
                sym[(y * w + x) * 3..][..3].copy_from_slice(&[g, g, g]);
                let g = if x >= 50 && (y / 3) % 2 == 0 { 200 } else { 60 };
                one[(y * w + x) * 3..][..3].copy_from_slice(&[g, g, g]);
            }
        }
        let weights = Weights::default();
        let s = score_face(&view(&sym, w, h), &region, 112.0, &weights);
        let o = score_face(&view(&one, w, h), &region, 112.0, &weights);
        assert!(s.components.symmetry > 0.9, "{s:?}");
        assert!(o.components.symmetry < 0.3, "{o:?}");
        // Mirroring the image (and the mesh, which is its own mirror here) keeps the score.
        let mirrored: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).rev().flat_map(move |x| [y, x]))
            .collect::<Vec<_>>()
            .chunks(2)
            .flat_map(|c| one[(c[0] * w + c[1]) * 3..][..3].to_vec())
            .collect();
        let m = score_face(&view(&mirrored, w, h), &region, 112.0, &weights);
        assert!((m.components.symmetry - o.components.symmetry).abs() < 0.02);
    }

    #[test]
    fn tiny_and_outside_faces_are_flagged() {
        let data = stripes(64, 64, 2, 50.0);
        let weights = Weights::default();
        let tiny = FaceRegion::new(&square_box(10.0, 10.0, 8.0), None, 64, 64);
        let q = score_face(&view(&data, 64, 64), &tiny, 112.0, &weights);
        assert_eq!(q.status, Status::TooSmall);
        assert!(!q.valid());
        assert_eq!(q.components.sharpness, 0.0);
        assert!(q.components.resolution > 0.0);
        let out = FaceRegion::new(&square_box(100.0, 100.0, 30.0), None, 64, 64);
        let q = score_face(&view(&data, 64, 64), &out, 112.0, &weights);
        assert_eq!(q.status, Status::Outside);
        // Degenerate and non-finite boxes neither panic nor score.
        let nan = FaceRegion::new(&BoundingBox::new(f32::NAN, 0.0, 10.0, 10.0), None, 64, 64);
        assert_ne!(
            score_face(&view(&data, 64, 64), &nan, 112.0, &weights).status,
            Status::Ok
        );
        let zero = FaceRegion::new(&square_box(5.0, 5.0, 0.0), None, 64, 64);
        assert_ne!(
            score_face(&view(&data, 64, 64), &zero, 112.0, &weights).status,
            Status::Ok
        );
    }

    #[test]
    fn weights_are_normalised_or_rejected() {
        assert_eq!(
            Weights::normalised(&[1.0, 1.0, 1.0, 1.0]).unwrap().0,
            [0.25; 4]
        );
        let w = Weights::normalised(&[2.0, 3.0, 2.0, 3.0]).unwrap();
        assert!((w.0[1] - 0.3).abs() < 1e-12);
        assert!(
            Weights::normalised(&[-0.1, 0.5, 0.3, 0.3])
                .unwrap_err()
                .contains("symmetry")
        );
        assert!(Weights::normalised(&[0.0; 4]).is_err());
        assert!(Weights::normalised(&[0.5, 0.5]).is_err());
        assert!(Weights::normalised(&[f64::NAN, 0.5, 0.3, 0.3]).is_err());
        let c = Components {
            symmetry: 1.0,
            sharpness: 0.5,
            illumination: 0.0,
            resolution: 1.0,
        };
        assert!((Weights::default().combine(&c) - (0.2 + 0.15 + 0.3)).abs() < 1e-12);
    }

    #[test]
    fn auto_weights_damp_the_component_with_the_widest_spread() {
        let base = Weights([0.25; 4]);
        let mut auto = AutoWeights::default();
        for i in 0..5 {
            auto.observe(&Components {
                symmetry: 0.5,
                sharpness: 0.5,
                illumination: 0.5,
                resolution: i as f64 / 5.0,
            });
        }
        assert_eq!(
            auto.effective(&base),
            base,
            "warm-up keeps the base weights"
        );
        for i in 0..200 {
            let t = (i % 10) as f64 / 10.0;
            auto.observe(&Components {
                symmetry: 0.6 + 0.05 * t,
                sharpness: 0.3 + 0.2 * t,
                illumination: 0.7,
                resolution: t,
            });
        }
        let w = auto.effective(&base);
        assert!((w.0.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // Resolution varies most, so it gets the least weight; constant illumination is
        // held at the floor and not blown up.
        assert!(w.0[3] < w.0[1] && w.0[1] < w.0[0], "{w:?}");
        assert!(w.0[2] <= w.0[0] + 1e-9, "{w:?}");
    }

    #[test]
    fn keyframe_is_the_best_face_of_each_track_once() {
        let mut sel: KeyframeSelector<u32> = KeyframeSelector::default();
        let limits = WindowLimits {
            time_ns: Some(100),
            frames: None,
        };
        let mut posted = Vec::new();
        for (t, scores) in [(0u64, [0.5, 0.2]), (40, [0.9, 0.3]), (80, [0.7, 0.1])] {
            sel.offer(1, t, scores[0], limits, || t as u32);
            sel.offer(2, t, scores[1], limits, || t as u32);
            posted.extend(sel.end_frame(&[1, 2], t, limits));
        }
        assert!(posted.is_empty());
        // At 120 track 2 is gone, and track 1's 100 ns window is over: its face at 120 is
        // outside the window and does not count.
        sel.offer(1, 120, 0.99, limits, || 120);
        posted.extend(sel.end_frame(&[1], 120, limits));
        assert_eq!(posted.len(), 2);
        assert_eq!(
            (posted[0].track_id, posted[0].best.payload, posted[0].frames),
            (1, 40, 3)
        );
        assert_eq!(
            (posted[1].track_id, posted[1].best.payload, posted[1].frames),
            (2, 40, 3)
        );
        // Once per track: later faces of a closed track are ignored.
        sel.offer(1, 160, 1.0, limits, || 160);
        assert!(sel.end_frame(&[1], 160, limits).is_empty());
        assert!(sel.finish_all().is_empty());
    }

    #[test]
    fn keyframe_frame_limit_and_end_of_stream() {
        let mut sel: KeyframeSelector<u64> = KeyframeSelector::default();
        let limits = WindowLimits {
            time_ns: None,
            frames: Some(3),
        };
        let mut calls = 0;
        for t in 0..2u64 {
            sel.offer(5, t, 0.5, limits, || {
                calls += 1;
                t
            });
            assert!(sel.end_frame(&[5], t, limits).is_empty());
        }
        // Equal scores keep the earliest face: the payload was made once.
        assert_eq!(calls, 1);
        sel.offer(7, 3, 0.1, limits, || 3);
        let eos = sel.finish_all();
        assert_eq!(eos.len(), 2);
        assert_eq!(eos[0].best.payload, 0);
        assert_eq!(sel.open_windows(), 0);
    }

    #[test]
    fn crop_is_clamped_and_rgb() {
        let data = stripes(32, 32, 4, 50.0);
        let c = crop_rgb(&view(&data, 32, 32), &square_box(-4.0, 20.0, 16.0), 0.25).unwrap();
        assert_eq!((c.x, c.y, c.width, c.height), (0, 16, 16, 16));
        assert_eq!(c.rgb.len(), 16 * 16 * 3);
        assert_eq!(c.rgb[0..3], data[(16 * 32) * 3..][..3]);
        assert!(crop_rgb(&view(&data, 32, 32), &square_box(40.0, 40.0, 8.0), 0.0).is_none());
    }

    #[test]
    fn region_copy_matches_direct_crop_in_every_layout() {
        let (w, h) = (10usize, 8usize);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let y: Vec<u8> = (0..w * h).map(|i| (i * 13 % 220 + 16) as u8).collect();
        let u: Vec<u8> = (0..25).map(|i| (i * 7 % 200 + 20) as u8).collect();
        let v: Vec<u8> = (0..25).map(|i| (i * 11 % 200 + 20) as u8).collect();
        let uv: Vec<u8> = u.iter().zip(&v).flat_map(|(a, b)| [*a, *b]).collect();
        let views = [
            view(&rgb, w, h),
            ImageView {
                width: w,
                height: h,
                layout: Layout::I420,
                planes: [&y, &u, &v],
                strides: [w, 5, 5],
            },
            ImageView {
                width: w,
                height: h,
                layout: Layout::Nv12,
                planes: [&y, &uv, &[]],
                strides: [w, 10, 0],
            },
        ];
        let bbox = BoundingBox::new(3.0, 3.0, 4.0, 3.0);
        for image in views {
            let copy = copy_region(&image, &bbox, 0.0).unwrap().to_rgb().unwrap();
            // The copy starts on even coordinates for subsampled layouts.
            let direct = crop_rgb(
                &image,
                &BoundingBox::new(
                    copy.x as f32,
                    copy.y as f32,
                    copy.width as f32,
                    copy.height as f32,
                ),
                0.0,
            )
            .unwrap();
            assert_eq!(copy, direct, "{:?}", image.layout);
        }
    }

    #[test]
    fn location_template_is_checked_and_filled() {
        let dir = std::env::temp_dir();
        let ok = format!("{}/kf-{{track}}-{{time}}.JPG", dir.display());
        assert_eq!(check_location(&ok).unwrap(), FileFormat::Jpeg);
        assert!(
            check_location("/tmp/kf.png")
                .unwrap_err()
                .contains("{track}")
        );
        assert!(
            check_location("/tmp/kf-{track}-{time}.bmp")
                .unwrap_err()
                .contains(".png")
        );
        assert!(
            check_location("/nonexistent-dir/kf-{track}-{time}.png")
                .unwrap_err()
                .contains("does not exist")
        );
        assert_eq!(
            keyframe_path("/x/f-{track}-{time}.png", 3, 2_040_000_000),
            PathBuf::from("/x/f-3-2040.png")
        );
    }

    #[test]
    fn crop_written_as_png_and_jpeg_decodes() {
        let data = stripes(20, 10, 2, 60.0);
        let crop = crop_rgb(
            &view(&data, 20, 10),
            &BoundingBox::new(0.0, 0.0, 20.0, 10.0),
            0.0,
        )
        .unwrap();
        for (ext, format) in [("png", FileFormat::Png), ("jpg", FileFormat::Jpeg)] {
            let path = std::env::temp_dir()
                .join(format!("facekit-quality-unit-{}.{ext}", std::process::id()));
            write_crop(&path, &crop, format).unwrap();
            let back = image::open(&path).unwrap().to_rgb8();
            assert_eq!(back.dimensions(), (20, 10));
            if format == FileFormat::Png {
                assert_eq!(back.into_raw(), crop.rgb);
            }
            let _ = std::fs::remove_file(path);
        }
    }
}
