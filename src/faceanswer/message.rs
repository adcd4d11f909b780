//! The `faceanswer` element messages, typed, with their `GstStructure` forms.

use super::protocol::{PersonAnswer, UploadDone};
use crate::face::MetaError;

/// Structure name of the per-person message.
pub const PERSON_MESSAGE: &str = "faceanswer-person";
/// Structure name of the end-of-answer message.
pub const DONE_MESSAGE: &str = "faceanswer-done";

/// `faceanswer-person`: the server's answer for one person of the upload.
#[derive(Debug, Clone)]
pub struct AnswerPersonMessage {
    pub upload: u64,
    pub person: u32,
    pub identity: String,
    /// `verified`, `unknown` or `too-small`.
    pub result: String,
    pub distance: f64,
    pub threshold: f64,
    /// facequality's overall score of the key image.
    pub quality: f64,
    pub tracks: Vec<i32>,
    pub frames: u32,
    /// Timestamp of the key frame in the stream the server received.
    pub timestamp: Option<gst::ClockTime>,
    /// The key image: `image/jpeg, width, height`.
    pub image: gst::Sample,
}

impl AnswerPersonMessage {
    pub fn verified(&self) -> bool {
        self.result == "verified"
    }

    /// The message for a person answer; `Err` when its image is not base64.
    pub fn from_answer(a: &PersonAnswer) -> Result<Self, String> {
        let jpeg = a.jpeg_bytes()?;
        let caps = gst::Caps::builder("image/jpeg")
            .field("width", a.image_width as i32)
            .field("height", a.image_height as i32)
            .build();
        let buffer = gst::Buffer::from_mut_slice(jpeg);
        Ok(Self {
            upload: a.upload,
            person: a.person,
            identity: a.identity.clone(),
            result: a.result.clone(),
            distance: a.distance,
            threshold: a.threshold,
            quality: a.quality,
            tracks: a.tracks.clone(),
            frames: a.frames,
            timestamp: a.timestamp_ns.map(gst::ClockTime::from_nseconds),
            image: gst::Sample::builder().buffer(&buffer).caps(&caps).build(),
        })
    }
}

fn err(what: &str, e: impl std::fmt::Display) -> MetaError {
    MetaError(format!("{what}: {e}"))
}

impl From<&AnswerPersonMessage> for gst::Structure {
    fn from(m: &AnswerPersonMessage) -> Self {
        gst::Structure::builder(PERSON_MESSAGE)
            .field("upload", m.upload)
            .field("person", m.person)
            .field("identity", m.identity.as_str())
            .field("result", m.result.as_str())
            .field("verified", m.verified())
            .field("distance", m.distance)
            .field("threshold", m.threshold)
            .field("quality", m.quality)
            .field("tracks", gst::Array::new(m.tracks.iter().copied()))
            .field("frames", m.frames)
            .field("timestamp", m.timestamp)
            .field("image", &m.image)
            .build()
    }
}

impl TryFrom<&gst::StructureRef> for AnswerPersonMessage {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        if s.name() != PERSON_MESSAGE {
            return Err(MetaError(format!(
                "not a {PERSON_MESSAGE} message: {}",
                s.name()
            )));
        }
        let field = |n: &str| format!("{PERSON_MESSAGE}.{n}");
        let f = |n: &str| s.get::<f64>(n).map_err(|e| err(&field(n), e));
        let text = |n: &str| s.get::<String>(n).map_err(|e| err(&field(n), e));
        let tracks = s
            .get::<gst::Array>("tracks")
            .map_err(|e| err(&field("tracks"), e))?
            .iter()
            .map(|v| v.get::<i32>().map_err(|e| err(&field("tracks"), e)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            upload: s.get("upload").map_err(|e| err(&field("upload"), e))?,
            person: s.get("person").map_err(|e| err(&field("person"), e))?,
            identity: text("identity")?,
            result: text("result")?,
            distance: f("distance")?,
            threshold: f("threshold")?,
            quality: f("quality")?,
            tracks,
            frames: s.get("frames").map_err(|e| err(&field("frames"), e))?,
            timestamp: s
                .get::<Option<gst::ClockTime>>("timestamp")
                .map_err(|e| err(&field("timestamp"), e))?,
            image: s.get("image").map_err(|e| err(&field("image"), e))?,
        })
    }
}

