//! The per-frame decision of `facecrop`, free of GStreamer: which face a frame follows,
//! whether it is kept, where the crop window goes, the faces in crop coordinates, and the
//! counters the messages and properties report. `imp.rs` maps buffers in and out.

use super::Fit;
use super::camera::Size;
use super::placement::{CropWindow, Smoother, box_to_crop};
use super::settings::Settings;
use crate::face::{Face, FaceParam, FrameFaces};
use crate::frame::image::Layout;

/// Frame counters and the smoothed window of one stream.
#[derive(Debug, Default)]
pub struct Cropper {
    pub smoother: Smoother,
    pub frames_in: u64,
    pub frames_out: u64,
    pub frames_without_face: u64,
}

/// What becomes of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The region of the input to crop; `None`: the frame is dropped.
    pub window: Option<CropWindow>,
    /// Track id of the face the crop follows.
    pub face_id: Option<i32>,
}

/// `fit=crop` cannot cut a target out of a smaller input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetTooLarge {
    pub target: Size,
    pub frame: Size,
}

impl std::fmt::Display for TargetTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "target size {} is larger than the {} input; choose a smaller size or fit=scale",
            self.target, self.frame
        )
    }
}

/// Offset alignment for a layout: subsampled chroma needs even offsets.
pub fn alignment(layout: Layout) -> u32 {
    if layout.subsampled() { 2 } else { 1 }
}

impl Cropper {
    /// Counts a frame in. Called first, so that a frame ending in an error counts too.
    pub fn count_in(&mut self) {
        self.frames_in += 1;
    }

    /// The decision for a `frame`-sized input frame cropped to `target`. `analysed`: its
    /// face list can be trusted (a frame that is not has no face to follow, and is kept by
    /// `keep-no-face` only when `facedetect` saw it at all).
    pub fn decide(
        &mut self,
        settings: &Settings,
        faces: &FrameFaces,
        analysed: bool,
        frame: Size,
        target: Size,
        layout: Layout,
    ) -> Result<Decision, TargetTooLarge> {
        let face = if analysed {
            faces.primary(settings.primary_face())
        } else {
            None
        };
        let keep = face.is_some() || (settings.keep_no_face && faces.marker.is_some());
        if face.is_none() {
            self.frames_without_face += 1;
        }
        let window = if !keep {
            None
        } else {
            if settings.fit == Fit::Crop
                && (target.width > frame.width || target.height > frame.height)
            {
                return Err(TargetTooLarge { target, frame });
            }
            let face = face.map(|f| (&f.bbox, f.track_id));
            (self.smoother).window(face, target, frame, settings.follow(), alignment(layout))
        };
        if window.is_some() {
            self.frames_out += 1;
        }
        Ok(Decision {
            window,
            face_id: face.map(|f| f.track_id),
        })
    }
}

