//! The lesson's statistics and history as one JSON document a dashboard can fetch, written
//! by `attentionoverlay` next to the SVG report (same name, `.json`).
//!
//! ```json
//! {"course":"course-42","date":"2026-12-01T16:40:00Z","lesson-start-ms":1764607200000,
//!  "elapsed-seconds":240.0,"window-seconds":60.0,"threshold":0.5,"low-at-threshold":false,
//!  "class":{"windows":11,"mean":0.55,"histogram":[4,0,…],"low-share":0.36,"alerts":2,
//!           "curve":[[60.0,0.67],[120.0,0.33]]},
//!  "viewers":[{"viewer-id":"anna","present":true,"latest":1.0,"windows":4,"mean":1.0,
//!              "histogram":[…],"low-share":0.0,"reminders":0,"alerts":0,"curve":[[60.0,1.0]],
//!              "markers":[{"t":120.0,"kind":"alert"}]}],
//!  "history":[[60.0,0.8],[120.0,0.7]]}
//! ```
//! Times are seconds of lesson time (the presenter's lesson clock).

use serde::{Deserialize, Serialize};

use super::board::{ClassBoard, Distribution, MarkerKind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DistributionFields {
    pub windows: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    pub histogram: Vec<u32>,
    /// Share of the time with low attention, 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_share: Option<f64>,
}

impl From<&Distribution> for DistributionFields {
    fn from(d: &Distribution) -> Self {
        Self {
            windows: d.windows,
            mean: d.mean,
            histogram: d.histogram.to_vec(),
            low_share: d.low_share,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MarkerFields {
    /// Lesson seconds at the end of the window that caused it.
    pub t: f64,
    /// `reminder`, `alert` or `recovered`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClassFields {
    #[serde(flatten)]
    pub distribution: DistributionFields,
    pub alerts: u32,
    /// (lesson seconds at the bin end, class mean).
    pub curve: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ViewerFields {
    pub viewer_id: String,
    /// False once the viewer's lesson ended.
    pub present: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<f64>,
    #[serde(flatten)]
    pub distribution: DistributionFields,
    pub reminders: u32,
    pub alerts: u32,
    pub curve: Vec<(f64, f64)>,
    pub markers: Vec<MarkerFields>,
}

/// The document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LessonDocument {
    pub course: String,
    /// Lesson start, ISO 8601 UTC.
    pub date: String,
    pub lesson_start_ms: u64,
    pub elapsed_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<f64>,
    pub threshold: f64,
    pub low_at_threshold: bool,
    pub class: ClassFields,
    pub viewers: Vec<ViewerFields>,
    /// Previous lessons' class curve (lesson seconds, attention).
    pub history: Vec<(f64, f64)>,
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time in milliseconds (proleptic Gregorian, UTC).
pub fn iso_date(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

impl LessonDocument {
    pub fn new(course: &str, board: &ClassBoard, history: &[(f64, f64)]) -> Self {
        let threshold = board.threshold.unwrap_or(super::Threshold::new(0.5));
        let start = board.origin_ms().unwrap_or(0);
        let viewers: Vec<ViewerFields> = board
            .viewers
            .iter()
            .map(|(id, v)| ViewerFields {
                viewer_id: id.clone(),
                present: !v.left,
                latest: v.attention,
                distribution: (&board.viewer_distribution(v)).into(),
                reminders: v.count(MarkerKind::Reminder) as u32,
                alerts: v.count(MarkerKind::Alert) as u32,
                curve: board.viewer_curve(v),
                markers: v
                    .markers
                    .iter()
                    .map(|m| MarkerFields {
                        t: board.lesson_seconds(&m.window).1,
                        kind: m.kind.as_str().into(),
                    })
                    .collect(),
            })
            .collect();
        Self {
            course: course.into(),
            date: iso_date(start),
            lesson_start_ms: start,
            elapsed_seconds: board.elapsed(),
            window_seconds: board.window_s,
            threshold: threshold.value,
            low_at_threshold: threshold.low_at_threshold,
            class: ClassFields {
                distribution: (&board.class_distribution()).into(),
                alerts: viewers.iter().map(|v| v.alerts).sum(),
                curve: board.class_curve(),
            },
            viewers,
            history: history.to_vec(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("documents always serialise")
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not a lesson document: {e}"))
    }
}

/// Writes `text` to `path` via a temporary file, so a reader never sees half of it.
pub fn write_atomically(path: &std::path::Path, text: &str, what: &str) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            format!(
                "cannot write the {what} {}: {e}; set report-location to a writable file",
                path.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::AttentionEvent;
    use crate::attention::board::tests::{T0, report};

    #[test]
    fn dates_are_iso_utc() {
        assert_eq!(iso_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_date(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso_date(T0 + 3_723_000), "2025-11-21T22:22:03Z");
    }

    #[test]
    fn document_carries_the_numbers_and_round_trips() {
        let mut b = ClassBoard::new(T0);
        for (i, a) in [1.0, 0.2, 0.0].iter().enumerate() {
            let r = report("anna", 0, 60, i as u64, *a);
            b.apply(&AttentionEvent::Attention(r.clone()));
            if i == 1 {
                b.apply(&AttentionEvent::Reminder(r));
            } else if i == 2 {
                b.apply(&AttentionEvent::Alert(r));
            }
        }
        b.apply(&AttentionEvent::Attention(report("ben", 7, 60, 0, 0.5)));
        let doc = LessonDocument::new("course/42", &b, &[(60.0, 0.9)]);
        assert_eq!(doc.date, "2025-11-21T21:20:00Z");
        assert_eq!(doc.class.alerts, 1);
        assert_eq!(doc.class.distribution.windows, 4);
        assert_eq!(doc.class.distribution.low_share, Some(0.5));
        let anna = &doc.viewers[0];
        assert_eq!((anna.reminders, anna.alerts), (1, 1));
        assert_eq!(anna.markers[1].t, 180.0);
        assert_eq!(anna.markers[1].kind, "alert");
        assert_eq!(anna.curve, vec![(60.0, 1.0), (120.0, 0.2), (180.0, 0.0)]);
        assert_eq!(doc.viewers[1].curve, vec![(67.0, 0.5)]);
        let json = doc.to_json();
        assert!(json.contains("\"low-share\": 0.5"), "{json}");
        assert!(json.contains("\"viewer-id\": \"ben\""), "{json}");
        assert_eq!(LessonDocument::from_json(&json).unwrap(), doc);
        assert!(LessonDocument::from_json("{}").is_err());
    }
}
