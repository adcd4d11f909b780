//! The `faceidentify` element message, typed.

use crate::face::MetaError;

use super::align::{CHIP_SIZE, ChipGeometry, chip_to_rgb, extract_chip};
use super::descriptor::{DESCRIPTOR_LEN, Descriptor, DescriptorModel};
use super::gallery::Gallery;
use crate::face::Face;
use crate::frame::image::ImageView;

/// Structure name of the message.
pub const IDENTIFY_MESSAGE: &str = "faceidentify";

/// What the gallery said about a face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityResult {
    /// Nearest identity closer than the threshold: a verified member.
    Verified,
    /// Nothing in the gallery is close enough (or the gallery is empty).
    Unknown,
    /// The face was too small (`min-face-size`) to compute a descriptor; no identity.
    TooSmall,
}

impl IdentityResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Unknown => "unknown",
            Self::TooSmall => "too-small",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "verified" => Self::Verified,
            "unknown" => Self::Unknown,
            "too-small" => Self::TooSmall,
            _ => return None,
        })
    }
}

/// `faceidentify`: the identity of one track, from its key frame (`mode=keyframe`, once per
/// window) or from every N-th face (`mode=interval`).
#[derive(Debug, Clone)]
pub struct IdentityMessage {
    pub track_id: i32,
    pub result: IdentityResult,
    /// The nearest gallery identity ("" when the gallery is empty or the face too small).
    pub identity: String,
    /// Euclidean distance to it (-1 when there is none).
    pub distance: f64,
    pub threshold: f64,
    /// `overall` quality of the face used (-1 when facequality did not score it).
    pub quality: f64,
    /// Timing of the frame the face was taken from.
    pub timestamp: Option<gst::ClockTime>,
    pub stream_time: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
    /// Face box in that frame, pixels.
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// Faces of the track seen (keyframe mode: in the window).
    pub frames: u32,
    /// The 128-d descriptor (absent for too-small faces).
    pub descriptor: Option<Descriptor>,
    /// The aligned 150x150 RGB chip the descriptor was computed from.
    pub chip: Option<gst::Sample>,
}

impl IdentityMessage {
    pub fn verified(&self) -> bool {
        self.result == IdentityResult::Verified
    }
}

/// A face with its descriptor, as kept for a window or posted at once.
#[derive(Clone)]
pub struct Described {
    pub descriptor: Result<Descriptor, String>,
    pub chip: Vec<u8>,
    pub quality: f64,
    pub rect: (u32, u32, u32, u32),
    pub pts: Option<gst::ClockTime>,
    pub stream_time: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
}

impl Described {
    /// Describes `face` of `image`: its aligned chip (`geometry`) and descriptor.
    pub fn new(
        model: &DescriptorModel,
        image: &ImageView,
        geometry: &ChipGeometry,
        face: &Face,
        quality: f64,
        times: [Option<gst::ClockTime>; 3],
    ) -> Described {
        let mut chip = Vec::new();
        extract_chip(image, geometry, &mut chip);
        let descriptor = model
            .compute(&[&chip])
            .map_err(|e| e.to_string())
            .and_then(|mut v| v.pop().ok_or_else(|| "no descriptor".to_string()));
        Self {
            descriptor,
            chip: chip_to_rgb(&chip),
            quality,
            rect: face.bbox.to_rect(u32::MAX, u32::MAX),
            pts: times[0],
            stream_time: times[1],
            running_time: times[2],
        }
    }
}

impl IdentityMessage {
    /// The message for a described face: matched against the gallery.
    pub fn identify(
        gallery: &Gallery,
        threshold: f64,
        track_id: i32,
        frames: u32,
        d: &Described,
    ) -> Result<Self, String> {
        let descriptor = d.descriptor.clone()?;
        let m = gallery.best_match(&descriptor, threshold);
        Ok(Self {
            track_id,
            result: if m.verified {
                IdentityResult::Verified
            } else {
                IdentityResult::Unknown
            },
            identity: m.label.unwrap_or_default(),
            distance: if m.distance.is_finite() {
                m.distance
            } else {
                -1.0
            },
            threshold,
            quality: d.quality,
            timestamp: d.pts,
            stream_time: d.stream_time,
            running_time: d.running_time,
            x: d.rect.0,
            y: d.rect.1,
            width: d.rect.2,
            height: d.rect.3,
            frames,
            descriptor: Some(descriptor),
            chip: chip_sample(&d.chip, d.pts),
        })
    }

