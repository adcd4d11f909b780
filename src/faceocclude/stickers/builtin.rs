//! The built-in sticker sets, drawn by code: `smiley`, `cat`, `panda`, `bunny`.

use std::sync::Arc;

use super::{PlacedSticker, Sticker, StickerPlacement, StickerSet, ellipse_sdf};
use crate::faceocclude::regions::Region;

impl StickerSet {
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
                put(Region::Neck, neck([255, 210, 40, 255], [220, 30, 40, 255]));
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
                put(Region::Neck, neck(FUR, [40, 120, 220, 255]));
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
                put(Region::Neck, neck(WHITE, [40, 160, 60, 255]));
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
                put(Region::Neck, neck(BUNNY, [240, 120, 170, 255]));
                set.extras.push(PlacedSticker {
                    sticker: Arc::new(rabbit_ears()),
                    // Half as wide as the head, the ears' roots sunk into the hair.
                    placement: StickerPlacement::standing_on(Region::Head, 0.62, [0.0, 0.22]),
                });
            }
            _ => return None,
        }
        set.organ_layers = organ_layers(name);
        if name == "panda" {
            // Covering the face, the panda still covers the whole head.
            if let Some(face) = set.stickers.get_mut(&Region::Face) {
                face.placement.anchor = Region::Head;
            }
        }
        Some(set)
    }
}

