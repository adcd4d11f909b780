//! Unit tests of the regions: mesh and keypoint shapes, the head model, geometry.

use super::geometry::centroid;
use super::tests_support::reference_points;
use super::*;
use crate::face::HeadPose;
use crate::face::testing::posed_reference;

#[test]
fn a_box_cut_by_the_border_is_covered_whole_without_the_mesh() {
    // A face half out of the frame's left edge: the clamped box starts at x = 0.
    let bbox = [0.0, 100.0, 40.0, 80.0];
    let mut shapes = RegionShapes::new(None, &[], bbox, None);
    let ellipse = shapes.get(Region::Face)[0].clone();
    assert!(
        !inside(&ellipse, [1.0, 102.0]),
        "the ellipse misses the corner"
    );
    shapes.cover_box_at_border(bbox, 640, 480);
    let face = &shapes.get(Region::Face)[0];
    for corner in [[0.5, 100.5], [39.5, 100.5], [0.5, 179.5], [39.5, 179.5]] {
        assert!(inside(face, corner), "{corner:?} uncovered");
    }
    // Inside the frame, the ellipse stays.
    let inner = [100.0, 100.0, 40.0, 80.0];
    let mut shapes = RegionShapes::new(None, &[], inner, None);
    shapes.cover_box_at_border(inner, 640, 480);
    assert_eq!(shapes.get(Region::Face)[0].len(), 24);
}

fn inside(poly: &[[f32; 2]], p: [f32; 2]) -> bool {
    let mut sign = 0.0f32;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
        let cr = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
        if cr != 0.0 {
            if sign != 0.0 && cr.signum() != sign {
                return false;
            }
            sign = cr.signum();
        }
    }
    true
}

#[test]
fn mesh_regions_sit_where_a_face_has_them() {
    let pts = reference_points();
    let shapes = RegionShapes::new(
        Some("mediapipe-468"),
        &pts,
        [200.0, 150.0, 200.0, 300.0],
        None,
    );
    assert!(shapes.from_mesh);
    assert!(shapes.roll.abs() < 0.05);
    let c = |r: Region| centroid(&shapes.get(r).iter().flatten().copied().collect::<Vec<_>>());
    let (brows, eyes, nose, mouth, chin, forehead, cheeks) = (
        c(Region::Brows),
        c(Region::Eyes),
        c(Region::Nose),
        c(Region::Mouth),
        c(Region::Chin),
        c(Region::Forehead),
        c(Region::Cheeks),
    );
    // Top to bottom: forehead, brows, eyes, nose, mouth, chin; cheeks beside the nose.
    assert!(forehead[1] < brows[1] && brows[1] < eyes[1] && eyes[1] < nose[1]);
    assert!(nose[1] < mouth[1] && mouth[1] < chin[1]);
    assert!(cheeks[1] > eyes[1] && cheeks[1] < mouth[1]);
    for p in [brows, eyes, nose, mouth, chin, forehead, cheeks] {
        assert!((p[0] - 300.0).abs() < 5.0, "centred: {p:?}");
    }
    // Eyes are two shapes around the two eye corners' midpoints, mirror images.
    let eyes = shapes.get(Region::Eyes);
    assert_eq!(eyes.len(), 2);
    let (a, b) = (centroid(&eyes[0]), centroid(&eyes[1]));
    assert!((a[0] + b[0] - 600.0).abs() < 2.0 && (a[1] - b[1]).abs() < 2.0);
    assert!((b[0] - a[0]).abs() > 50.0);
    // Every region of the face lies inside the face hull (head, ears, neck around it).
    let hull = &shapes.get(Region::Face)[0];
    for r in Region::ALL
        .into_iter()
        .filter(|r| r.index() <= Region::Chin.index())
    {
        for poly in shapes.get(r) {
            assert!(poly.len() >= 3, "{r:?}");
            assert!(inside(hull, centroid(poly)), "{r:?}");
        }
    }
    // The nose tip is in the nose, the eye corners are not.
    assert!(inside(&shapes.get(Region::Nose)[0], [pts[1][0], pts[1][1]]));
    assert!(!inside(
        &shapes.get(Region::Nose)[0],
        [pts[33][0], pts[33][1]]
    ));
}

