//! Which pixels of a hand may show over a covered face: the fingers' bones as capsules
//! narrower than the fingers and the palm's inner polygon, so the gaps between spread
//! fingers (where the face shows through) and a rim round the hand's outline stay covered.

use super::super::mask::Mask;
use super::super::regions::convex_hull;

/// MediaPipe's 21 hand points: 0 wrist; thumb 1..4; index, middle, ring, pinky fingers
/// 5..8, 9..12, 13..16, 17..20 (knuckle first, tip last).
pub const HAND_POINTS: usize = 21;
/// Knuckles of the index, middle, ring and little fingers.
const KNUCKLES: [usize; 4] = [5, 9, 13, 17];
/// The palm's inner outline: wrist, thumb base, the four knuckles.
const PALM: [usize; 6] = [0, 1, 5, 9, 13, 17];
/// Shown share of a finger's width: neighbouring knuckles lie about one finger width
/// apart, so a capsule of 60% of that stays inside the finger even with a landmark a
/// fifth of a finger width off.
const FINGER_SHARE: f32 = 0.6;
/// The palm polygon is shrunk this much towards its centre (its points lie on the
/// palm's edge, not inside it).
const PALM_SHRINK: f32 = 0.85;
/// A fingertip's cap ends this many finger widths short of the tip point: tips are the
/// model's least sure points, and a signer's fingertips touch lips and chin (on the ASL
/// clips the cap ending at the tip point showed a few pixels of lip).
const TIP_SHORT: f32 = 0.4;
/// Fingers narrower than this (pixels) are not worth showing: a landmark error of one
/// pixel would be half the finger.
pub const MIN_FINGER_WIDTH: f32 = 3.0;

/// The bones drawn as capsules: each finger from its knuckle to its tip, the thumb from
/// its second joint.
const BONES: [(usize, usize); 14] = [
    (2, 3),
    (3, 4),
    (5, 6),
    (6, 7),
    (7, 8),
    (9, 10),
    (10, 11),
    (11, 12),
    (13, 14),
    (14, 15),
    (15, 16),
    (17, 18),
    (18, 19),
    (19, 20),
];
/// Fingertips: a capsule ends at the tip point instead of reaching past it.
const TIPS: [usize; 5] = [4, 8, 12, 16, 20];

/// A finger's width in pixels: the mean distance of neighbouring knuckles.
pub fn finger_width(points: &[[f32; 2]; HAND_POINTS]) -> f32 {
    let d: f32 = KNUCKLES
        .windows(2)
        .map(|k| dist(points[k[0]], points[k[1]]))
        .sum();
    d / (KNUCKLES.len() - 1) as f32
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// A convex polygon round the segment `a`-`b` at distance `r` (a capsule; 8 points per cap).
pub fn capsule(a: [f32; 2], b: [f32; 2], r: f32) -> Vec<[f32; 2]> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let base = dy.atan2(dx);
    let mut out = Vec::with_capacity(18);
    for (centre, start) in [
        (b, -std::f32::consts::FRAC_PI_2),
        (a, std::f32::consts::FRAC_PI_2),
    ] {
        for i in 0..=8 {
            let t = base + start + std::f32::consts::PI * i as f32 / 8.0;
            out.push([centre[0] + r * t.cos(), centre[1] + r * t.sin()]);
        }
    }
    out
}

/// The shapes of a hand that may be shown (frame pixels): finger capsules and the palm.
/// Empty when its fingers are narrower than [`MIN_FINGER_WIDTH`].
pub fn hand_shapes(points: &[[f32; 2]; HAND_POINTS]) -> Vec<Vec<[f32; 2]>> {
    let width = finger_width(points);
    if !width.is_finite() || width < MIN_FINGER_WIDTH {
        return Vec::new();
    }
    let r = FINGER_SHARE * width / 2.0;
    let mut shapes: Vec<Vec<[f32; 2]>> = BONES
        .iter()
        .map(|&(i, j)| {
            let (a, mut b) = (points[i], points[j]);
            let len = dist(a, b);
            if TIPS.contains(&j) && len > 0.0 {
                // The cap ends short of the tip point: pull the segment's end back.
                let k = ((len - r - TIP_SHORT * width) / len).max(0.0);
                b = [a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k];
            }
            capsule(a, b, r)
        })
        .collect();
    let n = PALM.len() as f32;
    let c = PALM.iter().fold([0.0, 0.0], |s, &i| {
        [s[0] + points[i][0] / n, s[1] + points[i][1] / n]
    });
    let palm: Vec<[f32; 2]> = PALM
        .iter()
        .map(|&i| {
            let p = points[i];
            [
                c[0] + (p[0] - c[0]) * PALM_SHRINK,
                c[1] + (p[1] - c[1]) * PALM_SHRINK,
            ]
        })
        .collect();
    shapes.push(convex_hull(&palm));
    shapes
}

