//! One checked view of a raw video frame, for every supported format.
//!
//! [`Frame::new`] checks once that every plane holds `height` rows of `width` samples at its
//! stride; after that every accessor clamps its coordinates into the frame and hands out rows
//! as slices of exactly the plane's width, so no read or write can leave a plane. The storage
//! is generic: borrowed planes of a mapped buffer (`&[u8]`, `&mut [u8]`) or owned copies
//! (`Vec<u8>`).

use std::fmt;

/// Pixel layout of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Packed 8-bit RGB family: bytes per pixel and the byte offsets of R, G and B.
    Packed {
        bpp: usize,
        r: usize,
        g: usize,
        b: usize,
    },
    /// Planar Y, U, V with 2x2 subsampled chroma.
    I420,
    /// Y plane and interleaved UV plane with 2x2 subsampled chroma.
    Nv12,
}

impl Layout {
    pub const RGB: Self = Self::Packed {
        bpp: 3,
        r: 0,
        g: 1,
        b: 2,
    };
    pub const BGR: Self = Self::Packed {
        bpp: 3,
        r: 2,
        g: 1,
        b: 0,
    };
    pub const RGBA: Self = Self::Packed {
        bpp: 4,
        r: 0,
        g: 1,
        b: 2,
    };
    pub const BGRA: Self = Self::Packed {
        bpp: 4,
        r: 2,
        g: 1,
        b: 0,
    };
    pub const ARGB: Self = Self::Packed {
        bpp: 4,
        r: 1,
        g: 2,
        b: 3,
    };
    pub const ABGR: Self = Self::Packed {
        bpp: 4,
        r: 3,
        g: 2,
        b: 1,
    };

    /// Every layout the elements accept (the RGBx/xRGB variants share these).
    pub const ALL: [Self; 8] = [
        Self::I420,
        Self::Nv12,
        Self::RGB,
        Self::BGR,
        Self::RGBA,
        Self::BGRA,
        Self::ARGB,
        Self::ABGR,
    ];

    /// Chroma at half resolution (I420, NV12): regions must start on even pixels.
    pub fn subsampled(self) -> bool {
        !matches!(self, Self::Packed { .. })
    }

    /// The planes of a `width` x `height` frame of this layout.
    pub fn planes(self, width: usize, height: usize) -> Vec<PlaneShape> {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let plane = |width, height, bpp, sub, channels| PlaneShape {
            width,
            height,
            bpp,
            sub,
            channels,
        };
        use Channel::*;
        match self {
            Self::Packed { bpp, r, g, b } => {
                vec![plane(width, height, bpp, 1, vec![(r, R), (g, G), (b, B)])]
            }
            Self::I420 => vec![
                plane(width, height, 1, 1, vec![(0, Y)]),
                plane(cw, ch, 1, 2, vec![(0, U)]),
                plane(cw, ch, 1, 2, vec![(0, V)]),
            ],
            Self::Nv12 => vec![
                plane(width, height, 1, 1, vec![(0, Y)]),
                plane(cw, ch, 2, 2, vec![(0, U), (1, V)]),
            ],
        }
    }
}

/// What a byte of a plane sample holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    R,
    G,
    B,
    Y,
    U,
    V,
}

impl Channel {
    /// This channel's value of an RGB colour (YUV channels: BT.601 limited range).
    #[inline]
    pub fn of(self, rgb: [f32; 3]) -> f32 {
        match self {
            Channel::R => rgb[0],
            Channel::G => rgb[1],
            Channel::B => rgb[2],
            Channel::Y | Channel::U | Channel::V => {
                let yuv = super::color::rgb_to_yuv(rgb);
                match self {
                    Channel::Y => yuv[0],
                    Channel::U => yuv[1],
                    _ => yuv[2],
                }
            }
        }
    }
}

/// One plane's geometry: `width` x `height` samples of `bpp` bytes, covering `sub` x `sub`
/// frame pixels each; `channels` are (byte offset within a sample, what it holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaneShape {
    pub width: usize,
    pub height: usize,
    pub bpp: usize,
    pub sub: usize,
    pub channels: Vec<(usize, Channel)>,
}

