//! Colour conversion between 8-bit RGB and BT.601 limited-range YUV (the usual meaning of
//! raw I420/NV12 from decoders and cameras), and grey levels.

/// RGB to BT.601 limited range, the inverse of [`yuv_to_rgb`].
#[inline]
pub fn rgb_to_yuv([r, g, b]: [f32; 3]) -> [f32; 3] {
    [
        16.0 + 0.257 * r + 0.504 * g + 0.098 * b,
        128.0 - 0.148 * r - 0.291 * g + 0.439 * b,
        128.0 + 0.439 * r - 0.368 * g - 0.071 * b,
    ]
}

/// 8-bit RGB to 8-bit BT.601 limited-range YUV (truncating, as drawing always did).
#[inline]
pub fn rgb_to_yuv8([r, g, b]: [u8; 3]) -> [u8; 3] {
    rgb_to_yuv([r as f32, g as f32, b as f32]).map(|c| c as u8)
}

/// BT.601 limited range to RGB (0..255).
#[inline]
pub fn yuv_to_rgb(y: f32, u: f32, v: f32) -> [f32; 3] {
    let c = 1.164 * (y - 16.0);
    let d = u - 128.0;
    let e = v - 128.0;
    [
        (c + 1.596 * e).clamp(0.0, 255.0),
        (c - 0.392 * d - 0.813 * e).clamp(0.0, 255.0),
        (c + 2.017 * d).clamp(0.0, 255.0),
    ]
}

/// Grey level (BT.601 luma, 0..255) of an RGB colour.
#[inline]
pub fn grey([r, g, b]: [f32; 3]) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// Grey level (0..255) of a limited-range luma byte.
#[inline]
pub fn video_to_grey(y: u8) -> f32 {
    ((y as f32 - 16.0) * 1.164).clamp(0.0, 255.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_yuv_round_trip_and_limited_range() {
        for rgb in [[0.0, 0.0, 0.0], [255.0, 255.0, 255.0], [200.0, 30.0, 90.0]] {
            let [y, u, v] = rgb_to_yuv(rgb);
            let back = yuv_to_rgb(y, u, v);
            for c in 0..3 {
                assert!((back[c] - rgb[c]).abs() < 1.5, "{rgb:?} -> {back:?}");
            }
        }
        assert_eq!(rgb_to_yuv8([255, 255, 255])[0], 235);
        assert_eq!(rgb_to_yuv8([0, 0, 0])[0], 16);
        assert_eq!(video_to_grey(16), 0.0);
        assert!((video_to_grey(235) - 255.0).abs() < 0.5);
    }
}
