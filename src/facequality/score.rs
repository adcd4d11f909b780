//! Face image quality, free of GStreamer: the face mask, the four component scores, their
//! weighting (fixed or automatic) and the per-track key frame choice. `docs/facequality.md`
//! gives every formula; the element (`src/facequality`) only feeds frames and faces in.
//!
//! All scores are in 0..1, higher is better:
//! * **symmetry**: gradient-orientation histograms of the face's two halves, mirrored about
//!   the landmark midline, compared cell by cell (histogram intersection), times the
//!   expression and pose neutrality ([`super::expression`]);
//! * **sharpness**: mean |Laplacian| over mean |gradient| inside the mask, at a common scale
//!   (faces wider than [`ANALYSIS_SIZE`] are area-averaged down to it), mapped to 0..1 and
//!   lowered by the face's blockiness (the codec block grid, measured at the frame's
//!   resolution, where block borders are perfect steps that an edge-width measure takes
//!   for sharp detail);
//! * **illumination**: 2nd..98th percentile grey spread inside the mask, mapped to 0..1 and
//!   penalised by the share of clipped (near black or near white) pixels;
//! * **resolution**: the face size that carries detail, in source-frame pixels, over a
//!   reference size, capped at 1 ([`effective_size`]).

use super::expression::neutrality;
use super::region::{FaceRegion, MaskKind, Midline};
use super::weights::Weights;
use crate::frame::image::ImageView;

/// Faces wider than this (pixels) are area-averaged down to it before sharpness and
/// illumination, so that sharpness means the same for every face size (112 px is the usual
/// input width of face recognisers).
pub const ANALYSIS_SIZE: f32 = 112.0;
/// Faces smaller than this (square root of box area, pixels) are too small to score.
pub const MIN_FACE_SIDE: f32 = 12.0;
/// Fewer mask pixels than this: too small to score.
const MIN_MASK_PIXELS: usize = 100;

/// |Laplacian| / |gradient| ratio giving sharpness 1 - 1/e (see [`sharpness_score`]).
const SHARPNESS_SCALE: f64 = 1.0;
/// Blockiness up to which a face counts as unblocked: chance peaks of the 8-phase test
/// (1.05..1.2 on uncompressed faces) and light compression (camera JPEGs).
const BLOCK_TOLERANCE: f64 = 1.25;
/// Edge ratio from which a face counts as carrying full detail for its size (sharpness 0.7;
/// sharp faces measure 1.3..1.8).
const DETAIL_RATIO: f64 = 1.2;
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
pub struct QualityScore {
    pub components: Components,
    /// Expression and pose neutrality (0..1, 1 = calm, eyes open, frontal), already
    /// multiplied into `components.symmetry`; 1 when unknown.
    pub neutrality: f64,
    /// `visible` x the weighted sum of the components.
    pub overall: f64,
    /// Share of the face mask's area inside the frame (1 for an ellipse mask: the box is
    /// already clamped to the frame, so nothing is known about the part outside).
    pub visible: f64,
    pub mask: MaskKind,
    pub status: Status,
}

