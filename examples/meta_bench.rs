//! Cost of reading and writing face metadata on a buffer (one face, 468 landmarks).
//!
//!     cargo run --release --example meta_bench [-- RUNS]
//!
//! Prints the median microseconds per call of `meta::write_frame`, `read_frame`,
//! `meta::rewrite_faces` (what facequality does), and `read_frame` of a buffer without the
//! typed landmarks meta (another producer's: the points parsed from the ROI params).

use std::time::Instant;

use gstfacekit::{
    AnalysisStatus, BoundingBox, Face, FrameMarker, HeadPose, Landmarks, meta, read_frame,
};

fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    gst::init().expect("GStreamer");
    gstfacekit::plugin_register_static().expect("facekit plugin");
    let points = (0..468)
        .map(|i| {
            let a = i as f32 * 0.37;
            [0.5 + 0.4 * a.cos(), 0.5 + 0.4 * a.sin(), 0.01 * i as f32]
        })
        .collect();
    let face = Face {
        track_id: 1,
        bbox: BoundingBox::new(200.0, 60.0, 120.0, 120.0),
        confidence: 0.93,
        detector: "blazeface-full".into(),
        tracked: false,
        age: 5,
        landmarks: Some(Landmarks {
            scheme: "mediapipe-468".into(),
            points,
        }),
        head_pose: Some(HeadPose {
            pitch: 3.0,
            yaw: -12.0,
            roll: 4.5,
            confidence: 1.0,
        }),
        params: Vec::new(),
    };
    let marker = FrameMarker {
        status: AnalysisStatus::Detected,
        faces: 1,
        detector: "blazeface-full".into(),
        error: None,
        dropped: 0,
    };
    let size = (640, 480);
    let mut buffer = gst::Buffer::with_size(16).unwrap();
    meta::write_frame(
        buffer.get_mut().unwrap(),
        &marker,
        std::slice::from_ref(&face),
        size,
    );
    let faces = read_frame(&buffer).unwrap().faces;
    assert_eq!(faces.len(), 1);

    let write = median_us(runs, || {
        let mut b = gst::Buffer::with_size(16).unwrap();
        meta::write_frame(
            b.get_mut().unwrap(),
            &marker,
            std::slice::from_ref(&face),
            size,
        );
    });
    let read = median_us(runs, || {
        std::hint::black_box(read_frame(&buffer).unwrap());
    });
    // A buffer from another producer: ROI metas with their params only.
    let mut foreign = buffer.copy();
    foreign.get_mut().unwrap().foreach_meta_mut(|mut m| {
        std::ops::ControlFlow::Continue(if m.downcast_ref::<meta::LandmarksMeta>().is_some() {
            gst::buffer::BufferMetaForeachAction::Remove
        } else {
            gst::buffer::BufferMetaForeachAction::Keep
        })
    });
    let from_params = median_us(runs, || {
        std::hint::black_box(read_frame(&foreign).unwrap());
    });
    assert_eq!(read_frame(&foreign).unwrap().faces, faces);
    let rewrite = median_us(runs, || {
        meta::rewrite_faces(buffer.get_mut().unwrap(), &faces, size);
    });
    println!("face metadata, 1 face with 468 landmarks, median of {runs} calls (microseconds)");
    println!("write_frame (facedetect)         {write:8.1}");
    println!("read_frame (every reader)        {read:8.1}");
    println!("read_frame, landmarks from params {from_params:8.1}");
    println!("rewrite_faces (facequality)      {rewrite:8.1}");
}
