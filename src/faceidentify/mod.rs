//! `faceidentify`: names the person behind each face track. For the key frame `facequality`
//! would pick (or every N-th face of a track) it aligns dlib's 150x150 face chip from the
//! FaceMesh landmarks `facedetect` attached, computes dlib's 128-d ResNet descriptor, matches
//! it against a gallery (a folder of labelled photos or a SQLite file) and posts a
//! `faceidentify` message: track id, best identity, distance, "verified" or "unknown".
//!
//! Core modules (no GStreamer): [`align`] (chip geometry and sampling), [`descriptor`] (the
//! model), [`gallery`] (storage and matching), [`schedule`] (interval mode). The window
//! policy of the key-frame mode is facequality's own selector.

use gst::glib;
use gst::prelude::*;

mod align;
mod descriptor;
mod gallery;
mod imp;
mod message;
mod schedule;
mod settings;

#[cfg(test)]
pub use descriptor::DESCRIPTOR_LEN;
pub use descriptor::{Descriptor, distance};
pub use message::{IDENTIFY_MESSAGE, IdentityMessage, IdentityResult};

glib::wrapper! {
    pub struct FaceIdentify(ObjectSubclass<imp::FaceIdentify>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "faceidentify",
        gst::Rank::NONE,
        FaceIdentify::static_type(),
    )
}

/// Which faces get a descriptor.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceIdentifyMode")]
pub enum Mode {
    #[enum_value(
        name = "The best face of each track's window by facequality's 'overall' score (needs facequality upstream); one message per window",
        nick = "keyframe"
    )]
    Keyframe = 0,
    #[enum_value(
        name = "Every 'interval'-th face of each track; one message each",
        nick = "interval"
    )]
    Interval = 1,
}
