//! Property tests of the elements' pixel paths (issue 10): random sizes from 1x1 to 4K with
//! odd sides, padded strides, every supported format, and faces whose box and landmarks
//! touch, cross or lie wholly outside each edge. No element may fail or panic, and
//! `faceocclude` must cover every face whose centre is in the frame.

mod common;

use std::sync::OnceLock;

use common::*;
use gstfacekit::layout_of;
use gstfacekit::{AnalysisStatus, BoundingBox, Face, FrameMarker, Landmarks};
use gstfacekit::{FrameMut, FrameRef, Layout};
use proptest::prelude::*;

/// Every raw format the elements accept.
const FORMATS: [gst_video::VideoFormat; 12] = {
    use gst_video::VideoFormat as F;
    [
        F::I420,
        F::Nv12,
        F::Rgb,
        F::Bgr,
        F::Rgba,
        F::Bgra,
        F::Rgbx,
        F::Bgrx,
        F::Argb,
        F::Abgr,
        F::Xrgb,
        F::Xbgr,
    ]
};

/// Real landmarks (normalised to the box) of the astronaut's face, as facedetect gives them.
fn template() -> &'static Landmarks {
    static T: OnceLock<Landmarks> = OnceLock::new();
    T.get_or_init(|| {
        let (w, h, rgb) = rgb_frames(&astronaut_source()).remove(0);
        let faces = detect_rgb(&[(w, h, rgb)], &[]);
        faces[0].faces[0].landmarks.clone().expect("landmarks")
    })
}

#[derive(Debug, Clone)]
enum Marks {
    None,
    Template,
    /// Points anywhere around the box (normalised -2..3), as a broken fit could give.
    Wild(Vec<[f32; 3]>),
}

#[derive(Debug, Clone)]
struct Case {
    format: gst_video::VideoFormat,
    width: usize,
    height: usize,
    pad: usize,
    faces: Vec<(BoundingBox, Marks)>,
}

fn side(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![5 => 1usize..=40, 4 => 41usize..=700, 1 => 701usize..=max]
}

/// A position along an axis of `len` pixels for a box of `size`: inside, touching or
/// crossing either edge, or wholly outside.
fn place(len: usize, size: f32) -> impl Strategy<Value = f32> {
    let l = len as f32;
    prop_oneof![
        0.0..(l - size).max(0.0) + 0.01,
        Just(0.0),
        Just(l - size),
        Just(-size / 2.0),
        Just(l - size / 2.0),
        Just(-size),
        Just(l),
        -3.0 * size - 10.0..l + 3.0 * size + 10.0,
    ]
}

