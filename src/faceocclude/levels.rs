//! De-occlusion levels: which regions a level covers and how strongly.
//!
//! * Region mode (`priority` not empty): level k uncovers the first k regions of
//!   `priority`; the others stay covered; level `priority.len()` uncovers everything.
//! * Whole-face mode (`priority` empty): the whole face is covered and level k weakens the
//!   occlusion by k x `level_step`; the level where the strength reaches 0 uncovers it.
//!
//! `unlock` regions are uncovered at any level. A covered `face` means "the rest of the
//! face": the hull minus every uncovered region. Then a mask is built per face by
//! [`face_masks`].

use super::mask::Mask;
use super::regions::{Polygon, Region, RegionShapes, grow};

/// The level settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelPlan {
    pub priority: Vec<Region>,
    pub unlock: Vec<Region>,
    pub level: u32,
    /// Fraction of the strength removed per level in whole-face mode (0 < step <= 1).
    pub level_step: f64,
}

/// What to occlude on a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub covered: Vec<Region>,
    /// Regions cut out of a covered `face` (uncovered by level or unlock).
    pub uncovered: Vec<Region>,
    /// 1 = full strength; lower values weaken blur and pixelation.
    pub intensity: f64,
}

impl Coverage {
    pub fn nothing(&self) -> bool {
        self.covered.is_empty() || self.intensity <= 0.0
    }
}

impl LevelPlan {
    /// The highest level: everything uncovered there.
    pub fn max_level(&self) -> u32 {
        if self.priority.is_empty() {
            let step = self.level_step.clamp(0.001, 1.0);
            // Rounded first so that 1 / 0.1 gives 10, not 11.
            (((1.0 / step) * 1e6).round() / 1e6).ceil() as u32
        } else {
            self.priority.len() as u32
        }
    }

    pub fn coverage(&self) -> Coverage {
        let level = self.level.min(self.max_level());
        if self.priority.is_empty() {
            let intensity = (1.0 - level as f64 * self.level_step).max(0.0);
            let intensity = if level >= self.max_level() {
                0.0
            } else {
                intensity
            };
            let covered = if self.unlock.contains(&Region::Face) || intensity <= 0.0 {
                Vec::new()
            } else {
                vec![Region::Face]
            };
            return Coverage {
                covered,
                uncovered: self.unlock.clone(),
                intensity,
            };
        }
        let (open, closed) = self.priority.split_at(level as usize);
        let covered: Vec<Region> = closed
            .iter()
            .copied()
            .filter(|r| !self.unlock.contains(r))
            .collect();
        let mut uncovered: Vec<Region> = open.to_vec();
        for r in &self.unlock {
            if !uncovered.contains(r) {
                uncovered.push(*r);
            }
        }
        Coverage {
            covered,
            uncovered,
            intensity: 1.0,
        }
    }
}

/// The masks of one face: what to occlude, and the uncovered holes cut out of it (stickers
/// leave those alone too). Covered regions grow by `margin` pixels, except into uncovered
/// regions that do not hold them; where two regions' own polygons overlap, covered wins.
pub fn face_masks(
    shapes: &RegionShapes,
    coverage: &Coverage,
    margin: f32,
    width: usize,
    height: usize,
) -> (Mask, Option<Mask>) {
    layer_masks(
        shapes,
        coverage,
        &coverage.covered,
        &[],
        margin,
        width,
        height,
    )
}

