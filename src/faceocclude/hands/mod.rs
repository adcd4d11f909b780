//! Hands in front of a covered face, free of GStreamer: MediaPipe's palm detector on a
//! square around the face, then its 21-point hand landmark model on each palm found, as
//! MediaPipe's hand tracking builds its crops; a hand found is followed into the next frame
//! on a crop from its own landmarks. [`mask::hands_mask`] turns the points into the pixels
//! that may show over the face; everything else stays covered.
//!
//! Fail-closed: a hand is shown only when the palm detector and the landmark model are
//! both sure of it and its size fits the face's; otherwise it is covered with the face.

pub mod mask;

use ort::environment::Environment;

use super::mask::Mask;
use crate::face::{BoundingBox, Face};
use crate::facedetect::detection::{sigmoid, ssd_anchors};
use crate::frame::image::{Affine, ImageView, sample_nchw};
use crate::inference::{InferenceError, OnnxModel, Output, SessionOptions, model_dir};
use mask::HAND_POINTS;

/// Model files (in the model folder; made by `scripts/setup.sh` from the mediapipe wheel).
pub const PALM_MODEL: &str = "palm_detection_lite.onnx";
pub const HAND_MODEL: &str = "hand_landmark_lite.onnx";
const PALM_INPUT: usize = 192;
const HAND_INPUT: usize = 224;
const PALM_ANCHORS: usize = 2016;
/// Palm score (sigmoid) from which a palm is taken (MediaPipe's own threshold).
const PALM_SCORE: f32 = 0.5;
/// Hand presence from which landmarks are trusted enough to uncover pixels (MediaPipe
/// tracks from 0.5; showing pixels of a face wants more: palms the detector found on
/// faces and clothes scored 0.0-0.5 on the bundled photos and the ASL clips).
pub const PRESENCE: f32 = 0.85;
/// Hand presence from which a hand is followed into the next frame by its own landmarks
/// (MediaPipe's `min_tracking_confidence`); showing it still needs [`PRESENCE`].
pub const TRACK_PRESENCE: f32 = 0.5;
/// Palms overlapping more than this (IoU) are one palm.
const PALM_NMS_IOU: f32 = 0.3;
/// At most this many hands per face (a signer's two).
const MAX_HANDS: usize = 2;
/// The square searched for palms: this many face widths, centred this many face heights
/// below the face's centre (hands in front of a face reach down to the chest). The
/// detector finds a signer's hands far more often in this square than in one of 3.5 face
/// widths, where a hand fills too much of its input (ASL clips, notes/issue-14-look.md).
const SEARCH_PER_FACE_WIDTH: f32 = 4.5;
const SEARCH_SHIFT_DOWN: f32 = 1.0;
/// A hand whose knuckles lie this far apart (in face widths) fits the face: an adult's
/// ~2 cm on a ~15 cm face is 0.13; much smaller or larger is another hand (far behind,
/// close to the camera) or a wrong fit.
const FINGER_PER_FACE_WIDTH: (f32, f32) = (0.05, 0.4);

/// One hand: its 21 points in frame pixels and how sure the models are.
#[derive(Debug, Clone, PartialEq)]
pub struct Hand {
    pub points: [[f32; 2]; HAND_POINTS],
    pub palm_score: f32,
    pub presence: f32,
}

/// A palm from the detector, in frame pixels: box centre and size, and the wrist (0) and
/// middle finger knuckle (2) keypoints that orient the hand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palm {
    pub score: f32,
    pub centre: [f32; 2],
    pub size: [f32; 2],
    pub wrist: [f32; 2],
    pub middle: [f32; 2],
}

impl Palm {
    /// The palm's box.
    pub fn bbox(&self) -> BoundingBox {
        BoundingBox::new(
            self.centre[0] - self.size[0] / 2.0,
            self.centre[1] - self.size[1] / 2.0,
            self.size[0],
            self.size[1],
        )
    }

