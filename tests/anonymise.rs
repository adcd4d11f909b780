//! The anonymisation setting (`facedetect model=centerface ... lookahead=N ! faceocclude`):
//! faces stay covered after the detector loses them, are covered before it first finds
//! them, a frame with more faces than `max-faces` is covered whole, and the webcam
//! defaults in front of `faceocclude` earn one warning.

mod common;

use common::*;
use gst::prelude::*;

const ANONYMISE: &str = "model=centerface confidence-threshold=0.25 landmarks=false";

type Rgb = (usize, usize, Vec<u8>);

/// Pushes RGB frames through a parsed chain (a harness), sends EOS and returns every output
/// frame's RGB bytes (stride = 3 * width) and face metadata, in order.
fn run_rgb(chain: &str, frames: &[Rgb]) -> Vec<(Vec<u8>, gstfacekit::FrameFaces)> {
    init();
    let mut h = gst_check::Harness::new_parse(chain);
    let (w, hh, _) = frames[0];
    let info = gst_video::VideoInfo::builder(gst_video::VideoFormat::Rgb, w as u32, hh as u32)
        .fps(gst::Fraction::new(25, 1))
        .build()
        .unwrap();
    h.set_src_caps(info.to_caps().unwrap());
    for (i, (_, _, data)) in frames.iter().enumerate() {
        let mut buf = common::rgb_buffer(w, hh, data);
        buf.get_mut()
            .unwrap()
            .set_pts(gst::ClockTime::from_mseconds(40 * i as u64));
        assert_eq!(h.push(buf), Ok(gst::FlowSuccess::Ok));
    }
    assert!(h.push_event(gst::event::Eos::new()));
    let mut out = Vec::new();
    while let Some(buf) = h.try_pull() {
        let faces = gstfacekit::read_frame(&buf).unwrap();
        let map = buf.map_readable().unwrap();
        let stride = (w * 3).div_ceil(4) * 4;
        let mut rgb = Vec::with_capacity(w * hh * 3);
        for y in 0..hh {
            rgb.extend_from_slice(&map[y * stride..y * stride + w * 3]);
        }
        out.push((rgb, faces));
    }
    out
}

/// Mean absolute difference inside a box (pixels, clamped to the frame).
fn diff_in(a: &[u8], b: &[u8], w: usize, h: usize, rect: [usize; 4]) -> f64 {
    let [x0, y0, rw, rh] = rect;
    let (x1, y1) = ((x0 + rw).min(w), (y0 + rh).min(h));
    let mut sum = 0u64;
    let mut n = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            for c in 0..3 {
                let i = (y * w + x) * 3 + c;
                sum += a[i].abs_diff(b[i]) as u64;
                n += 1;
            }
        }
    }
    sum as f64 / n.max(1) as f64
}

/// Carphone frames, the face box of the first one, and a faceless frame: the first frame
/// with the face's box painted over by a checkerboard (texture a blur visibly changes).
fn face_and_faceless() -> (Vec<Rgb>, [usize; 4], Rgb) {
    let frames: Vec<Rgb> = rgb_frames(&carphone_source())
        .into_iter()
        .take(12)
        .collect();
    let (w, h, first) = frames[0].clone();
    let detected = detect_rgb(
        &frames[..1],
        &[
            ("model", "centerface"),
            ("confidence-threshold", "0.25"),
            ("landmarks", "false"),
        ],
    );
    let b = detected[0].faces[0].bbox;
    // Generous: the whole head and the margin around it.
    let grow = 0.35 * b.width;
    let x0 = (b.x - grow).max(0.0) as usize;
    let y0 = (b.y - grow).max(0.0) as usize;
    let rect = [
        x0,
        y0,
        ((b.width + 2.0 * grow) as usize).min(w - x0),
        ((b.height + 2.0 * grow) as usize).min(h - y0),
    ];
    let mut faceless = first.clone();
    for y in rect[1]..rect[1] + rect[3] {
        for x in rect[0]..rect[0] + rect[2] {
            let v = if (x / 4 + y / 4) % 2 == 0 { 230 } else { 20 };
            faceless[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&[v, v, v]);
        }
    }
    // The face box itself (unclamped), where covering shows.
    let face = [
        b.x.max(0.0) as usize,
        b.y.max(0.0) as usize,
        b.width as usize,
        b.height as usize,
    ];
    (frames, face, (w, h, faceless))
}

