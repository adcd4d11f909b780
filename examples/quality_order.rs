//! Does `facequality` order faces as a person would? Three checks, each printing a table
//! (`bench/quality-order.sh` runs them all on a media folder):
//!
//!   quality_order order [--ties EPS] FILE...   the files are one face, best first: scores must
//!                                        fall (with --ties, steps under EPS count as equal:
//!                                        faces above the reference size all get resolution 1)
//!   quality_order degrade FILE...        each photo against degraded copies of itself
//!                                        (JPEG, Gaussian blur, down-and-up scaling, and the
//!                                        mix restoration inputs get): the original must win and
//!                                        each kind must fall with its strength
//!   quality_order clip FILE SHEET.png [N]   scores every frame of a clip, prints the N best and
//!                                        worst faces and writes them as a contact sheet
//!                                        (top row: best, bottom row: worst)
//!
//! Every face goes through the real elements: `appsrc ! facedetect interval=1 ! facequality`
//! (clips: `filesrc ! decodebin ! ... ! facedetect ! facequality`); the scores are read back
//! from the `quality` param of the largest face. Exits 1 when an expected order is violated.

use gst::prelude::*;
use gstfacekit::{QualityScore, quality_of, read_frame};
use image::{ImageBuffer, Rgb, RgbImage, imageops};

/// The quality of the largest face, its box, and what its mesh says (mouth gap, eye
/// aspect ratio, yaw) for the table.
type Scored = (QualityScore, gstfacekit::BoundingBox, String);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    gst::init().expect("gst init");
    gstfacekit::plugin_register_static().expect("register facekit");
    let result = match args.first().map(String::as_str) {
        Some("order") if args.get(1).map(String::as_str) == Some("--ties") && args.len() > 4 => {
            match args[2].parse::<f64>() {
                Ok(eps) => order(&args[3..], eps),
                Err(_) => Err(format!("--ties {}: not a number", args[2])),
            }
        }
        Some("order") if args.len() > 2 => order(&args[1..], 0.0),
        Some("degrade") if args.len() > 1 => degrade(&args[1..]),
        Some("clip") if args.len() == 3 || args.len() == 4 => {
            let n = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(4);
            clip(&args[1], &args[2], n)
        }
        _ => Err(
            "usage: quality_order order FILE FILE... | degrade FILE... | clip FILE SHEET.png [N]"
                .into(),
        ),
    };
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("quality_order: {e}");
            std::process::exit(2);
        }
    }
}

type Res<T> = Result<T, String>;

fn load(path: &str) -> Res<RgbImage> {
    Ok(image::open(path)
        .map_err(|e| format!("{path}: {e}"))?
        .to_rgb8())
}

/// Scores same-sized frames through `appsrc ! facedetect ! facequality ! appsink`; the
/// largest face of each, if any.
fn score_frames(frames: &[RgbImage]) -> Res<Vec<Option<Scored>>> {
    let (w, h) = frames[0].dimensions();
    let pipeline = gst::parse::launch(&format!(
        "appsrc name=src format=time caps=video/x-raw,format=RGB,width={w},height={h},framerate=1/1 \
         ! facedetect interval=1 updates=none ! facequality keyframes=false post-messages=false \
         ! appsink name=sink sync=false"
    ))
    .map_err(|e| e.to_string())?
    .downcast::<gst::Pipeline>()
    .unwrap();
    let src = pipeline
        .by_name("src")
        .unwrap()
        .downcast::<gst_app::AppSrc>()
        .unwrap();
    let sink = pipeline
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| e.to_string())?;
    for (i, f) in frames.iter().enumerate() {
        // GStreamer's RGB rows are padded to 4 bytes.
        let (row, stride) = (w as usize * 3, (w as usize * 3).div_ceil(4) * 4);
        let mut data = vec![0u8; stride * h as usize];
        for (y, src_row) in f.as_raw().chunks_exact(row).enumerate() {
            data[y * stride..y * stride + row].copy_from_slice(src_row);
        }
        let mut buf = gst::Buffer::from_mut_slice(data);
        let b = buf.get_mut().unwrap();
        b.set_pts(gst::ClockTime::from_seconds(i as u64));
        b.set_duration(gst::ClockTime::SECOND);
        src.push_buffer(buf).map_err(|e| e.to_string())?;
    }
    src.end_of_stream().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Ok(sample) = sink.pull_sample() {
        out.push(largest(sample.buffer().unwrap()));
    }
    if let Some(msg) = pipeline
        .bus()
        .unwrap()
        .pop_filtered(&[gst::MessageType::Error])
    {
        return Err(format!("{msg:?}"));
    }
    pipeline.set_state(gst::State::Null).ok();
    Ok(out)
}

