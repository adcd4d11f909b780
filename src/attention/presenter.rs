//! The presenter's side of a class, without GStreamer: takes the viewers' JSON messages, keeps
//! the class board of the current lesson on the lesson clock, closes a lesson when a window
//! lies past the lesson length, and keeps the history the next lessons are drawn over.
//!
//! `attentionoverlay` only wires MQTT, properties, files and the bus to this.

use std::path::{Path, PathBuf};

use super::ClassBoard;
use super::document::{self, LessonDocument};
use super::history::{self, CLASS_VIEWER, LessonRecord};
use super::messages::AttentionEvent;
use super::panel::PanelView;
use super::report;

/// What [`Presenter::apply_json`] did with one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not an attention message (counted in [`Presenter::bad_messages`]).
    Malformed,
    /// An attention message of another course.
    OtherCourse,
    /// Applied to the board; `Some` when it first closed the previous lesson.
    Taken(Option<Box<ClosedLesson>>),
    /// A window of a lesson already closed (it arrived after the next lesson began); not
    /// applied, so it cannot move the new lesson's clock (counted in [`Presenter::late_windows`]).
    Late,
}

/// A finished lesson: what its report and document show, and its history record.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedLesson {
    /// `Some(n)` for the n-th lesson closed by the lesson length; `None` at the end of stream.
    pub number: Option<u32>,
    /// Drawn over the history of the lessons before it (not itself).
    pub document: LessonDocument,
    /// The class curve to append to the history file; `None` when no window was seen.
    pub record: Option<LessonRecord>,
}

/// The class as the presenter sees it, lesson after lesson.
#[derive(Debug, Clone, Default)]
pub struct Presenter {
    board: ClassBoard,
    course_seen: Option<String>,
    bad_messages: u64,
    late_windows: u64,
    lessons_closed: u32,
    /// Previous lessons' class records (from the history file, then each closed lesson).
    history: Vec<LessonRecord>,
}

impl Presenter {
    /// A presenter whose lesson starts at `lesson_start_ms` (unless a viewer's earlier window
    /// already set it), drawn over `history`.
    pub fn start(&mut self, lesson_start_ms: u64, history: Vec<LessonRecord>) {
        self.history = history;
        self.board.lesson_start_ms.get_or_insert(lesson_start_ms);
    }

    /// Applies one JSON message. `course`: only that course's messages count (`None`: the
    /// first course seen). A window at or past `lesson_length` seconds (0: never) first closes
    /// the lesson it does not belong to.
    pub fn apply_json(&mut self, text: &[u8], course: Option<&str>, lesson_length: f64) -> Outcome {
        let parsed = std::str::from_utf8(text)
            .map_err(|e| e.to_string())
            .and_then(AttentionEvent::from_json);
        let Ok(event) = parsed else {
            self.bad_messages += 1;
            return Outcome::Malformed;
        };
        let event_course = match &event {
            AttentionEvent::Stats(r) => &r.course,
            AttentionEvent::Attention(r)
            | AttentionEvent::Reminder(r)
            | AttentionEvent::Alert(r)
            | AttentionEvent::Recovered(r) => &r.course,
        };
        if course.is_some_and(|c| c != event_course) {
            return Outcome::OtherCourse;
        }
        self.course_seen.get_or_insert_with(|| event_course.clone());
        let t = self.board.event_seconds(&event);
        if self.board.start_fixed && t.is_some_and(|t| t < 0.0) {
            self.late_windows += 1;
            return Outcome::Late;
        }
        let mut closed = None;
        if lesson_length > 0.0
            && let Some(t) = t
            && t >= lesson_length
        {
            closed = self.roll_over((t / lesson_length).floor() as u64, lesson_length, course);
        }
        self.board.apply(&event);
        Outcome::Taken(closed.map(Box::new))
    }

