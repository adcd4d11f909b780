//! Face crops for key frames: a cheap copy of the region in the frame's own layout while a
//! face is a candidate, and RGB when it is posted or written.

use crate::face::BoundingBox;
use crate::frame::image::ImageView;
use crate::frame::view::FrameBuf;

/// A face crop in tightly packed RGB.
#[derive(Debug, Clone, PartialEq)]
pub struct RgbCrop {
    /// Top-left corner and size in the source frame.
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

/// Crops the box grown by `margin` (fraction of the box size on each side), clamped to the
/// frame, as RGB. `None` when nothing of it is inside the frame.
pub fn crop_rgb(image: &ImageView, bbox: &BoundingBox, margin: f32) -> Option<RgbCrop> {
    let (mx, my) = (bbox.width * margin, bbox.height * margin);
    let x0 = (bbox.x - mx).floor().max(0.0) as usize;
    let y0 = (bbox.y - my).floor().max(0.0) as usize;
    let x1 = ((bbox.x + bbox.width + mx).ceil().max(0.0) as usize).min(image.width());
    let y1 = ((bbox.y + bbox.height + my).ceil().max(0.0) as usize).min(image.height());
    if x0 >= x1 || y0 >= y1 {
        return None;
    }
    Some(RgbCrop {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
        rgb: image.to_rgb(x0, y0, x1, y1),
    })
}

/// A copy of a frame region in the frame's own layout: plain row copies, so keeping a
/// candidate key frame is cheap; it becomes RGB ([`RegionCopy::to_rgb`]) only when posted.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionCopy {
    /// Top-left corner in the source frame (even for I420 / NV12, to keep chroma aligned).
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
    frame: FrameBuf,
}

impl RegionCopy {
    pub fn view(&self) -> ImageView<'_> {
        self.frame.as_view()
    }

    /// The whole copy as RGB, positioned in the source frame.
    pub fn to_rgb(&self) -> Option<RgbCrop> {
        let whole = BoundingBox::new(0.0, 0.0, self.width as f32, self.height as f32);
        let mut crop = crop_rgb(&self.view(), &whole, 0.0)?;
        crop.x += self.x;
        crop.y += self.y;
        Some(crop)
    }
}

/// Copies the box grown by `margin` (fraction of the box size on each side), clamped to the
/// frame. `None` when nothing of it is inside the frame.
pub fn copy_region(image: &ImageView, bbox: &BoundingBox, margin: f32) -> Option<RegionCopy> {
    let (mx, my) = (bbox.width * margin, bbox.height * margin);
    let x0 = (bbox.x - mx).floor().max(0.0) as usize;
    let y0 = (bbox.y - my).floor().max(0.0) as usize;
    let x1 = (bbox.x + bbox.width + mx).ceil().max(0.0) as usize;
    let y1 = (bbox.y + bbox.height + my).ceil().max(0.0) as usize;
    let (x, y, frame) = image.copy_region(x0, y0, x1, y1)?;
    Some(RegionCopy {
        x,
        y,
        width: frame.width(),
        height: frame.height(),
        frame,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facequality::fixtures::{square_box, stripes, view};
    use crate::frame::image::Layout;

    #[test]
    fn crop_is_clamped_and_rgb() {
        let data = stripes(32, 32, 4, 50.0);
        let c = crop_rgb(&view(&data, 32, 32), &square_box(-4.0, 20.0, 16.0), 0.25).unwrap();
        assert_eq!((c.x, c.y, c.width, c.height), (0, 16, 16, 16));
        assert_eq!(c.rgb.len(), 16 * 16 * 3);
        assert_eq!(c.rgb[0..3], data[(16 * 32) * 3..][..3]);
        assert!(crop_rgb(&view(&data, 32, 32), &square_box(40.0, 40.0, 8.0), 0.0).is_none());
    }

    #[test]
    fn region_copy_matches_direct_crop_in_every_layout() {
        let (w, h) = (10usize, 8usize);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let y: Vec<u8> = (0..w * h).map(|i| (i * 13 % 220 + 16) as u8).collect();
        let u: Vec<u8> = (0..25).map(|i| (i * 7 % 200 + 20) as u8).collect();
        let v: Vec<u8> = (0..25).map(|i| (i * 11 % 200 + 20) as u8).collect();
        let uv: Vec<u8> = u.iter().zip(&v).flat_map(|(a, b)| [*a, *b]).collect();
        let views = [
            view(&rgb, w, h),
            ImageView::new(Layout::I420, w, h, [&y, &u, &v], [w, 5, 5]).unwrap(),
            ImageView::new(Layout::Nv12, w, h, [&y, &uv, &[]], [w, 10, 0]).unwrap(),
        ];
        let bbox = BoundingBox::new(3.0, 3.0, 4.0, 3.0);
        for image in views {
            let copy = copy_region(&image, &bbox, 0.0).unwrap().to_rgb().unwrap();
            // The copy starts on even coordinates for subsampled layouts.
            let direct = crop_rgb(
                &image,
                &BoundingBox::new(
                    copy.x as f32,
                    copy.y as f32,
                    copy.width as f32,
                    copy.height as f32,
                ),
                0.0,
            )
            .unwrap();
            assert_eq!(copy, direct, "{:?}", image.layout());
        }
    }
}
