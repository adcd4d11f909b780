//! In-place compositing on raw frame planes (I420, NV12, packed RGB family) under a
//! [`Mask`]: blur, pixelate, fill, stickers, and saving/restoring what a mask covers.
//!
//! Every style writes the frame's own planes: chroma planes are handled at their own
//! resolution (a chroma sample is touched when any of the luma pixels it covers is masked,
//! so no face pixel escapes through chroma), and packed frames only touch R, G and B
//! (alpha / padding bytes are left alone).

use super::mask::{CellGrid, Mask};
use super::stickers::Sticker;
#[cfg(test)]
use crate::frame::view::Layout;
use crate::frame::view::{FrameMut, PlaneShape};

/// Blends `new` over `old` by coverage `a` (255: `new`).
#[inline]
fn blend(old: u8, new: f32, a: u8) -> u8 {
    if a == 255 {
        return new.round().clamp(0.0, 255.0) as u8;
    }
    let a = a as f32 / 255.0;
    (old as f32 + (new - old as f32) * a)
        .round()
        .clamp(0.0, 255.0) as u8
}

/// A frame's planes, writable: the checked frame view plus its plane geometry.
pub struct Planes<'a> {
    pub width: usize,
    pub height: usize,
    frame: FrameMut<'a>,
    shapes: Vec<PlaneShape>,
}

