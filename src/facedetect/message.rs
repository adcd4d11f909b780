//! Typed bus messages. Each converts to a `gst::Structure` and parses back from one, so
//! applications read them without touching field names.

use crate::face::{Face, MetaError, mean_point};

/// Structure name of the `facedetect` element message.
pub const FACEDETECT_MESSAGE: &str = "facedetect";

/// Keypoints reported in messages, named like OpenCV's (eyes, nose, mouth) so bus code
/// written for OpenCV's element finds them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaceKeypoints {
    pub right_eye: (f32, f32),
    pub left_eye: (f32, f32),
    pub nose: (f32, f32),
    pub mouth: (f32, f32),
}

/// One face in a `facedetect` message. `x`, `y`, `width`, `height` as OpenCV's element.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceEntry {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub id: i32,
    pub confidence: f64,
    pub tracked: bool,
    /// `(pitch, yaw, roll)` in degrees, when landmarks were on.
    pub pose: Option<(f64, f64, f64)>,
    /// How sure the pose is, 0..1 (FaceMesh's face presence; below 0.5 the angles can be far
    /// off), when there is a pose.
    pub pose_confidence: Option<f64>,
    /// Eye, nose and mouth points in pixels, when landmarks were on.
    pub keypoints: Option<FaceKeypoints>,
}

/// The `facedetect` element message: a superset of OpenCV's `facedetect` message.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceDetectMessage {
    pub timestamp: Option<gst::ClockTime>,
    pub stream_time: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
    pub duration: Option<gst::ClockTime>,
    pub faces: Vec<FaceEntry>,
}

impl FaceEntry {
    pub fn from_face(face: &Face) -> Self {
        let keypoints = face.landmarks.as_ref().and_then(|lm| {
            let scheme = lm.known_scheme()?;
            let px = lm.to_pixels(&face.bbox);
            let mean = |idx: &[usize]| mean_point(&px, idx);
            Some(FaceKeypoints {
                right_eye: mean(scheme.right_eye())?,
                left_eye: mean(scheme.left_eye())?,
                nose: mean(scheme.nose_tip())?,
                mouth: mean(scheme.mouth())?,
            })
        });
        let rect = face.bbox.to_rect(u32::MAX, u32::MAX);
        Self {
            x: rect.0,
            y: rect.1,
            width: rect.2,
            height: rect.3,
            id: face.track_id,
            confidence: face.confidence,
            tracked: face.tracked,
            pose: face.head_pose.map(|p| (p.pitch, p.yaw, p.roll)),
            pose_confidence: face.head_pose.map(|p| p.confidence),
            keypoints,
        }
    }
}

fn point(name: &str, p: (f32, f32)) -> gst::Structure {
    gst::Structure::builder(name)
        .field("x", p.0 as f64)
        .field("y", p.1 as f64)
        .build()
}

fn read_point(s: &gst::StructureRef, name: &str) -> Result<(f32, f32), MetaError> {
    let p = s
        .get::<gst::Structure>(name)
        .map_err(|e| MetaError(format!("face.{name}: {e}")))?;
    let x = p
        .get::<f64>("x")
        .map_err(|e| MetaError(format!("{name}.x: {e}")))?;
    let y = p
        .get::<f64>("y")
        .map_err(|e| MetaError(format!("{name}.y: {e}")))?;
    Ok((x as f32, y as f32))
}

impl From<&FaceEntry> for gst::Structure {
    fn from(f: &FaceEntry) -> Self {
        let mut s = gst::Structure::builder("face")
            .field("x", f.x)
            .field("y", f.y)
            .field("width", f.width)
            .field("height", f.height)
            .field("id", f.id)
            .field("confidence", f.confidence)
            .field("tracked", f.tracked)
            .build();
        if let Some((pitch, yaw, roll)) = f.pose {
            s.set("pitch", pitch);
            s.set("yaw", yaw);
            s.set("roll", roll);
        }
        if let Some(c) = f.pose_confidence {
            s.set("pose-confidence", c);
        }
        if let Some(k) = &f.keypoints {
            s.set("right-eye", point("point", k.right_eye));
            s.set("left-eye", point("point", k.left_eye));
            s.set("nose", point("point", k.nose));
            s.set("mouth", point("point", k.mouth));
        }
        s
    }
}