    /// Closes the lesson by the presenter's wall clock `now_ms` when no viewer's message did:
    /// one window length after the lesson's end (the last windows have arrived by then), and
    /// only while the viewers' messages run on the same clock (not ones stamped a lesson or
    /// more before `now_ms`, e.g. replayed or from a viewer whose clock is off).
    pub fn tick(
        &mut self,
        now_ms: u64,
        lesson_length: f64,
        course: Option<&str>,
    ) -> Option<ClosedLesson> {
        // Called per frame: the cheap checks first.
        let length_ms = (lesson_length * 1000.0) as u64;
        let grace_ms = (self.board.window_s.unwrap_or(60.0) * 1000.0) as u64;
        if length_ms == 0 {
            return None;
        }
        let origin = self.board.origin_ms()?;
        if now_ms < origin + length_ms + grace_ms {
            return None;
        }
        let latest = self.board.latest_window_end_ms()?;
        let on_one_clock = latest <= now_ms + grace_ms && latest + length_ms + grace_ms >= now_ms;
        if !on_one_clock {
            return None;
        }
        let lessons = (now_ms - grace_ms - origin) / length_ms;
        self.roll_over(lessons, lesson_length, course)
    }

    /// Windows dropped because their lesson had already closed.
    pub fn late_windows(&self) -> u64 {
        self.late_windows
    }

    /// Closes the current lesson; the next one starts `lessons` lesson lengths after its origin.
    fn roll_over(
        &mut self,
        lessons: u64,
        lesson_length: f64,
        course: Option<&str>,
    ) -> Option<ClosedLesson> {
        let origin = self.board.origin_ms()?;
        let next = ClassBoard::next_lesson(origin + lessons * (lesson_length * 1000.0) as u64);
        let old = std::mem::replace(&mut self.board, next);
        self.lessons_closed += 1;
        Some(self.close(&old, Some(self.lessons_closed), course))
    }

    /// Closes the current lesson (end of stream).
    pub fn finish(&mut self, course: Option<&str>) -> ClosedLesson {
        let board = self.board.clone();
        self.close(&board, None, course)
    }

    /// The document of the lesson so far, over the history.
    pub fn document(&self, course: Option<&str>) -> LessonDocument {
        LessonDocument::new(&self.course(course), &self.board, &self.history_curve())
    }

    /// What the panel shows now, and the board revision it shows.
    pub fn view(&self) -> (PanelView, u64) {
        (
            PanelView::new(&self.board, &self.history_curve()),
            self.board.revision,
        )
    }

    /// The course named by the setting, else the first one seen, else "default".
    pub fn course(&self, course: Option<&str>) -> String {
        course
            .map(str::to_string)
            .or_else(|| self.course_seen.clone())
            .unwrap_or_else(|| "default".into())
    }

    pub fn bad_messages(&self) -> u64 {
        self.bad_messages
    }

    fn history_curve(&self) -> Vec<(f64, f64)> {
        history::history_curve(&self.history)
    }

    fn close(
        &mut self,
        board: &ClassBoard,
        number: Option<u32>,
        course: Option<&str>,
    ) -> ClosedLesson {
        let course = self.course(course);
        // The history drawn behind this lesson must not include itself.
        let document = LessonDocument::new(&course, board, &self.history_curve());
        let curve = board.class_curve();
        let record = (!curve.is_empty()).then(|| {
            LessonRecord::new(
                &course,
                CLASS_VIEWER,
                board.origin_ms().unwrap_or(0) / 1000,
                board.window_s.unwrap_or(60.0),
                curve.iter().map(|p| p.1).collect(),
            )
        });
        if let Some(record) = &record {
            self.history.push(record.clone());
        }
        ClosedLesson {
            number,
            document,
            record,
        }
    }
}

/// Where a finished lesson's files go (`report-location`, `history-location`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LessonFiles {
    pub report: Option<PathBuf>,
    pub history: Option<PathBuf>,
}

/// A report written: the picture, the JSON document beside it and how many curves it draws.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenReport {
    pub svg: PathBuf,
    pub json: PathBuf,
    pub series: usize,
}

/// `lesson.svg` → `lesson-2.svg` for the lesson closed as number 2.
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(Default::default, |s| s.to_string_lossy());
    let ext = path
        .extension()
        .map_or_else(Default::default, |s| s.to_string_lossy());
    path.with_file_name(format!("{stem}-{n}.{ext}"))
}

/// Writes the report picture to `path` (numbered for a lesson closed by the lesson length)
/// and the JSON document beside it.
pub fn write_report(
    doc: &LessonDocument,
    path: &Path,
    number: Option<u32>,
) -> Result<WrittenReport, String> {
    let svg = report::render_svg(doc);
    let series = svg.matches("class=\"series").count();
    let path = match number {
        Some(n) => numbered(path, n),
        None => path.to_path_buf(),
    };
    let json = path.with_extension("json");
    report::write(&path, &svg)?;
    document::write_atomically(&json, &doc.to_json(), "lesson document")?;
    Ok(WrittenReport {
        svg: path,
        json,
        series,
    })
}

