//! Lesson history: a JSON Lines file, one lesson record per line, appended at the end of each
//! lesson. Several viewers (and the presenter's overlay) may append to the same file: each
//! record is written with one `write` on a file opened for appending.
//!
//! ```json
//! {"course":"course/42","viewer-id":"anna","started":1763760000,"window-seconds":60.0,
//!  "curve":[0.9,0.85,0.4],"mean":0.7166}
//! ```

use std::io::{BufRead, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Viewer id of the class-mean records the presenter's overlay writes.
pub const CLASS_VIEWER: &str = "class";

/// One lesson of one viewer (or of the class, `viewer-id` = [`CLASS_VIEWER`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LessonRecord {
    pub course: String,
    pub viewer_id: String,
    /// Wall-clock start of the lesson, seconds since the Unix epoch.
    pub started: u64,
    /// Seconds per curve point.
    pub window_seconds: f64,
    /// Attention per window, in order.
    pub curve: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
}

impl LessonRecord {
    pub fn new(
        course: &str,
        viewer_id: &str,
        started: u64,
        window_seconds: f64,
        curve: Vec<f64>,
    ) -> Self {
        let mean = (!curve.is_empty()).then(|| curve.iter().sum::<f64>() / curve.len() as f64);
        Self {
            course: course.into(),
            viewer_id: viewer_id.into(),
            started,
            window_seconds,
            curve,
            mean,
        }
    }
}

/// Checks early that `path` can be appended to (creating it, not its folder).
pub fn check_writable(path: &Path) -> Result<(), String> {
    open_append(path).map(|_| ())
}

fn open_append(path: &Path) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            format!(
                "cannot write the history file {}: {e}; set history-location to a writable file (its folder must exist)",
                path.display()
            )
        })
}

/// Appends one record.
pub fn append(path: &Path, record: &LessonRecord) -> Result<(), String> {
    let mut line = serde_json::to_string(record).expect("records always serialise");
    line.push('\n');
    open_append(path)?
        .write_all(line.as_bytes())
        .map_err(|e| format!("cannot write the history file {}: {e}", path.display()))
}

/// Reads every record of `course`; a missing file is an empty history. Lines that do not
/// parse are skipped and counted (second value) so the caller can warn.
pub fn load(path: &Path, course: &str) -> Result<(Vec<LessonRecord>, usize), String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => {
            return Err(format!(
                "cannot read the history file {}: {e}",
                path.display()
            ));
        }
    };
    let mut records = Vec::new();
    let mut bad = 0;
    for line in std::io::BufReader::new(file).lines() {
        let line =
            line.map_err(|e| format!("cannot read the history file {}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<LessonRecord>(&line) {
            Ok(r) if r.course == course => records.push(r),
            Ok(_) => {}
            Err(_) => bad += 1,
        }
    }
    Ok((records, bad))
}

/// The history curve of previous lessons as `(seconds from lesson start, attention)`: the
/// mean, point by point, over the class records when there are any, else over the viewers'.
/// Each lesson's points sit at `i * window-seconds`; lessons are averaged per point index of
/// the first record's spacing.
pub fn history_curve(records: &[LessonRecord]) -> Vec<(f64, f64)> {
    let class: Vec<&LessonRecord> = records
        .iter()
        .filter(|r| r.viewer_id == CLASS_VIEWER)
        .collect();
    let chosen: Vec<&LessonRecord> = if class.is_empty() {
        records.iter().collect()
    } else {
        class
    };
    let len = chosen.iter().map(|r| r.curve.len()).max().unwrap_or(0);
    let step = chosen.first().map_or(60.0, |r| r.window_seconds);
    (0..len)
        .filter_map(|i| {
            let values: Vec<f64> = chosen
                .iter()
                .filter_map(|r| r.curve.get(i).copied())
                .collect();
            (!values.is_empty()).then(|| {
                (
                    (i as f64 + 1.0) * step,
                    values.iter().sum::<f64>() / values.len() as f64,
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("facekit-hist-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn append_and_load_per_course() {
        let p = tmp("a.jsonl");
        assert_eq!(
            load(&p, "c").unwrap(),
            (vec![], 0),
            "missing file = empty history"
        );
        check_writable(&p).unwrap();
        let a = LessonRecord::new("c", "anna", 1, 60.0, vec![1.0, 0.5]);
        let b = LessonRecord::new("other", "bob", 2, 60.0, vec![0.0]);
        append(&p, &a).unwrap();
        append(&p, &b).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{broken\n\n")
            .unwrap();
        let (records, bad) = load(&p, "c").unwrap();
        assert_eq!(records, vec![a.clone()]);
        assert_eq!(bad, 1);
        assert_eq!(a.mean, Some(0.75));
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("{\"course\":\"c\",\"viewer-id\":\"anna\""),
            "{text}"
        );
        let _ = std::fs::remove_file(p);
    }

    #[test]
    fn unwritable_location_is_explained() {
        let e = check_writable(Path::new("/nonexistent-dir/h.jsonl")).unwrap_err();
        assert!(
            e.contains("/nonexistent-dir/h.jsonl") && e.contains("history-location"),
            "{e}"
        );
    }

    #[test]
    fn history_curve_prefers_class_records_and_averages_lessons() {
        let viewers = vec![
            LessonRecord::new("c", "a", 1, 10.0, vec![1.0, 0.0]),
            LessonRecord::new("c", "b", 1, 10.0, vec![0.0, 0.0, 1.0]),
        ];
        assert_eq!(
            history_curve(&viewers),
            vec![(10.0, 0.5), (20.0, 0.0), (30.0, 1.0)]
        );
        let mut all = viewers.clone();
        all.push(LessonRecord::new("c", CLASS_VIEWER, 1, 10.0, vec![0.8]));
        all.push(LessonRecord::new(
            "c",
            CLASS_VIEWER,
            2,
            10.0,
            vec![0.4, 0.6],
        ));
        let curve = history_curve(&all);
        assert_eq!(curve.len(), 2);
        assert!((curve[0].1 - 0.6).abs() < 1e-12 && curve[1] == (20.0, 0.6));
        assert!(history_curve(&[]).is_empty());
    }
}
