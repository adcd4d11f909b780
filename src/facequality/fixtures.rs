//! Test images and faces shared by the core's unit tests.

use crate::face::{BoundingBox, LandmarkScheme, Landmarks, MESH_FACE_OVAL, MESH_MIDLINE};
use crate::frame::image::{ImageView, Layout};

/// A grey test card: vertical stripes (period `period` px) of contrast `amp` around 128,
/// `w` x `h` RGB.
pub(crate) fn stripes(w: usize, h: usize, period: usize, amp: f32) -> Vec<u8> {
    let mut v = Vec::with_capacity(w * h * 3);
    for _y in 0..h {
        for x in 0..w {
            let on = (x / period.max(1)).is_multiple_of(2);
            let g = (128.0 + if on { amp } else { -amp }).clamp(0.0, 255.0) as u8;
            v.extend_from_slice(&[g, g, g]);
        }
    }
    v
}

pub(crate) fn box_blur(w: usize, h: usize, data: &[u8], radius: usize) -> Vec<u8> {
    let mut out = data.to_vec();
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let (mut s, mut n) = (0u32, 0u32);
                for xx in x.saturating_sub(radius)..(x + radius + 1).min(w) {
                    s += data[(y * w + xx) * 3 + c] as u32;
                    n += 1;
                }
                out[(y * w + x) * 3 + c] = (s / n) as u8;
            }
        }
    }
    out
}

pub(crate) fn view(data: &[u8], w: usize, h: usize) -> ImageView<'_> {
    ImageView::new(Layout::RGB, w, h, [data, &[], &[]], [w * 3, 0, 0]).unwrap()
}

pub(crate) fn square_box(x: f32, y: f32, side: f32) -> BoundingBox {
    BoundingBox::new(x, y, side, side)
}

/// A fake 468-point mesh whose oval is a circle inscribed in the box and whose midline is
/// vertical through the box centre; other points at the centre.
pub(crate) fn mesh_on_box() -> Landmarks {
    let mut points = vec![[0.5f32, 0.5, 0.0]; 468];
    for (k, &i) in MESH_FACE_OVAL.iter().enumerate() {
        // 10 (forehead) first, clockwise as seen: start at the top.
        let a = -std::f32::consts::FRAC_PI_2 + k as f32 / 36.0 * std::f32::consts::TAU;
        points[i] = [0.5 + 0.5 * a.cos(), 0.5 + 0.5 * a.sin(), 0.0];
    }
    for (k, &i) in MESH_MIDLINE.iter().enumerate() {
        if i != 10 && i != 152 {
            points[i] = [0.5, 0.05 + 0.9 * k as f32 / 27.0, 0.0];
        }
    }
    Landmarks {
        scheme: LandmarkScheme::Mesh468.name().into(),
        points,
    }
}
