//! Stickers: RGBA images loaded from PNG files, and built-in sets drawn by code (`smiley`,
//! `cat`, `panda`, `bunny`): one sticker per region (the `face` / `head` one covers the whole
//! face or head), each with a [`StickerPlacement`] (anchor, scale, offset), plus extras such as
//! rabbit ears standing on top of the head.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::regions::{Region, region_names};

mod builtin;

/// An RGBA image with straight (not premultiplied) alpha.
#[derive(Debug, Clone, PartialEq)]
pub struct Sticker {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

impl Sticker {
    pub fn solid(width: usize, height: usize, rgba: [u8; 4]) -> Self {
        Self {
            width,
            height,
            rgba: rgba.repeat(width * height),
        }
    }

    fn transparent(size: usize) -> Self {
        Self::solid(size, size, [0, 0, 0, 0])
    }

    /// Loads a PNG (any colour type; converted to RGBA).
    pub fn load_png(path: &Path) -> Result<Self, String> {
        let img = image::ImageReader::open(path)
            .map_err(|e| format!("cannot open sticker '{}': {e}", path.display()))?
            .with_guessed_format()
            .map_err(|e| format!("cannot read sticker '{}': {e}", path.display()))?
            .decode()
            .map_err(|e| format!("sticker '{}' is not a readable PNG: {e}", path.display()))?
            .to_rgba8();
        if img.width() == 0 || img.height() == 0 {
            return Err(format!("sticker '{}' is empty", path.display()));
        }
        Ok(Self {
            width: img.width() as usize,
            height: img.height() as usize,
            rgba: img.into_raw(),
        })
    }

    /// Bilinear sample at normalised (u, v) in 0..1, premultiplying so edges do not halo.
    pub fn sample(&self, u: f32, v: f32) -> [f32; 4] {
        let x = (u * self.width as f32 - 0.5).clamp(0.0, (self.width - 1) as f32);
        let y = (v * self.height as f32 - 0.5).clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let mut acc = [0.0f32; 4];
        for (xx, yy, wgt) in [
            (x0, y0, (1.0 - fx) * (1.0 - fy)),
            (x1, y0, fx * (1.0 - fy)),
            (x0, y1, (1.0 - fx) * fy),
            (x1, y1, fx * fy),
        ] {
            let o = (yy * self.width + xx) * 4;
            let a = self.rgba[o + 3] as f32 / 255.0 * wgt;
            acc[0] += self.rgba[o] as f32 * a;
            acc[1] += self.rgba[o + 1] as f32 * a;
            acc[2] += self.rgba[o + 2] as f32 * a;
            acc[3] += a;
        }
        if acc[3] <= 1e-6 {
            return [0.0; 4];
        }
        [
            acc[0] / acc[3],
            acc[1] / acc[3],
            acc[2] / acc[3],
            acc[3] * 255.0,
        ]
    }

    /// Paints an anti-aliased shape given by a signed distance (pixels, < 0 inside) at each
    /// normalised point, over what is there.
    fn paint(&mut self, rgba: [u8; 4], sdf: impl Fn(f32, f32) -> f32) {
        let (w, h) = (self.width as f32, self.height as f32);
        for y in 0..self.height {
            for x in 0..self.width {
                let (u, v) = ((x as f32 + 0.5) / w, (y as f32 + 0.5) / h);
                let d = sdf(u, v) * w;
                let cover = (0.5 - d).clamp(0.0, 1.0) * rgba[3] as f32 / 255.0;
                if cover <= 0.0 {
                    continue;
                }
                let o = (y * self.width + x) * 4;
                let old_a = self.rgba[o + 3] as f32 / 255.0;
                let out_a = cover + old_a * (1.0 - cover);
                for (c, &value) in rgba.iter().take(3).enumerate() {
                    let old = self.rgba[o + c] as f32 * old_a * (1.0 - cover);
                    self.rgba[o + c] = ((value as f32 * cover + old) / out_a).round() as u8;
                }
                self.rgba[o + 3] = (out_a * 255.0).round() as u8;
            }
        }
    }

    fn ellipse(&mut self, c: [f32; 2], r: [f32; 2], rgba: [u8; 4]) {
        self.paint(rgba, |u, v| ellipse_sdf(u, v, c, r));
    }
}

/// Approximate signed distance (normalised units) to an axis-aligned ellipse.
fn ellipse_sdf(u: f32, v: f32, c: [f32; 2], r: [f32; 2]) -> f32 {
    let (dx, dy) = ((u - c[0]) / r[0], (v - c[1]) / r[1]);
    let k = (dx * dx + dy * dy).sqrt();
    (k - 1.0) * r[0].min(r[1])
}

/// Which part of a region's box (turned with the face) a sticker sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickerSide {
    /// Centred on the box, stretched to it.
    Centre,
    /// Standing on the box's top edge (e.g. ears on the head), the image's aspect kept.
    Top,
    /// Hanging from the box's bottom edge, the image's aspect kept.
    Bottom,
}

/// Where a sticker goes on a face: on a region's box (per shape for pairs such as the eyes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StickerPlacement {
    pub anchor: Region,
    pub side: StickerSide,
    /// Centre: times the region's box. Top / bottom: the sticker's width in head widths.
    pub scale: f32,
    /// Shift in fractions of the sticker's own width and height, along the eye line and
    /// down the face.
    pub offset: [f32; 2],
}

impl StickerPlacement {
    pub fn on(anchor: Region) -> Self {
        Self {
            anchor,
            side: StickerSide::Centre,
            scale: 1.0,
            offset: [0.0; 2],
        }
    }

