//! Area-averaging resampling of one plane for `fit=scale`.

use super::placement::CropWindow;

/// Resamples `region` of one plane into a `dst_w` x `dst_h` plane with `channels`
/// interleaved bytes per pixel. Equal sizes copy; otherwise each output pixel is the area
/// average of the source pixels it covers (exact box filter: no aliasing when shrinking).
pub fn resample_plane(
    src: &[u8],
    src_stride: usize,
    channels: usize,
    region: CropWindow,
    dst: &mut [u8],
    dst_stride: usize,
    dst_w: usize,
    dst_h: usize,
) {
    let (rx, ry) = (region.x as usize, region.y as usize);
    let (rw, rh) = (region.width as usize, region.height as usize);
    if rw == dst_w && rh == dst_h {
        for row in 0..dst_h {
            let s = (ry + row) * src_stride + rx * channels;
            let d = row * dst_stride;
            dst[d..d + dst_w * channels].copy_from_slice(&src[s..s + dst_w * channels]);
        }
        return;
    }
    let xs = box_weights(rw, dst_w);
    let ys = box_weights(rh, dst_h);
    // Horizontal pass over the region's rows, then vertical.
    let mut rows = vec![0f32; rh * dst_w * channels];
    for y in 0..rh {
        let line = &src[(ry + y) * src_stride..];
        for (ox, taps) in xs.iter().enumerate() {
            for c in 0..channels {
                let mut acc = 0.0;
                for &(sx, w) in taps {
                    acc += line[(rx + sx) * channels + c] as f32 * w;
                }
                rows[(y * dst_w + ox) * channels + c] = acc;
            }
        }
    }
    for (oy, taps) in ys.iter().enumerate() {
        let out = &mut dst[oy * dst_stride..];
        for i in 0..dst_w * channels {
            let mut acc = 0.0;
            for &(sy, w) in taps {
                acc += rows[sy * dst_w * channels + i] * w;
            }
            out[i] = acc.round().clamp(0.0, 255.0) as u8;
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

    #[test]
    fn resample_copies_and_area_averages() {
        // 4x2 single-channel source, stride 5.
        let src = [10, 20, 30, 40, 0, 50, 60, 70, 80, 0];
        let mut dst = [0u8; 4];
        resample_plane(
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
        resample_plane(
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
        resample_plane(
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
        resample_plane(
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
