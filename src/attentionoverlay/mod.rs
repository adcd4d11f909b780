//! `attentionoverlay`: the presenter's side. Subscribes to the viewers' attention messages
//! (MQTT) and draws, on the presenter's video, the alerted viewers, the class average and the
//! lesson curve over the history curve; writes a lesson report picture (SVG).

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;
mod settings;

/// How the panel reaches the video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, glib::Enum)]
#[enum_type(name = "GstFacekitAttentionOverlayMode")]
pub enum OverlayMode {
    #[default]
    #[enum_value(name = "Burn: draw the panel into the frames", nick = "burn")]
    Burn,
    #[enum_value(
        name = "Composition: attach the panel as GstVideoOverlayComposition meta; a sink that renders it (glimagesink) shows it, encoders do not",
        nick = "composition"
    )]
    Composition,
}

/// Which corner the panel sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, glib::Enum)]
#[enum_type(name = "GstFacekitAttentionOverlayPosition")]
pub enum PanelPosition {
    #[default]
    #[enum_value(name = "Top left", nick = "top-left")]
    TopLeft,
    #[enum_value(name = "Top right", nick = "top-right")]
    TopRight,
    #[enum_value(name = "Bottom left", nick = "bottom-left")]
    BottomLeft,
    #[enum_value(name = "Bottom right", nick = "bottom-right")]
    BottomRight,
}

impl From<PanelPosition> for crate::attention::panel::Corner {
    fn from(p: PanelPosition) -> Self {
        match p {
            PanelPosition::TopLeft => Self::TopLeft,
            PanelPosition::TopRight => Self::TopRight,
            PanelPosition::BottomLeft => Self::BottomLeft,
            PanelPosition::BottomRight => Self::BottomRight,
        }
    }
}

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
