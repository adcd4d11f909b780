//! Area-averaging resampling of one plane for `fit=scale`.

use super::placement::CropWindow;
use crate::frame::view::{FrameMut, FrameRef};

/// Resamples `region` (frame pixels; even offsets for subsampled layouts) of `src` into the
/// whole of `dst` (same layout), plane by plane.
pub fn resample_region(src: &FrameRef, region: CropWindow, dst: &mut FrameMut) {
    for (plane, shape) in src.shapes().iter().enumerate() {
        // Chroma of a region at an even offset: half offset, rounded-up half size.
        let sub = shape.sub as u32;
        let window = CropWindow {
            x: region.x / sub,
            y: region.y / sub,
            width: region.width.div_ceil(sub),
            height: region.height.div_ceil(sub),
        };
        resample_plane(src, plane, window, dst);
    }
}

/// Resamples `region` (clamped into the plane) of plane `plane` of `src` into the whole of
/// the same plane of `dst`. Equal sizes copy; otherwise each output pixel is the area
/// average of the source pixels it covers (exact box filter: no aliasing when shrinking).
pub fn resample_plane(src: &FrameRef, plane: usize, region: CropWindow, dst: &mut FrameMut) {
    let (pw, ph, channels) = src.plane_dims(plane);
    let (dst_w, dst_h, _) = dst.plane_dims(plane);
    let rx = (region.x as usize).min(pw - 1);
    let ry = (region.y as usize).min(ph - 1);
    let rw = (region.width as usize).clamp(1, pw - rx);
    let rh = (region.height as usize).clamp(1, ph - ry);
    if rw == dst_w && rh == dst_h {
        for row in 0..dst_h {
            dst.row_mut(plane, row, 0, dst_w).copy_from_slice(src.row(
                plane,
                ry + row,
                rx,
                rx + rw,
            ));
        }
        return;
    }
    let xs = box_weights(rw, dst_w);
    let ys = box_weights(rh, dst_h);
    // Horizontal pass over the region's rows, then vertical.
    let mut rows = vec![0f32; rh * dst_w * channels];
    for y in 0..rh {
        let line = src.row(plane, ry + y, rx, rx + rw);
        for (ox, taps) in xs.iter().enumerate() {
            for c in 0..channels {
                let mut acc = 0.0;
                for &(sx, w) in taps {
                    acc += line[sx * channels + c] as f32 * w;
                }
                rows[(y * dst_w + ox) * channels + c] = acc;
            }
        }
    }
    for (oy, taps) in ys.iter().enumerate() {
        let out = dst.row_mut(plane, oy, 0, dst_w);
        for (i, out) in out.iter_mut().enumerate() {
            let mut acc = 0.0;
            for &(sy, w) in taps {
                acc += rows[sy * dst_w * channels + i] * w;
            }
            *out = acc.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// For each of `dst` output pixels, the source pixels it covers and their normalised weights.
fn box_weights(src: usize, dst: usize) -> Vec<Vec<(usize, f32)>> {
    let step = src as f64 / dst as f64;
    (0..dst)
        .map(|i| {
            let (start, end) = (i as f64 * step, (i as f64 + 1.0) * step);
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(src);
            (first..last.max(first + 1).min(src))
                .map(|p| {
                    let cover = end.min(p as f64 + 1.0) - start.max(p as f64);
                    (p, (cover / step).max(0.0) as f32)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::view::{FrameBuf, Layout};

    /// One plane of `width` x `height` samples holding `data` (rows `stride` bytes apart),
    /// as plane 0 of I420 (1 byte a sample) or plane 1 of NV12 (2 bytes).
    fn frame(data: &[u8], stride: usize, width: usize, height: usize, channels: usize) -> FrameBuf {
        let (layout, plane, w, h) = if channels == 1 {
            (Layout::I420, 0, width, height)
        } else {
            (Layout::Nv12, 1, width * 2, height * 2)
        };
        let mut planes: [Vec<u8>; 3] = Default::default();
        let mut strides = [0; 3];
        for (i, s) in layout.planes(w, h).iter().enumerate() {
            strides[i] = s.row_bytes();
            planes[i] = vec![0; s.row_bytes() * s.height];
        }
        planes[plane] = data.to_vec();
        strides[plane] = stride;
        FrameBuf::new(layout, w, h, planes, strides).unwrap()
    }

    fn resample(
        src: &[u8],
        src_stride: usize,
        channels: usize,
        region: CropWindow,
        dst: &mut [u8],
        dst_stride: usize,
        dst_w: usize,
        dst_h: usize,
    ) {
        let src_w = src_stride / channels;
        let src_h = src.len() / src_stride;
        let src = frame(src, src_stride, src_w, src_h, channels);
        let mut out = frame(dst, dst_stride, dst_w, dst_h, channels);
        let plane = if channels == 1 { 0 } else { 1 };
        resample_plane(&src.as_view(), plane, region, &mut out.as_view_mut());
        let view = out.as_view();
        let (data, _) = view.plane_data(plane);
        dst.copy_from_slice(&data[..dst.len()]);
    }

    #[test]
    fn resample_copies_and_area_averages() {
        // 4x2 single-channel source, stride 5.
        let src = [10, 20, 30, 40, 0, 50, 60, 70, 80, 0];
        let mut dst = [0u8; 4];
        resample(
            &src,
            5,
            1,
            CropWindow {
                x: 1,
                y: 0,
                width: 2,
                height: 2,
            },
            &mut dst,
            2,
            2,
            2,
        );
        assert_eq!(dst, [20, 30, 60, 70]);
        let mut one = [0u8; 2];
        resample(
            &src,
            5,
            1,
            CropWindow {
                x: 0,
                y: 0,
                width: 4,
                height: 2,
            },
            &mut one,
            1,
            1,
            1,
        );
        assert_eq!(one[0], 45);
        // Two channels, 2:1 horizontally: each output is the mean of its two source pixels.
        let rgb = [0, 100, 10, 200, 20, 0, 40, 50];
        let mut out = [0u8; 4];
        resample(
            &rgb,
            8,
            2,
            CropWindow {
                x: 0,
                y: 0,
                width: 4,
                height: 1,
            },
            &mut out,
            4,
            2,
            1,
        );
        assert_eq!(out, [5, 150, 30, 25]);
        // 3 -> 2: fractional coverage, weights sum to one.
        let mut frac = [0u8; 2];
        resample(
            &[0, 90, 180],
            3,
            1,
            CropWindow {
                x: 0,
                y: 0,
                width: 3,
                height: 1,
            },
            &mut frac,
            2,
            2,
            1,
        );
        assert_eq!(frac, [30, 150]);
    }
}
