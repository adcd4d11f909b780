//! The face mask and midline: the face oval of the 468-point mesh (or an ellipse in the
//! box), clipped to the frame and rasterised to pixel spans, and the symmetry line.

use super::expression::Expression;
use crate::face::{
    BoundingBox, HeadPose, LandmarkScheme, Landmarks, MESH_FACE_OVAL, MESH_MIDLINE, mean_point,
};
use crate::frame::polygon::{self, FillRule, polygon_rows, scan_polygon};

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

/// A line in frame pixels: a point on it and a unit direction (forehead to chin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Midline {
    pub origin: (f32, f32),
    pub direction: (f32, f32),
}

/// Where a face's midline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MidlineSource {
    /// Least-squares line through the mesh's [`MESH_MIDLINE`] points.
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
    /// Mouth and eye openness (468-point mesh only).
    pub expression: Option<Expression>,
    /// Head pose from `facedetect`, when known ([`FaceRegion::with_pose`]).
    pub pose: Option<HeadPose>,
    /// Pixels of the source frame per pixel of this frame (1 unless an element such as
    /// `facecrop` scaled the face; [`FaceRegion::with_source_scale`]).
    pub source_scale: f32,
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
        let pixels = landmarks.map(|lm| (lm.named_scheme(), lm.to_pixels(bbox)));
        let (polygon, mask, midline, midline_source) = match &pixels {
            Some((Some(LandmarkScheme::Mesh468), px)) if px.len() >= 468 => {
                let polygon: Vec<(f32, f32)> = MESH_FACE_OVAL
                    .iter()
                    .map(|&i| (px[i][0], px[i][1]))
                    .collect();
                let midline = fit_midline(px);
                (polygon, MaskKind::Landmarks, midline, MidlineSource::Mesh)
            }
            other => {
                let polygon = ellipse(bbox);
                let eyes = match other {
                    Some((
                        Some(s @ (LandmarkScheme::BlazeFace6 | LandmarkScheme::CenterFace5)),
                        px,
                    )) => mean_point(px, s.right_eye()).zip(mean_point(px, s.left_eye())),
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
        let expression = match &pixels {
            Some((Some(LandmarkScheme::Mesh468), px)) => Expression::from_mesh(px),
            _ => None,
        };
        Self {
            polygon,
            mask,
            midline,
            midline_source,
            size,
            visible,
            expression,
            pose: None,
            source_scale: 1.0,
            row0,
            rows,
        }
    }

    /// The face's head pose (for the neutrality part of symmetry).
    pub fn with_pose(mut self, pose: Option<HeadPose>) -> Self {
        self.pose = pose;
        self
    }

    /// Source frame pixels per pixel of this frame (ignored unless finite and positive).
    pub fn with_source_scale(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale > 0.0 {
            self.source_scale = scale as f32;
        }
        self
    }

    /// True when pixel (`x`, `y`) is inside the mask (and the frame).
    pub fn contains(&self, x: usize, y: usize) -> bool {
        self.covers(y, x, x + 1)
    }

    /// True when every pixel `x0..x1` of row `y` is inside the mask.
    pub(super) fn covers(&self, y: usize, x0: usize, x1: usize) -> bool {
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
    pub(super) fn bounds(&self) -> Option<(usize, usize, usize, usize)> {
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
    polygon::ellipse([cx, cy], [1.0, 0.0], rx, ry, 32)
        .into_iter()
        .map(|[x, y]| (x, y))
        .collect()
}

/// Principal axis of the mesh's midline points, oriented forehead (10) to chin (152).
fn fit_midline(px: &[[f32; 3]]) -> Midline {
    let n = MESH_MIDLINE.len() as f32;
    let (mx, my) = MESH_MIDLINE.iter().fold((0.0, 0.0), |(sx, sy), &i| {
        (sx + px[i][0] / n, sy + px[i][1] / n)
    });
    let (mut sxx, mut sxy, mut syy) = (0.0f32, 0.0f32, 0.0f32);
    for &i in &MESH_MIDLINE {
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

/// Even-odd scanline fill at pixel centres, clipped to the frame: per row from the first
/// one, the spans `[x0, x1)`.
fn rasterise(poly: &[(f32, f32)], w: usize, h: usize) -> (usize, Vec<Vec<(usize, usize)>>) {
    let poly: Vec<[f32; 2]> = poly.iter().map(|&p| p.into()).collect();
    let range = polygon_rows(&poly, 0..h);
    if w == 0 || range.is_empty() {
        return (0, Vec::new());
    }
    let mut rows = vec![Vec::new(); range.len()];
    scan_polygon(&poly, 0..w, range.clone(), FillRule::EvenOdd, |y, a, b| {
        rows[y - range.start].push((a, b))
    });
    (range.start, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facequality::fixtures::{mesh_on_box, square_box};

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
}
