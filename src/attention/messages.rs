//! The attention messages as typed structs. The same content travels as bus message
//! structures (conversion in `crate::attentionmeter`) and as JSON (serde, here), with the same
//! field names, so a presenter-side program reads either without touching field names.
//!
//! JSON carries the message name in `"type"`, e.g.
//! `{"type":"attention-alert","viewer-id":"anna","attention":0.2,...}`.

use serde::{Deserialize, Serialize};

use super::{IntervalStats, ReminderState, SampleWindow, Threshold, Transition};

/// One window's result, for `attention` and the transition messages
/// (`attention-reminder`, `attention-alert`, `attention-recovered`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct WindowReport {
    pub viewer_id: String,
    pub course: String,
    /// Lesson number of this viewer's meter (0-based; a new lesson starts every `lesson-length`).
    #[serde(default)]
    pub lesson_index: u32,
    /// Window number since the lesson started (0-based; skipped empty windows leave gaps).
    pub window_index: u64,
    /// Window bounds in running time, nanoseconds.
    pub window_start: u64,
    pub window_end: u64,
    /// The same bounds on the wall clock (Unix milliseconds; 0 = unknown), so that the
    /// presenter places every viewer's windows on one lesson clock.
    #[serde(default)]
    pub unix_start_ms: u64,
    #[serde(default)]
    pub unix_end_ms: u64,
    pub sampled: u32,
    pub gaze: u32,
    /// gaze / sampled, 0..1.
    pub attention: f64,
    pub threshold: f64,
    /// True when attention exactly at `threshold` counts as low (`<=`), false for `<`.
    #[serde(default)]
    pub low_at_threshold: bool,
    /// State after this window: `not-reminded`, `reminded` or `alerted`.
    pub state: String,
    /// False for the partial window flushed at EOS (it does not drive the state machine).
    pub complete: bool,
}

/// Who measured and where on the wall clock (for [`WindowReport::new`]).
#[derive(Debug, Clone, Copy)]
pub struct WindowContext<'a> {
    pub viewer_id: &'a str,
    pub course: &'a str,
    pub lesson: u32,
    pub threshold: Threshold,
    pub state: ReminderState,
    /// Unix milliseconds of the window start and end.
    pub unix_ms: (u64, u64),
}

impl WindowReport {
    pub fn new(c: &WindowContext, window: &SampleWindow) -> Self {
        Self {
            viewer_id: c.viewer_id.to_string(),
            course: c.course.to_string(),
            lesson_index: c.lesson,
            window_index: window.index,
            window_start: window.start,
            window_end: window.end,
            unix_start_ms: c.unix_ms.0,
            unix_end_ms: c.unix_ms.1,
            sampled: window.sampled,
            gaze: window.gaze,
            attention: window.attention().unwrap_or(0.0),
            threshold: c.threshold.value,
            low_at_threshold: c.threshold.low_at_threshold,
            state: c.state.as_str().to_string(),
            complete: window.complete,
        }
    }

    pub fn threshold(&self) -> Threshold {
        Threshold {
            value: self.threshold,
            low_at_threshold: self.low_at_threshold,
        }
    }
}

/// min/mean/max and distribution of window attention values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    /// Number of windows summarised.
    pub windows: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Windows per attention decile: bin i counts values in [i/10, (i+1)/10), 1.0 in the last.
    pub histogram: Vec<u32>,
    /// Windows whose attention was low (below the threshold, or at it with `low-at-threshold`).
    #[serde(default)]
    pub low: u32,
}

/// `attention-stats`: one statistics interval, plus the lesson so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StatsReport {
    pub viewer_id: String,
    pub course: String,
    #[serde(default)]
    pub lesson_index: u32,
    pub interval_index: u64,
    /// Interval bounds in running time, nanoseconds.
    pub interval_start: u64,
    pub interval_end: u64,
    /// Attention of each window that ended in this interval, in order.
    pub values: Vec<f64>,
    pub interval: Summary,
    pub lesson: Summary,
    /// True for the report that closes the lesson (at EOS or when `lesson-length` is reached).
    #[serde(rename = "final")]
    pub is_final: bool,
}

impl StatsReport {
    pub fn new(
        viewer_id: &str,
        course: &str,
        lesson: u32,
        stats: &IntervalStats,
        origin: u64,
        interval: u64,
        is_final: bool,
    ) -> Self {
        Self {
            viewer_id: viewer_id.to_string(),
            course: course.to_string(),
            lesson_index: lesson,
            interval_index: stats.index,
            interval_start: origin + stats.index * interval,
            interval_end: origin + (stats.index + 1) * interval,
            values: stats.values.clone(),
            interval: stats.interval.clone(),
            lesson: stats.lesson.clone(),
            is_final,
        }
    }
}

/// Every attention message; the variant is the message (structure) name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AttentionEvent {
    #[serde(rename = "attention")]
    Attention(WindowReport),
    #[serde(rename = "attention-reminder")]
    Reminder(WindowReport),
    #[serde(rename = "attention-alert")]
    Alert(WindowReport),
    #[serde(rename = "attention-recovered")]
    Recovered(WindowReport),
    #[serde(rename = "attention-stats")]
    Stats(StatsReport),
}

