//! dlib's aligned face chip (150x150, padding 0.25) from FaceMesh landmarks.
//!
//! dlib's `get_face_chip_details(shape, 150, 0.25)` fits a similarity transform (least
//! squares) from five template points to the five points of its `shape_predictor_5` model
//! and samples the chip through it. We give it the same five points taken from the
//! 468-point FaceMesh:
//!
//! | dlib 5-point part | what it is (subject's side)        | dlib 68-point | FaceMesh |
//! | ----------------- | ---------------------------------- | ------------- | -------- |
//! | 0                 | left eye, outer corner (image right) | 45          | 263      |
//! | 1                 | left eye, inner corner             | 42            | 362      |
//! | 2                 | right eye, outer corner (image left) | 36          | 33       |
//! | 3                 | right eye, inner corner            | 39            | 133      |
//! | 4                 | base of the nose (subnasale)       | 33            | 2        |
//!
//! The chip is sampled through the crate's one frame sampler ([`sample_nchw`]) which fills
//! anything outside the frame with black, as dlib does, so faces at the frame edge never
//! read out of bounds. Faces much larger than the chip are sampled at up to 4x the chip
//! size and box-averaged down, like dlib's pyramid for large downscales.

use crate::frame::image::{Affine, ImageView, sample_nchw};

/// Chip side in pixels (the network's input size).
pub const CHIP_SIZE: usize = 150;
/// dlib's padding around the template, as a fraction of the template's size.
pub const CHIP_PADDING: f64 = 0.25;
/// FaceMesh indices of dlib's five points, in dlib's order (see the table above).
pub const MESH_FIVE_POINTS: [usize; 5] = [263, 362, 33, 133, 2];
/// dlib's template for the five points, in a unit square before padding
/// (`get_face_chip_details`, 5-point branch).
const TEMPLATE: [[f64; 2]; 5] = [
    [0.859_567_459_599_2, 0.213_498_153_801_4],
    [0.646_060_476_410_4, 0.228_967_438_767_7],
    [0.120_575_062_078_9, 0.213_727_452_684_8],
    [0.334_085_061_371_2, 0.229_064_240_324_2],
    [0.490_112_313_567_9, 0.627_797_531_647_5],
];
/// Largest supersampling factor per axis for large faces.
const MAX_SUPERSAMPLE: usize = 4;

/// The five template points in chip pixel coordinates (pixel centres at integers).
pub fn template_points() -> [[f64; 2]; 5] {
    TEMPLATE.map(|[x, y]| {
        let k = CHIP_SIZE as f64 / (2.0 * CHIP_PADDING + 1.0);
        [(CHIP_PADDING + x) * k, (CHIP_PADDING + y) * k]
    })
}

/// Least-squares similarity transform (rotation, uniform scale, translation) taking `from`
/// onto `to`, as dlib's `find_similarity_transform`. Returns `None` for degenerate input.
pub fn similarity(from: &[[f64; 2]], to: &[[f64; 2]]) -> Option<Affine> {
    let n = from.len();
    if n < 2 || n != to.len() {
        return None;
    }
    let mean = |p: &[[f64; 2]]| {
        let (sx, sy) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
        (sx / n as f64, sy / n as f64)
    };
    let (fx, fy) = mean(from);
    let (tx, ty) = mean(to);
    let (mut dot, mut cross, mut norm) = (0.0, 0.0, 0.0);
    for (f, t) in from.iter().zip(to) {
        let (ax, ay) = (f[0] - fx, f[1] - fy);
        let (bx, by) = (t[0] - tx, t[1] - ty);
        dot += ax * bx + ay * by;
        cross += ax * by - ay * bx;
        norm += ax * ax + ay * ay;
    }
    if norm <= 1e-12 {
        return None;
    }
    let (a, b) = (dot / norm, cross / norm);
    if !(a.is_finite() && b.is_finite()) || a.hypot(b) < 1e-9 {
        return None;
    }
    // [x, y] = [[a, -b], [b, a]] * [u, v] + t
    Some(Affine {
        a: a as f32,
        b: -b as f32,
        c: b as f32,
        d: a as f32,
        tx: (tx - (a * fx - b * fy)) as f32,
        ty: (ty - (b * fx + a * fy)) as f32,
    })
}

