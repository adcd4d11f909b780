//! Attention in online classes, without GStreamer: gaze test, sampling and windows, the
//! reminder/alert state machine, statistics, the viewer's [`Meter`] that ties them together,
//! the history file, the typed messages (JSON via serde), the presenter's class board on one
//! lesson clock, the drawings (viewer cue, presenter panel), the lesson report (SVG) and
//! document (JSON), and the MQTT transport.
//!
//! `attentionmeter` and `attentionoverlay` only wire buffers, properties and the bus to this.

pub mod board;
pub mod cue;
pub mod document;
pub mod gaze;
pub mod history;
pub mod messages;
pub mod meter;
pub mod mqtt;
pub mod paint;
pub mod panel;
pub mod presenter;
pub mod reminder;
pub mod report;
pub mod sampler;
pub mod stats;

pub use board::ClassBoard;
pub use gaze::{AngleRange, GazeCone, Unseen};
pub use messages::{AttentionEvent, StatsReport, Summary, WindowReport};
pub use meter::{FrameTime, Meter, MeterConfig, MeterOutput};
pub use reminder::{ReminderMachine, ReminderState, Threshold, Transition};
pub use sampler::{LessonClock, Observation, SampleWindow, Sampler};
pub use stats::{HISTOGRAM_BINS, IntervalStats, StatsCollector, summarize};

/// Nanoseconds per second (running times are carried in nanoseconds, as GStreamer's).
pub const NS: u64 = 1_000_000_000;

/// Wall-clock now in milliseconds since the Unix epoch (what the messages carry).
pub fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