    pub fn too_small(face: &Face, threshold: f64, times: [Option<gst::ClockTime>; 3]) -> Self {
        let (x, y, width, height) = face.bbox.to_rect(u32::MAX, u32::MAX);
        Self {
            track_id: face.track_id,
            result: IdentityResult::TooSmall,
            identity: String::new(),
            distance: -1.0,
            threshold,
            quality: -1.0,
            timestamp: times[0],
            stream_time: times[1],
            running_time: times[2],
            x,
            y,
            width,
            height,
            frames: 0,
            descriptor: None,
            chip: None,
        }
    }
}

fn chip_sample(rgb: &[u8], pts: Option<gst::ClockTime>) -> Option<gst::Sample> {
    let size = CHIP_SIZE as u32;
    let info = gst_video::VideoInfo::builder(gst_video::VideoFormat::Rgb, size, size)
        .build()
        .ok()?;
    let mut buffer = gst::Buffer::with_size(info.size()).ok()?;
    {
        let b = buffer.get_mut()?;
        b.set_pts(pts);
        let mut map = b.map_writable().ok()?;
        let stride = info.stride()[0] as usize;
        let row = CHIP_SIZE * 3;
        for (y, src) in rgb.chunks_exact(row).enumerate() {
            map[y * stride..y * stride + row].copy_from_slice(src);
        }
    }
    Some(
        gst::Sample::builder()
            .buffer(&buffer)
            .caps(&info.to_caps().ok()?)
            .build(),
    )
}

fn err(what: &str, e: impl std::fmt::Display) -> MetaError {
    MetaError(format!("{IDENTIFY_MESSAGE}.{what}: {e}"))
}

impl From<&IdentityMessage> for gst::Structure {
    fn from(m: &IdentityMessage) -> Self {
        let mut s = gst::Structure::builder(IDENTIFY_MESSAGE)
            .field("track-id", m.track_id)
            .field("result", m.result.as_str())
            .field("verified", m.verified())
            .field("identity", m.identity.as_str())
            .field("distance", m.distance)
            .field("threshold", m.threshold)
            .field("quality", m.quality)
            .field("timestamp", m.timestamp)
            .field("stream-time", m.stream_time)
            .field("running-time", m.running_time)
            .field("x", m.x)
            .field("y", m.y)
            .field("width", m.width)
            .field("height", m.height)
            .field("frames", m.frames)
            .build();
        if let Some(d) = &m.descriptor {
            s.set("descriptor", gst::Array::new(d.iter().map(|&v| v as f64)));
        }
        if let Some(chip) = &m.chip {
            s.set("chip", chip);
        }
        s
    }
}