/// The faces of a frame cropped at `window` and scaled to `target`, in crop coordinates;
/// faces wholly outside the crop are left out. Each gets the param `crop_param` makes of it
/// and the scale (source pixels per output pixel).
pub fn faces_in_crop(
    faces: &[Face],
    window: CropWindow,
    target: Size,
    crop_param: impl Fn(&Face, f64) -> FaceParam,
) -> Vec<Face> {
    let scale = window.width as f64 / target.width as f64;
    faces
        .iter()
        .filter_map(|f| {
            box_to_crop(&f.bbox, window, target).map(|bbox| {
                let mut face = Face { bbox, ..f.clone() };
                face.set_param(crop_param(f, scale));
                face
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::{AnalysisStatus, BoundingBox, FrameMarker};

    fn face(track_id: i32, bbox: BoundingBox) -> Face {
        Face {
            track_id,
            bbox,
            confidence: 0.9,
            detector: "d".into(),
            tracked: false,
            age: 1,
            landmarks: None,
            head_pose: None,
            params: Vec::new(),
        }
    }

    fn frame(marked: bool, faces: Vec<Face>) -> FrameFaces {
        FrameFaces {
            marker: marked.then(|| FrameMarker {
                status: AnalysisStatus::Detected,
                faces: faces.len() as u32,
                detector: "d".into(),
                error: None,
                dropped: 0,
            }),
            faces,
        }
    }

    const INPUT: Size = Size {
        width: 640,
        height: 480,
    };
    const TARGET: Size = Size {
        width: 160,
        height: 160,
    };

    fn exact() -> Settings {
        Settings {
            smoothing: 0.0,
            fit: Fit::Crop,
            ..Settings::default()
        }
    }

    #[test]
    fn a_face_is_cropped_around_and_followed_by_track() {
        let mut c = Cropper::default();
        let f = frame(
            true,
            vec![face(3, BoundingBox::new(300.0, 200.0, 40.0, 40.0))],
        );
        c.count_in();
        let d = c
            .decide(&exact(), &f, true, INPUT, TARGET, Layout::I420)
            .unwrap();
        let w = d.window.unwrap();
        assert_eq!((w.x, w.y, w.width, w.height), (240, 140, 160, 160));
        assert_eq!(d.face_id, Some(3));
        assert_eq!(
            (c.frames_in, c.frames_out, c.frames_without_face),
            (1, 1, 0)
        );
    }

    #[test]
    fn a_frame_without_a_face_is_dropped_unless_kept_and_seen_by_facedetect() {
        let mut c = Cropper::default();
        let empty = frame(true, Vec::new());
        let d = c.decide(&exact(), &empty, true, INPUT, TARGET, Layout::I420);
        assert_eq!(d.unwrap().window, None);
        let keep = Settings {
            keep_no_face: true,
            ..exact()
        };
        // Kept at the frame centre (no face seen yet).
        let d = c.decide(&keep, &empty, true, INPUT, TARGET, Layout::I420);
        let w = d.unwrap().window.unwrap();
        assert_eq!(w.center(), (320.0, 240.0));
        // Failed analysis: its faces are unknown, so it is a frame without a face.
        let failed = frame(true, vec![face(1, BoundingBox::new(0.0, 0.0, 40.0, 40.0))]);
        let d = c.decide(&keep, &failed, false, INPUT, TARGET, Layout::I420);
        assert_eq!(
            d.unwrap(),
            Decision {
                window: Some(w),
                face_id: None
            }
        );
        // Never analysed: nothing to keep.
        let unmarked = frame(false, Vec::new());
        let d = c.decide(&keep, &unmarked, false, INPUT, TARGET, Layout::I420);
        assert_eq!(d.unwrap().window, None);
        assert_eq!((c.frames_out, c.frames_without_face), (2, 4));
    }

    #[test]
    fn fit_crop_refuses_a_target_larger_than_the_input_only_for_kept_frames() {
        let mut c = Cropper::default();
        let big = Size::new(800, 160);
        let f = frame(
            true,
            vec![face(1, BoundingBox::new(300.0, 200.0, 40.0, 40.0))],
        );
        let e = c
            .decide(&exact(), &f, true, INPUT, big, Layout::RGB)
            .unwrap_err();
        assert!(
            e.to_string().contains("choose a smaller size or fit=scale"),
            "{e}"
        );
        let empty = frame(true, Vec::new());
        assert!(
            c.decide(&exact(), &empty, true, INPUT, big, Layout::RGB)
                .is_ok()
        );
    }

    #[test]
    fn faces_move_into_crop_coordinates_with_their_scale() {
        let window = CropWindow {
            x: 100,
            y: 50,
            width: 320,
            height: 320,
        };
        let faces = [
            face(1, BoundingBox::new(200.0, 150.0, 80.0, 80.0)),
            face(2, BoundingBox::new(600.0, 400.0, 20.0, 20.0)),
        ];
        let param = |_: &Face, scale: f64| FaceParam {
            name: "crop".into(),
            text: format!("crop, scale=(double){scale}"),
        };
        let out = faces_in_crop(&faces, window, TARGET, param);
        assert_eq!(out.len(), 1, "the face outside the crop is left out");
        assert_eq!(out[0].bbox, BoundingBox::new(50.0, 50.0, 40.0, 40.0));
        assert_eq!(out[0].param("crop").unwrap().text, "crop, scale=(double)2");
    }
}