impl PlaneShape {
    /// Bytes of one row's samples (the stride may add padding).
    pub fn row_bytes(&self) -> usize {
        self.width * self.bpp
    }
}

/// Why planes do not make a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    Empty,
    StrideTooSmall {
        plane: usize,
        stride: usize,
        need: usize,
    },
    PlaneTooShort {
        plane: usize,
        len: usize,
        need: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the frame has no pixels (width or height 0)"),
            Self::StrideTooSmall {
                plane,
                stride,
                need,
            } => write!(
                f,
                "plane {plane}: stride {stride} is shorter than a row ({need} bytes)"
            ),
            Self::PlaneTooShort { plane, len, need } => write!(
                f,
                "plane {plane} holds {len} bytes, the frame size needs {need}"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// A raw frame whose planes are known to fit its size, layout and strides.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame<P> {
    width: usize,
    height: usize,
    layout: Layout,
    planes: [P; 3],
    strides: [usize; 3],
}

/// A read-only frame over borrowed planes.
pub type FrameRef<'a> = Frame<&'a [u8]>;
/// A writable frame over borrowed planes.
pub type FrameMut<'a> = Frame<&'a mut [u8]>;
/// A frame owning its planes.
pub type FrameBuf = Frame<Vec<u8>>;

impl<P: AsRef<[u8]>> Frame<P> {
    /// Checks that `planes[i]` (starting at the plane's first byte, rows `strides[i]` bytes
    /// apart) holds every row of a `width` x `height` frame of `layout`. Unused planes are
    /// ignored.
    pub fn new(
        layout: Layout,
        width: usize,
        height: usize,
        planes: [P; 3],
        strides: [usize; 3],
    ) -> Result<Self, FrameError> {
        if width == 0 || height == 0 {
            return Err(FrameError::Empty);
        }
        for (i, shape) in layout.planes(width, height).iter().enumerate() {
            let row = shape.row_bytes();
            if strides[i] < row {
                return Err(FrameError::StrideTooSmall {
                    plane: i,
                    stride: strides[i],
                    need: row,
                });
            }
            let need = (shape.height - 1)
                .checked_mul(strides[i])
                .and_then(|n| n.checked_add(row))
                .unwrap_or(usize::MAX);
            let len = planes[i].as_ref().len();
            if len < need {
                return Err(FrameError::PlaneTooShort {
                    plane: i,
                    len,
                    need,
                });
            }
        }
        Ok(Self {
            width,
            height,
            layout,
            planes,
            strides,
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn strides(&self) -> [usize; 3] {
        self.strides
    }

    /// Number of planes of the layout (1 packed, 3 I420, 2 NV12).
    pub fn plane_count(&self) -> usize {
        match self.layout {
            Layout::Packed { .. } => 1,
            Layout::I420 => 3,
            Layout::Nv12 => 2,
        }
    }

    /// The planes' geometry.
    pub fn shapes(&self) -> Vec<PlaneShape> {
        self.layout.planes(self.width, self.height)
    }

    /// A borrowed read-only view of the same frame.
    pub fn as_view(&self) -> FrameRef<'_> {
        let [a, b, c] = &self.planes;
        Frame {
            width: self.width,
            height: self.height,
            layout: self.layout,
            planes: [a.as_ref(), b.as_ref(), c.as_ref()],
            strides: self.strides,
        }
    }

    /// Samples `x0..x1` of row `y` of `plane` (the row clamped into the plane, the range
    /// clamped to its width), as bytes (`bpp` per sample).
    #[inline]
    pub fn row(&self, plane: usize, y: usize, x0: usize, x1: usize) -> &[u8] {
        let (w, h, bpp) = self.plane_dims(plane);
        let y = y.min(h - 1);
        let x1 = x1.min(w);
        let x0 = x0.min(x1);
        let start = y * self.strides[plane];
        &self.planes[plane].as_ref()[start + x0 * bpp..start + x1 * bpp]
    }

    /// Width, height (samples) and bytes per sample of `plane`, without allocating.
    #[inline]
    pub fn plane_dims(&self, plane: usize) -> (usize, usize, usize) {
        match (self.layout, plane) {
            (Layout::Packed { bpp, .. }, _) => (self.width, self.height, bpp),
            (_, 0) => (self.width, self.height, 1),
            (Layout::I420, _) => (self.width.div_ceil(2), self.height.div_ceil(2), 1),
            (Layout::Nv12, _) => (self.width.div_ceil(2), self.height.div_ceil(2), 2),
        }
    }

    /// Raw plane bytes and stride, for per-layout sampling loops; every row of the plane lies
    /// inside the slice (checked by [`Frame::new`]).
    #[inline]
    pub fn plane_data(&self, plane: usize) -> (&[u8], usize) {
        (self.planes[plane].as_ref(), self.strides[plane])
    }

    /// RGB at pixel (x, y), clamped into the frame.
    #[inline]
    pub fn rgb(&self, x: usize, y: usize) -> [f32; 3] {
        let x = x.min(self.width - 1);
        let y = y.min(self.height - 1);
        match self.layout {
            Layout::Packed { bpp, r, g, b } => {
                let p = &self.planes[0].as_ref()[y * self.strides[0] + x * bpp..][..bpp];
                [p[r] as f32, p[g] as f32, p[b] as f32]
            }
            Layout::I420 | Layout::Nv12 => {
                let luma = self.planes[0].as_ref()[y * self.strides[0] + x] as f32;
                let [u, v] = self.chroma(x / 2, y / 2);
                super::color::yuv_to_rgb(luma, u, v)
            }
        }
    }

    /// U and V of chroma sample (cx, cy), clamped into the chroma plane (I420/NV12 only;
    /// neutral grey for packed frames).
    #[inline]
    pub fn chroma(&self, cx: usize, cy: usize) -> [f32; 2] {
        let cx = cx.min(self.width.div_ceil(2) - 1);
        let cy = cy.min(self.height.div_ceil(2) - 1);
        match self.layout {
            Layout::I420 => [
                self.planes[1].as_ref()[cy * self.strides[1] + cx] as f32,
                self.planes[2].as_ref()[cy * self.strides[2] + cx] as f32,
            ],
            Layout::Nv12 => {
                let o = cy * self.strides[1] + cx * 2;
                let p = &self.planes[1].as_ref()[o..o + 2];
                [p[0] as f32, p[1] as f32]
            }
            Layout::Packed { .. } => [128.0, 128.0],
        }
    }

    /// Bilinear RGB at pixel-centre coordinates; `None` outside the frame.
    pub fn sample(&self, x: f32, y: f32) -> Option<[f32; 3]> {
        if !(x >= -0.5 && y >= -0.5) || x > self.width as f32 - 0.5 || y > self.height as f32 - 0.5
        {
            return None;
        }
        let (x, y) = (x.max(0.0), y.max(0.0));
        let (x0, y0) = (x as usize, y as usize);
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let (p00, p10) = (self.rgb(x0, y0), self.rgb(x0 + 1, y0));
        let (p01, p11) = (self.rgb(x0, y0 + 1), self.rgb(x0 + 1, y0 + 1));
        Some(std::array::from_fn(|c| {
            let top = p00[c] + (p10[c] - p00[c]) * fx;
            let bottom = p01[c] + (p11[c] - p01[c]) * fx;
            top + (bottom - top) * fy
        }))
    }

    /// Grey level (BT.601 luma, 0..255) at pixel (x, y), clamped into the frame.
    #[inline]
    pub fn luma(&self, x: usize, y: usize) -> f32 {
        match self.layout {
            Layout::I420 | Layout::Nv12 => {
                let x = x.min(self.width - 1);
                let y = y.min(self.height - 1);
                super::color::video_to_grey(self.planes[0].as_ref()[y * self.strides[0] + x])
            }
            Layout::Packed { .. } => super::color::grey(self.rgb(x, y)),
        }
    }

    /// Grey levels (as [`Frame::luma`]) of pixels `x0..x1` of row `y` (clamped into the
    /// frame), appended to `out`; the layout is matched once per row.
    pub fn luma_row(&self, y: usize, x0: usize, x1: usize, out: &mut Vec<f32>) {
        let row = self.row(0, y, x0, x1);
        match self.layout {
            Layout::I420 | Layout::Nv12 => {
                out.extend(row.iter().map(|&v| super::color::video_to_grey(v)))
            }
            Layout::Packed { bpp, r, g, b } => out.extend(
                row.chunks_exact(bpp)
                    .map(|p| super::color::grey([p[r] as f32, p[g] as f32, p[b] as f32])),
            ),
        }
    }

    /// Pixels `x0..x1` x `y0..y1` (clamped into the frame) as tightly packed 8-bit RGB.
    pub fn to_rgb(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> Vec<u8> {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        let (x0, y0) = (x0.min(x1), y0.min(y1));
        let mut rgb = Vec::with_capacity((x1 - x0) * (y1 - y0) * 3);
        for y in y0..y1 {
            match self.layout {
                // Packed RGB family: the bytes themselves, reordered.
                Layout::Packed { bpp, r, g, b } => {
                    for p in self.row(0, y, x0, x1).chunks_exact(bpp) {
                        rgb.extend_from_slice(&[p[r], p[g], p[b]]);
                    }
                }
                Layout::I420 | Layout::Nv12 => {
                    for x in x0..x1 {
                        let [r, g, b] = self.rgb(x, y);
                        rgb.extend_from_slice(&[(r + 0.5) as u8, (g + 0.5) as u8, (b + 0.5) as u8]);
                    }
                }
            }
        }
        rgb
    }

    /// A copy of the region `x0..x1` x `y0..y1` (clamped into the frame; for I420/NV12 the
    /// start is rounded down to even so chroma stays aligned) in the frame's own layout, with
    /// the start it actually got. `None` when the region is empty.
    pub fn copy_region(
        &self,
        x0: usize,
        y0: usize,
        x1: usize,
        y1: usize,
    ) -> Option<(usize, usize, FrameBuf)> {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        let (mut x0, mut y0) = (x0, y0);
        if self.layout.subsampled() {
            x0 &= !1;
            y0 &= !1;
        }
        if x0 >= x1 || y0 >= y1 {
            return None;
        }
        let (width, height) = (x1 - x0, y1 - y0);
        let mut planes: [Vec<u8>; 3] = Default::default();
        let mut strides = [0; 3];
        for (i, shape) in self.layout.planes(width, height).iter().enumerate() {
            let (sx, sy) = (x0 / shape.sub, y0 / shape.sub);
            let mut out = Vec::with_capacity(shape.row_bytes() * shape.height);
            for y in sy..sy + shape.height {
                out.extend_from_slice(self.row(i, y, sx, sx + shape.width));
            }
            planes[i] = out;
            strides[i] = shape.row_bytes();
        }
        let frame = Frame::new(self.layout, width, height, planes, strides).ok()?;
        Some((x0, y0, frame))
    }
}

impl<P: AsRef<[u8]> + AsMut<[u8]>> Frame<P> {
    /// A borrowed writable view of the same frame.
    pub fn as_view_mut(&mut self) -> FrameMut<'_> {
        let [a, b, c] = &mut self.planes;
        Frame {
            width: self.width,
            height: self.height,
            layout: self.layout,
            planes: [a.as_mut(), b.as_mut(), c.as_mut()],
            strides: self.strides,
        }
    }

    /// Samples `x0..x1` of row `y` of `plane`, writable (clamped as [`Frame::row`]).
    #[inline]
    pub fn row_mut(&mut self, plane: usize, y: usize, x0: usize, x1: usize) -> &mut [u8] {
        let (w, h, bpp) = self.plane_dims(plane);
        let y = y.min(h - 1);
        let x1 = x1.min(w);
        let x0 = x0.min(x1);
        let start = y * self.strides[plane];
        &mut self.planes[plane].as_mut()[start + x0 * bpp..start + x1 * bpp]
    }

    /// The sample at (x, y) of `plane`, writable; `None` outside the plane.
    #[inline]
    pub fn sample_mut(&mut self, plane: usize, x: usize, y: usize) -> Option<&mut [u8]> {
        let (w, h, _) = self.plane_dims(plane);
        (plane < self.plane_count() && x < w && y < h).then(|| self.row_mut(plane, y, x, x + 1))
    }

    /// Mixes pixel (x, y) towards `rgb` by `alpha` (1 = paint over); outside the frame is
    /// ignored. Chroma of I420/NV12 is blended once per 2x2 block (at its top-left pixel)
    /// so translucent paint keeps its colour.
    #[inline]
    pub fn blend(&mut self, x: i64, y: i64, rgb: [u8; 3], alpha: f32) {
        self.paint(x, y, rgb, alpha, false);
    }

    /// Paints pixel (x, y) with `rgb` (chroma included); outside the frame is ignored.
    #[inline]
    pub fn put(&mut self, x: i64, y: i64, rgb: [u8; 3]) {
        self.paint(x, y, rgb, 1.0, true);
    }

    #[inline]
    fn paint(&mut self, x: i64, y: i64, rgb: [u8; 3], alpha: f32, every_chroma: bool) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 || alpha <= 0.0 {
            return;
        }
        let alpha = alpha.min(1.0);
        let (x, y) = (x as usize, y as usize);
        let mix = |old: u8, new: u8| {
            (old as f32 + (new as f32 - old as f32) * alpha)
                .round()
                .clamp(0.0, 255.0) as u8
        };
        match self.layout {
            Layout::Packed { r, g, b, .. } => {
                let p = self.row_mut(0, y, x, x + 1);
                p[r] = mix(p[r], rgb[0]);
                p[g] = mix(p[g], rgb[1]);
                p[b] = mix(p[b], rgb[2]);
            }
            Layout::I420 | Layout::Nv12 => {
                let [yy, u, v] = super::color::rgb_to_yuv8(rgb);
                let p = &mut self.row_mut(0, y, x, x + 1)[0];
                *p = mix(*p, yy);
                if every_chroma || (x % 2 == 0 && y % 2 == 0) {
                    let (cx, cy) = (x / 2, y / 2);
                    if self.layout == Layout::I420 {
                        let p = &mut self.row_mut(1, cy, cx, cx + 1)[0];
                        *p = mix(*p, u);
                        let p = &mut self.row_mut(2, cy, cx, cx + 1)[0];
                        *p = mix(*p, v);
                    } else {
                        let p = self.row_mut(1, cy, cx, cx + 1);
                        p[0] = mix(p[0], u);
                        p[1] = mix(p[1], v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Planes for `layout` at `width` x `height` with `pad` bytes of row padding, filled
    /// with a pattern.
    pub(crate) fn planes(
        layout: Layout,
        width: usize,
        height: usize,
        pad: usize,
    ) -> ([Vec<u8>; 3], [usize; 3]) {
        let mut planes: [Vec<u8>; 3] = Default::default();
        let mut strides = [0; 3];
        for (i, s) in layout.planes(width, height).iter().enumerate() {
            strides[i] = s.row_bytes() + pad;
            // The last row without its padding: the tightest buffer a decoder may hand over.
            let len = (s.height - 1) * strides[i] + s.row_bytes();
            planes[i] = (0..len).map(|k| ((k * 37 + i * 11) % 251) as u8).collect();
        }
        (planes, strides)
    }

    #[test]
    fn short_planes_and_strides_are_refused_with_the_reason() {
        let data = [0u8; 47];
        let e = Frame::new(Layout::RGB, 4, 4, [&data[..], &[], &[]], [12, 0, 0]).unwrap_err();
        assert_eq!(
            e,
            FrameError::PlaneTooShort {
                plane: 0,
                len: 47,
                need: 48
            }
        );
        assert!(
            Frame::new(Layout::RGB, 4, 4, [&data[..], &[], &[]], [11, 0, 0])
                .unwrap_err()
                .to_string()
                .contains("stride 11")
        );
        let (p, s) = planes(Layout::I420, 5, 5, 0);
        // Chroma of a 5x5 I420 frame is 3x3.
        assert_eq!(s, [5, 3, 3]);
        let short_u = &p[1][..8];
        assert!(Frame::new(Layout::I420, 5, 5, [&p[0][..], short_u, &p[2][..]], s).is_err());
        assert_eq!(
            Frame::new(Layout::Nv12, 0, 5, [&p[0][..], &[], &[]], s).unwrap_err(),
            FrameError::Empty
        );
    }

    #[test]
    fn every_access_clamps_into_the_frame_at_odd_sizes_and_padded_strides() {
        for layout in Layout::ALL {
            for (w, h) in [(1, 1), (1, 7), (7, 1), (5, 3), (33, 17)] {
                let (p, s) = planes(layout, w, h, 3);
                let f = Frame::new(layout, w, h, [&p[0][..], &p[1][..], &p[2][..]], s).unwrap();
                for (x, y) in [
                    (0, 0),
                    (w, h),
                    (w + 5, 0),
                    (0, h + 9),
                    (usize::MAX, usize::MAX),
                ] {
                    let _ = f.rgb(x, y);
                    let _ = f.luma(x, y);
                    let _ = f.chroma(x, y);
                    let mut out = Vec::new();
                    f.luma_row(y, x, x + 10, &mut out);
                }
                assert_eq!(f.rgb(w + 100, h + 100), f.rgb(w - 1, h - 1));
                for (x, y) in [(-0.5, -0.5), (w as f32 - 0.5, h as f32 - 0.5)] {
                    assert!(f.sample(x, y).is_some(), "{layout:?} {w}x{h} at {x},{y}");
                }
                assert!(f.sample(f32::NAN, 0.0).is_none());
                assert!(f.sample(w as f32, 0.0).is_none());
                assert_eq!(f.to_rgb(0, 0, w + 8, h + 8).len(), w * h * 3);
            }
        }
    }

    #[test]
    fn region_copy_keeps_pixels_and_chroma_alignment() {
        for layout in Layout::ALL {
            let (w, h) = (13, 9);
            let (p, s) = planes(layout, w, h, 5);
            let f = Frame::new(layout, w, h, [&p[0][..], &p[1][..], &p[2][..]], s).unwrap();
            let (x0, y0, copy) = f.copy_region(3, 3, 40, 40).unwrap();
            let start = if layout.subsampled() { 2 } else { 3 };
            assert_eq!(
                (x0, y0, copy.width(), copy.height()),
                (start, start, w - start, h - start)
            );
            for (x, y) in [(0, 0), (4, 3), (copy.width() - 1, copy.height() - 1)] {
                assert_eq!(copy.rgb(x, y), f.rgb(x + x0, y + y0), "{layout:?} {x},{y}");
            }
            assert!(f.copy_region(20, 0, 30, 5).is_none());
        }
    }

    #[test]
    fn writes_stay_inside_and_chroma_blends_once_per_block() {
        for layout in Layout::ALL {
            let (w, h) = (5, 3);
            let (mut p, s) = planes(layout, w, h, 2);
            let before = p.clone();
            {
                let [a, b, c] = &mut p;
                let mut f =
                    Frame::new(layout, w, h, [&mut a[..], &mut b[..], &mut c[..]], s).unwrap();
                for (x, y) in [(-1, 0), (0, -1), (5, 0), (0, 3), (i64::MAX, i64::MIN)] {
                    f.put(x, y, [255, 255, 255]);
                }
            }
            assert_eq!(p, before, "{layout:?}: a write outside the frame landed");
            {
                let [a, b, c] = &mut p;
                let mut f =
                    Frame::new(layout, w, h, [&mut a[..], &mut b[..], &mut c[..]], s).unwrap();
                f.put(4, 2, [255, 255, 255]);
                assert!(f.rgb(4, 2).iter().all(|&c| c > 250.0), "{layout:?}");
            }
        }
        let (mut y, mut u, mut v) = (vec![200u8; 16], vec![128u8; 4], vec![128u8; 4]);
        let mut f =
            Frame::new(Layout::I420, 4, 4, [&mut y[..], &mut u, &mut v], [4, 2, 2]).unwrap();
        for (x, yy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            f.blend(x, yy, [255, 0, 0], 0.5);
        }
        let once = (128.0 + (rgb_v() - 128.0) * 0.5).round() as u8;
        assert_eq!(v[0], once);
    }

    fn rgb_v() -> f32 {
        super::super::color::rgb_to_yuv8([255, 0, 0])[2] as f32
    }
}
