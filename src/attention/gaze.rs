//! The gaze test: which head poses look at the screen.

use super::Observation;
use crate::face::{FrameFaces, HeadPose, PrimaryFace};

/// A closed interval of angles in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AngleRange {
    pub min: f64,
    pub max: f64,
}

impl AngleRange {
    #[cfg(test)]
    pub const fn new(min: f64, max: f64) -> Self {
        Self { min, max }
    }

    pub fn contains(&self, v: f64) -> bool {
        v >= self.min && v <= self.max
    }

    /// Parses `"MIN,MAX"` (degrees; `:` also accepted as separator). Errors say how to fix it.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        let example = "e.g. \"-20,20\"";
        let parts: Vec<&str> = text.split([',', ':']).map(str::trim).collect();
        if text.trim().is_empty() {
            return Err(format!(
                "{name} is empty: give MIN,MAX in degrees ({example})"
            ));
        }
        if parts.len() != 2 {
            return Err(format!(
                "{name} '{text}' is not MIN,MAX in degrees ({example})"
            ));
        }
        let num = |s: &str| -> Result<f64, String> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!("{name} '{text}': '{s}' is not a number of degrees ({example})")
                })
        };
        let (min, max) = (num(parts[0])?, num(parts[1])?);
        if min > max {
            return Err(format!(
                "{name} '{text}' is inverted: MIN must not exceed MAX (did you mean \"{max},{min}\"?)"
            ));
        }
        if min < -180.0 || max > 180.0 {
            return Err(format!(
                "{name} '{text}' leaves -180..180 degrees ({example})"
            ));
        }
        Ok(Self { min, max })
    }
}

impl std::fmt::Display for AngleRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.min, self.max)
    }
}

/// The gaze test: a head pose looks at the screen when pitch and yaw both lie in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GazeCone {
    pub pitch: AngleRange,
    pub yaw: AngleRange,
}

impl GazeCone {
    /// `pose` of the primary face; `None` = no face = not a gaze frame. An unsure pose
    /// (confidence below [`HeadPose::SURE`]: a face the detector found but FaceMesh could not
    /// read, in practice a strongly turned head whose angles can read 50-90 deg off) counts as
    /// no face: not looking.
    pub fn is_gaze(&self, pose: Option<&HeadPose>) -> bool {
        pose.is_some_and(|p| {
            p.is_sure() && self.pitch.contains(p.pitch) && self.yaw.contains(p.yaw)
        })
    }

    /// What a sampled frame shows of the face `rule` picks: a frame facedetect never
    /// analysed, whose analysis failed, or whose face has no head pose is not counted
    /// (`Unknown`); the first and last say why (`Unseen`), for a warning.
    pub fn observe(&self, frame: &FrameFaces, rule: PrimaryFace) -> (Observation, Option<Unseen>) {
        match &frame.marker {
            None => (Observation::Unknown, Some(Unseen::NoMetadata)),
            Some(m) if !m.analysed() => (Observation::Unknown, None),
            Some(_) => match frame.primary(rule).map(|f| f.head_pose) {
                // A face without pose: facedetect ran with landmarks=false.
                Some(None) => (Observation::Unknown, Some(Unseen::NoPose)),
                pose if self.is_gaze(pose.flatten().as_ref()) => (Observation::Gaze, None),
                _ => (Observation::NotGaze, None),
            },
        }
    }
}

