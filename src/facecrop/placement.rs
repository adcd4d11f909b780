//! Where the crop window goes: centred on the face, shifted (never shrunk) to stay inside
//! the frame, its centre (and scale) smoothed over time; face boxes moved into crop
//! coordinates.

use super::Fit;
use super::camera::Size;
use crate::face::BoundingBox;

/// A rectangle of the input frame in whole pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropWindow {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl CropWindow {
    pub fn center(&self) -> (f32, f32) {
        (
            self.x as f32 + self.width as f32 / 2.0,
            self.y as f32 + self.height as f32 / 2.0,
        )
    }

    /// True when the window touches a frame edge (where placement may shift it off-centre).
    pub fn touches_edge(&self, frame: Size) -> bool {
        self.x == 0
            || self.y == 0
            || self.x + self.width >= frame.width
            || self.y + self.height >= frame.height
    }
}

/// Places a `size` window centred on `center` inside `frame`, shifted (never shrunk) to stay
/// inside; offsets are multiples of `align` (2 for subsampled chroma), rounded to the nearest.
/// `None` when the window is larger than the frame.
pub fn place_window(center: (f32, f32), size: Size, frame: Size, align: u32) -> Option<CropWindow> {
    if size.width > frame.width || size.height > frame.height {
        return None;
    }
    let align = align.max(1);
    let axis = |c: f32, len: u32, full: u32| {
        let max = (full - len) / align * align;
        let start = ((c - len as f32 / 2.0) / align as f32).round() * align as f32;
        (start.max(0.0) as u32).min(max)
    };
    Some(CropWindow {
        x: axis(center.0, size.width, frame.width),
        y: axis(center.1, size.height, frame.height),
        width: size.width,
        height: size.height,
    })
}

/// Scale factor (source pixels per target pixel) the face needs: 1 when it fits, larger when
/// `fit=scale` must take a bigger region to hold the whole face box plus `margin` (a fraction
/// of the box's size) on each side. Detectors need that context to find the face again.
pub fn needed_scale(face: &BoundingBox, target: Size, fit: Fit, margin: f32) -> f32 {
    let grow = 1.0 + 2.0 * margin.max(0.0);
    match fit {
        Fit::Crop => 1.0,
        Fit::Scale => (face.width * grow / target.width as f32)
            .max(face.height * grow / target.height as f32)
            .max(1.0),
    }
}

/// The source region for a target of `target` at scale `scale`, capped to the frame (then the
/// largest region of the target's aspect ratio that fits).
pub fn region_size(target: Size, scale: f32, frame: Size) -> Size {
    let cap =
        (frame.width as f32 / target.width as f32).min(frame.height as f32 / target.height as f32);
    let s = scale.min(cap);
    Size::new(
        ((target.width as f32 * s).round() as u32).clamp(1, frame.width),
        ((target.height as f32 * s).round() as u32).clamp(1, frame.height),
    )
}

/// Smooths the crop centre (and, for `fit=scale`, the region scale) over time.
///
/// The centre is an exponential moving average of the face centre (`smoothing` = weight of the
/// previous value, 0 = follow exactly), then kept within `max_lag` pixels of the face centre,
/// so the face is never left behind: small detector jitter is absorbed, real motion followed.
#[derive(Debug, Clone, Default)]
pub struct Smoother {
    centre: Option<(f32, f32)>,
    scale: Option<f32>,
    track: Option<i32>,
}

impl Smoother {
    /// Forgets the past (new stream, new size or another face).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The last smoothed centre, if any.
    pub fn centre(&self) -> Option<(f32, f32)> {
        self.centre
    }

    /// The smoothed centre for this frame's face centre. A change of `track` restarts.
    pub fn update(
        &mut self,
        face: (f32, f32),
        track: i32,
        smoothing: f32,
        max_lag: f32,
    ) -> (f32, f32) {
        if self.track != Some(track) {
            self.reset();
            self.track = Some(track);
        }
        let a = smoothing.clamp(0.0, 1.0);
        let follow = |prev: f32, now: f32| {
            let ema = prev * a + now * (1.0 - a);
            ema.clamp(now - max_lag, now + max_lag)
        };
        let c = match self.centre {
            None => face,
            Some(p) => (follow(p.0, face.0), follow(p.1, face.1)),
        };
        self.centre = Some(c);
        c
    }

