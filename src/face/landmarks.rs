//! Landmarks of a face, normalised to its box.

use super::BoundingBox;
use super::reference::MIRROR_PAIRS;

/// Landmarks of one face: `points` are normalised to the face box (0..1 inside it), z in box widths.
#[derive(Debug, Clone, PartialEq)]
pub struct Landmarks {
    pub scheme: String,
    pub points: Vec<[f32; 3]>,
}

impl Landmarks {
    /// Builds normalised landmarks from points in frame pixels.
    pub fn from_pixels(scheme: &str, pixels: &[[f32; 3]], bbox: &BoundingBox) -> Self {
        let w = bbox.width.max(1e-3);
        let h = bbox.height.max(1e-3);
        let points = pixels
            .iter()
            .map(|p| [(p[0] - bbox.x) / w, (p[1] - bbox.y) / h, p[2] / w])
            .collect();
        Self {
            scheme: scheme.to_string(),
            points,
        }
    }

    /// The scheme, when it is one of [`LandmarkScheme`] and has all its named points.
    pub fn known_scheme(&self) -> Option<LandmarkScheme> {
        LandmarkScheme::parse(&self.scheme).filter(|s| self.points.len() >= s.min_points())
    }

    /// The scheme by name alone, however many points there are.
    pub fn named_scheme(&self) -> Option<LandmarkScheme> {
        LandmarkScheme::parse(&self.scheme)
    }

    /// Points in frame pixels for a face whose box is `bbox`.
    pub fn to_pixels(&self, bbox: &BoundingBox) -> Vec<[f32; 3]> {
        self.points
            .iter()
            .map(|p| {
                [
                    bbox.x + p[0] * bbox.width,
                    bbox.y + p[1] * bbox.height,
                    p[2] * bbox.width,
                ]
            })
            .collect()
    }
}

/// The landmark schemes `facedetect` writes, with their named points. Metadata names the
/// scheme as text ([`LandmarkScheme::name`]) so that other producers' schemes pass through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandmarkScheme {
    /// MediaPipe face mesh, 468 points (`mediapipe-468`).
    Mesh468,
    /// BlazeFace keypoints (`blazeface-6`): subject's right eye, left eye, nose tip, mouth,
    /// right ear, left ear.
    BlazeFace6,
    /// CenterFace keypoints (`centerface-5`): subject's right eye, left eye, nose tip, right
    /// and left mouth corner.
    CenterFace5,
}

impl LandmarkScheme {
    pub const ALL: [Self; 3] = [Self::Mesh468, Self::BlazeFace6, Self::CenterFace5];

    /// The name written in metadata.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mesh468 => "mediapipe-468",
            Self::BlazeFace6 => "blazeface-6",
            Self::CenterFace5 => "centerface-5",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Points needed for every named point below (BlazeFace's ears are never used).
    pub fn min_points(self) -> usize {
        match self {
            Self::Mesh468 => 468,
            Self::BlazeFace6 => 4,
            Self::CenterFace5 => 5,
        }
    }

    /// The points whose mean is the subject's right eye (on the image left for an upright
    /// face seen from the front).
    pub fn right_eye(self) -> &'static [usize] {
        match self {
            Self::Mesh468 => &[33, 133],
            Self::BlazeFace6 | Self::CenterFace5 => &[0],
        }
    }