#[test]
fn hold_covers_a_face_for_frames_after_the_detector_loses_it() {
    let (frames, face, faceless) = face_and_faceless();
    let (w, h, _) = faceless;
    // Five frames with the face, then the face is gone (checkerboard where it was).
    let mut input: Vec<Rgb> = frames[..5].to_vec();
    input.extend(std::iter::repeat_n(faceless.clone(), 6));
    let out = run_rgb(
        &format!("facedetect {ANONYMISE} hold-frames=3 ! faceocclude"),
        &input,
    );
    assert_eq!(out.len(), input.len());
    for (i, (rgb, meta)) in out.iter().enumerate().skip(5) {
        let changed = diff_in(rgb, &faceless.2, w, h, face);
        if i < 5 + 3 {
            assert_eq!(meta.faces.len(), 1, "frame {i}: face not held");
            assert!(
                meta.faces[0].tracked,
                "frame {i}: a held face is marked tracked"
            );
            assert!(
                changed > 20.0,
                "frame {i}: where the face was is not covered ({changed:.1})"
            );
        } else {
            assert!(
                meta.faces.is_empty(),
                "frame {i}: held longer than hold-frames"
            );
            assert!(
                changed < 1.0,
                "frame {i}: covered after the hold ({changed:.1})"
            );
        }
    }
}

#[test]
fn lookahead_covers_the_frames_before_the_first_detection() {
    let (frames, face, faceless) = face_and_faceless();
    let (w, h, _) = faceless;
    // Five frames without the face, then it appears.
    let mut input: Vec<Rgb> = std::iter::repeat_n(faceless.clone(), 5).collect();
    input.extend_from_slice(&frames[..6]);
    let out = run_rgb(
        &format!("facedetect {ANONYMISE} hold-frames=0 lookahead=3 ! faceocclude"),
        &input,
    );
    assert_eq!(
        out.len(),
        input.len(),
        "every frame comes out, the last ones at EOS"
    );
    for (i, (rgb, meta)) in out.iter().enumerate().take(5) {
        let changed = diff_in(rgb, &faceless.2, w, h, face);
        if i >= 5 - 3 {
            assert_eq!(
                meta.faces.len(),
                1,
                "frame {i}: the later face is not lent back"
            );
            assert!(
                changed > 20.0,
                "frame {i}: not covered before the detection ({changed:.1})"
            );
        } else {
            assert!(
                meta.faces.is_empty(),
                "frame {i}: lent further back than lookahead"
            );
            assert!(
                changed < 1.0,
                "frame {i}: covered beyond the lookahead ({changed:.1})"
            );
        }
    }
    // Without lookahead the frames just before the face are left as they are.
    let out = run_rgb(
        &format!("facedetect {ANONYMISE} hold-frames=0 ! faceocclude"),
        &input,
    );
    assert!(diff_in(&out[4].0, &faceless.2, w, h, face) < 1.0);
}

