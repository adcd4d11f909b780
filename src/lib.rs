//! facekit: GStreamer elements for face analysis: `facedetect` (detection, tracking, 468
//! landmarks, head pose) writes face metadata on buffers; `facequality`, `facecrop`,
//! `faceocclude`, `faceidentify`, `attentionmeter` and `attentionoverlay` read it.
//!
//! Layout (see `docs/DESIGN.md`, "Code layout"): shared foundations `frame` (raw frames)
//! and `face` (face types), both free of GStreamer; `gst` (the glue every element shares:
//! metadata on buffers, caps, buffer times, messages, warnings); `inference` (ONNX Runtime);
//! then one folder per element with `mod.rs`, `imp.rs`, `message.rs` (the glue) and its
//! GStreamer-free core beside them (`settings.rs` for the property values, then one file per
//! concern, e.g. `facedetect`'s detector stage or `facecrop`'s per-frame keep/crop decision,
//! each unit-tested without GStreamer). Modules are private: what applications use is re-exported here, e.g.
//! [`read_frame`] and [`meta`] for the metadata, [`FaceDetectMessage`] and the other typed
//! bus messages, the property enums, and pieces such as [`score_face`] or [`Policy`].
#![allow(clippy::too_many_arguments)]

use ::gst::glib;

// Shared foundations: raw frames and faces (no GStreamer), GStreamer glue, ONNX Runtime.
mod face;
mod frame;
mod gst;
mod inference;
// The elements, each with its GStreamer-free core beside it; the attention core serves two.
mod attention;
mod attentionmeter;
mod attentionoverlay;
mod faceanswer;
mod facecrop;
mod facedetect;
mod faceidentify;
mod faceocclude;
mod facequality;

// Faces on buffers: the types, and reading / writing them.
pub use crate::face::reference::{FACE_REFERENCE_468, MIRROR_PAIRS};
pub use crate::face::{
    AnalysisStatus, BoundingBox, Face, FaceParam, FrameFaces, FrameMarker, HeadPose,
    LandmarkScheme, Landmarks, MESH_FACE_OVAL, MESH_INNER_LIPS, MESH_MIDLINE, MetaError,
    PrimaryFace, mean_point,
};
pub use crate::gst::meta;
pub use crate::gst::meta::read_frame;

// The elements and their property types.
pub use attentionmeter::AttentionMeter;
pub use attentionoverlay::AttentionOverlay;
pub use faceanswer::FaceAnswer;
pub use facecrop::{CropOnMissing, FaceCrop, Fit, Primary};
pub use facedetect::{FaceDetect, Model, Updates};
pub use faceidentify::{FaceIdentify, Mode};
pub use faceocclude::{FaceOcclude, OccludeOnMissing, StickerSetChoice, Style};
pub use facequality::FaceQuality;

// Bus messages and params, typed (`From<&T> for gst::Structure`, `TryFrom<&StructureRef>`).
pub use attention::{AttentionEvent, StatsReport, Summary, WindowReport};
pub use faceanswer::{AnswerDoneMessage, AnswerPersonMessage, DONE_MESSAGE, PERSON_MESSAGE};
pub use facecrop::{CROP_PARAM, FACECROP_MESSAGE, FaceCropMessage, source_scale};
pub use facedetect::{FACEDETECT_MESSAGE, FaceDetectMessage, FaceEntry, FaceKeypoints};
pub use faceidentify::{IDENTIFY_MESSAGE, IdentityMessage, IdentityResult};
pub use faceocclude::{LEVEL_MESSAGE, LevelMessage};
pub use facequality::{
    FACEQUALITY_MESSAGE, FaceQualityMessage, KEYFRAME_MESSAGE, KeyframeMessage, QUALITY_PARAM,
    QualityEntry, quality_of, quality_param,
};

// The cores' building blocks that applications and tools use on their own.
pub use attention::cue::ViewerCueLayout;
pub use attention::document::LessonDocument;
pub use attention::mqtt::{LinkEvent, MqttLink, MqttUrl};
pub use attention::paint::Rect;
pub use attention::panel::OverlayLayout;
pub use attention::{Threshold, summarize};
/// The face-first upload's answer channel (JSON records) and the server's person merge.
pub mod upload {
    pub use crate::faceanswer::persons::{Person, TrackResult, group_persons};
    pub use crate::faceanswer::protocol::*;
}
pub use facecrop::{CameraEntry, CameraTable, ConfigError, CropWindow, Size, SizeSource};
pub use facedetect::{head_pose, rigid_head_pose, rotation_error};
pub use faceocclude::{
    Behaviour, LevelPlan, Mask, Policy, PolicyError, Region, RegionShapes, RegionStyles,
    StickerSet, face_masks, face_shapes, feather_width, format_region_list, parse_region_list,
    sticker_spots,
};
pub use facequality::{
    Expression, FaceRegion, MaskKind, QualityScore, Status, Weights, neutrality, score_face,
};
pub use frame::view::{Frame, FrameBuf, FrameError, FrameMut, FrameRef, Layout};
pub use gst::video::{image_view, layout_of};
pub use inference::{MODEL_DIR_ENV, RUNTIME_ENV, THREADS_ENV, model_dir, session_loads};
// Loading and running a model the way the elements do (bench/models.sh times it).
pub use inference::{InferenceError, OnnxModel, SessionOptions, environment, runtime_library};

fn plugin_init(plugin: &::gst::Plugin) -> Result<(), glib::BoolError> {
    crate::gst::meta::register();
    facedetect::register(plugin)?;
    attentionmeter::register(plugin)?;
    attentionoverlay::register(plugin)?;
    faceocclude::register(plugin)?;
    facecrop::register(plugin)?;
    facequality::register(plugin)?;
    faceidentify::register(plugin)?;
    faceanswer::register(plugin)?;
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
