//! facekit: GStreamer elements for face analysis.
//!
//! Elements: `facedetect` (detection, tracking, 468 landmarks, head pose). Face metadata
//! and bus messages are read and written through [`meta`] and [`messages`].
#![allow(clippy::too_many_arguments)]

use gst::glib;

// GStreamer-free core modules.
pub mod analyzer;
pub mod attention;
pub mod crop;
pub mod detection;
pub mod draw;
pub mod face_reference;
pub mod facemesh;
pub mod image;
pub mod inference;
pub mod messages;
pub mod meta;
pub mod occlusion;
pub mod pose;
pub mod quality;
pub mod tracker;
// GStreamer glue and elements.
pub mod attentionmeter;
pub mod attentionoverlay;
pub mod facecrop;
pub mod facedetect;
pub mod faceocclude;
pub mod facequality;
pub mod video;

pub use messages::{FaceDetectMessage, FaceEntry};
pub use meta::{Face, FrameFaces, FrameMarker, read_frame};

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    meta::register();
    facedetect::register(plugin)?;
    attentionmeter::register(plugin)?;
    attentionoverlay::register(plugin)?;
    faceocclude::register(plugin)?;
    facecrop::register(plugin)?;
    facequality::register(plugin)?;
    Ok(())
}

gst::plugin_define!(
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