    /// The landmark model's crop: MediaPipe's rect (rotated so the hand points up, shifted
    /// half a palm towards the fingers, 2.6 palms square). Returns (centre, side, angle).
    pub fn hand_crop(&self) -> ([f32; 2], f32, f32) {
        let angle = pointing_up(self.wrist, self.middle);
        let h = self.size[1];
        let (s, c) = angle.sin_cos();
        let centre = [self.centre[0] + 0.5 * h * s, self.centre[1] - 0.5 * h * c];
        (centre, self.size[0].max(self.size[1]) * 2.6, angle)
    }
}

/// The landmark model's crop for the next frame from a hand's landmarks, as MediaPipe's
/// hand tracking makes it (HandLandmarksToRect, then x2 and shifted a tenth towards the
/// fingers): turned so the hand points up (wrist to the middle of the index, middle and ring
/// knuckles), around the palm and lower finger joints. Returns (centre, side, angle).
pub fn crop_from_landmarks(points: &[[f32; 2]; HAND_POINTS]) -> ([f32; 2], f32, f32) {
    const PALM_AND_LOWER_JOINTS: [usize; 12] = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18];
    let [w, i, m, r] = [0, 5, 9, 13].map(|k| points[k]);
    let knuckles = [
        ((i[0] + r[0]) / 2.0 + m[0]) / 2.0,
        ((i[1] + r[1]) / 2.0 + m[1]) / 2.0,
    ];
    let angle = pointing_up(w, knuckles);
    let (c, size) = Affine::turned_extent(PALM_AND_LOWER_JOINTS.map(|k| points[k]), angle);
    // A tenth of the height towards the fingers (up in the hand's own axes).
    let (s, co) = angle.sin_cos();
    let shift = 0.1 * size[1];
    (
        [c[0] + shift * s, c[1] - shift * co],
        2.0 * size[0].max(size[1]),
        angle,
    )
}

/// The turn that makes the direction from `wrist` to `fingers` point up in a crop.
fn pointing_up(wrist: [f32; 2], fingers: [f32; 2]) -> f32 {
    let (dx, dy) = (fingers[0] - wrist[0], fingers[1] - wrist[1]);
    normalise(std::f32::consts::FRAC_PI_2 - (-dy).atan2(dx))
}

fn normalise(a: f32) -> f32 {
    use std::f32::consts::{PI, TAU};
    a - TAU * ((a + PI) / TAU).floor()
}

/// The detector's anchors (normalised centres): 24x24 cells x 2, then 12x12 cells x 6
/// (MediaPipe's palm detection SSD options).
fn anchors() -> Vec<[f32; 2]> {
    ssd_anchors(PALM_INPUT, &[8, 16, 16, 16], &[2, 2, 2, 2])
        .into_iter()
        .map(|(x, y)| [x, y])
        .collect()
}

/// Palms from the detector's raw outputs (`boxes` [2016 x 18], `scores` [2016]) at their
/// `anchors`, mapped through `map` (detector input pixels to frame pixels, axis-aligned);
/// best first, after non-maximum suppression.
pub fn decode_palms(
    boxes: &[f32],
    scores: &[f32],
    anchors: &[[f32; 2]],
    map: &Affine,
) -> Vec<Palm> {
    let scale = map.a;
    let mut palms: Vec<Palm> = scores
        .iter()
        .zip(boxes.chunks_exact(18))
        .zip(anchors)
        .filter_map(|((&s, r), a)| {
            let score = sigmoid(s);
            if score < PALM_SCORE {
                return None;
            }
            let n = PALM_INPUT as f32;
            let at = |i: usize| {
                let (x, y) = map.apply_continuous(r[i] + a[0] * n, r[i + 1] + a[1] * n);
                [x, y]
            };
            Some(Palm {
                score,
                centre: at(0),
                size: [r[2] * scale, r[3] * scale],
                wrist: at(4),
                middle: at(8),
            })
        })
        .collect();
    palms.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Palm> = Vec::new();
    for p in palms {
        if kept.iter().all(|k| k.bbox().iou(&p.bbox()) < PALM_NMS_IOU) {
            kept.push(p);
        }
    }
    kept
}