    fn standing_on(anchor: Region, scale: f32, offset: [f32; 2]) -> Self {
        Self {
            anchor,
            side: StickerSide::Top,
            scale,
            offset,
        }
    }

    /// `anchor` option values: `head`, `head-top`, `chin-bottom`, ...
    fn parse_anchor(&mut self, text: &str) -> Result<(), String> {
        let (name, side) = if let Some(n) = text.strip_suffix("-top") {
            (n, StickerSide::Top)
        } else if let Some(n) = text.strip_suffix("-bottom") {
            (n, StickerSide::Bottom)
        } else {
            (text, StickerSide::Centre)
        };
        self.anchor = Region::parse(name).ok_or_else(|| {
            format!(
                "anchor '{text}' is not REGION, REGION-top or REGION-bottom (regions: {})",
                region_names()
            )
        })?;
        self.side = side;
        Ok(())
    }
}

/// A sticker image with its placement.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedSticker {
    pub sticker: Arc<Sticker>,
    pub placement: StickerPlacement,
}

/// The stickers of a look: one per region (drawn where that region is covered) and extras
/// drawn on every face that gets stickers.
///
/// A face or head sticker is a base without organs; the `organ_layers` (the built-in sets'
/// eyes, nose and mouth, and every PNG given for a region inside the face) are drawn over
/// it in order where the real organs are, each only while that organ is covered. So an
/// uncovered organ shows the real one in place of the sticker's, never next to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StickerSet {
    pub stickers: BTreeMap<Region, PlacedSticker>,
    pub extras: Vec<PlacedSticker>,
    pub organ_layers: Vec<(Region, PlacedSticker)>,
}

/// The key of `stickers` items that are extras rather than a region's sticker.
pub const EXTRA: &str = "extra";

impl StickerSet {
    pub fn get(&self, region: Region) -> Option<&PlacedSticker> {
        self.stickers.get(&region)
    }

    /// Parses the `stickers` property: items `KEY=PATH.png [anchor=A] [scale=S]
    /// [offset=DX:DY]` separated by commas, KEY a region (drawn where it is covered) or
    /// `extra` (drawn on every face that gets stickers), and loads each PNG.
    pub fn from_spec(spec: &str) -> Result<Self, String> {
        let mut set = Self::default();
        for (i, item) in spec.split(',').map(str::trim).enumerate() {
            if item.is_empty() {
                continue;
            }
            let err = |e: String| format!("stickers item {} '{item}': {e}", i + 1);
            let mut words = item.split_whitespace();
            let first = words.next().unwrap_or_default();
            let (key, path) = first
                .split_once('=')
                .ok_or_else(|| err("expected REGION=PATH.png or extra=PATH.png".into()))?;
            let key = key.trim();
            let region = if key == EXTRA {
                None
            } else {
                Some(Region::parse(key).ok_or_else(|| {
                    err(format!(
                        "'{key}' is not a region (one of: {}) or '{EXTRA}'",
                        region_names()
                    ))
                })?)
            };
            let mut placement = match region {
                Some(r) => StickerPlacement::on(r),
                None => StickerPlacement::standing_on(Region::Head, 0.6, [0.0; 2]),
            };
            for word in words {
                let (name, value) = word
                    .split_once('=')
                    .ok_or_else(|| err(format!("option '{word}' is not NAME=VALUE")))?;
                match name {
                    "anchor" => placement.parse_anchor(value).map_err(err)?,
                    "scale" => {
                        placement.scale = value
                            .parse::<f32>()
                            .ok()
                            .filter(|v| v.is_finite() && *v > 0.0 && *v <= 10.0)
                            .ok_or_else(|| {
                                err(format!(
                                    "scale '{value}' is not a number above 0, at most 10"
                                ))
                            })?
                    }
                    "offset" => {
                        let parsed = value.split_once(':').and_then(|(x, y)| {
                            let (x, y) = (x.parse::<f32>().ok()?, y.parse::<f32>().ok()?);
                            (x.is_finite() && y.is_finite() && x.abs() <= 10.0 && y.abs() <= 10.0)
                                .then_some([x, y])
                        });
                        placement.offset = parsed.ok_or_else(|| {
                            err(format!(
                                "offset '{value}' is not DX:DY (fractions of the sticker's size, e.g. 0:-0.2)"
                            ))
                        })?
                    }
                    _ => {
                        return Err(err(format!(
                            "unknown option '{name}' (anchor, scale, offset)"
                        )));
                    }
                }
            }
            let placed = PlacedSticker {
                sticker: Arc::new(Sticker::load_png(Path::new(path.trim()))?),
                placement,
            };
            match region {
                Some(r) => {
                    if Region::Face.contains(r) {
                        set.organ_layers.retain(|(o, _)| *o != r);
                        set.organ_layers.push((r, placed.clone()));
                    }
                    set.stickers.insert(r, placed);
                }
                None => set.extras.push(placed),
            }
        }
        Ok(set)
    }

    /// This set with `other`'s stickers taking precedence; extras of `other` replace this
    /// set's when it has any.
    pub fn overlaid_with(&self, other: &StickerSet) -> StickerSet {
        let mut stickers = self.stickers.clone();
        stickers.extend(other.stickers.iter().map(|(r, s)| (*r, s.clone())));
        let extras = if other.extras.is_empty() {
            self.extras.clone()
        } else {
            other.extras.clone()
        };
        let mut organ_layers = self.organ_layers.clone();
        for (r, placed) in &other.organ_layers {
            organ_layers.retain(|(o, _)| o != r);
            organ_layers.push((*r, placed.clone()));
        }
        StickerSet {
            stickers,
            extras,
            organ_layers,
        }
    }
}

#[cfg(test)]
mod tests;
