//! Debug drawing straight into raw frames (RGB family, I420, NV12): dots, lines, boxes.

/// A mutable frame to draw on: the checked frame view, so drawing cannot leave it.
pub type Canvas<'a> = crate::frame::view::FrameMut<'a>;

/// Debug drawing on any writable frame.
impl<P: AsRef<[u8]> + AsMut<[u8]>> crate::frame::view::Frame<P> {
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
        let steps = steps.min(4 * (self.width() + self.height()));
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
    use crate::frame::view::Layout;

    #[test]
    fn draws_into_packed_and_planar_frames_without_leaving_bounds() {
        let mut rgb = vec![0u8; 4 * 4 * 3];
        let mut c =
            Canvas::new(Layout::RGB, 4, 4, [&mut rgb, &mut [], &mut []], [12, 0, 0]).unwrap();
        c.rect(0.0, 0.0, 3.0, 3.0, [255, 0, 0]);
        c.line((-100.0, -100.0), (100.0, 100.0), [0, 255, 0]);
        assert_eq!(&rgb[0..3], &[0, 255, 0]);
        assert_eq!(&rgb[3..6], &[255, 0, 0]);

        let (mut y, mut u, mut v) = (vec![0u8; 16], vec![0u8; 4], vec![0u8; 4]);
        let mut c = Canvas::new(Layout::I420, 4, 4, [&mut y, &mut u, &mut v], [4, 2, 2]).unwrap();
        c.dot(3.0, 3.0, 1, [255, 255, 255]);
        assert_eq!(y[15], 235);
        assert_eq!(y[0], 0);
    }
}
