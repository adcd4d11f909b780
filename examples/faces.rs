//! Prints the faces `facedetect` finds in a clip, one line per frame, using the typed
//! message API, and writes an annotated copy.
//!
//!   cargo run --release --example faces -- INPUT.mp4 OUTPUT.mp4

use gst::prelude::*;
use gstfacekit::FaceDetectMessage;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = match args.as_slice() {
        [_, i, o] => (i.clone(), o.clone()),
        _ => return Err("usage: faces INPUT.mp4 OUTPUT.mp4".into()),
    };
    gst::init()?;
    gstfacekit::plugin_register_static()?;
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{input}\" ! decodebin ! videoconvert ! videoscale \
         ! video/x-raw,width=528,height=432 ! facedetect draw=true \
         ! videoconvert ! x264enc speed-preset=veryfast ! mp4mux ! filesink location=\"{output}\""
    ))?;
    pipeline.set_state(gst::State::Playing)?;
    let bus = pipeline.bus().ok_or("no bus")?;
    let (mut frames, mut with_face) = (0, 0);
    let mut ids = std::collections::BTreeSet::new();
    for msg in bus.iter_timed(gst::ClockTime::NONE) {
        match msg.view() {
            gst::MessageView::Element(e) => {
                let Some(m) = e
                    .structure()
                    .and_then(|s| FaceDetectMessage::try_from(s).ok())
                else {
                    continue;
                };
                frames += 1;
                with_face += usize::from(!m.faces.is_empty());
                let t = m.running_time.map(|t| t.mseconds()).unwrap_or(0);
                let faces: Vec<String> = m
                    .faces
                    .iter()
                    .map(|f| {
                        ids.insert(f.id);
                        let pose = f
                            .pose
                            .map(|(p, y, r)| format!(" pitch {p:+6.1} yaw {y:+6.1} roll {r:+6.1}"))
                            .unwrap_or_default();
                        let how = if f.tracked { "tracked" } else { "detected" };
                        format!(
                            "id {} {how} box {}x{}+{}+{} conf {:.2}{pose}",
                            f.id, f.width, f.height, f.x, f.y, f.confidence
                        )
                    })
                    .collect();
                println!(
                    "{t:>6} ms  {} face(s)  {}",
                    m.faces.len(),
                    faces.join(" | ")
                );
            }
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => {
                pipeline.set_state(gst::State::Null)?;
                return Err(format!("{} ({:?})", e.error(), e.debug()).into());
            }
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null)?;
    println!(
        "{frames} frames, a face in {with_face}, track ids {ids:?}; annotated video: {output}"
    );
    Ok(())
}