/// The square searched for palms around a face: centre and side, frame pixels.
pub fn search_square(face: &BoundingBox) -> ([f32; 2], f32) {
    let (cx, cy) = face.center();
    (
        [cx, cy + SEARCH_SHIFT_DOWN * face.height],
        SEARCH_PER_FACE_WIDTH * face.width.max(face.height),
    )
}

/// Whether a hand's size fits a face `face_width` wide (see [`FINGER_PER_FACE_WIDTH`]).
pub fn fits_face(points: &[[f32; 2]; HAND_POINTS], face_width: f32) -> bool {
    let ratio = mask::finger_width(points) / face_width.max(1.0);
    (FINGER_PER_FACE_WIDTH.0..=FINGER_PER_FACE_WIDTH.1).contains(&ratio)
}

/// The palm detector and hand landmark model, the detector's anchors and the models'
/// input buffer.
pub struct HandFinder {
    palm: OnnxModel,
    hand: OnnxModel,
    anchors: Vec<[f32; 2]>,
    input: Vec<f32>,
    /// Last frame's hands the model was fairly sure of, followed by their landmarks.
    followed: Vec<Hand>,
}

impl std::fmt::Debug for HandFinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandFinder").finish_non_exhaustive()
    }
}

fn output<'a>(
    outputs: &'a [Output],
    model: &OnnxModel,
    len: usize,
    what: &str,
) -> Result<&'a Output, InferenceError> {
    outputs
        .iter()
        .find(|o| o.data.len() == len)
        .ok_or_else(|| InferenceError::Run {
            model: model.path().to_path_buf(),
            detail: format!("no {what} output; re-run scripts/setup.sh"),
        })
}

/// Runs `model` on the `size` x `size` square `map` takes from `image`, sampled into
/// `input`: both models take RGB in 0..1; outside the frame is black.
fn run_on(
    model: &OnnxModel,
    input: &mut Vec<f32>,
    image: &ImageView,
    map: &Affine,
    size: usize,
) -> Result<Vec<Output>, InferenceError> {
    input.resize(3 * size * size, 0.0);
    sample_nchw(image, map, size, size, 1.0 / 255.0, 0.0, 0.0, input);
    model.run(&[1, 3, size, size], input)
}

impl HandFinder {
    /// Loads both models from the model folder (shared with other instances).
    pub fn load(env: &Environment) -> Result<Self, InferenceError> {
        let dir = model_dir();
        let opts = SessionOptions::default();
        Ok(Self {
            palm: OnnxModel::load(env, &dir.join(PALM_MODEL), &opts)?,
            hand: OnnxModel::load(env, &dir.join(HAND_MODEL), &opts)?,
            anchors: anchors(),
            input: Vec::new(),
            followed: Vec::new(),
        })
    }

    /// Palms in the square searched around `face`.
    pub fn palms(
        &mut self,
        image: &ImageView,
        face: &BoundingBox,
    ) -> Result<Vec<Palm>, InferenceError> {
        let (c, side) = search_square(face);
        let map = Affine::rotated_square(c[0], c[1], side, 0.0, PALM_INPUT);
        let out = run_on(&self.palm, &mut self.input, image, &map, PALM_INPUT)?;
        let boxes = output(&out, &self.palm, PALM_ANCHORS * 18, "palm boxes [2016x18]")?;
        let scores = output(&out, &self.palm, PALM_ANCHORS, "palm scores [2016]")?;
        Ok(decode_palms(&boxes.data, &scores.data, &self.anchors, &map))
    }

    /// The hand landmark model on one palm's crop.
    pub fn hand(&mut self, image: &ImageView, palm: &Palm) -> Result<Hand, InferenceError> {
        self.hand_in(image, palm.hand_crop(), palm.score)
    }