/// Stores a finished lesson: its report and document, and its record appended to the
/// history. Returns the report written (if any) and what failed, each on its own.
pub fn store_lesson(
    closed: &ClosedLesson,
    files: &LessonFiles,
) -> (Option<WrittenReport>, Vec<String>) {
    let mut errors = Vec::new();
    let written = files.report.as_deref().and_then(|path| {
        write_report(&closed.document, path, closed.number)
            .map_err(|e| errors.push(e))
            .ok()
    });
    if let (Some(record), Some(path)) = (&closed.record, &files.history)
        && let Err(e) = history::append(path, record)
    {
        errors.push(e);
    }
    (written, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::board::tests::{T0, report};

    fn json(event: AttentionEvent) -> Vec<u8> {
        event.to_json().into_bytes()
    }

    #[test]
    fn malformed_and_foreign_messages_change_nothing() {
        let mut p = Presenter::default();
        p.start(T0, Vec::new());
        assert_eq!(p.apply_json(b"{not json", None, 60.0), Outcome::Malformed);
        assert_eq!(p.bad_messages(), 1);
        let mut r = report("ann", 0, 10, 0, 0.8);
        r.course = "math".into();
        let ev = json(AttentionEvent::Attention(r));
        assert_eq!(p.apply_json(&ev, Some("art"), 60.0), Outcome::OtherCourse);
        assert_eq!(p.view().0.present, 0);
        assert_eq!(p.apply_json(&ev, Some("math"), 60.0), Outcome::Taken(None));
        assert_eq!(p.view().0.present, 1);
    }

    #[test]
    fn a_window_past_the_lesson_length_closes_the_lesson_into_history() {
        let mut p = Presenter::default();
        p.start(T0, Vec::new());
        let first = json(AttentionEvent::Attention(report("ann", 0, 10, 0, 0.4)));
        assert_eq!(p.apply_json(&first, None, 20.0), Outcome::Taken(None));
        // Window 2 of 10 s starts at 20 s: the first lesson of 20 s is over.
        let third = json(AttentionEvent::Attention(report("ann", 0, 10, 2, 0.9)));
        let Outcome::Taken(Some(closed)) = p.apply_json(&third, None, 20.0) else {
            panic!("the lesson should have closed");
        };
        assert_eq!(closed.number, Some(1));
        let record = closed.record.expect("a record of the closed lesson");
        assert_eq!(record.curve, vec![0.4]);
        // The next lesson is drawn over the closed one, and its report over nothing before.
        assert!(closed.document.history.is_empty());
        assert!(!p.view().0.history.is_empty());
        let end = p.finish(None);
        assert_eq!(end.number, None);
        assert_eq!(end.record.expect("second lesson's record").curve, vec![0.9]);
    }

    #[test]
    fn a_window_of_the_closed_lesson_arriving_late_does_not_move_the_next_lesson() {
        let mut p = Presenter::default();
        p.start(T0, Vec::new());
        let ann = |i| json(AttentionEvent::Attention(report("ann", 0, 10, i, 0.9)));
        p.apply_json(&ann(0), None, 20.0);
        p.apply_json(&ann(1), None, 20.0);
        assert!(matches!(
            p.apply_json(&ann(2), None, 20.0),
            Outcome::Taken(Some(_))
        ));
        // bob joined 4 s in: his window 10-20 s (middle 19 s of lesson 1) comes after ann's
        // first window of lesson 2.
        let bob = json(AttentionEvent::Attention(report("bob", 4, 10, 1, 0.1)));
        assert_eq!(p.apply_json(&bob, None, 20.0), Outcome::Late);
        assert_eq!(p.late_windows(), 1);
        let doc = p.document(None);
        assert_eq!(doc.lesson_start_ms, T0 + 20_000);
        assert_eq!(doc.class.curve, vec![(10.0, 0.9)]);
        // His next window (middle 29 s) is lesson 2's.
        let bob = json(AttentionEvent::Attention(report("bob", 4, 10, 2, 0.3)));
        assert_eq!(p.apply_json(&bob, None, 20.0), Outcome::Taken(None));
        assert_eq!(p.view().0.present, 2);
        // carl's window 15-25 s straddles the boundary (middle 20 s): lesson 2's, and it does
        // not pull lesson 2's start back to 15 s.
        let carl = json(AttentionEvent::Attention(report("carl", 5, 10, 1, 0.5)));
        assert_eq!(p.apply_json(&carl, None, 20.0), Outcome::Taken(None));
        assert_eq!(p.document(None).lesson_start_ms, T0 + 20_000);
    }

    #[test]
    fn the_presenters_clock_closes_a_lesson_no_later_window_closed() {
        let mut p = Presenter::default();
        p.start(T0, Vec::new());
        assert_eq!(
            p.tick(T0 + 3_600_000, 20.0, None),
            None,
            "no window: nothing to close"
        );
        p.apply_json(
            &json(AttentionEvent::Attention(report("ann", 0, 10, 0, 0.4))),
            None,
            20.0,
        );
        p.apply_json(
            &json(AttentionEvent::Attention(report("ann", 0, 10, 1, 0.6))),
            None,
            20.0,
        );
        // The lesson ends at 20 s; its last windows may still come for one window length.
        assert_eq!(p.tick(T0 + 29_999, 20.0, None), None);
        assert_eq!(
            p.tick(T0 + 30_000, 0.0, None),
            None,
            "lesson-length 0: one lesson"
        );
        let closed = p
            .tick(T0 + 30_000, 20.0, None)
            .expect("closed by the clock");
        assert_eq!(closed.number, Some(1));
        assert_eq!(closed.record.unwrap().curve, vec![0.4, 0.6]);
        assert_eq!(p.document(None).lesson_start_ms, T0 + 20_000);
        assert_eq!(
            p.tick(T0 + 60_000, 20.0, None),
            None,
            "the new lesson has no window"
        );
    }

    #[test]
    fn windows_stamped_on_another_clock_are_not_closed_by_the_presenters() {
        // Messages replayed from a recording, or a viewer's clock a day off: the presenter's
        // wall clock says nothing about their lesson; only their own windows close it.
        let mut p = Presenter::default();
        p.start(T0, Vec::new());
        p.apply_json(
            &json(AttentionEvent::Attention(report("ann", 0, 10, 0, 0.4))),
            None,
            20.0,
        );
        assert_eq!(p.tick(T0 + 86_400_000, 20.0, None), None);
        assert_eq!(p.tick(T0 - 86_400_000, 20.0, None), None);
    }

    #[test]
    fn a_closed_lesson_is_stored_as_numbered_report_document_and_history() {
        assert_eq!(
            numbered(Path::new("/r/lesson.svg"), 2),
            PathBuf::from("/r/lesson-2.svg")
        );
        let dir = std::env::temp_dir().join(format!("facekit-presenter-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = LessonFiles {
            report: Some(dir.join("lesson.svg")),
            history: Some(dir.join("history.jsonl")),
        };
        let mut p = Presenter::default();
        p.start(T0, Vec::new());
        let ev = json(AttentionEvent::Attention(report("ann", 0, 10, 0, 0.4)));
        p.apply_json(&ev, None, 20.0);
        let later = json(AttentionEvent::Attention(report("ann", 0, 10, 2, 0.9)));
        let Outcome::Taken(Some(closed)) = p.apply_json(&later, None, 20.0) else {
            panic!("the lesson should have closed");
        };
        let (written, errors) = store_lesson(&closed, &files);
        assert!(errors.is_empty(), "{errors:?}");
        let written = written.expect("a report was asked for");
        assert_eq!(written.svg, dir.join("lesson-1.svg"));
        assert_eq!(written.json, dir.join("lesson-1.json"));
        assert!(written.series >= 1);
        assert!(
            std::fs::read_to_string(&written.svg)
                .unwrap()
                .contains("<svg")
        );
        let course = p.course(None);
        let (records, bad) = history::load(&dir.join("history.jsonl"), &course).unwrap();
        assert_eq!((records.len(), bad), (1, 0));
        // A report that cannot be written is an error, and the history is still appended.
        let bad_files = LessonFiles {
            report: Some(dir.join("no-such-dir/lesson.svg")),
            ..files
        };
        let (written, errors) = store_lesson(&p.finish(None), &bad_files);
        assert_eq!((written, errors.len()), (None, 1));
        let (records, _) = history::load(&dir.join("history.jsonl"), &course).unwrap();
        assert_eq!(records.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