impl TryFrom<&gst::StructureRef> for IdentityMessage {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        if s.name() != IDENTIFY_MESSAGE {
            return Err(MetaError(format!(
                "not a faceidentify message: {}",
                s.name()
            )));
        }
        let u = |n: &str| s.get::<u32>(n).map_err(|e| err(n, e));
        let f = |n: &str| s.get::<f64>(n).map_err(|e| err(n, e));
        let t = |n: &str| s.get::<Option<gst::ClockTime>>(n).map_err(|e| err(n, e));
        let result = s.get::<String>("result").map_err(|e| err("result", e))?;
        let descriptor = match s
            .get_optional::<gst::Array>("descriptor")
            .map_err(|e| err("descriptor", e))?
        {
            None => None,
            Some(a) => {
                let v: Vec<f32> = a
                    .iter()
                    .map(|v| {
                        v.get::<f64>()
                            .map(|x| x as f32)
                            .map_err(|e| err("descriptor", e))
                    })
                    .collect::<Result<_, _>>()?;
                let len = v.len();
                Some(v.try_into().map_err(|_| {
                    err(
                        "descriptor",
                        format!("{len} values, expected {DESCRIPTOR_LEN}"),
                    )
                })?)
            }
        };
        Ok(Self {
            track_id: s.get::<i32>("track-id").map_err(|e| err("track-id", e))?,
            result: IdentityResult::parse(&result).ok_or_else(|| err("result", &result))?,
            identity: s
                .get::<String>("identity")
                .map_err(|e| err("identity", e))?,
            distance: f("distance")?,
            threshold: f("threshold")?,
            quality: f("quality")?,
            timestamp: t("timestamp")?,
            stream_time: t("stream-time")?,
            running_time: t("running-time")?,
            x: u("x")?,
            y: u("y")?,
            width: u("width")?,
            height: u("height")?,
            frames: u("frames")?,
            descriptor,
            chip: s
                .get_optional::<gst::Sample>("chip")
                .map_err(|e| err("chip", e))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> IdentityMessage {
        let mut d = [0.0f32; DESCRIPTOR_LEN];
        d[5] = 0.125;
        IdentityMessage {
            track_id: 7,
            result: IdentityResult::Verified,
            identity: "ann".into(),
            distance: 0.31,
            threshold: 0.6,
            quality: 0.71,
            timestamp: Some(gst::ClockTime::from_mseconds(120)),
            stream_time: None,
            running_time: Some(gst::ClockTime::from_mseconds(120)),
            x: 1,
            y: 2,
            width: 30,
            height: 40,
            frames: 12,
            descriptor: Some(d),
            chip: Some(
                gst::Sample::builder()
                    .buffer(&gst::Buffer::with_size(150 * 150 * 3).unwrap())
                    .build(),
            ),
        }
    }

    #[test]
    fn identity_message_round_trip() {
        gst::init().unwrap();
        let m = message();
        let s = gst::Structure::from(&m);
        assert!(s.get::<bool>("verified").unwrap());
        let back = IdentityMessage::try_from(s.as_ref()).unwrap();
        assert_eq!(back.track_id, 7);
        assert_eq!(back.result, IdentityResult::Verified);
        assert_eq!(back.identity, "ann");
        assert_eq!(
            (back.distance, back.threshold, back.quality),
            (0.31, 0.6, 0.71)
        );
        assert_eq!(back.timestamp, m.timestamp);
        assert_eq!(back.stream_time, None);
        assert_eq!(
            (back.x, back.y, back.width, back.height, back.frames),
            (1, 2, 30, 40, 12)
        );
        assert_eq!(back.descriptor, m.descriptor);
        assert_eq!(back.chip.unwrap().buffer().unwrap().size(), 150 * 150 * 3);
    }

    #[test]
    fn too_small_has_no_descriptor_and_bad_fields_are_named() {
        gst::init().unwrap();
        let mut m = message();
        m.result = IdentityResult::TooSmall;
        m.identity.clear();
        m.distance = -1.0;
        m.descriptor = None;
        m.chip = None;
        let s = gst::Structure::from(&m);
        let back = IdentityMessage::try_from(s.as_ref()).unwrap();
        assert_eq!(back.result, IdentityResult::TooSmall);
        assert!(back.descriptor.is_none() && back.chip.is_none());
        let mut bad = s.clone();
        bad.set("result", "maybe");
        let e = IdentityMessage::try_from(bad.as_ref()).unwrap_err();
        assert!(e.0.contains("result"), "{}", e.0);
        let mut short = s.clone();
        short.set("descriptor", gst::Array::new([1.0f64, 2.0]));
        assert!(
            IdentityMessage::try_from(short.as_ref())
                .unwrap_err()
                .0
                .contains("2 values")
        );
        assert!(IdentityMessage::try_from(gst::Structure::new_empty("x").as_ref()).is_err());
    }
}
