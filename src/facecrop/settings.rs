//! The element's property values and their defaults (GStreamer-free: `imp.rs` maps them to
//! and from properties).

use super::{CropOnMissing, Fit, Primary};
use crate::face::PrimaryFace;

pub const DEFAULT_CONFIG_TIMEOUT_MS: u32 = 5000;
pub const DEFAULT_FIT: Fit = Fit::Scale;
pub const DEFAULT_PRIMARY: Primary = Primary::Largest;
pub const DEFAULT_TRACK_ID: i32 = -1;
pub const DEFAULT_SMOOTHING: f64 = 0.7;
pub const DEFAULT_MAX_LAG: f64 = 2.0;
pub const DEFAULT_MARGIN: f64 = 0.5;
pub const DEFAULT_KEEP_NO_FACE: bool = false;
pub const DEFAULT_ON_MISSING: CropOnMissing = CropOnMissing::Error;
pub const DEFAULT_POST_MESSAGES: bool = true;

#[derive(Debug, Clone)]
pub struct Settings {
    pub size: Option<String>,
    pub camera_model: Option<String>,
    pub config_location: Option<String>,
    pub config_timeout_ms: u32,
    pub fallback_size: Option<String>,
    pub fit: Fit,
    pub primary: Primary,
    pub track_id: i32,
    pub smoothing: f64,
    pub max_lag: f64,
    pub margin: f64,
    pub keep_no_face: bool,
    pub on_missing: CropOnMissing,
    pub post_messages: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            size: None,
            camera_model: None,
            config_location: None,
            config_timeout_ms: DEFAULT_CONFIG_TIMEOUT_MS,
            fallback_size: None,
            fit: DEFAULT_FIT,
            primary: DEFAULT_PRIMARY,
            track_id: DEFAULT_TRACK_ID,
            smoothing: DEFAULT_SMOOTHING,
            max_lag: DEFAULT_MAX_LAG,
            margin: DEFAULT_MARGIN,
            keep_no_face: DEFAULT_KEEP_NO_FACE,
            on_missing: DEFAULT_ON_MISSING,
            post_messages: DEFAULT_POST_MESSAGES,
        }
    }
}

impl Settings {
    /// Which face the crop follows.
    pub fn primary_face(&self) -> PrimaryFace {
        match self.primary {
            Primary::Largest => PrimaryFace::Largest,
            Primary::MostConfident => PrimaryFace::MostConfident,
            Primary::Track => PrimaryFace::Track(self.track_id),
        }
    }

    /// How the window follows the face.
    pub fn follow(&self) -> super::placement::Follow {
        super::placement::Follow {
            fit: self.fit,
            smoothing: self.smoothing as f32,
            max_lag: self.max_lag as f32,
            margin: self.margin as f32,
        }
    }
}
