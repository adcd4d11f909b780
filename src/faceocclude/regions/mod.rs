//! Face regions as convex polygons in frame pixels.
//!
//! With the 468-point MediaPipe mesh every region is the convex hull of a fixed list of
//! mesh indices (the whole face is the hull of all 468 points). Coarser schemes
//! (`blazeface-6`, `centerface-5`) and faces without landmarks fall back to ellipses placed
//! from the eye, nose and mouth keypoints (or from typical proportions of the face box).
//!
//! `head`, `ears` and `neck` lie (partly) outside the mesh: they come from a small 3D head
//! model (an ellipsoid skull, two ear blobs, a neck column, in the reference face's units)
//! turned by the head pose and placed by a weak-perspective fit of the reference face to
//! the landmarks ([`HeadFrame`]), so they follow position, scale, roll and yaw.

mod geometry;
mod head;

use crate::face::reference::{FACE_REFERENCE_468, MIRROR_PAIRS};
use crate::face::{HeadPose, LandmarkScheme, MESH_INNER_LIPS, mean_point};
use geometry::clip_beyond;
use geometry::ellipse;
pub use geometry::{Polygon, convex_hull, grow, oriented_box, touches_border};
pub use head::HeadFrame;
use head::{
    EAR_CENTRE, EAR_HIDDEN_BEYOND, EAR_RADII, EYE_CENTRES_APART, EYE_LINE_Y, EYE_LINE_Z, NECK_AXIS,
    NECK_RADII, NECK_SPAN, SKULL_CENTRE, SKULL_RADII, rotation_of,
};

/// A part of the face that can be covered or uncovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// The whole face (landmark hull). When covered while other regions are uncovered it
    /// means "the rest of the face": the hull minus the uncovered regions.
    Face,
    Eyes,
    Brows,
    Nose,
    Mouth,
    Cheeks,
    Forehead,
    Chin,
    /// The face plus the hair / skull above and beside it.
    Head,
    /// Each ear beside the face oval at eye-to-mouth height; an ear turned away from the
    /// camera has no shape.
    Ears,
    /// Below the chin.
    Neck,
}

impl Region {
    pub const ALL: [Region; 11] = [
        Region::Face,
        Region::Eyes,
        Region::Brows,
        Region::Nose,
        Region::Mouth,
        Region::Cheeks,
        Region::Forehead,
        Region::Chin,
        Region::Head,
        Region::Ears,
        Region::Neck,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Region::Face => "face",
            Region::Eyes => "eyes",
            Region::Brows => "brows",
            Region::Nose => "nose",
            Region::Mouth => "mouth",
            Region::Cheeks => "cheeks",
            Region::Forehead => "forehead",
            Region::Chin => "chin",
            Region::Head => "head",
            Region::Ears => "ears",
            Region::Neck => "neck",
        }
    }

    pub fn parse(s: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.name() == s)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Regions that contain others: covered, they mean "the rest" (minus what is uncovered).
    pub fn is_container(self) -> bool {
        matches!(self, Region::Face | Region::Head)
    }

    /// True when `other` lies inside this region: the face holds eyes .. chin, the head the
    /// face and what it holds (ears and neck lie beside / below them).
    pub fn contains(self, other: Region) -> bool {
        let in_face =
            |r: Region| (Region::Eyes.index()..=Region::Chin.index()).contains(&r.index());
        match self {
            Region::Face => in_face(other),
            Region::Head => other == Region::Face || in_face(other),
            _ => false,
        }
    }

    /// Drawing order when regions have different looks: the regions inside the face, then
    /// the face, then ears and neck, then the head. Earlier ones win where they overlap.
    pub fn layer_rank(self) -> u8 {
        match self {
            Region::Face => 1,
            Region::Ears | Region::Neck => 2,
            Region::Head => 3,
            _ => 0,
        }
    }
}