fn largest(buf: &gst::BufferRef) -> Option<Scored> {
    let frame = read_frame(buf).ok()?;
    let face = frame
        .faces
        .iter()
        .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))?;
    let expression = face
        .landmarks
        .as_ref()
        .and_then(|lm| gstfacekit::Expression::from_mesh(&lm.to_pixels(&face.bbox)));
    let mut extra = match expression {
        Some(e) => format!("mouth {:.2} eyes {:.2}", e.mouth_open, e.eyes_open),
        None => "no mesh".into(),
    };
    if let Some(p) = face.head_pose {
        extra += &format!(" yaw {:+.0} pitch {:+.0}", p.yaw, p.pitch);
    }
    Some((quality_of(face)?.ok()?, face.bbox, extra))
}

fn header(first: &str) {
    println!(
        "  {first:<28} {:>7} {:>8} {:>9} {:>7} {:>7} {:>7}  {:>7}  mesh",
        "overall", "symmetry", "sharpness", "illum", "resol", "neutral", "face px"
    );
}

fn row(name: &str, s: Option<&Scored>) {
    match s {
        Some((q, b, extra)) => {
            let c = q.components;
            println!(
                "  {name:<28} {:>7.3} {:>8.3} {:>9.3} {:>7.3} {:>7.3} {:>7.3}  {:>7.0}  {extra}",
                q.overall,
                c.symmetry,
                c.sharpness,
                c.illumination,
                c.resolution,
                q.neutrality,
                b.area().sqrt(),
            );
        }
        None => println!("  {name:<28} no face found"),
    }
}

/// Each score above the next (`>`), or within `ties` of it (`≈`).
fn verdict(names: &[String], scores: &[Option<f64>], ties: f64) -> bool {
    let mut ok = true;
    let mut parts = Vec::new();
    for i in 0..names.len() {
        parts.push(format!(
            "{} {}",
            names[i],
            scores[i].map_or("-".into(), |s| format!("{s:.3}"))
        ));
        if i + 1 < names.len() {
            let (above, tie) = match (scores[i], scores[i + 1]) {
                (Some(a), Some(b)) => (a > b, (a - b).abs() < ties),
                _ => (false, false),
            };
            ok &= above || tie;
            parts.push(
                if above && !tie {
                    ">"
                } else if tie {
                    "≈"
                } else {
                    "NOT >"
                }
                .into(),
            );
        }
    }
    println!(
        "  order: {}  [{}]",
        parts.join(" "),
        if ok { "ok" } else { "VIOLATED" }
    );
    ok
}

fn base(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or(path.into(), |n| n.to_string_lossy().into())
}

/// Files expected best first. Different sizes are scored one pipeline each.
fn order(files: &[String], ties: f64) -> Res<bool> {
    println!(
        "series: {} (expected best first)",
        files.iter().map(|f| base(f)).collect::<Vec<_>>().join(", ")
    );
    header("file");
    let mut scores = Vec::new();
    for f in files {
        let img = load(f)?;
        let s = score_frames(&[img])?.pop().flatten();
        let (w, h) = load(f)?.dimensions();
        row(&format!("{} ({w}x{h})", base(f)), s.as_ref());
        scores.push(s.map(|(q, _, _)| q.overall));
    }
    let names: Vec<String> = files.iter().map(|f| base(f)).collect();
    Ok(verdict(&names, &scores, ties))
}

