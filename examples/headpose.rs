//! Head pose accuracy of `facedetect` (its defaults) on a directory in the AFLW2000-3D layout:
//! images plus `labels.csv` (`image,pitch_deg,yaw_deg,roll_deg,in_standard_99deg_subset,
//! pt2d_box_x1,pt2d_box_y1,pt2d_box_x2,pt2d_box_y2,...`, Hopenet convention: pitch and roll
//! with facedetect's sign, yaw with the opposite sign).
//!
//!   cargo run --release --example headpose -- DIR [--all] [--dump FILE.jsonl]
//!
//! Each image goes through its own pipeline (`filesrc ! decodebin ! videoconvert ! facedetect
//! ! appsink`), so nothing is tracked from one image to the next. The face whose box centre
//! lies inside the ground-truth box (the box of the 2D landmarks) and overlaps it most is
//! that image's face; no such face, or one without a pose, counts as "no pose". Without
//! `--all` only the images with all three angles within ±99° (the standard subset) count.
//! `--dump` writes one JSON line per image (ground truth, pose, its confidence, box, mesh
//! points in pixels). A second table counts only sure poses (confidence >= 0.5).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use gst::prelude::*;
use std::time::Instant;

use gstfacekit::{BoundingBox, FACE_REFERENCE_468, Face, HeadPose};

struct Label {
    image: String,
    /// Ground truth converted to facedetect's convention.
    truth: HeadPose,
    standard: bool,
    bbox: BoundingBox,
}

fn read_labels(dir: &Path) -> Result<Vec<Label>, String> {
    let path = dir.join("labels.csv");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| format!("{}: no column `{name}`", path.display()))
    };
    let (ci, cp, cy, cr, cs) = (
        col("image")?,
        col("pitch_deg")?,
        col("yaw_deg")?,
        col("roll_deg")?,
        col("in_standard_99deg_subset")?,
    );
    let cb = [
        col("pt2d_box_x1")?,
        col("pt2d_box_y1")?,
        col("pt2d_box_x2")?,
        col("pt2d_box_y2")?,
    ];
    let mut labels = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |c: usize| -> Result<f64, String> {
            f.get(c).and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
                format!(
                    "{} line {}: bad number in column {c}",
                    path.display(),
                    n + 2
                )
            })
        };
        let b = [num(cb[0])?, num(cb[1])?, num(cb[2])?, num(cb[3])?].map(|v| v as f32);
        labels.push(Label {
            image: f[ci].trim().to_string(),
            truth: HeadPose {
                pitch: num(cp)?,
                yaw: -num(cy)?,
                roll: num(cr)?,
                confidence: 1.0,
            },
            standard: num(cs)? != 0.0,
            bbox: BoundingBox::new(b[0], b[1], b[2] - b[0], b[3] - b[1]),
        });
    }
    Ok(labels)
}

/// Runs facedetect on one image; the faces on its (only) buffer.
fn analyse(path: &Path) -> Result<Vec<Face>, String> {
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! facedetect ! appsink name=sink sync=false",
        path.display()
    ))
    .map_err(|e| e.to_string())?
    .downcast::<gst::Pipeline>()
    .map_err(|_| "not a pipeline")?;
    let sink = pipeline
        .by_name("sink")
        .and_then(|s| s.downcast::<gst_app::AppSink>().ok())
        .ok_or("no appsink")?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let sample = sink.pull_sample();
    let result = match sample {
        Ok(sample) => {
            let buffer = sample.buffer().ok_or("sample without buffer")?;
            gstfacekit::read_frame(buffer)
                .map(|f| f.faces)
                .map_err(|e| e.0)
        }
        Err(_) => {
            let bus = pipeline.bus().ok_or("no bus")?;
            let err = bus
                .pop_filtered(&[gst::MessageType::Error])
                .map(|m| format!("{m:?}"))
                .unwrap_or_else(|| "no frame".into());
            Err(format!("{}: {err}", path.display()))
        }
    };
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// The detected face that belongs to the ground-truth box.
fn matching_face<'a>(faces: &'a [Face], truth: &BoundingBox) -> Option<&'a Face> {
    faces
        .iter()
        .filter(|f| {
            let (cx, cy) = f.bbox.center();
            cx >= truth.x
                && cx <= truth.x + truth.width
                && cy >= truth.y
                && cy <= truth.y + truth.height
        })
        .max_by(|a, b| a.bbox.iou(truth).total_cmp(&b.bbox.iou(truth)))
}

#[derive(Default)]
struct Band {
    images: usize,
    with_pose: usize,
    sum: [f64; 3],
    /// Angle of the rotation error per image with a pose (independent of the Euler split).
    rotation_errors: Vec<f64>,
}

impl Band {
    fn add(&mut self, pose: Option<HeadPose>, truth: &HeadPose) {
        self.images += 1;
        if let Some(p) = pose {
            self.with_pose += 1;
            self.sum[0] += (p.pitch - truth.pitch).abs();
            self.sum[1] += (p.yaw - truth.yaw).abs();
            self.sum[2] += (p.roll - truth.roll).abs();
            self.rotation_errors
                .push(gstfacekit::rotation_error(&p, truth));
        }
    }

