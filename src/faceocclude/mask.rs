//! Coverage masks over a frame: polygons filled, unions and cut-outs, feathered edges, the
//! masks at a chroma plane's resolution, and the pixelation grid. No pixels are touched here
//! ([`super::composite`] does that).
//!
//! Masks hold coverage 0..=255. Polygons fill to 255 (hidden); [`Mask::feathered`] adds an
//! anti-aliased ramp *outside* the hidden pixels, so a soft edge never uncovers anything.

use crate::frame::polygon::{FillRule, scan_polygon};

/// A coverage mask (255: hidden; lower: blended that much, 0: untouched) over a rectangle
/// of the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    pub x0: usize,
    pub y0: usize,
    pub w: usize,
    pub h: usize,
    pub data: Vec<u8>,
}

impl Mask {
    /// An empty mask over the bounding box of `polys`, clipped to a `width` x `height` frame.
    pub fn covering(width: usize, height: usize, polys: &[&[[f32; 2]]]) -> Self {
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for p in polys.iter().flat_map(|p| p.iter()) {
            if p[0].is_finite() && p[1].is_finite() {
                lo = [lo[0].min(p[0]), lo[1].min(p[1])];
                hi = [hi[0].max(p[0]), hi[1].max(p[1])];
            }
        }
        if lo[0] > hi[0] {
            return Self::empty();
        }
        let x0 = lo[0].floor().clamp(0.0, width as f32) as usize;
        let y0 = lo[1].floor().clamp(0.0, height as f32) as usize;
        let x1 = hi[0].ceil().clamp(0.0, width as f32) as usize;
        let y1 = hi[1].ceil().clamp(0.0, height as f32) as usize;
        let (w, h) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
        Self {
            x0,
            y0,
            w,
            h,
            data: vec![0; w * h],
        }
    }

    /// The whole frame, covered.
    pub fn full(width: usize, height: usize) -> Self {
        Self {
            x0: 0,
            y0: 0,
            w: width,
            h: height,
            data: vec![255; width * height],
        }
    }