#[test]
fn lookahead_and_interval_leave_no_frame_of_a_moving_face_uncovered() {
    // The face slides right 3 px a frame; the detector runs every 3rd frame only.
    let (frames, face, _) = face_and_faceless();
    let (w, h, _) = frames[0];
    let shifted: Vec<Rgb> = frames
        .iter()
        .enumerate()
        .map(|(i, (_, _, data))| {
            let dx = 3 * i;
            let mut out = vec![0u8; data.len()];
            for y in 0..h {
                for x in dx..w {
                    let (s, d) = ((y * w + x - dx) * 3, (y * w + x) * 3);
                    out[d..d + 3].copy_from_slice(&data[s..s + 3]);
                }
            }
            (w, h, out)
        })
        .collect();
    let out = run_rgb(
        &format!("facedetect {ANONYMISE} interval=3 lookahead=3 hold-frames=9 ! faceocclude"),
        &shifted,
    );
    assert_eq!(out.len(), shifted.len());
    for (i, (rgb, meta)) in out.iter().enumerate() {
        assert!(!meta.faces.is_empty(), "frame {i} reports no face");
        let rect = [face[0] + 3 * i, face[1], face[2], face[3]];
        let changed = diff_in(rgb, &shifted[i].2, w, h, rect);
        assert!(
            changed > 10.0,
            "frame {i}: the face is not covered ({changed:.1})"
        );
    }
}

#[test]
fn reaching_max_faces_covers_the_frame_whole() {
    // Two carphone frames side by side: two faces.
    let (w, h, one) = rgb_frames(&carphone_source()).swap_remove(0);
    let mut two = vec![0u8; 2 * w * h * 3];
    for y in 0..h {
        for half in 0..2 {
            let d = (y * 2 * w + half * w) * 3;
            two[d..d + w * 3].copy_from_slice(&one[y * w * 3..(y + 1) * w * 3]);
        }
    }
    let frames = vec![(2 * w, h, two.clone()); 3];
    // Columns at the left edge, far from both faces.
    let edge = [0, 0, 12, h];
    let both = run_rgb(
        &format!("facedetect {ANONYMISE} max-faces=2 ! faceocclude"),
        &frames,
    );
    assert_eq!(both[0].1.faces.len(), 2);
    assert_eq!(both[0].1.marker.as_ref().unwrap().dropped, 0);
    assert!(
        diff_in(&both[0].0, &two, 2 * w, h, edge) < 1.0,
        "only faces are covered"
    );
    let capped = run_rgb(
        &format!("facedetect {ANONYMISE} max-faces=1 ! faceocclude"),
        &frames,
    );
    for (i, (rgb, meta)) in capped.iter().enumerate() {
        assert_eq!(meta.faces.len(), 1);
        assert_eq!(
            meta.marker.as_ref().unwrap().dropped,
            1,
            "frame {i}: drop not told"
        );
        let changed = diff_in(rgb, &two, 2 * w, h, edge);
        assert!(changed > 5.0, "frame {i}: not covered whole ({changed:.1})");
    }
}

/// Warnings `faceocclude` posts on carphone behind `facedetect PROPS`.
fn occlude_warnings(props: &str) -> Vec<String> {
    init();
    let pipeline = gst::parse::launch(&format!(
        "{} ! videoconvert ! facedetect {props} ! faceocclude name=o ! fakesink",
        carphone_source()
    ))
    .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let mut warnings = Vec::new();
    for msg in pipeline
        .bus()
        .unwrap()
        .iter_timed(gst::ClockTime::from_seconds(120))
    {
        match msg.view() {
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => panic!("{}", e.error()),
            gst::MessageView::Warning(w) if w.src().is_some_and(|s| s.name().as_str() == "o") => {
                warnings.push(w.error().to_string())
            }
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    warnings
}

#[test]
fn webcam_defaults_in_front_of_faceocclude_warn_once_and_say_what_to_use() {
    let warnings = occlude_warnings("");
    let webcam: Vec<_> = warnings.iter().filter(|w| w.contains("webcam")).collect();
    assert_eq!(webcam.len(), 1, "{warnings:?}");
    let w = webcam[0];
    assert!(w.contains("small") && w.contains("profile"), "{w}");
    assert!(
        w.contains("pipelines/anonymise.sh") && w.contains("model=centerface"),
        "{w}"
    );
    assert!(
        occlude_warnings(ANONYMISE).is_empty(),
        "no warning with the anonymisation setting"
    );
}
