//! Stickers: RGBA images loaded from PNG files, and two built-in sets drawn by code
//! (`smiley` and `cat`), one sticker for the whole face and one per region.

use std::collections::BTreeMap;
use std::path::Path;

use super::regions::Region;

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

/// One sticker per region, possibly one for the whole face.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StickerSet {
    pub stickers: BTreeMap<Region, Sticker>,
}

impl StickerSet {
    pub fn get(&self, region: Region) -> Option<&Sticker> {
        self.stickers.get(&region)
    }

    #[cfg(test)]
    /// Names of the built-in sets.
    pub const BUILTIN: [&'static str; 2] = ["smiley", "cat"];

    /// A built-in set drawn by code: `smiley` (yellow smiley face, sunglasses, clown nose,
    /// lips, blush) or `cat` (cat head, green cat eyes, pink nose, muzzle, whisker pads).
    pub fn builtin(name: &str) -> Option<Self> {
        const S: usize = 128;
        let mut set = BTreeMap::new();
        let black = [20, 20, 20, 255];
        match name {
            "smiley" => {
                let mut face = Sticker::transparent(S);
                face.ellipse([0.5, 0.5], [0.5, 0.5], [200, 120, 0, 255]);
                face.ellipse([0.5, 0.5], [0.47, 0.47], [255, 210, 40, 255]);
                face.ellipse([0.35, 0.38], [0.07, 0.11], black);
                face.ellipse([0.65, 0.38], [0.07, 0.11], black);
                face.paint(black, |u, v| {
                    let ring = ellipse_sdf(u, v, [0.5, 0.5], [0.3, 0.3]).abs() - 0.035;
                    if v > 0.58 { ring } else { 1.0 }
                });
                set.insert(Region::Face, face);
                let mut eye = Sticker::transparent(S);
                eye.ellipse([0.5, 0.5], [0.5, 0.45], black);
                eye.ellipse([0.35, 0.35], [0.12, 0.08], [120, 120, 140, 255]);
                set.insert(Region::Eyes, eye);
                let mut brow = Sticker::transparent(S);
                brow.ellipse([0.5, 0.5], [0.5, 0.35], [70, 40, 20, 255]);
                set.insert(Region::Brows, brow);
                let mut nose = Sticker::transparent(S);
                nose.ellipse([0.5, 0.55], [0.45, 0.42], [220, 20, 30, 255]);
                nose.ellipse([0.38, 0.42], [0.1, 0.08], [255, 150, 150, 255]);
                set.insert(Region::Nose, nose);
                let mut mouth = Sticker::transparent(S);
                mouth.ellipse([0.5, 0.5], [0.5, 0.45], [200, 30, 60, 255]);
                mouth.ellipse([0.5, 0.5], [0.42, 0.05], [90, 0, 20, 255]);
                set.insert(Region::Mouth, mouth);
                let mut cheek = Sticker::transparent(S);
                cheek.ellipse([0.5, 0.5], [0.5, 0.5], [255, 120, 150, 255]);
                set.insert(Region::Cheeks, cheek);
                let mut forehead = Sticker::transparent(S);
                forehead.ellipse([0.5, 0.5], [0.5, 0.5], [40, 90, 220, 255]);
                forehead.ellipse([0.5, 0.5], [0.12, 0.2], [255, 255, 255, 255]);
                set.insert(Region::Forehead, forehead);
                let mut chin = Sticker::transparent(S);
                chin.ellipse([0.5, 0.5], [0.5, 0.5], [110, 70, 40, 255]);
                set.insert(Region::Chin, chin);
            }
            "cat" => {
                let fur = [240, 140, 40, 255];
                let white = [250, 245, 235, 255];
                let pink = [250, 150, 170, 255];
                let mut face = Sticker::transparent(S);
                face.paint(fur, |u, v| {
                    triangle_sdf(u, v, [[0.08, 0.45], [0.18, 0.0], [0.42, 0.2]])
                });
                face.paint(fur, |u, v| {
                    triangle_sdf(u, v, [[0.58, 0.2], [0.82, 0.0], [0.92, 0.45]])
                });
                face.ellipse([0.5, 0.56], [0.48, 0.44], fur);
                face.ellipse([0.5, 0.74], [0.22, 0.15], white);
                face.ellipse([0.33, 0.48], [0.09, 0.07], [90, 200, 60, 255]);
                face.ellipse([0.67, 0.48], [0.09, 0.07], [90, 200, 60, 255]);
                face.ellipse([0.33, 0.48], [0.02, 0.065], black);
                face.ellipse([0.67, 0.48], [0.02, 0.065], black);
                face.paint(pink, |u, v| {
                    triangle_sdf(u, v, [[0.44, 0.62], [0.56, 0.62], [0.5, 0.69]])
                });
                set.insert(Region::Face, face);
                let mut eye = Sticker::transparent(S);
                eye.ellipse([0.5, 0.5], [0.5, 0.45], black);
                eye.ellipse([0.5, 0.5], [0.42, 0.36], [90, 200, 60, 255]);
                eye.ellipse([0.5, 0.5], [0.08, 0.34], black);
                set.insert(Region::Eyes, eye);
                let mut brow = Sticker::transparent(S);
                brow.ellipse([0.5, 0.5], [0.5, 0.4], fur);
                set.insert(Region::Brows, brow);
                let mut nose = Sticker::transparent(S);
                nose.ellipse([0.5, 0.5], [0.5, 0.5], fur);
                nose.paint(pink, |u, v| {
                    triangle_sdf(u, v, [[0.2, 0.5], [0.8, 0.5], [0.5, 0.85]])
                });
                set.insert(Region::Nose, nose);
                let mut mouth = Sticker::transparent(S);
                mouth.ellipse([0.5, 0.5], [0.5, 0.48], white);
                mouth.paint(black, |u, v| {
                    let a = ellipse_sdf(u, v, [0.36, 0.4], [0.14, 0.14]).abs() - 0.025;
                    let b = ellipse_sdf(u, v, [0.64, 0.4], [0.14, 0.14]).abs() - 0.025;
                    if v > 0.4 { a.min(b) } else { 1.0 }
                });
                set.insert(Region::Mouth, mouth);
                let mut cheek = Sticker::transparent(S);
                cheek.ellipse([0.5, 0.5], [0.5, 0.5], white);
                for (x, y) in [(0.35, 0.4), (0.55, 0.45), (0.4, 0.62), (0.62, 0.66)] {
                    cheek.ellipse([x, y], [0.05, 0.05], black);
                }
                set.insert(Region::Cheeks, cheek);
                let mut forehead = Sticker::transparent(S);
                forehead.ellipse([0.5, 0.5], [0.5, 0.5], fur);
                for x in [0.35, 0.5, 0.65] {
                    forehead.ellipse([x, 0.35], [0.04, 0.2], [160, 80, 20, 255]);
                }
                set.insert(Region::Forehead, forehead);
                let mut chin = Sticker::transparent(S);
                chin.ellipse([0.5, 0.5], [0.5, 0.5], white);
                set.insert(Region::Chin, chin);
            }
            _ => return None,
        }
        Some(Self { stickers: set })
    }

    /// Parses `"face=/a.png, eyes=/b.png"` and loads each PNG.
    pub fn from_spec(spec: &str) -> Result<Self, String> {
        let mut stickers = BTreeMap::new();
        for (i, item) in spec.split(',').map(str::trim).enumerate() {
            if item.is_empty() {
                continue;
            }
            let (region, path) = item.split_once('=').ok_or_else(|| {
                format!("stickers item {} '{item}': expected REGION=PATH.png", i + 1)
            })?;
            let region = Region::parse(region.trim()).ok_or_else(|| {
                format!(
                    "stickers item {} '{item}': '{}' is not a region (one of: {})",
                    i + 1,
                    region.trim(),
                    super::regions::region_names()
                )
            })?;
            stickers.insert(region, Sticker::load_png(Path::new(path.trim()))?);
        }
        Ok(Self { stickers })
    }

    /// This set with `other`'s stickers taking precedence.
    pub fn overlaid_with(&self, other: &StickerSet) -> StickerSet {
        let mut stickers = self.stickers.clone();
        stickers.extend(other.stickers.iter().map(|(r, s)| (*r, s.clone())));
        StickerSet { stickers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_sets_have_every_region_and_mostly_opaque_centres() {
        for name in StickerSet::BUILTIN {
            let set = StickerSet::builtin(name).unwrap();
            for r in Region::ALL {
                let st = set.get(r).unwrap_or_else(|| panic!("{name} lacks {r:?}"));
                assert_eq!(st.sample(0.5, 0.55)[3].round(), 255.0, "{name} {r:?}");
                // Corners of round stickers stay transparent.
                assert!(st.sample(0.01, 0.99)[3] < 10.0, "{name} {r:?}");
            }
        }
        assert!(StickerSet::builtin("dog").is_none());
    }

    #[test]
    fn png_round_trip_and_spec_errors() {
        let dir = std::env::temp_dir().join(format!("facekit-stickers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.png");
        let img = image::RgbaImage::from_fn(4, 2, |x, _| image::Rgba([x as u8 * 60, 0, 0, 255]));
        img.save(&path).unwrap();
        let set = StickerSet::from_spec(&format!("mouth={}", path.display())).unwrap();
        let st = set.get(Region::Mouth).unwrap();
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
