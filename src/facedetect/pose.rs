//! Head pose from 3D face landmarks: the rotation of a frontal reference face that best
//! explains where the landmarks appear in the image.
//!
//! Coordinates: x to the image's right, y down, z away from the camera (MediaPipe's image
//! coordinates, right-handed). The fit is weak perspective (scaled orthographic): the
//! observed image positions (x, y) are matched by `s * (R p)_xy + t` over the reference
//! points `p`, starting from a rigid 3D (Kabsch) fit. Only x, y of the observation are used
//! in the end because FaceMesh's z is a weakly supervised output whose scale is only roughly
//! that of x (MediaPipe's own note); the depth comes from the reference instead.
//!
//! `R` is split as `Rx(-pitch) * Ry(-yaw) * Rz(roll)`, the order in which AFLW2000-3D's
//! `Pose_Para` (and the published Hopenet / FSA-Net / 6DRepNet figures) are given, so that,
//! as documented in [`crate::face::HeadPose`]: pitch > 0 is face up, yaw > 0 is face turned
//! towards the image's right, roll > 0 is a clockwise tilt as seen in the image. All zero
//! means facing the camera.

use nalgebra::{Matrix3, Matrix6, Rotation3, Vector3, Vector6};

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
    // r = Rx(a) * Ry(b) * Rz(g)
    let b = r[(0, 2)].clamp(-1.0, 1.0).asin();
    let a = (-r[(1, 2)]).atan2(r[(2, 2)]);
    let g = (-r[(0, 1)]).atan2(r[(0, 0)]);
    HeadPose {
        pitch: -a.to_degrees(),
        yaw: -b.to_degrees(),
        roll: g.to_degrees(),
        confidence: 1.0,
    }
}

/// The rotation for a documented pose (inverse of [`euler_from_rotation`]).
pub fn rotation_from_euler(pose: &HeadPose) -> Matrix3<f64> {
    let r = pose.rotation();
    Matrix3::from_fn(|i, j| r[i][j])
}

/// Gauss-Newton steps of the weak-perspective fit; it converges in a handful from Kabsch.
const WEAK_PERSPECTIVE_STEPS: usize = 20;

/// Refines `initial` to the rotation `R` (with scale `s` and image shift `t`) minimising
/// `sum |s * (R p)_xy + t - o_xy|^2` over reference points `p` and observed points `o`:
/// a scaled orthographic camera, which ignores the observation's z. `None` when fewer than
/// four points or degenerate.
pub fn fit_weak_perspective(
    reference: &[[f32; 3]],
    observed: &[[f32; 3]],
    initial: &Matrix3<f64>,
) -> Option<Matrix3<f64>> {
    let n = reference.len().min(observed.len());
    if n < 4 {
        return None;
    }
    let p: Vec<Vector3<f64>> = reference[..n]
        .iter()
        .map(|q| Vector3::new(q[0] as f64, q[1] as f64, q[2] as f64))
        .collect();
    let o: Vec<[f64; 2]> = observed[..n]
        .iter()
        .map(|q| [q[0] as f64, q[1] as f64])
        .collect();
    let mut r = *initial;
    // Scale and shift for the initial rotation: match the spread and the centroid.
    let centre = |v: &mut dyn Iterator<Item = [f64; 2]>| {
        v.fold([0.0, 0.0], |a, q| [a[0] + q[0], a[1] + q[1]])
            .map(|s| s / n as f64)
    };
    let projected: Vec<[f64; 2]> = p.iter().map(|q| (r * q).xy().into()).collect();
    let (cp, co) = (
        centre(&mut projected.iter().copied()),
        centre(&mut o.iter().copied()),
    );
    let spread = |v: &[[f64; 2]], c: [f64; 2]| {
        v.iter()
            .map(|q| (q[0] - c[0]).powi(2) + (q[1] - c[1]).powi(2))
            .sum::<f64>()
    };
    let sp = spread(&projected, cp);
    if sp < 1e-12 {
        return None;
    }
    let mut s = (spread(&o, co) / sp).sqrt();
    let mut t = [co[0] - s * cp[0], co[1] - s * cp[1]];
    for _ in 0..WEAK_PERSPECTIVE_STEPS {
        // Parameters: a small rotation v (R <- exp(v) R), then s, tx, ty.
        let mut jtj = Matrix6::<f64>::zeros();
        let mut jtr = Vector6::<f64>::zeros();
        for (q, ob) in p.iter().zip(&o) {
            let x = r * q;
            let residual = [s * x.x + t[0] - ob[0], s * x.y + t[1] - ob[1]];
            for (row, res) in residual.iter().enumerate() {
                let mut j = Vector6::<f64>::zeros();
                for k in 0..3 {
                    // d(exp(v) x)/dv_k = e_k x x
                    let d = Vector3::ith(k, 1.0).cross(&x);
                    j[k] = s * d[row];
                }
                j[3] = x[row];
                j[4 + row] = 1.0;
                jtj += j * j.transpose();
                jtr += j * *res;
            }
        }
        let step = jtj.cholesky()?.solve(&(-jtr));
        r = Rotation3::from_scaled_axis(Vector3::new(step[0], step[1], step[2])).into_inner() * r;
        s += step[3];
        t = [t[0] + step[4], t[1] + step[5]];
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        if step.fixed_rows::<3>(0).norm() < 1e-10 {
            break;
        }
    }
    Some(r)
}

