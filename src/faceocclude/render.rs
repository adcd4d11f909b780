//! Drawing one face's occlusion: the covered regions grouped into layers by their look (the
//! `style` property, or a style per region from `styles`), each layer's mask drawn in its
//! style, then the stickers placed by their anchors.
//!
//! Layers are drawn inside out (regions inside the face, the face, ears and neck, the head;
//! [`Region::layer_rank`]), so that the eyes' blur or pixelation reads the face's own pixels;
//! each later layer covers what the earlier ones left (never a pixel left out between them). Stickers come last: a whole-face / whole-head sticker stays out of the regions other
//! layers drew in another style, region stickers and extras (e.g. rabbit ears) go on top.
//! Nothing is ever drawn over an uncovered region.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Style;
use super::composite::Planes;
use super::levels::{Coverage, layer_masks};
use super::mask::{CellGrid, Mask};
use super::regions::{Polygon, Region, RegionShapes, grow, oriented_box, region_names};
use super::stickers::{PlacedSticker, Sticker, StickerSet, StickerSide};
use crate::face::Face;

/// Blur radius at full strength, as a fraction of the face box width: the face's coarse
/// colours and shading stay (hair, eye sockets, lit side), no feature does. MTCNN still
/// found a face in 1 of 30 carphone frames blurred whole at 0.12, in none at 0.14 (0.2 made
/// a flat blob).
pub const BLUR_RADIUS_PER_FACE_WIDTH: f32 = 0.15;
/// Width of the feathered edge round every mask, as a fraction of the face box width
/// (clamped to FEATHER_PIXELS): a few pixels, growing with the face.
pub const FEATHER_PER_FACE_WIDTH: f32 = 0.03;
pub const FEATHER_PIXELS: (f32, f32) = (1.5, 10.0);
/// The feathered edge reaches into an uncovered region's rim this share of its width.
pub const HOLE_RIM_SHARE: f32 = 0.5;
/// The weakest blur or pixelate strength, in percent, the element and `styles` accept.
pub const MIN_STRENGTH: f32 = 1.0;
/// Stickers centred on a region are drawn this much larger than its box.
const CONTAINER_STICKER_SCALE: f32 = 1.15;
const REGION_STICKER_SCALE: f32 = 1.3;
/// A sticker standing on a region narrows with the head's turn, down to this share.
const MIN_FORESHORTENING: f32 = 0.25;

const STYLES: [(Style, &str); 4] = [
    (Style::Blur, "blur"),
    (Style::Pixelate, "pixelate"),
    (Style::Fill, "fill"),
    (Style::Sticker, "sticker"),
];

pub fn style_name(style: Style) -> &'static str {
    STYLES
        .iter()
        .find(|(s, _)| *s == style)
        .map_or("blur", |(_, n)| n)
}

pub fn parse_style(name: &str) -> Option<Style> {
    STYLES.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
}

/// The look of one region: a style and, for blur and pixelate, a strength in percent
/// (`None`: the element's `blur-strength`, or full pixelation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionStyle {
    pub style: Style,
    pub strength: Option<f32>,
}

/// Styles given per region (`styles="eyes=sticker,mouth=blur:40,face=pixelate"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionStyles(pub BTreeMap<Region, RegionStyle>);

