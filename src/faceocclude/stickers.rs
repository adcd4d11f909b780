//! Stickers: RGBA images loaded from PNG files, and built-in sets drawn by code (`smiley`,
//! `cat`, `panda`, `bunny`): one sticker per region (the `face` / `head` one covers the whole
//! face or head), each with a [`StickerPlacement`] (anchor, scale, offset), plus extras such as
//! rabbit ears standing on top of the head.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::regions::{Region, region_names};

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

fn triangle_sdf(u: f32, v: f32, t: [[f32; 2]; 3]) -> f32 {
    // Max of the signed distances to the three edges (inside negative), counter-clockwise.
    let mut d = f32::MIN;
    for i in 0..3 {
        let (a, b) = (t[i], t[(i + 1) % 3]);
        let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
        let len = (ex * ex + ey * ey).sqrt().max(1e-6);
        d = d.max(((u - a[0]) * ey - (v - a[1]) * ex) / len);
    }
    d
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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StickerSet {
    pub stickers: BTreeMap<Region, PlacedSticker>,
    pub extras: Vec<PlacedSticker>,
}

/// The key of `stickers` items that are extras rather than a region's sticker.
pub const EXTRA: &str = "extra";

impl StickerSet {
    pub fn get(&self, region: Region) -> Option<&PlacedSticker> {
        self.stickers.get(&region)
    }

    /// Names of the built-in sets.
    pub const BUILTIN: [&'static str; 4] = ["smiley", "cat", "panda", "bunny"];

    /// A built-in set drawn by code: `smiley` (yellow smiley face, sunglasses, clown nose,
    /// lips, blush), `cat` (cat head, green cat eyes, pink nose, muzzle, whisker pads),
    /// `panda` (a panda head over the whole head, ears past the hair) and `bunny` (a bunny
    /// face with rabbit ears standing on the head).
    pub fn builtin(name: &str) -> Option<Self> {
        let mut set = Self::default();
        let mut put = |r: Region, st: Sticker| {
            set.stickers.insert(
                r,
                PlacedSticker {
                    sticker: Arc::new(st),
                    placement: StickerPlacement::on(r),
                },
            );
        };
        match name {
            "smiley" => {
                let face = smiley_face();
                put(Region::Face, face.clone());
                put(Region::Head, face);
                put(Region::Eyes, disc_with(BLACK, [120, 120, 140, 255]));
                put(
                    Region::Brows,
                    ellipse_sticker([0.5, 0.35], [70, 40, 20, 255]),
                );
                let mut nose = Sticker::transparent(S);
                nose.ellipse([0.5, 0.55], [0.45, 0.42], [220, 20, 30, 255]);
                nose.ellipse([0.38, 0.42], [0.1, 0.08], [255, 150, 150, 255]);
                put(Region::Nose, nose);
                put(Region::Mouth, lips([200, 30, 60, 255], [90, 0, 20, 255]));
                put(
                    Region::Cheeks,
                    ellipse_sticker([0.5, 0.5], [255, 120, 150, 255]),
                );
                let mut forehead = ellipse_sticker([0.5, 0.5], [40, 90, 220, 255]);
                forehead.ellipse([0.5, 0.5], [0.12, 0.2], [255, 255, 255, 255]);
                put(Region::Forehead, forehead);
                put(
                    Region::Chin,
                    ellipse_sticker([0.5, 0.5], [110, 70, 40, 255]),
                );
                let mut ear = ellipse_sticker([0.5, 0.5], [200, 120, 0, 255]);
                ear.ellipse([0.5, 0.5], [0.42, 0.45], [255, 210, 40, 255]);
                put(Region::Ears, ear);
                put(Region::Neck, bow_tie([220, 30, 40, 255]));
            }
            "cat" => {
                let face = cat_face();
                put(Region::Face, face.clone());
                put(Region::Head, face);
                let mut eye = ellipse_sticker([0.5, 0.45], BLACK);
                eye.ellipse([0.5, 0.5], [0.42, 0.36], [90, 200, 60, 255]);
                eye.ellipse([0.5, 0.5], [0.08, 0.34], BLACK);
                put(Region::Eyes, eye);
                put(Region::Brows, ellipse_sticker([0.5, 0.4], FUR));
                let mut nose = ellipse_sticker([0.5, 0.5], FUR);
                nose.paint(PINK, |u, v| {
                    triangle_sdf(u, v, [[0.2, 0.5], [0.8, 0.5], [0.5, 0.85]])
                });
                put(Region::Nose, nose);
                put(Region::Mouth, muzzle(WHITE));
                let mut cheek = ellipse_sticker([0.5, 0.5], WHITE);
                for (x, y) in [(0.35, 0.4), (0.55, 0.45), (0.4, 0.62), (0.62, 0.66)] {
                    cheek.ellipse([x, y], [0.05, 0.05], BLACK);
                }
                put(Region::Cheeks, cheek);
                let mut forehead = ellipse_sticker([0.5, 0.5], FUR);
                for x in [0.35, 0.5, 0.65] {
                    forehead.ellipse([x, 0.35], [0.04, 0.2], [160, 80, 20, 255]);
                }
                put(Region::Forehead, forehead);
                put(Region::Chin, ellipse_sticker([0.5, 0.5], WHITE));
                let mut ear = Sticker::transparent(S);
                ear.paint(FUR, |u, v| {
                    triangle_sdf(u, v, [[0.05, 0.95], [0.5, 0.02], [0.95, 0.95]])
                });
                ear.paint(PINK, |u, v| {
                    triangle_sdf(u, v, [[0.25, 0.85], [0.5, 0.3], [0.75, 0.85]])
                });
                put(Region::Ears, ear);
                put(Region::Neck, bow_tie([40, 120, 220, 255]));
            }
            "panda" => {
                let head = panda_head();
                put(Region::Face, head.clone());
                put(Region::Head, head);

                let mut eye = ellipse_sticker([0.5, 0.45], BLACK);
                eye.ellipse([0.55, 0.5], [0.2, 0.2], WHITE);
                eye.ellipse([0.57, 0.52], [0.1, 0.1], BLACK);
                put(Region::Eyes, eye);
                put(Region::Brows, ellipse_sticker([0.5, 0.4], WHITE));
                put(Region::Nose, ellipse_sticker([0.5, 0.4], BLACK));
                put(Region::Mouth, muzzle(WHITE));
                put(
                    Region::Cheeks,
                    ellipse_sticker([0.5, 0.5], [250, 190, 200, 255]),
                );
                put(Region::Forehead, ellipse_sticker([0.5, 0.5], WHITE));
                put(Region::Chin, ellipse_sticker([0.5, 0.5], WHITE));
                put(Region::Ears, ellipse_sticker([0.5, 0.5], BLACK));
                put(Region::Neck, bow_tie([40, 160, 60, 255]));
            }
            "bunny" => {
                let face = bunny_face();
                put(Region::Face, face.clone());
                put(Region::Head, face);
                let mut eye = ellipse_sticker([0.5, 0.45], BLACK);
                eye.ellipse([0.4, 0.35], [0.12, 0.1], WHITE);
                put(Region::Eyes, eye);
                put(Region::Brows, ellipse_sticker([0.5, 0.4], BUNNY));
                let mut nose = ellipse_sticker([0.5, 0.5], BUNNY);
                nose.ellipse([0.5, 0.45], [0.25, 0.18], PINK);
                put(Region::Nose, nose);
                let mut mouth = muzzle(BUNNY);
                mouth.paint(WHITE, |u, v| {
                    let teeth = (u - 0.5).abs() - 0.1;
                    if v > 0.45 && v < 0.8 { teeth } else { 1.0 }
                });
                put(Region::Mouth, mouth);
                put(
                    Region::Cheeks,
                    ellipse_sticker([0.5, 0.5], [250, 190, 200, 255]),
                );
                put(Region::Forehead, ellipse_sticker([0.5, 0.5], BUNNY));
                put(Region::Chin, ellipse_sticker([0.5, 0.5], BUNNY));
                let mut ear = ellipse_sticker([0.5, 0.5], BUNNY);
                ear.ellipse([0.5, 0.5], [0.3, 0.38], PINK);
                put(Region::Ears, ear);
                put(Region::Neck, bow_tie([240, 120, 170, 255]));
                set.extras.push(PlacedSticker {
                    sticker: Arc::new(rabbit_ears()),
                    // Half as wide as the head, the ears' roots sunk into the hair.
                    placement: StickerPlacement::standing_on(Region::Head, 0.62, [0.0, 0.22]),
                });
            }
            _ => return None,
        }
        if name == "panda" {
            // Covering the face, the panda still covers the whole head.
            if let Some(face) = set.stickers.get_mut(&Region::Face) {
                face.placement.anchor = Region::Head;
            }
        }
        Some(set)
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
        StickerSet { stickers, extras }
    }
}

/// StickerSide of the built-in stickers' square images.
const S: usize = 128;
const BLACK: [u8; 4] = [20, 20, 20, 255];
const WHITE: [u8; 4] = [250, 245, 235, 255];
const FUR: [u8; 4] = [240, 140, 40, 255];
const PINK: [u8; 4] = [250, 150, 170, 255];
const BUNNY: [u8; 4] = [245, 240, 238, 255];

/// A centred ellipse of radii `r` (normalised), the rest transparent.
fn ellipse_sticker(r: [f32; 2], rgba: [u8; 4]) -> Sticker {
    let mut st = Sticker::transparent(S);
    st.ellipse([0.5, 0.5], r, rgba);
    st
}

/// Distance (normalised units) to the segment `a`-`b`.
fn segment_sdf(u: f32, v: f32, a: [f32; 2], b: [f32; 2]) -> f32 {
    let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
    let t = (((u - a[0]) * ex + (v - a[1]) * ey) / (ex * ex + ey * ey).max(1e-9)).clamp(0.0, 1.0);
    ((u - a[0] - t * ex).powi(2) + (v - a[1] - t * ey).powi(2)).sqrt()
}

fn disc_with(dark: [u8; 4], glint: [u8; 4]) -> Sticker {
    let mut eye = ellipse_sticker([0.5, 0.45], dark);
    eye.ellipse([0.35, 0.35], [0.12, 0.08], glint);
    eye
}

fn lips(outer: [u8; 4], line: [u8; 4]) -> Sticker {
    let mut mouth = ellipse_sticker([0.5, 0.45], outer);
    mouth.ellipse([0.5, 0.5], [0.42, 0.05], line);
    mouth
}

fn muzzle(fill: [u8; 4]) -> Sticker {
    let mut mouth = ellipse_sticker([0.5, 0.48], fill);
    mouth.paint(BLACK, |u, v| {
        let a = ellipse_sdf(u, v, [0.36, 0.4], [0.14, 0.14]).abs() - 0.025;
        let b = ellipse_sdf(u, v, [0.64, 0.4], [0.14, 0.14]).abs() - 0.025;
        if v > 0.4 { a.min(b) } else { 1.0 }
    });
    mouth
}

fn bow_tie(rgba: [u8; 4]) -> Sticker {
    let mut tie = Sticker::transparent(S);
    tie.paint(rgba, |u, v| {
        triangle_sdf(u, v, [[0.02, 0.2], [0.5, 0.5], [0.02, 0.8]])
    });
    tie.paint(rgba, |u, v| {
        triangle_sdf(u, v, [[0.98, 0.8], [0.5, 0.5], [0.98, 0.2]])
    });
    tie.ellipse([0.5, 0.5], [0.12, 0.14], rgba);
    tie
}

fn smiley_face() -> Sticker {
    let mut face = Sticker::transparent(S);
    face.ellipse([0.5, 0.5], [0.5, 0.5], [200, 120, 0, 255]);
    face.ellipse([0.5, 0.5], [0.47, 0.47], [255, 210, 40, 255]);
    face.ellipse([0.35, 0.38], [0.07, 0.11], BLACK);
    face.ellipse([0.65, 0.38], [0.07, 0.11], BLACK);
    face.paint(BLACK, |u, v| {
        let ring = ellipse_sdf(u, v, [0.5, 0.5], [0.3, 0.3]).abs() - 0.035;
        if v > 0.58 { ring } else { 1.0 }
    });
    face
}

fn cat_face() -> Sticker {
    let mut face = Sticker::transparent(S);
    face.paint(FUR, |u, v| {
        triangle_sdf(u, v, [[0.08, 0.45], [0.18, 0.0], [0.42, 0.2]])
    });
    face.paint(FUR, |u, v| {
        triangle_sdf(u, v, [[0.58, 0.2], [0.82, 0.0], [0.92, 0.45]])
    });
    face.ellipse([0.5, 0.56], [0.48, 0.44], FUR);
    face.ellipse([0.5, 0.74], [0.22, 0.15], WHITE);
    face.ellipse([0.33, 0.48], [0.09, 0.07], [90, 200, 60, 255]);
    face.ellipse([0.67, 0.48], [0.09, 0.07], [90, 200, 60, 255]);
    face.ellipse([0.33, 0.48], [0.02, 0.065], BLACK);
    face.ellipse([0.67, 0.48], [0.02, 0.065], BLACK);
    face.paint(PINK, |u, v| {
        triangle_sdf(u, v, [[0.44, 0.62], [0.56, 0.62], [0.5, 0.69]])
    });
    face
}

/// A panda head: white round head (filling the square up to a little below its top, where
/// the round black ears stick out), black eye patches, black nose, a mouth line.
fn panda_head() -> Sticker {
    let mut head = Sticker::transparent(S);
    head.ellipse([0.17, 0.17], [0.15, 0.15], BLACK);
    head.ellipse([0.83, 0.17], [0.15, 0.15], BLACK);
    head.ellipse([0.5, 0.55], [0.5, 0.45], [60, 60, 60, 255]);
    head.ellipse([0.5, 0.55], [0.48, 0.43], WHITE);
    for x in [0.34, 0.66] {
        head.ellipse([x, 0.52], [0.11, 0.13], BLACK);
        head.ellipse([x + (0.5 - x) * 0.15, 0.5], [0.04, 0.04], WHITE);
        head.ellipse([x + (0.5 - x) * 0.15, 0.5], [0.02, 0.02], BLACK);
    }
    head.ellipse([0.5, 0.68], [0.07, 0.045], BLACK);
    head.paint(BLACK, |u, v| {
        let a = ellipse_sdf(u, v, [0.45, 0.72], [0.05, 0.05]).abs() - 0.012;
        let b = ellipse_sdf(u, v, [0.55, 0.72], [0.05, 0.05]).abs() - 0.012;
        if v > 0.72 { a.min(b) } else { 1.0 }
    });
    head
}

fn bunny_face() -> Sticker {
    let mut face = Sticker::transparent(S);
    face.ellipse([0.5, 0.5], [0.5, 0.5], [200, 190, 190, 255]);
    face.ellipse([0.5, 0.5], [0.48, 0.48], BUNNY);
    for x in [0.34, 0.66] {
        face.ellipse([x, 0.42], [0.06, 0.08], BLACK);
        face.ellipse([x - 0.02, 0.4], [0.02, 0.025], WHITE);
        face.ellipse([x, 0.6], [0.1, 0.06], [250, 190, 200, 255]);
    }
    face.ellipse([0.5, 0.58], [0.06, 0.04], PINK);
    for side in [-1.0f32, 1.0] {
        for dy in [-0.05f32, 0.05] {
            let (a, b) = ([0.5 + side * 0.1, 0.6], [0.5 + side * 0.42, 0.6 + dy]);
            face.paint([90, 90, 90, 255], move |u, v| {
                segment_sdf(u, v, a, b) - 0.007
            });
        }
    }
    face.paint(WHITE, |u, v| {
        let teeth = (u - 0.5).abs() - 0.045;
        if v > 0.64 && v < 0.74 { teeth } else { 1.0 }
    });
    face
}

/// Two tall rabbit ears side by side, roots at the bottom edge, slightly splayed.
fn rabbit_ears() -> Sticker {
    let mut ears = Sticker::solid(S, 2 * S, [0, 0, 0, 0]);
    // Normalised units: u across (0..1), v down (0..1 over twice the width).
    for (cx, tilt) in [(0.3f32, -0.12f32), (0.7, 0.12)] {
        let outer = move |u: f32, v: f32, rx: f32, ry: f32| {
            // An ellipse leaning outwards by `tilt` (radians), centred at (cx, 0.5).
            let (s, c) = tilt.sin_cos();
            let (dx, dy) = ((u - cx) * 2.0, v - 0.5);
            let (a, b) = (dx * c + dy * s, -dx * s + dy * c);
            ((a / rx).powi(2) + (b / ry).powi(2)).sqrt() - 1.0
        };
        ears.paint([200, 190, 190, 255], move |u, v| {
            outer(u, v, 0.4, 0.5) * 0.1
        });
        ears.paint(BUNNY, move |u, v| outer(u, v, 0.36, 0.48) * 0.1);
        ears.paint(PINK, move |u, v| outer(u, v, 0.18, 0.38) * 0.1);
    }
    ears
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_sets_have_every_region_and_mostly_opaque_centres() {
        for name in StickerSet::BUILTIN {
            let set = StickerSet::builtin(name).unwrap();
            for r in Region::ALL {
                let st = &set
                    .get(r)
                    .unwrap_or_else(|| panic!("{name} lacks {r:?}"))
                    .sticker;
                assert_eq!(st.sample(0.5, 0.55)[3].round(), 255.0, "{name} {r:?}");
                // Corners of round stickers stay transparent.
                assert!(st.sample(0.01, 0.99)[3] < 10.0, "{name} {r:?}");
            }
        }
        assert!(StickerSet::builtin("dog").is_none());
        // The bunny's ears stand on the head: opaque low in the middle of each ear, clear
        // between them at the top.
        let bunny = StickerSet::builtin("bunny").unwrap();
        let ears = &bunny.extras[0];
        assert_eq!(ears.placement.side, StickerSide::Top);
        assert_eq!(ears.placement.anchor, Region::Head);
        assert!(ears.sticker.sample(0.3, 0.5)[3] > 250.0);
        assert!(ears.sticker.sample(0.5, 0.05)[3] < 10.0);
        // The panda covers the face with a whole head.
        let panda = StickerSet::builtin("panda").unwrap();
        assert_eq!(
            panda.get(Region::Face).unwrap().sticker,
            panda.get(Region::Head).unwrap().sticker
        );
    }

    #[test]
    fn spec_options_place_stickers_and_name_bad_entries() {
        let dir = std::env::temp_dir().join(format!("facekit-stickers-opt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("e.png");
        image::RgbaImage::from_pixel(2, 4, image::Rgba([1, 2, 3, 255]))
            .save(&path)
            .unwrap();
        let p = path.display();
        let set = StickerSet::from_spec(&format!(
            "extra={p} anchor=head-top scale=0.8 offset=0:0.25, face={p} anchor=head, neck={p}"
        ))
        .unwrap();
        let extra = set.extras[0].placement;
        assert_eq!((extra.anchor, extra.side), (Region::Head, StickerSide::Top));
        assert_eq!((extra.scale, extra.offset), (0.8, [0.0, 0.25]));
        let face = set.get(Region::Face).unwrap().placement;
        assert_eq!(
            (face.anchor, face.side),
            (Region::Head, StickerSide::Centre)
        );
        assert_eq!(
            set.get(Region::Neck).unwrap().placement,
            StickerPlacement::on(Region::Neck)
        );
        for (spec, says) in [
            (format!("extra={p} anchor=hat-top"), "item 1 'extra="),
            (
                format!("extra={p} anchor=hat-top"),
                "anchor 'hat-top' is not REGION",
            ),
            (format!("face={p}, extra={p} scale=0"), "item 2"),
            (
                format!("extra={p} scale=big"),
                "scale 'big' is not a number",
            ),
            (format!("extra={p} offset=0.2"), "offset '0.2' is not DX:DY"),
            (format!("extra={p} tilt=3"), "unknown option 'tilt'"),
            (
                format!("extra={p} anchor"),
                "option 'anchor' is not NAME=VALUE",
            ),
            ("hat=/x.png".to_string(), "'hat' is not a region"),
        ] {
            let e = StickerSet::from_spec(&spec).unwrap_err();
            assert!(e.contains(says), "{spec}: {e}");
        }
        // PNG extras replace the built-in set's; region PNGs take precedence.
        let bunny = StickerSet::builtin("bunny").unwrap().overlaid_with(&set);
        assert_eq!(bunny.extras.len(), 1);
        assert_eq!(bunny.extras[0].sticker.width, 2);
        assert_eq!(bunny.get(Region::Face).unwrap().sticker.width, 2);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn png_round_trip_and_spec_errors() {
        let dir = std::env::temp_dir().join(format!("facekit-stickers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.png");
        let img = image::RgbaImage::from_fn(4, 2, |x, _| image::Rgba([x as u8 * 60, 0, 0, 255]));
        img.save(&path).unwrap();
        let set = StickerSet::from_spec(&format!("mouth={}", path.display())).unwrap();
        let st = &set.get(Region::Mouth).unwrap().sticker;
        assert_eq!((st.width, st.height), (4, 2));
        assert_eq!(st.rgba[4], 60);
        let e = StickerSet::from_spec("lips=/x.png").unwrap_err();
        assert!(e.contains("'lips' is not a region"), "{e}");
        let e =
            StickerSet::from_spec(&format!("eyes={}", dir.join("none.png").display())).unwrap_err();
        assert!(e.contains("cannot open sticker"), "{e}");
        std::fs::write(dir.join("bad.png"), b"not a png").unwrap();
        let e =
            StickerSet::from_spec(&format!("eyes={}", dir.join("bad.png").display())).unwrap_err();
        assert!(e.contains("not a readable PNG"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