    /// The hand landmark model on a crop (centre, side, angle); `palm_score` is carried.
    fn hand_in(
        &mut self,
        image: &ImageView,
        (c, side, angle): ([f32; 2], f32, f32),
        palm_score: f32,
    ) -> Result<Hand, InferenceError> {
        let map = Affine::rotated_square(c[0], c[1], side, angle, HAND_INPUT);
        let out = run_on(&self.hand, &mut self.input, image, &map, HAND_INPUT)?;
        let raw = output(&out, &self.hand, HAND_POINTS * 3, "hand landmarks [63]")?;
        // The model ends in a sigmoid: presence is already a probability.
        let presence = output(&out, &self.hand, 1, "hand presence [1]")?.data[0];
        let mut points = [[0.0; 2]; HAND_POINTS];
        for (p, r) in points.iter_mut().zip(raw.data.chunks_exact(3)) {
            let (x, y) = map.apply_continuous(r[0], r[1]);
            *p = [x, y];
        }
        Ok(Hand {
            points,
            palm_score,
            presence: if presence.is_finite() { presence } else { 0.0 },
        })
    }

    /// The hands around `faces`, sure or not, each with the index of its face. Last frame's
    /// hands near a face are followed by their landmarks (the palm detector misses hands
    /// that touch or overlap); the palm detector looks around each face with fewer than
    /// [`MAX_HANDS`] followed, for palms apart from them.
    pub fn find(
        &mut self,
        image: &ImageView,
        faces: &[BoundingBox],
    ) -> Result<Vec<(usize, Hand)>, InferenceError> {
        let mut found = Vec::new();
        for last in std::mem::take(&mut self.followed) {
            let Some(face) = faces.iter().position(|f| near(f, &last.points)) else {
                continue;
            };
            let hand = self.hand_in(image, crop_from_landmarks(&last.points), last.palm_score)?;
            if hand.presence >= TRACK_PRESENCE && near(&faces[face], &hand.points) {
                found.push((face, hand));
            }
        }
        for (i, face) in faces.iter().enumerate() {
            let followed = found.iter().filter(|(f, _)| *f == i).count();
            if followed >= MAX_HANDS {
                continue;
            }
            let palms = self.palms(image, face)?;
            let new: Vec<Palm> = palms
                .into_iter()
                .filter(|p| !found.iter().any(|(_, h)| same_hand(h, p)))
                .take(MAX_HANDS - followed)
                .collect();
            for palm in &new {
                found.push((i, self.hand(image, palm)?));
            }
        }
        self.followed = found
            .iter()
            .filter(|(_, h)| h.presence >= TRACK_PRESENCE)
            .map(|(_, h)| h.clone())
            .collect();
        Ok(found)
    }
}

/// Whether `palm` is `hand` found again: their landmark crops overlap by more than half
/// (MediaPipe associates palms with followed hands the same way).
fn same_hand(hand: &Hand, palm: &Palm) -> bool {
    let square = |(c, side, _): ([f32; 2], f32, f32)| {
        BoundingBox::new(c[0] - side / 2.0, c[1] - side / 2.0, side, side)
    };
    square(crop_from_landmarks(&hand.points)).iou(&square(palm.hand_crop())) > 0.5
}

/// Whether a hand's wrist lies in the square searched for palms around `face`.
fn near(face: &BoundingBox, points: &[[f32; 2]; HAND_POINTS]) -> bool {
    let (c, side) = search_square(face);
    let [x, y] = points[0];
    (x - c[0]).abs() <= side / 2.0 && (y - c[1]).abs() <= side / 2.0
}

impl Hand {
    /// Sure enough to be shown over a face `face_width` wide: the landmark model is sure
    /// and the hand's size fits the face.
    pub fn sure(&self, face_width: f32) -> bool {
        let finite = self.points.iter().flatten().all(|v| v.is_finite());
        finite && self.presence >= PRESENCE && fits_face(&self.points, face_width)
    }
}