/// The pixels of `hands` that may show, on a `width` x `height` frame (255: show).
pub fn hands_mask(hands: &[[[f32; 2]; HAND_POINTS]], width: usize, height: usize) -> Mask {
    let shapes: Vec<Vec<[f32; 2]>> = hands.iter().flat_map(hand_shapes).collect();
    let refs: Vec<&[[f32; 2]]> = shapes.iter().map(|s| s.as_slice()).collect();
    let mut mask = Mask::covering(width, height, &refs);
    for s in &shapes {
        mask.fill_convex(s, 255);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upright open hand: wrist at (100, 200), fingers spread upwards, knuckles `k` apart.
    pub fn open_hand(k: f32) -> [[f32; 2]; HAND_POINTS] {
        let mut p = [[0.0; 2]; HAND_POINTS];
        p[0] = [100.0, 200.0];
        // Thumb out to the left.
        for (j, i) in (1..=4).enumerate() {
            p[i] = [
                100.0 - 1.6 * k - 1.2 * k * j as f32,
                190.0 - 0.9 * k * j as f32,
            ];
        }
        for (f, &knuckle) in KNUCKLES.iter().enumerate() {
            let x = 100.0 - 1.5 * k + k * f as f32;
            // Fingers spread: each goes up and outwards from the middle.
            let spread = (f as f32 - 1.5) * 0.45 * k;
            for j in 0..4 {
                p[knuckle + j] = [x + spread * j as f32, 200.0 - 3.0 * k - 1.1 * k * j as f32];
            }
        }
        p
    }

    #[test]
    fn the_gaps_between_spread_fingers_stay_covered_and_the_fingers_show() {
        let hand = open_hand(12.0);
        let m = hands_mask(&[hand], 400, 400);
        let shown = |p: [f32; 2]| m.at(p[0] as usize, p[1] as usize) != 0;
        // Each finger's middle joint shows.
        for f in [6, 10, 14, 18, 3] {
            assert!(shown(hand[f]), "finger point {f} is not shown");
        }
        // Midway between two neighbouring fingertips (spread apart) lies face: covered.
        for pair in TIPS.windows(2).skip(1) {
            let (a, b) = (hand[pair[0]], hand[pair[1]]);
            let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
            assert!(!shown(mid), "the gap between {pair:?} at {mid:?} is shown");
        }
        // Beside a finger, at 40% of a finger width from its bone: covered (the rim).
        let (a, b) = (hand[9], hand[10]);
        let side = [(a[0] + b[0]) / 2.0 + 0.4 * 12.0 + 0.5, (a[1] + b[1]) / 2.0];
        assert!(!shown(side));
        // The fingertip itself and past it: covered (tips touch lips and chin).
        let tip = hand[12];
        assert!(!shown([tip[0], tip[1] + 1.0]));
        assert!(!shown([tip[0], tip[1] - 2.0]));
        // The palm's centre shows.
        assert!(shown([100.0, 190.0]));
    }

    #[test]
    fn a_hand_too_small_to_show_reliably_shows_nothing() {
        let m = hands_mask(&[open_hand(2.0)], 400, 400);
        assert!(m.is_empty());
    }

    #[test]
    fn capsule_is_a_convex_stadium() {
        let c = capsule([0.0, 0.0], [10.0, 0.0], 2.0);
        let xs = c.iter().map(|p| p[0]);
        let (lo, hi) = (
            xs.clone().fold(f32::MAX, f32::min),
            xs.fold(f32::MIN, f32::max),
        );
        assert!((lo + 2.0).abs() < 1e-4 && (hi - 12.0).abs() < 1e-4);
        assert!(c.iter().all(|p| p[1].abs() <= 2.0 + 1e-4));
    }
}