fn jpeg(img: &RgbImage, quality: u8) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(img)
        .expect("jpeg encode");
    image::load_from_memory(&bytes)
        .expect("jpeg decode")
        .to_rgb8()
}

fn down_up(img: &RgbImage, factor: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let small = imageops::resize(
        img,
        (w / factor).max(1),
        (h / factor).max(1),
        imageops::FilterType::Triangle,
    );
    imageops::resize(&small, w, h, imageops::FilterType::Triangle)
}

/// What restoration datasets feed their models: blurred, shrunk, JPEG-compressed, scaled back.
fn restoration_input(img: &RgbImage, factor: u32, quality: u8) -> RgbImage {
    let (w, h) = img.dimensions();
    let blurred = imageops::blur(img, 1.0);
    let small = imageops::resize(
        &blurred,
        (w / factor).max(1),
        (h / factor).max(1),
        imageops::FilterType::Triangle,
    );
    let small = jpeg(&small, quality);
    imageops::resize(&small, w, h, imageops::FilterType::Triangle)
}

fn degrade(files: &[String]) -> Res<bool> {
    let mut ok = true;
    for f in files {
        let img = load(f)?;
        // Blur and scale strengths are relative to the face, not the photo: a 1080p photo's
        // face needs a wider blur to lose what a 200 px crop loses at sigma 1.
        let probe = score_frames(std::slice::from_ref(&img))?.pop().flatten();
        let Some((_, bbox, _)) = probe else {
            println!("series: {} — no face found, skipped", base(f));
            continue;
        };
        let face = bbox.area().sqrt();
        let unit = (face / 112.0).max(1.0);
        let kinds: Vec<(&str, Vec<(String, RgbImage)>)> = vec![
            (
                "jpeg",
                [50u8, 20, 10, 5]
                    .iter()
                    .map(|&q| (format!("jpeg q={q}"), jpeg(&img, q)))
                    .collect(),
            ),
            (
                "blur",
                [1.0f32, 2.0, 4.0]
                    .iter()
                    .map(|&s| {
                        let sigma = s * unit;
                        (
                            format!("blur sigma={sigma:.1}px"),
                            imageops::blur(&img, sigma),
                        )
                    })
                    .collect(),
            ),
            (
                "lowres",
                [2u32, 4, 8]
                    .iter()
                    .map(|&k| {
                        let k = (k as f32 * unit).round() as u32;
                        (format!("down-up /{k}"), down_up(&img, k))
                    })
                    .collect(),
            ),
            (
                "restoration",
                [(2u32, 40u8), (4, 30), (8, 20)]
                    .iter()
                    .map(|&(k, q)| {
                        let k = (k as f32 * unit).round() as u32;
                        (
                            format!("blur+/{k}+jpeg{q}+up"),
                            restoration_input(&img, k, q),
                        )
                    })
                    .collect(),
            ),
        ];
        let mut frames = vec![img.clone()];
        for (_, v) in &kinds {
            frames.extend(v.iter().map(|(_, i)| i.clone()));
        }
        let scores = score_frames(&frames)?;
        let (w, h) = img.dimensions();
        println!("series: {} ({w}x{h}, face {face:.0} px)", base(f));
        header("variant");
        row("original", scores[0].as_ref());
        let mut at = 1;
        for (kind, variants) in &kinds {
            let mut names = vec!["original".to_string()];
            let mut overall = vec![scores[0].as_ref().map(|(q, _, _)| q.overall)];
            for (name, _) in variants {
                row(name, scores[at].as_ref());
                names.push(name.clone());
                overall.push(scores[at].as_ref().map(|(q, _, _)| q.overall));
                at += 1;
            }
            print!("  {kind:<12}");
            ok &= verdict(&names, &overall, 0.0);
        }
        println!();
    }
    Ok(ok)
}

struct ClipFace {
    time_ms: u64,
    score: QualityScore,
    bbox: gstfacekit::BoundingBox,
    extra: String,
    crop: RgbImage,
}

