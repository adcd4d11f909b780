//! The element's property values and their defaults (GStreamer-free: `imp.rs` maps them to
//! and from properties).

use std::path::PathBuf;

use super::analyzer::{AnalyzerConfig, DetectorKind};
use super::{Model, Updates};

pub const DEFAULT_MODEL: Model = Model::BlazeFaceFull;
pub const DEFAULT_CONFIDENCE: f64 = 0.5;
pub const DEFAULT_NMS_IOU: f64 = 0.3;
pub const DEFAULT_MIN_FACE_SIZE: u32 = 0;
pub const DEFAULT_MAX_FACES: u32 = 10;
pub const DEFAULT_INTERVAL: u32 = 0;
pub const DEFAULT_HOLD_FRAMES: u32 = 5;
pub const DEFAULT_LANDMARKS: bool = true;
pub const DEFAULT_UPDATES: Updates = Updates::EveryFrame;
pub const DEFAULT_DRAW: bool = false;
pub const DEFAULT_THREADS: u32 = 0;
pub const DEFAULT_MAX_DETECT_SIZE: u32 = 1280;
pub const DEFAULT_LOOKAHEAD: u32 = 0;

#[derive(Debug, Clone)]
pub struct Settings {
    pub model: Model,
    pub model_location: Option<String>,
    pub ort_library: Option<String>,
    pub confidence: f64,
    pub nms_iou: f64,
    pub min_face_size: u32,
    pub max_faces: u32,
    pub interval: u32,
    pub hold_frames: u32,
    pub landmarks: bool,
    pub updates: Updates,
    pub draw: bool,
    pub threads: u32,
    pub max_detect_size: u32,
    pub lookahead: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: DEFAULT_MODEL,
            model_location: None,
            ort_library: None,
            confidence: DEFAULT_CONFIDENCE,
            nms_iou: DEFAULT_NMS_IOU,
            min_face_size: DEFAULT_MIN_FACE_SIZE,
            max_faces: DEFAULT_MAX_FACES,
            interval: DEFAULT_INTERVAL,
            hold_frames: DEFAULT_HOLD_FRAMES,
            landmarks: DEFAULT_LANDMARKS,
            updates: DEFAULT_UPDATES,
            draw: DEFAULT_DRAW,
            threads: DEFAULT_THREADS,
            max_detect_size: DEFAULT_MAX_DETECT_SIZE,
            lookahead: DEFAULT_LOOKAHEAD,
        }
    }
}

impl Settings {
    /// The analysis these settings ask for.
    pub fn analyzer_config(&self) -> AnalyzerConfig {
        AnalyzerConfig {
            detector: match self.model {
                Model::BlazeFaceShort => DetectorKind::BlazeFaceShort,
                Model::BlazeFaceFull => DetectorKind::BlazeFaceFull,
                Model::CenterFace => DetectorKind::CenterFace,
            },
            detector_path: self.model_location.as_ref().map(PathBuf::from),
            confidence: self.confidence as f32,
            nms_iou: self.nms_iou as f32,
            min_face_size: self.min_face_size,
            max_faces: self.max_faces,
            interval: self.interval,
            hold_frames: self.hold_frames,
            landmarks: self.landmarks,
            max_detect_size: self.max_detect_size,
        }
    }
}