impl<'a> Planes<'a> {
    /// Wraps a frame of `layout` whose planes start at `planes[i]` with `strides[i]` bytes
    /// per row. Returns `None` when a plane is too short for the size.
    #[cfg(test)]
    pub fn new(
        layout: Layout,
        width: usize,
        height: usize,
        planes: [&'a mut [u8]; 3],
        strides: [usize; 3],
    ) -> Option<Self> {
        Some(Self::of(
            FrameMut::new(layout, width, height, planes, strides).ok()?,
        ))
    }

    /// Compositing on a checked frame.
    pub fn of(frame: FrameMut<'a>) -> Self {
        Self {
            width: frame.width(),
            height: frame.height(),
            shapes: frame.shapes(),
            frame,
        }
    }

    /// Blurs the masked pixels (blended by their coverage): three box-blur passes of `radius` frame pixels (close to a
    /// Gaussian), computed over the mask's rectangle plus the blur's reach. Large radii
    /// blur a copy shrunk by up to radius / 3 and sample it back bilinearly: the result is
    /// as smooth, at a fraction of the cost.
    pub fn blur(&mut self, mask: &Mask, radius: f32) {
        if mask.w == 0 || radius < 0.5 {
            return;
        }
        for (p, plane) in self.shapes.iter().enumerate() {
            let pm = mask.subsampled(plane.sub);
            let r = (radius / plane.sub as f32).max(1.0);
            let f = ((r / 3.0) as usize).max(1);
            let rs = ((r / f as f32).round() as usize).max(1);
            let reach = 3 * rs * f;
            let x0 = pm.x0.saturating_sub(reach);
            let y0 = pm.y0.saturating_sub(reach);
            let x1 = (pm.x0 + pm.w + reach).min(plane.width);
            let y1 = (pm.y0 + pm.h + reach).min(plane.height);
            let (w, h) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
            if w == 0 || h == 0 {
                continue;
            }
            let (sw, sh) = (w.div_ceil(f), h.div_ceil(f));
            let mut small = vec![0u16; sw * sh];
            let mut sums = vec![0u32; sw];
            let mut tmp = vec![0u16; sw.max(sh)];
            for &(offset, _) in &plane.channels {
                // Shrink by f x f cell means.
                for sy in 0..sh {
                    sums.fill(0);
                    let (ya, yb) = (y0 + sy * f, (y0 + sy * f + f).min(y1));
                    for y in ya..yb {
                        let row = self.frame.row(p, y, x0, x1);
                        for (x, sample) in row.chunks_exact(plane.bpp).enumerate() {
                            sums[x / f] += sample[offset] as u32;
                        }
                    }
                    for sx in 0..sw {
                        let n = ((sx * f + f).min(w) - sx * f) * (yb - ya);
                        small[sy * sw + sx] = (sums[sx] / n.max(1) as u32) as u16;
                    }
                }
                for _ in 0..3 {
                    for y in 0..sh {
                        box_line(&mut small[y * sw..(y + 1) * sw], 1, rs, &mut tmp[..sw]);
                    }
                    for x in 0..sw {
                        box_line(&mut small[x..], sw, rs, &mut tmp[..sh]);
                    }
                }
                let sample = |x: usize, y: usize| -> f32 {
                    let fx = (((x - x0) as f32 + 0.5) / f as f32 - 0.5).clamp(0.0, (sw - 1) as f32);
                    let fy = (((y - y0) as f32 + 0.5) / f as f32 - 0.5).clamp(0.0, (sh - 1) as f32);
                    let (ax, ay) = (fx as usize, fy as usize);
                    let (bx, by) = ((ax + 1).min(sw - 1), (ay + 1).min(sh - 1));
                    let (tx, ty) = (fx - ax as f32, fy - ay as f32);
                    let at = |xx: usize, yy: usize| small[yy * sw + xx] as f32;
                    let top = at(ax, ay) + (at(bx, ay) - at(ax, ay)) * tx;
                    let bottom = at(ax, by) + (at(bx, by) - at(ax, by)) * tx;
                    top + (bottom - top) * ty
                };
                let (mx0, mx1) = (pm.x0.min(plane.width), (pm.x0 + pm.w).min(plane.width));
                for y in pm.y0..(pm.y0 + pm.h).min(plane.height) {
                    let mrow = (y - pm.y0) * pm.w;
                    let row = self.frame.row_mut(p, y, mx0, mx1);
                    for (i, out) in row.chunks_exact_mut(plane.bpp).enumerate() {
                        let x = mx0 + i;
                        let a = pm.data[mrow + x - pm.x0];
                        if a != 0 {
                            out[offset] = blend(out[offset], sample(x, y), a);
                        }
                    }
                }
            }
        }
    }

    /// Replaces the masked pixels by the mean of their `block` x `block` frame-pixel cell
    /// (cells aligned on the mask's rectangle).
    pub fn pixelate(&mut self, mask: &Mask, block: f32) {
        let grid = CellGrid {
            origin: [mask.x0 as f32, mask.y0 as f32],
            size: block,
        };
        self.pixelate_cells(mask, mask, mask, grid);
    }

    /// Pixelation on `grid`: each cell's colour is the mean of its `sample` pixels (e.g. the
    /// face itself, so background in the margin does not bleed in), or of all `sample`
    /// pixels when it holds none (of its `hidden` pixels when there are none at all); it is painted wherever `paint` covers (blended by its
    /// coverage) in cells that hold a hidden pixel. A chroma sample belongs to the cell of
    /// its centre.
    pub fn pixelate_cells(&mut self, sample: &Mask, hidden: &Mask, paint: &Mask, grid: CellGrid) {
        if hidden.w == 0 || paint.w == 0 {
            return;
        }
        let (cx0, cy0) = grid.cell_of(paint.x0 as f32, paint.y0 as f32);
        let (cx1, cy1) = grid.cell_of((paint.x0 + paint.w) as f32, (paint.y0 + paint.h) as f32);
        let (nx, ny) = ((cx1 - cx0 + 1) as usize, (cy1 - cy0 + 1) as usize);
        // Per cell and channel: sums of its sampled pixels, and of all its hidden ones.
        const MAX_CHANNELS: usize = 4;
        let mut sums = vec![([0u32; MAX_CHANNELS], 0u32); nx * ny];
        let mut fallback = sums.clone();
        let mut means = vec![None::<[u8; MAX_CHANNELS]>; nx * ny];
        for (p, plane) in self.shapes.iter().enumerate() {
            let sub = plane.sub;
            let channels: Vec<usize> = plane.channels.iter().map(|&(o, _)| o).collect();
            let hm = hidden.subsampled(sub);
            let sm = sample.subsampled(sub);
            let pm = paint.subsampled(sub);
            let (px0, px1) = (pm.x0.min(plane.width), (pm.x0 + pm.w).min(plane.width));
            let (py0, py1) = (pm.y0, (pm.y0 + pm.h).min(plane.height));
            let cols = grid.cells_along(0, px0..px1, sub, cx0..=cx1);
            let rows = grid.cells_along(1, py0..py1, sub, cy0..=cy1);
            sums.fill(([0; MAX_CHANNELS], 0));
            fallback.fill(([0; MAX_CHANNELS], 0));
            for (y, cy) in (py0..py1).zip(&rows) {
                let Some(cy) = *cy else { continue };
                let row = self.frame.row(p, y, px0, px1);
                for ((i, value), cx) in row.chunks_exact(plane.bpp).enumerate().zip(&cols) {
                    let (x, Some(cx)) = (px0 + i, *cx) else {
                        continue;
                    };
                    if hm.at(x, y) != 255 {
                        continue;
                    }
                    let c = cy * nx + cx;
                    let sampled = sm.at(x, y) != 0;
                    for (k, &o) in channels.iter().take(MAX_CHANNELS).enumerate() {
                        fallback[c].0[k] += value[o] as u32;
                        if sampled {
                            sums[c].0[k] += value[o] as u32;
                        }
                    }
                    fallback[c].1 += 1;
                    sums[c].1 += u32::from(sampled);
                }
            }
            // A cell only the margin reaches takes the mean of the whole face.
            let face = sums.iter().fold(([0u32; MAX_CHANNELS], 0u32), |mut a, s| {
                for k in 0..MAX_CHANNELS {
                    a.0[k] += s.0[k];
                }
                (a.0, a.1 + s.1)
            });
            for ((s, f), m) in sums.iter().zip(&fallback).zip(means.iter_mut()) {
                let (sum, n) = match (s.1, f.1) {
                    (0, 0) => {
                        *m = None;
                        continue;
                    }
                    (0, _) if face.1 > 0 => face,
                    (0, _) => *f,
                    _ => *s,
                };
                *m = Some(std::array::from_fn(|k| ((sum[k] + n / 2) / n) as u8));
            }
            for (y, cy) in (py0..py1).zip(&rows) {
                let Some(cy) = *cy else { continue };
                let row = self.frame.row_mut(p, y, px0, px1);
                for ((i, out), cx) in row.chunks_exact_mut(plane.bpp).enumerate().zip(&cols) {
                    let (a, Some(cx)) = (pm.at(px0 + i, y), *cx) else {
                        continue;
                    };
                    if a == 0 {
                        continue;
                    }
                    if let Some(mean) = means[cy * nx + cx] {
                        for (k, &o) in channels.iter().take(MAX_CHANNELS).enumerate() {
                            out[o] = blend(out[o], mean[k] as f32, a);
                        }
                    }
                }
            }
        }
    }

    /// Paints the masked pixels with `rgb`.
    pub fn fill(&mut self, mask: &Mask, rgb: [u8; 3]) {
        let rgb = rgb.map(|c| c as f32);
        for (p, plane) in self.shapes.iter().enumerate() {
            let pm = mask.subsampled(plane.sub);
            let (mx0, mx1) = (pm.x0.min(plane.width), (pm.x0 + pm.w).min(plane.width));
            for &(offset, channel) in &plane.channels {
                let value = channel.of(rgb);
                for y in pm.y0..(pm.y0 + pm.h).min(plane.height) {
                    let row = self.frame.row_mut(p, y, mx0, mx1);
                    for (i, out) in row.chunks_exact_mut(plane.bpp).enumerate() {
                        let a = pm.at(mx0 + i, y);
                        if a != 0 {
                            out[offset] = blend(out[offset], value, a);
                        }
                    }
                }
            }
        }
    }

    /// Draws `sticker` (alpha-blended, bilinear) centred at `centre` with `size` (frame
    /// pixels, before rotation), turned clockwise by `angle` radians; pixels `keep` covers
    /// fully are left untouched, partly covered ones take that much less of the sticker.
    pub fn sticker(
        &mut self,
        sticker: &Sticker,
        centre: [f32; 2],
        size: [f32; 2],
        angle: f32,
        keep: Option<&Mask>,
    ) {
        if size[0] < 1.0 || size[1] < 1.0 || sticker.width == 0 || sticker.height == 0 {
            return;
        }
        let (s, c) = angle.sin_cos();
        let reach = 0.5 * (size[0] * size[0] + size[1] * size[1]).sqrt();
        for (p, plane) in self.shapes.iter().enumerate() {
            let sub = plane.sub as f32;
            let keep_plane = keep.map(|k| k.subsampled_all(plane.sub));
            let px0 = ((centre[0] - reach) / sub).floor().max(0.0) as usize;
            let py0 = ((centre[1] - reach) / sub).floor().max(0.0) as usize;
            let px1 = (((centre[0] + reach) / sub).ceil().max(0.0) as usize).min(plane.width);
            let py1 = (((centre[1] + reach) / sub).ceil().max(0.0) as usize).min(plane.height);
            for py in py0..py1 {
                for px in px0..px1 {
                    let kept = keep_plane.as_ref().map_or(0, |k| k.at(px, py));
                    if kept == 255 {
                        continue;
                    }
                    let dx = (px as f32 + 0.5) * sub - centre[0];
                    let dy = (py as f32 + 0.5) * sub - centre[1];
                    // Into the sticker's own frame (undo the clockwise turn).
                    let u = (dx * c + dy * s) / size[0] + 0.5;
                    let v = (-dx * s + dy * c) / size[1] + 0.5;
                    if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
                        continue;
                    }
                    let rgba = sticker.sample(u, v);
                    let alpha = rgba[3] / 255.0 * (1.0 - kept as f32 / 255.0);
                    if alpha <= 0.0 {
                        continue;
                    }
                    let rgb = [rgba[0], rgba[1], rgba[2]];
                    let Some(sample) = self.frame.sample_mut(p, px, py) else {
                        continue;
                    };
                    for &(offset, channel) in &plane.channels {
                        let old = sample[offset] as f32;
                        let new = channel.of(rgb);
                        sample[offset] =
                            (old + (new - old) * alpha).round().clamp(0.0, 255.0) as u8;
                    }
                }
            }
        }
    }
}

