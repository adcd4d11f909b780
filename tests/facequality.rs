//! `facequality` on real images and clips: compression, controlled degradations, masks,
//! key frames, formats and bad input.

mod common;

use common::*;
use gst::prelude::*;
use gstfacekit::MIRROR_PAIRS;
use gstfacekit::meta;
use gstfacekit::{AnalysisStatus, BoundingBox, Face, FrameFaces, FrameMarker, Landmarks};
use gstfacekit::{FaceQualityMessage, KeyframeMessage, quality_of};
use gstfacekit::{FaceRegion, MaskKind, QualityScore, Status};

type Frame = (usize, usize, Vec<u8>);

/// Output of running frames through `facequality`: per frame the faces read back, and the
/// element messages (bus) in order.
struct Scored {
    frames: Vec<FrameFaces>,
    messages: Vec<gst::Structure>,
}

impl Scored {
    fn quality(&self, frame: usize) -> QualityScore {
        let face = self.frames[frame]
            .faces
            .first()
            .unwrap_or_else(|| panic!("no face on frame {frame}"));
        quality_of(face)
            .expect("quality param")
            .expect("well formed")
    }

    fn named(&self, name: &str) -> Vec<&gst::Structure> {
        self.messages.iter().filter(|s| s.name() == name).collect()
    }

    fn keyframes(&self) -> Vec<KeyframeMessage> {
        self.named("facequality-keyframe")
            .into_iter()
            .map(|s| KeyframeMessage::try_from(s.as_ref()).unwrap())
            .collect()
    }

    fn warnings(&self) -> Vec<String> {
        self.named("warning")
            .into_iter()
            .map(|s| s.get::<String>("text").unwrap())
            .collect()
    }
}

/// An RGB buffer (rows padded to 4 bytes, as GStreamer lays out RGB) at `pts_ms`.
fn rgb_buffer(w: usize, h: usize, data: &[u8], pts_ms: u64) -> gst::Buffer {
    let mut buf = common::rgb_buffer(w, h, data);
    {
        let b = buf.get_mut().unwrap();
        b.set_pts(gst::ClockTime::from_mseconds(pts_ms));
        b.set_duration(gst::ClockTime::from_mseconds(40));
    }
    buf
}

/// Pushes RGB frames, each with the given face metadata (`None`: no facedetect marker),
/// through `facequality` configured by `props`, 40 ms apart, then EOS.
fn score(frames: &[(&Frame, Option<&FrameFaces>)], props: &[(&str, &str)]) -> Scored {
    init();
    // Properties are set before the harness starts the element (some are read in start()).
    let el = gst::ElementFactory::make("facequality").build().unwrap();
    for (k, v) in props {
        el.set_property_from_str(k, v);
    }
    let bus = gst::Bus::new();
    el.set_bus(Some(&bus));
    let mut h = gst_check::Harness::with_element(&el, Some("sink"), Some("src"));
    let mut out = Vec::new();
    let mut current = None;
    for (i, ((w, hh, data), faces)) in frames.iter().enumerate() {
        if current != Some((*w, *hh)) {
            h.set_src_caps(common::rgb_caps(*w, *hh));
            current = Some((*w, *hh));
        }
        let mut buf = rgb_buffer(*w, *hh, data, 40 * i as u64);
        if let Some(f) = faces {
            let b = buf.get_mut().unwrap();
            let marker = f.marker.clone().unwrap_or(FrameMarker {
                status: AnalysisStatus::Detected,
                faces: f.faces.len() as u32,
                detector: "test".into(),
                error: None,
                dropped: 0,
            });
            meta::write_frame(b, &marker, &f.faces, (*w as u32, *hh as u32));
        }
        let input = buf.map_readable().unwrap().to_vec();
        let result = h.push_and_pull(buf).expect("facequality output");
        assert_eq!(
            result.map_readable().unwrap().as_slice(),
            input.as_slice(),
            "facequality changed pixels"
        );
        out.push(gstfacekit::read_frame(&result).unwrap());
    }
    assert!(h.push_event(gst::event::Eos::new()));
    let mut messages = Vec::new();
    while let Some(msg) = bus.pop() {
        match msg.view() {
            gst::MessageView::Element(e) => messages.push(e.structure().unwrap().to_owned()),
            gst::MessageView::Warning(w) => messages.push(
                gst::Structure::builder("warning")
                    .field("text", w.error().to_string())
                    .build(),
            ),
            gst::MessageView::Error(e) => panic!("facequality error: {}", e.error()),
            _ => {}
        }
    }
    Scored {
        frames: out,
        messages,
    }
}

fn astronaut() -> Frame {
    rgb_frames(&astronaut_source()).remove(0)
}