/// The pixels of the sure hands around `faces` that may show over their cover, and every
/// hand looked at (for logs).
pub fn keep_mask(
    finder: &mut HandFinder,
    image: &ImageView,
    faces: &[Face],
) -> Result<(Mask, Vec<Hand>), InferenceError> {
    let boxes: Vec<BoundingBox> = faces.iter().map(|f| f.bbox).collect();
    let mut sure = Vec::new();
    let mut all = Vec::new();
    for (face, hand) in finder.find(image, &boxes)? {
        if hand.sure(boxes[face].width) {
            sure.push(hand.points);
        }
        all.push(hand);
    }
    Ok((mask::hands_mask(&sure, image.width(), image.height()), all))
}

/// The hand models, loaded on first use; the error text is kept when they cannot be.
#[derive(Debug, Default)]
pub struct Hands(Option<Result<HandFinder, String>>);

impl Hands {
    /// [`keep_mask`] with the models loaded on first call (the shared ONNX Runtime); the
    /// hands looked at as (palm score, presence).
    pub fn keep_mask(
        &mut self,
        image: &ImageView,
        faces: &[Face],
    ) -> Result<(Mask, Vec<(f32, f32)>), String> {
        let finder = self.0.get_or_insert_with(|| {
            let library = crate::inference::runtime_library(None);
            crate::inference::environment(&library, 0)
                .and_then(|env| HandFinder::load(&env))
                .map_err(|e| e.to_string())
        });
        let finder = finder.as_mut().map_err(|e| e.clone())?;
        let (mask, hands) = keep_mask(finder, image, faces).map_err(|e| e.to_string())?;
        Ok((
            mask,
            hands.iter().map(|h| (h.palm_score, h.presence)).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_cover_the_input_twice_then_six_times() {
        let a = anchors();
        assert_eq!(a.len(), PALM_ANCHORS);
        assert_eq!(a[0], [0.5 / 24.0, 0.5 / 24.0]);
        assert_eq!(a[1], a[0]);
        assert_eq!(a[24 * 24 * 2], [0.5 / 12.0, 0.5 / 12.0]);
        assert_eq!(a[PALM_ANCHORS - 1], [11.5 / 12.0, 11.5 / 12.0]);
    }

    #[test]
    fn palms_decode_at_their_anchor_in_frame_pixels_and_overlaps_merge() {
        // Detector input 192 px over a 384 px square at (100, 50): 2 frame px per input px.
        let map = Affine::rotated_square(292.0, 242.0, 384.0, 0.0, PALM_INPUT);
        let mut boxes = vec![0.0; PALM_ANCHORS * 18];
        let mut scores = vec![-10.0; PALM_ANCHORS];
        // Anchor 0 sits at input (4, 4); a palm 20 px square shifted by (+2, +6).
        let raw = [2.0, 6.0, 20.0, 20.0, 0.0, 10.0, 0.0, 0.0, 0.0, -10.0];
        boxes[..10].copy_from_slice(&raw);
        scores[0] = 3.0;
        // Its neighbour anchor finds the same palm, less sure: merged away.
        boxes[18..28].copy_from_slice(&raw);
        scores[1] = 1.0;
        let palms = decode_palms(&boxes, &scores, &anchors(), &map);
        assert_eq!(palms.len(), 1);
        let p = palms[0];
        assert!((p.score - sigmoid(3.0)).abs() < 1e-6);
        assert!((p.centre[0] - (100.0 + 12.0)).abs() < 1e-3, "{p:?}");
        assert!((p.centre[1] - (50.0 + 20.0)).abs() < 1e-3, "{p:?}");
        assert!((p.size[0] - 40.0).abs() < 1e-3);
        // Wrist below the middle knuckle: the hand points up, the crop is not turned and
        // is shifted up by half a palm.
        let (c, side, angle) = p.hand_crop();
        assert!(angle.abs() < 1e-5, "{angle}");
        assert!((c[1] - (p.centre[1] - 20.0)).abs() < 1e-3);
        assert!((side - 104.0).abs() < 1e-3);
    }

    #[test]
    fn a_hand_pointing_right_turns_the_crop_a_quarter_clockwise() {
        let palm = Palm {
            score: 1.0,
            centre: [50.0, 50.0],
            size: [10.0, 10.0],
            wrist: [40.0, 50.0],
            middle: [60.0, 50.0],
        };
        let (c, _, angle) = palm.hand_crop();
        assert!((angle - std::f32::consts::FRAC_PI_2).abs() < 1e-5);
        // Shifted towards the fingers (image right).
        assert!((c[0] - 55.0).abs() < 1e-4 && (c[1] - 50.0).abs() < 1e-4);
    }

    /// An upright hand: wrist (0) at (46, 100), the thumb's and fingers' joints (1-4, 5-8,
    /// ... 17-20) in columns from x = 30 to 62, from y = 60 up in steps of 13.
    fn upright_hand() -> [[f32; 2]; HAND_POINTS] {
        let mut p = [[46.0, 100.0]; HAND_POINTS];
        for (finger, x) in [(1, 30.0), (5, 38.0), (9, 46.0), (13, 54.0), (17, 62.0)] {
            for joint in 0..4 {
                p[finger + joint] = [x, 60.0 - 13.0 * joint as f32];
            }
        }
        p
    }

    #[test]
    fn a_followed_hands_crop_points_its_fingers_up_around_palm_and_lower_joints() {
        let (c, side, angle) = crop_from_landmarks(&upright_hand());
        assert!(angle.abs() < 1e-5, "{angle}");
        // Palm and lower joints (the thumb's up to 34) span x 30..62, y 34..100 (66 px):
        // the square is twice that, shifted a tenth of the height towards the fingers.
        assert!((side - 132.0).abs() < 1e-3, "{side}");
        assert!(
            (c[0] - 46.0).abs() < 1e-3 && (c[1] - (67.0 - 6.6)).abs() < 1e-3,
            "{c:?}"
        );
        // The same hand turned a quarter clockwise (fingers to the image's right).
        let turned = upright_hand().map(|[x, y]| [100.0 - y, x]);
        let (c2, side2, angle2) = crop_from_landmarks(&turned);
        assert!(
            (angle2 - std::f32::consts::FRAC_PI_2).abs() < 1e-5,
            "{angle2}"
        );
        assert!((side2 - side).abs() < 1e-3);
        assert!((c2[0] - (100.0 - c[1])).abs() < 1e-3 && (c2[1] - c[0]).abs() < 1e-3);
    }

    #[test]
    fn a_palm_on_a_followed_hand_is_that_hand_one_beside_it_is_another() {
        let hand = Hand {
            points: upright_hand(),
            palm_score: 0.9,
            presence: 0.95,
        };
        let palm = |dx: f32| Palm {
            score: 0.8,
            centre: [46.0 + dx, 75.0],
            size: [40.0, 40.0],
            wrist: [46.0 + dx, 100.0],
            middle: [46.0 + dx, 60.0],
        };
        assert!(same_hand(&hand, &palm(0.0)));
        assert!(!same_hand(&hand, &palm(70.0)), "the other hand beside it");
        let face = BoundingBox::new(20.0, 0.0, 60.0, 60.0);
        assert!(near(&face, &hand.points));
        assert!(!near(
            &BoundingBox::new(400.0, 0.0, 60.0, 60.0),
            &hand.points
        ));
    }

    #[test]
    fn a_hand_fits_a_face_only_at_a_hands_size() {
        let mut p = [[0.0; 2]; HAND_POINTS];
        for (i, k) in [5, 9, 13, 17].into_iter().enumerate() {
            p[k] = [i as f32 * 13.0, 0.0];
        }
        assert!(fits_face(&p, 100.0));
        assert!(!fits_face(&p, 1000.0));
        assert!(!fits_face(&p, 20.0));
    }
}