/// The reference face turned to `pose`, 100 px per unit, centred at (300, 300).
fn posed(pose: &HeadPose) -> Vec<[f32; 3]> {
    posed_reference(pose, [300.0, 300.0], 100.0)
}

fn pose(pitch: f64, yaw: f64, roll: f64) -> HeadPose {
    HeadPose {
        pitch,
        yaw,
        roll,
        confidence: 1.0,
    }
}

#[test]
fn head_ears_and_neck_sit_around_the_face() {
    let frontal = pose(0.0, 0.0, 0.0);
    let pts = posed(&frontal);
    let bbox = [220.0, 200.0, 160.0, 190.0];
    let shapes = RegionShapes::new(Some("mediapipe-468"), &pts, bbox, Some(&frontal));
    assert!((shapes.head.scale - 100.0).abs() < 1.0, "{:?}", shapes.head);
    let head = &shapes.get(Region::Head)[0];
    // The head holds the whole face and reaches well above the top of the mesh (hair).
    for p in shapes.get(Region::Face)[0].iter() {
        assert!(inside(head, *p) || head.contains(p), "{p:?}");
    }
    let top = head.iter().map(|p| p[1]).fold(f32::MAX, f32::min);
    let forehead = pts[10][1];
    assert!(
        forehead - top > 60.0,
        "head top {top} vs forehead {forehead}"
    );
    let (lo, hi) = head
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
    assert!(
        lo < pts[234][0] - 10.0 && hi > pts[454][0] + 10.0,
        "{lo} {hi}"
    );
    // Two ears beside the oval, between eye and mouth height, outside the face hull.
    let ears = shapes.get(Region::Ears);
    assert_eq!(ears.len(), 2);
    let (l, r) = (centroid(&ears[0]), centroid(&ears[1]));
    assert!(l[0] < pts[234][0] && r[0] > pts[454][0], "{l:?} {r:?}");
    for e in [l, r] {
        assert!(e[1] > pts[33][1] - 20.0 && e[1] < pts[13][1], "{e:?}");
        assert!(!inside(&shapes.get(Region::Face)[0], e));
    }
    // The neck below the chin.
    let neck = centroid(&shapes.get(Region::Neck)[0]);
    assert!(
        neck[1] > pts[152][1] && (neck[0] - 300.0).abs() < 5.0,
        "{neck:?}"
    );
}

#[test]
fn the_ear_turned_away_goes_and_the_skull_follows_the_turn() {
    // Face turned 50 degrees to the image's right: the image-right ear is behind the
    // head, the back of the skull shows on the image's left.
    let turned = pose(0.0, 50.0, 0.0);
    let pts = posed(&turned);
    let shapes = RegionShapes::new(
        Some("mediapipe-468"),
        &pts,
        [220.0, 200.0, 160.0, 190.0],
        Some(&turned),
    );
    let ears = shapes.get(Region::Ears);
    assert_eq!(ears.len(), 1, "one ear left");
    assert!(
        centroid(&ears[0])[0] < pts[1][0],
        "the image-left ear stays"
    );
    let head = &shapes.get(Region::Head)[0];
    let lo = head.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
    let face_lo = shapes.get(Region::Face)[0]
        .iter()
        .map(|p| p[0])
        .fold(f32::MAX, f32::min);
    assert!(
        face_lo - lo > 50.0,
        "the skull reaches behind the face: {lo} vs {face_lo}"
    );
    let both = pose(0.0, -20.0, 0.0);
    let shapes = RegionShapes::new(Some("mediapipe-468"), &posed(&both), [0.0; 4], Some(&both));
    assert_eq!(
        shapes.get(Region::Ears).len(),
        2,
        "a small turn keeps both ears"
    );
    // Rolled 30 degrees clockwise: the head's top moves to the image right of the chin.
    let rolled = pose(0.0, 0.0, 30.0);
    let pts = posed(&rolled);
    let shapes = RegionShapes::new(Some("mediapipe-468"), &pts, [0.0; 4], Some(&rolled));
    assert!((shapes.roll - 30f32.to_radians()).abs() < 0.02);
    let neck = centroid(&shapes.get(Region::Neck)[0]);
    assert!(
        neck[0] < pts[152][0] && neck[1] > pts[152][1],
        "neck follows the roll: {neck:?}"
    );
}