/// A few carphone frames spread over the clip.
fn carphone_frames(indices: &[usize]) -> Vec<Frame> {
    let all = rgb_frames(&carphone_source());
    indices.iter().map(|&i| all[i].clone()).collect()
}

/// Frames with the faces `facedetect` finds on them (one face each).
fn detected(frames: Vec<Frame>) -> Vec<(Frame, FrameFaces)> {
    let faces = detect_rgb(&frames, &[]);
    frames
        .into_iter()
        .zip(faces)
        .map(|(f, d)| {
            assert_eq!(d.faces.len(), 1, "expected one face");
            (f, d)
        })
        .collect()
}

fn to_image(f: &Frame) -> image::RgbImage {
    image::RgbImage::from_raw(f.0 as u32, f.1 as u32, f.2.clone()).unwrap()
}

fn from_image(img: image::RgbImage) -> Frame {
    let (w, h) = img.dimensions();
    (w as usize, h as usize, img.into_raw())
}

fn map_pixels(f: &Frame, op: impl Fn(f32) -> f32) -> Frame {
    let data =
        f.2.iter()
            .map(|&v| op(v as f32).round().clamp(0.0, 255.0) as u8)
            .collect();
    (f.0, f.1, data)
}

/// Scores variants of one detected frame, all with the original frame's face metadata (the
/// degradation does not move the face).
fn score_variants(
    faces: &FrameFaces,
    variants: &[Frame],
    props: &[(&str, &str)],
) -> Vec<QualityScore> {
    let input: Vec<(&Frame, Option<&FrameFaces>)> =
        variants.iter().map(|v| (v, Some(faces))).collect();
    let scored = score(&input, props);
    (0..variants.len()).map(|i| scored.quality(i)).collect()
}

fn strictly_decreasing(values: &[f64]) -> bool {
    values.windows(2).all(|w| w[1] < w[0])
}

fn test_faces() -> Vec<(Frame, FrameFaces)> {
    let mut frames = vec![astronaut()];
    frames.extend(carphone_frames(&[0, 60, 110]));
    detected(frames)
}

#[test]
fn pristine_beats_heavily_compressed_on_almost_every_frame() {
    // The clips hold the same frames. facedetect loses the face on most distorted frames
    // (the compression is that heavy), so both are scored on the face facedetect finds in
    // the pristine frame: the comparison is of the same face region, pixel quality only.
    let pristine = rgb_frames(&carphone_source());
    let distorted = rgb_frames(&format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264",
        sample("carphone_distorted.mp4").display()
    ));
    assert_eq!(pristine.len(), 120);
    assert_eq!(distorted.len(), 120);
    let faces = detect_rgb(&pristine, &[]);
    let with_face: Vec<usize> = (0..120).filter(|&i| faces[i].faces.len() == 1).collect();
    assert!(
        with_face.len() >= 118,
        "faces on {} frames",
        with_face.len()
    );
    let run = |frames: &[Frame]| {
        let input: Vec<(&Frame, Option<&FrameFaces>)> = with_face
            .iter()
            .map(|&i| (&frames[i], Some(&faces[i])))
            .collect();
        score(&input, &[("message-interval", "0")])
    };
    let p = run(&pristine);
    let d = run(&distorted);
    let n = with_face.len();
    let pairs: Vec<(QualityScore, QualityScore)> =
        (0..n).map(|i| (p.quality(i), d.quality(i))).collect();
    let sharper = pairs
        .iter()
        .filter(|(p, d)| p.components.sharpness > d.components.sharpness)
        .count();
    let better = pairs.iter().filter(|(p, d)| p.overall > d.overall).count();
    let mean = |f: &dyn Fn(&(QualityScore, QualityScore)) -> f64| {
        pairs.iter().map(f).sum::<f64>() / n as f64
    };
    eprintln!(
        "pristine sharper on {sharper}/{n}, better overall on {better}/{n}; mean sharpness {:.3} vs {:.3}, overall {:.3} vs {:.3}",
        mean(&|p| p.0.components.sharpness),
        mean(&|p| p.1.components.sharpness),
        mean(&|p| p.0.overall),
        mean(&|p| p.1.overall),
    );
    assert!(sharper * 100 >= n * 95, "sharper on {sharper}/{n}");
    assert!(better * 100 >= n * 95, "better on {better}/{n}");
    // message-interval=0: one message per frame, matching the metadata.
    let msgs: Vec<FaceQualityMessage> = p
        .named("facequality")
        .iter()
        .map(|s| FaceQualityMessage::try_from(s.as_ref()).unwrap())
        .collect();
    assert_eq!(msgs.len(), n);
    assert_eq!(msgs[0].weights, [0.2, 0.3, 0.2, 0.3]);
    assert_eq!(msgs[0].faces[0].quality, p.quality(0));
}

