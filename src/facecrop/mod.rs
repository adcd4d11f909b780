//! `facecrop`: face-first upload. Keeps frames with a face and crops them to a per-camera
//! target size around the face centre; face metadata follows into crop coordinates.

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;

pub use message::{CROP_PARAM, FACECROP_MESSAGE, FaceCropMessage, source_scale};

// The GStreamer-free core: sizes and the camera table (camera), choosing the target size
// (target), window placement and smoothing (placement), resampling for `fit=scale`
// (resample), the property values (settings).
mod camera;
mod placement;
mod resample;
mod settings;
mod target;

pub use camera::{CameraEntry, CameraTable, ConfigError, Size, SizeSource};
pub use placement::CropWindow;

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
pub enum CropOnMissing {
    #[enum_value(
        name = "Stop with an element error (facedetect is missing upstream)",
        nick = "error"
    )]
    Error = 0,
    #[enum_value(name = "Warn once and drop such buffers", nick = "drop")]
    Drop = 1,
}

glib::wrapper! {
    pub struct FaceCrop(ObjectSubclass<imp::FaceCrop>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    Fit::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    Primary::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    CropOnMissing::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "facecrop",
        gst::Rank::NONE,
        FaceCrop::static_type(),
    )
}
