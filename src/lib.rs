//! facekit: GStreamer elements for face analysis.
//!
//! Elements: `facedetect` (detection, tracking, 468 landmarks, head pose). Face metadata
//! and bus messages are read and written through [`gst::meta`] and [`gst::messages`].
#![allow(clippy::too_many_arguments)]

use ::gst::glib;

// Shared foundations: raw frames and faces (no GStreamer), GStreamer glue, ONNX Runtime.
pub mod face;
pub mod frame;
pub mod gst;
pub mod inference;
// The elements, each with its core beside it; the attention core is shared by two elements.
pub mod attention;
pub mod attentionmeter;
pub mod attentionoverlay;
pub mod facecrop;
pub mod facedetect;
pub mod faceidentify;
pub mod faceocclude;
pub mod facequality;

pub use crate::gst::messages::{FaceDetectMessage, FaceEntry};
pub use crate::gst::meta::{Face, FrameFaces, FrameMarker, read_frame};

fn plugin_init(plugin: &::gst::Plugin) -> Result<(), glib::BoolError> {
    crate::gst::meta::register();
    facedetect::register(plugin)?;
    attentionmeter::register(plugin)?;
    attentionoverlay::register(plugin)?;
    faceocclude::register(plugin)?;
    facecrop::register(plugin)?;
    facequality::register(plugin)?;
    faceidentify::register(plugin)?;
    Ok(())
}

::gst::plugin_define!(
    facekit,
    env!("CARGO_PKG_DESCRIPTION"),
    plugin_init,
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("COMMIT_ID")),
    "MIT/X11",
    env!("CARGO_PKG_NAME"),
    env!("CARGO_PKG_NAME"),
    env!("CARGO_PKG_REPOSITORY"),
    env!("BUILD_REL_DATE")
);