/// Head pose of observed landmarks against a reference of the same scheme: a rigid 3D fit
/// refined by the weak-perspective fit on the image positions.
pub fn head_pose(reference: &[[f32; 3]], observed: &[[f32; 3]]) -> Option<HeadPose> {
    let initial = fit_rotation(reference, observed)?;
    fit_weak_perspective(reference, observed, &initial).map(|r| euler_from_rotation(&r))
}

/// The rigid 3D fit alone (Kabsch on all three coordinates, FaceMesh's z included), split
/// like [`head_pose`]: the element's method before the weak-perspective refinement, kept as
/// the peer that `bench/headpose.sh` prints beside it.
pub fn rigid_head_pose(reference: &[[f32; 3]], observed: &[[f32; 3]]) -> Option<HeadPose> {
    fit_rotation(reference, observed).map(|r| euler_from_rotation(&r))
}

/// Angle (degrees) of the rotation between two poses: the error of an estimate as one
/// number that does not depend on how the rotation is split into three angles (near 90° of
/// yaw pitch and roll trade off, so their separate errors can be large for a small rotation).
pub fn rotation_error(a: &HeadPose, b: &HeadPose) -> f64 {
    let d = rotation_from_euler(a).transpose() * rotation_from_euler(b);
    ((d.trace() - 1.0) / 2.0)
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees()
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
            let pose = HeadPose {
                pitch,
                yaw,
                roll,
                confidence: 1.0,
            };
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
            confidence: 1.0,
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
    fn ignores_the_scale_of_observed_depth() {
        // FaceMesh's z is only roughly in x's scale: squashing or stretching it must not
        // change the pose, since only the image positions are matched.
        let pose = HeadPose {
            pitch: -12.0,
            yaw: 35.0,
            roll: 7.0,
            confidence: 1.0,
        };
        for z_scale in [0.3f32, 2.5] {
            let obs: Vec<[f32; 3]> =
                transform(&face(), &rotation_from_euler(&pose), 20.0, [5.0; 3])
                    .into_iter()
                    .map(|p| [p[0], p[1], p[2] * z_scale])
                    .collect();
            let got = head_pose(&face(), &obs).unwrap();
            assert!(
                (got.pitch - pose.pitch).abs() < 1e-3
                    && (got.yaw - pose.yaw).abs() < 1e-3
                    && (got.roll - pose.roll).abs() < 1e-3,
                "z x{z_scale}: {got:?}"
            );
        }
    }

    #[test]
    fn pitch_is_applied_after_yaw_and_roll() {
        // AFLW2000-3D's order: R = Rx(pitch) Ry(yaw) Rz(roll), so a turned face nods about
        // the camera's x axis.
        let p = HeadPose {
            pitch: 20.0,
            yaw: 60.0,
            roll: -10.0,
            confidence: 1.0,
        };
        let only = |pitch, yaw, roll| {
            rotation_from_euler(&HeadPose {
                pitch,
                yaw,
                roll,
                confidence: 1.0,
            })
        };
        let composed = only(p.pitch, 0.0, 0.0) * only(0.0, p.yaw, 0.0) * only(0.0, 0.0, p.roll);
        assert!((rotation_from_euler(&p) - composed).norm() < 1e-12);
    }

    #[test]
    fn rotation_error_is_the_angle_between_poses() {
        let a = HeadPose {
            pitch: 10.0,
            yaw: 20.0,
            roll: -5.0,
            confidence: 1.0,
        };
        assert!(rotation_error(&a, &a) < 1e-6);
        // Changing only the middle angle is a rotation by the difference (R = Rx Ry Rz).
        let turned = HeadPose { yaw: 35.0, ..a };
        assert!((rotation_error(&a, &turned) - 15.0).abs() < 1e-6);
        // Near 90 deg of yaw a large pitch/roll trade (opposite signs for yaw > 0) is a
        // small rotation.
        let p = HeadPose {
            pitch: -40.0,
            yaw: 88.0,
            roll: 40.0,
            confidence: 1.0,
        };
        let q = HeadPose {
            pitch: 0.0,
            yaw: 88.0,
            roll: 0.0,
            confidence: 1.0,
        };
        assert!(rotation_error(&p, &q) < 10.0, "{}", rotation_error(&p, &q));
    }

    #[test]
    fn rigid_fit_recovers_a_rigid_pose() {
        let pose = HeadPose {
            pitch: -12.0,
            yaw: 35.0,
            roll: 7.0,
            confidence: 1.0,
        };
        let obs = transform(&face(), &rotation_from_euler(&pose), 20.0, [5.0; 3]);
        let got = rigid_head_pose(&face(), &obs).unwrap();
        assert!(rotation_error(&got, &pose) < 1e-3, "{got:?}");
    }

    #[test]
    fn degenerate_input_gives_none() {
        assert!(head_pose(&face()[..2], &face()[..2]).is_none());
        let flat = vec![[0.0, 0.0, 0.0]; 5];
        assert!(head_pose(&flat, &flat).is_none());
    }
}
