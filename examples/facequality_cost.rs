//! Cost of `facequality` per face, and its share of a `facedetect ! facequality` pipeline.
//! Run through `bench/facequality-cost.sh`, which builds it and explains the figures.
//!
//!   cargo run --release --example facequality_cost -- [REPS]
//!
//! For each size (640x480, 1280x720) and format (I420, RGB) the carphone clip is decoded
//! and scaled once; then each frame is pushed through a `facedetect` harness (timed) and the
//! result, carrying the face metadata, through a `facequality` harness (timed), REPS times.
//! Medians over all frames and repetitions are printed.

use std::time::Instant;

use gst::prelude::*;

fn frames(width: u32, height: u32, format: &str) -> Result<Vec<gst::Sample>, String> {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/carphone_pristine.mp4");
    let pipeline = gst::parse::launch(&format!(
        "filesrc location={sample} ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! videoscale \
         ! video/x-raw,format={format},width={width},height={height},pixel-aspect-ratio=1/1 \
         ! appsink name=sink sync=false"
    ))
    .map_err(|e| e.to_string())?
    .downcast::<gst::Pipeline>()
    .map_err(|_| "not a pipeline")?;
    let sink = pipeline
        .by_name("sink")
        .ok_or("no sink")?
        .downcast::<gst_app::AppSink>()
        .map_err(|_| "not an appsink")?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Ok(s) = sink.pull_sample() {
        out.push(s);
    }
    pipeline
        .set_state(gst::State::Null)
        .map_err(|e| e.to_string())?;
    if out.is_empty() {
        return Err(format!(
            "no frames decoded from {sample} (run scripts/setup.sh)"
        ));
    }
    Ok(out)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(3);
    gst::init()?;
    gstfacekit::plugin_register_static()?;
    println!(
        "{:<10} {:<6} {:>6} {:>14} {:>15} {:>12} {:>12} {:>7}",
        "size",
        "format",
        "faces",
        "facedetect ms",
        "facequality ms",
        "per face ms",
        "scoring ms",
        "share"
    );
    for (w, h) in [(640u32, 480u32), (1280, 720)] {
        for format in ["I420", "RGB"] {
            let input = frames(w, h, format)?;
            let caps = input[0].caps().ok_or("no caps")?.to_owned();
            let mut detect = gst_check::Harness::new("facedetect");
            detect.set_src_caps(caps.clone());
            let mut quality = gst_check::Harness::new("facequality");
            quality.set_src_caps(caps.clone());
            let info = gst_video::VideoInfo::from_caps(&caps)?;
            let layout = gstfacekit::layout_of(info.format()).ok_or("format")?;
            let (mut det_ms, mut q_ms, mut face_ms) = (Vec::new(), Vec::new(), Vec::new());
            let mut core_ms = Vec::new();
            let mut faces = 0usize;
            for _ in 0..reps {
                for s in &input {
                    let buf = s.buffer_owned().ok_or("no buffer")?.copy();
                    let t = Instant::now();
                    let detected = detect.push_and_pull(buf)?;
                    det_ms.push(t.elapsed().as_secs_f64() * 1e3);
                    let found = gstfacekit::read_frame(&detected)?.faces;
                    let n = found.len();
                    // The GStreamer-free part alone: mask, midline and the four scores.
                    {
                        let frame =
                            gst_video::VideoFrameRef::from_buffer_ref_readable(&detected, &info)?;
                        let image = gstfacekit::image_view(&frame, layout).ok_or("planes")?;
                        for face in &found {
                            let t = Instant::now();
                            let region = gstfacekit::FaceRegion::new(
                                &face.bbox,
                                face.landmarks.as_ref(),
                                w as usize,
                                h as usize,
                            );
                            let q =
                                gstfacekit::score_face(&image, &region, 112.0, &Default::default());
                            core_ms.push(t.elapsed().as_secs_f64() * 1e3);
                            std::hint::black_box(q);
                        }
                    }
                    let t = Instant::now();
                    let _scored = quality.push_and_pull(detected)?;
                    let ms = t.elapsed().as_secs_f64() * 1e3;
                    q_ms.push(ms);
                    if n > 0 {
                        face_ms.push(ms / n as f64);
                        faces += n;
                    }
                }
            }
            let (d, q) = (median(&mut det_ms), median(&mut q_ms));
            let per_face = if face_ms.is_empty() {
                f64::NAN
            } else {
                median(&mut face_ms)
            };
            let core = if core_ms.is_empty() {
                f64::NAN
            } else {
                median(&mut core_ms)
            };
            println!(
                "{:<10} {:<6} {:>6} {:>14.3} {:>15.3} {:>12.3} {:>12.3} {:>6.1}%",
                format!("{w}x{h}"),
                format,
                faces,
                d,
                q,
                per_face,
                core,
                100.0 * q / (d + q)
            );
        }
    }
    Ok(())
}
