//! The element's property values and their defaults (GStreamer-free: `imp.rs` maps them to
//! and from properties).

use crate::attention::mqtt;

pub const DEFAULT_PITCH_RANGE: &str = "-20,20";
pub const DEFAULT_YAW_RANGE: &str = "-30,30";
pub const DEFAULT_TRACK_ID: i32 = -1;
pub const DEFAULT_SAMPLE_RATE: f64 = 1.0;
pub const DEFAULT_WINDOW: f64 = 60.0;
pub const DEFAULT_THRESHOLD: f64 = 0.5;
pub const DEFAULT_STATS_INTERVAL: f64 = 60.0;
pub const DEFAULT_LESSON_LENGTH: f64 = 2400.0;
pub const DEFAULT_LOW_AT_THRESHOLD: bool = false;
pub const DEFAULT_SINGLE_STAGE: bool = false;
pub const DEFAULT_COURSE: &str = "default";
pub const DEFAULT_PUBLISH_QUEUE: u32 = mqtt::DEFAULT_QUEUE as u32;
pub const DEFAULT_DRAW: bool = false;

#[derive(Debug, Clone)]
pub struct Settings {
    pub pitch_range: String,
    pub yaw_range: String,
    pub track_id: i32,
    pub sample_rate: f64,
    pub window: f64,
    pub threshold: f64,
    pub stats_interval: f64,
    pub lesson_length: f64,
    pub low_at_threshold: bool,
    pub single_stage: bool,
    pub viewer_id: Option<String>,
    pub course: String,
    pub history_location: Option<String>,
    pub publish: Option<String>,
    pub publish_queue: u32,
    pub draw: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pitch_range: DEFAULT_PITCH_RANGE.into(),
            yaw_range: DEFAULT_YAW_RANGE.into(),
            track_id: DEFAULT_TRACK_ID,
            sample_rate: DEFAULT_SAMPLE_RATE,
            window: DEFAULT_WINDOW,
            threshold: DEFAULT_THRESHOLD,
            stats_interval: DEFAULT_STATS_INTERVAL,
            lesson_length: DEFAULT_LESSON_LENGTH,
            low_at_threshold: DEFAULT_LOW_AT_THRESHOLD,
            single_stage: DEFAULT_SINGLE_STAGE,
            viewer_id: None,
            course: DEFAULT_COURSE.into(),
            history_location: None,
            publish: None,
            publish_queue: DEFAULT_PUBLISH_QUEUE,
            draw: DEFAULT_DRAW,
        }
    }
}
