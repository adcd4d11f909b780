//! Names the face in each photo against a gallery with `faceidentify`, using the typed
//! message API; optionally writes the aligned 150x150 chips (to check them against dlib:
//! `bench/faceidentify-verify.sh`).
//!
//!   cargo run --release --example identify -- [--gallery PATH] [--chips DIR] PHOTO.jpg...

use gst::prelude::*;
use gst_video::prelude::*;
use gstfacekit::IdentityMessage;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut gallery, mut chips, mut photos) = (None, None, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gallery" => gallery = Some(args.next().ok_or("--gallery needs a path")?),
            "--chips" => {
                chips = Some(std::path::PathBuf::from(
                    args.next().ok_or("--chips needs a folder")?,
                ))
            }
            _ => photos.push(a),
        }
    }
    if photos.is_empty() {
        return Err("usage: identify [--gallery PATH] [--chips DIR] PHOTO...".into());
    }
    gst::init()?;
    gstfacekit::plugin_register_static()?;
    let gallery = gallery.map_or(String::new(), |g| format!("gallery=\"{g}\""));
    println!(
        "{:40} {:>10} {:>12} {:>9}",
        "photo", "result", "identity", "distance"
    );
    for photo in &photos {
        let pipeline = gst::parse::launch(&format!(
            "filesrc location=\"{photo}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB \
             ! imagefreeze num-buffers=1 ! facedetect ! facequality ! faceidentify {gallery} ! fakesink"
        ))?;
        pipeline.set_state(gst::State::Playing)?;
        let mut found = None;
        for msg in pipeline
            .bus()
            .ok_or("no bus")?
            .iter_timed(gst::ClockTime::NONE)
        {
            match msg.view() {
                gst::MessageView::Element(e) => {
                    if let Some(m) = e
                        .structure()
                        .and_then(|s| IdentityMessage::try_from(s).ok())
                    {
                        found = Some(m);
                    }
                }
                gst::MessageView::Error(e) => {
                    pipeline.set_state(gst::State::Null)?;
                    return Err(format!("{photo}: {}", e.error()).into());
                }
                gst::MessageView::Eos(_) => break,
                _ => {}
            }
        }
        pipeline.set_state(gst::State::Null)?;
        let Some(m) = found else {
            println!("{photo:40} {:>10}", "no face");
            continue;
        };
        println!(
            "{photo:40} {:>10} {:>12} {:>9.3}",
            m.result.as_str(),
            m.identity,
            m.distance
        );
        if let (Some(dir), Some(chip)) = (&chips, &m.chip) {
            std::fs::create_dir_all(dir)?;
            let info = gst_video::VideoInfo::from_caps(chip.caps().ok_or("chip without caps")?)?;
            let buffer = chip.buffer().ok_or("chip without buffer")?;
            let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)?;
            let (w, stride) = (info.width() as usize, frame.plane_stride()[0] as usize);
            let rows: Vec<u8> = frame
                .plane_data(0)?
                .chunks(stride)
                .flat_map(|r| &r[..3 * w])
                .copied()
                .collect();
            let name = std::path::Path::new(photo)
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy();
            let img =
                image::RgbImage::from_raw(w as u32, info.height(), rows).ok_or("chip size")?;
            img.save(dir.join(format!("{name}.png")))?;
        }
    }
    Ok(())
}
