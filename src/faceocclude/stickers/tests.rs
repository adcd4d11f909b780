//! Unit tests of stickers: built-in sets, the `stickers` property, PNG loading.

use super::*;

#[test]
fn builtin_sets_have_every_region_and_mostly_opaque_centres() {
    for name in StickerSet::BUILTIN {
        let set = StickerSet::builtin(name).unwrap();
        for r in Region::ALL {
            let st = &set
                .get(r)
                .unwrap_or_else(|| panic!("{name} lacks {r:?}"))
                .sticker;
            assert_eq!(st.sample(0.5, 0.55)[3].round(), 255.0, "{name} {r:?}");
            // Corners of round stickers stay transparent.
            assert!(st.sample(0.01, 0.99)[3] < 10.0, "{name} {r:?}");
        }
    }
    assert!(StickerSet::builtin("dog").is_none());
    // The bunny's ears stand on the head: opaque low in the middle of each ear, clear
    // between them at the top.
    let bunny = StickerSet::builtin("bunny").unwrap();
    let ears = &bunny.extras[0];
    assert_eq!(ears.placement.side, StickerSide::Top);
    assert_eq!(ears.placement.anchor, Region::Head);
    assert!(ears.sticker.sample(0.3, 0.5)[3] > 250.0);
    assert!(ears.sticker.sample(0.5, 0.05)[3] < 10.0);
    // The panda covers the face with a whole head.
    let panda = StickerSet::builtin("panda").unwrap();
    assert_eq!(
        panda.get(Region::Face).unwrap().sticker,
        panda.get(Region::Head).unwrap().sticker
    );
}