impl QualityScore {
    /// True when every component was measured (status ok).
    pub fn valid(&self) -> bool {
        self.status == Status::Ok
    }
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
            image.luma_row(y, x0, x1, &mut row);
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

/// `(sum |L|, sum |G|, n)` over the `n` patch pixels whose 4 neighbours are in the mask:
/// `L` the 4-neighbour Laplacian, `|G|` the central-difference gradient magnitude.
fn edge_sums(p: &Patch) -> (f64, f64, f64) {
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
    (lap, grad, n as f64)
}

/// Period of the block grid of block-transform codecs: JPEG and MPEG-2 code 8x8 blocks,
/// H.264 4x4 and 8x8 (16x16 macroblocks), so every block border lies on a multiple of 4 and
/// most on a multiple of 8.
const BLOCK_PERIOD: usize = 8;

/// Blockiness of the face at the frame's own resolution: for each axis, the mean |step|
/// between neighbouring mask pixels is taken per grid phase (position mod 8); a coded block
/// grid makes one phase stand out. Returns `max phase / mean of the other phases`, averaged
/// over both axes: about 1 for an uncompressed face (1.05..1.2 from chance), 1.5..3 for a
/// hard-compressed one. The phase is found, not assumed, so a crop at any offset still shows it.
pub fn blockiness(image: &ImageView, region: &FaceRegion) -> f64 {
    let Some((x0, y0, x1, y1)) = region.bounds() else {
        return 1.0;
    };
    let (mut col, mut row_d) = ([0.0f64; BLOCK_PERIOD], [0.0f64; BLOCK_PERIOD]);
    let (mut col_n, mut row_n) = ([0usize; BLOCK_PERIOD], [0usize; BLOCK_PERIOD]);
    let mut prev: Vec<f32> = Vec::new();
    let mut cur = Vec::with_capacity(x1 - x0);
    for y in y0..y1 {
        cur.clear();
        image.luma_row(y, x0, x1, &mut cur);
        for x in x0 + 1..x1 {
            if region.covers(y, x - 1, x + 1) {
                let p = x % BLOCK_PERIOD;
                col[p] += (cur[x - x0] - cur[x - 1 - x0]).abs() as f64;
                col_n[p] += 1;
            }
            if y > y0 && region.covers(y - 1, x, x + 1) && region.covers(y, x, x + 1) {
                let p = y % BLOCK_PERIOD;
                row_d[p] += (cur[x - x0] - prev[x - x0]).abs() as f64;
                row_n[p] += 1;
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let axis = |sum: &[f64; BLOCK_PERIOD], n: &[usize; BLOCK_PERIOD]| {
        if n.iter().any(|&c| c < 16) {
            return 1.0;
        }
        let mean: Vec<f64> = sum.iter().zip(n).map(|(s, &c)| s / c as f64).collect();
        let (peak, at) =
            mean.iter().enumerate().fold(
                (0.0f64, 0),
                |(m, a), (i, &v)| if v > m { (v, i) } else { (m, a) },
            );
        let rest: f64 = mean
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, v)| v)
            .sum::<f64>()
            / (BLOCK_PERIOD - 1) as f64;
        // Grey-level floor: a flat face has no grid to show.
        (peak + 0.5) / (rest + 0.5)
    };
    (axis(&col, &col_n) + axis(&row_d, &row_n)) / 2.0
}

/// The edge ratio `r` of the patch: an inverse edge width, ~0.8/sigma for an edge blurred
/// by a Gaussian of sigma patch pixels, 2 for a perfect step; 1.3..1.8 for sharp faces.
fn edge_ratio(p: &Patch) -> f64 {
    let (lap, grad, weight) = edge_sums(p);
    if weight <= 0.0 {
        return 0.0;
    }
    lap / (grad + GRADIENT_FLOOR * weight)
}

/// Sharpness from the edge ratio and the blockiness: `(1 - exp(-r)) * min(1, sqrt(1.25 /
/// blockiness))`. The block factor is 1 up to the chance level and light compression, 0.5 at
/// blockiness 5 (JPEG quality ~5 on a photo).
pub fn sharpness_score(ratio: f64, blockiness: f64) -> f64 {
    let edges = 1.0 - (-ratio.max(0.0) / SHARPNESS_SCALE).exp();
    let blocks = if blockiness > BLOCK_TOLERANCE {
        (BLOCK_TOLERANCE / blockiness).sqrt()
    } else {
        1.0
    };
    edges * blocks
}

/// Resolution from the face size in this frame, the edge ratio of its analysis patch and
/// the source scale: the face counts with the pixels that carry detail, in source pixels.
///
/// * Detail: `ratio` is the edge ratio the sharpness stands for (`-ln(1 - sharpness)`: the
///   patch's edge ratio, lowered when the face is blocky). Below [`DETAIL_RATIO`] the edges
///   are wider than a sharp face's, as they are when a face was scaled up before it got
///   here (or is blurred or hard-compressed): its detail spans
///   `min(size, 112) * ratio / DETAIL_RATIO` pixels (measured on three photos: a face whose detail was
///   cut by k analysis-patch pixels, scaled down and back up, gives r / DETAIL_RATIO of
///   0.8..1.5 x 1/k for k = 2..8).
/// * Source scale: a face `facecrop` scaled down by s had s times more pixels in the
///   source frame; one it scaled up had fewer, whatever this frame's box says.
pub fn effective_size(size: f32, ratio: f64, source_scale: f32) -> f32 {
    let detail = (ratio / DETAIL_RATIO).clamp(0.0, 1.0) as f32;
    let here = if detail >= 1.0 {
        size
    } else {
        size.min(ANALYSIS_SIZE) * detail
    };
    if source_scale >= 1.0 {
        here * source_scale
    } else {
        here.min(size * source_scale)
    }
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
) -> QualityScore {
    // Until the patch is measured (too small, outside), the box in source pixels.
    let resolution = resolution_score(
        effective_size(region.size, 2.0, region.source_scale),
        reference_size,
    );
    let neutral = neutrality(region.expression, region.pose);
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
            Some(patch) => {
                let sharpness = sharpness_score(edge_ratio(&patch), blockiness(image, region));
                // The detail estimate uses the edge ratio the sharpness stands for, so that
                // block steps do not count as detail there either.
                let detail_ratio = -(1.0 - sharpness.min(0.999)).ln();
                let size = effective_size(region.size, detail_ratio, region.source_scale);
                (
                    Components {
                        symmetry: symmetry(&patch, region) * neutral,
                        sharpness,
                        illumination: illumination(&patch),
                        resolution: resolution_score(size, reference_size),
                    },
                    Status::Ok,
                )
            }
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
    QualityScore {
        components,
        neutrality: if status == Status::Ok { neutral } else { 1.0 },
        overall: visible * weights.combine(&components),
        visible,
        mask: region.mask,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::BoundingBox;
    use crate::facequality::fixtures::{box_blur, mesh_on_box, square_box, stripes, view};

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

    /// Rings around the centre: edges at every angle, as on a face.
    fn rings(w: usize, h: usize, period: f32) -> Vec<u8> {
        let mut img = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - 47.3, y as f32 - 45.1);
                // Hard-edged rings: steps at every angle.
                let g = if ((dx * dx + dy * dy).sqrt() / period).sin() > 0.0 {
                    200
                } else {
                    60
                };
                img[(y * w + x) * 3..][..3].copy_from_slice(&[g, g, g]);
            }
        }
        img
    }