pub const ATTENTION: &str = "attention";
pub const REMINDER: &str = "attention-reminder";
pub const ALERT: &str = "attention-alert";
pub const RECOVERED: &str = "attention-recovered";
pub const STATS: &str = "attention-stats";
/// Every message name, for bus filters.
pub const NAMES: [&str; 5] = [ATTENTION, REMINDER, ALERT, RECOVERED, STATS];

impl AttentionEvent {
    pub fn for_transition(t: Transition, report: WindowReport) -> Self {
        match t {
            Transition::Reminder => Self::Reminder(report),
            Transition::Alert => Self::Alert(report),
            Transition::Recovered => Self::Recovered(report),
        }
    }

    /// The message / structure name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Attention(_) => ATTENTION,
            Self::Reminder(_) => REMINDER,
            Self::Alert(_) => ALERT,
            Self::Recovered(_) => RECOVERED,
            Self::Stats(_) => STATS,
        }
    }

    pub fn viewer_id(&self) -> &str {
        match self {
            Self::Attention(r) | Self::Reminder(r) | Self::Alert(r) | Self::Recovered(r) => {
                &r.viewer_id
            }
            Self::Stats(s) => &s.viewer_id,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("attention messages always serialise")
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not an attention message: {e}"))
    }

    /// The fields without the `type` tag, as a JSON object (for structure conversion).
    pub fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut v = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => unreachable!("attention messages serialise to objects"),
        };
        v.remove("type");
        v
    }

    /// Rebuilds a message from its name and fields.
    pub fn from_fields(
        name: &str,
        mut fields: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, String> {
        if !NAMES.contains(&name) {
            return Err(format!("'{name}' is not an attention message"));
        }
        fields.insert("type".into(), serde_json::Value::String(name.into()));
        serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| format!("{name}: {e}"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::attention::{Threshold, summarize};

    pub fn window_report() -> WindowReport {
        WindowReport {
            viewer_id: "anna".into(),
            course: "course/42".into(),
            lesson_index: 1,
            window_index: 3,
            window_start: 180_000_000_000,
            window_end: 240_000_000_000,
            unix_start_ms: 1_763_760_180_000,
            unix_end_ms: 1_763_760_240_000,
            sampled: 60,
            gaze: 12,
            attention: 0.2,
            threshold: 0.5,
            low_at_threshold: false,
            state: "alerted".into(),
            complete: true,
        }
    }

    pub fn stats_report() -> StatsReport {
        StatsReport {
            viewer_id: "anna".into(),
            course: "course/42".into(),
            lesson_index: 1,
            interval_index: 1,
            interval_start: 60_000_000_000,
            interval_end: 120_000_000_000,
            values: vec![0.5, 1.0],
            interval: summarize(&[0.5, 1.0], Threshold::new(0.6)),
            lesson: summarize(&[], Threshold::new(0.6)),
            is_final: true,
        }
    }

    #[test]
    fn json_round_trip_with_type_tag_and_kebab_names() {
        let alert = AttentionEvent::Alert(window_report());
        let json = alert.to_json();
        assert!(json.contains("\"type\":\"attention-alert\""), "{json}");
        assert!(json.contains("\"viewer-id\":\"anna\""), "{json}");
        assert!(json.contains("\"attention\":0.2"), "{json}");
        assert!(json.contains("\"unix-end-ms\":1763760240000"), "{json}");
        // Messages from before the wall-clock fields still parse (unknown = 0).
        let old = json.replace(
            ",\"unix-start-ms\":1763760180000,\"unix-end-ms\":1763760240000",
            "",
        );
        assert_ne!(old, json);
        let AttentionEvent::Alert(r) = AttentionEvent::from_json(&old).unwrap() else {
            panic!("{old}")
        };
        assert_eq!((r.unix_start_ms, r.unix_end_ms), (0, 0));
        assert_eq!(AttentionEvent::from_json(&json).unwrap(), alert);
        let stats = AttentionEvent::Stats(stats_report());
        let json = stats.to_json();
        assert!(json.contains("\"final\":true"), "{json}");
        // An empty summary has no min/mean/max rather than made-up zeros.
        assert!(
            json.contains("\"lesson\":{\"windows\":0,\"histogram\""),
            "{json}"
        );
        assert_eq!(AttentionEvent::from_json(&json).unwrap(), stats);
        assert!(AttentionEvent::from_json("{\"type\":\"other\"}").is_err());
        assert!(AttentionEvent::from_json("garbage").is_err());
    }

    #[test]
    fn names_and_fields() {
        let r = window_report();
        for (t, name) in [
            (Transition::Reminder, REMINDER),
            (Transition::Alert, ALERT),
            (Transition::Recovered, RECOVERED),
        ] {
            let e = AttentionEvent::for_transition(t, r.clone());
            assert_eq!(e.name(), name);
            assert_eq!(e.viewer_id(), "anna");
            let back = AttentionEvent::from_fields(name, e.fields()).unwrap();
            assert_eq!(back, e);
        }
        assert!(AttentionEvent::from_fields("facedetect", Default::default()).is_err());
        let mut f = AttentionEvent::Attention(r).fields();
        f.remove("attention");
        let e = AttentionEvent::from_fields(ATTENTION, f).unwrap_err();
        assert!(e.contains("attention"), "{e}");
    }
}