#[test]
fn gaussian_blur_lowers_sharpness_monotonically() {
    for (frame, faces) in test_faces() {
        let img = to_image(&frame);
        let mut variants = vec![frame.clone()];
        for sigma in [0.7f32, 1.2, 2.0, 3.0] {
            variants.push(from_image(image::imageops::blur(&img, sigma)));
        }
        let q = score_variants(&faces, &variants, &[]);
        let s: Vec<f64> = q.iter().map(|q| q.components.sharpness).collect();
        eprintln!(
            "{}x{} sharpness by sigma 0, 0.7, 1.2, 2, 3: {s:.3?}",
            frame.0, frame.1
        );
        assert!(strictly_decreasing(&s), "sharpness {s:?}");
        assert!(
            q.iter()
                .all(|q| q.status == Status::Ok && q.mask == MaskKind::Landmarks)
        );
    }
}

#[test]
fn darkening_and_overexposure_lower_illumination_monotonically() {
    for (frame, faces) in test_faces() {
        let dark: Vec<Frame> = [1.0f32, 0.7, 0.5, 0.3, 0.15]
            .iter()
            .map(|&g| map_pixels(&frame, |v| v * g))
            .collect();
        // Over-exposure: gains that clip the brightest 5%, 10%, 20%, 40% of the face (a gain
        // that clips nothing may just correct a dark face, which should score higher).
        let face = &faces.faces[0];
        let region = FaceRegion::new(&face.bbox, face.landmarks.as_ref(), frame.0, frame.1);
        let mut lumas: Vec<f32> = (0..frame.1)
            .flat_map(|y| (0..frame.0).map(move |x| (x, y)))
            .filter(|&(x, y)| region.contains(x, y))
            .map(|(x, y)| {
                let p = &frame.2[(y * frame.0 + x) * 3..][..3];
                0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
            })
            .collect();
        lumas.sort_by(f32::total_cmp);
        let mut bright = vec![frame.clone()];
        for clipped in [0.05f32, 0.1, 0.2, 0.4] {
            let q = lumas[((1.0 - clipped) * (lumas.len() - 1) as f32) as usize].max(1.0);
            bright.push(map_pixels(&frame, |v| v * 255.0 / q));
        }
        let d: Vec<f64> = score_variants(&faces, &dark, &[])
            .iter()
            .map(|q| q.components.illumination)
            .collect();
        let b: Vec<f64> = score_variants(&faces, &bright, &[])
            .iter()
            .map(|q| q.components.illumination)
            .collect();
        eprintln!(
            "{}x{} illumination darkened {d:.3?}, over-exposed {b:.3?}",
            frame.0, frame.1
        );
        assert!(strictly_decreasing(&d), "darkening: {d:?}");
        assert!(strictly_decreasing(&b), "over-exposing: {b:?}");
    }
}

#[test]
fn downscaling_lowers_resolution_monotonically() {
    for (frame, faces) in test_faces() {
        let img = to_image(&frame);
        let mut resolution = Vec::new();
        let mut sizes = Vec::new();
        for scale in [1.0f32, 0.8, 0.6, 0.45, 0.3] {
            let (w, h) = (
                (frame.0 as f32 * scale) as u32,
                (frame.1 as f32 * scale) as u32,
            );
            let small = from_image(image::imageops::resize(
                &img,
                w,
                h,
                image::imageops::FilterType::Triangle,
            ));
            // The same face, its box scaled (landmarks are normalised to the box).
            let mut f = faces.clone();
            let b = f.faces[0].bbox;
            f.faces[0].bbox =
                BoundingBox::new(b.x * scale, b.y * scale, b.width * scale, b.height * scale);
            let q = score(&[(&small, Some(&f))], &[("reference-size", "400")]).quality(0);
            resolution.push(q.components.resolution);
            sizes.push(f.faces[0].bbox.area().sqrt());
        }
        eprintln!("face sizes {sizes:.0?} resolution {resolution:.3?}");
        assert!(strictly_decreasing(&resolution), "{resolution:?}");
    }
}

