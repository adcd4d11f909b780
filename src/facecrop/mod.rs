//! `facecrop`: face-first upload. Keeps frames with a face and crops them to a per-camera
//! target size around the face centre; face metadata follows into crop coordinates.

use gst::glib;
use gst::prelude::*;

use crate::gst::meta::MetaError;

mod imp;

// The GStreamer-free core: target sizes and the camera table, window placement and
// smoothing, resampling for `fit=scale`.
pub mod camera;
pub mod placement;
pub mod resample;

pub use camera::{CameraEntry, CameraTable, ConfigError, MAX_SIDE, MIN_SIDE, Size, SizeSource};

/// Structure name of the `facecrop` element message.
pub const FACECROP_MESSAGE: &str = "facecrop";

/// What to do with a face larger than the target size.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceCropFit")]
pub enum Fit {
    #[enum_value(
        name = "Cut the target size around the face centre (a large face is cut)",
        nick = "crop"
    )]
    Crop = 0,
    #[enum_value(
        name = "Take a region holding the whole face box and scale it down to the target size",
        nick = "scale"
    )]
    Scale = 1,
}

/// Which face the crop follows when a frame has several.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceCropPrimary")]
pub enum Primary {
    #[enum_value(name = "The largest face box", nick = "largest")]
    Largest = 0,
    #[enum_value(name = "The highest detector confidence", nick = "most-confident")]
    MostConfident = 1,
    #[enum_value(
        name = "The face with track id 'track-id' (frames without it count as no-face frames)",
        nick = "track"
    )]
    Track = 2,
}

/// What to do with a buffer `facedetect` never analysed.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceCropOnMissing")]
pub enum OnMissing {
    #[enum_value(
        name = "Stop with an element error (facedetect is missing upstream)",
        nick = "error"
    )]
    Error = 0,
    #[enum_value(name = "Warn once and drop such buffers", nick = "drop")]
    Drop = 1,
}

/// The `facecrop` element message, posted for every input frame (kept or dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct FaceCropMessage {
    pub timestamp: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
    /// True when the frame was sent downstream.
    pub kept: bool,
    /// Track id of the face the crop follows; `None` for a frame without one.
    pub face_id: Option<i32>,
    /// Frames received so far (this one included).
    pub frames_in: u64,
    /// Frames sent downstream so far.
    pub frames_out: u64,
    /// Frames received without a face (or with failed analysis) so far.
    pub frames_without_face: u64,
    /// Region of the input frame that was cropped (x, y, width, height); `None` when dropped.
    pub window: Option<(u32, u32, u32, u32)>,
    pub target_width: u32,
    pub target_height: u32,
    /// Where the target size came from.
    pub size_source: SizeSource,
}

impl From<&FaceCropMessage> for gst::Structure {
    fn from(m: &FaceCropMessage) -> Self {
        let mut s = gst::Structure::builder(FACECROP_MESSAGE)
            .field("timestamp", m.timestamp)
            .field("running-time", m.running_time)
            .field("kept", m.kept)
            .field("face-id", m.face_id.unwrap_or(-1))
            .field("frames-in", m.frames_in)
            .field("frames-out", m.frames_out)
            .field("frames-without-face", m.frames_without_face)
            .field("target-width", m.target_width)
            .field("target-height", m.target_height)
            .field("size-source", m.size_source.as_str())
            .build();
        if let Some((x, y, w, h)) = m.window {
            s.set("x", x);
            s.set("y", y);
            s.set("width", w);
            s.set("height", h);
        }
        s
    }
}

impl TryFrom<&gst::StructureRef> for FaceCropMessage {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        if s.name() != FACECROP_MESSAGE {
            return Err(MetaError(format!("not a facecrop message: {}", s.name())));
        }
        fn get<'a, T: glib::value::FromValue<'a> + 'static>(
            s: &'a gst::StructureRef,
            n: &str,
        ) -> Result<T, MetaError> {
            s.get::<T>(n)
                .map_err(|e| MetaError(format!("facecrop.{n}: {e}")))
        }
        let window = if s.has_field("x") {
            Some((
                get(s, "x")?,
                get(s, "y")?,
                get(s, "width")?,
                get(s, "height")?,
            ))
        } else {
            None
        };
        let source: String = get(s, "size-source")?;
        let face_id: i32 = get(s, "face-id")?;
        Ok(Self {
            timestamp: get(s, "timestamp")?,
            running_time: get(s, "running-time")?,
            kept: get(s, "kept")?,
            face_id: (face_id >= 0).then_some(face_id),
            frames_in: get(s, "frames-in")?,
            frames_out: get(s, "frames-out")?,
            frames_without_face: get(s, "frames-without-face")?,
            window,
            target_width: get(s, "target-width")?,
            target_height: get(s, "target-height")?,
            size_source: SizeSource::parse(&source)
                .ok_or_else(|| MetaError(format!("facecrop.size-source: unknown '{source}'")))?,
        })
    }
}

glib::wrapper! {
    pub struct FaceCrop(ObjectSubclass<imp::FaceCrop>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    Fit::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    Primary::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    OnMissing::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "facecrop",
        gst::Rank::NONE,
        FaceCrop::static_type(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facecrop_message_round_trip() {
        gst::init().unwrap();
        let kept = FaceCropMessage {
            timestamp: Some(gst::ClockTime::from_mseconds(40)),
            running_time: Some(gst::ClockTime::from_mseconds(40)),
            kept: true,
            face_id: Some(3),
            frames_in: 5,
            frames_out: 4,
            frames_without_face: 1,
            window: Some((10, 20, 60, 60)),
            target_width: 60,
            target_height: 60,
            size_source: SizeSource::CameraModel,
        };
        let s = gst::Structure::from(&kept);
        assert_eq!(s.get::<u32>("x").unwrap(), 10);
        assert_eq!(s.get::<&str>("size-source").unwrap(), "camera-model");
        assert_eq!(FaceCropMessage::try_from(s.as_ref()).unwrap(), kept);
        let dropped = FaceCropMessage {
            kept: false,
            face_id: None,
            window: None,
            timestamp: None,
            running_time: None,
            ..kept
        };
        let s = gst::Structure::from(&dropped);
        assert!(!s.has_field("x"));
        assert_eq!(FaceCropMessage::try_from(s.as_ref()).unwrap(), dropped);
    }

    #[test]
    fn wrong_structure_is_rejected() {
        gst::init().unwrap();
        assert!(
            FaceCropMessage::try_from(gst::Structure::new_empty("facedetect").as_ref()).is_err()
        );
        let bad = gst::Structure::builder(FACECROP_MESSAGE)
            .field("kept", "yes")
            .build();
        assert!(FaceCropMessage::try_from(bad.as_ref()).is_err());
    }
}
