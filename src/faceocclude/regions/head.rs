//! The head model behind `head`, `ears` and `neck`, and where it sits in the frame.

use crate::face::HeadPose;

// The head model, in the reference face's units (outer eye corners 1 apart, about 9 cm;
// x image right, y down, z away from the camera, origin near the nose bridge): a skull
// ellipsoid ~16 x 20 x 20 cm reaching ~8 cm above the top of the mesh (hair included), two
// ears ~6 cm tall beside it at eye-to-mouth height ~9 cm behind the eye corners, and a neck
// column below the jaw.
pub(super) const SKULL_CENTRE: [f32; 3] = [0.0, -0.55, 1.0];
pub(super) const SKULL_RADII: [f32; 3] = [0.9, 1.12, 1.1];
pub(super) const EAR_CENTRE: [f32; 3] = [0.9, -0.05, 1.0];
pub(super) const EAR_RADII: [f32; 3] = [0.14, 0.36, 0.22];
/// An ear whose outward normal points this far (sine) away from the camera is hidden behind
/// the cheek and skull: a head turned more than ~25 degrees shows only its near ear.
pub(super) const EAR_HIDDEN_BEYOND: f32 = 0.42;
pub(super) const NECK_AXIS: [f32; 2] = [0.0, 0.85];
pub(super) const NECK_RADII: [f32; 2] = [0.58, 0.45];
pub(super) const NECK_SPAN: [f32; 2] = [0.75, 1.8];
/// Eye line of the reference (outer corners) and the keypoint eyes' distance in its units.
pub(super) const EYE_LINE_Y: f32 = -0.331;
pub(super) const EYE_LINE_Z: f32 = 0.134;
pub(super) const EYE_CENTRES_APART: f32 = 0.7;

/// The rotation of a face: its head pose, or facing the camera with the eye line's roll.
pub(super) fn rotation_of(pose: Option<&HeadPose>, roll: f32) -> [[f32; 3]; 3] {
    let pose = pose.copied().unwrap_or(HeadPose {
        pitch: 0.0,
        yaw: 0.0,
        roll: (roll as f64).to_degrees(),
        confidence: 1.0,
    });
    pose.rotation().map(|row| row.map(|v| v as f32))
}

/// Where a head sits in the frame: a point `p` of the reference face's space appears at
/// `scale * (R p)_xy + shift` (a weak-perspective camera, as `facedetect`'s pose fit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadFrame {
    pub rotation: [[f32; 3]; 3],
    /// Frame pixels per reference unit (outer eye corners 1 apart).
    pub scale: f32,
    pub shift: [f32; 2],
}

impl HeadFrame {
    /// Scale and shift that best (least squares) lay the reference face, turned by
    /// `rotation`, over the observed points (same indexing). `None` when degenerate.
    pub fn fit(
        rotation: [[f32; 3]; 3],
        reference: &[[f32; 3]],
        observed: &[[f32; 3]],
    ) -> Option<Self> {
        let n = reference.len().min(observed.len());
        if n < 3 {
            return None;
        }
        let probe = Self {
            rotation,
            scale: 1.0,
            shift: [0.0; 2],
        };
        let q: Vec<[f32; 2]> = reference[..n].iter().map(|&p| probe.project(p)).collect();
        let mean = |v: &mut dyn Iterator<Item = [f32; 2]>| {
            v.fold([0.0f32; 2], |a, p| [a[0] + p[0], a[1] + p[1]])
                .map(|c| c / n as f32)
        };
        let qm = mean(&mut q.iter().copied());
        let om = mean(&mut observed[..n].iter().map(|p| [p[0], p[1]]));
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for (a, b) in q.iter().zip(&observed[..n]) {
            let (ax, ay) = (a[0] - qm[0], a[1] - qm[1]);
            num += ax * (b[0] - om[0]) + ay * (b[1] - om[1]);
            den += ax * ax + ay * ay;
        }
        let scale = num / den;
        (scale.is_finite() && scale > 1e-3).then(|| Self {
            rotation,
            scale,
            shift: [om[0] - scale * qm[0], om[1] - scale * qm[1]],
        })
    }

    /// The frame where reference point `anchor` appears at pixel `at`.
    pub(super) fn placed(
        rotation: [[f32; 3]; 3],
        scale: f32,
        anchor: [f32; 3],
        at: [f32; 2],
    ) -> Self {
        let mut frame = Self {
            rotation,
            scale,
            shift: [0.0; 2],
        };
        let p = frame.project(anchor);
        frame.shift = [at[0] - p[0], at[1] - p[1]];
        frame
    }

    fn rotate(&self, p: [f32; 3]) -> [f32; 3] {
        let r = &self.rotation;
        std::array::from_fn(|i| r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2])
    }

    /// Pixel position of reference point `p`.
    pub fn project(&self, p: [f32; 3]) -> [f32; 2] {
        let q = self.rotate(p);
        [
            self.scale * q[0] + self.shift[0],
            self.scale * q[1] + self.shift[1],
        ]
    }

    /// How much a flat thing facing the camera with the face (a sticker) narrows as the head
    /// turns: the projected length of the face's x axis (1 facing the camera).
    pub fn foreshortening(&self) -> f32 {
        self.rotation[0][0].hypot(self.rotation[1][0])
    }

    /// True unless the outward `normal` points more than `beyond` (a sine) away from the camera.
    pub(super) fn faces_camera(&self, normal: [f32; 3], beyond: f32) -> bool {
        self.rotate(normal)[2] <= beyond
    }

    /// Pixel positions of points spread over an ellipsoid's surface.
    pub(super) fn ellipsoid(&self, centre: [f32; 3], radii: [f32; 3]) -> Vec<[f32; 2]> {
        let mut out = Vec::with_capacity(12 * 16);
        for i in 0..12 {
            let theta = (i as f32 + 0.5) / 12.0 * std::f32::consts::PI;
            let (st, ct) = theta.sin_cos();
            for j in 0..16 {
                let (sp, cp) = (j as f32 / 16.0 * std::f32::consts::TAU).sin_cos();
                out.push(self.project([
                    centre[0] + radii[0] * st * cp,
                    centre[1] + radii[1] * ct,
                    centre[2] + radii[2] * st * sp,
                ]));
            }
        }
        out
    }

    /// Pixel positions of the two end rings of a vertical elliptic column at `axis` (x, z)
    /// with `radii` (x, z), from `span[0]` to `span[1]` (y).
    pub(super) fn column(&self, axis: [f32; 2], radii: [f32; 2], span: [f32; 2]) -> Vec<[f32; 2]> {
        let mut out = Vec::with_capacity(32);
        for y in span {
            for j in 0..16 {
                let (sp, cp) = (j as f32 / 16.0 * std::f32::consts::TAU).sin_cos();
                out.push(self.project([axis[0] + radii[0] * cp, y, axis[1] + radii[1] * sp]));
            }
        }
        out
    }
}