/// The organs drawn over a set's face / head base (which has none) where the face's own
/// are, in drawing order: mouth, nose, eyes.
fn organ_layers(name: &str) -> Vec<(Region, PlacedSticker)> {
    let layer = |r: Region, st: Sticker, scale: f32, offset: [f32; 2]| {
        let mut placement = StickerPlacement::on(r);
        placement.scale = scale;
        placement.offset = offset;
        (
            r,
            PlacedSticker {
                sticker: Arc::new(st),
                placement,
            },
        )
    };
    let small_nose = |rgba: [u8; 4]| {
        let mut nose = Sticker::transparent(S);
        nose.paint(rgba, |u, v| {
            triangle_sdf(u, v, [[0.2, 0.3], [0.8, 0.3], [0.5, 0.75]]) - 0.04
        });
        nose
    };
    match name {
        "smiley" => {
            let mut smile = Sticker::transparent(S);
            smile.paint(BLACK, |u, v| {
                let ring = ellipse_sdf(u, v, [0.5, 0.2], [0.45, 0.45]).abs() - 0.05;
                if v > 0.4 { ring } else { 1.0 }
            });
            vec![
                layer(Region::Mouth, smile, 1.2, [0.0, 0.0]),
                layer(
                    Region::Eyes,
                    ellipse_sticker([0.22, 0.42], BLACK),
                    1.3,
                    [0.0; 2],
                ),
            ]
        }
        "cat" => {
            let mut eye = ellipse_sticker([0.5, 0.45], BLACK);
            eye.ellipse([0.5, 0.5], [0.42, 0.36], [90, 200, 60, 255]);
            eye.ellipse([0.5, 0.5], [0.08, 0.34], BLACK);
            vec![
                layer(Region::Mouth, muzzle(WHITE), 1.15, [0.0, -0.05]),
                layer(Region::Nose, small_nose(PINK), 0.6, [0.0, 0.4]),
                layer(Region::Eyes, eye, 1.15, [0.0; 2]),
            ]
        }
        "panda" => {
            let mut eye = ellipse_sticker([0.5, 0.45], BLACK);
            eye.ellipse([0.55, 0.5], [0.2, 0.2], WHITE);
            eye.ellipse([0.57, 0.52], [0.1, 0.1], BLACK);
            vec![
                layer(Region::Mouth, muzzle(WHITE), 1.0, [0.0, 0.0]),
                layer(Region::Nose, small_nose(BLACK), 0.6, [0.0, 0.4]),
                layer(Region::Eyes, eye, 1.3, [0.0; 2]),
            ]
        }
        "bunny" => {
            let mut mouth = Sticker::transparent(S);
            mouth.paint(BLACK, |u, v| {
                let a = ellipse_sdf(u, v, [0.36, 0.3], [0.14, 0.14]).abs() - 0.025;
                let b = ellipse_sdf(u, v, [0.64, 0.3], [0.14, 0.14]).abs() - 0.025;
                if v > 0.3 { a.min(b) } else { 1.0 }
            });
            mouth.paint(WHITE, |u, v| {
                let teeth = (u - 0.5).abs() - 0.1;
                if v > 0.45 && v < 0.7 { teeth } else { 1.0 }
            });
            let mut nose = small_nose(PINK);
            // Whiskers from beside the nose out to the layer's edges.
            for side in [-1.0f32, 1.0] {
                for dy in [-0.1f32, 0.1] {
                    let (a, b) = ([0.5 + side * 0.25, 0.45], [0.5 + side * 0.5, 0.45 + dy]);
                    nose.paint([90, 90, 90, 255], move |u, v| {
                        segment_sdf(u, v, a, b) - 0.01
                    });
                }
            }
            vec![
                layer(Region::Mouth, mouth, 1.0, [0.0, 0.0]),
                layer(Region::Nose, nose, 0.8, [0.0, 0.3]),
                layer(Region::Eyes, disc_with(BLACK, WHITE), 0.8, [0.0; 2]),
            ]
        }
        _ => Vec::new(),
    }
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

/// The neck: a rounded column of the animal's `body` colour (so it covers the whole neck,
/// no blurred backdrop beside it) with a bow tie under the chin.
fn neck(body: [u8; 4], tie: [u8; 4]) -> Sticker {
    let mut st = Sticker::transparent(S);
    st.paint(body, |u, v| {
        let (dx, dy) = ((u - 0.5).abs() / 0.5, (v - 0.5).abs() / 0.5);
        ((dx.powi(4) + dy.powi(4)).powf(0.25) - 1.0) * 0.5
    });
    // The bow tie just below the chin (the column's top reaches up under the face):
    // (u, v) of the tie's own square mapped there.
    let (tu, tv) = (|u: f32| (u - 0.12) / 0.76, |v: f32| (v - 0.44) / 0.36);
    st.paint(tie, move |u, v| {
        triangle_sdf(tu(u), tv(v), [[0.02, 0.2], [0.5, 0.5], [0.02, 0.8]]) * 0.36
    });
    st.paint(tie, move |u, v| {
        triangle_sdf(tu(u), tv(v), [[0.98, 0.8], [0.5, 0.5], [0.98, 0.2]]) * 0.36
    });
    st.ellipse([0.5, 0.62], [0.09, 0.05], tie);
    st
}

/// A yellow disc with a darker rim; eyes, nose and mouth are the organ layers.
fn smiley_face() -> Sticker {
    let mut face = Sticker::transparent(S);
    face.ellipse([0.5, 0.5], [0.5, 0.5], [200, 120, 0, 255]);
    face.ellipse([0.5, 0.5], [0.47, 0.47], [255, 210, 40, 255]);
    face
}

/// A cat's head with its ears; eyes, nose and muzzle are the organ layers.
fn cat_face() -> Sticker {
    let mut face = Sticker::transparent(S);
    face.paint(FUR, |u, v| {
        triangle_sdf(u, v, [[0.08, 0.45], [0.18, 0.0], [0.42, 0.2]])
    });
    face.paint(FUR, |u, v| {
        triangle_sdf(u, v, [[0.58, 0.2], [0.82, 0.0], [0.92, 0.45]])
    });
    face.paint(PINK, |u, v| {
        triangle_sdf(u, v, [[0.15, 0.35], [0.2, 0.08], [0.34, 0.22]])
    });
    face.paint(PINK, |u, v| {
        triangle_sdf(u, v, [[0.66, 0.22], [0.8, 0.08], [0.85, 0.35]])
    });
    face.ellipse([0.5, 0.56], [0.48, 0.44], FUR);
    face
}

/// A panda head: white round head (filling the square up to a little below its top, where
/// the round black ears stick out); eye patches, nose and mouth are the organ layers.
fn panda_head() -> Sticker {
    let mut head = Sticker::transparent(S);
    head.ellipse([0.17, 0.17], [0.15, 0.15], BLACK);
    head.ellipse([0.83, 0.17], [0.15, 0.15], BLACK);
    head.ellipse([0.5, 0.55], [0.5, 0.45], [60, 60, 60, 255]);
    head.ellipse([0.5, 0.55], [0.48, 0.43], WHITE);
    head
}

/// A bunny's round face; eyes, nose and mouth are the organ layers.
fn bunny_face() -> Sticker {
    let mut face = Sticker::transparent(S);
    face.ellipse([0.5, 0.5], [0.5, 0.5], [200, 190, 190, 255]);
    face.ellipse([0.5, 0.5], [0.48, 0.48], BUNNY);
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
