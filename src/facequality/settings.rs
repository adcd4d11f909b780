//! The element's property values and their defaults (GStreamer-free: `imp.rs` maps them to
//! and from properties).

use super::Weights;

pub const DEFAULT_AUTO_WEIGHTS: bool = false;
pub const DEFAULT_REFERENCE_SIZE: u32 = 112;
pub const DEFAULT_POST_MESSAGES: bool = true;
pub const DEFAULT_MESSAGE_INTERVAL: u64 = 1_000_000_000;
pub const DEFAULT_KEYFRAMES: bool = true;
pub const DEFAULT_KEYFRAME_WINDOW: u64 = 2_000_000_000;
pub const DEFAULT_KEYFRAME_WINDOW_FRAMES: u32 = 0;
pub const DEFAULT_KEYFRAME_MARGIN: f64 = 0.25;

#[derive(Debug, Clone)]
pub struct Settings {
    pub weights: Weights,
    pub auto_weights: bool,
    pub reference_size: u32,
    pub post_messages: bool,
    pub message_interval: u64,
    pub keyframes: bool,
    pub keyframe_window: u64,
    pub keyframe_window_frames: u32,
    pub keyframe_location: Option<String>,
    pub keyframe_margin: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            weights: Weights::default(),
            auto_weights: DEFAULT_AUTO_WEIGHTS,
            reference_size: DEFAULT_REFERENCE_SIZE,
            post_messages: DEFAULT_POST_MESSAGES,
            message_interval: DEFAULT_MESSAGE_INTERVAL,
            keyframes: DEFAULT_KEYFRAMES,
            keyframe_window: DEFAULT_KEYFRAME_WINDOW,
            keyframe_window_frames: DEFAULT_KEYFRAME_WINDOW_FRAMES,
            keyframe_location: None,
            keyframe_margin: DEFAULT_KEYFRAME_MARGIN,
        }
    }
}