#[test]
fn spec_options_place_stickers_and_name_bad_entries() {
    let dir = std::env::temp_dir().join(format!("facekit-stickers-opt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("e.png");
    image::RgbaImage::from_pixel(2, 4, image::Rgba([1, 2, 3, 255]))
        .save(&path)
        .unwrap();
    let p = path.display();
    let set = StickerSet::from_spec(&format!(
        "extra={p} anchor=head-top scale=0.8 offset=0:0.25, face={p} anchor=head, neck={p}"
    ))
    .unwrap();
    let extra = set.extras[0].placement;
    assert_eq!((extra.anchor, extra.side), (Region::Head, StickerSide::Top));
    assert_eq!((extra.scale, extra.offset), (0.8, [0.0, 0.25]));
    let face = set.get(Region::Face).unwrap().placement;
    assert_eq!(
        (face.anchor, face.side),
        (Region::Head, StickerSide::Centre)
    );
    assert_eq!(
        set.get(Region::Neck).unwrap().placement,
        StickerPlacement::on(Region::Neck)
    );
    for (spec, says) in [
        (format!("extra={p} anchor=hat-top"), "item 1 'extra="),
        (
            format!("extra={p} anchor=hat-top"),
            "anchor 'hat-top' is not REGION",
        ),
        (format!("face={p}, extra={p} scale=0"), "item 2"),
        (
            format!("extra={p} scale=big"),
            "scale 'big' is not a number",
        ),
        (format!("extra={p} offset=0.2"), "offset '0.2' is not DX:DY"),
        (format!("extra={p} tilt=3"), "unknown option 'tilt'"),
        (
            format!("extra={p} anchor"),
            "option 'anchor' is not NAME=VALUE",
        ),
        ("hat=/x.png".to_string(), "'hat' is not a region"),
    ] {
        let e = StickerSet::from_spec(&spec).unwrap_err();
        assert!(e.contains(says), "{spec}: {e}");
    }
    // PNG extras replace the built-in set's; region PNGs take precedence.
    let bunny = StickerSet::builtin("bunny").unwrap().overlaid_with(&set);
    assert_eq!(bunny.extras.len(), 1);
    assert_eq!(bunny.extras[0].sticker.width, 2);
    assert_eq!(bunny.get(Region::Face).unwrap().sticker.width, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn png_round_trip_and_spec_errors() {
    let dir = std::env::temp_dir().join(format!("facekit-stickers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.png");
    let img = image::RgbaImage::from_fn(4, 2, |x, _| image::Rgba([x as u8 * 60, 0, 0, 255]));
    img.save(&path).unwrap();
    let set = StickerSet::from_spec(&format!("mouth={}", path.display())).unwrap();
    let st = &set.get(Region::Mouth).unwrap().sticker;
    assert_eq!((st.width, st.height), (4, 2));
    assert_eq!(st.rgba[4], 60);
    let e = StickerSet::from_spec("lips=/x.png").unwrap_err();
    assert!(e.contains("'lips' is not a region"), "{e}");
    let e = StickerSet::from_spec(&format!("eyes={}", dir.join("none.png").display())).unwrap_err();
    assert!(e.contains("cannot open sticker"), "{e}");
    std::fs::write(dir.join("bad.png"), b"not a png").unwrap();
    let e = StickerSet::from_spec(&format!("eyes={}", dir.join("bad.png").display())).unwrap_err();
    assert!(e.contains("not a readable PNG"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Drawing stickers on a synthetic face: the reference mesh turned to a pose, on a flat
/// blue frame (blue is in no built-in sticker, and blurred blue stays blue).
mod drawn {
    use std::sync::Arc;

    use crate::face::{Face, HeadPose};
    use crate::faceocclude::Style;
    use crate::faceocclude::composite::Planes;
    use crate::faceocclude::levels::{LevelPlan, face_masks};
    use crate::faceocclude::regions::{Polygon, Region, convex_hull, grow};
    use crate::faceocclude::render::{
        HOLE_RIM_SHARE, Look, RegionStyles, face_shapes, feather_width, occlude_face,
    };
    use crate::faceocclude::stickers::StickerSet;
    use crate::frame::polygon::{FillRule, scan_polygon};
    use crate::frame::view::Layout;

    use crate::face::testing::{mesh_face, posed_reference};

    const W: usize = 400;
    const H: usize = 420;
    const BLUE: [u8; 3] = [0, 0, 255];
    const MARGIN: f32 = 0.2;

    fn face(pitch: f64, yaw: f64, roll: f64) -> Face {
        let pose = HeadPose {
            pitch,
            yaw,
            roll,
            confidence: 1.0,
        };
        let pts = posed_reference(&pose, [200.0, 230.0], 90.0);
        mesh_face(&pts, Some(pose))
    }

    fn poses() -> Vec<Face> {
        vec![
            face(0.0, 0.0, 0.0),
            face(0.0, 25.0, 0.0),
            face(10.0, -15.0, 20.0),
        ]
    }

    fn look(set: StickerSet) -> Look {
        Look {
            style: Style::Sticker,
            blur_strength: 100.0,
            pixelate_blocks: 4,
            fill_rgb: [0, 0, 0],
            margin: MARGIN,
            stickers: Arc::new(set),
            styles: RegionStyles::default(),
        }
    }

    fn plan(priority: &[Region], level: u32) -> LevelPlan {
        LevelPlan {
            priority: priority.to_vec(),
            unlock: Vec::new(),
            level,
            level_step: 0.1,
        }
    }

    fn render(face: &Face, look: &Look, plan: &LevelPlan) -> Vec<u8> {
        let mut rgb = BLUE.repeat(W * H);
        let (mut b, mut c) = (Vec::new(), Vec::new());
        let mut planes =
            Planes::new(Layout::RGB, W, H, [&mut rgb, &mut b, &mut c], [W * 3, 0, 0]).unwrap();
        occlude_face(&mut planes, look, &plan.coverage(), face);
        rgb
    }

    /// Pixels (x, y) whose centres lie inside `poly`.
    fn pixels_in(poly: &[[f32; 2]]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        scan_polygon(poly, 0..W, 0..H, FillRule::Convex, |y, a, b| {
            out.extend((a..b).map(|x| (x, y)))
        });
        out
    }

    fn at(rgb: &[u8], (x, y): (usize, usize)) -> [u8; 3] {
        let o = (y * W + x) * 3;
        [rgb[o], rgb[o + 1], rgb[o + 2]]
    }

    #[test]
    fn an_uncovered_organ_shows_in_place_of_the_stickers_drawing_of_it() {
        for name in StickerSet::BUILTIN {
            let set = StickerSet::builtin(name).unwrap();
            for face in poses() {
                let shapes = face_shapes(&face, W, H);
                let margin = MARGIN * face.bbox.width;
                for organ in [Region::Eyes, Region::Nose, Region::Mouth] {
                    let priority = [organ, Region::Face];
                    let shown = render(&face, &look(set.clone()), &plan(&priority, 1));
                    // The real organ shows, but for its rim (the cut-out's soft edge): every
                    // pixel of it the feathered cover does not reach.
                    let (mask, _) =
                        face_masks(&shapes, &plan(&priority, 1).coverage(), margin, W, H);
                    let soft =
                        mask.feathered(feather_width(face.bbox.width) * HOLE_RIM_SHARE, W, H);
                    let (mut inside, mut shows) = (0, 0);
                    for poly in shapes.get(organ) {
                        for p in pixels_in(poly) {
                            inside += 1;
                            if soft.at(p.0, p.1) == 0 {
                                shows += 1;
                                assert_eq!(at(&shown, p), BLUE, "{name} {organ:?} {p:?}");
                            }
                        }
                    }
                    assert!(
                        shows * 2 > inside,
                        "{name} {organ:?}: {shows} of {inside} show"
                    );
                    // Nothing of the set's drawing of that organ is left anywhere: the frame
                    // is exactly what the set without that organ's layer draws.
                    let mut without = set.clone();
                    without.organ_layers.retain(|(r, _)| *r != organ);
                    let bare = render(&face, &look(without.clone()), &plan(&priority, 1));
                    assert!(
                        shown == bare,
                        "{name} {organ:?}: the sticker's organ is drawn"
                    );
                    // Covered, the set draws the organ where the face has it.
                    let covered = render(&face, &look(set.clone()), &plan(&priority, 0));
                    let plain = render(&face, &look(without), &plan(&priority, 0));
                    let drawn: Vec<(usize, usize)> = (0..W * H)
                        .map(|i| (i % W, i / W))
                        .filter(|&p| at(&covered, p) != at(&plain, p))
                        .collect();
                    if set.organ_layers.iter().all(|(r, _)| *r != organ) {
                        assert!(drawn.is_empty(), "{name} {organ:?}");
                        continue;
                    }
                    assert!(drawn.len() > 30, "{name} {organ:?}: {} pixels", drawn.len());
                    let n = drawn.len() as f32;
                    let c = drawn.iter().fold([0.0f32; 2], |a, p| {
                        [a[0] + p.0 as f32 / n, a[1] + p.1 as f32 / n]
                    });
                    let around: Polygon = convex_hull(
                        &shapes
                            .get(organ)
                            .iter()
                            .flat_map(|p| grow(p, 0.15 * face.bbox.width))
                            .collect::<Vec<_>>(),
                    );
                    assert!(
                        pixels_in(&around).contains(&(c[0] as usize, c[1] as usize)),
                        "{name} {organ:?}: drawn around {c:?}, not on the organ"
                    );
                }
            }
        }
    }

    #[test]
    fn a_face_sticker_covers_all_it_claims_no_backdrop_shows() {
        for name in StickerSet::BUILTIN {
            let set = StickerSet::builtin(name).unwrap();
            for face in poses() {
                let shapes = face_shapes(&face, W, H);
                for (priority, level) in [(vec![], 0), (vec![Region::Mouth, Region::Face], 1)] {
                    let plan = plan(&priority, level);
                    let out = render(&face, &look(set.clone()), &plan);
                    let margin = MARGIN * face.bbox.width;
                    let (mask, _) = face_masks(&shapes, &plan.coverage(), margin, W, H);
                    let mut backdrop = 0;
                    for y in mask.y0..mask.y0 + mask.h {
                        for x in mask.x0..mask.x0 + mask.w {
                            if mask.at(x, y) != 0 && at(&out, (x, y)) == BLUE {
                                backdrop += 1;
                            }
                        }
                    }
                    assert_eq!(backdrop, 0, "{name} {priority:?}: backdrop shows");
                }
            }
        }
    }

    #[test]
    fn ear_and_neck_stickers_cover_their_regions_no_backdrop_shows() {
        let covered = plan(&[Region::Face, Region::Head, Region::Ears, Region::Neck], 0);
        for name in StickerSet::BUILTIN {
            let set = StickerSet::builtin(name).unwrap();
            for face in poses() {
                let shapes = face_shapes(&face, W, H);
                let out = render(&face, &look(set.clone()), &covered);
                let margin = MARGIN * face.bbox.width;
                let (mask, _) = face_masks(&shapes, &covered.coverage(), margin, W, H);
                for r in [Region::Ears, Region::Neck] {
                    let (mut inside, mut backdrop) = (0, 0);
                    for poly in shapes.get(r) {
                        for p in pixels_in(&grow(poly, margin)) {
                            if mask.at(p.0, p.1) != 0 {
                                inside += 1;
                                backdrop += usize::from(at(&out, p) == BLUE);
                            }
                        }
                    }
                    assert!(inside > 200, "{name} {r:?}: {inside}");
                    assert_eq!(
                        backdrop, 0,
                        "{name} {r:?}: backdrop shows ({inside} pixels)"
                    );
                }
            }
        }
    }

    #[test]
    fn pixels_beside_a_cut_out_take_the_stickers_chroma() {
        // I420: a chroma sample shared by a cut-out pixel and a sticker pixel must carry the
        // sticker's colour (kept as the frame's, it drew a grey ring around cut-outs).
        let (y0, u0, v0) = (41u8, 240u8, 110u8);
        for name in StickerSet::BUILTIN {
            let face = face(0.0, 0.0, 0.0);
            let (mut y, mut u, mut v) = (vec![y0; W * H], vec![u0; W * H / 4], vec![v0; W * H / 4]);
            let mut planes = Planes::new(
                Layout::I420,
                W,
                H,
                [&mut y, &mut u, &mut v],
                [W, W / 2, W / 2],
            )
            .unwrap();
            let plan = plan(&[Region::Eyes, Region::Mouth, Region::Face], 2);
            let set = StickerSet::builtin(name).unwrap();
            occlude_face(&mut planes, &look(set), &plan.coverage(), &face);
            let shapes = face_shapes(&face, W, H);
            let mut cut = vec![false; W * H];
            for r in [Region::Eyes, Region::Mouth] {
                for poly in shapes.get(r) {
                    for (x, yy) in pixels_in(poly) {
                        cut[yy * W + x] = true;
                    }
                }
            }
            let mut mixed = 0;
            for cy in 0..H / 2 {
                for cx in 0..W / 2 {
                    let under = [(0, 0), (1, 0), (0, 1), (1, 1)]
                        .map(|(dx, dy)| (2 * cy + dy) * W + 2 * cx + dx);
                    let drawn = under.iter().any(|&i| !cut[i] && y[i] != y0);
                    if drawn && under.iter().any(|&i| cut[i]) {
                        mixed += 1;
                        let i = cy * W / 2 + cx;
                        assert!(
                            (u[i], v[i]) != (u0, v0),
                            "{name}: chroma at ({cx}, {cy}) kept beside a sticker pixel"
                        );
                    }
                }
            }
            assert!(mixed > 20, "{name}: {mixed} edge samples");
        }
    }

    /// Standing stickers (the bunny's ears on `head-top`) follow the head: they stand above
    /// its top edge, turn with the roll, scale with the face and narrow as the head turns
    /// away (yaw foreshortening).
    #[test]
    fn standing_ears_follow_roll_scale_and_yaw_of_the_head() {
        use crate::faceocclude::render::sticker_spots;
        let set = StickerSet::builtin("bunny").unwrap();
        let ears = &set.extras[0];
        let spot = |f: &Face| {
            let shapes = face_shapes(f, W, H);
            let spots = sticker_spots(&shapes, ears, MARGIN * f.bbox.width);
            assert_eq!(spots.len(), 1);
            (spots[0], shapes.oriented_box(Region::Head).unwrap())
        };
        let ((at, size, angle), (head_centre, head_size)) = spot(&face(0.0, 0.0, 0.0));
        assert!(angle.abs() < 0.02, "{angle}");
        assert!(
            at[1] < head_centre[1] - head_size[1] / 2.0,
            "ears below the head top"
        );
        // Rolled 20 degrees: the sticker turns with it, still above the head along its axis.
        let ((at_r, _, angle_r), (c_r, s_r)) = spot(&face(0.0, 0.0, 20.0));
        assert!((angle_r - 20f32.to_radians()).abs() < 0.05, "{angle_r}");
        let (sin, cos) = angle_r.sin_cos();
        let up = (at_r[0] - c_r[0]) * sin - (at_r[1] - c_r[1]) * cos;
        assert!(
            up > s_r[1] / 2.0,
            "{up} above the centre, head half-height {}",
            s_r[1] / 2.0
        );
        // Turned 50 degrees: narrower (foreshortened), as tall.
        let ((_, size_y, _), _) = spot(&face(0.0, 50.0, 0.0));
        assert!(size_y[0] < 0.8 * size[0], "{} vs {}", size_y[0], size[0]);
        assert!(
            (size_y[1] - size[1]).abs() < 0.1 * size[1],
            "{size_y:?} {size:?}"
        );
        // A face 1.5x as large gets ears 1.5x as large.
        let pose = HeadPose::default();
        let big = mesh_face(&posed_reference(&pose, [200.0, 250.0], 135.0), Some(pose));
        let ((_, size_b, _), _) = spot(&big);
        assert!(
            (size_b[0] / size[0] - 1.5).abs() < 0.1,
            "{size_b:?} {size:?}"
        );
    }
}