#[test]
fn regions_beyond_the_frame_edge_stay_finite_and_coarse_schemes_get_them_too() {
    // A face whose head reaches far past the frame's top-left corner.
    let frontal = pose(0.0, 0.0, 0.0);
    let pts: Vec<[f32; 3]> = posed(&frontal)
        .iter()
        .map(|p| [p[0] - 330.0, p[1] - 340.0, p[2]])
        .collect();
    let shapes = RegionShapes::new(Some("mediapipe-468"), &pts, [0.0, 0.0, 60.0, 60.0], None);
    for r in Region::ALL {
        for poly in shapes.get(r) {
            assert!(
                poly.iter().all(|p| p[0].is_finite() && p[1].is_finite()),
                "{r:?}"
            );
        }
    }
    assert!(shapes.get(Region::Head)[0].iter().any(|p| p[1] < -100.0));
    // Without the mesh: the same regions from the eye line or the box.
    let kp = [
        [130.0, 150.0, 0.0],
        [170.0, 150.0, 0.0],
        [150.0, 175.0, 0.0],
        [150.0, 195.0, 0.0],
        [105.0, 160.0, 0.0],
        [195.0, 160.0, 0.0],
    ];
    for (scheme, points) in [(Some("blazeface-6"), &kp[..]), (None, &[][..])] {
        let shapes = RegionShapes::new(scheme, points, [100.0, 120.0, 100.0, 110.0], None);
        let head = &shapes.get(Region::Head)[0];
        assert!(
            head.iter().map(|p| p[1]).fold(f32::MAX, f32::min) < 100.0,
            "{scheme:?}"
        );
        assert_eq!(shapes.get(Region::Ears).len(), 2, "{scheme:?}");
        assert!(
            centroid(&shapes.get(Region::Neck)[0])[1] > 220.0,
            "{scheme:?}"
        );
    }
}

#[test]
fn roll_follows_the_eye_line_and_boxes_turn_with_it() {
    let angle = 20f32.to_radians();
    let (s, co) = angle.sin_cos();
    let pts: Vec<[f32; 3]> = reference_points()
        .iter()
        .map(|p| {
            let (x, y) = (p[0] - 300.0, p[1] - 300.0);
            [300.0 + x * co - y * s, 300.0 + x * s + y * co, p[2]]
        })
        .collect();
    let shapes = RegionShapes::new(
        Some("mediapipe-468"),
        &pts,
        [200.0, 150.0, 200.0, 300.0],
        None,
    );
    assert!((shapes.roll - angle).abs() < 0.05, "{}", shapes.roll);
    let (_, size) = shapes.oriented_box(Region::Mouth).unwrap();
    // The mouth is wider than tall in the face's own frame even when the head is rolled.
    assert!(size[0] > 1.5 * size[1], "{size:?}");
}

