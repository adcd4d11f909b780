//! `faceocclude`: covers faces (whole face or per region) with blur, pixelation, a fill
//! colour or stickers, with de-occlusion levels, unlocks and a behaviour policy; fail-closed
//! on frames `facedetect` did not analyse.

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;

pub use message::{LEVEL_MESSAGE, LevelMessage};

// The GStreamer-free occlusion core: regions from landmarks, masks and compositing on raw
// planes, levels, the behaviour policy, stickers.
mod composite;
mod hands;
mod levels;
mod mask;
mod policy;
mod regions;
mod render;
mod settings;
mod stickers;

pub use composite::Planes;
pub use levels::face_masks;
pub use levels::{Coverage, LevelPlan};
pub use mask::Mask;
pub use policy::{Behaviour, Policy, PolicyError};
pub use regions::{Region, RegionShapes};
pub use regions::{format_region_list, parse_region_list};
pub use render::{
    Look, MIN_STRENGTH, RegionStyles, face_shapes, feather_width, occlude_faces, sticker_spots,
};
#[cfg(test)]
pub(crate) use stickers::Sticker;
pub use stickers::StickerSet;

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
pub enum OccludeOnMissing {
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
    #[enum_value(
        name = "Panda head over the whole head (ears past the hair), panda eyes, black nose",
        nick = "panda"
    )]
    Panda = 3,
    #[enum_value(
        name = "Bunny face with rabbit ears standing on the head",
        nick = "bunny"
    )]
    Bunny = 4,
}

glib::wrapper! {
    pub struct FaceOcclude(ObjectSubclass<imp::FaceOcclude>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    Style::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    OccludeOnMissing::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    StickerSetChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "faceocclude",
        gst::Rank::NONE,
        FaceOcclude::static_type(),
    )
}
