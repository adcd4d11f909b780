//! The element's property values and their defaults (GStreamer-free: `imp.rs` maps them to
//! and from properties).

use crate::attention::{AngleRange, GazeCone, MeterConfig, NS, Threshold, mqtt};

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

fn seconds_to_ns(s: f64) -> u64 {
    (s * NS as f64).round().max(0.0) as u64
}

impl Settings {
    /// The gaze cone of `pitch-range` and `yaw-range`, or what is wrong with them.
    pub fn cone(&self) -> Result<GazeCone, String> {
        Ok(GazeCone {
            pitch: AngleRange::parse("pitch-range", &self.pitch_range)?,
            yaw: AngleRange::parse("yaw-range", &self.yaw_range)?,
        })
    }

    /// The meter's configuration (checked by [`MeterConfig::validate`]).
    pub fn meter_config(&self) -> MeterConfig {
        MeterConfig {
            sample_rate: self.sample_rate,
            window: seconds_to_ns(self.window),
            stats_interval: seconds_to_ns(self.stats_interval),
            threshold: Threshold {
                value: self.threshold,
                low_at_threshold: self.low_at_threshold,
            },
            single_stage: self.single_stage,
            lesson_length: seconds_to_ns(self.lesson_length),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_make_a_valid_meter_and_bad_ranges_say_which() {
        let s = Settings::default();
        let config = s.meter_config();
        assert_eq!(config.window, 60 * NS);
        assert!(config.validate().is_ok());
        assert!(s.cone().is_ok());
        let bad = Settings {
            yaw_range: "30,-30".into(),
            ..Settings::default()
        };
        let e = bad.cone().unwrap_err();
        assert!(e.contains("yaw-range"), "{e}");
    }
}