/// Where an aligned chip comes from: the map from chip pixels to frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChipGeometry {
    pub map: Affine,
}

impl ChipGeometry {
    /// From the 468 FaceMesh points in frame pixels (continuous coordinates, as the metadata
    /// carries them). `None` when the points are too few or degenerate.
    pub fn from_mesh(points: &[[f32; 3]]) -> Option<Self> {
        let to: Vec<[f64; 2]> = MESH_FIVE_POINTS
            .iter()
            .map(|&i| {
                points
                    .get(i)
                    .map(|p| [p[0] as f64 - 0.5, p[1] as f64 - 0.5])
            })
            .collect::<Option<_>>()?;
        Self::from_five(&to.try_into().ok()?)
    }

    /// From dlib's five points in frame pixel-centre coordinates.
    pub fn from_five(points: &[[f64; 2]; 5]) -> Option<Self> {
        similarity(&template_points(), points).map(|map| Self { map })
    }

    /// Frame pixels per chip pixel.
    pub fn scale(&self) -> f32 {
        self.map.a.hypot(self.map.c)
    }

    /// Inter-ocular distance in frame pixels implied by the template (outer corners).
    #[allow(dead_code)] // unused so far (the crate-private API made rustc see it)
    pub fn eye_distance(&self) -> f32 {
        let t = template_points();
        let dx = (t[0][0] - t[2][0]) as f32;
        let dy = (t[0][1] - t[2][1]) as f32;
        dx.hypot(dy) * self.scale()
    }
}

/// Samples the chip: planar RGB (NCHW, one image) values 0..255, the network's input.
pub fn extract_chip(image: &ImageView, geometry: &ChipGeometry, out: &mut Vec<f32>) {
    let plane = CHIP_SIZE * CHIP_SIZE;
    out.clear();
    out.resize(3 * plane, 0.0);
    let n = (geometry.scale().ceil() as usize).clamp(1, MAX_SUPERSAMPLE);
    if n == 1 {
        sample_nchw(
            image,
            &geometry.map,
            CHIP_SIZE,
            CHIP_SIZE,
            1.0,
            0.0,
            0.0,
            out,
        );
        return;
    }
    // Sample n x n points per chip pixel, centred on it, and average them.
    let big = CHIP_SIZE * n;
    let k = 1.0 / n as f32;
    let m = geometry.map;
    let offset = (1.0 - n as f32) / (2.0 * n as f32);
    let fine = Affine {
        a: m.a * k,
        b: m.b * k,
        c: m.c * k,
        d: m.d * k,
        tx: m.tx + (m.a + m.b) * offset,
        ty: m.ty + (m.c + m.d) * offset,
    };
    let mut samples = vec![0.0f32; 3 * big * big];
    sample_nchw(image, &fine, big, big, 1.0, 0.0, 0.0, &mut samples);
    let norm = 1.0 / (n * n) as f32;
    for c in 0..3 {
        let src = &samples[c * big * big..(c + 1) * big * big];
        let dst = &mut out[c * plane..(c + 1) * plane];
        for v in 0..CHIP_SIZE {
            for u in 0..CHIP_SIZE {
                let mut sum = 0.0;
                for dy in 0..n {
                    let row = &src[(v * n + dy) * big + u * n..][..n];
                    sum += row.iter().sum::<f32>();
                }
                dst[v * CHIP_SIZE + u] = sum * norm;
            }
        }
    }
}

