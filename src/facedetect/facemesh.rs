//! FaceMesh crops and landmark mapping (MediaPipe's face landmark model: 468 3D points).
//!
//! The model sees a square crop around the face, about 1.5x the face, rotated so the eye line
//! is level, as MediaPipe builds it; from the second frame on the crop comes from the
//! previous frame's landmarks, which follows the face between detector runs.

use crate::face::BoundingBox;
use crate::frame::image::Affine;

/// Input side of the FaceMesh model.
pub const MESH_INPUT: usize = 192;
/// Number of mesh points.
pub const MESH_POINTS: usize = 468;
/// Mesh indices of the outer eye corners, subject's right then left (image left, right).
pub const MESH_EYE_CORNERS: (usize, usize) = (33, 263);
/// How much larger than the face the crop is (MediaPipe uses 1.5).
const CROP_SCALE: f32 = 1.5;

/// A rotated square crop of the frame, in continuous frame coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crop {
    pub cx: f32,
    pub cy: f32,
    pub side: f32,
    /// Clockwise rotation (radians) of the crop as seen in the image.
    pub angle: f32,
}

impl Crop {
    /// Crop from a detection box and its two eye keypoints (subject's right, then left).
    pub fn from_detection(bbox: &BoundingBox, right_eye: (f32, f32), left_eye: (f32, f32)) -> Self {
        let (cx, cy) = bbox.center();
        Self {
            cx,
            cy,
            side: bbox.width.max(bbox.height) * CROP_SCALE,
            angle: (left_eye.1 - right_eye.1).atan2(left_eye.0 - right_eye.0),
        }
    }

    /// Crop from the previous frame's landmarks (frame pixels).
    pub fn from_landmarks(points: &[[f32; 3]]) -> Option<Self> {
        let (r, l) = MESH_EYE_CORNERS;
        if points.len() <= r.max(l) {
            return None;
        }
        let angle = (points[l][1] - points[r][1]).atan2(points[l][0] - points[r][0]);
        // Extent of the points in the face's own (de-rotated) axes.
        let (c, size) = Affine::turned_extent(points.iter().map(|p| [p[0], p[1]]), angle);
        Some(Self {
            cx: c[0],
            cy: c[1],
            side: size[0].max(size[1]) * CROP_SCALE,
            angle,
        })
    }

    /// Map from model input pixels to frame pixels (pixel-centre coordinates).
    pub fn affine(&self) -> Affine {
        Affine::rotated_square(self.cx, self.cy, self.side, self.angle, MESH_INPUT)
    }

    /// Maps model output points (input pixels, z in the same unit) to frame pixels.
    pub fn to_frame(self, raw: &[f32]) -> Vec<[f32; 3]> {
        let map = self.affine();
        let z_scale = self.side / MESH_INPUT as f32;
        raw.chunks_exact(3)
            .map(|p| {
                let (x, y) = map.apply_continuous(p[0], p[1]);
                [x, y, p[2] * z_scale]
            })
            .collect()
    }
}

/// Axis-aligned box around points (frame pixels).
pub fn points_bbox(points: &[[f32; 3]]) -> BoundingBox {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    BoundingBox::new(x0, y0, x1 - x0, y1 - y0)
}

/// A face box expressed relative to the box of its landmarks, so that a box like the
/// detector's can be predicted from landmarks alone on frames the detector skipped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxFromLandmarks {
    dx: f32,
    dy: f32,
    sw: f32,
    sh: f32,
}

impl BoxFromLandmarks {
    pub fn learn(detected: &BoundingBox, landmarks_box: &BoundingBox) -> Option<Self> {
        if landmarks_box.width <= 1.0 || landmarks_box.height <= 1.0 {
            return None;
        }
        Some(Self {
            dx: (detected.x - landmarks_box.x) / landmarks_box.width,
            dy: (detected.y - landmarks_box.y) / landmarks_box.height,
            sw: detected.width / landmarks_box.width,
            sh: detected.height / landmarks_box.height,
        })
    }

    pub fn apply(&self, landmarks_box: &BoundingBox) -> BoundingBox {
        BoundingBox::new(
            landmarks_box.x + self.dx * landmarks_box.width,
            landmarks_box.y + self.dy * landmarks_box.height,
            self.sw * landmarks_box.width,
            self.sh * landmarks_box.height,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_crop_is_square_and_level_for_level_eyes() {
        let c = Crop::from_detection(
            &BoundingBox::new(10.0, 20.0, 40.0, 60.0),
            (20.0, 40.0),
            (40.0, 40.0),
        );
        assert_eq!((c.cx, c.cy, c.side, c.angle), (30.0, 50.0, 90.0, 0.0));
    }

    #[test]
    fn crop_maps_model_centre_to_crop_centre() {
        let c = Crop {
            cx: 100.0,
            cy: 80.0,
            side: 96.0,
            angle: 0.3,
        };
        let p = c.to_frame(&[96.0, 96.0, 10.0]);
        assert!((p[0][0] - 100.0).abs() < 1e-3 && (p[0][1] - 80.0).abs() < 1e-3);
        assert!((p[0][2] - 5.0).abs() < 1e-4);
    }

    #[test]
    fn landmark_crop_follows_rotation() {
        // Points on a tilted square of side 40 centred at (50, 50), eyes along its top edge.
        let a: f32 = 0.4;
        let (s, c) = a.sin_cos();
        let rot = |u: f32, v: f32| [50.0 + u * c - v * s, 50.0 + u * s + v * c, 0.0];
        let mut pts = vec![[0.0; 3]; 300];
        for (i, p) in pts.iter_mut().enumerate() {
            let t = i as f32 / 299.0 * 40.0 - 20.0;
            *p = if i % 2 == 0 {
                rot(t, -20.0)
            } else {
                rot(t, 20.0)
            };
        }
        pts[33] = rot(-20.0, -20.0);
        pts[263] = rot(20.0, -20.0);
        let crop = Crop::from_landmarks(&pts).unwrap();
        assert!((crop.angle - a).abs() < 1e-4);
        assert!((crop.cx - 50.0).abs() < 1e-3 && (crop.cy - 50.0).abs() < 1e-3);
        assert!((crop.side - 60.0).abs() < 1e-3);
    }

    #[test]
    fn box_from_landmarks_round_trip() {
        let det = BoundingBox::new(10.0, 10.0, 50.0, 60.0);
        let lm = BoundingBox::new(15.0, 5.0, 40.0, 70.0);
        let rel = BoxFromLandmarks::learn(&det, &lm).unwrap();
        assert_eq!(rel.apply(&lm), det);
    }
}
