//! The face-first upload's answer channel over MQTT, as JSON: what the camera says when its
//! upload ends, and what the server answers (one record per person, then the summary).
//!
//! Topics under one prefix per camera (e.g. `facekit/upload/cam-1`):
//! * `PREFIX/end` (camera -> server): [`UploadEnd`], published at the upload's EOS.
//! * `PREFIX/answer` (server -> camera): [`Answer::Person`] for each person seen in the
//!   upload, then [`Answer::Done`].

use base64::Engine;
use serde::{Deserialize, Serialize};

/// Topic suffix of the camera's end-of-upload notice.
pub const END_TOPIC: &str = "end";
/// Topic suffix of the server's answers.
pub const ANSWER_TOPIC: &str = "answer";

/// `PREFIX/SUFFIX`.
pub fn topic(prefix: &str, suffix: &str) -> String {
    format!("{}/{suffix}", prefix.trim_end_matches('/'))
}

/// The camera's notice that its upload ended: what it sent, so the server can wait for the
/// last packets before it closes the upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadEnd {
    /// Buffers (RTP packets) sent.
    pub packets: u64,
    /// Bytes sent.
    pub bytes: u64,
}

/// One person of the upload: the best key frame over all of its tracks and its identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonAnswer {
    /// The server's upload number (1, 2, ... since it started).
    pub upload: u64,
    /// Person index within the upload (0, 1, ...).
    pub person: u32,
    /// Nearest gallery identity ("" when none).
    pub identity: String,
    /// `verified`, `unknown` or `too-small` (faceidentify's result).
    pub result: String,
    /// Descriptor distance to `identity` (-1 when none).
    pub distance: f64,
    pub threshold: f64,
    /// facequality's `overall` score of the key frame: the best of the person's faces.
    pub quality: f64,
    /// The server's track ids merged into this person.
    pub tracks: Vec<i32>,
    /// Scored faces of the person in the upload.
    pub frames: u32,
    /// Timestamp (PTS, ns) of the key frame in the received stream.
    pub timestamp_ns: Option<u64>,
    pub image_width: u32,
    pub image_height: u32,
    /// The key image (face crop of the key frame), JPEG, base64 (standard alphabet).
    pub jpeg: String,
}

impl PersonAnswer {
    pub fn jpeg_bytes(&self) -> Result<Vec<u8>, String> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.jpeg)
            .map_err(|e| format!("answer person {}: jpeg is not base64: {e}", self.person))
    }

    pub fn encode_jpeg(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// The end of the server's answer to one upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadDone {
    pub upload: u64,
    /// Persons answered before this record.
    pub persons: u32,
    /// RTP packets and bytes the server received.
    pub packets: u64,
    pub bytes: u64,
    /// Frames the server decoded and analysed.
    pub frames: u64,
    /// Why the upload closed: `end` (the camera said so), `idle` (no packets for the
    /// server's idle timeout) or `error: ...` (the server's pipeline failed; no persons).
    pub reason: String,
}

/// What the server publishes on `PREFIX/answer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Answer {
    Person(PersonAnswer),
    Done(UploadDone),
}

impl Answer {
    pub fn parse(payload: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(payload).map_err(|e| {
            format!(
                "malformed face server answer ({e}): {}",
                String::from_utf8_lossy(&payload[..payload.len().min(120)])
            )
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("answers serialise")
    }
}

impl UploadEnd {
    pub fn parse(payload: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(payload).map_err(|e| format!("malformed end of upload: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("end notices serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_and_bad_payloads_are_named() {
        let person = Answer::Person(PersonAnswer {
            upload: 2,
            person: 0,
            identity: "ann".into(),
            result: "verified".into(),
            distance: 0.31,
            threshold: 0.6,
            quality: 0.7,
            tracks: vec![1, 4],
            frames: 90,
            timestamp_ns: Some(40_000_000),
            image_width: 60,
            image_height: 70,
            jpeg: PersonAnswer::encode_jpeg(&[0xff, 0xd8, 1, 2]),
        });
        let json = person.to_json();
        assert!(json.contains("\"type\":\"person\""), "{json}");
        assert_eq!(Answer::parse(json.as_bytes()).unwrap(), person);
        let Answer::Person(p) = person else {
            unreachable!()
        };
        assert_eq!(p.jpeg_bytes().unwrap(), vec![0xff, 0xd8, 1, 2]);
        let done = Answer::Done(UploadDone {
            upload: 2,
            persons: 1,
            packets: 10,
            bytes: 1000,
            frames: 5,
            reason: "end".into(),
        });
        assert_eq!(Answer::parse(done.to_json().as_bytes()).unwrap(), done);
        let e = Answer::parse(br#"{"type":"person","upload":1}"#).unwrap_err();
        assert!(e.contains("malformed face server answer"), "{e}");
        let end = UploadEnd {
            packets: 3,
            bytes: 4,
        };
        assert_eq!(UploadEnd::parse(end.to_json().as_bytes()).unwrap(), end);
        assert!(UploadEnd::parse(b"nope").is_err());
        assert_eq!(topic("a/b/", END_TOPIC), "a/b/end");
    }
}
