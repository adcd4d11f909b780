//! Head pose from 3D face landmarks by a rigid (Procrustes / Kabsch) fit to a frontal
//! reference face.
//!
//! Coordinates: x to the image's right, y down, z away from the camera (MediaPipe's image
//! coordinates, right-handed). The fit finds the rotation `R` (and scale, translation) that
//! best maps the frontal reference onto the observed points; `R` is split as
//! `Rz(roll) * Ry(-yaw) * Rx(-pitch)` so that, as documented in [`crate::face::HeadPose`]:
//! pitch > 0 is face up, yaw > 0 is face turned towards the image's right, roll > 0 is a
//! clockwise tilt as seen in the image. All zero means facing the camera.

use nalgebra::{Matrix3, Vector3};

use crate::face::HeadPose;

/// Least-squares rotation taking `reference` onto `observed` (both N x 3, same order),
/// ignoring translation and scale. `None` when fewer than three points or degenerate.
pub fn fit_rotation(reference: &[[f32; 3]], observed: &[[f32; 3]]) -> Option<Matrix3<f64>> {
    let n = reference.len().min(observed.len());
    if n < 3 {
        return None;
    }
    let centroid = |pts: &[[f32; 3]]| {
        pts[..n]
            .iter()
            .fold(Vector3::zeros(), |acc: Vector3<f64>, p| {
                acc + Vector3::new(p[0] as f64, p[1] as f64, p[2] as f64)
            })
            / n as f64
    };
    let cr = centroid(reference);
    let co = centroid(observed);
    let mut h = Matrix3::<f64>::zeros();
    for (r, o) in reference[..n].iter().zip(&observed[..n]) {
        let r = Vector3::new(r[0] as f64, r[1] as f64, r[2] as f64) - cr;
        let o = Vector3::new(o[0] as f64, o[1] as f64, o[2] as f64) - co;
        h += o * r.transpose();
    }
    let svd = h.svd(true, true);
    let (u, v_t) = (svd.u?, svd.v_t?);
    if svd.singular_values[1] < 1e-9 {
        return None;
    }
    // Force a proper rotation (det = +1), never a reflection.
    let d = (u * v_t).determinant().signum();
    let correction = Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, d));
    Some(u * correction * v_t)
}

/// Splits a rotation into the documented pitch, yaw, roll (degrees).
pub fn euler_from_rotation(r: &Matrix3<f64>) -> HeadPose {
    // r = Rz(g) * Ry(b) * Rx(a)
    let b = (-r[(2, 0)]).clamp(-1.0, 1.0).asin();
    let a = r[(2, 1)].atan2(r[(2, 2)]);
    let g = r[(1, 0)].atan2(r[(0, 0)]);
    HeadPose {
        pitch: -a.to_degrees(),
        yaw: -b.to_degrees(),
        roll: g.to_degrees(),
    }
}

/// The rotation for a documented pose (inverse of [`euler_from_rotation`]).
pub fn rotation_from_euler(pose: &HeadPose) -> Matrix3<f64> {
    let a = (-pose.pitch).to_radians();
    let b = (-pose.yaw).to_radians();
    let g = pose.roll.to_radians();
    let rx = Matrix3::new(1.0, 0.0, 0.0, 0.0, a.cos(), -a.sin(), 0.0, a.sin(), a.cos());
    let ry = Matrix3::new(b.cos(), 0.0, b.sin(), 0.0, 1.0, 0.0, -b.sin(), 0.0, b.cos());
    let rz = Matrix3::new(g.cos(), -g.sin(), 0.0, g.sin(), g.cos(), 0.0, 0.0, 0.0, 1.0);
    rz * ry * rx
}