/// Why a frame's gaze is unknown, when the user can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unseen {
    /// No face metadata: facedetect is not upstream.
    NoMetadata,
    /// Faces without head pose: facedetect runs with landmarks=false.
    NoPose,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_ranges_parse_and_explain_bad_values() {
        assert_eq!(
            AngleRange::parse("pitch-range", " -20 , 25.5").unwrap(),
            AngleRange::new(-20.0, 25.5)
        );
        assert_eq!(
            AngleRange::parse("yaw-range", "-30:30").unwrap(),
            AngleRange::new(-30.0, 30.0)
        );
        let e = AngleRange::parse("pitch-range", "").unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = AngleRange::parse("pitch-range", "20,-20").unwrap_err();
        assert!(e.contains("inverted") && e.contains("-20,20"), "{e}");
        let e = AngleRange::parse("yaw-range", "a,3").unwrap_err();
        assert!(e.contains("'a' is not a number"), "{e}");
        assert!(AngleRange::parse("yaw-range", "1,2,3").is_err());
        assert!(AngleRange::parse("yaw-range", "-200,0").is_err());
        assert!(AngleRange::parse("yaw-range", "nan,0").is_err());
    }

    #[test]
    fn gaze_needs_a_face_with_both_angles_in_range() {
        let cone = GazeCone {
            pitch: AngleRange::new(-20.0, 20.0),
            yaw: AngleRange::new(-30.0, 30.0),
        };
        let pose = |pitch, yaw| HeadPose {
            pitch,
            yaw,
            ..HeadPose::default()
        };
        assert!(cone.is_gaze(Some(&pose(0.0, 0.0))));
        assert!(cone.is_gaze(Some(&pose(20.0, -30.0))), "bounds are inside");
        assert!(!cone.is_gaze(Some(&pose(21.0, 0.0))));
        assert!(!cone.is_gaze(Some(&pose(0.0, -31.0))));
        assert!(!cone.is_gaze(None), "no face is not a gaze frame");
        let unsure = |confidence| HeadPose {
            confidence,
            ..pose(0.0, 0.0)
        };
        assert!(
            !cone.is_gaze(Some(&unsure(0.2))),
            "an unsure pose is not a gaze"
        );
        assert!(cone.is_gaze(Some(&unsure(0.5))), "sure from 0.5");
    }

    #[test]
    fn a_frame_counts_only_when_analysed_with_a_pose() {
        use crate::face::{AnalysisStatus, Face, FrameMarker};
        let cone = GazeCone {
            pitch: AngleRange::new(-20.0, 20.0),
            yaw: AngleRange::new(-30.0, 30.0),
        };
        let marker = |status| FrameMarker {
            status,
            faces: 1,
            detector: "d".into(),
            error: None,
            dropped: 0,
        };
        let face = |track_id, yaw: Option<f64>| Face {
            track_id,
            bbox: crate::face::BoundingBox::new(0.0, 0.0, 10.0, 10.0),
            confidence: 0.9,
            detector: "d".into(),
            tracked: false,
            age: 1,
            landmarks: None,
            head_pose: yaw.map(|yaw| HeadPose {
                yaw,
                ..HeadPose::default()
            }),
            params: Vec::new(),
        };
        let frame = |status: Option<AnalysisStatus>, faces| FrameFaces {
            marker: status.map(marker),
            faces,
        };
        let all = PrimaryFace::Largest;
        let seen = |f: &FrameFaces, rule| cone.observe(f, rule);
        assert_eq!(
            seen(&frame(None, vec![]), all),
            (Observation::Unknown, Some(Unseen::NoMetadata))
        );
        let failed = frame(Some(AnalysisStatus::Failed), vec![face(1, Some(0.0))]);
        assert_eq!(seen(&failed, all), (Observation::Unknown, None));
        let looking = frame(Some(AnalysisStatus::Detected), vec![face(1, Some(0.0))]);
        assert_eq!(seen(&looking, all), (Observation::Gaze, None));
        assert_eq!(
            seen(&looking, PrimaryFace::Track(2)),
            (Observation::NotGaze, None),
            "the followed face is not in view"
        );
        let away = frame(Some(AnalysisStatus::Tracked), vec![face(1, Some(60.0))]);
        assert_eq!(seen(&away, all), (Observation::NotGaze, None));
        let no_pose = frame(Some(AnalysisStatus::Detected), vec![face(1, None)]);
        assert_eq!(
            seen(&no_pose, all),
            (Observation::Unknown, Some(Unseen::NoPose))
        );
    }
}