    fn row(&self, name: &str) -> String {
        let n = self.with_pose.max(1) as f64;
        let [p, y, r] = self.sum.map(|s| s / n);
        format!(
            "{name:<13} {:>6} {:>9} {:>8.1}% {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>9.1}",
            self.images,
            self.with_pose,
            100.0 * self.with_pose as f64 / self.images.max(1) as f64,
            y,
            p,
            r,
            (p + y + r) / 3.0,
            median(&self.rotation_errors),
        )
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

const BANDS: [&str; 3] = ["0-30", "30-60", "60-99"];
const HALVES: [&str; 2] = ["all, 1st half", "all, 2nd half"];

/// One method's table: per |yaw| band, over all, and over each half of the label rows
/// (alternate rows), which shows how much a figure moves between two samples of this size.
#[derive(Default)]
struct Table(HashMap<&'static str, Band>);

impl Table {
    fn add(&mut self, row: usize, pose: Option<HeadPose>, truth: &HeadPose) {
        let band = BANDS[((truth.yaw.abs() / 30.0) as usize).min(2)];
        for name in [band, "all", HALVES[row % 2]] {
            self.0.entry(name).or_default().add(pose, truth);
        }
    }

    fn write(&mut self, out: &mut String, title: &str) -> std::fmt::Result {
        writeln!(out, "{title}")?;
        writeln!(
            out,
            "{:<13} {:>6} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7} {:>9}",
            "|yaw|", "images", "with pose", "coverage", "yaw", "pitch", "roll", "mean", "rot. err"
        )?;
        for name in BANDS.iter().chain(&["all"]).chain(&HALVES) {
            writeln!(out, "{}", self.0.entry(name).or_default().row(name))?;
        }
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: headpose DIR [--all] [--dump FILE.jsonl]";
    let mut dir = None;
    let mut all = false;
    let mut dump = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--all" => all = true,
            "--dump" => dump = Some(PathBuf::from(it.next().ok_or(usage)?)),
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => return Err(usage.into()),
        }
    }
    let dir = dir.ok_or(usage)?;
    let labels = read_labels(&dir)?;
    gst::init()?;
    gstfacekit::plugin_register_static()?;
    let mut dump = match dump {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    let mut element = Table::default();
    let mut peer = Table::default();
    let mut sure = Table::default();
    let (mut fit_us, mut peer_us) = (Vec::new(), Vec::new());
    let started = Instant::now();
    let mut counted = 0;
    for label in labels.iter().filter(|l| all || l.standard) {
        let faces = analyse(&dir.join(&label.image))?;
        let face = matching_face(&faces, &label.bbox);
        let pose = face.and_then(|f| f.head_pose);
        let t = label.truth;
        // The peer fits the same landmarks (as the element wrote them) with the rigid 3D fit.
        let points = face
            .and_then(|f| f.landmarks.as_ref().map(|l| l.to_pixels(&f.bbox)))
            .unwrap_or_default();
        let peer_pose = if pose.is_some() && points.len() == FACE_REFERENCE_468.len() {
            let clock = Instant::now();
            let p = gstfacekit::rigid_head_pose(&FACE_REFERENCE_468, &points);
            peer_us.push(clock.elapsed().as_secs_f64() * 1e6);
            let clock = Instant::now();
            let _ = std::hint::black_box(gstfacekit::head_pose(&FACE_REFERENCE_468, &points));
            fit_us.push(clock.elapsed().as_secs_f64() * 1e6);
            p
        } else {
            None
        };
        element.add(counted, pose, &t);
        sure.add(counted, pose.filter(HeadPose::is_sure), &t);
        peer.add(counted, peer_pose, &t);
        counted += 1;
        if let Some(out) = dump.as_mut() {
            let line = serde_json::json!({
                "image": label.image,
                "truth": [t.pitch, t.yaw, t.roll],
                "pose": pose.map(|p| [p.pitch, p.yaw, p.roll]),
                "pose_confidence": pose.map(|p| p.confidence),
                "faces": faces.len(),
                "box": face.map(|f| [f.bbox.x, f.bbox.y, f.bbox.width, f.bbox.height]),
                "confidence": face.map(|f| f.confidence),
                "points": points,
            });
            writeln!(out, "{line}")?;
        }
    }
    let mut text = String::new();
    writeln!(
        text,
        "facedetect head pose on {} ({} images{}; ground truth in facedetect's signs)",
        dir.display(),
        counted,
        if all {
            ", all"
        } else {
            " with |angles| <= 99 deg"
        }
    )?;
    writeln!(
        text,
        "MAE in degrees over the images with a pose, band by |ground-truth yaw|; rot. err = median"
    )?;
    writeln!(
        text,
        "angle of the rotation error (does not depend on the pitch/roll split, which is unstable"
    )?;
    writeln!(
        text,
        "near 90 deg of yaw); halves = alternate rows of labels.csv\n"
    )?;
    element.write(
        &mut text,
        "facedetect (defaults: rigid fit refined by the weak-perspective fit)",
    )?;
    writeln!(text)?;
    sure.write(
        &mut text,
        "facedetect, sure poses only (pose confidence >= 0.5, what attentionmeter counts; an unsure one is no pose here)",
    )?;
    writeln!(text)?;
    peer.write(
        &mut text,
        "peer, same landmarks: rigid 3D fit only (Kabsch, FaceMesh z included; the earlier method)",
    )?;
    writeln!(
        text,
        "\npose fit per face, median: facedetect {:.0} us, rigid peer {:.0} us ({} faces); {:.0} ms per image,",
        median(&fit_us),
        median(&peer_us),
        fit_us.len(),
        started.elapsed().as_secs_f64() * 1000.0 / counted.max(1) as f64
    )?;
    writeln!(text, "pipeline set-up and both networks included")?;
    print!("{text}");
    Ok(())
}
