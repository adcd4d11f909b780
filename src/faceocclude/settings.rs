//! faceocclude's settings (the properties' values and defaults) and the look they give,
//! GStreamer-free: imp.rs only wires them to properties and buffers.

use std::sync::Arc;

use super::{OccludeOnMissing, StickerSetChoice, Style};
use crate::faceocclude::{Look, Planes, Policy, Region, RegionStyles, StickerSet};

pub(super) const DEFAULT_LEVEL: u32 = 0;
pub(super) const MAX_LEVEL_PROP: u32 = 1000;
pub(super) const DEFAULT_LEVEL_STEP: f64 = 0.1;
pub(super) const DEFAULT_STYLE: Style = Style::Blur;
pub(super) const DEFAULT_BLUR_STRENGTH: f64 = 100.0;
pub(super) const DEFAULT_PIXELATE_BLOCKS: u32 = 4;
pub(super) const DEFAULT_FILL_COLOR: u32 = 0xff00_0000;
pub(super) const DEFAULT_MARGIN: f64 = 0.2;
pub(super) const DEFAULT_STICKER_SET: StickerSetChoice = StickerSetChoice::Smiley;
pub(super) const DEFAULT_ON_MISSING: OccludeOnMissing = OccludeOnMissing::BlurFrame;
pub(super) const DEFAULT_SHOW_HANDS: bool = false;

/// Fail-closed whole-frame obfuscation: cells across the frame's long side.
pub(super) const FRAME_CELLS: f32 = 12.0;

#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) level: u32,
    pub(super) priority: Vec<Region>,
    pub(super) unlock: Vec<Region>,
    pub(super) level_step: f64,
    pub(super) style: Style,
    pub(super) styles: RegionStyles,
    pub(super) blur_strength: f64,
    pub(super) pixelate_blocks: u32,
    pub(super) fill_color: u32,
    pub(super) margin: f64,
    pub(super) sticker_set: StickerSetChoice,
    pub(super) stickers_spec: String,
    pub(super) stickers: Arc<StickerSet>,
    pub(super) policy_text: String,
    pub(super) policy: Arc<Policy>,
    pub(super) on_missing: OccludeOnMissing,
    pub(super) show_hands: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            level: DEFAULT_LEVEL,
            priority: Vec::new(),
            unlock: Vec::new(),
            level_step: DEFAULT_LEVEL_STEP,
            style: DEFAULT_STYLE,
            styles: RegionStyles::default(),
            blur_strength: DEFAULT_BLUR_STRENGTH,
            pixelate_blocks: DEFAULT_PIXELATE_BLOCKS,
            fill_color: DEFAULT_FILL_COLOR,
            margin: DEFAULT_MARGIN,
            sticker_set: DEFAULT_STICKER_SET,
            stickers_spec: String::new(),
            stickers: Arc::new(StickerSet::builtin("smiley").unwrap_or_default()),
            policy_text: String::new(),
            policy: Arc::new(Policy::default()),
            on_missing: DEFAULT_ON_MISSING,
            show_hands: DEFAULT_SHOW_HANDS,
        }
    }
}

impl Settings {
    pub(super) fn rebuild_stickers(&mut self, custom: &StickerSet) {
        let base = match self.sticker_set {
            StickerSetChoice::Smiley => StickerSet::builtin("smiley"),
            StickerSetChoice::Cat => StickerSet::builtin("cat"),
            StickerSetChoice::Panda => StickerSet::builtin("panda"),
            StickerSetChoice::Bunny => StickerSet::builtin("bunny"),
            StickerSetChoice::None => None,
        }
        .unwrap_or_default();
        self.stickers = Arc::new(base.overlaid_with(custom));
    }

    pub(super) fn look(&self) -> Look {
        Look {
            style: self.style,
            blur_strength: self.blur_strength as f32,
            pixelate_blocks: self.pixelate_blocks,
            fill_rgb: fill_rgb(self.fill_color),
            margin: self.margin as f32,
            stickers: self.stickers.clone(),
            styles: self.styles.clone(),
        }
    }
}

fn fill_rgb(argb: u32) -> [u8; 3] {
    [(argb >> 16) as u8, (argb >> 8) as u8, argb as u8]
}

/// Fail-closed cover of a whole frame: pixelated into cells of 1/12 of its long side, blurred.
pub(super) fn cover_whole(planes: &mut Planes) {
    let (w, h) = (planes.width, planes.height);
    let cell = (w.max(h) as f32 / FRAME_CELLS).max(2.0);
    let all = crate::faceocclude::Mask::full(w, h);
    planes.pixelate(&all, cell);
    planes.blur(&all, cell);
}