/// Parses a comma-separated region list (`"eyes, mouth"`); empty input gives an empty list.
/// Duplicates are dropped (first one kept).
pub fn parse_region_list(s: &str) -> Result<Vec<Region>, String> {
    let mut out = Vec::new();
    for (i, item) in s.split(',').map(str::trim).enumerate() {
        if item.is_empty() {
            if s.trim().is_empty() {
                break;
            }
            return Err(format!("item {} is empty", i + 1));
        }
        let r = Region::parse(item).ok_or_else(|| {
            format!(
                "item {} '{item}' is not a region (one of: {})",
                i + 1,
                region_names()
            )
        })?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// "face, eyes, ..." for messages.
pub fn region_names() -> String {
    Region::ALL.map(Region::name).join(", ")
}

pub fn format_region_list(regions: &[Region]) -> String {
    regions
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(",")
}

// Mesh indices on the image-left side of the face (plus midline points); the other side is
// taken through the mesh's mirror pairs.
// The eye opening and the ring of points around it (lids and socket).
const EYE: &[u16] = &[
    33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246, 130, 25, 110, 24,
    23, 22, 26, 112, 243, 190, 56, 28, 27, 29, 30, 247,
];
const BROW: &[u16] = &[70, 63, 105, 66, 107, 55, 65, 52, 53, 46];
const NOSE: &[u16] = &[
    168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 97, 64, 48, 49, 129, 102, 115, 131, 134, 51, 45, 44,
    220, 236, 198, 209, 217, 174, 122, 196, 3, 114, 188,
];
const MOUTH: &[u16] = &[
    61, 146, 91, 181, 84, 17, 0, 37, 39, 40, 185, 78, 95, 88, 178, 87, 14, 13, 82, 81, 80, 191,
];
const CHEEK: &[u16] = &[
    50, 101, 36, 205, 187, 123, 116, 117, 118, 119, 100, 47, 126, 142, 203, 206, 207, 147, 213,
    192, 214,
];
const FOREHEAD: &[u16] = &[10, 109, 67, 103, 54, 21, 151, 108, 69, 104, 68, 71, 9];
const CHIN: &[u16] = &[
    152, 148, 176, 149, 150, 136, 18, 200, 199, 175, 83, 182, 106, 43, 204, 194, 201, 32, 140, 171,
    208,
];

/// Margin around the inner lip contour, times the mouth's width (corner to corner): wider
/// than the feathered edge (3% of the face width), so the ramp stays off the opening.
const MOUTH_OPENING_MARGIN: f32 = 0.15;

fn mirrored(side: &[u16]) -> Vec<usize> {
    side.iter()
        .map(|&i| MIRROR_PAIRS[i as usize] as usize)
        .collect()
}

fn both_sides(side: &[u16]) -> Vec<usize> {
    let mut all: Vec<usize> = side.iter().map(|&i| i as usize).collect();
    all.extend(mirrored(side));
    all.sort_unstable();
    all.dedup();
    all
}

/// The regions of one face, in frame pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionShapes {
    polygons: [Vec<Polygon>; Region::ALL.len()],
    /// Face roll in radians (clockwise as seen positive), from the eye line.
    pub roll: f32,
    /// True when the regions come from the 468-point mesh, false for keypoint fallbacks.
    pub from_mesh: bool,
    /// Where the head sits: the reference face's units projected into the frame.
    pub head: HeadFrame,
}

impl RegionShapes {
    /// Regions of a face with box `bbox` (`[x, y, width, height]` in pixels) and landmarks
    /// `points` in pixels of scheme `scheme` (`mediapipe-468`, `blazeface-6`,
    /// `centerface-5`; anything else uses the box alone). `pose` (the face's head pose)
    /// turns the head model; without it the head is taken as facing the camera, rolled as
    /// the eye line says.
    pub fn new(
        scheme: Option<&str>,
        points: &[[f32; 3]],
        bbox: [f32; 4],
        pose: Option<&HeadPose>,
    ) -> Self {
        let xy = |i: usize| [points[i][0], points[i][1]];
        let scheme = scheme
            .and_then(LandmarkScheme::parse)
            .filter(|s| points.len() >= s.min_points());
        // The mean of a named point's indices (all present: `min_points` was checked).
        let named = |idx: &[usize]| {
            let (x, y) = mean_point(points, idx).unwrap_or_default();
            [x, y]
        };
        let mut shapes = match scheme {
            Some(LandmarkScheme::Mesh468) => {
                let hull_of =
                    |idx: &[usize]| convex_hull(&idx.iter().map(|&i| xy(i)).collect::<Vec<_>>());
                let pair = |side: &[u16]| {
                    let a: Vec<usize> = side.iter().map(|&i| i as usize).collect();
                    vec![hull_of(&a), hull_of(&mirrored(side))]
                };
                let all: Vec<[f32; 2]> = points.iter().map(|p| [p[0], p[1]]).collect();
                let (e0, e1) = (xy(33), xy(263));
                let roll = (e1[1] - e0[1]).atan2(e1[0] - e0[0]);
                let mut polygons: [Vec<Polygon>; Region::ALL.len()] = Default::default();
                polygons[Region::Face.index()] = vec![convex_hull(&all)];
                polygons[Region::Eyes.index()] = pair(EYE);
                polygons[Region::Brows.index()] = pair(BROW);
                polygons[Region::Nose.index()] = vec![hull_of(&both_sides(NOSE))];
                // The mouth: the lips plus the whole opening (inner lip contour and a
                // margin), so a wide-open mouth's lower lip and tongue belong to it.
                let mouth_width = (xy(291)[0] - xy(61)[0]).hypot(xy(291)[1] - xy(61)[1]);
                let opening: Vec<[f32; 2]> = MESH_INNER_LIPS.iter().map(|&i| xy(i)).collect();
                let mut mouth: Vec<[f32; 2]> = both_sides(MOUTH).into_iter().map(xy).collect();
                mouth.extend(grow(
                    &convex_hull(&opening),
                    MOUTH_OPENING_MARGIN * mouth_width,
                ));
                let mouth = convex_hull(&mouth);
                // The chin starts below the mouth: its hull's straight top edge would cut
                // across the lower lip of an open mouth.
                let down = [-roll.sin(), roll.cos()];
                let below = mouth
                    .iter()
                    .map(|p| p[0] * down[0] + p[1] * down[1])
                    .fold(f32::MIN, f32::max);
                polygons[Region::Mouth.index()] = vec![mouth];
                polygons[Region::Cheeks.index()] = pair(CHEEK);
                polygons[Region::Forehead.index()] = vec![hull_of(&both_sides(FOREHEAD))];
                polygons[Region::Chin.index()] =
                    vec![clip_beyond(&hull_of(&both_sides(CHIN)), down, below)];
                let rotation = rotation_of(pose, roll);
                let head =
                    HeadFrame::fit(rotation, &FACE_REFERENCE_468, points).unwrap_or_else(|| {
                        let d = ((e1[0] - e0[0]).powi(2) + (e1[1] - e0[1]).powi(2)).sqrt();
                        HeadFrame::placed(
                            rotation,
                            d.max(1.0),
                            [0.0, -0.331, 0.134],
                            [(e0[0] + e1[0]) / 2.0, (e0[1] + e1[1]) / 2.0],
                        )
                    });
                Self {
                    polygons,
                    roll,
                    from_mesh: true,
                    head,
                }
            }
            Some(s @ LandmarkScheme::BlazeFace6) => {
                let mouth = named(s.mouth());
                Self::from_keypoints(
                    named(s.right_eye()),
                    named(s.left_eye()),
                    named(s.nose_tip()),
                    mouth,
                    None,
                    bbox,
                    pose,
                )
            }
            Some(s @ LandmarkScheme::CenterFace5) => {
                let (m0, m1) = (xy(s.mouth()[0]), xy(s.mouth()[1]));
                let mouth = named(s.mouth());
                let width = ((m1[0] - m0[0]).powi(2) + (m1[1] - m0[1]).powi(2)).sqrt();
                Self::from_keypoints(
                    named(s.right_eye()),
                    named(s.left_eye()),
                    named(s.nose_tip()),
                    mouth,
                    Some(width),
                    bbox,
                    pose,
                )
            }
            _ => {
                // Typical proportions of a detector box, turned by the pose's roll if known.
                let [x, y, w, h] = bbox;
                let roll = pose.map_or(0.0, |p| (p.roll as f32).to_radians());
                let c = [x + w / 2.0, y + h / 2.0];
                let at = |fx: f32, fy: f32| {
                    let (dx, dy) = ((fx - 0.5) * w, (fy - 0.5) * h);
                    let (s, co) = roll.sin_cos();
                    [c[0] + dx * co - dy * s, c[1] + dx * s + dy * co]
                };
                Self::from_keypoints(
                    at(0.32, 0.42),
                    at(0.68, 0.42),
                    at(0.5, 0.6),
                    at(0.5, 0.78),
                    None,
                    bbox,
                    pose,
                )
            }
        };
        shapes.add_head_regions();
        shapes
    }

    /// `head`, `ears` and `neck` from the head model placed by `self.head`.
    fn add_head_regions(&mut self) {
        let head = self.head;
        let mut outline: Vec<[f32; 2]> = self.get(Region::Face).iter().flatten().copied().collect();
        outline.extend(head.ellipsoid(SKULL_CENTRE, SKULL_RADII));
        self.polygons[Region::Head.index()] = vec![convex_hull(&outline)];
        self.polygons[Region::Ears.index()] = [-1.0f32, 1.0]
            .into_iter()
            .filter(|&side| head.faces_camera([side, 0.0, 0.0], EAR_HIDDEN_BEYOND))
            .map(|side| {
                let c = [side * EAR_CENTRE[0], EAR_CENTRE[1], EAR_CENTRE[2]];
                convex_hull(&head.ellipsoid(c, EAR_RADII))
            })
            .collect();
        self.polygons[Region::Neck.index()] =
            vec![convex_hull(&head.column(NECK_AXIS, NECK_RADII, NECK_SPAN))];
    }

    fn from_keypoints(
        eye_a: [f32; 2],
        eye_b: [f32; 2],
        nose: [f32; 2],
        mouth: [f32; 2],
        mouth_width: Option<f32>,
        bbox: [f32; 4],
        pose: Option<&HeadPose>,
    ) -> Self {
        let (dx, dy) = (eye_b[0] - eye_a[0], eye_b[1] - eye_a[1]);
        let d = (dx * dx + dy * dy).sqrt().max(1.0);
        let u = [dx / d, dy / d];
        // "Down" the face, perpendicular to the eye line.
        let v = [-u[1], u[0]];
        let at = |p: [f32; 2], du: f32, dv: f32| {
            [
                p[0] + u[0] * du * d + v[0] * dv * d,
                p[1] + u[1] * du * d + v[1] * dv * d,
            ]
        };
        let mid = [(eye_a[0] + eye_b[0]) / 2.0, (eye_a[1] + eye_b[1]) / 2.0];
        let roll = u[1].atan2(u[0]);
        let mut polygons: [Vec<Polygon>; Region::ALL.len()] = Default::default();
        let [x, y, w, h] = bbox;
        // The detector box hugs the face; its inscribed ellipse grown by 10% covers it.
        polygons[Region::Face.index()] =
            vec![ellipse([x + w / 2.0, y + h / 2.0], u, w * 0.55, h * 0.6)];
        polygons[Region::Eyes.index()] = vec![
            ellipse(eye_a, u, 0.3 * d, 0.18 * d),
            ellipse(eye_b, u, 0.3 * d, 0.18 * d),
        ];
        polygons[Region::Brows.index()] = vec![
            ellipse(at(eye_a, -0.05, -0.32), u, 0.35 * d, 0.12 * d),
            ellipse(at(eye_b, 0.05, -0.32), u, 0.35 * d, 0.12 * d),
        ];
        let nose_len = ((nose[0] - mid[0]).powi(2) + (nose[1] - mid[1]).powi(2)).sqrt();
        let nose_c = [
            mid[0] + (nose[0] - mid[0]) * 0.6,
            mid[1] + (nose[1] - mid[1]) * 0.6,
        ];
        polygons[Region::Nose.index()] =
            vec![ellipse(nose_c, u, 0.25 * d, (0.55 * nose_len).max(0.2 * d))];
        let mouth_half = mouth_width.map(|w| 0.6 * w).unwrap_or(0.45 * d);
        polygons[Region::Mouth.index()] = vec![ellipse(mouth, u, mouth_half, 0.22 * d)];
        polygons[Region::Cheeks.index()] = vec![
            ellipse(at(eye_a, -0.1, 0.6), u, 0.28 * d, 0.3 * d),
            ellipse(at(eye_b, 0.1, 0.6), u, 0.28 * d, 0.3 * d),
        ];
        polygons[Region::Forehead.index()] =
            vec![ellipse(at(mid, 0.0, -0.8), u, 0.85 * d, 0.35 * d)];
        polygons[Region::Chin.index()] = vec![ellipse(at(mouth, 0.0, 0.5), u, 0.5 * d, 0.25 * d)];
        // Keypoint eyes are the eyes' centres, about 0.7 of the reference's outer-corner
        // distance apart (less as the head turns).
        let rotation = rotation_of(pose, roll);
        let across = rotation[0][0].hypot(rotation[1][0]).max(0.3);
        let scale = d / (EYE_CENTRES_APART * across);
        let head = HeadFrame::placed(rotation, scale, [0.0, EYE_LINE_Y, EYE_LINE_Z], mid);
        Self {
            polygons,
            roll,
            from_mesh: false,
            head,
        }
    }

    pub fn get(&self, region: Region) -> &[Polygon] {
        &self.polygons[region.index()]
    }

    /// Without the mesh, a face cut by the frame's border (box touching a `width` x
    /// `height` frame's edge, as boxes are clamped to the frame) is covered by its whole box
    /// grown by 10%: the ellipse inscribed in a clamped box would leave the part at the
    /// border uncovered.
    pub fn cover_box_at_border(&mut self, bbox: [f32; 4], width: usize, height: usize) {
        if self.from_mesh || !touches_border(bbox, width, height) {
            return;
        }
        let [x, y, w, h] = bbox;
        let (gx, gy) = (0.05 * w, 0.05 * h);
        self.polygons[Region::Face.index()] = vec![vec![
            [x - gx, y - gy],
            [x + w + gx, y - gy],
            [x + w + gx, y + h + gy],
            [x - gx, y + h + gy],
        ]];
        self.add_head_regions();
    }

    /// The head model's width in pixels (before the head's turn narrows its outline).
    pub fn head_width(&self) -> f32 {
        2.0 * SKULL_RADII[0] * self.head.scale
    }

    /// The centre and size (along and across the face's eye line) of a region's polygons
    /// taken together: where a sticker for it goes.
    pub fn oriented_box(&self, region: Region) -> Option<([f32; 2], [f32; 2])> {
        let pts: Vec<[f32; 2]> = self.get(region).iter().flatten().copied().collect();
        oriented_box(&pts, self.roll)
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use crate::face::reference::FACE_REFERENCE_468;

    /// The reference face scaled to pixels: inter-ocular distance 100 px, centred at (300, 300).
    pub(crate) fn reference_points() -> Vec<[f32; 3]> {
        FACE_REFERENCE_468
            .iter()
            .map(|p| [300.0 + p[0] * 100.0, 300.0 + p[1] * 100.0, p[2] * 100.0])
            .collect()
    }
}

#[cfg(test)]
mod tests;