#[test]
fn mirrored_face_keeps_its_symmetry_score() {
    // The image part of symmetry (the score without its expression/pose neutrality factor,
    // which the mesh alone decides).
    let appearance = |q: &QualityScore| q.components.symmetry / q.neutrality;
    for (frame, faces) in test_faces() {
        let mirrored = (frame.0, frame.1, mirror_rgb(frame.0, frame.1, &frame.2));
        // The same landmarks mirrored (left/right points swapped): the measure itself.
        let mut exact = faces.clone();
        {
            let f = &mut exact.faces[0];
            f.bbox.x = frame.0 as f32 - f.bbox.x - f.bbox.width;
            let lm = f.landmarks.as_mut().unwrap();
            let points = lm.points.clone();
            for (i, p) in lm.points.iter_mut().enumerate() {
                let q = points[MIRROR_PAIRS[i] as usize];
                *p = [1.0 - q[0], q[1], q[2]];
            }
        }
        // What facedetect finds on the mirrored image: the whole chain.
        let redetected = detect_rgb(std::slice::from_ref(&mirrored), &[]).remove(0);
        let a = score(&[(&frame, Some(&faces))], &[]).quality(0);
        let a = appearance(&a);
        let b = appearance(&score(&[(&mirrored, Some(&exact))], &[]).quality(0));
        let r = appearance(&score(&[(&mirrored, Some(&redetected))], &[]).quality(0));
        // Control: darkening one half of the face (beyond its midline) makes it less symmetric.
        let face = &faces.faces[0];
        let m = FaceRegion::new(&face.bbox, face.landmarks.as_ref(), frame.0, frame.1).midline;
        let half = {
            let mut f = frame.clone();
            for y in 0..f.1 {
                for x in 0..f.0 {
                    let (dx, dy) = (x as f32 + 0.5 - m.origin.0, y as f32 + 0.5 - m.origin.1);
                    if dx * m.direction.1 - dy * m.direction.0 < 0.0 {
                        continue;
                    }
                    for c in 0..3 {
                        let v = &mut f.2[(y * f.0 + x) * 3 + c];
                        *v = (*v as f32 * 0.3) as u8;
                    }
                }
            }
            f
        };
        let c = appearance(&score(&[(&half, Some(&faces))], &[]).quality(0));
        eprintln!(
            "{}x{} symmetry {a:.3}, mirrored {b:.3}, mirrored and re-detected {r:.3}, half darkened {c:.3}",
            frame.0, frame.1
        );
        // Exactly mirrored landmarks: the same score. Re-detected on the mirrored image,
        // FaceMesh places the midline ~2 degrees / ~1 px differently on a 52 px face, which
        // moves the score by up to ~0.1: less than a real asymmetry (the control) does.
        assert!((a - b).abs() < 0.01, "symmetry {a} vs mirrored {b}");
        assert!(
            (a - r).abs() < 0.12,
            "symmetry {a} vs mirrored and re-detected {r}"
        );
        assert!(c < a - 0.12, "half-darkened face kept symmetry {c} vs {a}");
        assert!(
            (a - r).abs() < a - c,
            "re-detection noise {} exceeds a real asymmetry {}",
            (a - r).abs(),
            a - c
        );
    }
}

#[test]
fn background_outside_the_mask_changes_nothing() {
    for (frame, faces) in test_faces() {
        let face = &faces.faces[0];
        let region = FaceRegion::new(&face.bbox, face.landmarks.as_ref(), frame.0, frame.1);
        assert_eq!(region.mask, MaskKind::Landmarks);
        let mut outside = frame.clone();
        let mut inside = frame.clone();
        let mut changed = 0;
        for y in 0..frame.1 {
            for x in 0..frame.0 {
                let o = (y * frame.0 + x) * 3;
                if region.contains(x, y) {
                    // Control: a texture on the face must change the scores.
                    if (x / 2 + y / 2) % 2 == 0 {
                        inside.2[o..o + 3].copy_from_slice(&[255, 255, 255]);
                    }
                } else {
                    let noise = ((x * 7919 + y * 104729) % 256) as u8;
                    outside.2[o..o + 3].copy_from_slice(&[noise, 255 - noise, noise / 2]);
                    changed += 1;
                }
            }
        }
        assert!(
            changed > frame.0 * frame.1 / 3,
            "background is most of the frame"
        );
        let q = score_variants(&faces, &[frame.clone(), outside, inside], &[]);
        assert_eq!(q[0].components.sharpness, q[1].components.sharpness);
        assert_eq!(q[0].components.illumination, q[1].components.illumination);
        assert_ne!(q[0].components.sharpness, q[2].components.sharpness);
        assert_ne!(q[0].components.illumination, q[2].components.illumination);
    }
}

