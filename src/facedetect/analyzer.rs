//! The face analysis behind `facedetect`, free of GStreamer: detector, tracker, FaceMesh
//! landmarks and head pose on one frame at a time.

use std::collections::HashMap;
use std::path::PathBuf;

use ort::environment::Environment;

use crate::face::reference::FACE_REFERENCE_468;
use crate::face::{Face, HeadPose, LandmarkScheme, Landmarks};
use crate::facedetect::detection::{self, Detection};
pub use crate::facedetect::detector::DetectorKind;
use crate::facedetect::detector::{Detector, find_output};
use crate::facedetect::facemesh::{self, BoxFromLandmarks, Crop, MESH_INPUT, MESH_POINTS};
use crate::facedetect::pose;
use crate::facedetect::tracker::{Tracker, TrackerInput};
use crate::frame::image::{ImageView, sample_nchw};
use crate::inference::{InferenceError, OnnxModel, SessionOptions, model_dir};

/// Face presence (sigmoid of the FaceMesh face flag) below which landmarks are not trusted.
const PRESENCE_THRESHOLD: f32 = 0.5;

/// Detector interval when `interval` is 0 (automatic) and landmarks are on: FaceMesh follows
/// the faces in between, so a new face is picked up within this many frames (1/3 s at 30 fps).
/// Without landmarks nothing follows a face, so automatic means every frame.
pub const AUTO_INTERVAL: u32 = 10;

/// With landmarks on, a detection down to this fraction of `confidence` is kept when
/// FaceMesh confirms it (presence >= PRESENCE_THRESHOLD): turned faces score low with the
/// detector but are still clearly faces to the mesh. At or above `confidence` a face is kept
/// even when the mesh is unsure.
const MESH_CONFIRMED_FRACTION: f32 = 0.5;

/// What FaceMesh makes of a low-score detection (see [`FaceAnalyzer::mesh_check`]); a sure
/// detection counts as `Twice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MeshCheck {
    /// No face on the detection's crop.
    No,
    /// A face on the detection's crop, lost on the crop around its own landmarks.
    Once,
    /// A face on both crops.
    Twice,
}

/// FaceMesh output for one crop: landmarks in frame pixels and the face presence score.
pub type MeshResult = (Vec<[f32; 3]>, f32);

/// Landmark model file name under the model folder.
pub const MESH_FILE: &str = "face_landmark.onnx";

#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzerConfig {
    pub detector: DetectorKind,
    /// A custom ONNX file of the same family instead of the bundled one.
    pub detector_path: Option<PathBuf>,
    pub confidence: f32,
    pub nms_iou: f32,
    /// Faces smaller than this (box width, frame pixels) are ignored.
    pub min_face_size: u32,
    pub max_faces: u32,
    /// Run the detector every `interval` frames (0: automatic, see [`AUTO_INTERVAL`]); follow
    /// faces by their landmarks in between, and detect at once when the landmarks lose one.
    pub interval: u32,
    pub hold_frames: u32,
    pub landmarks: bool,
    /// CenterFace input is at most this many pixels on its long side.
    pub max_detect_size: u32,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            detector: DetectorKind::BlazeFaceFull,
            detector_path: None,
            confidence: 0.5,
            nms_iou: 0.3,
            min_face_size: 0,
            max_faces: 10,
            interval: 0,
            hold_frames: 5,
            landmarks: true,
            max_detect_size: 1280,
        }
    }
}

impl AnalyzerConfig {
    pub fn detector_file(&self) -> PathBuf {
        self.detector_path
            .clone()
            .unwrap_or_else(|| model_dir().join(self.detector.file_name()))
    }

    pub fn mesh_file(&self) -> PathBuf {
        model_dir().join(MESH_FILE)
    }
}

pub struct FaceAnalyzer {
    config: AnalyzerConfig,
    detector: Detector,
    mesh: Option<OnnxModel>,
    tracker: Tracker,
    frame_count: u64,
    /// FaceMesh's input.
    input: Vec<f32>,
    /// Per track: the detector's box relative to the landmarks' box, learnt on detector
    /// frames, to predict a consistent box on frames the detector skips.
    box_models: HashMap<i32, BoxFromLandmarks>,
    /// Faces the last detector run found beyond `max_faces` (and left out).
    dropped: u32,
}