    pub fn empty() -> Self {
        Self {
            x0: 0,
            y0: 0,
            w: 0,
            h: 0,
            data: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.data.iter().any(|&v| v != 0)
    }

    /// Sets every pixel whose centre lies inside the convex polygon `poly` to `value`.
    pub fn fill_convex(&mut self, poly: &[[f32; 2]], value: u8) {
        let (x0, y0, w) = (self.x0, self.y0, self.w);
        scan_polygon(
            poly,
            x0..x0 + w,
            y0..y0 + self.h,
            FillRule::Convex,
            |y, a, b| self.data[(y - y0) * w + a - x0..(y - y0) * w + b - x0].fill(value),
        );
    }

    /// The pixels covered in `self` or in `other`, over both rectangles.
    pub fn union(&self, other: &Mask) -> Mask {
        if other.w == 0 || other.h == 0 {
            return self.clone();
        }
        if self.w == 0 || self.h == 0 {
            return other.clone();
        }
        let (x0, y0) = (self.x0.min(other.x0), self.y0.min(other.y0));
        let x1 = (self.x0 + self.w).max(other.x0 + other.w);
        let y1 = (self.y0 + self.h).max(other.y0 + other.h);
        let (w, h) = (x1 - x0, y1 - y0);
        let mut data = vec![0; w * h];
        for m in [self, other] {
            for y in 0..m.h {
                let row = (m.y0 + y - y0) * w + m.x0 - x0;
                for (out, &v) in data[row..row + m.w]
                    .iter_mut()
                    .zip(&m.data[y * m.w..(y + 1) * m.w])
                {
                    *out = (*out).max(v);
                }
            }
        }
        Mask { x0, y0, w, h, data }
    }

    /// Clears the pixels covered in `other`.
    pub fn subtract(&mut self, other: &Mask) {
        for y in self.y0..self.y0 + self.h {
            for x in self.x0..self.x0 + self.w {
                if other.at(x, y) != 0 {
                    self.data[(y - self.y0) * self.w + x - self.x0] = 0;
                }
            }
        }
    }

    /// Takes `other`'s coverage for the soft (partly covered) pixels that lie in `open`: an
    /// uncovered region's rim gets a ramp of its own (fully covered pixels stay).
    pub fn replace_soft_in(&mut self, open: &Mask, other: &Mask) {
        for y in self.y0..self.y0 + self.h {
            for x in self.x0..self.x0 + self.w {
                let v = &mut self.data[(y - self.y0) * self.w + x - self.x0];
                if *v < 255 && open.at(x, y) != 0 {
                    *v = other.at(x, y);
                }
            }
        }
    }

    /// This mask of kept (uncovered) pixels with its rim softened by `soft`, a feathered
    /// coverage: a kept pixel keeps 255 minus the coverage `soft` gives it (0 where `soft`
    /// covers it fully), so a sticker fades into a cut-out like the other styles do.
    pub fn rimmed(&self, soft: &Mask) -> Mask {
        let mut out = self.clone();
        for y in self.y0..self.y0 + self.h {
            for x in self.x0..self.x0 + self.w {
                let v = &mut out.data[(y - self.y0) * self.w + x - self.x0];
                if *v != 0 {
                    *v = 255 - soft.at(x, y);
                }
            }
        }
        out
    }

    /// Coverage at frame pixel (x, y); 0 outside the mask's rectangle.
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> u8 {
        if x < self.x0 || y < self.y0 || x >= self.x0 + self.w || y >= self.y0 + self.h {
            0
        } else {
            self.data[(y - self.y0) * self.w + x - self.x0]
        }
    }

    /// The mask at a plane's resolution: a sample takes the strongest coverage of the pixels
    /// under it (so no hidden pixel escapes through chroma).
    pub(super) fn subsampled(&self, sub: usize) -> Mask {
        if sub == 1 {
            return self.clone();
        }
        let x0 = self.x0 / sub;
        let y0 = self.y0 / sub;
        let x1 = (self.x0 + self.w).div_ceil(sub);
        let y1 = (self.y0 + self.h).div_ceil(sub);
        let (w, h) = (x1 - x0, y1 - y0);
        let mut data = vec![0; w * h];
        for y in 0..self.h {
            let py = (self.y0 + y) / sub - y0;
            for x in 0..self.w {
                let v = self.data[y * self.w + x];
                let px = (self.x0 + x) / sub - x0;
                let out = &mut data[py * w + px];
                *out = (*out).max(v);
            }
        }
        Mask { x0, y0, w, h, data }
    }

    /// This mask with a feathered edge: every covered pixel keeps its coverage, and the
    /// `ramp` pixels around the covered ones fall linearly from 255 towards 0 with their
    /// distance (a two-pass 3x3 chamfer distance, within 8% of Euclidean). The ramp lies
    /// wholly outside what was covered: fail-closed, it only softens the step into
    /// uncovered pixels. Clipped to a `width` x `height` frame.
    pub fn feathered(&self, ramp: f32, width: usize, height: usize) -> Mask {
        let [soft] = self.feathered_each([ramp], width, height);
        soft
    }

    /// [`Mask::feathered`] with several ramp widths at once, off one distance transform.
    pub fn feathered_each<const N: usize>(
        &self,
        ramps: [f32; N],
        width: usize,
        height: usize,
    ) -> [Mask; N] {
        let valid = |ramp: f32| !(ramp.is_nan() || ramp < 1.0);
        let widest = ramps
            .iter()
            .copied()
            .filter(|&r| valid(r))
            .fold(0.0, f32::max);
        if self.w == 0 || self.h == 0 || widest < 1.0 {
            return std::array::from_fn(|_| self.clone());
        }
        let reach = widest.ceil() as usize;
        let x0 = self.x0.saturating_sub(reach);
        let y0 = self.y0.saturating_sub(reach);
        let x1 = (self.x0 + self.w + reach).min(width.max(self.x0 + self.w));
        let y1 = (self.y0 + self.h + reach).min(height.max(self.y0 + self.h));
        let (w, h) = (x1 - x0, y1 - y0);
        const FAR: f32 = f32::MAX / 4.0;
        let mut dist = vec![FAR; w * h];
        for y in 0..self.h {
            for x in 0..self.w {
                if self.data[y * self.w + x] == 255 {
                    dist[(y + self.y0 - y0) * w + x + self.x0 - x0] = 0.0;
                }
            }
        }
        let diagonal = std::f32::consts::SQRT_2;
        for y in 0..h {
            for x in 0..w {
                let mut d = dist[y * w + x];
                if x > 0 {
                    d = d.min(dist[y * w + x - 1] + 1.0);
                }
                if y > 0 {
                    d = d.min(dist[(y - 1) * w + x] + 1.0);
                    if x > 0 {
                        d = d.min(dist[(y - 1) * w + x - 1] + diagonal);
                    }
                    if x + 1 < w {
                        d = d.min(dist[(y - 1) * w + x + 1] + diagonal);
                    }
                }
                dist[y * w + x] = d;
            }
        }
        for y in (0..h).rev() {
            for x in (0..w).rev() {
                let mut d = dist[y * w + x];
                if x + 1 < w {
                    d = d.min(dist[y * w + x + 1] + 1.0);
                }
                if y + 1 < h {
                    d = d.min(dist[(y + 1) * w + x] + 1.0);
                    if x + 1 < w {
                        d = d.min(dist[(y + 1) * w + x + 1] + diagonal);
                    }
                    if x > 0 {
                        d = d.min(dist[(y + 1) * w + x - 1] + diagonal);
                    }
                }
                dist[y * w + x] = d;
            }
        }
        // Beyond a narrower ramp's reach its coverage is 0, as if its own, smaller
        // rectangle had been used.
        std::array::from_fn(|k| {
            let ramp = ramps[k];
            if !valid(ramp) {
                return self.clone();
            }
            let mut data: Vec<u8> = dist
                .iter()
                .map(|&d| (255.0 * (1.0 - d / (ramp + 1.0))).clamp(0.0, 255.0) as u8)
                .collect();
            // Partial coverage already in the mask is kept where it is stronger.
            for y in 0..self.h {
                for x in 0..self.w {
                    let out = &mut data[(y + self.y0 - y0) * w + x + self.x0 - x0];
                    *out = (*out).max(self.data[y * self.w + x]);
                }
            }
            Mask { x0, y0, w, h, data }
        })
    }

    /// Whole pixelation cells: every pixel of a cell of `grid` that is at least
    /// WHOLE_CELL_SHARE hidden in `self` is covered, except where
    /// `open` is set (regions a viewer was given keep their own edge); `soft` (e.g. this
    /// mask feathered) is kept where it is stronger. Clipped to a `width` x `height` frame.
    pub fn snapped_to_cells(
        &self,
        grid: CellGrid,
        open: Option<&Mask>,
        soft: &Mask,
        width: usize,
        height: usize,
    ) -> Mask {
        if self.w == 0 || self.h == 0 {
            return soft.clone();
        }
        let (cx0, cy0) = grid.cell_of(self.x0 as f32 + 0.5, self.y0 as f32 + 0.5);
        let (cx1, cy1) = grid.cell_of(
            (self.x0 + self.w) as f32 - 0.5,
            (self.y0 + self.h) as f32 - 0.5,
        );
        let (nx, ny) = ((cx1 - cx0 + 1) as usize, (cy1 - cy0 + 1) as usize);
        let mut count = vec![0u32; nx * ny];
        let cols = grid.cells_along(0, self.x0..self.x0 + self.w, 1, cx0..=cx1);
        let rows = grid.cells_along(1, self.y0..self.y0 + self.h, 1, cy0..=cy1);
        for (y, cy) in rows.iter().enumerate() {
            let Some(cy) = *cy else { continue };
            let line = &self.data[y * self.w..(y + 1) * self.w];
            for (&v, cx) in line.iter().zip(&cols) {
                if let (255, Some(cx)) = (v, *cx) {
                    count[cy * nx + cx] += 1;
                }
            }
        }
        // A cell grows whole when a good share of it is hidden; a cell the outline only
        // grazes keeps the outline (growing it would push blocks far past the face).
        let whole = (WHOLE_CELL_SHARE * grid.size * grid.size).max(1.0) as u32;
        let hidden: Vec<bool> = count.iter().map(|&n| n >= whole).collect();
        let edge = |c: i64, o: f32| (o + c as f32 * grid.size).floor().max(0.0) as usize;
        let x0 = edge(cx0, grid.origin[0]).min(self.x0);
        let y0 = edge(cy0, grid.origin[1]).min(self.y0);
        let x1 = edge(cx1 + 1, grid.origin[0]).clamp(self.x0 + self.w, width.max(self.x0 + self.w));
        let y1 =
            edge(cy1 + 1, grid.origin[1]).clamp(self.y0 + self.h, height.max(self.y0 + self.h));
        let (w, h) = (x1 - x0, y1 - y0);
        let mut out = Mask {
            x0,
            y0,
            w,
            h,
            data: vec![0; w * h],
        };
        let cols = grid.cells_along(0, out.x0..out.x0 + out.w, 1, cx0..=cx1);
        let rows = grid.cells_along(1, out.y0..out.y0 + out.h, 1, cy0..=cy1);
        for (y, &cy) in (out.y0..out.y0 + out.h).zip(&rows) {
            for (x, cx) in (out.x0..out.x0 + out.w).zip(&cols) {
                let inside = match (*cx, cy) {
                    (Some(cx), Some(cy)) => hidden[cy * nx + cx],
                    _ => false,
                };
                let i = (y - out.y0) * out.w + x - out.x0;
                let cover = if inside && open.is_none_or(|o| o.at(x, y) == 0) {
                    255
                } else {
                    0
                };
                out.data[i] = cover.max(soft.at(x, y)).max(self.at(x, y));
            }
        }
        out.union(soft)
    }
}

/// Share of a pixelation cell that must be hidden for the whole cell to be painted.
const WHOLE_CELL_SHARE: f32 = 0.3;

/// A pixelation grid: square cells of `size` frame pixels, one corner at `origin`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellGrid {
    pub origin: [f32; 2],
    pub size: f32,
}

