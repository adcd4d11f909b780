//! Property tests of every GStreamer-free pixel path: random frame sizes (1x1 to 4K, odd
//! sides), padded strides, every layout, and shapes that touch, cross or lie outside each
//! edge. The property is the one issue 10 asks for: no panic, and nothing written outside
//! what was asked.

use proptest::prelude::*;

use super::image::{Affine, sample_nchw};
use super::view::{Frame, FrameMut, FrameRef, Layout};
use crate::attention::paint::{Painter, Rect};
use crate::face::BoundingBox;
use crate::faceocclude::{Mask, Planes, Sticker};
use crate::facequality::{FaceRegion, Weights, copy_region, score_face};

/// Mostly small frames (fast, and where edge cases live), some large, now and then 4K.
fn side(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![6 => 1usize..=24, 3 => 25usize..=700, 1 => 701usize..=max]
}

#[derive(Debug, Clone)]
struct Spec {
    layout: Layout,
    width: usize,
    height: usize,
    pad: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(Layout::ALL.to_vec()),
        side(3840),
        side(2160),
        0usize..=70,
    )
        .prop_map(|(layout, width, height, pad)| Spec {
            layout,
            width,
            height,
            pad,
        })
}

/// Planes as a decoder hands them over: rows padded by `pad` bytes, the last row without
/// its padding (the tightest buffer a frame can come in), filled with a pattern.
fn planes(s: &Spec) -> ([Vec<u8>; 3], [usize; 3]) {
    let mut planes: [Vec<u8>; 3] = Default::default();
    let mut strides = [0; 3];
    for (i, shape) in s.layout.planes(s.width, s.height).iter().enumerate() {
        strides[i] = shape.row_bytes() + s.pad;
        let len = (shape.height - 1) * strides[i] + shape.row_bytes();
        planes[i] = (0..len).map(|k| ((k * 37 + i * 11) % 251) as u8).collect();
    }
    (planes, strides)
}

fn view<'a>(s: &Spec, p: &'a [Vec<u8>; 3], strides: [usize; 3]) -> FrameRef<'a> {
    Frame::new(
        s.layout,
        s.width,
        s.height,
        [&p[0][..], &p[1][..], &p[2][..]],
        strides,
    )
    .unwrap()
}

/// A coordinate around an axis of `len` pixels: inside, on or past either edge.
fn around(len: usize) -> impl Strategy<Value = f32> {
    let l = len as f32;
    prop_oneof![
        -2.0 * l - 10.0..3.0 * l + 10.0,
        Just(-0.5f32),
        Just(0.0f32),
        Just(l - 0.5),
        Just(l),
        Just(l - 0.01),
    ]
}

