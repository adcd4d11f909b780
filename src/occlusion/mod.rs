//! Occlusion core for `faceocclude`, free of GStreamer: face regions from landmarks,
//! masks, styles composited in place on raw planes, de-occlusion levels and the
//! behaviour policy.
//!
//! * [`regions`]: region polygons (whole-face hull, eyes, brows, nose, mouth, cheeks,
//!   forehead, chin) from the 468-point mesh, with keypoint fallbacks for coarser schemes;
//! * [`raster`]: mask rasterisation and blur / pixelate / fill / sticker compositing on
//!   I420, NV12 and packed RGB-family planes;
//! * [`levels`]: which regions a level covers (`priority`, `unlock`, blur weakening);
//! * [`policy`]: the behaviour policy grammar, parser and evaluator;
//! * [`stickers`]: PNG loading and the two built-in sticker sets drawn by code.

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
