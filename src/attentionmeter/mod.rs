//! `attentionmeter`: attention of the viewer in front of the camera, from `facedetect`'s head
//! pose; posts (and optionally publishes over MQTT) the attention messages.
//!
//! The messages are [`crate::attention::AttentionEvent`]s; `message.rs` converts them to and
//! from bus message structures (same field names as their JSON form).

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;
mod settings;

glib::wrapper! {
    pub struct AttentionMeter(ObjectSubclass<imp::AttentionMeter>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "attentionmeter",
        gst::Rank::NONE,
        AttentionMeter::static_type(),
    )
}