impl RegionStyles {
    /// Parses `REGION=STYLE[:STRENGTH]` items separated by commas; empty text gives none.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = BTreeMap::new();
        for (i, item) in text.split(',').map(str::trim).enumerate() {
            if item.is_empty() {
                if text.trim().is_empty() {
                    break;
                }
                return Err(format!("styles item {} is empty", i + 1));
            }
            let err = |e: String| format!("styles item {} '{item}': {e}", i + 1);
            let (region, look) = item
                .split_once('=')
                .ok_or_else(|| err("expected REGION=STYLE[:STRENGTH]".into()))?;
            let region = Region::parse(region.trim()).ok_or_else(|| {
                err(format!(
                    "'{}' is not a region (one of: {})",
                    region.trim(),
                    region_names()
                ))
            })?;
            let (style, strength) = match look.split_once(':') {
                Some((s, v)) => (s.trim(), Some(v.trim())),
                None => (look.trim(), None),
            };
            let style = parse_style(style).ok_or_else(|| {
                err(format!(
                    "'{style}' is not a style (one of: {})",
                    STYLES.map(|(_, n)| n).join(", ")
                ))
            })?;
            let strength = match strength {
                None => None,
                Some(_) if matches!(style, Style::Fill | Style::Sticker) => {
                    return Err(err(
                        "a strength applies to blur and pixelate only (fill and sticker hide fully)"
                            .into(),
                    ));
                }
                // 0 would blur or pixelate nothing: a region said to be covered would show.
                Some(v) => Some(
                    v.parse::<f32>()
                        .ok()
                        .filter(|s| s.is_finite() && (MIN_STRENGTH..=100.0).contains(s))
                        .ok_or_else(|| {
                            err(format!(
                                "strength '{v}' is not a percentage from {MIN_STRENGTH} to 100 \
                                 (a region to show is uncovered by a level, not by strength 0)"
                            ))
                        })?,
                ),
            };
            if out
                .insert(region, RegionStyle { style, strength })
                .is_some()
            {
                return Err(err(format!("region '{}' is given twice", region.name())));
            }
        }
        Ok(Self(out))
    }

    /// The canonical text (`eyes=sticker,mouth=blur:40`), regions in their usual order.
    pub fn format(&self) -> String {
        self.0
            .iter()
            .map(|(r, s)| match s.strength {
                Some(v) => format!("{}={}:{v}", r.name(), style_name(s.style)),
                None => format!("{}={}", r.name(), style_name(s.style)),
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Everything that decides how covered regions look, copied once per buffer.
#[derive(Debug, Clone)]
pub struct Look {
    pub style: Style,
    /// Percent.
    pub blur_strength: f32,
    pub pixelate_blocks: u32,
    pub fill_rgb: [u8; 3],
    /// Growth of covered regions, fraction of the face box width.
    pub margin: f32,
    pub stickers: Arc<StickerSet>,
    pub styles: RegionStyles,
}

/// Width in pixels of the soft edge laid outside every mask of a face `face_width` wide.
pub fn feather_width(face_width: f32) -> f32 {
    (FEATHER_PER_FACE_WIDTH * face_width).clamp(FEATHER_PIXELS.0, FEATHER_PIXELS.1)
}

/// The regions of `face`, with a face cut by the frame's border covered up to it.
pub fn face_shapes(face: &Face, width: usize, height: usize) -> RegionShapes {
    let b = face.bbox;
    let (points, scheme) = match &face.landmarks {
        Some(lm) => (lm.to_pixels(&b), Some(lm.scheme.as_str())),
        None => (Vec::new(), None),
    };
    let bbox = [b.x, b.y, b.width, b.height];
    let mut shapes = RegionShapes::new(scheme, &points, bbox, face.head_pose.as_ref());
    shapes.cover_box_at_border(bbox, width, height);
    shapes
}

/// Occludes every face as `coverage` and `look` say, leaving the pixels of `keep` (the sure
/// hands in front of the faces, `show-hands`) as they were.
pub fn occlude_faces(
    planes: &mut Planes,
    look: &Look,
    coverage: &Coverage,
    faces: &[Face],
    keep: Option<&Mask>,
) {
    let saved = keep.map(|m| planes.save(m));
    for face in faces {
        occlude_face(planes, look, coverage, face);
    }
    if let Some(saved) = &saved {
        planes.restore(saved);
    }
}

/// Occludes one face as `coverage` and `look` say.
pub fn occlude_face(planes: &mut Planes, look: &Look, coverage: &Coverage, face: &Face) {
    if coverage.nothing() {
        return;
    }
    let (w, h) = (planes.width, planes.height);
    let shapes = face_shapes(face, w, h);
    let face_width = face.bbox.width;
    let margin = look.margin * face_width;
    // Covered regions grouped by look; single regions first, containers last (stable).
    let mut layers: Vec<(RegionStyle, Vec<Region>)> = Vec::new();
    for &r in &coverage.covered {
        let st = look.styles.0.get(&r).copied().unwrap_or(RegionStyle {
            style: look.style,
            strength: None,
        });
        match layers.iter_mut().find(|(s, _)| *s == st) {
            Some((_, regions)) => regions.push(r),
            None => layers.push((st, vec![r])),
        }
    }
    layers.sort_by_key(|(_, regions)| regions.iter().map(|r| r.layer_rank()).max());
    let mut below: Vec<Region> = Vec::new();
    let masks: Vec<(Mask, Option<Mask>)> = layers
        .iter()
        .map(|(_, regions)| {
            let m = layer_masks(&shapes, coverage, regions, &below, margin, w, h);
            below.extend(regions);
            m
        })
        .collect();

    let intensity = coverage.intensity as f32;
    let full_radius = (BLUR_RADIUS_PER_FACE_WIDTH * face_width).max(1.0);
    let ramp = feather_width(face_width);
    // What only stickers need (their rims in cut-outs, what they keep out of) is gathered
    // only when a sticker is drawn.
    let with_stickers = layers
        .iter()
        .zip(&masks)
        .any(|((st, _), (mask, _))| st.style == Style::Sticker && mask.w > 0);
    let mut holes = Mask::empty();
    let mut painted = Mask::empty();
    let mut softened = Mask::empty();
    for ((st, regions), (mask, hole)) in layers.iter().zip(&masks) {
        if let Some(hole) = hole {
            holes = holes.union(hole);
        }
        if mask.w == 0 {
            continue;
        }
        // The soft edge lies outside the mask: what must be hidden stays fully hidden; it
        // fades into the background and into the rim of uncovered regions (a cut-out's
        // outline is anti-aliased like the face's, its inside shows as it is).
        let soft = if holes.w > 0 {
            // Into a cut-out the ramp is narrower: small organs (eyes) keep most of their size.
            let [mut soft, rim] =
                mask.feathered_each([ramp, (ramp * HOLE_RIM_SHARE).max(1.0)], w, h);
            soft.replace_soft_in(&holes, &rim);
            soft
        } else {
            mask.feathered(ramp, w, h)
        };
        if with_stickers {
            softened = softened.union(&soft);
        }
        match st.style {
            Style::Blur => {
                let strength = st.strength.unwrap_or(look.blur_strength) / 100.0;
                planes.blur(&soft, full_radius * intensity * strength);
            }
            Style::Pixelate => {
                let strength = st.strength.unwrap_or(100.0) / 100.0;
                let cell = face_width / look.pixelate_blocks.max(1) as f32 * intensity * strength;
                // Whole cells on a grid fixed to the face box, coloured from hidden pixels
                // only; uncovered regions keep their soft edge instead of cells.
                let grid = CellGrid {
                    origin: [face.bbox.x, face.bbox.y],
                    size: cell.max(1.0),
                };
                let open = (holes.w > 0).then_some(&holes);
                let paint = mask.snapped_to_cells(grid, open, &soft, w, h);
                let mut face_only = Mask {
                    data: vec![0; mask.data.len()],
                    ..mask.clone()
                };
                for p in regions.iter().flat_map(|&r| shapes.get(r)) {
                    face_only.fill_convex(p, 255);
                }
                planes.pixelate_cells(&face_only, mask, &paint, grid);
            }
            Style::Fill => planes.fill(&soft, look.fill_rgb),
            // The backdrop keeps the face hidden where a sticker is transparent; not
            // feathered, or its ramp would show as a halo round the sticker's outline.
            Style::Sticker => planes.blur(mask, full_radius),
        }
        if with_stickers && st.style != Style::Sticker {
            painted = painted.union(mask);
        }
    }
    if !with_stickers {
        return;
    }

    // Stickers: containers' first (their layers were sorted last), then regions', extras.
    // Stickers keep out of cut-outs but for their rim, where they fade like the other styles.
    let holes = holes.rimmed(&softened);
    let keep_holes = (holes.w > 0).then_some(&holes);
    let container_keep = holes.union(&painted);
    let container_keep = (container_keep.w > 0).then_some(&container_keep);
    for ((st, regions), (mask, _)) in layers.iter().zip(&masks).rev() {
        if st.style != Style::Sticker || mask.w == 0 {
            continue;
        }
        let container = [Region::Head, Region::Face]
            .into_iter()
            .find(|r| regions.contains(r) && look.stickers.get(*r).is_some());
        // Regions under a container's sticker need none of their own; ears and neck do,
        // drawn first so that the head or face sticker lies over their inner ends.
        let outside = |r: &&Region| match container {
            Some(_) => matches!(r, Region::Ears | Region::Neck),
            None => !r.is_container(),
        };
        for r in regions.iter().filter(outside) {
            if let Some(placed) = look.stickers.get(*r) {
                // A sticker centred on its region (an organ, the ears, the neck) covers it,
                // margin included; one standing beside it (a PNG's anchor) is drawn as given.
                let pl = placed.placement;
                if pl.anchor == *r && pl.side == StickerSide::Centre {
                    let claimed: Vec<Polygon> =
                        shapes.get(*r).iter().map(|p| grow(p, margin)).collect();
                    draw_covering(planes, &shapes, placed, margin, keep_holes, &claimed);
                } else {
                    draw(planes, &shapes, placed, margin, keep_holes);
                }
            }
        }
        // The outermost covered container with a sticker covers its whole layer (grown to
        // cover it), then the organ layers go where the organs are, unless uncovered.
        if let Some(c) = container {
            let claimed: Vec<Polygon> = regions
                .iter()
                .filter(|r| **r == c || c.contains(**r))
                .flat_map(|r| shapes.get(*r).iter().map(|p| grow(p, margin)))
                .collect();
            let placed = &look.stickers.stickers[&c];
            draw_covering(planes, &shapes, placed, margin, container_keep, &claimed);
            for (organ, placed) in &look.stickers.organ_layers {
                let own_look = coverage.covered.contains(organ)
                    && look.styles.0.get(organ).map_or(look.style, |s| s.style) != Style::Sticker;
                if coverage.uncovered.contains(organ) || own_look || !c.contains(*organ) {
                    continue;
                }
                // On the base, an organ is drawn at its own size (no margin to cover).
                draw(planes, &shapes, placed, 0.0, container_keep);
            }
        }
    }
    for extra in &look.stickers.extras {
        draw(planes, &shapes, extra, margin, keep_holes);
    }
}

/// Where a placed sticker goes on a face: centre, size (before rotation) and angle, one per
/// shape of its anchor region (each eye, each visible ear; one for the others).
pub fn sticker_spots(
    shapes: &RegionShapes,
    placed: &PlacedSticker,
    margin: f32,
) -> Vec<([f32; 2], [f32; 2], f32)> {
    let pl = placed.placement;
    let roll = shapes.roll;
    let boxes: Vec<([f32; 2], [f32; 2])> = if pl.anchor.is_container() {
        shapes.oriented_box(pl.anchor).into_iter().collect()
    } else {
        shapes
            .get(pl.anchor)
            .iter()
            .filter_map(|p| oriented_box(p, roll))
            .collect()
    };
    let (s, c) = roll.sin_cos();
    let (across, down) = ([c, s], [-s, c]);
    let st = &placed.sticker;
    boxes
        .into_iter()
        .map(|(centre, size)| {
            let (mut at, sz) = match pl.side {
                StickerSide::Centre => {
                    let k = if pl.anchor.is_container() {
                        CONTAINER_STICKER_SCALE
                    } else {
                        REGION_STICKER_SCALE
                    };
                    (
                        centre,
                        [
                            (size[0] * k + 2.0 * margin) * pl.scale,
                            (size[1] * k + 2.0 * margin) * pl.scale,
                        ],
                    )
                }
                StickerSide::Top | StickerSide::Bottom => {
                    let width = pl.scale * shapes.head_width();
                    let height = width * st.height as f32 / st.width.max(1) as f32;
                    let narrowed = width * shapes.head.foreshortening().max(MIN_FORESHORTENING);
                    let reach = (size[1] + height) / 2.0;
                    let k = if pl.side == StickerSide::Top {
                        -reach
                    } else {
                        reach
                    };
                    (
                        [centre[0] + down[0] * k, centre[1] + down[1] * k],
                        [narrowed, height],
                    )
                }
            };
            let (dx, dy) = (pl.offset[0] * sz[0], pl.offset[1] * sz[1]);
            at = [
                at[0] + across[0] * dx + down[0] * dy,
                at[1] + across[1] * dx + down[1] * dy,
            ];
            (at, sz, roll)
        })
        .collect()
}

fn draw(
    planes: &mut Planes,
    shapes: &RegionShapes,
    placed: &PlacedSticker,
    margin: f32,
    keep: Option<&Mask>,
) {
    for (centre, size, angle) in sticker_spots(shapes, placed, margin) {
        planes.sticker(&placed.sticker, centre, size, angle, keep);
    }
}

/// Stickers grow by at most this much to cover what they claim.
const MAX_COVER_GROWTH: f32 = 1.6;

/// [`draw`] for a sticker that claims to cover `claimed` (one polygon per spot for organ
/// pairs, or polygons all under one spot): each spot is enlarged (about its centre, by
/// at most [`MAX_COVER_GROWTH`]) until the outline of what it claims falls on opaque
/// sticker pixels, so the blurred backdrop does not show around it (a sticker's round
/// outline inside a face's less round one). Beyond that growth the backdrop stays.
fn draw_covering(
    planes: &mut Planes,
    shapes: &RegionShapes,
    placed: &PlacedSticker,
    margin: f32,
    keep: Option<&Mask>,
    claimed: &[Polygon],
) {
    let spots = sticker_spots(shapes, placed, margin);
    let per_spot = spots.len() == claimed.len() && spots.len() > 1;
    for (i, (centre, size, angle)) in spots.iter().copied().enumerate() {
        let polys = if per_spot { &claimed[i..=i] } else { claimed };
        let k = cover_growth(&placed.sticker, centre, size, angle, polys);
        planes.sticker(
            &placed.sticker,
            centre,
            [size[0] * k, size[1] * k],
            angle,
            keep,
        );
    }
}

/// Points every pixel or so along the outlines of `polys`.
fn outline(polys: &[Polygon]) -> impl Iterator<Item = [f32; 2]> + '_ {
    polys.iter().flat_map(|poly| {
        (0..poly.len()).flat_map(move |i| {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            let steps = (((b[0] - a[0]).hypot(b[1] - a[1])).ceil() as usize).clamp(1, 4096);
            (0..steps).map(move |j| {
                let t = j as f32 / steps as f32;
                [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
            })
        })
    })
}

/// The growth (1 ..= [`MAX_COVER_GROWTH`]) at which the sticker placed at `centre` with
/// `size`, turned by `angle`, is opaque all along the outlines of `polys` (sampled every
/// pixel or so).
pub fn cover_growth(
    sticker: &Sticker,
    centre: [f32; 2],
    size: [f32; 2],
    angle: f32,
    polys: &[Polygon],
) -> f32 {
    let (s, c) = angle.sin_cos();
    let opaque_at = |p: [f32; 2], k: f32| {
        let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
        let u = (dx * c + dy * s) / (size[0] * k) + 0.5;
        let v = (-dx * s + dy * c) / (size[1] * k) + 0.5;
        (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) && sticker.sample(u, v)[3] >= 250.0
    };
    let mut k = 1.0f32;
    for p in outline(polys) {
        while !opaque_at(p, k) && k < MAX_COVER_GROWTH {
            k = (k + 0.01).min(MAX_COVER_GROWTH);
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_styles_parse_and_name_the_bad_entry() {
        let s = RegionStyles::parse("eyes=sticker, mouth=blur:40,face=pixelate").unwrap();
        assert_eq!(s.0.len(), 3);
        assert_eq!(
            s.0[&Region::Mouth],
            RegionStyle {
                style: Style::Blur,
                strength: Some(40.0)
            }
        );
        assert_eq!(s.format(), "face=pixelate,eyes=sticker,mouth=blur:40");
        assert_eq!(RegionStyles::parse(&s.format()).unwrap(), s);
        assert!(RegionStyles::parse(" ").unwrap().0.is_empty());
        for (text, says) in [
            (
                "eyes=sticker,mouth=blurr",
                "styles item 2 'mouth=blurr': 'blurr' is not a style",
            ),
            ("eyes", "styles item 1 'eyes': expected REGION=STYLE"),
            ("lips=blur", "'lips' is not a region"),
            ("eyes=blur:140", "strength '140' is not a percentage"),
            ("eyes=blur:x", "strength 'x'"),
            (
                "eyes=blur:0",
                "strength '0' is not a percentage from 1 to 100",
            ),
            ("eyes=pixelate:0.5", "strength '0.5' is not a percentage"),
            (
                "eyes=fill:50",
                "a strength applies to blur and pixelate only",
            ),
            (
                "eyes=blur,eyes=fill",
                "styles item 2 'eyes=fill': region 'eyes' is given twice",
            ),
            ("eyes=blur,,mouth=fill", "styles item 2 is empty"),
        ] {
            let e = RegionStyles::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    /// An uncovered organ's cut-out has the same anti-aliased ramp as the face's outline,
    /// laid inside the organ's rim: the face round it stays fully covered, the organ's
    /// middle shows untouched, and its rim pixels are partly covered (fill and sticker).
    #[test]
    fn an_uncovered_organs_cut_out_has_a_soft_rim_inside_the_organ() {
        use crate::face::HeadPose;
        use crate::face::testing::{mesh_face, posed_reference};
        use crate::faceocclude::levels::{LevelPlan, face_masks};
        use crate::frame::polygon::{FillRule, scan_polygon};
        use crate::frame::view::Layout;
        let (w, h) = (400usize, 420usize);
        let blue = [0u8, 0, 255];
        let pts = posed_reference(&HeadPose::default(), [200.0, 230.0], 90.0);
        let face = mesh_face(&pts, None);
        let shapes = face_shapes(&face, w, h);
        let ramp = feather_width(face.bbox.width);
        assert!(ramp > 3.0, "{ramp}");
        for (style, set) in [(Style::Fill, "smiley"), (Style::Sticker, "cat")] {
            for organ in [Region::Eyes, Region::Mouth] {
                let look = Look {
                    style,
                    blur_strength: 100.0,
                    pixelate_blocks: 4,
                    fill_rgb: [250, 250, 0],
                    margin: 0.2,
                    stickers: Arc::new(StickerSet::builtin(set).unwrap()),
                    styles: RegionStyles::default(),
                };
                let plan = LevelPlan {
                    priority: vec![organ, Region::Face],
                    unlock: Vec::new(),
                    level: 1,
                    level_step: 0.1,
                };
                let mut rgb = blue.repeat(w * h);
                {
                    let (mut b, mut c) = (Vec::new(), Vec::new());
                    let mut planes =
                        Planes::new(Layout::RGB, w, h, [&mut rgb, &mut b, &mut c], [w * 3, 0, 0])
                            .unwrap();
                    occlude_face(&mut planes, &look, &plan.coverage(), &face);
                }
                let px = |x: usize, y: usize| {
                    let o = (y * w + x) * 3;
                    [rgb[o], rgb[o + 1], rgb[o + 2]]
                };
                let (mask, _) = face_masks(&shapes, &plan.coverage(), 0.2 * face.bbox.width, w, h);
                // Distance (in pixels, chessboard) from an organ pixel to the nearest covered one.
                let near_covered = |x: usize, y: usize, d: usize| {
                    (y.saturating_sub(d)..=y + d)
                        .any(|yy| (x.saturating_sub(d)..=x + d).any(|xx| mask.at(xx, yy) == 255))
                };
                let (mut rim, mut soft_rim, mut middle) = (0, 0, 0);
                for poly in shapes.get(organ) {
                    scan_polygon(poly, 0..w, 0..h, FillRule::Convex, |y, a, b| {
                        for x in a..b {
                            if mask.at(x, y) == 255 {
                                continue;
                            }
                            if near_covered(x, y, 1) {
                                rim += 1;
                                soft_rim += usize::from(px(x, y) != blue);
                            } else if !near_covered(
                                x,
                                y,
                                (ramp * HOLE_RIM_SHARE).ceil() as usize + 1,
                            ) {
                                middle += 1;
                                assert_eq!(px(x, y), blue, "{style:?} {organ:?}: ({x}, {y})");
                            }
                        }
                    });
                }
                assert!(
                    rim > 20 && middle > 20,
                    "{style:?} {organ:?}: rim {rim}, middle {middle}"
                );
                assert!(
                    soft_rim * 10 >= rim * 9,
                    "{style:?} {organ:?}: only {soft_rim} of {rim} rim pixels are softened"
                );
                // The face round the organ stays fully covered: fill colour / sticker, never the
                // frame's blue.
                for y in mask.y0..mask.y0 + mask.h {
                    for x in mask.x0..mask.x0 + mask.w {
                        if mask.at(x, y) == 255 && style == Style::Fill {
                            assert_eq!(px(x, y), [250, 250, 0], "({x}, {y})");
                        }
                        if mask.at(x, y) == 255 && style == Style::Sticker {
                            assert_ne!(px(x, y), blue, "{organ:?}: ({x}, {y})");
                        }
                    }
                }
            }
        }
    }

    /// A signer's fingers in front of the chin: no hand segmentation, so what lies over the
    /// face is hidden with it (fail-closed) and the face is never opened to show a hand;
    /// the hand below the face and its soft edge stays as it was.
    #[test]
    fn a_hand_over_the_face_is_hidden_with_it_and_stays_visible_below() {
        use crate::face::HeadPose;
        use crate::face::testing::{mesh_face, posed_reference};
        use crate::faceocclude::levels::{LevelPlan, face_masks};
        use crate::frame::view::Layout;
        let (w, h) = (300usize, 340usize);
        let pts = posed_reference(&HeadPose::default(), [150.0, 150.0], 70.0);
        let face = mesh_face(&pts, None);
        let bbox = face.bbox;
        // Fingers: light and dark stripes 4 px wide from mid-face down past the frame's bottom.
        let finger_top = (bbox.y + 0.6 * bbox.height) as usize;
        let hand = |x: usize, y: usize| y >= finger_top && (110..190).contains(&x);
        let mut rgb = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let c = match (hand(x, y), (x / 4) % 2) {
                    (true, 0) => [235, 190, 160],
                    (true, _) => [90, 50, 40],
                    _ => [40, 90, 160],
                };
                rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&c);
            }
        }
        let before = rgb.clone();
        let look = Look {
            style: Style::Blur,
            blur_strength: 100.0,
            pixelate_blocks: 10,
            fill_rgb: [0, 0, 0],
            margin: 0.05,
            stickers: Arc::new(StickerSet::builtin("smiley").unwrap()),
            styles: RegionStyles::default(),
        };
        let plan = LevelPlan {
            priority: Vec::new(),
            unlock: Vec::new(),
            level: 0,
            level_step: 0.1,
        };
        {
            let (mut b, mut c) = (Vec::new(), Vec::new());
            let mut planes =
                Planes::new(Layout::RGB, w, h, [&mut rgb, &mut b, &mut c], [w * 3, 0, 0]).unwrap();
            occlude_face(&mut planes, &look, &plan.coverage(), &face);
        }
        let shapes = face_shapes(&face, w, h);
        let (mask, _) = face_masks(&shapes, &plan.coverage(), 0.05 * bbox.width, w, h);
        let soft = mask.feathered(feather_width(bbox.width), w, h);
        let luma = |d: &[u8], x: usize, y: usize| d[(y * w + x) * 3] as i32;
        let (mut fingers_hidden, mut fingers_over_face, mut shown, mut shown_same) = (0, 0, 0, 0);
        for y in 0..h {
            for x in 4..w - 4 {
                if !hand(x, y) || !hand(x - 4, y) || !hand(x + 4, y) {
                    continue;
                }
                if mask.at(x, y) == 255 && mask.at(x + 4, y) == 255 {
                    // Over the face: the stripes are gone (a finger's edge no longer shows).
                    fingers_over_face += 1;
                    let contrast = (luma(&rgb, x, y) - luma(&rgb, x + 4, y)).abs();
                    fingers_hidden += usize::from(contrast < 40);
                } else if soft.at(x, y) == 0 {
                    shown += 1;
                    shown_same += usize::from(luma(&rgb, x, y) == luma(&before, x, y));
                }
            }
        }
        assert!(fingers_over_face > 500, "{fingers_over_face}");
        assert_eq!(
            fingers_hidden, fingers_over_face,
            "fingers over the face show"
        );
        assert!(shown > 2000, "{shown}");
        assert_eq!(shown_same, shown, "the hand below the face changed");
    }
}