/// Samples of a frame under a mask, copied before compositing to be put back after it
/// ([`Planes::save`], [`Planes::restore`]).
pub struct Saved {
    /// Per plane: the mask at the plane's resolution and its rectangle's row bytes.
    planes: Vec<(Mask, Vec<u8>)>,
}

impl Planes<'_> {
    /// The frame, read-only (to run models on the pixels as they came).
    pub fn view(&self) -> crate::frame::image::ImageView<'_> {
        self.frame.as_view()
    }

    /// Copies the samples under `mask`; a chroma sample only when every pixel under it is
    /// masked (a chroma sample half over a face stays as the face's cover made it).
    pub fn save(&self, mask: &Mask) -> Saved {
        let planes = self
            .shapes
            .iter()
            .enumerate()
            .map(|(p, plane)| {
                let pm = mask.subsampled_all(plane.sub);
                let x1 = (pm.x0 + pm.w).min(plane.width);
                let mut bytes = Vec::new();
                for y in pm.y0..(pm.y0 + pm.h).min(plane.height) {
                    bytes.extend_from_slice(self.frame.row(p, y, pm.x0, x1));
                }
                (pm, bytes)
            })
            .collect();
        Saved { planes }
    }

    /// Puts the saved samples back where their mask is set.
    pub fn restore(&mut self, saved: &Saved) {
        for (p, (pm, bytes)) in saved.planes.iter().enumerate() {
            let plane = &self.shapes[p];
            let (x0, x1) = (pm.x0, (pm.x0 + pm.w).min(plane.width));
            let row_len = (x1.saturating_sub(x0)) * plane.bpp;
            for (i, y) in (pm.y0..(pm.y0 + pm.h).min(plane.height)).enumerate() {
                let src = &bytes[i * row_len..(i + 1) * row_len];
                let row = self.frame.row_mut(p, y, x0, x1);
                for (k, (out, orig)) in row
                    .chunks_exact_mut(plane.bpp)
                    .zip(src.chunks_exact(plane.bpp))
                    .enumerate()
                {
                    if pm.at(x0 + k, y) != 0 {
                        out.copy_from_slice(orig);
                    }
                }
            }
        }
    }
}

