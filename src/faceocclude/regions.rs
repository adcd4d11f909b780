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

use crate::face::reference::{FACE_REFERENCE_468, MIRROR_PAIRS};
use crate::face::{HeadPose, LandmarkScheme, mean_point};

/// A convex polygon in frame pixels.
pub type Polygon = Vec<[f32; 2]>;

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

/// Convex hull (monotone chain), counter-clockwise in a y-up sense; fewer than 3 distinct
/// points give what there is.
pub fn convex_hull(points: &[[f32; 2]]) -> Polygon {
    let mut pts: Vec<[f32; 2]> = points
        .iter()
        .copied()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: [f32; 2], a: [f32; 2], b: [f32; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<[f32; 2]> = Vec::with_capacity(pts.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f32; 2]>> = if pass == 0 {
            Box::new(pts.iter())
        } else {
            Box::new(pts.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

pub fn centroid(poly: &[[f32; 2]]) -> [f32; 2] {
    let n = poly.len().max(1) as f32;
    let (sx, sy) = poly
        .iter()
        .fold((0.0, 0.0), |(sx, sy), p| (sx + p[0], sy + p[1]));
    [sx / n, sy / n]
}

/// Grows a convex polygon by `margin` pixels: each vertex moves away from the centroid.
pub fn grow(poly: &[[f32; 2]], margin: f32) -> Polygon {
    if margin == 0.0 {
        return poly.to_vec();
    }
    let c = centroid(poly);
    poly.iter()
        .map(|p| {
            let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
            let len = (dx * dx + dy * dy).sqrt();
            if len < 1e-3 {
                *p
            } else {
                let k = ((len + margin) / len).max(0.0);
                [c[0] + dx * k, c[1] + dy * k]
            }
        })
        .collect()
}

/// An ellipse as a 24-gon, `u` the unit direction of its first axis.
fn ellipse(c: [f32; 2], u: [f32; 2], a: f32, b: f32) -> Polygon {
    let v = [-u[1], u[0]];
    (0..24)
        .map(|i| {
            let t = i as f32 * std::f32::consts::TAU / 24.0;
            let (s, co) = t.sin_cos();
            [
                c[0] + u[0] * a * co + v[0] * b * s,
                c[1] + u[1] * a * co + v[1] * b * s,
            ]
        })
        .collect()
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
                polygons[Region::Mouth.index()] = vec![hull_of(&both_sides(MOUTH))];
                polygons[Region::Cheeks.index()] = pair(CHEEK);
                polygons[Region::Forehead.index()] = vec![hull_of(&both_sides(FOREHEAD))];
                polygons[Region::Chin.index()] = vec![hull_of(&both_sides(CHIN))];
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

// The head model, in the reference face's units (outer eye corners 1 apart, about 9 cm;
// x image right, y down, z away from the camera, origin near the nose bridge): a skull
// ellipsoid ~16 x 20 x 20 cm reaching ~8 cm above the top of the mesh (hair included), two
// ears ~6 cm tall beside it at eye-to-mouth height ~9 cm behind the eye corners, and a neck
// column below the jaw.
const SKULL_CENTRE: [f32; 3] = [0.0, -0.55, 1.0];
const SKULL_RADII: [f32; 3] = [0.9, 1.12, 1.1];
const EAR_CENTRE: [f32; 3] = [0.9, -0.05, 1.0];
const EAR_RADII: [f32; 3] = [0.14, 0.36, 0.22];
/// An ear whose outward normal points this far (sine) away from the camera is hidden behind
/// the cheek and skull: a head turned more than ~25 degrees shows only its near ear.
const EAR_HIDDEN_BEYOND: f32 = 0.42;
const NECK_AXIS: [f32; 2] = [0.0, 0.85];
const NECK_RADII: [f32; 2] = [0.58, 0.45];
const NECK_SPAN: [f32; 2] = [0.75, 1.8];
/// Eye line of the reference (outer corners) and the keypoint eyes' distance in its units.
const EYE_LINE_Y: f32 = -0.331;
const EYE_LINE_Z: f32 = 0.134;
const EYE_CENTRES_APART: f32 = 0.7;

/// The rotation of a face: its head pose, or facing the camera with the eye line's roll.
fn rotation_of(pose: Option<&HeadPose>, roll: f32) -> [[f32; 3]; 3] {
    let pose = pose.copied().unwrap_or(HeadPose {
        pitch: 0.0,
        yaw: 0.0,
        roll: (roll as f64).to_degrees(),
    });
    pose.rotation().map(|row| row.map(|v| v as f32))
}

/// Where a head sits in the frame: a point `p` of the reference face's space appears at
/// `scale * (R p)_xy + shift` (a weak-perspective camera, as `facedetect`'s pose fit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadFrame {
    pub rotation: [[f32; 3]; 3],
    /// Frame pixels per reference unit (outer eye corners 1 apart).
    pub scale: f32,
    pub shift: [f32; 2],
}

impl HeadFrame {
    /// Scale and shift that best (least squares) lay the reference face, turned by
    /// `rotation`, over the observed points (same indexing). `None` when degenerate.
    pub fn fit(
        rotation: [[f32; 3]; 3],
        reference: &[[f32; 3]],
        observed: &[[f32; 3]],
    ) -> Option<Self> {
        let n = reference.len().min(observed.len());
        if n < 3 {
            return None;
        }
        let probe = Self {
            rotation,
            scale: 1.0,
            shift: [0.0; 2],
        };
        let q: Vec<[f32; 2]> = reference[..n].iter().map(|&p| probe.project(p)).collect();
        let mean = |v: &mut dyn Iterator<Item = [f32; 2]>| {
            v.fold([0.0f32; 2], |a, p| [a[0] + p[0], a[1] + p[1]])
                .map(|c| c / n as f32)
        };
        let qm = mean(&mut q.iter().copied());
        let om = mean(&mut observed[..n].iter().map(|p| [p[0], p[1]]));
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for (a, b) in q.iter().zip(&observed[..n]) {
            let (ax, ay) = (a[0] - qm[0], a[1] - qm[1]);
            num += ax * (b[0] - om[0]) + ay * (b[1] - om[1]);
            den += ax * ax + ay * ay;
        }
        let scale = num / den;
        (scale.is_finite() && scale > 1e-3).then(|| Self {
            rotation,
            scale,
            shift: [om[0] - scale * qm[0], om[1] - scale * qm[1]],
        })
    }

    /// The frame where reference point `anchor` appears at pixel `at`.
    fn placed(rotation: [[f32; 3]; 3], scale: f32, anchor: [f32; 3], at: [f32; 2]) -> Self {
        let mut frame = Self {
            rotation,
            scale,
            shift: [0.0; 2],
        };
        let p = frame.project(anchor);
        frame.shift = [at[0] - p[0], at[1] - p[1]];
        frame
    }

    fn rotate(&self, p: [f32; 3]) -> [f32; 3] {
        let r = &self.rotation;
        std::array::from_fn(|i| r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2])
    }

    /// Pixel position of reference point `p`.
    pub fn project(&self, p: [f32; 3]) -> [f32; 2] {
        let q = self.rotate(p);
        [
            self.scale * q[0] + self.shift[0],
            self.scale * q[1] + self.shift[1],
        ]
    }

    /// How much a flat thing facing the camera with the face (a sticker) narrows as the head
    /// turns: the projected length of the face's x axis (1 facing the camera).
    pub fn foreshortening(&self) -> f32 {
        self.rotation[0][0].hypot(self.rotation[1][0])
    }

    /// True unless the outward `normal` points more than `beyond` (a sine) away from the camera.
    fn faces_camera(&self, normal: [f32; 3], beyond: f32) -> bool {
        self.rotate(normal)[2] <= beyond
    }

    /// Pixel positions of points spread over an ellipsoid's surface.
    fn ellipsoid(&self, centre: [f32; 3], radii: [f32; 3]) -> Vec<[f32; 2]> {
        let mut out = Vec::with_capacity(12 * 16);
        for i in 0..12 {
            let theta = (i as f32 + 0.5) / 12.0 * std::f32::consts::PI;
            let (st, ct) = theta.sin_cos();
            for j in 0..16 {
                let (sp, cp) = (j as f32 / 16.0 * std::f32::consts::TAU).sin_cos();
                out.push(self.project([
                    centre[0] + radii[0] * st * cp,
                    centre[1] + radii[1] * ct,
                    centre[2] + radii[2] * st * sp,
                ]));
            }
        }
        out
    }

    /// Pixel positions of the two end rings of a vertical elliptic column at `axis` (x, z)
    /// with `radii` (x, z), from `span[0]` to `span[1]` (y).
    fn column(&self, axis: [f32; 2], radii: [f32; 2], span: [f32; 2]) -> Vec<[f32; 2]> {
        let mut out = Vec::with_capacity(32);
        for y in span {
            for j in 0..16 {
                let (sp, cp) = (j as f32 / 16.0 * std::f32::consts::TAU).sin_cos();
                out.push(self.project([axis[0] + radii[0] * cp, y, axis[1] + radii[1] * sp]));
            }
        }
        out
    }
}

/// True when a box (`[x, y, width, height]`, pixels) reaches within a pixel of an edge.
pub fn touches_border(bbox: [f32; 4], width: usize, height: usize) -> bool {
    let [x, y, w, h] = bbox;
    x <= 1.0 || y <= 1.0 || x + w >= width as f32 - 1.0 || y + h >= height as f32 - 1.0
}

/// The centre and size of the smallest box turned by `roll` (radians) around `pts`.
pub fn oriented_box(pts: &[[f32; 2]], roll: f32) -> Option<([f32; 2], [f32; 2])> {
    if pts.is_empty() {
        return None;
    }
    let (s, c) = roll.sin_cos();
    // Coordinates in the face frame: along the eye line and down the face.
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in pts {
        let a = p[0] * c + p[1] * s;
        let b = -p[0] * s + p[1] * c;
        lo = [lo[0].min(a), lo[1].min(b)];
        hi = [hi[0].max(a), hi[1].max(b)];
    }
    let (ca, cb) = ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0);
    let centre = [ca * c - cb * s, ca * s + cb * c];
    Some((centre, [hi[0] - lo[0], hi[1] - lo[1]]))
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
mod tests {
    use super::tests_support::reference_points;
    use super::*;
    use crate::face::reference::FACE_REFERENCE_468;

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
        let r = pose.rotation();
        FACE_REFERENCE_468
            .iter()
            .map(|p| {
                let q: [f64; 3] =
                    std::array::from_fn(|i| (0..3).map(|k| r[i][k] * p[k] as f64).sum::<f64>());
                [
                    300.0 + 100.0 * q[0] as f32,
                    300.0 + 100.0 * q[1] as f32,
                    100.0 * q[2] as f32,
                ]
            })
            .collect()
    }

    fn pose(pitch: f64, yaw: f64, roll: f64) -> HeadPose {
        HeadPose { pitch, yaw, roll }
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
}
