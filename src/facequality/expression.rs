//! Expression and pose neutrality: how close a face is to the calm, frontal, eyes-open face a
//! person picks for an identity photo. Measured on the 468-point mesh (mouth and eye
//! openness) and the head pose `facedetect` computed; folded into the symmetry score.

use crate::face::HeadPose;

/// Inner lips, upper and lower (mesh 13, 14), and the inner mouth corners (78, 308).
const LIPS: Pair = (13, 14);
const MOUTH_CORNERS: Pair = (78, 308);
/// Two mesh points whose distance is measured.
type Pair = (usize, usize);
/// Per eye: corners, then three upper/lower lid pairs (the eye aspect ratio's points).
const EYES: [(Pair, [Pair; 3]); 2] = [
    ((33, 133), [(160, 144), (159, 145), (158, 153)]),
    ((263, 362), [(387, 373), (386, 374), (385, 380)]),
];

/// Lip gap over mouth width up to which a mouth counts as calm: closed, speaking, smiling
/// (a smile that shows the teeth measures ~0.3).
const MOUTH_CALM: f64 = 0.2;
/// Lip gap over mouth width beyond the calm allowance at which the mouth factor is 1/2
/// (0.45 in all: a yawn, a shout, a grimace measure 0.5..0.8).
const MOUTH_HALF: f64 = 0.25;
/// Eye aspect ratio (lid gap over eye width, mean of both eyes): at or below `EYES_SHUT` the
/// eyes count as closed, at or above `EYES_OPEN` as open (Soukupova and Cech's blink
/// detector puts the boundary near 0.2).
const EYES_SHUT: f64 = 0.12;
const EYES_OPEN: f64 = 0.22;
/// Factor kept for closed eyes: the face is still a face, but a poor key frame.
const EYES_SHUT_FACTOR: f64 = 0.3;
/// Head turn (degrees, yaw and pitch combined) at which the pose factor is 1/2.
const POSE_HALF_DEG: f64 = 30.0;

/// Mouth and eye openness read from the mesh (pixel coordinates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expression {
    /// Inner lip gap over the inner mouth width: ~0 closed, 0.3+ wide open.
    pub mouth_open: f64,
    /// Eye aspect ratio, mean of both eyes: ~0.3 open, under ~0.15 closed.
    pub eyes_open: f64,
}

impl Expression {
    /// From the 468 mesh points in pixels; `None` for degenerate points.
    pub fn from_mesh(px: &[[f32; 3]]) -> Option<Self> {
        if px.len() < 468 {
            return None;
        }
        let d = |(a, b): Pair| {
            let (dx, dy) = (px[a][0] - px[b][0], px[a][1] - px[b][1]);
            ((dx * dx + dy * dy) as f64).sqrt()
        };
        let width = d(MOUTH_CORNERS);
        let mut ears = Vec::with_capacity(2);
        for (corners, lids) in EYES {
            let w = d(corners);
            if w > 1e-3 {
                ears.push(lids.iter().map(|&p| d(p)).sum::<f64>() / (3.0 * w));
            }
        }
        if width <= 1e-3 || ears.len() < 2 {
            return None;
        }
        let r = Self {
            mouth_open: d(LIPS) / width,
            eyes_open: (ears[0] + ears[1]) / 2.0,
        };
        (r.mouth_open.is_finite() && r.eyes_open.is_finite()).then_some(r)
    }
}

fn smoothstep(lo: f64, hi: f64, x: f64) -> f64 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Neutrality 0..1: mouth factor x eye factor x pose factor; 1 for a calm, eyes-open,
/// frontal face. What is not known (no mesh, no pose) counts as neutral.
///
/// * mouth: 1 up to a lip gap of 0.2 mouth widths, then `2^-((gap - 0.2) / 0.25)^2`
///   (0.8 at 0.32, 0.5 at 0.45, 0.1 at 0.65);
/// * eyes: 0.3 when closed (eye aspect ratio <= 0.12) rising smoothly to 1 when open (>= 0.22);
/// * pose: `2^-(angle / 30°)^2`, angle = sqrt(yaw^2 + pitch^2) (0.5 at 30°, 0.06 at 60°).
pub fn neutrality(expression: Option<Expression>, pose: Option<HeadPose>) -> f64 {
    let (mouth, eyes) = match expression {
        Some(e) => {
            let over = (e.mouth_open - MOUTH_CALM).max(0.0) / MOUTH_HALF;
            let eyes = EYES_SHUT_FACTOR
                + (1.0 - EYES_SHUT_FACTOR) * smoothstep(EYES_SHUT, EYES_OPEN, e.eyes_open);
            ((-over * over).exp2(), eyes)
        }
        None => (1.0, 1.0),
    };
    let pose = match pose {
        Some(p) if p.yaw.is_finite() && p.pitch.is_finite() => {
            let a = p.yaw.hypot(p.pitch) / POSE_HALF_DEG;
            (-a * a).exp2()
        }
        _ => 1.0,
    };
    (mouth * eyes * pose).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::reference::FACE_REFERENCE_468;

    fn mesh() -> Vec<[f32; 3]> {
        // The frontal reference face, 100 px wide, y down.
        FACE_REFERENCE_468
            .iter()
            .map(|p| [50.0 + 100.0 * p[0], 50.0 + 100.0 * p[1], 100.0 * p[2]])
            .collect()
    }

    #[test]
    fn calm_frontal_face_is_neutral() {
        let e = Expression::from_mesh(&mesh()).unwrap();
        assert!(e.mouth_open < MOUTH_CALM, "{e:?}");
        assert!(e.eyes_open > EYES_OPEN, "{e:?}");
        assert!((neutrality(Some(e), Some(HeadPose::default())) - 1.0).abs() < 1e-9);
        assert_eq!(neutrality(None, None), 1.0);
    }

    #[test]
    fn open_mouth_closed_eyes_and_turned_head_lower_it() {
        let calm = Expression {
            mouth_open: 0.05,
            eyes_open: 0.3,
        };
        let n = |e, yaw| {
            neutrality(
                Some(e),
                Some(HeadPose {
                    yaw,
                    ..Default::default()
                }),
            )
        };
        let mut last = n(calm, 0.0);
        for gap in [0.3, 0.45, 0.6, 0.8] {
            let v = n(
                Expression {
                    mouth_open: gap,
                    ..calm
                },
                0.0,
            );
            assert!(v < last, "gap {gap}: {v}");
            last = v;
        }
        assert!(
            (n(
                Expression {
                    mouth_open: 0.45,
                    ..calm
                },
                0.0
            ) - 0.5)
                .abs()
                < 1e-9
        );
        let shut = n(
            Expression {
                eyes_open: 0.05,
                ..calm
            },
            0.0,
        );
        assert!((shut - EYES_SHUT_FACTOR).abs() < 1e-9);
        assert!((n(calm, 30.0) - 0.5).abs() < 1e-9);
        assert!(n(calm, -60.0) < 0.1);
        // The lips of the mesh pulled apart: the mouth opens.
        let mut px = mesh();
        px[14][1] += 20.0;
        let e = Expression::from_mesh(&px).unwrap();
        assert!(e.mouth_open > 0.45, "{e:?}");
    }
}