#[test]
fn sharpest_frame_becomes_the_keyframe_once_and_is_written() {
    let (frame, faces) = detected(vec![astronaut()]).remove(0);
    let img = to_image(&frame);
    // 12 frames 40 ms apart; the window (300 ms from the first face) holds frames 0..=7
    // (0..280 ms) and closes on frame 8 (320 ms); frame 5 (200 ms) is the sharpest inside
    // it. Frame 10 is as sharp, but after the window: the track already has its key frame.
    let sigmas = [
        2.5f32, 2.0, 3.0, 1.5, 2.0, 0.0, 1.2, 2.5, 2.0, 3.0, 0.0, 2.0,
    ];
    let frames: Vec<Frame> = sigmas
        .iter()
        .map(|&s| {
            if s == 0.0 {
                frame.clone()
            } else {
                from_image(image::imageops::blur(&img, s))
            }
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("facekit-kf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = format!("{}/face-{{track}}-{{time}}.png", dir.display());
    let input: Vec<(&Frame, Option<&FrameFaces>)> =
        frames.iter().map(|f| (f, Some(&faces))).collect();
    let scored = score(
        &input,
        &[
            ("keyframe-window", "300000000"),
            ("keyframe-location", &template),
        ],
    );
    let kfs = scored.keyframes();
    assert_eq!(kfs.len(), 1, "one key frame per track: {kfs:?}");
    let kf = &kfs[0];
    assert_eq!(kf.track_id, faces.faces[0].track_id);
    assert_eq!(kf.timestamp, Some(gst::ClockTime::from_mseconds(200)));
    assert_eq!(kf.running_time, Some(gst::ClockTime::from_mseconds(200)));
    assert_eq!(kf.frames, 8);
    assert_eq!(kf.quality, scored.quality(5));
    let best_in_window = (0..8)
        .map(|i| scored.quality(i).overall)
        .fold(0.0, f64::max);
    assert_eq!(kf.quality.overall, best_in_window);
    // The sample: an RGB crop around the face, with the face's metadata in crop coordinates.
    let caps = kf.sample.caps().unwrap().structure(0).unwrap().to_owned();
    assert_eq!(caps.get::<String>("format").unwrap(), "RGB");
    let (cw, ch) = (
        caps.get::<i32>("width").unwrap() as u32,
        caps.get::<i32>("height").unwrap() as u32,
    );
    assert_eq!((kf.crop.2, kf.crop.3), (cw, ch));
    let buffer = kf.sample.buffer().unwrap();
    assert_eq!(buffer.pts(), Some(gst::ClockTime::from_mseconds(200)));
    let crop_faces = gstfacekit::read_frame(buffer).unwrap();
    assert_eq!(crop_faces.faces.len(), 1);
    let cf = &crop_faces.faces[0];
    assert_eq!(cf.landmarks.as_ref().unwrap().points.len(), 468);
    assert!((cf.bbox.x + kf.crop.0 as f32 - faces.faces[0].bbox.x).abs() <= 1.0);
    assert!(quality_of(cf).is_some());
    // The file: named with track id and running time, decodes, and facedetect finds the
    // face in it where the message says.
    let expected = dir.join(format!("face-{}-200.png", kf.track_id));
    assert_eq!(kf.location.as_deref(), Some(expected.to_str().unwrap()));
    let decoded = from_image(image::open(&expected).unwrap().to_rgb8());
    assert_eq!((decoded.0 as u32, decoded.1 as u32), (cw, ch));
    let found = detect_rgb(std::slice::from_ref(&decoded), &[]).remove(0);
    assert_eq!(
        found.faces.len(),
        1,
        "facedetect finds the face in the key frame file"
    );
    let iou = found.faces[0].bbox.iou(&cf.bbox);
    assert!(
        iou > 0.6,
        "face in the file at {:?}, expected {:?}",
        found.faces[0].bbox,
        cf.bbox
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keyframe_window_until_track_end_and_per_track() {
    let (frame, faces) = detected(vec![astronaut()]).remove(0);
    let img = to_image(&frame);
    let blurred = from_image(image::imageops::blur(&img, 2.0));
    let mut other = faces.clone();
    other.faces[0].track_id = 42;
    let empty = FrameFaces {
        marker: faces.marker.clone(),
        faces: vec![],
    };
    // Track A on frames 0..3 (sharpest at 1), gone on frame 4 (ends its window), track 42
    // on frames 5..7 (sharpest at 6), open until EOS. No time limit.
    let seq: Vec<(&Frame, Option<&FrameFaces>)> = vec![
        (&blurred, Some(&faces)),
        (&frame, Some(&faces)),
        (&blurred, Some(&faces)),
        (&blurred, Some(&faces)),
        (&frame, Some(&empty)),
        (&blurred, Some(&other)),
        (&frame, Some(&other)),
        (&blurred, Some(&other)),
    ];
    let scored = score(&seq, &[("keyframe-window", "0")]);
    let kfs = scored.keyframes();
    assert_eq!(kfs.len(), 2, "{kfs:?}");
    assert_eq!(kfs[0].track_id, faces.faces[0].track_id);
    assert_eq!(kfs[0].timestamp, Some(gst::ClockTime::from_mseconds(40)));
    assert_eq!(kfs[1].track_id, 42);
    assert_eq!(kfs[1].timestamp, Some(gst::ClockTime::from_mseconds(240)));
    // Track A's key frame was posted when it ended, before track 42 began.
    let order: Vec<i32> = scored
        .named("facequality-keyframe")
        .iter()
        .map(|s| s.get::<i32>("track-id").unwrap())
        .collect();
    assert_eq!(order, vec![faces.faces[0].track_id, 42]);
    // Default message-interval (1 s): one facequality message over these 320 ms.
    assert_eq!(scored.named("facequality").len(), 1);
}

#[test]
fn every_format_is_read_in_place_with_consistent_scores() {
    let mut sharpness = Vec::new();
    for format in ["I420", "NV12", "RGB", "BGRx"] {
        let desc = |quality: bool| {
            format!(
                "{} ! videoconvert ! video/x-raw,format={format} ! facedetect {} ! appsink name=sink",
                carphone_source(),
                if quality { "! facequality" } else { "" }
            )
        };
        let with = pull_all(&desc(true));
        let without = pull_all(&desc(false));
        assert_eq!(with.len(), 120);
        assert_eq!(without.len(), 120);
        for (a, b) in with.iter().zip(&without).step_by(7) {
            assert_eq!(
                a.buffer().unwrap().map_readable().unwrap().as_slice(),
                b.buffer().unwrap().map_readable().unwrap().as_slice(),
                "{format}: pixels changed"
            );
        }
        let q: Vec<f64> = with
            .iter()
            .filter_map(|s| {
                let f = gstfacekit::read_frame(s.buffer().unwrap()).unwrap();
                f.faces
                    .first()
                    .map(|face| quality_of(face).unwrap().unwrap().components.sharpness)
            })
            .collect();
        assert!(q.len() >= 115, "{format}: {} scored frames", q.len());
        sharpness.push(q.iter().sum::<f64>() / q.len() as f64);
    }
    eprintln!("mean sharpness I420, NV12, RGB, BGRx: {sharpness:.3?}");
    for s in &sharpness {
        assert!((s - sharpness[0]).abs() < 0.05, "{sharpness:?}");
    }
}

#[test]
fn auto_weights_follow_the_stream_statistics() {
    let (_, messages) = run_collect(&format!(
        "{} ! videoconvert ! facedetect ! facequality auto-weights=true message-interval=0 ! appsink name=sink",
        carphone_source()
    ));
    let msgs: Vec<FaceQualityMessage> = messages
        .iter()
        .filter(|s| s.name() == "facequality")
        .map(|s| FaceQualityMessage::try_from(s.as_ref()).unwrap())
        .collect();
    assert_eq!(
        msgs[0].weights,
        [0.2, 0.3, 0.2, 0.3],
        "base weights during warm-up"
    );
    let last = msgs.last().unwrap();
    eprintln!("auto weights at the end of carphone: {:.3?}", last.weights);
    assert!((last.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let moved = last
        .weights
        .iter()
        .zip([0.2, 0.3, 0.2, 0.3])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(moved > 0.02, "weights did not adapt: {:?}", last.weights);
    // Overall is the weighted sum with the weights reported in the same message.
    let f = &last.faces[0].quality;
    let c = f.components.as_array();
    let sum: f64 = last.weights.iter().zip(c).map(|(w, c)| w * c).sum();
    assert!((f.overall - f.visible * sum).abs() < 1e-9);
}

#[test]
fn bad_input_is_handled_as_documented() {
    let (frame, faces) = detected(vec![astronaut()]).remove(0);
    let face = faces.faces[0].clone();

    // Never analysed by facedetect: a warning, pixels and buffer pass unchanged, no param.
    let s = score(&[(&frame, None), (&frame, None)], &[]);
    assert!(s.frames[0].faces.is_empty());
    let w = s.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("never analysed by facedetect"), "{w:?}");

    // Faces without mesh landmarks: ellipse mask, said once.
    let mut none = face.clone();
    none.landmarks = None;
    let mut blaze = face.clone();
    blaze.landmarks = Some(Landmarks {
        scheme: "blazeface-6".into(),
        points: vec![
            [0.3, 0.4, 0.0],
            [0.7, 0.4, 0.0],
            [0.5, 0.6, 0.0],
            [0.5, 0.8, 0.0],
        ],
    });
    let frames_of = |fs: Vec<Face>| FrameFaces {
        marker: faces.marker.clone(),
        faces: fs,
    };
    let a = frames_of(vec![none]);
    let b = frames_of(vec![blaze]);
    let s = score(&[(&frame, Some(&a)), (&frame, Some(&b))], &[]);
    for i in 0..2 {
        let q = s.quality(i);
        assert_eq!(q.mask, MaskKind::Ellipse);
        assert_eq!(q.status, Status::Ok);
        assert!(q.components.sharpness > 0.0 && q.components.symmetry > 0.0);
    }
    let w = s.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("ellipse"), "{w:?}");

    // Partly outside the frame: the face shifted so half its mask is off the left edge.
    let mut shifted = frame.clone();
    let dx = (face.bbox.x + face.bbox.width / 2.0) as usize;
    for y in 0..frame.1 {
        for x in 0..frame.0 {
            let src = x + dx;
            let o = (y * frame.0 + x) * 3;
            if src < frame.0 {
                shifted.2[o..o + 3].copy_from_slice(&frame.2[(y * frame.0 + src) * 3..][..3]);
            }
        }
    }
    let mut edge = face.clone();
    edge.bbox.x -= dx as f32;
    let e = frames_of(vec![edge]);
    let full = score(&[(&frame, Some(&faces))], &[]).quality(0);
    let q = score(&[(&shifted, Some(&e))], &[]).quality(0);
    eprintln!("half outside: {q:?}");
    assert!(q.visible > 0.3 && q.visible < 0.7, "{q:?}");
    assert!(q.overall < full.overall * 0.75, "{q:?} vs {full:?}");

    // Entirely outside and tiny faces: flagged, no key frame, no panic.
    let mut gone = face.clone();
    gone.bbox = BoundingBox::new(frame.0 as f32 + 10.0, 10.0, 50.0, 50.0);
    let mut tiny = face.clone();
    tiny.bbox = BoundingBox::new(100.0, 100.0, 6.0, 6.0);
    tiny.track_id = 99;
    let g = frames_of(vec![gone, tiny]);
    let s = score(&[(&frame, Some(&g))], &[("keyframe-window", "0")]);
    let statuses: Vec<Status> = s.frames[0]
        .faces
        .iter()
        .map(|f| quality_of(f).unwrap().unwrap().status)
        .collect();
    assert_eq!(statuses, vec![Status::Outside, Status::TooSmall]);
    assert!(s.keyframes().is_empty());

    // A frame whose analysis failed: passes unscored and does not end tracks.
    let failed = FrameFaces {
        marker: Some(FrameMarker {
            status: AnalysisStatus::Failed,
            faces: 0,
            detector: "x".into(),
            error: Some("model error".into()),
            dropped: 0,
        }),
        faces: vec![],
    };
    let s = score(
        &[
            (&frame, Some(&faces)),
            (&frame, Some(&failed)),
            (&frame, Some(&faces)),
        ],
        &[("keyframe-window", "0")],
    );
    assert_eq!(s.keyframes().len(), 1);
    assert_eq!(s.keyframes()[0].frames, 2);

    // Weights: normalised when they do not sum to 1; negative, wrong count: rejected with a
    // warning on the bus, previous weights kept.
    init();
    let el = gst::ElementFactory::make("facequality").build().unwrap();
    el.set_property_from_str("weights", "<1, 1, 1, 1>");
    let w: gst::Array = el.property("weights");
    assert_eq!(
        w.iter()
            .map(|v| v.get::<f64>().unwrap())
            .collect::<Vec<_>>(),
        vec![0.25; 4]
    );
    el.set_property_from_str("weights", "<2, 3, 2, 3>");
    let s = score(
        &[(&frame, Some(&faces))],
        &[
            ("weights", "<2, 3, 2, 3>"),
            ("weights", "<-0.5, 1, 0.25, 0.25>"),
            ("message-interval", "0"),
        ],
    );
    let w = s.warnings();
    assert!(w.iter().any(|w| w.contains("symmetry = -0.5")), "{w:?}");
    let m = FaceQualityMessage::try_from(s.named("facequality")[0].as_ref()).unwrap();
    assert!(
        m.weights
            .iter()
            .zip([0.2, 0.3, 0.2, 0.3])
            .all(|(a, b)| (a - b).abs() < 1e-12)
    );
    let s = score(&[(&frame, Some(&faces))], &[("weights", "<0.5, 0.5>")]);
    assert!(s.warnings().iter().any(|w| w.contains("2 values")));

    // A key frame location that cannot work stops the pipeline at start with the fix.
    let err = first_error(&format!(
        "{} ! facedetect ! facequality keyframe-location=/tmp/keyframe.png ! fakesink",
        astronaut_source()
    ))
    .expect("error");
    assert!(err.contains("{track}"), "{err}");
}

#[test]
fn face_quality_script_runs() {
    let out = std::env::temp_dir().join(format!("facekit-fq-script-{}", std::process::id()));
    let root = env!("CARGO_MANIFEST_DIR");
    let result = std::process::Command::new("bash")
        .arg(format!("{root}/pipelines/face-quality.sh"))
        .arg(&out)
        .env("GST_PLUGIN_PATH", plugin_dir())
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "script failed: {stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        stdout.contains("facequality, timestamp"),
        "no facequality message: {stdout}"
    );
    assert!(
        stdout.contains("facequality-keyframe"),
        "no key frame message: {stdout}"
    );
    let files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty(), "no key frame file written");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with("carphone-track1-") && name.ends_with(".jpg"),
            "{name}"
        );
        // Cropped from I420 frames and converted once: facedetect finds the face in it.
        let decoded = from_image(image::open(f).expect("key frame decodes").to_rgb8());
        let found = detect_rgb(std::slice::from_ref(&decoded), &[]).remove(0);
        assert_eq!(found.faces.len(), 1, "no face in {name}");
    }
    let _ = std::fs::remove_dir_all(out);
}

/// The mouth gap (over mouth width) of a face, from its mesh.
fn mouth_open(face: &Face) -> f64 {
    let lm = face.landmarks.as_ref().expect("mesh landmarks");
    gstfacekit::Expression::from_mesh(&lm.to_pixels(&face.bbox))
        .expect("mesh expression")
        .mouth_open
}

#[test]
fn the_keyframe_of_the_talking_head_is_a_calm_face_not_a_grimace() {
    // The whole clip, one track, the key frame when the track ends (EOS). The speaker opens
    // his mouth wide in the second half; a person picks a face with the mouth calm.
    let faces = detected(carphone_frames(&(0..120).collect::<Vec<_>>()));
    let input: Vec<(&Frame, Option<&FrameFaces>)> =
        faces.iter().map(|(f, d)| (f, Some(d))).collect();
    let scored = score(&input, &[("keyframe-window", "0")]);
    let kfs = scored.keyframes();
    assert_eq!(kfs.len(), 1, "{kfs:?}");
    let key = gstfacekit::read_frame(kfs[0].sample.buffer().unwrap()).unwrap();
    let key_mouth = mouth_open(&key.faces[0]);
    assert!(key_mouth < 0.3, "key frame mouth gap {key_mouth:.2}");
    let wide: Vec<usize> = (0..120)
        .filter(|&i| mouth_open(&faces[i].1.faces[0]) > 0.5)
        .collect();
    assert!(wide.len() >= 5, "the clip has wide-open mouths: {wide:?}");
    for &i in &wide {
        let q = scored.quality(i);
        // The mouth factor alone is 0.37 at a gap of 0.5.
        assert!(q.neutrality < 0.4, "frame {i}: {q:?}");
        assert!(
            q.overall < kfs[0].quality.overall - 0.05,
            "frame {i} with the mouth wide open scores {:.3}, key frame {:.3}",
            q.overall,
            kfs[0].quality.overall
        );
    }
    // The spread over the clip is wide enough to rank (it was 0.61..0.69 before neutrality).
    let overall: Vec<f64> = (0..120).map(|i| scored.quality(i).overall).collect();
    let (lo, hi) = overall
        .iter()
        .fold((1.0f64, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(hi - lo > 0.12, "overall {lo:.3}..{hi:.3}");
}

#[test]
fn resolution_counts_the_source_pixels_of_a_facecrop_crop() {
    // facecrop scales carphone's ~220 px face (640x480) into 60x60: ~27 px in the crop.
    // facequality counts it in source pixels through the crop's `crop` param.
    let (samples, _) = run_collect(&format!(
        "{} ! videoconvert ! videoscale ! video/x-raw,width=640,height=480 \
         ! facedetect ! facecrop size=60x60 ! facequality keyframes=false ! appsink name=sink",
        carphone_source()
    ));
    assert_eq!(samples.len(), 120);
    for s in samples.iter().step_by(10) {
        let frame = gstfacekit::read_frame(s.buffer().unwrap()).unwrap();
        let face = &frame.faces[0];
        let q = quality_of(face).unwrap().unwrap();
        let scale = gstfacekit::source_scale(face).expect("crop param");
        let here = face.bbox.area().sqrt() as f64;
        assert!(scale > 3.0 && here < 35.0, "{scale} {here}");
        assert!(
            q.components.resolution > 2.0 * here / 112.0,
            "resolution {:.3} for a {here:.0} px face that had {:.0} px in the source",
            q.components.resolution,
            here * scale
        );
    }
}