impl FaceAnalyzer {
    /// Loads the models (shared with other instances through the session cache).
    pub fn new(env: &Environment, config: AnalyzerConfig) -> Result<Self, InferenceError> {
        let detector = Detector::load(env, &config)?;
        let mesh = if config.landmarks {
            Some(OnnxModel::load(
                env,
                &config.mesh_file(),
                &SessionOptions::default(),
            )?)
        } else {
            None
        };
        Ok(Self {
            tracker: Tracker::new(config.hold_frames),
            config,
            detector,
            mesh,
            frame_count: 0,
            input: Vec::new(),
            box_models: HashMap::new(),
            dropped: 0,
        })
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Updates thresholds that can change while running (no model reload needed).
    pub fn set_tuning(
        &mut self,
        confidence: f32,
        nms_iou: f32,
        min_face_size: u32,
        max_faces: u32,
        interval: u32,
        hold_frames: u32,
    ) {
        self.config.confidence = confidence;
        self.config.nms_iou = nms_iou;
        self.config.min_face_size = min_face_size;
        self.config.max_faces = max_faces;
        self.config.interval = interval;
        self.config.hold_frames = hold_frames;
        self.tracker.hold_frames = hold_frames;
    }

    /// Forgets tracks (new stream, flush, caps change).
    pub fn reset(&mut self) {
        self.tracker.reset();
        self.box_models.clear();
        self.frame_count = 0;
        self.dropped = 0;
    }

    /// Faces the latest detector run found beyond `max_faces` and left out; it stays set on
    /// the frames tracked until the next run, which miss those faces too.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Runs FaceMesh on one crop: landmarks in frame pixels and the face presence score.
    pub fn landmarks(
        &mut self,
        image: &ImageView,
        crop: &Crop,
    ) -> Result<Option<MeshResult>, InferenceError> {
        let Some(mesh) = &self.mesh else {
            return Ok(None);
        };
        self.input.resize(3 * MESH_INPUT * MESH_INPUT, 0.0);
        // FaceMesh takes RGB in 0..1.
        sample_nchw(
            image,
            &crop.affine(),
            MESH_INPUT,
            MESH_INPUT,
            1.0 / 255.0,
            0.0,
            0.0,
            &mut self.input,
        );
        let outputs = mesh.run(&[1, 3, MESH_INPUT, MESH_INPUT], &self.input)?;
        let points = find_output(
            &outputs,
            mesh.path(),
            |o| o.data.len() == MESH_POINTS * 3,
            "landmarks [1404]",
        )?;
        let flag = find_output(
            &outputs,
            mesh.path(),
            |o| o.data.len() == 1,
            "face flag [1]",
        )?;
        Ok(Some((
            crop.to_frame(&points.data),
            detection::sigmoid(flag.data[0]),
        )))
    }

    /// Frames between detector runs: `interval`, or [`AUTO_INTERVAL`] / 1 when it is 0.
    pub fn detector_interval(&self) -> u32 {
        match self.config.interval {
            0 if self.mesh.is_some() => AUTO_INTERVAL,
            0 => 1,
            n => n,
        }
    }

    fn track_detections(&mut self, image: &ImageView) -> Result<(), InferenceError> {
        // With landmarks on, a detection below the threshold counts when FaceMesh confirms it.
        let threshold = if self.mesh.is_some() {
            self.config.confidence * MESH_CONFIRMED_FRACTION
        } else {
            self.config.confidence
        };
        let (mut dets, dropped) = self.detector.detect(image, threshold, &self.config)?;
        self.dropped = dropped;
        let mut seen = Vec::with_capacity(dets.len());
        for d in &dets {
            seen.push(if d.score >= self.config.confidence {
                MeshCheck::Twice
            } else {
                self.mesh_check(image, d)?
            });
        }
        let mut keep = kept_detections(&seen).into_iter();
        dets.retain(|_| keep.next().unwrap_or(false));
        let obs: Vec<TrackerInput> = dets
            .into_iter()
            .map(|d| TrackerInput {
                bbox: d.bbox,
                confidence: d.score,
                keypoints: d.keypoints,
            })
            .collect();
        self.tracker.update(&obs);
        Ok(())
    }

    /// [`Self::landmarks`], and when that first fit is poor (the crop missed part of the
    /// face, as a turned head's detector box does) once more on a crop around its landmarks;
    /// the more confident of the two.
    fn landmarks_recropped(
        &mut self,
        image: &ImageView,
        crop: &Crop,
    ) -> Result<Option<MeshResult>, InferenceError> {
        let first = self.landmarks(image, crop)?;
        if let Some((points, presence)) = &first
            && *presence < PRESENCE_THRESHOLD
            && let Some(crop) = Crop::from_landmarks(points)
            && let Some(second) = self.landmarks(image, &crop)?
            && second.1 > *presence
        {
            return Ok(Some(second));
        }
        Ok(first)
    }

    /// Whether FaceMesh sees a face in a detection the detector is unsure of: on the
    /// detection's crop, and again on the crop around the landmarks it found there, which is
    /// the crop that follows the face on the next frame. Patterned clothing or a badge can fool
    /// the mesh once (presence 0.54 on a mission patch), not twice (0.06 around its own fit);
    /// a strongly turned head can also be seen only once (0.82, then 0.17).
    fn mesh_check(
        &mut self,
        image: &ImageView,
        d: &Detection,
    ) -> Result<MeshCheck, InferenceError> {
        if d.keypoints.len() < 2 {
            return Ok(MeshCheck::No);
        }
        let crop = Crop::from_detection(&d.bbox, d.keypoints[0], d.keypoints[1]);
        let Some((points, presence)) = self.landmarks_recropped(image, &crop)? else {
            return Ok(MeshCheck::No);
        };
        if presence < PRESENCE_THRESHOLD {
            return Ok(MeshCheck::No);
        }
        let Some(follow) = Crop::from_landmarks(&points) else {
            return Ok(MeshCheck::Once);
        };
        let again = self
            .landmarks(image, &follow)?
            .is_some_and(|(_, presence)| presence >= PRESENCE_THRESHOLD);
        Ok(if again {
            MeshCheck::Twice
        } else {
            MeshCheck::Once
        })
    }

    /// Analyses one frame: detect (every `interval` frames, when no face is followed, or when
    /// the landmarks lose a face), track, landmarks, pose. Returns whether the detector ran.
    pub fn analyze(&mut self, image: &ImageView) -> Result<(bool, Vec<Face>), InferenceError> {
        let mut run_detector = self
            .frame_count
            .is_multiple_of(self.detector_interval() as u64)
            || self.tracker.tracks().is_empty();
        self.frame_count += 1;
        if run_detector {
            self.track_detections(image)?;
        } else {
            self.tracker.carry();
        }
        if self.mesh.is_some() {
            let followed: Vec<i32> = (self.tracker.tracks().iter())
                .filter(|t| t.landmarks.is_some())
                .map(|t| t.id)
                .collect();
            let mut lost = self.refine_landmarks(image, false)?;
            if !run_detector && lost.iter().any(|id| followed.contains(id)) {
                // FaceMesh lost a face it was following, which the detector may still see:
                // make this a detector frame, so a face stays found wherever it is detectable.
                run_detector = true;
                self.tracker.uncarry();
                self.track_detections(image)?;
                lost = self.refine_landmarks(image, true)?;
            }
            self.tracker.drop_lost(|t| lost.contains(&t.id));
            let live: Vec<i32> = self.tracker.tracks().iter().map(|t| t.id).collect();
            self.box_models.retain(|id, _| live.contains(id));
        }
        let detector = self.config.detector.name();
        let faces = self
            .tracker
            .tracks()
            .iter()
            .map(|t| {
                let (landmarks, head_pose) = match &t.landmarks {
                    Some(points) => (
                        Some(Landmarks::from_pixels(
                            LandmarkScheme::Mesh468.name(),
                            points,
                            &t.bbox,
                        )),
                        pose::head_pose(&FACE_REFERENCE_468, points).map(|p| HeadPose {
                            confidence: t.presence as f64,
                            ..p
                        }),
                    ),
                    None => (self.keypoint_landmarks(t), None),
                };
                Face {
                    track_id: t.id,
                    bbox: t.bbox,
                    confidence: t.confidence as f64,
                    detector: detector.to_string(),
                    tracked: t.tracked(),
                    age: t.age,
                    landmarks,
                    head_pose: head_pose.map(round_pose),
                    params: Vec::new(),
                }
            })
            .collect();
        Ok((run_detector, faces))
    }

    fn keypoint_landmarks(&self, t: &crate::facedetect::tracker::Track) -> Option<Landmarks> {
        if t.keypoints.is_empty() || t.tracked() {
            return None;
        }
        let scheme = if self.config.detector == DetectorKind::CenterFace {
            LandmarkScheme::CenterFace5
        } else {
            LandmarkScheme::BlazeFace6
        };
        let px: Vec<[f32; 3]> = t.keypoints.iter().map(|&(x, y)| [x, y, 0.0]).collect();
        Some(Landmarks::from_pixels(scheme.name(), &px, &t.bbox))
    }

    /// Runs FaceMesh on every track (or only on those without landmarks): moves followed
    /// boxes to the landmarks, and returns the ids of tracks whose face FaceMesh did not find.
    fn refine_landmarks(
        &mut self,
        image: &ImageView,
        only_without_landmarks: bool,
    ) -> Result<Vec<i32>, InferenceError> {
        let mut lost = Vec::new();
        for i in 0..self.tracker.tracks().len() {
            let track = &self.tracker.tracks()[i];
            if only_without_landmarks && track.landmarks.is_some() {
                continue;
            }
            let fresh = !track.tracked();
            // Re-crop from the previous landmarks when they still describe this face; a fresh
            // detection far from them (or none yet) starts from the detector's eyes.
            let from_previous = track.landmarks.as_deref().and_then(|p| {
                let crop = Crop::from_landmarks(p)?;
                let lm_box = facemesh::points_bbox(p);
                (!fresh || lm_box.iou(&track.bbox) > 0.3).then_some(crop)
            });
            let crop = match from_previous {
                Some(c) => Some(c),
                None if track.keypoints.len() >= 2 => Some(Crop::from_detection(
                    &track.bbox,
                    track.keypoints[0],
                    track.keypoints[1],
                )),
                None => None,
            };
            // The detector is sure of this face: keep it even when the mesh is unsure.
            let sure = fresh && track.confidence >= self.config.confidence;
            let result = match crop {
                Some(crop) => self.landmarks_recropped(image, &crop)?,
                None => None,
            };
            let track = &mut self.tracker.tracks_mut()[i];
            match result {
                Some((points, presence)) if presence >= PRESENCE_THRESHOLD || sure => {
                    let lm_box = facemesh::points_bbox(&points);
                    if fresh {
                        if let Some(rel) = BoxFromLandmarks::learn(&track.bbox, &lm_box) {
                            self.box_models.insert(track.id, rel);
                        }
                    } else if let Some(rel) = self.box_models.get(&track.id) {
                        track.bbox = rel.apply(&lm_box);
                    }
                    track.landmarks = Some(points);
                    track.presence = presence;
                }
                _ => {
                    track.landmarks = None;
                    lost.push(track.id);
                }
            }
        }
        Ok(lost)
    }
}

/// Which of one detector run's detections become faces: sure and twice-confirmed ones, and
/// those the mesh sees only on their own crop when nothing else in the frame is a face (a
/// strongly turned head alone in the frame). Next to a face, such a candidate is more likely
/// something on that person (a badge), and following it would re-run the detector on every
/// frame; alone, the detector runs on every frame anyway until a face is followed.
fn kept_detections(checks: &[MeshCheck]) -> Vec<bool> {
    let alone = !checks.contains(&MeshCheck::Twice);
    checks
        .iter()
        .map(|&c| c == MeshCheck::Twice || (alone && c == MeshCheck::Once))
        .collect()
}

fn round_pose(p: HeadPose) -> HeadPose {
    let r = |v: f64| (v * 100.0).round() / 100.0;
    HeadPose {
        pitch: r(p.pitch),
        yaw: r(p.yaw),
        roll: r(p.roll),
        confidence: r(p.confidence),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_seen_once_is_a_face_only_when_alone() {
        use MeshCheck::*;
        assert_eq!(kept_detections(&[Once]), [true]);
        assert_eq!(kept_detections(&[Once, Once]), [true, true]);
        assert_eq!(kept_detections(&[Once, No]), [true, false]);
        // Next to a confirmed or sure face (the astronaut and her mission patch).
        assert_eq!(kept_detections(&[Twice, Once]), [true, false]);
        assert_eq!(kept_detections(&[Once, Twice, No]), [false, true, false]);
        assert_eq!(kept_detections(&[No]), [false]);
    }
}
