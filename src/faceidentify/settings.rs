//! The element's property values and their defaults (GStreamer-free: `imp.rs` maps them to
//! and from properties).

use super::Mode;
use super::descriptor::DLIB_THRESHOLD;

pub const DEFAULT_THRESHOLD: f64 = DLIB_THRESHOLD;
pub const DEFAULT_MODE: Mode = Mode::Keyframe;
pub const DEFAULT_INTERVAL: u32 = 15;
pub const DEFAULT_WINDOW: u64 = 0;
pub const DEFAULT_WINDOW_FRAMES: u32 = 0;
pub const DEFAULT_MIN_FACE_SIZE: u32 = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    pub gallery: Option<String>,
    pub threshold: f64,
    pub mode: Mode,
    pub interval: u32,
    pub window: u64,
    pub window_frames: u32,
    pub min_face_size: u32,
    pub model: Option<String>,
    pub ort_library: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            gallery: None,
            threshold: DEFAULT_THRESHOLD,
            mode: DEFAULT_MODE,
            interval: DEFAULT_INTERVAL,
            window: DEFAULT_WINDOW,
            window_frames: DEFAULT_WINDOW_FRAMES,
            min_face_size: DEFAULT_MIN_FACE_SIZE,
            model: None,
            ort_library: None,
        }
    }
}
