//! Synthetic faces for unit tests: the reference face turned and placed in a frame.

use super::reference::FACE_REFERENCE_468;
use super::{BoundingBox, Face, HeadPose, Landmarks};

/// The 468 reference points turned to `pose`, `scale` px per unit, centred at `centre`.
pub fn posed_reference(pose: &HeadPose, centre: [f32; 2], scale: f32) -> Vec<[f32; 3]> {
    let r = pose.rotation();
    FACE_REFERENCE_468
        .iter()
        .map(|p| {
            let q: [f64; 3] =
                std::array::from_fn(|i| (0..3).map(|k| r[i][k] * p[k] as f64).sum::<f64>());
            [
                centre[0] + scale * q[0] as f32,
                centre[1] + scale * q[1] as f32,
                scale * q[2] as f32,
            ]
        })
        .collect()
}

/// A detected face (box = the points' extent) carrying `points` as its mesh landmarks.
pub fn mesh_face(points: &[[f32; 3]], head_pose: Option<HeadPose>) -> Face {
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in points {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    let bbox = BoundingBox::new(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]);
    Face {
        track_id: 1,
        landmarks: Some(Landmarks::from_pixels("mediapipe-468", points, &bbox)),
        bbox,
        confidence: 0.9,
        detector: "test".into(),
        tracked: false,
        age: 0,
        head_pose,
        params: Vec::new(),
    }
}