    #[test]
    fn coded_blocks_lower_sharpness_though_their_borders_are_steps() {
        let (w, h) = (96, 96);
        let region = FaceRegion::new(&square_box(8.0, 8.0, 80.0), Some(&mesh_on_box()), w, h);
        let sharp = rings(w, h, 2.0);
        // What a hard-compressing block codec leaves: each 8x8 block its mean (DC only).
        let mut blocks = sharp.clone();
        for by in (0..h).step_by(8) {
            for bx in (0..w).step_by(8) {
                let mut sum = 0u32;
                for y in by..by + 8 {
                    for x in bx..bx + 8 {
                        sum += sharp[(y * w + x) * 3] as u32;
                    }
                }
                let m = (sum / 64) as u8;
                for y in by..by + 8 {
                    for x in bx..bx + 8 {
                        blocks[(y * w + x) * 3..][..3].copy_from_slice(&[m, m, m]);
                    }
                }
            }
        }
        let weights = Weights::default();
        let (a, b) = (view(&sharp, w, h), view(&blocks, w, h));
        assert!(blockiness(&a, &region) < BLOCK_TOLERANCE);
        assert!(blockiness(&b, &region) > 2.0);
        let qa = score_face(&a, &region, 112.0, &weights);
        let qb = score_face(&b, &region, 112.0, &weights);
        assert!(
            qb.components.sharpness < 0.8 * qa.components.sharpness,
            "{qa:?} {qb:?}"
        );
        // The same grid shifted by 3 pixels (a crop at another offset) is found as well.
        let mut shifted = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let (sx, sy) = ((x + 3).min(w - 1), (y + 3).min(h - 1));
                shifted[(y * w + x) * 3..][..3].copy_from_slice(&blocks[(sy * w + sx) * 3..][..3]);
            }
        }
        assert!(blockiness(&view(&shifted, w, h), &region) > 2.0);
    }

    #[test]
    fn scaled_up_faces_count_with_the_pixels_their_detail_came_from() {
        // Sharp: the box; detail cut: min(box, 112) x ratio / DETAIL_RATIO.
        assert_eq!(effective_size(80.0, 1.5, 1.0), 80.0);
        assert_eq!(effective_size(300.0, 1.5, 1.0), 300.0);
        assert!((effective_size(300.0, 0.6, 1.0) - 56.0).abs() < 1e-3);
        // facecrop scaled the face down by 2: the source had twice the pixels; scaled up by
        // 2: half, whatever the box here says.
        assert_eq!(effective_size(50.0, 1.5, 2.0), 100.0);
        assert!((effective_size(100.0, 1.5, 0.5) - 50.0).abs() < 1e-3);
        // End to end: the same face blurred the way an upscale blurs it loses resolution.
        let (w, h) = (96, 96);
        let region = FaceRegion::new(&square_box(8.0, 8.0, 80.0), Some(&mesh_on_box()), w, h);
        let sharp = stripes(w, h, 10, 60.0);
        let soft = (0..6).fold(sharp.clone(), |img, _| box_blur(w, h, &img, 1));
        let weights = Weights::default();
        let qa = score_face(&view(&sharp, w, h), &region, 112.0, &weights);
        let qb = score_face(&view(&soft, w, h), &region, 112.0, &weights);
        assert!(
            (qa.components.resolution - 80.0 / 112.0).abs() < 1e-6,
            "{qa:?}"
        );
        assert!(
            qb.components.resolution < 0.6 * qa.components.resolution,
            "{qb:?}"
        );
        let half = region.clone().with_source_scale(0.5);
        let qc = score_face(&view(&sharp, w, h), &half, 112.0, &weights);
        assert!(
            (qc.components.resolution - 40.0 / 112.0).abs() < 1e-6,
            "{qc:?}"
        );
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
}