/// Head pose of observed landmarks against a reference of the same scheme.
pub fn head_pose(reference: &[[f32; 3]], observed: &[[f32; 3]]) -> Option<HeadPose> {
    fit_rotation(reference, observed).map(|r| euler_from_rotation(&r))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small asymmetric 3D point set with a "nose" pointing to -z (towards the camera).
    fn face() -> Vec<[f32; 3]> {
        vec![
            [-1.0, -0.5, 0.2],
            [1.0, -0.5, 0.2],
            [0.0, 0.2, -0.8],
            [0.0, 1.0, 0.0],
            [-0.7, 0.8, 0.3],
            [0.7, 0.8, 0.3],
            [0.0, -1.5, 0.1],
        ]
    }

    fn transform(
        points: &[[f32; 3]],
        r: &Matrix3<f64>,
        scale: f64,
        shift: [f64; 3],
    ) -> Vec<[f32; 3]> {
        points
            .iter()
            .map(|p| {
                let v = r * Vector3::new(p[0] as f64, p[1] as f64, p[2] as f64) * scale;
                [
                    (v.x + shift[0]) as f32,
                    (v.y + shift[1]) as f32,
                    (v.z + shift[2]) as f32,
                ]
            })
            .collect()
    }

    #[test]
    fn recovers_known_poses() {
        for &(pitch, yaw, roll) in &[
            (0.0, 0.0, 0.0),
            (10.0, -25.0, 5.0),
            (-20.0, 40.0, -15.0),
            (5.0, 60.0, 30.0),
        ] {
            let pose = HeadPose { pitch, yaw, roll };
            let obs = transform(
                &face(),
                &rotation_from_euler(&pose),
                37.0,
                [100.0, 50.0, 3.0],
            );
            let got = head_pose(&face(), &obs).unwrap();
            assert!((got.pitch - pitch).abs() < 1e-3, "{got:?}");
            assert!((got.yaw - yaw).abs() < 1e-3, "{got:?}");
            assert!((got.roll - roll).abs() < 1e-3, "{got:?}");
        }
    }

    #[test]
    fn sign_conventions_match_the_docs() {
        let nose = |pose: HeadPose| {
            let obs = transform(&face(), &rotation_from_euler(&pose), 1.0, [0.0; 3]);
            obs[2]
        };
        // Yaw > 0: nose moves to the image's right.
        assert!(
            nose(HeadPose {
                yaw: 20.0,
                ..Default::default()
            })[0]
                > 0.1
        );
        // Pitch > 0: nose moves up (y decreases).
        assert!(
            nose(HeadPose {
                pitch: 20.0,
                ..Default::default()
            })[1]
                < 0.2 - 0.1
        );
        // Roll > 0: the right-hand eye goes down (clockwise as seen with y down).
        let obs = transform(
            &face(),
            &rotation_from_euler(&HeadPose {
                roll: 20.0,
                ..Default::default()
            }),
            1.0,
            [0.0; 3],
        );
        assert!(obs[1][1] > obs[0][1]);
    }

    #[test]
    fn mirrored_points_flip_yaw_and_roll() {
        let pose = HeadPose {
            pitch: 8.0,
            yaw: 30.0,
            roll: 12.0,
        };
        let obs = transform(&face(), &rotation_from_euler(&pose), 1.0, [0.0; 3]);
        // Mirror the image (x -> -x) and the mirror-pair order (0 <-> 1, 4 <-> 5).
        let mut mirrored: Vec<[f32; 3]> = obs.iter().map(|p| [-p[0], p[1], p[2]]).collect();
        mirrored.swap(0, 1);
        mirrored.swap(4, 5);
        let got = head_pose(&face(), &mirrored).unwrap();
        assert!(
            (got.yaw + 30.0).abs() < 1e-3
                && (got.roll + 12.0).abs() < 1e-3
                && (got.pitch - 8.0).abs() < 1e-3,
            "{got:?}"
        );
    }

    #[test]
    fn degenerate_input_gives_none() {
        assert!(head_pose(&face()[..2], &face()[..2]).is_none());
        let flat = vec![[0.0, 0.0, 0.0]; 5];
        assert!(head_pose(&flat, &flat).is_none());
    }
}
