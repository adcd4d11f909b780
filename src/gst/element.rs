//! Glue every element shares: a buffer's times, posting messages, warnings given once,
//! and what `facedetect` said about a frame (the "never analysed" prologue).

use std::collections::HashSet;

use gst::prelude::*;
use gst_base::prelude::*;

use crate::face::FrameFaces;

/// A buffer's PTS and duration and, through the element's segment, its stream and
/// running time (what every facekit message carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BufferTimes {
    pub pts: Option<gst::ClockTime>,
    pub duration: Option<gst::ClockTime>,
    pub stream_time: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
}

impl BufferTimes {
    pub fn of(element: &impl IsA<gst_base::BaseTransform>, buf: &gst::BufferRef) -> Self {
        Self::at(element, buf.pts(), buf.duration())
    }

    /// The times of a PTS and duration kept from an earlier buffer, in the current segment.
    pub fn at(
        element: &impl IsA<gst_base::BaseTransform>,
        pts: Option<gst::ClockTime>,
        duration: Option<gst::ClockTime>,
    ) -> Self {
        let segment = element.segment();
        let segment = segment.downcast_ref::<gst::ClockTime>();
        Self {
            pts,
            duration,
            stream_time: segment.and_then(|s| s.to_stream_time(pts?)),
            running_time: segment.and_then(|s| s.to_running_time(pts?)),
        }
    }
}

/// Posts an element message. Without a bus (element not in a pipeline) there is nobody to
/// tell, so that is not an error.
pub fn post(element: &impl IsA<gst::Element>, structure: gst::Structure) {
    let element = element.upcast_ref::<gst::Element>();
    let _ = element.post_message(
        gst::message::Element::builder(structure)
            .src(element)
            .build(),
    );
}

/// Warnings given once per stream, by key.
#[derive(Debug, Default)]
pub struct WarnOnce(HashSet<&'static str>);

impl WarnOnce {
    /// True the first time `key` is seen (a new stream starts with a new state).
    pub fn first(&mut self, key: &'static str) -> bool {
        self.0.insert(key)
    }
}

/// What `facedetect` said about a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Analysis<'a> {
    /// No frame marker: `facedetect` never saw this buffer (it is not upstream).
    NotAnalysed,
    /// `facedetect` saw it but analysis failed; its faces are unknown, not "none".
    Failed(&'a str),
    /// Analysed (detected or tracked): the face list can be trusted.
    Analysed,
}

impl<'a> Analysis<'a> {
    pub fn of(frame: &'a FrameFaces) -> Self {
        match &frame.marker {
            None => Self::NotAnalysed,
            Some(m) if !m.analysed() => {
                Self::Failed(m.error.as_deref().unwrap_or("no reason given"))
            }
            Some(_) => Self::Analysed,
        }
    }
}

impl Analysis<'_> {
    /// The warning an element gives once per stream (keys in `warned`) for a frame that was
    /// not analysed; `consequence` says what it does with such frames. None when analysed,
    /// or already said.
    pub fn warning(
        &self,
        element: &str,
        consequence: &str,
        warned: &mut WarnOnce,
    ) -> Option<String> {
        match self {
            Self::Analysed => None,
            Self::NotAnalysed => warned
                .first("not-analysed")
                .then(|| format!("{}; {consequence}", not_analysed_hint(element))),
            Self::Failed(reason) => warned
                .first("analysis-failed")
                .then(|| format!("face analysis failed upstream ({reason}); {consequence}")),
        }
    }
}

/// The message for a buffer `facedetect` never analysed, naming the fix.
pub fn not_analysed_hint(element: &str) -> String {
    format!(
        "buffer never analysed by facedetect: it has no face metadata (facedetect never analysed it, \
         or an element in between dropped that metadata); put facedetect before {element}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::{AnalysisStatus, FrameMarker};

    #[test]
    fn warnings_come_once_per_key() {
        let mut w = WarnOnce::default();
        assert!(w.first("missing"));
        assert!(!w.first("missing"));
        assert!(w.first("failed"));
    }

    #[test]
    fn analysis_tells_never_seen_from_failed_from_analysed() {
        let marker = |status, error: Option<&str>| FrameMarker {
            status,
            faces: 0,
            detector: "d".into(),
            error: error.map(str::to_string),
            dropped: 0,
        };
        let frame = |m| FrameFaces {
            marker: m,
            faces: Vec::new(),
        };
        assert_eq!(Analysis::of(&frame(None)), Analysis::NotAnalysed);
        let failed = frame(Some(marker(AnalysisStatus::Failed, Some("model error"))));
        assert_eq!(Analysis::of(&failed), Analysis::Failed("model error"));
        let tracked = frame(Some(marker(AnalysisStatus::Tracked, None)));
        assert_eq!(Analysis::of(&tracked), Analysis::Analysed);
        assert!(not_analysed_hint("facecrop").ends_with("put facedetect before facecrop"));

        let mut warned = WarnOnce::default();
        let never = Analysis::NotAnalysed.warning("facequality", "they pass", &mut warned);
        assert!(
            never
                .unwrap()
                .ends_with("put facedetect before facequality; they pass")
        );
        assert_eq!(
            Analysis::NotAnalysed.warning("facequality", "x", &mut warned),
            None
        );
        let failed = Analysis::Failed("model error").warning("facecrop", "none", &mut warned);
        assert_eq!(
            failed.unwrap(),
            "face analysis failed upstream (model error); none"
        );
        assert_eq!(
            Analysis::Analysed.warning("facecrop", "x", &mut warned),
            None
        );
    }
}
