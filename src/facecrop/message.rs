//! The `facecrop` element message, typed, with its `GstStructure` form.

use gst::glib;

use super::SizeSource;
use crate::face::MetaError;

/// Structure name of the `facecrop` element message.
pub const FACECROP_MESSAGE: &str = "facecrop";

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
    /// The camera model in effect (`camera-model`, or read from the capture device).
    pub camera_model: Option<String>,
    /// Where it came from: `property`, the device property key (`device.product.name`,
    /// `v4l2.device.card`, `v4l2src.device-name`) or `none`.
    pub camera_model_source: &'static str,
    /// The capture device node the model was read from.
    pub camera_device: Option<String>,
}

/// The values of `camera-model-source`.
pub const CAMERA_MODEL_SOURCES: [&str; 5] = [
    "property",
    "device.product.name",
    "v4l2.device.card",
    "v4l2src.device-name",
    "none",
];

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
            .field("camera-model", m.camera_model.as_deref().unwrap_or(""))
            .field("camera-model-source", m.camera_model_source)
            .build();
        if let Some(d) = &m.camera_device {
            s.set("camera-device", d);
        }
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
        let model: String = get(s, "camera-model")?;
        let model_source: String = get(s, "camera-model-source")?;
        let camera_model_source = CAMERA_MODEL_SOURCES
            .into_iter()
            .find(|v| *v == model_source)
            .ok_or_else(|| {
                MetaError(format!(
                    "facecrop.camera-model-source: unknown '{model_source}'"
                ))
            })?;
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
            camera_model: (!model.is_empty()).then_some(model),
            camera_model_source,
            camera_device: s
                .get_optional::<String>("camera-device")
                .map_err(|e| MetaError(format!("facecrop.camera-device: {e}")))?,
        })
    }
}

/// Param `crop` that `facecrop` adds to every face it passes on: `scale` (double), pixels
/// of the source frame per pixel of the crop (above 1: the face was scaled down; below 1:
/// scaled up; products over chained crops). `facequality` counts resolution in source pixels.
pub const CROP_PARAM: &str = "crop";

/// The `crop` param for a face cropped at `scale` source pixels per output pixel, on top
/// of the scale of an earlier crop it already carries.
pub fn crop_param(face: &crate::face::Face, scale: f64) -> gst::Structure {
    let earlier = source_scale(face).unwrap_or(1.0);
    gst::Structure::builder(CROP_PARAM)
        .field("scale", scale * earlier)
        .build()
}

/// Source frame pixels per pixel of this buffer, when a `facecrop` scaled the face.
pub fn source_scale(face: &crate::face::Face) -> Option<f64> {
    let p = face.param(CROP_PARAM)?;
    let s = crate::gst::meta::param_structure(p)?;
    s.get::<f64>("scale")
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
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
            camera_model: Some("A100".into()),
            camera_model_source: "device.product.name",
            camera_device: Some("/dev/video0".into()),
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
            camera_model: None,
            camera_model_source: "none",
            camera_device: None,
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