fn clip(path: &str, sheet: &str, n: usize) -> Res<bool> {
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{path}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB \
         ! facedetect updates=none ! facequality keyframes=false post-messages=false \
         ! appsink name=sink sync=false"
    ))
    .map_err(|e| e.to_string())?
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = pipeline
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| e.to_string())?;
    let mut faces = Vec::new();
    let mut frames = 0;
    while let Ok(sample) = sink.pull_sample() {
        frames += 1;
        let buf = sample.buffer().unwrap();
        let Some((score, bbox, extra)) = largest(buf) else {
            continue;
        };
        if !score.valid() {
            continue;
        }
        let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
        let map = buf.map_readable().unwrap();
        let (w, h) = (info.width(), info.height());
        let stride = info.stride()[0] as usize;
        // The face box plus a quarter on each side, as facequality's key frame crop.
        let m = 0.25;
        let x0 = (bbox.x - m * bbox.width).max(0.0) as u32;
        let y0 = (bbox.y - m * bbox.height).max(0.0) as u32;
        let x1 = ((bbox.x + (1.0 + m) * bbox.width) as u32).min(w);
        let y1 = ((bbox.y + (1.0 + m) * bbox.height) as u32).min(h);
        if x1 <= x0 || y1 <= y0 {
            continue;
        }
        let crop = ImageBuffer::from_fn(x1 - x0, y1 - y0, |x, y| {
            let o = (y0 + y) as usize * stride + (x0 + x) as usize * 3;
            Rgb([map[o], map[o + 1], map[o + 2]])
        });
        faces.push(ClipFace {
            time_ms: buf.pts().map_or(0, |t| t.mseconds()),
            score,
            bbox,
            extra,
            crop,
        });
    }
    if let Some(msg) = pipeline
        .bus()
        .unwrap()
        .pop_filtered(&[gst::MessageType::Error])
    {
        return Err(format!("{msg:?}"));
    }
    pipeline.set_state(gst::State::Null).ok();
    if faces.is_empty() {
        return Err(format!("{path}: no scorable face in {frames} frames"));
    }
    faces.sort_by(|a, b| b.score.overall.total_cmp(&a.score.overall));
    let overall: Vec<f64> = faces.iter().map(|f| f.score.overall).collect();
    let median = overall[overall.len() / 2];
    println!(
        "clip: {} — {frames} frames, {} scored faces; overall {:.3}..{:.3} (median {median:.3}, spread {:.3})",
        base(path),
        faces.len(),
        overall[overall.len() - 1],
        overall[0],
        overall[0] - overall[overall.len() - 1]
    );
    let n = n.min(faces.len() / 2).max(1);
    header("face (time)");
    let best: Vec<&ClipFace> = faces.iter().take(n).collect();
    let worst: Vec<&ClipFace> = faces.iter().rev().take(n).collect();
    for (label, set) in [("best", &best), ("worst", &worst)] {
        for (i, f) in set.iter().enumerate() {
            let name = format!("{label} {} ({} ms)", i + 1, f.time_ms);
            row(&name, Some(&(f.score, f.bbox, f.extra.clone())));
        }
    }
    let tile = 160u32;
    let mut out = RgbImage::from_pixel(tile * n as u32, tile * 2 + 8, Rgb([255, 255, 255]));
    for (r, set) in [&best, &worst].iter().enumerate() {
        for (i, f) in set.iter().enumerate() {
            let (cw, ch) = f.crop.dimensions();
            let s = tile as f32 / cw.max(ch) as f32;
            let t = imageops::resize(
                &f.crop,
                ((cw as f32 * s) as u32).max(1),
                ((ch as f32 * s) as u32).max(1),
                imageops::FilterType::Triangle,
            );
            imageops::overlay(
                &mut out,
                &t,
                (i as u32 * tile) as i64,
                (r as u32 * (tile + 8)) as i64,
            );
        }
    }
    out.save(sheet).map_err(|e| format!("{sheet}: {e}"))?;
    println!("  contact sheet: {sheet} (top row best, bottom row worst, left to right)");
    Ok(true)
}