/// Packed RGB bytes of a planar chip (for PNG/JPEG files and GstSamples).
pub fn chip_to_rgb(planar: &[f32]) -> Vec<u8> {
    let plane = CHIP_SIZE * CHIP_SIZE;
    let mut out = Vec::with_capacity(3 * plane);
    for i in 0..plane {
        for c in 0..3 {
            out.push(planar[c * plane + i].round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::image::Layout;

    #[test]
    fn similarity_recovers_a_known_transform() {
        let from = template_points();
        let (s, angle, t) = (2.5f64, 0.3f64, [40.0, -7.0]);
        let to: Vec<[f64; 2]> = from
            .iter()
            .map(|p| {
                let (sin, cos) = angle.sin_cos();
                [
                    s * (cos * p[0] - sin * p[1]) + t[0],
                    s * (sin * p[0] + cos * p[1]) + t[1],
                ]
            })
            .collect();
        let m = similarity(&from, &to).unwrap();
        for (f, g) in from.iter().zip(&to) {
            let (x, y) = m.apply(f[0] as f32, f[1] as f32);
            assert!((x as f64 - g[0]).abs() < 1e-3 && (y as f64 - g[1]).abs() < 1e-3);
        }
        let geometry = ChipGeometry { map: m };
        assert!((geometry.scale() - 2.5).abs() < 1e-4);
    }

    #[test]
    fn degenerate_points_give_no_geometry() {
        assert!(ChipGeometry::from_five(&[[10.0, 10.0]; 5]).is_none());
        assert!(ChipGeometry::from_mesh(&[[0.0; 3]; 10]).is_none());
    }

    #[test]
    fn template_sits_inside_the_chip_with_the_eyes_level() {
        let t = template_points();
        for p in t {
            assert!(p[0] > 0.0 && p[0] < CHIP_SIZE as f64 && p[1] > 0.0 && p[1] < CHIP_SIZE as f64);
        }
        assert!((t[0][1] - t[2][1]).abs() < 0.1);
        // Subject's left eye on the image right, nose below the eyes.
        assert!(t[0][0] > t[2][0] && t[4][1] > t[0][1]);
    }

    #[test]
    fn face_beyond_the_frame_edge_reads_black_not_out_of_bounds() {
        let (w, h) = (40usize, 30usize);
        let data = vec![200u8; w * h * 3];
        let image = ImageView::new(Layout::RGB, w, h, [&data, &[], &[]], [w * 3, 0, 0]).unwrap();
        // Five points mostly left of and above the frame, face 3x the frame.
        let t = template_points();
        let to = t.map(|p| [p[0] * 0.8 - 60.0, p[1] * 0.8 - 50.0]);
        let geometry = ChipGeometry::from_five(&to).unwrap();
        let mut chip = Vec::new();
        extract_chip(&image, &geometry, &mut chip);
        assert_eq!(chip.len(), 3 * CHIP_SIZE * CHIP_SIZE);
        assert_eq!(chip[0], 0.0, "outside the frame is black");
        assert!(
            chip.iter().any(|&v| (v - 200.0).abs() < 1e-3),
            "inside is the frame"
        );
    }

    #[test]
    fn supersampling_averages_a_fine_pattern() {
        // Stripes one pixel wide, face 4x larger than the chip: the chip sees grey.
        let (w, h) = (800usize, 800usize);
        let mut data = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in (0..w).step_by(2) {
                data[(y * w + x) * 3..][..3].copy_from_slice(&[255, 255, 255]);
            }
        }
        let image = ImageView::new(Layout::RGB, w, h, [&data, &[], &[]], [w * 3, 0, 0]).unwrap();
        let to = template_points().map(|p| [p[0] * 4.0 + 100.0, p[1] * 4.0 + 100.0]);
        let geometry = ChipGeometry::from_five(&to).unwrap();
        let mut chip = Vec::new();
        extract_chip(&image, &geometry, &mut chip);
        let mean =
            chip[..CHIP_SIZE * CHIP_SIZE].iter().sum::<f32>() / (CHIP_SIZE * CHIP_SIZE) as f32;
        let spread = chip[..CHIP_SIZE * CHIP_SIZE]
            .iter()
            .map(|v| (v - mean).abs())
            .fold(0.0f32, f32::max);
        assert!(
            (mean - 127.5).abs() < 5.0 && spread < 10.0,
            "mean {mean} spread {spread}"
        );
    }
}