/// `faceanswer-done`: the server's answer to the upload is complete (or did not come).
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerDoneMessage {
    /// The server's summary; `None` when it did not answer within `timeout`.
    pub done: Option<UploadDone>,
    /// What this element passed downstream (what the camera sent).
    pub packets_sent: u64,
    pub bytes_sent: u64,
    /// Running time of the stream when the upload ended (first to last buffer).
    pub duration: Option<gst::ClockTime>,
}

impl From<&AnswerDoneMessage> for gst::Structure {
    fn from(m: &AnswerDoneMessage) -> Self {
        let mut s = gst::Structure::builder(DONE_MESSAGE)
            .field("answered", m.done.is_some())
            .field("packets-sent", m.packets_sent)
            .field("bytes-sent", m.bytes_sent)
            .field("duration", m.duration)
            .build();
        if let Some(d) = &m.done {
            s.set("upload", d.upload);
            s.set("persons", d.persons);
            s.set("packets-received", d.packets);
            s.set("bytes-received", d.bytes);
            s.set("frames-received", d.frames);
            s.set("reason", d.reason.as_str());
        }
        s
    }
}

impl TryFrom<&gst::StructureRef> for AnswerDoneMessage {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        if s.name() != DONE_MESSAGE {
            return Err(MetaError(format!(
                "not a {DONE_MESSAGE} message: {}",
                s.name()
            )));
        }
        let field = |n: &str| format!("{DONE_MESSAGE}.{n}");
        let u = |n: &str| s.get::<u64>(n).map_err(|e| err(&field(n), e));
        let answered = s
            .get::<bool>("answered")
            .map_err(|e| err(&field("answered"), e))?;
        let done = if answered {
            Some(UploadDone {
                upload: u("upload")?,
                persons: s.get("persons").map_err(|e| err(&field("persons"), e))?,
                packets: u("packets-received")?,
                bytes: u("bytes-received")?,
                frames: u("frames-received")?,
                reason: s
                    .get::<String>("reason")
                    .map_err(|e| err(&field("reason"), e))?,
            })
        } else {
            None
        };
        Ok(Self {
            done,
            packets_sent: u("packets-sent")?,
            bytes_sent: u("bytes-sent")?,
            duration: s
                .get::<Option<gst::ClockTime>>("duration")
                .map_err(|e| err(&field("duration"), e))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_messages_round_trip() {
        gst::init().unwrap();
        let answer = PersonAnswer {
            upload: 1,
            person: 0,
            identity: "ann".into(),
            result: "verified".into(),
            distance: 0.3,
            threshold: 0.6,
            quality: 0.7,
            tracks: vec![2, 5],
            frames: 40,
            timestamp_ns: Some(80_000_000),
            image_width: 4,
            image_height: 3,
            jpeg: PersonAnswer::encode_jpeg(&[1, 2, 3]),
        };
        let m = AnswerPersonMessage::from_answer(&answer).unwrap();
        let s = gst::Structure::from(&m);
        assert!(s.get::<bool>("verified").unwrap());
        let back = AnswerPersonMessage::try_from(s.as_ref()).unwrap();
        assert_eq!(back.tracks, vec![2, 5]);
        assert_eq!(back.timestamp, Some(gst::ClockTime::from_mseconds(80)));
        let map = back.image.buffer().unwrap().map_readable().unwrap();
        assert_eq!(map.as_slice(), &[1, 2, 3]);
        let caps = back.image.caps().unwrap().structure(0).unwrap().to_owned();
        assert_eq!(caps.name(), "image/jpeg");
        assert_eq!(caps.get::<i32>("width").unwrap(), 4);

        for done in [
            None,
            Some(UploadDone {
                upload: 1,
                persons: 1,
                packets: 9,
                bytes: 900,
                frames: 3,
                reason: "end".into(),
            }),
        ] {
            let m = AnswerDoneMessage {
                done,
                packets_sent: 10,
                bytes_sent: 1000,
                duration: Some(gst::ClockTime::from_seconds(4)),
            };
            let s = gst::Structure::from(&m);
            assert_eq!(AnswerDoneMessage::try_from(s.as_ref()).unwrap(), m);
        }
        assert!(AnswerDoneMessage::try_from(gst::Structure::new_empty("x").as_ref()).is_err());
    }
}