impl TryFrom<&gst::StructureRef> for FaceEntry {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        let get_u32 = |n: &str| {
            s.get::<u32>(n)
                .map_err(|e| MetaError(format!("face.{n}: {e}")))
        };
        let pose = match (
            s.get::<f64>("pitch"),
            s.get::<f64>("yaw"),
            s.get::<f64>("roll"),
        ) {
            (Ok(p), Ok(y), Ok(r)) => Some((p, y, r)),
            _ => None,
        };
        let keypoints = if s.has_field("nose") {
            Some(FaceKeypoints {
                right_eye: read_point(s, "right-eye")?,
                left_eye: read_point(s, "left-eye")?,
                nose: read_point(s, "nose")?,
                mouth: read_point(s, "mouth")?,
            })
        } else {
            None
        };
        Ok(Self {
            x: get_u32("x")?,
            y: get_u32("y")?,
            width: get_u32("width")?,
            height: get_u32("height")?,
            id: s.get::<i32>("id").unwrap_or(-1),
            confidence: s.get::<f64>("confidence").unwrap_or(1.0),
            tracked: s.get::<bool>("tracked").unwrap_or(false),
            pose,
            pose_confidence: s.get::<f64>("pose-confidence").ok(),
            keypoints,
        })
    }
}

impl From<&FaceDetectMessage> for gst::Structure {
    fn from(m: &FaceDetectMessage) -> Self {
        let faces = gst::List::new(m.faces.iter().map(gst::Structure::from));
        gst::Structure::builder(FACEDETECT_MESSAGE)
            .field("timestamp", m.timestamp)
            .field("stream-time", m.stream_time)
            .field("running-time", m.running_time)
            .field("duration", m.duration)
            .field("faces", faces)
            .build()
    }
}

impl TryFrom<&gst::StructureRef> for FaceDetectMessage {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        if s.name() != FACEDETECT_MESSAGE {
            return Err(MetaError(format!("not a facedetect message: {}", s.name())));
        }
        let time = |n: &str| {
            s.get::<Option<gst::ClockTime>>(n)
                .map_err(|e| MetaError(format!("facedetect.{n}: {e}")))
        };
        let list = s
            .get::<gst::List>("faces")
            .map_err(|e| MetaError(format!("facedetect.faces: {e}")))?;
        let faces = list
            .iter()
            .map(|v| {
                let st = v
                    .get::<&gst::StructureRef>()
                    .map_err(|e| MetaError(format!("facedetect.faces item: {e}")))?;
                FaceEntry::try_from(st)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            timestamp: time("timestamp")?,
            stream_time: time("stream-time")?,
            running_time: time("running-time")?,
            duration: time("duration")?,
            faces,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facedetect_message_round_trip() {
        gst::init().unwrap();
        let msg = FaceDetectMessage {
            timestamp: Some(gst::ClockTime::from_mseconds(40)),
            stream_time: Some(gst::ClockTime::from_mseconds(40)),
            running_time: Some(gst::ClockTime::from_mseconds(40)),
            duration: None,
            faces: vec![
                FaceEntry {
                    x: 1,
                    y: 2,
                    width: 30,
                    height: 40,
                    id: 3,
                    confidence: 0.9,
                    tracked: true,
                    pose: Some((1.0, -2.0, 3.0)),
                    pose_confidence: Some(0.97),
                    keypoints: Some(FaceKeypoints {
                        right_eye: (10.0, 12.0),
                        left_eye: (20.0, 12.0),
                        nose: (15.0, 18.0),
                        mouth: (15.0, 25.0),
                    }),
                },
                FaceEntry {
                    x: 5,
                    y: 6,
                    width: 7,
                    height: 8,
                    id: 4,
                    confidence: 0.6,
                    tracked: false,
                    pose: None,
                    pose_confidence: None,
                    keypoints: None,
                },
            ],
        };
        let s = gst::Structure::from(&msg);
        assert_eq!(FaceDetectMessage::try_from(s.as_ref()).unwrap(), msg);
    }

    #[test]
    fn opencv_style_message_parses() {
        gst::init().unwrap();
        // What OpenCV's element posts: only the box per face.
        let face = gst::Structure::builder("face")
            .field("x", 1u32)
            .field("y", 2u32)
            .field("width", 3u32)
            .field("height", 4u32)
            .build();
        let s = gst::Structure::builder("facedetect")
            .field("timestamp", gst::ClockTime::ZERO)
            .field("stream-time", gst::ClockTime::ZERO)
            .field("running-time", gst::ClockTime::ZERO)
            .field("duration", gst::ClockTime::from_mseconds(40))
            .field("faces", gst::List::new([face]))
            .build();
        let m = FaceDetectMessage::try_from(s.as_ref()).unwrap();
        assert_eq!(m.faces[0].width, 3);
        assert_eq!(m.faces[0].pose, None);
    }

    #[test]
    fn wrong_structure_is_rejected() {
        gst::init().unwrap();
        let s = gst::Structure::new_empty("attention");
        assert!(FaceDetectMessage::try_from(s.as_ref()).is_err());
    }
}