#[test]
fn coarse_schemes_fall_back_to_keypoint_shapes() {
    let bbox = [100.0, 100.0, 100.0, 120.0];
    let kp = [
        [130.0, 150.0, 0.0],
        [170.0, 150.0, 0.0],
        [150.0, 175.0, 0.0],
        [150.0, 195.0, 0.0],
        [105.0, 160.0, 0.0],
        [195.0, 160.0, 0.0],
    ];
    for (scheme, pts) in [
        (Some("blazeface-6"), &kp[..]),
        (
            Some("centerface-5"),
            &[
                kp[0],
                kp[1],
                kp[2],
                [140.0, 195.0, 0.0],
                [160.0, 195.0, 0.0],
            ][..],
        ),
        (None, &[][..]),
    ] {
        let shapes = RegionShapes::new(scheme, pts, bbox, None);
        assert!(!shapes.from_mesh);
        for r in Region::ALL {
            assert!(!shapes.get(r).is_empty(), "{scheme:?} {r:?}");
        }
        let eyes = centroid(&shapes.get(Region::Eyes)[0]);
        let mouth = centroid(&shapes.get(Region::Mouth)[0]);
        assert!(eyes[1] < mouth[1], "{scheme:?}");
        let face = &shapes.get(Region::Face)[0];
        assert!(inside(face, mouth) && inside(face, eyes));
    }
}

#[test]
fn region_lists_parse_and_point_at_errors() {
    assert_eq!(
        parse_region_list("eyes, mouth,eyes").unwrap(),
        vec![Region::Eyes, Region::Mouth]
    );
    assert_eq!(parse_region_list("  ").unwrap(), vec![]);
    let e = parse_region_list("eyes,nosee").unwrap_err();
    assert!(e.contains("item 2 'nosee'"), "{e}");
    assert!(
        parse_region_list("eyes,,mouth")
            .unwrap_err()
            .contains("item 2 is empty")
    );
}

#[test]
fn hull_and_grow() {
    let sq = convex_hull(&[
        [0.0, 0.0],
        [10.0, 0.0],
        [10.0, 10.0],
        [0.0, 10.0],
        [5.0, 5.0],
    ]);
    assert_eq!(sq.len(), 4);
    let g = grow(&sq, (2.0f32).sqrt());
    for p in g {
        assert!((p[0] - 5.0).abs() > 5.9 && (p[1] - 5.0).abs() > 5.9);
    }
}

#[test]
fn the_mouth_holds_its_whole_opening_and_the_chin_stays_below_it() {
    use crate::face::MESH_INNER_LIPS;
    // The reference face with its jaw dropped 30 px (a wide-open mouth): everything below
    // the lips' meeting line moves down.
    let mut pts = reference_points();
    let meet = (pts[13][1] + pts[14][1]) / 2.0;
    let lower_lip: Vec<usize> = vec![
        14, 87, 178, 88, 95, 317, 402, 318, 324, 17, 84, 181, 91, 146,
    ];
    for (i, p) in pts.iter_mut().enumerate() {
        if p[1] > meet + 1.0 || lower_lip.contains(&i) {
            p[1] += 30.0;
        }
    }
    let shapes = RegionShapes::new(Some("mediapipe-468"), &pts, [0.0; 4], None);
    let mouth = &shapes.get(Region::Mouth)[0];
    let chin = &shapes.get(Region::Chin)[0];
    let opening: Vec<[f32; 2]> = MESH_INNER_LIPS
        .iter()
        .map(|&i| [pts[i][0], pts[i][1]])
        .collect();
    let width = pts[291][0] - pts[61][0];
    // The opening with a margin of 8% of the mouth's width lies in the mouth ...
    for p in grow(&convex_hull(&opening), 0.08 * width) {
        assert!(inside(mouth, p), "{p:?} outside the mouth");
    }
    // ... and none of the opening in the chin, whose bottom stays at the chin.
    for p in &opening {
        assert!(!inside(chin, *p), "{p:?} in the chin");
    }
    let chin_low = chin.iter().map(|p| p[1]).fold(f32::MIN, f32::max);
    assert!((chin_low - pts[152][1]).abs() < 2.0, "{chin_low}");
    assert!(chin.len() >= 3);
}
