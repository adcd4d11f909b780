//! `attentionoverlay`: the presenter's side. Subscribes to the viewers' attention messages
//! (MQTT) and draws, on the presenter's video, the alerted viewers, the class average and the
//! lesson curve over the history curve; writes a lesson report picture (SVG).

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;

glib::wrapper! {
    pub struct AttentionOverlay(ObjectSubclass<imp::AttentionOverlay>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "attentionoverlay",
        gst::Rank::NONE,
        AttentionOverlay::static_type(),
    )
}
