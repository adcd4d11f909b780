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

use super::raster::Mask;
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

/// The masks of one face: what to occlude, and the uncovered holes cut out of a covered
/// face (stickers leave those alone too). Covered regions grow by `margin` pixels, except
/// into uncovered regions; where two regions' own polygons overlap, covered wins.
pub fn face_masks(
    shapes: &RegionShapes,
    coverage: &Coverage,
    margin: f32,
    width: usize,
    height: usize,
) -> (Mask, Option<Mask>) {
    layer_masks(shapes, coverage, &coverage.covered, margin, width, height)
}

/// [`face_masks`] for the covered regions of one layer (`layer`, a part of
/// `coverage.covered` drawn in one style): a covered container (`face`, `head`) of the
/// layer is "the rest": uncovered regions are cut out of it (holes), and so are the covered
/// regions of other layers, which those layers draw themselves.
pub fn layer_masks(
    shapes: &RegionShapes,
    coverage: &Coverage,
    layer: &[Region],
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
    for (_, polys) in &covered {
        for p in polys {
            mask.fill_convex(p, 255);
        }
    }
    // Uncovered regions are cut out of a covered face or head and out of the margins of
    // covered regions (a margin never eats into what a viewer was given) ...
    let mut holes = None;
    let head_covered = layer.contains(&Region::Head);
    if layer.iter().any(|r| r.is_container()) {
        // An uncovered face is a hole in a covered head; an uncovered head (the bigger
        // shape) never cuts a covered face open.
        let open: Vec<&Polygon> = coverage
            .uncovered
            .iter()
            .filter(|r| match r {
                Region::Head => false,
                Region::Face => head_covered,
                _ => true,
            })
            .flat_map(|&r| shapes.get(r).iter())
            .collect();
        if !open.is_empty() {
            let mut hole = mask.clone();
            hole.data.fill(0);
            for p in &open {
                hole.fill_convex(p, 255);
                mask.fill_convex(p, 0);
            }
            holes = Some(hole);
        }
        // (The head contains the face: a head drawn by another layer cuts nothing.)
        for r in coverage
            .covered
            .iter()
            .filter(|r| !layer.contains(r) && **r != Region::Head)
        {
            for p in grown(*r) {
                mask.fill_convex(&p, 0);
            }
        }
    }
    // ... but a covered region's own pixels stay covered where regions overlap (fail-closed).
    for &r in layer.iter().filter(|r| !r.is_container()) {
        for p in shapes.get(r) {
            mask.fill_convex(p, 255);
            if let Some(h) = holes.as_mut() {
                h.fill_convex(p, 0);
            }
        }
    }
    (mask, holes)
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
}
