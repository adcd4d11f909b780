//! `facequality`: scores every face `facedetect` found (symmetry, sharpness, illumination,
//! resolution, weighted overall), adds a `quality` param to the face's region-of-interest
//! meta, posts rate-limited `facequality` messages and, per track, one
//! `facequality-keyframe` message carrying the best face crop as a `GstSample`.
//!
//! The GStreamer-free core sits beside the element, one file per concern: [`region`] (the
//! face mask and midline), [`score`] (the four component scores), [`weights`] (fixed or
//! automatic), [`keyframe`] (the per-track choice), [`crop`] (key frame crops) and [`file`]
//! (key frame files). This module holds the element wrapper and the typed forms of the param
//! and the messages ([`message`]).

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;
mod settings;

mod crop;
mod expression;
mod file;
#[cfg(test)]
mod fixtures;
mod keyframe;
mod region;
mod score;
mod weights;

pub use crop::{RegionCopy, RgbCrop, copy_region};
pub use expression::{Expression, neutrality};
pub use file::{FileFormat, check_location, keyframe_path, write_crop};
pub use keyframe::{Keyframe, KeyframeSelector, WindowLimits};
pub use message::{
    FACEQUALITY_MESSAGE, FaceQualityMessage, KEYFRAME_MESSAGE, KeyframeMessage, QUALITY_PARAM,
    QualityEntry, quality_of, quality_param,
};
pub use region::{FaceRegion, MaskKind};
pub use score::{Components, QualityScore, Status, score_face};
pub use weights::{AutoWeights, Weights};

glib::wrapper! {
    pub struct FaceQuality(ObjectSubclass<imp::FaceQuality>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "facequality",
        gst::Rank::NONE,
        FaceQuality::static_type(),
    )
}
