//! Debug drawing straight into raw frames (RGB family, I420, NV12): dots, lines, boxes.

use crate::frame::image::Layout;

/// A mutable frame to draw on.
pub struct Canvas<'a> {
    pub width: usize,
    pub height: usize,
    pub layout: Layout,
    pub planes: [&'a mut [u8]; 3],
    pub strides: [usize; 3],
}

/// 8-bit RGB to 8-bit BT.601 limited-range YUV.
pub fn rgb_to_yuv([r, g, b]: [u8; 3]) -> [u8; 3] {
    let [y, u, v] = crate::frame::image::rgb_to_yuv([r as f32, g as f32, b as f32]);
    [y as u8, u as u8, v as u8]
}

impl Canvas<'_> {
    pub fn put(&mut self, x: i64, y: i64, rgb: [u8; 3]) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let (x, y) = (x as usize, y as usize);
        match self.layout {
            Layout::Packed { bpp, r, g, b } => {
                let o = y * self.strides[0] + x * bpp;
                let p = &mut self.planes[0];
                p[o + r] = rgb[0];
                p[o + g] = rgb[1];
                p[o + b] = rgb[2];
            }
            Layout::I420 => {
                let [yy, u, v] = rgb_to_yuv(rgb);
                self.planes[0][y * self.strides[0] + x] = yy;
                self.planes[1][(y / 2) * self.strides[1] + x / 2] = u;
                self.planes[2][(y / 2) * self.strides[2] + x / 2] = v;
            }
            Layout::Nv12 => {
                let [yy, u, v] = rgb_to_yuv(rgb);
                self.planes[0][y * self.strides[0] + x] = yy;
                let o = (y / 2) * self.strides[1] + (x / 2) * 2;
                self.planes[1][o] = u;
                self.planes[1][o + 1] = v;
            }
        }
    }

    /// A filled square dot of radius `r` (0 = one pixel).
    pub fn dot(&mut self, x: f32, y: f32, r: i64, rgb: [u8; 3]) {
        let (cx, cy) = (x.floor() as i64, y.floor() as i64);
        for dy in -r..=r {
            for dx in -r..=r {
                self.put(cx + dx, cy + dy, rgb);
            }
        }
    }

    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), rgb: [u8; 3]) {
        let steps = (to.0 - from.0)
            .abs()
            .max((to.1 - from.1).abs())
            .ceil()
            .max(1.0) as usize;
        // Bounded so a wild coordinate cannot stall the streaming thread.
        let steps = steps.min(4 * (self.width + self.height));
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            let x = from.0 + (to.0 - from.0) * t;
            let y = from.1 + (to.1 - from.1) * t;
            self.put(x.floor() as i64, y.floor() as i64, rgb);
        }
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: [u8; 3]) {
        self.line((x, y), (x + w, y), rgb);
        self.line((x + w, y), (x + w, y + h), rgb);
        self.line((x + w, y + h), (x, y + h), rgb);
        self.line((x, y + h), (x, y), rgb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_into_packed_and_planar_frames_without_leaving_bounds() {
        let mut rgb = vec![0u8; 4 * 4 * 3];
        let mut c = Canvas {
            width: 4,
            height: 4,
            layout: Layout::RGB,
            planes: [&mut rgb, &mut [], &mut []],
            strides: [12, 0, 0],
        };
        c.rect(0.0, 0.0, 3.0, 3.0, [255, 0, 0]);
        c.line((-100.0, -100.0), (100.0, 100.0), [0, 255, 0]);
        assert_eq!(&rgb[0..3], &[0, 255, 0]);
        assert_eq!(&rgb[3..6], &[255, 0, 0]);

        let (mut y, mut u, mut v) = (vec![0u8; 16], vec![0u8; 4], vec![0u8; 4]);
        let mut c = Canvas {
            width: 4,
            height: 4,
            layout: Layout::I420,
            planes: [&mut y, &mut u, &mut v],
            strides: [4, 2, 2],
        };
        c.dot(3.0, 3.0, 1, [255, 255, 255]);
        assert_eq!(y[15], 235);
        assert_eq!(y[0], 0);
    }
}