/// [`face_masks`] for the covered regions of one layer (`layer`, a part of
/// `coverage.covered` drawn in one look), after the layers holding `below` were drawn: a
/// covered container (`face`, `head`) is "the rest" (uncovered regions inside it are holes),
/// and what the layers below cover (their regions grown by the margin) is left to them.
pub fn layer_masks(
    shapes: &RegionShapes,
    coverage: &Coverage,
    layer: &[Region],
    below: &[Region],
    margin: f32,
    width: usize,
    height: usize,
) -> (Mask, Option<Mask>) {
    if coverage.nothing() || layer.is_empty() {
        return (Mask::empty(), None);
    }
    let grown =
        |r: Region| -> Vec<Polygon> { shapes.get(r).iter().map(|p| grow(p, margin)).collect() };
    let covered: Vec<(Region, Vec<Polygon>)> = layer.iter().map(|&r| (r, grown(r))).collect();
    let refs: Vec<&[[f32; 2]]> = covered
        .iter()
        .flat_map(|(_, polys)| polys.iter().map(|p| p.as_slice()))
        .collect();
    let mut mask = Mask::covering(width, height, &refs);
    let mut hole = Mask {
        data: vec![0; mask.data.len()],
        ..mask.clone()
    };
    let mut any_hole = false;
    for (r, polys) in &covered {
        // A region grows into anything but what a viewer was given: uncovered regions are cut
        // out of a covered face or head, and out of the margins of covered regions (an
        // uncovered region holding this one, e.g. the face around covered eyes, excepted).
        let open: Vec<&Polygon> = coverage
            .uncovered
            .iter()
            .filter(|u| **u != *r && !u.contains(*r))
            .flat_map(|&u| shapes.get(u).iter())
            .collect();
        let mut part = Mask {
            data: vec![0; mask.data.len()],
            ..mask.clone()
        };
        for p in polys {
            part.fill_convex(p, 255);
        }
        for p in &open {
            part.fill_convex(p, 0);
            hole.fill_convex(p, 255);
            any_hole = true;
        }
        for (m, v) in mask.data.iter_mut().zip(&part.data) {
            *m = (*m).max(*v);
        }
    }
    // ... but a covered region's own pixels stay covered where regions overlap (fail-closed).
    for &r in layer.iter().filter(|r| !r.is_container()) {
        for p in shapes.get(r) {
            mask.fill_convex(p, 255);
            hole.fill_convex(p, 0);
        }
    }
    // What the layers below drew (their grown regions, whole) stays theirs.
    for &r in below {
        for p in grown(r) {
            mask.fill_convex(&p, 0);
        }
    }
    (mask, any_hole.then_some(hole))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Region::*;

    fn plan(priority: &[Region], unlock: &[Region], level: u32) -> LevelPlan {
        LevelPlan {
            priority: priority.to_vec(),
            unlock: unlock.to_vec(),
            level,
            level_step: 0.1,
        }
    }

    #[test]
    fn priority_levels_uncover_in_order() {
        let p = [Eyes, Mouth, Face];
        assert_eq!(plan(&p, &[], 0).max_level(), 3);
        let c = plan(&p, &[], 0).coverage();
        assert_eq!(c.covered, vec![Eyes, Mouth, Face]);
        let c = plan(&p, &[], 1).coverage();
        assert_eq!((c.covered, c.uncovered), (vec![Mouth, Face], vec![Eyes]));
        assert!(plan(&p, &[], 3).coverage().nothing());
        // Past the top: still everything uncovered, never a panic.
        assert!(plan(&p, &[], 99).coverage().nothing());
        // Unlock uncovers regardless of level.
        let c = plan(&p, &[Mouth], 0).coverage();
        assert_eq!((c.covered, c.uncovered), (vec![Eyes, Face], vec![Mouth]));
    }

    #[test]
    fn whole_face_mode_weakens_by_level_step() {
        let p = plan(&[], &[], 0);
        assert_eq!(p.max_level(), 10);
        assert_eq!(p.coverage().covered, vec![Face]);
        assert_eq!(p.coverage().intensity, 1.0);
        assert!((plan(&[], &[], 3).coverage().intensity - 0.7).abs() < 1e-9);
        assert!(plan(&[], &[], 10).coverage().nothing());
        let mut q = plan(&[], &[], 1);
        q.level_step = 0.3;
        assert_eq!(q.max_level(), 4);
        assert!(q.coverage().intensity > 0.69);
        q.level = 4;
        assert!(q.coverage().nothing());
        let c = plan(&[], &[Eyes], 0).coverage();
        assert_eq!((c.covered, c.uncovered), (vec![Face], vec![Eyes]));
        assert!(plan(&[], &[Face], 0).coverage().nothing());
    }

    #[test]
    fn covered_face_gets_holes_for_uncovered_regions() {
        let pts = crate::faceocclude::regions::tests_support::reference_points();
        let shapes = RegionShapes::new(
            Some("mediapipe-468"),
            &pts,
            [200.0, 150.0, 200.0, 300.0],
            None,
        );
        let nose = [pts[1][0] as usize, pts[1][1] as usize];
        let cheekbone = {
            let p = pts[50];
            [p[0] as usize, p[1] as usize]
        };
        let (mask, holes) = face_masks(
            &shapes,
            &plan(&[Nose, Face], &[], 1).coverage(),
            4.0,
            600,
            600,
        );
        assert_eq!(mask.at(nose[0], nose[1]), 0, "uncovered nose shows");
        assert_eq!(
            mask.at(cheekbone[0], cheekbone[1]),
            255,
            "rest of the face covered"
        );
        assert_eq!(holes.unwrap().at(nose[0], nose[1]), 255);
        let (mask, holes) = face_masks(
            &shapes,
            &plan(&[Nose, Face], &[], 0).coverage(),
            4.0,
            600,
            600,
        );
        assert_eq!(mask.at(nose[0], nose[1]), 255);
        assert!(holes.is_none());
        // The margin grows covered regions.
        let (tight, _) = face_masks(&shapes, &plan(&[Eyes], &[], 0).coverage(), 0.0, 600, 600);
        let (loose, _) = face_masks(&shapes, &plan(&[Eyes], &[], 0).coverage(), 6.0, 600, 600);
        let count = |m: &Mask| m.data.iter().filter(|&&v| v != 0).count();
        assert!(count(&loose) > count(&tight) + 100);
    }

    fn reference_shapes() -> (Vec<[f32; 3]>, RegionShapes) {
        let pts = crate::faceocclude::regions::tests_support::reference_points();
        let shapes = RegionShapes::new(
            Some("mediapipe-468"),
            &pts,
            [200.0, 150.0, 200.0, 300.0],
            None,
        );
        (pts, shapes)
    }

    #[test]
    fn head_and_face_hold_each_other_the_right_way_round() {
        let (pts, shapes) = reference_shapes();
        let at = |m: &Mask, i: usize| m.at(pts[i][0] as usize, pts[i][1] as usize);
        let hair = |m: &Mask| m.at(300, (pts[10][1] - 40.0) as usize);
        // Head covered, face uncovered: the face shows, hair stays covered.
        let (mask, holes) = face_masks(
            &shapes,
            &plan(&[Face, Head], &[], 1).coverage(),
            8.0,
            600,
            600,
        );
        assert_eq!((at(&mask, 1), hair(&mask)), (0, 255));
        assert_eq!(at(&holes.unwrap(), 1), 255);
        // Face covered, head uncovered: the face stays covered (it lies inside the head).
        let (mask, _) = face_masks(
            &shapes,
            &plan(&[Head, Face], &[], 1).coverage(),
            8.0,
            600,
            600,
        );
        assert_eq!((at(&mask, 1), hair(&mask)), (255, 0));
        // The neck's margin never eats into an uncovered face; its sticker keeps out of it.
        let (mask, holes) = face_masks(
            &shapes,
            &plan(&[Face, Neck], &[], 1).coverage(),
            50.0,
            600,
            600,
        );
        assert_eq!(at(&mask, 14), 0, "lower lip under the neck's margin");
        assert_eq!(at(&holes.unwrap(), 14), 255);
        let below_chin = mask.at(300, (pts[152][1] + 40.0) as usize);
        assert_eq!(below_chin, 255);
    }

    #[test]
    fn layers_drawn_inside_out_leave_no_pixel_uncovered() {
        let (_, shapes) = reference_shapes();
        for unlock in [&[][..], &[Nose][..]] {
            let coverage = plan(&[Eyes, Mouth, Neck, Face, Head, Nose], unlock, 0).coverage();
            let (whole, _) = face_masks(&shapes, &coverage, 12.0, 600, 600);
            // Inside out, as `render` orders them.
            let layers: [&[Region]; 4] = [&[Eyes], &[Mouth, Neck], &[Face], &[Head]];
            let mut below = Vec::new();
            let mut masks = Vec::new();
            for layer in layers {
                let layer: Vec<Region> = layer
                    .iter()
                    .copied()
                    .filter(|r| coverage.covered.contains(r))
                    .collect();
                masks.push(layer_masks(&shapes, &coverage, &layer, &below, 12.0, 600, 600).0);
                below.extend(layer);
            }
            let (mut gaps, mut twice) = (0, 0);
            for y in 0..600 {
                for x in 0..600 {
                    let n = masks.iter().filter(|m| m.at(x, y) != 0).count();
                    gaps += usize::from(whole.at(x, y) != 0 && n == 0);
                    twice += usize::from(n > 1);
                }
            }
            assert_eq!(gaps, 0, "{unlock:?}: pixels no layer covers");
            assert!(twice < 50, "{unlock:?}: {twice} pixels drawn twice");
            // The eyes' layer keeps its whole grown shape; the face's leaves it out.
            let eye = shapes.get(Eyes)[0][0];
            assert_eq!(masks[0].at(eye[0] as usize, eye[1] as usize), 255);
            assert_eq!(masks[2].at(eye[0] as usize, eye[1] as usize), 0);
        }
    }

    #[test]
    fn a_policy_unlocks_ears_and_neck_and_the_head_stays_covered() {
        use crate::faceocclude::policy::{Behaviour, Policy};
        let (pts, shapes) = reference_shapes();
        let policy = Policy::parse("payment >= 5 -> unlock ears, neck").unwrap();
        let mut paid = Behaviour::default();
        paid.record("payment", 5.0).unwrap();
        let unlock = policy.evaluate(&paid).unlock;
        assert_eq!(unlock, vec![Ears, Neck]);
        let all = [Face, Head, Ears, Neck];
        let centre = |r: Region, i: usize| {
            let p = &shapes.get(r)[i];
            let n = p.len() as f32;
            let (x, y) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
            ((x / n) as usize, (y / n) as usize)
        };
        let hair = (300, (pts[10][1] - 40.0) as usize);
        let nose = (pts[1][0] as usize, pts[1][1] as usize);
        let probes = [
            centre(Ears, 0),
            centre(Ears, 1),
            centre(Neck, 0),
            hair,
            nose,
        ];
        let read = |m: &Mask| probes.map(|(x, y)| m.at(x, y));
        let (covered, _) = face_masks(&shapes, &plan(&all, &[], 0).coverage(), 8.0, 600, 600);
        assert_eq!(
            read(&covered),
            [255; 5],
            "level 0 covers ears, neck, hair, face"
        );
        let (mask, _) = face_masks(&shapes, &plan(&all, &unlock, 0).coverage(), 8.0, 600, 600);
        // Both ears and the neck show; hair and face stay covered.
        assert_eq!(read(&mask), [0, 0, 0, 255, 255]);
    }
}