/// One box-blur pass of radius `r` along a line of `tmp.len()` samples spaced `step` apart,
/// edges clamped.
fn box_line(line: &mut [u16], step: usize, r: usize, tmp: &mut [u16]) {
    let n = tmp.len();
    for (i, t) in tmp.iter_mut().enumerate() {
        *t = line[i * step];
    }
    let at = |i: isize| tmp[i.clamp(0, n as isize - 1) as usize] as u32;
    let window = (2 * r + 1) as u32;
    let mut sum: u32 = (-(r as isize)..=r as isize).map(at).sum();
    for i in 0..n {
        line[i * step] = ((sum + window / 2) / window) as u16;
        sum += at(i as isize + r as isize + 1);
        sum -= at(i as isize - r as isize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faceocclude::mask::tests::square;

    fn gradient_rgb(w: usize, h: usize) -> Vec<u8> {
        (0..w * h * 3).map(|i| ((i * 37) % 251) as u8).collect()
    }

    #[test]
    fn styles_touch_only_masked_pixels_in_every_layout() {
        let (w, h) = (32usize, 24usize);
        let sq = square(8.0, 6.0, 12.0);
        let mut mask = Mask::covering(w, h, &[&sq]);
        mask.fill_convex(&sq, 255);
        for layout in [Layout::RGB, Layout::BGRA, Layout::I420, Layout::Nv12] {
            for style in 0..4 {
                let (sizes, strides): ([usize; 3], [usize; 3]) = match layout {
                    Layout::Packed { bpp, .. } => ([w * bpp * h, 0, 0], [w * bpp, 0, 0]),
                    Layout::I420 => ([w * h, w * h / 4, w * h / 4], [w, w / 2, w / 2]),
                    Layout::Nv12 => ([w * h, w * h / 2, 0], [w, w, 0]),
                };
                let mut p: Vec<Vec<u8>> = sizes
                    .iter()
                    .map(|&n| (0..n).map(|i| ((i * 37) % 251) as u8).collect())
                    .collect();
                let before = p.clone();
                {
                    let [a, b, c] = &mut p[..] else {
                        unreachable!()
                    };
                    let mut planes = Planes::new(layout, w, h, [a, b, c], strides).unwrap();
                    match style {
                        0 => planes.blur(&mask, 3.0),
                        1 => planes.pixelate(&mask, 4.0),
                        2 => planes.fill(&mask, [0, 0, 0]),
                        _ => {
                            let st = Sticker::solid(8, 8, [255, 0, 255, 255]);
                            planes.sticker(&st, [14.0, 12.0], [12.0, 12.0], 0.0, None)
                        }
                    }
                }
                // Luma / packed plane: every change lies inside the mask, and the mask changed.
                let bpp = match layout {
                    Layout::Packed { bpp, .. } => bpp,
                    _ => 1,
                };
                let mut changed_inside = 0;
                for y in 0..h {
                    for x in 0..w {
                        for ch in 0..bpp {
                            let i = y * strides[0] + x * bpp + ch;
                            if p[0][i] != before[0][i] {
                                assert_ne!(mask.at(x, y), 0, "{layout:?} style {style} at {x},{y}");
                                changed_inside += 1;
                            }
                        }
                    }
                }
                assert!(
                    changed_inside > 50,
                    "{layout:?} style {style}: {changed_inside}"
                );
                if layout == Layout::BGRA {
                    // Alpha bytes untouched.
                    for i in (3..p[0].len()).step_by(4) {
                        assert_eq!(p[0][i], before[0][i]);
                    }
                }
            }
        }
    }

    #[test]
    fn blur_flattens_detail_and_fill_converts_colour() {
        let (w, h) = (40, 40);
        let mut data = gradient_rgb(w, h);
        let full = Mask::full(w, h);
        let spread = |d: &[u8]| {
            let mean = d.iter().map(|&v| v as f64).sum::<f64>() / d.len() as f64;
            d.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / d.len() as f64
        };
        let before = spread(&data);
        {
            let mut planes = Planes::new(
                Layout::RGB,
                w,
                h,
                [&mut data, &mut [], &mut []],
                [w * 3, 0, 0],
            )
            .unwrap();
            planes.blur(&full, 6.0);
        }
        assert!(spread(&data) < before / 10.0);

        let (mut y, mut u, mut v) = (vec![0u8; 16], vec![0u8; 4], vec![0u8; 4]);
        let mut planes =
            Planes::new(Layout::I420, 4, 4, [&mut y, &mut u, &mut v], [4, 2, 2]).unwrap();
        planes.fill(&Mask::full(4, 4), [255, 255, 255]);
        assert!(y.iter().all(|&v| v == 235));
        assert!(u.iter().all(|&v| v == 128));
    }

    #[test]
    fn short_planes_are_refused() {
        let mut small = vec![0u8; 10];
        assert!(
            Planes::new(
                Layout::RGB,
                4,
                4,
                [&mut small, &mut [], &mut []],
                [12, 0, 0]
            )
            .is_none()
        );
    }

    #[test]
    fn sticker_is_turned_and_respects_the_keep_mask() {
        let (w, h) = (40, 40);
        let mut data = vec![0u8; w * h * 3];
        // A tall thin sticker turned by 90 degrees becomes wide and short.
        let st = Sticker::solid(2, 10, [255, 255, 255, 255]);
        let keep_sq = square(0.0, 0.0, 20.0);
        let mut keep = Mask::covering(w, h, &[&keep_sq]);
        keep.fill_convex(&keep_sq, 255);
        {
            let mut planes = Planes::new(
                Layout::RGB,
                w,
                h,
                [&mut data, &mut [], &mut []],
                [w * 3, 0, 0],
            )
            .unwrap();
            planes.sticker(
                &st,
                [20.0, 20.0],
                [4.0, 20.0],
                std::f32::consts::FRAC_PI_2,
                Some(&keep),
            );
        }
        let lit = |x: usize, y: usize| data[(y * w + x) * 3] == 255;
        assert!(lit(28, 20) && lit(21, 21));
        assert!(!lit(20, 28), "not turned");
        assert!(!lit(15, 19), "drawn over the keep mask");
    }

    /// A grey frame with a red "face" disc inside a blue "background" that the mask's margin
    /// reaches into.
    fn face_on_background(w: usize, h: usize) -> (Vec<u8>, Mask, Mask) {
        let face = |x: usize, y: usize| {
            let (dx, dy) = (x as f32 - 20.0, y as f32 - 20.0);
            dx * dx + dy * dy < 100.0
        };
        let mut data = vec![0u8; w * h * 3];
        let (mut own, mut grown) = (Mask::full(w, h), Mask::full(w, h));
        for y in 0..h {
            for x in 0..w {
                let c = if face(x, y) {
                    [200, 40, 40]
                } else {
                    [20, 40, 220]
                };
                data[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&c);
                own.data[y * w + x] = if face(x, y) { 255 } else { 0 };
                let (dx, dy) = (x as f32 - 20.0, y as f32 - 20.0);
                grown.data[y * w + x] = if dx * dx + dy * dy < 169.0 { 255 } else { 0 };
            }
        }
        (data, own, grown)
    }

    #[test]
    fn pixelate_cells_follow_the_grid_and_take_no_background_colour() {
        let (w, h) = (40, 40);
        let (mut data, own, grown) = face_on_background(w, h);
        let before = data.clone();
        let grid = CellGrid {
            origin: [10.0, 10.0],
            size: 5.0,
        };
        let soft = grown.feathered(2.0, w, h);
        let paint = grown.snapped_to_cells(grid, None, &soft, w, h);
        {
            let mut planes = Planes::new(
                Layout::RGB,
                w,
                h,
                [&mut data, &mut [], &mut []],
                [w * 3, 0, 0],
            )
            .unwrap();
            planes.pixelate_cells(&own, &grown, &paint, grid);
        }
        let px = |d: &[u8], x: usize, y: usize| {
            [
                d[(y * w + x) * 3],
                d[(y * w + x) * 3 + 1],
                d[(y * w + x) * 3 + 2],
            ]
        };
        for y in 0..h {
            for x in 0..w {
                if grown.at(x, y) == 255 {
                    // Hidden: painted, in the face's colour only (the blue margin is not sampled).
                    assert_eq!(px(&data, x, y), [200, 40, 40], "{x},{y}");
                }
                if paint.at(x, y) == 255 {
                    // A whole cell is one colour: the cell's top-left pixel's.
                    let (cx, cy) = grid.cell_of(x as f32 + 0.5, y as f32 + 0.5);
                    let (ox, oy) = ((10 + 5 * cx) as usize, (10 + 5 * cy) as usize);
                    if paint.at(ox, oy) == 255 {
                        assert_eq!(px(&data, x, y), px(&data, ox, oy), "{x},{y}");
                    }
                }
                if paint.at(x, y) == 0 {
                    assert_eq!(px(&data, x, y), px(&before, x, y), "{x},{y}");
                }
            }
        }
        // Cells mostly hidden are whole: the cell [25, 30) x [15, 20) is painted to its corner.
        assert_eq!(paint.at(29, 15), 255);
        assert_eq!(px(&data, 29, 15), [200, 40, 40]);
    }

    #[test]
    fn whole_cells_stop_at_an_uncovered_region_but_hidden_pixels_stay_hidden() {
        let (w, h) = (40, 40);
        let (_, _, grown) = face_on_background(w, h);
        let grid = CellGrid {
            origin: [10.0, 10.0],
            size: 5.0,
        };
        let eye = square(15.0, 15.0, 4.0);
        let mut open = Mask::covering(w, h, &[&eye]);
        open.fill_convex(&eye, 255);
        let mut hidden = grown.clone();
        hidden.subtract(&open);
        // One pixel of the open region is also hidden (overlap: covered wins).
        hidden.data[15 * w + 15] = 255;
        let soft = hidden.feathered(2.0, w, h);
        let paint = hidden.snapped_to_cells(grid, Some(&open), &soft, w, h);
        assert_eq!(paint.at(15, 15), 255);
        assert!(paint.at(17, 17) < 255, "the open region got a whole cell");
        for y in 0..h {
            for x in 0..w {
                if hidden.at(x, y) == 255 {
                    assert_eq!(paint.at(x, y), 255, "{x},{y}");
                }
            }
        }
    }
}