impl CellGrid {
    /// The cell holding frame point (x, y).
    #[inline]
    pub fn cell_of(&self, x: f32, y: f32) -> (i64, i64) {
        (self.index(x, 0), self.index(y, 1))
    }

    /// The cell index of frame coordinate `at` along `axis` (0: x, 1: y).
    #[inline]
    fn index(&self, at: f32, axis: usize) -> i64 {
        ((at - self.origin[axis]) / self.size.max(1.0)).floor() as i64
    }

    /// For each sample in `samples` along `axis` of a plane subsampled by `sub`: its cell
    /// (taken at the sample's centre in frame pixels) counted from the start of `cells`, or
    /// `None` outside them. Cells are axis-aligned, so a pixel's cell is its column's and
    /// its row's: looked up once per column and row rather than per pixel.
    pub(super) fn cells_along(
        &self,
        axis: usize,
        samples: std::ops::Range<usize>,
        sub: usize,
        cells: std::ops::RangeInclusive<i64>,
    ) -> Vec<Option<usize>> {
        samples
            .map(|a| {
                let c = self.index((a as f32 + 0.5) * sub as f32, axis);
                cells.contains(&c).then(|| (c - cells.start()) as usize)
            })
            .collect()
    }
}

impl Mask {
    /// The mask at a plane's resolution, the other way round: a sample takes the weakest
    /// coverage of the pixels under it. Kept areas (`keep` of [`Planes::sticker`]) use it,
    /// so that a sticker pixel next to a cut-out gets the sticker's chroma, not the frame's
    /// (no grey outline around cut-outs).
    pub(super) fn subsampled_all(&self, sub: usize) -> Mask {
        if sub == 1 {
            return self.clone();
        }
        let mut out = self.subsampled(sub);
        for py in 0..out.h {
            for px in 0..out.w {
                let (x, y) = ((out.x0 + px) * sub, (out.y0 + py) * sub);
                let weakest = (y..y + sub)
                    .flat_map(|yy| (x..x + sub).map(move |xx| (xx, yy)))
                    .map(|(xx, yy)| self.at(xx, yy))
                    .min()
                    .unwrap_or(0);
                out.data[py * out.w + px] = weakest;
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn square(x: f32, y: f32, s: f32) -> Vec<[f32; 2]> {
        vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s]]
    }

    #[test]
    fn convex_fill_covers_pixel_centres_inside() {
        let sq = square(2.0, 3.0, 4.0);
        let mut m = Mask::covering(10, 10, &[&sq]);
        m.fill_convex(&sq, 255);
        let count = m.data.iter().filter(|&&v| v != 0).count();
        assert_eq!(count, 16);
        assert_eq!(m.at(2, 3), 255);
        assert_eq!(m.at(5, 6), 255);
        assert_eq!(m.at(6, 6), 0);
        // Clipped at the frame edge, never out of bounds.
        let big = square(-5.0, -5.0, 30.0);
        let mut m = Mask::covering(10, 10, &[&big]);
        m.fill_convex(&big, 255);
        assert_eq!((m.w, m.h), (10, 10));
        assert!(m.data.iter().all(|&v| v == 255));
    }

    #[test]
    fn chroma_sample_is_covered_when_any_luma_pixel_under_it_is() {
        let mut m = Mask::covering(8, 8, &[&square(3.0, 3.0, 1.0)]);
        m.fill_convex(&square(3.0, 3.0, 1.0), 255);
        let s = m.subsampled(2);
        assert_eq!(s.at(1, 1), 255);
        assert_eq!(s.at(2, 2), 0);
    }

    #[test]
    fn feathered_edge_ramps_down_outside_and_keeps_the_hidden_pixels_hidden() {
        let sq = square(10.0, 10.0, 10.0);
        let mut m = Mask::covering(40, 40, &[&sq]);
        m.fill_convex(&sq, 255);
        let f = m.feathered(4.0, 40, 40);
        // Every hidden pixel stays fully covered (the ramp never eats inwards).
        for y in 0..40 {
            for x in 0..40 {
                if m.at(x, y) == 255 {
                    assert_eq!(f.at(x, y), 255, "{x},{y}");
                }
            }
        }
        // Outside, coverage falls step by step over the ramp and ends at 0.
        let row: Vec<u8> = (20..27).map(|x| f.at(x, 15)).collect();
        assert!(row[..5].windows(2).all(|p| p[0] > p[1]), "{row:?}");
        assert!(row[0] > 150 && row[0] < 255, "{row:?}");
        assert_eq!(f.at(25, 15), 0, "{row:?}");
        assert_eq!(f.at(5, 5), 0);
        // A corner's ramp is round-ish (diagonal distance), not a square halo.
        assert!(f.at(21, 21) > f.at(22, 22) && f.at(23, 23) == 0);
        // The frame edge clips it.
        let edge = square(-5.0, 0.0, 8.0);
        let mut m = Mask::covering(40, 40, &[&edge]);
        m.fill_convex(&edge, 255);
        let f = m.feathered(6.0, 40, 40);
        assert_eq!(f.x0, 0);
        assert!(f.at(2, 3) == 255 && f.at(3, 3) > 0 && f.at(3, 3) < 255);
    }
}