    /// The points whose mean is the subject's left eye.
    pub fn left_eye(self) -> &'static [usize] {
        match self {
            Self::Mesh468 => &[263, 362],
            Self::BlazeFace6 | Self::CenterFace5 => &[1],
        }
    }

    /// The points whose mean is the nose tip.
    pub fn nose_tip(self) -> &'static [usize] {
        match self {
            Self::Mesh468 => &[1],
            Self::BlazeFace6 | Self::CenterFace5 => &[2],
        }
    }

    /// The points whose mean is the mouth centre.
    pub fn mouth(self) -> &'static [usize] {
        match self {
            Self::Mesh468 => &[13, 14],
            Self::BlazeFace6 => &[3],
            Self::CenterFace5 => &[3, 4],
        }
    }

    /// The face oval in order around the face (mesh only).
    pub fn oval(self) -> Option<&'static [usize]> {
        (self == Self::Mesh468).then_some(&MESH_FACE_OVAL[..])
    }

    /// The inner lip contour (the mouth opening), in order around it (mesh only).
    pub fn inner_lips(self) -> Option<&'static [usize]> {
        (self == Self::Mesh468).then_some(&MESH_INNER_LIPS[..])
    }

    /// Points on the face's symmetry line, forehead to chin (mesh only).
    pub fn midline(self) -> Option<&'static [usize]> {
        (self == Self::Mesh468).then_some(&MESH_MIDLINE[..])
    }

    /// Every point's mirror partner across the midline (mesh only; midline points are their
    /// own partner).
    pub fn mirror_pairs(self) -> Option<&'static [u16]> {
        (self == Self::Mesh468).then_some(&MIRROR_PAIRS[..])
    }
}

/// Mean position (x, y) of the points `idx` of `points`; `None` when one is missing.
pub fn mean_point(points: &[[f32; 3]], idx: &[usize]) -> Option<(f32, f32)> {
    let n = idx.len() as f32;
    let (sx, sy) = idx.iter().try_fold((0.0, 0.0), |(x, y), &i| {
        let p = points.get(i)?;
        Some((x + p[0], y + p[1]))
    })?;
    Some((sx / n, sy / n))
}

/// MediaPipe 468-point mesh: the face oval, in order around the face.
pub const MESH_FACE_OVAL: [usize; 36] = [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];

/// MediaPipe 468-point mesh: the inner lip contour (the mouth opening) in order, from the
/// image-left corner along the upper lip and back along the lower lip.
pub const MESH_INNER_LIPS: [usize; 20] = [
    78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95,
];

/// MediaPipe 468-point mesh: points on the face's symmetry line, forehead (10) to chin (152).
pub const MESH_MIDLINE: [usize; 28] = [
    10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 164, 0, 11, 12, 13, 14, 15, 16, 17, 18,
    200, 199, 175, 152,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_names_round_trip_and_points_are_in_range() {
        for s in LandmarkScheme::ALL {
            assert_eq!(LandmarkScheme::parse(s.name()), Some(s));
            for idx in [s.right_eye(), s.left_eye(), s.nose_tip(), s.mouth()] {
                assert!(idx.iter().all(|&i| i < s.min_points()), "{s:?}");
            }
        }
        assert_eq!(LandmarkScheme::parse("dlib-68"), None);
        let mesh = LandmarkScheme::Mesh468;
        let pairs = mesh.mirror_pairs().unwrap();
        // Mirroring twice is the identity; the midline mirrors onto itself.
        assert!((0..468).all(|i| pairs[pairs[i] as usize] as usize == i));
        assert!(
            mesh.midline()
                .unwrap()
                .iter()
                .all(|&i| pairs[i] as usize == i)
        );
        // The eyes mirror onto each other.
        for (&r, &l) in mesh.right_eye().iter().zip(mesh.left_eye()) {
            assert_eq!(pairs[r] as usize, l);
        }
        assert_eq!(LandmarkScheme::BlazeFace6.oval(), None);
    }

    #[test]
    fn a_scheme_short_of_points_is_unknown() {
        let lm = |scheme: &str, n: usize| Landmarks {
            scheme: scheme.into(),
            points: vec![[0.5, 0.5, 0.0]; n],
        };
        assert_eq!(
            lm("centerface-5", 5).known_scheme(),
            Some(LandmarkScheme::CenterFace5)
        );
        assert_eq!(lm("centerface-5", 4).known_scheme(), None);
        assert_eq!(lm("mediapipe-468", 467).known_scheme(), None);
        assert_eq!(lm("other", 10).known_scheme(), None);
    }
}