    /// The smoothed region scale; never below `needed`, so the whole face stays in.
    pub fn update_scale(&mut self, needed: f32, smoothing: f32) -> f32 {
        let a = smoothing.clamp(0.0, 1.0);
        let s = match self.scale {
            None => needed,
            Some(p) => (p * a + needed * (1.0 - a)).max(needed),
        };
        self.scale = Some(s);
        s
    }
}

/// How the crop window follows the face (the `fit`, `smoothing`, `max-lag` and `margin`
/// properties).
#[derive(Debug, Clone, Copy)]
pub struct Follow {
    pub fit: Fit,
    pub smoothing: f32,
    pub max_lag: f32,
    pub margin: f32,
}

impl Smoother {
    /// This frame's crop window for a `target`-sized output from a `frame`: around the
    /// smoothed centre of `face` (`(box, track id)`), or, for a frame kept without a face,
    /// at the last centre (else the frame centre) at scale 1. Offsets are multiples of
    /// `align`.
    pub fn window(
        &mut self,
        face: Option<(&BoundingBox, i32)>,
        target: Size,
        frame: Size,
        follow: Follow,
        align: u32,
    ) -> Option<CropWindow> {
        let (centre, scale) = match face {
            Some((bbox, track)) => (
                self.update(bbox.center(), track, follow.smoothing, follow.max_lag),
                self.update_scale(
                    needed_scale(bbox, target, follow.fit, follow.margin),
                    follow.smoothing,
                ),
            ),
            None => (
                self.centre()
                    .unwrap_or((frame.width as f32 / 2.0, frame.height as f32 / 2.0)),
                1.0,
            ),
        };
        place_window(centre, region_size(target, scale, frame), frame, align)
    }
}