fn face(width: usize, height: usize) -> impl Strategy<Value = (BoundingBox, Marks)> {
    let long = width.max(height) as f32;
    (0.5f32..(1.5 * long).max(1.0), 0.6f32..1.6)
        .prop_flat_map(move |(w, aspect)| {
            let h = w * aspect;
            let wild = prop::collection::vec((-2.0f32..3.0, -2.0f32..3.0), 6..40);
            (
                place(width, w),
                place(height, h),
                Just(w),
                Just(h),
                prop_oneof![Just(None), Just(Some(Vec::new())), wild.prop_map(Some)],
            )
        })
        .prop_map(|(x, y, w, h, marks)| {
            let marks = match marks {
                None => Marks::None,
                Some(p) if p.is_empty() => Marks::Template,
                Some(p) => Marks::Wild(p.into_iter().map(|(a, b)| [a, b, 0.0]).collect()),
            };
            (BoundingBox::new(x, y, w, h), marks)
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(FORMATS.to_vec()),
        side(3840),
        side(2160),
        0usize..=48,
    )
        .prop_flat_map(|(format, width, height, pad)| {
            (
                Just(format),
                Just(width),
                Just(height),
                Just(pad),
                prop::collection::vec(face(width, height), 0..4),
            )
        })
        .prop_map(|(format, width, height, pad, faces)| Case {
            format,
            width,
            height,
            pad,
            faces,
        })
}

fn info(c: &Case) -> gst_video::VideoInfo {
    gst_video::VideoInfo::builder(c.format, c.width as u32, c.height as u32)
        .fps(gst::Fraction::new(30, 1))
        .build()
        .unwrap()
}

/// A buffer of the case's format with rows padded by `pad` bytes (described by a video
/// meta), a pattern in it, and the faces as facedetect would have written them.
fn buffer(c: &Case) -> gst::Buffer {
    let layout = layout_of(c.format).unwrap();
    let shapes = layout.planes(c.width, c.height);
    let strides: Vec<usize> = shapes.iter().map(|s| s.row_bytes() + c.pad).collect();
    let mut offsets = vec![0];
    for (s, stride) in shapes.iter().zip(&strides) {
        offsets.push(offsets.last().unwrap() + stride * s.height);
    }
    let size = offsets.pop().unwrap();
    let data: Vec<u8> = (0..size).map(|k| ((k * 31) % 241) as u8).collect();
    let mut buf = gst::Buffer::from_mut_slice(data);
    let b = buf.get_mut().unwrap();
    gst_video::VideoMeta::add_full(
        b,
        gst_video::VideoFrameFlags::empty(),
        c.format,
        c.width as u32,
        c.height as u32,
        &offsets,
        &strides.iter().map(|&s| s as i32).collect::<Vec<_>>(),
    )
    .unwrap();
    let faces: Vec<Face> = c
        .faces
        .iter()
        .enumerate()
        .map(|(i, (bbox, marks))| Face {
            track_id: i as i32 + 1,
            bbox: *bbox,
            confidence: 0.9,
            detector: "blazeface".into(),
            tracked: false,
            age: 0,
            landmarks: match marks {
                Marks::None => None,
                Marks::Template => Some(template().clone()),
                Marks::Wild(points) => Some(Landmarks {
                    scheme: template().scheme.clone(),
                    points: points.clone(),
                }),
            },
            head_pose: None,
            params: Vec::new(),
        })
        .collect();
    let marker = FrameMarker {
        status: AnalysisStatus::Detected,
        faces: faces.len() as u32,
        detector: "blazeface".into(),
        error: None,
        dropped: 0,
    };
    gstfacekit::meta::write_frame(b, &marker, &faces, (c.width as u32, c.height as u32));
    buf
}

/// Runs the case's buffer through `appsrc ! chain ! appsink`: `Err` with the message when
/// an element posted an error, else the output buffer if one came out (facecrop may hold
/// or drop frames without a face).
fn run(chain: &str, c: &Case) -> Result<Option<gst::Buffer>, String> {
    let mut buf = buffer(c);
    buf.get_mut().unwrap().set_pts(gst::ClockTime::ZERO);
    let out = push_buffers(
        &format!(
            "appsrc name=src format=time ! {chain} ! appsink name=sink sync=false wait-on-eos=false"
        ),
        &info(c).to_caps().unwrap(),
        [buf],
    );
    match out.error {
        Some(e) => Err(e),
        None => Ok(out.samples.first().and_then(|s| s.buffer_owned())),
    }
}

/// The output as a checked frame view, to read pixels.
fn with_view<R>(buf: &gst::Buffer, c: &Case, f: impl FnOnce(&FrameRef) -> R) -> R {
    let info = info(c);
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buf.as_ref(), &info).unwrap();
    let view = gstfacekit::image_view(&frame, layout_of(c.format).unwrap()).unwrap();
    f(&view)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn faceocclude_covers_every_face_in_any_frame(c in case()) {
        init();
        let out = run("faceocclude style=fill fill-color=0xff000000", &c);
        prop_assert!(matches!(out, Ok(Some(_))), "faceocclude failed on {:?}: {:?}", c, out);
        let out = out.unwrap().unwrap();
        with_view(&out, &c, |v| {
            for (b, marks) in &c.faces {
                let (cx, cy) = (b.x + b.width / 2.0, b.y + b.height / 2.0);
                let inside = cx >= 0.0 && cy >= 0.0 && cx < c.width as f32 && cy < c.height as f32;
                if !inside || b.width < 8.0 || matches!(marks, Marks::Wild(_)) {
                    continue;
                }
                let rgb = v.rgb(cx as usize, cy as usize);
                prop_assert!(
                    rgb.iter().all(|&ch| ch < 40.0),
                    "face {:?} ({:?}) left visible at its centre: {:?}", b, marks, rgb
                );
            }
            Ok(())
        })?;
    }

    #[test]
    fn every_style_and_element_runs_on_any_frame(c in case(), style in 0usize..4) {
        init();
        let style = ["blur", "pixelate", "fill", "sticker"][style];
        let chains = [
            format!("faceocclude style={style}"),
            "facequality".to_string(),
            "facecrop size=33x47 fit=scale".to_string(),
        ];
        for chain in &chains {
            let out = run(chain, &c);
            prop_assert!(out.is_ok(), "{} failed on {:?}: {:?}", chain, c, out);
        }
        // fit=crop refuses frames smaller than the target, with the fix in the message.
        let out = run("facecrop size=16x16 fit=crop", &c);
        let small = c.width < 16 || c.height < 16;
        prop_assert!(
            out.as_ref().err().is_none_or(|e| small && e.contains("choose a smaller size")),
            "facecrop size=16x16 fit=crop on {:?}: {:?}", c, out
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// The detector and, where it finds something, the mesh and pose on noise of any size.
    #[test]
    fn facedetect_runs_on_any_frame(mut c in case()) {
        init();
        c.faces.clear();
        let out = run("facedetect", &c);
        prop_assert!(matches!(out, Ok(Some(_))), "facedetect failed on {:?}: {:?}", c, out);
        let frame = gstfacekit::read_frame(&out.unwrap().unwrap()).unwrap();
        prop_assert!(frame.marker.is_some());
    }
}

#[test]
fn planes_shorter_than_the_caps_say_are_refused() {
    // Planes shorter than the caps say are refused up front, not read past.
    let short = [0u8; 10];
    assert!(
        FrameRef::new(
            Layout::I420,
            4,
            4,
            [&short[..], &short[..], &short[..]],
            [4, 2, 2]
        )
        .is_err()
    );
    let mut short = [0u8; 10];
    assert!(
        FrameMut::new(
            Layout::RGB,
            4,
            4,
            [&mut short[..], &mut [], &mut []],
            [12, 0, 0]
        )
        .is_err()
    );
}
