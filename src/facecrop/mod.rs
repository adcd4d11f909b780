//! `facecrop`: face-first upload. Keeps frames with a face and crops them to a per-camera
//! target size around the face centre; face metadata follows into crop coordinates.

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;

pub use message::{CROP_PARAM, FACECROP_MESSAGE, FaceCropMessage, source_scale};

// The GStreamer-free core: sizes and the camera table (camera), choosing the target size
// (target), the per-frame keep/crop decision (cropper), window placement and smoothing
// (placement), resampling for `fit=scale` (resample), the property values (settings).
mod camera;
mod cropper;
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

/// The element's properties, as gst-inspect shows them (`imp.rs` reads and writes them).
fn properties() -> Vec<glib::ParamSpec> {
    use settings::*;
    vec![
        glib::ParamSpecString::builder("size")
            .nick("Size")
            .blurb("Target size WIDTHxHEIGHT (e.g. 160x160, each side 8..8192); wins over the camera table. Changing it while playing renegotiates the output caps (default: none, use the camera table)")
            .mutable_playing()
            .build(),
        glib::ParamSpecString::builder("camera-model")
            .nick("Camera model")
            .blurb("Camera model looked up in the camera table (its \"type\"), and sent to a config service as ?model=...; unset: read from the capture device upstream (v4l2src: udev product name, else the V4L2 card name; a model the table does not list falls back to its resolution rules), else the table's capture-resolution rules decide. The messages say which (camera-model-source)")
            .mutable_ready()
            .build(),
        glib::ParamSpecString::builder("config-location")
            .nick("Config location")
            .blurb("Camera table: a JSON file path (or file:// URL) or an http:// URL answering it (https is not supported by this build). Read once at start")
            .mutable_ready()
            .build(),
        glib::ParamSpecUInt::builder("config-timeout")
            .nick("Config timeout")
            .blurb("Milliseconds to wait for the config service before failing")
            .minimum(100)
            .maximum(600_000)
            .default_value(DEFAULT_CONFIG_TIMEOUT_MS)
            .mutable_ready()
            .build(),
        glib::ParamSpecString::builder("fallback-size")
            .nick("Fallback size")
            .blurb("WIDTHxHEIGHT used (with a warning) when the camera table cannot give a size: unknown model, no matching rule, unreachable service, malformed table (default: none, that is an error)")
            .mutable_ready()
            .build(),
        glib::ParamSpecEnum::builder_with_default("fit", DEFAULT_FIT)
            .nick("Fit")
            .blurb("A face larger than the target: scale (default) takes the whole face with its margin and scales it down to the target size; crop cuts the target size around its centre, so a large face loses forehead and chin")
            .mutable_playing()
            .build(),
        glib::ParamSpecEnum::builder_with_default("primary", DEFAULT_PRIMARY)
            .nick("Primary face")
            .blurb("Which face the crop follows when a frame has several")
            .mutable_playing()
            .build(),
        glib::ParamSpecInt::builder("track-id")
            .nick("Track id")
            .blurb("Track id followed when primary=track (-1: none)")
            .minimum(-1)
            .default_value(DEFAULT_TRACK_ID)
            .mutable_playing()
            .build(),
        glib::ParamSpecDouble::builder("smoothing")
            .nick("Smoothing")
            .blurb("Weight of the previous crop centre in the moving average that steadies the crop (0: follow the face exactly)")
            .minimum(0.0)
            .maximum(1.0)
            .default_value(DEFAULT_SMOOTHING)
            .mutable_playing()
            .build(),
        glib::ParamSpecDouble::builder("max-lag")
            .nick("Maximum lag")
            .blurb("The smoothed crop centre never trails the face centre by more than this many input pixels")
            .minimum(0.0)
            .maximum(10_000.0)
            .default_value(DEFAULT_MAX_LAG)
            .mutable_playing()
            .build(),
        glib::ParamSpecDouble::builder("margin")
            .nick("Margin")
            .blurb("fit=scale: room kept around the face box on each side, as a fraction of its size, so a detector on the receiving side finds the face again")
            .minimum(0.0)
            .maximum(2.0)
            .default_value(DEFAULT_MARGIN)
            .mutable_playing()
            .build(),
        glib::ParamSpecBoolean::builder("keep-no-face")
            .nick("Keep frames without a face")
            .blurb("Also send frames without a face (cropped at the last face position, or the centre); default drops them")
            .default_value(DEFAULT_KEEP_NO_FACE)
            .mutable_playing()
            .build(),
        glib::ParamSpecEnum::builder_with_default("on-missing", DEFAULT_ON_MISSING)
            .nick("On missing metadata")
            .blurb("What to do with a buffer facedetect never analysed (no facedetect upstream)")
            .mutable_playing()
            .build(),
        glib::ParamSpecBoolean::builder("post-messages")
            .nick("Post messages")
            .blurb("Post a 'facecrop' element message for every input frame")
            .default_value(DEFAULT_POST_MESSAGES)
            .mutable_playing()
            .build(),
        glib::ParamSpecUInt64::builder("frames-in")
            .nick("Frames in")
            .blurb("Frames received since start")
            .read_only()
            .build(),
        glib::ParamSpecUInt64::builder("frames-out")
            .nick("Frames out")
            .blurb("Frames sent downstream since start")
            .read_only()
            .build(),
        glib::ParamSpecUInt64::builder("frames-without-face")
            .nick("Frames without a face")
            .blurb("Frames received without a face (or whose analysis failed) since start")
            .read_only()
            .build(),
    ]
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