fn polygon(w: usize, h: usize) -> impl Strategy<Value = Vec<[f32; 2]>> {
    prop::collection::vec((around(w), around(h)).prop_map(|(x, y)| [x, y]), 3..9)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn model_input_sampling_stays_inside_any_frame(
        s in spec(),
        cx in -500.0f32..4500.0,
        cy in -500.0f32..2700.0,
        side in 0.5f32..5000.0,
        angle in -7.0f32..7.0,
        size in 1usize..48,
        edge in 0usize..4,
    ) {
        let (p, strides) = planes(&s);
        let image = view(&s, &p, strides);
        // Put the centre on the chosen edge now and then: that is where the crash was.
        let (cx, cy) = match edge {
            0 => (cx, cy),
            1 => (cx, s.height as f32),
            2 => (s.width as f32, cy),
            _ => (s.width as f32 - 0.25, s.height as f32 - 0.25),
        };
        let mut out = vec![0.0; 3 * size * size];
        for map in [
            Affine::rotated_square(cx, cy, side, angle, size),
            Affine::rotated_square(cx, cy, side, 0.0, size),
            Affine::letterbox(s.width, s.height, size, size),
        ] {
            sample_nchw(&image, &map, size, size, 1.0 / 255.0, 0.0, -1.0, &mut out);
            prop_assert!(out.iter().all(|v| (-1.0..=1.0).contains(v)));
        }
    }

    #[test]
    fn accessors_clamp_any_coordinate(
        s in spec(),
        x in any::<usize>(),
        y in any::<usize>(),
        fx in any::<f32>(),
        fy in any::<f32>(),
    ) {
        let (p, strides) = planes(&s);
        let f = view(&s, &p, strides);
        let _ = (f.rgb(x, y), f.luma(x, y), f.chroma(x, y), f.sample(fx, fy));
        let small = |v: usize| v % (s.width + s.height + 8);
        let mut row = Vec::new();
        f.luma_row(small(y), small(x), small(x) + small(y), &mut row);
        prop_assert!(row.len() <= s.width);
        let rgb = f.to_rgb(small(x), small(y), small(x) + 9, small(y) + 9);
        prop_assert!(rgb.len() <= 9 * 9 * 3);
    }

    #[test]
    fn region_copies_and_crops_stay_inside(
        s in spec(),
        x in around(700),
        y in around(700),
        w in 0.0f32..2000.0,
        h in 0.0f32..2000.0,
        margin in 0.0f32..1.0,
    ) {
        let (p, strides) = planes(&s);
        let image = view(&s, &p, strides);
        let bbox = BoundingBox::new(x, y, w, h);
        if let Some(c) = copy_region(&image, &bbox, margin) {
            prop_assert!(c.x + c.width <= s.width && c.y + c.height <= s.height);
            let rgb = c.to_rgb().unwrap();
            prop_assert!(rgb.x + rgb.width <= s.width && rgb.y + rgb.height <= s.height);
            prop_assert_eq!(rgb.rgb.len(), c.width * c.height * 3);
        }
    }

    #[test]
    fn quality_scores_any_box(
        s in spec(),
        x in around(700),
        y in around(700),
        w in 0.0f32..3000.0,
        h in 0.0f32..3000.0,
    ) {
        let (p, strides) = planes(&s);
        let image = view(&s, &p, strides);
        let bbox = BoundingBox::new(x, y, w, h);
        let region = FaceRegion::new(&bbox, None, s.width, s.height);
        let weights = Weights::normalised(&[1.0, 1.0, 1.0, 1.0]).unwrap();
        let q = score_face(&image, &region, 112.0, &weights);
        prop_assert!(q.overall.is_finite());
    }

    #[test]
    fn occlusion_styles_write_only_masked_pixels(
        s in spec(),
        poly in polygon(700, 700),
        style in 0usize..4,
        radius in 0.0f32..120.0,
        angle in -4.0f32..4.0,
    ) {
        let (mut p, strides) = planes(&s);
        let before = p.clone();
        let mut mask = Mask::covering(s.width, s.height, &[&poly[..]]);
        mask.fill_convex(&poly, 255);
        {
            let [a, b, c] = &mut p;
            let frame = FrameMut::new(s.layout, s.width, s.height, [&mut a[..], &mut b[..], &mut c[..]], strides).unwrap();
            let mut planes = Planes::of(frame);
            match style {
                0 => planes.blur(&mask, radius),
                1 => planes.pixelate(&mask, radius.max(1.0)),
                2 => planes.fill(&mask, [10, 200, 30]),
                _ => {
                    let st = Sticker::solid(5, 7, [255, 0, 255, 255]);
                    let centre = poly[0];
                    planes.sticker(&st, centre, [radius + 1.0, radius * 0.5 + 1.0], angle, Some(&mask));
                }
            }
        }
        // First plane (luma or packed): a changed pixel lies inside the mask (or, for a
        // sticker, outside the keep mask).
        let bpp = match s.layout { Layout::Packed { bpp, .. } => bpp, _ => 1 };
        for y in 0..s.height {
            for x in 0..s.width {
                let o = y * strides[0] + x * bpp;
                if p[0][o..o + bpp] != before[0][o..o + bpp] {
                    prop_assert_eq!(mask.at(x, y) != 0, style != 3, "at {},{}", x, y);
                }
            }
        }
        // Row padding is never written.
        for (i, plane) in p.iter().enumerate() {
            let shapes = s.layout.planes(s.width, s.height);
            let Some(shape) = shapes.get(i) else { continue };
            for row in 0..shape.height.saturating_sub(1) {
                let pad = row * strides[i] + shape.row_bytes()..(row + 1) * strides[i];
                prop_assert_eq!(&plane[pad.clone()], &before[i][pad]);
            }
        }
    }

    #[test]
    fn drawing_and_painting_clip_to_the_frame(
        s in spec(),
        a in (around(700), around(700)),
        b in (around(700), around(700)),
        r in 0i64..6,
        alpha in -0.5f32..1.5,
        thick in 0.0f32..12.0,
    ) {
        let (mut p, strides) = planes(&s);
        let before = p.clone();
        {
            let [x, y, z] = &mut p;
            let mut canvas = FrameMut::new(s.layout, s.width, s.height, [&mut x[..], &mut y[..], &mut z[..]], strides).unwrap();
            canvas.rect(a.0, a.1, b.0 - a.0, b.1 - a.1, [255, 0, 0]);
            canvas.line(a, b, [0, 255, 0]);
            canvas.dot(b.0, b.1, r, [0, 0, 255]);
            let mut painter = Painter::new(&mut canvas);
            painter.fill(Rect::new(a.0, a.1, b.0 - a.0, b.1 - a.1), [9, 9, 9], alpha);
            painter.line(a, b, [200, 100, 0], thick, alpha.max(0.0) * 8.0);
        }
        for (i, plane) in p.iter().enumerate() {
            let shapes = s.layout.planes(s.width, s.height);
            let Some(shape) = shapes.get(i) else { continue };
            for row in 0..shape.height.saturating_sub(1) {
                let pad = row * strides[i] + shape.row_bytes()..(row + 1) * strides[i];
                prop_assert_eq!(&plane[pad.clone()], &before[i][pad]);
            }
        }
    }
}
