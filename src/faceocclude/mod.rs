//! `faceocclude`: covers faces (whole face or per region) with blur, pixelation, a fill
//! colour or stickers, with de-occlusion levels, unlocks and a behaviour policy; fail-closed
//! on frames `facedetect` did not analyse.

use gst::glib;
use gst::prelude::*;

mod imp;

// The GStreamer-free occlusion core: regions from landmarks, masks and compositing on raw
// planes, levels, the behaviour policy, stickers.
pub mod levels;
pub mod policy;
pub mod raster;
pub mod regions;
pub mod stickers;

pub use levels::{Coverage, LevelPlan};
pub use policy::{Behaviour, Policy, PolicyError};
pub use raster::{Mask, Planes};
pub use regions::{Region, RegionShapes};
pub use stickers::{Sticker, StickerSet};

/// How covered regions look.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceOccludeStyle")]
pub enum Style {
    #[enum_value(name = "Gaussian-like blur (blur-strength)", nick = "blur")]
    Blur = 0,
    #[enum_value(
        name = "Pixelation (pixelate-blocks cells across the face)",
        nick = "pixelate"
    )]
    Pixelate = 1,
    #[enum_value(name = "Solid colour (fill-color)", nick = "fill")]
    Fill = 2,
    #[enum_value(
        name = "Stickers over a blurred backdrop (sticker-set, stickers)",
        nick = "sticker"
    )]
    Sticker = 3,
}

/// What to do with a frame `facedetect` did not analyse, or whose analysis failed.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceOccludeOnMissing")]
pub enum OnMissing {
    #[enum_value(name = "Blur the whole frame (fail-closed)", nick = "blur-frame")]
    BlurFrame = 0,
    #[enum_value(name = "Drop the frame", nick = "drop")]
    Drop = 1,
    #[enum_value(name = "Pass the frame unchanged (faces may show)", nick = "pass")]
    Pass = 2,
}

/// Built-in sticker set used where no PNG is given for a region.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstFacekitFaceOccludeStickerSet")]
pub enum StickerSetChoice {
    #[enum_value(name = "Yellow smiley, sunglasses, clown nose, lips", nick = "smiley")]
    Smiley = 0,
    #[enum_value(name = "Cat head, cat eyes, pink nose, muzzle", nick = "cat")]
    Cat = 1,
    #[enum_value(name = "None: only the PNGs of the stickers property", nick = "none")]
    None = 2,
}

glib::wrapper! {
    pub struct FaceOcclude(ObjectSubclass<imp::FaceOcclude>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    Style::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    OnMissing::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    StickerSetChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "faceocclude",
        gst::Rank::NONE,
        FaceOcclude::static_type(),
    )
}

/// Structure name of the level message.
pub const LEVEL_MESSAGE: &str = "faceocclude-level";

/// Posted when a new effective level / unlock set takes effect, with the first frame it
/// applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelMessage {
    /// Effective level (the `level` property raised by the policy), clamped to `max_level`.
    pub level: u32,
    pub max_level: u32,
    /// Regions covered from this frame on (`face` = the rest of the face).
    pub covered: Vec<String>,
    /// Regions uncovered by `unlock` or by the policy.
    pub unlocked: Vec<String>,
    /// True when the policy raised the level or unlocked regions.
    pub from_policy: bool,
    /// Occlusion strength 0..1 (whole-face mode weakens it per level).
    pub intensity: f64,
    pub timestamp: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
}

fn list(items: &[String]) -> gst::Array {
    gst::Array::new(items.iter().map(|s| s.as_str()))
}

impl From<&LevelMessage> for gst::Structure {
    fn from(m: &LevelMessage) -> Self {
        gst::Structure::builder(LEVEL_MESSAGE)
            .field("level", m.level)
            .field("max-level", m.max_level)
            .field("covered", list(&m.covered))
            .field("unlocked", list(&m.unlocked))
            .field("from-policy", m.from_policy)
            .field("intensity", m.intensity)
            .field("timestamp", m.timestamp)
            .field("running-time", m.running_time)
            .build()
    }
}

impl TryFrom<&gst::StructureRef> for LevelMessage {
    type Error = String;

    fn try_from(s: &gst::StructureRef) -> Result<Self, String> {
        if s.name() != LEVEL_MESSAGE {
            return Err(format!("not a {LEVEL_MESSAGE} message: {}", s.name()));
        }
        let strings = |name: &str| -> Result<Vec<String>, String> {
            let a = s
                .get::<gst::Array>(name)
                .map_err(|e| format!("{LEVEL_MESSAGE}.{name}: {e}"))?;
            a.iter()
                .map(|v| {
                    v.get::<String>()
                        .map_err(|e| format!("{LEVEL_MESSAGE}.{name}: {e}"))
                })
                .collect()
        };
        let get_err =
            |name: &str, e: gst::structure::GetError<_>| format!("{LEVEL_MESSAGE}.{name}: {e}");
        Ok(Self {
            level: s.get("level").map_err(|e| get_err("level", e))?,
            max_level: s.get("max-level").map_err(|e| get_err("max-level", e))?,
            covered: strings("covered")?,
            unlocked: strings("unlocked")?,
            from_policy: s
                .get("from-policy")
                .map_err(|e| get_err("from-policy", e))?,
            intensity: s.get("intensity").map_err(|e| get_err("intensity", e))?,
            timestamp: s
                .get::<Option<gst::ClockTime>>("timestamp")
                .map_err(|e| get_err("timestamp", e))?,
            running_time: s
                .get::<Option<gst::ClockTime>>("running-time")
                .map_err(|e| get_err("running-time", e))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_message_round_trip() {
        gst::init().unwrap();
        let m = LevelMessage {
            level: 2,
            max_level: 8,
            covered: vec!["mouth".into(), "face".into()],
            unlocked: vec!["eyes".into()],
            from_policy: true,
            intensity: 1.0,
            timestamp: Some(gst::ClockTime::from_mseconds(40)),
            running_time: None,
        };
        let s = gst::Structure::from(&m);
        assert_eq!(s.name(), LEVEL_MESSAGE);
        assert_eq!(LevelMessage::try_from(s.as_ref()).unwrap(), m);
        let other = gst::Structure::builder("facedetect").build();
        assert!(LevelMessage::try_from(other.as_ref()).is_err());
    }
}