/// A face box moved into the coordinates of a crop of `region` scaled to `target`; `None`
/// when the box lies wholly outside the crop. Landmarks are normalised to the box, so they
/// follow it without change.
pub fn box_to_crop(face: &BoundingBox, region: CropWindow, target: Size) -> Option<BoundingBox> {
    let sx = target.width as f32 / region.width as f32;
    let sy = target.height as f32 / region.height as f32;
    let b = BoundingBox::new(
        (face.x - region.x as f32) * sx,
        (face.y - region.y as f32) * sy,
        face.width * sx,
        face.height * sy,
    );
    let inside = b.x < target.width as f32
        && b.y < target.height as f32
        && b.x + b.width > 0.0
        && b.y + b.height > 0.0;
    inside.then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_centred_then_shifted_not_shrunk() {
        let frame = Size::new(640, 480);
        let s = Size::new(160, 160);
        let w = place_window((320.0, 240.0), s, frame, 1).unwrap();
        assert_eq!((w.x, w.y, w.width, w.height), (240, 160, 160, 160));
        assert_eq!(w.center(), (320.0, 240.0));
        // Near the top-left corner: shifted to 0, same size.
        let w = place_window((10.0, 30.0), s, frame, 1).unwrap();
        assert_eq!((w.x, w.y, w.width, w.height), (0, 0, 160, 160));
        assert!(w.touches_edge(frame));
        // Near the bottom-right corner.
        let w = place_window((639.0, 479.0), s, frame, 1).unwrap();
        assert_eq!((w.x, w.y), (480, 320));
        // Subsampled formats: even offsets, at most one pixel off the centre.
        let w = place_window((321.0, 241.0), Size::new(61, 61), frame, 2).unwrap();
        assert_eq!((w.x % 2, w.y % 2), (0, 0));
        assert!((w.center().0 - 321.0).abs() <= 1.0 && (w.center().1 - 241.0).abs() <= 1.0);
        // Odd room at the far edge stays inside with an even offset.
        let w = place_window((1000.0, 1000.0), Size::new(61, 61), Size::new(176, 144), 2).unwrap();
        assert!(
            w.x + 61 <= 176 && w.y + 61 <= 144 && w.x.is_multiple_of(2) && w.y.is_multiple_of(2)
        );
        assert!(place_window((5.0, 5.0), Size::new(700, 10), frame, 1).is_none());
    }

    #[test]
    fn smoothing_absorbs_jitter_and_never_lags_behind() {
        let mut s = Smoother::default();
        assert_eq!(s.update((100.0, 100.0), 1, 0.8, 2.0), (100.0, 100.0));
        // +-1.5 px jitter: the centre moves far less than the face.
        let mut moved = 0.0f32;
        let mut prev = 100.0;
        for i in 0..20 {
            let x = if i % 2 == 0 { 101.5 } else { 98.5 };
            let c = s.update((x, 100.0), 1, 0.8, 2.0);
            moved += (c.0 - prev).abs();
            prev = c.0;
            assert!((c.0 - x).abs() <= 2.0);
        }
        assert!(moved < 0.5 * 20.0 * 3.0, "moved {moved}");
        // A fast move: the centre stays within max-lag of the face.
        let c = s.update((200.0, 100.0), 1, 0.8, 2.0);
        assert!((c.0 - 200.0).abs() <= 2.0 + 1e-4);
        // No smoothing follows exactly; another track restarts at its face.
        assert_eq!(s.update((150.0, 90.0), 1, 0.0, 2.0), (150.0, 90.0));
        assert_eq!(s.update((10.0, 10.0), 2, 0.9, 2.0), (10.0, 10.0));
    }

    #[test]
    fn scale_smoothing_keeps_the_face_in() {
        let mut s = Smoother::default();
        assert_eq!(s.update_scale(2.0, 0.8), 2.0);
        assert_eq!(s.update_scale(3.0, 0.8), 3.0);
        let shrinking = s.update_scale(1.0, 0.8);
        assert!(shrinking > 2.0 && shrinking < 3.0);
    }

    #[test]
    fn needed_scale_and_region() {
        let t = Size::new(60, 60);
        let frame = Size::new(640, 480);
        let face = BoundingBox::new(100.0, 100.0, 150.0, 120.0);
        assert_eq!(needed_scale(&face, t, Fit::Crop, 0.25), 1.0);
        assert_eq!(needed_scale(&face, t, Fit::Scale, 0.0), 2.5);
        assert_eq!(needed_scale(&face, t, Fit::Scale, 0.25), 3.75);
        assert_eq!(
            needed_scale(&BoundingBox::new(0.0, 0.0, 30.0, 30.0), t, Fit::Scale, 0.25),
            1.0
        );
        assert_eq!(region_size(t, 2.5, frame), Size::new(150, 150));
        // Capped by the frame height: the largest square that fits.
        assert_eq!(region_size(t, 20.0, frame), Size::new(480, 480));
    }

    #[test]
    fn boxes_move_into_crop_coordinates() {
        let region = CropWindow {
            x: 100,
            y: 50,
            width: 200,
            height: 200,
        };
        let b = box_to_crop(
            &BoundingBox::new(150.0, 100.0, 100.0, 80.0),
            region,
            Size::new(100, 100),
        )
        .unwrap();
        assert_eq!(b, BoundingBox::new(25.0, 25.0, 50.0, 40.0));
        let same = box_to_crop(
            &BoundingBox::new(150.0, 100.0, 10.0, 10.0),
            region,
            Size::new(200, 200),
        )
        .unwrap();
        assert_eq!(same, BoundingBox::new(50.0, 50.0, 10.0, 10.0));
        assert!(
            box_to_crop(
                &BoundingBox::new(0.0, 0.0, 50.0, 40.0),
                region,
                Size::new(200, 200)
            )
            .is_none()
        );
    }
}
