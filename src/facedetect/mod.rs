//! `facedetect`: finds, tracks and poses faces; attaches face metadata and posts messages.

use gst::glib;
use gst::prelude::*;

mod imp;
mod lookahead;
mod message;
mod settings;

pub use message::{FACEDETECT_MESSAGE, FaceDetectMessage, FaceEntry, FaceKeypoints};

// The GStreamer-free detection core: the analysis of one frame (analyzer), its detector
// stage (detector) and decoding (detection), FaceMesh crops (facemesh), head pose (pose),
// tracks (tracker), the `draw=true` overlay (drawing).
pub(crate) mod analyzer;
pub(crate) mod detection;
mod detector;
mod drawing;
mod facemesh;
mod pose;
mod tracker;

// Pose fits for tools such as bench/headpose.sh (the element uses `head_pose`).
pub use pose::{head_pose, rigid_head_pose, rotation_error};

/// Which detector network to run.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceDetectModel")]
pub enum Model {
    #[enum_value(
        name = "BlazeFace short range: close webcam faces (within ~2 m), 128x128 input",
        nick = "blazeface-short"
    )]
    BlazeFaceShort = 0,
    #[enum_value(
        name = "BlazeFace full range: webcams and live hosts up to ~5 m, 192x192 input",
        nick = "blazeface-full"
    )]
    BlazeFaceFull = 1,
    #[enum_value(
        name = "CenterFace: crowds and small faces, runs near full resolution (slower)",
        nick = "centerface"
    )]
    CenterFace = 2,
}

/// When to post the `facedetect` element message (as OpenCV's element).
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceDetectUpdates")]
pub enum Updates {
    #[enum_value(name = "Every analysed frame", nick = "every-frame")]
    EveryFrame = 0,
    #[enum_value(name = "When the number of faces changes", nick = "on-change")]
    OnChange = 1,
    #[enum_value(name = "Frames with at least one face", nick = "on-face")]
    OnFace = 2,
    #[enum_value(name = "Never", nick = "none")]
    None = 3,
}

glib::wrapper! {
    pub struct FaceDetect(ObjectSubclass<imp::FaceDetect>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    Model::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    Updates::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "facedetect",
        gst::Rank::NONE,
        FaceDetect::static_type(),
    )
}
