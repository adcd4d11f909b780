//! The `quality` param and the `facequality` / `facequality-keyframe` messages, typed, with
//! their `GstStructure` forms.

use super::{Components, MaskKind, QualityScore, RegionCopy, RgbCrop, Status};
use crate::face::{BoundingBox, Face, FrameMarker, MetaError};
use crate::gst::meta;

/// Name of the param added to each face's region-of-interest meta.
pub const QUALITY_PARAM: &str = "quality";
/// Structure name of the per-frame message.
pub const FACEQUALITY_MESSAGE: &str = "facequality";
/// Structure name of the key frame message.
pub const KEYFRAME_MESSAGE: &str = "facequality-keyframe";

fn err(what: &str, e: impl std::fmt::Display) -> MetaError {
    MetaError(format!("{what}: {e}"))
}

/// Writes the quality fields into `s` (shared by the param and the message entries).
fn set_quality_fields(s: &mut gst::StructureRef, q: &QualityScore) {
    s.set("symmetry", q.components.symmetry);
    s.set("sharpness", q.components.sharpness);
    s.set("illumination", q.components.illumination);
    s.set("resolution", q.components.resolution);
    s.set("neutrality", q.neutrality);
    s.set("overall", q.overall);
    s.set("visible", q.visible);
    s.set("mask", q.mask.as_str());
    s.set("status", q.status.as_str());
}

fn read_quality_fields(s: &gst::StructureRef) -> Result<QualityScore, MetaError> {
    let f = |n: &str| {
        s.get::<f64>(n)
            .map_err(|e| err(&format!("{}.{n}", s.name()), e))
    };
    let text = |n: &str| {
        s.get::<String>(n)
            .map_err(|e| err(&format!("{}.{n}", s.name()), e))
    };
    let mask = text("mask")?;
    let status = text("status")?;
    Ok(QualityScore {
        components: Components {
            symmetry: f("symmetry")?,
            sharpness: f("sharpness")?,
            illumination: f("illumination")?,
            resolution: f("resolution")?,
        },
        // Absent from params written before neutrality was measured: unknown = neutral.
        neutrality: s.get::<f64>("neutrality").unwrap_or(1.0),
        overall: f("overall")?,
        visible: f("visible")?,
        mask: MaskKind::parse(&mask).ok_or_else(|| err("quality.mask", mask))?,
        status: Status::parse(&status).ok_or_else(|| err("quality.status", status))?,
    })
}

/// The `quality` param: `symmetry`, `sharpness`, `illumination`, `resolution`, `overall`,
/// `visible` (doubles), `mask` (`landmarks` | `ellipse`), `status` (`ok` | `too-small` |
/// `outside`).
pub fn quality_param(q: &QualityScore) -> gst::Structure {
    let mut s = gst::Structure::new_empty(QUALITY_PARAM);
    set_quality_fields(&mut s, q);
    s
}

/// The quality `facequality` added to a face, if any.
pub fn quality_of(face: &Face) -> Option<Result<QualityScore, MetaError>> {
    face.param(QUALITY_PARAM).map(|p| {
        let s = crate::gst::meta::param_structure(p)
            .ok_or_else(|| MetaError(format!("{QUALITY_PARAM}: unreadable param '{}'", p.text)))?;
        read_quality_fields(&s)
    })
}

/// One face in a `facequality` message: box (pixels), track id and its quality.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityEntry {
    pub id: i32,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub quality: QualityScore,
}

/// The `facequality` element message (rate-limited by `message-interval`).
#[derive(Debug, Clone, PartialEq)]
pub struct FaceQualityMessage {
    pub timestamp: Option<gst::ClockTime>,
    pub stream_time: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
    pub duration: Option<gst::ClockTime>,
    /// Weights in effect (symmetry, sharpness, illumination, resolution), summing to 1.
    pub weights: [f64; 4],
    pub faces: Vec<QualityEntry>,
}

fn time_field(s: &gst::StructureRef, n: &str) -> Result<Option<gst::ClockTime>, MetaError> {
    s.get::<Option<gst::ClockTime>>(n)
        .map_err(|e| err(&format!("{}.{n}", s.name()), e))
}

impl From<&QualityEntry> for gst::Structure {
    fn from(f: &QualityEntry) -> Self {
        let mut s = gst::Structure::builder("face")
            .field("id", f.id)
            .field("x", f.x)
            .field("y", f.y)
            .field("width", f.width)
            .field("height", f.height)
            .build();
        set_quality_fields(&mut s, &f.quality);
        s
    }
}

impl TryFrom<&gst::StructureRef> for QualityEntry {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        let u = |n: &str| s.get::<u32>(n).map_err(|e| err(&format!("face.{n}"), e));
        Ok(Self {
            id: s.get::<i32>("id").map_err(|e| err("face.id", e))?,
            x: u("x")?,
            y: u("y")?,
            width: u("width")?,
            height: u("height")?,
            quality: read_quality_fields(s)?,
        })
    }
}

impl From<&FaceQualityMessage> for gst::Structure {
    fn from(m: &FaceQualityMessage) -> Self {
        gst::Structure::builder(FACEQUALITY_MESSAGE)
            .field("timestamp", m.timestamp)
            .field("stream-time", m.stream_time)
            .field("running-time", m.running_time)
            .field("duration", m.duration)
            .field("weights", gst::Array::new(m.weights))
            .field(
                "faces",
                gst::List::new(m.faces.iter().map(gst::Structure::from)),
            )
            .build()
    }
}

fn weights_field(s: &gst::StructureRef) -> Result<[f64; 4], MetaError> {
    let a = s
        .get::<gst::Array>("weights")
        .map_err(|e| err("facequality.weights", e))?;
    let v: Vec<f64> = a
        .iter()
        .map(|v| v.get::<f64>().map_err(|e| err("facequality.weights", e)))
        .collect::<Result<_, _>>()?;
    v.try_into()
        .map_err(|_| MetaError("facequality.weights: not 4 values".into()))
}

impl TryFrom<&gst::StructureRef> for FaceQualityMessage {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        if s.name() != FACEQUALITY_MESSAGE {
            return Err(MetaError(format!(
                "not a facequality message: {}",
                s.name()
            )));
        }
        let list = s
            .get::<gst::List>("faces")
            .map_err(|e| err("facequality.faces", e))?;
        let faces = list
            .iter()
            .map(|v| {
                let st = v
                    .get::<&gst::StructureRef>()
                    .map_err(|e| err("facequality.faces item", e))?;
                QualityEntry::try_from(st)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            timestamp: time_field(s, "timestamp")?,
            stream_time: time_field(s, "stream-time")?,
            running_time: time_field(s, "running-time")?,
            duration: time_field(s, "duration")?,
            weights: weights_field(s)?,
            faces,
        })
    }
}

/// The `facequality-keyframe` element message: the best face of a track's window.
///
/// `sample` holds the face crop (RGB, the box grown by `keyframe-margin`, clamped to the
/// frame) with the frame's PTS and duration, a frame marker and the face's
/// region-of-interest meta (landmarks, pose, quality) in crop coordinates, so a recogniser
/// can align and embed it with [`crate::gst::meta::read_frame`]. Its info structure is the
/// `quality` param.
#[derive(Debug, Clone)]
pub struct KeyframeMessage {
    pub track_id: i32,
    /// Timing of the frame the face was taken from.
    pub timestamp: Option<gst::ClockTime>,
    pub stream_time: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
    pub duration: Option<gst::ClockTime>,
    pub quality: QualityScore,
    /// Face box in the source frame, pixels.
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// Crop rectangle in the source frame, pixels.
    pub crop: (u32, u32, u32, u32),
    /// Valid faces of this track seen in the window.
    pub frames: u32,
    /// The file written (`keyframe-location`), if any.
    pub location: Option<String>,
    pub sample: gst::Sample,
}

impl From<&KeyframeMessage> for gst::Structure {
    fn from(m: &KeyframeMessage) -> Self {
        let mut s = gst::Structure::builder(KEYFRAME_MESSAGE)
            .field("track-id", m.track_id)
            .field("timestamp", m.timestamp)
            .field("stream-time", m.stream_time)
            .field("running-time", m.running_time)
            .field("duration", m.duration)
            .field("x", m.x)
            .field("y", m.y)
            .field("width", m.width)
            .field("height", m.height)
            .field("crop-x", m.crop.0)
            .field("crop-y", m.crop.1)
            .field("crop-width", m.crop.2)
            .field("crop-height", m.crop.3)
            .field("frames", m.frames)
            .field("sample", &m.sample)
            .build();
        set_quality_fields(&mut s, &m.quality);
        if let Some(l) = &m.location {
            s.set("location", l.as_str());
        }
        s
    }
}

impl TryFrom<&gst::StructureRef> for KeyframeMessage {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        if s.name() != KEYFRAME_MESSAGE {
            return Err(MetaError(format!(
                "not a facequality-keyframe message: {}",
                s.name()
            )));
        }
        let u = |n: &str| {
            s.get::<u32>(n)
                .map_err(|e| err(&format!("facequality-keyframe.{n}"), e))
        };
        Ok(Self {
            track_id: s
                .get::<i32>("track-id")
                .map_err(|e| err("facequality-keyframe.track-id", e))?,
            timestamp: time_field(s, "timestamp")?,
            stream_time: time_field(s, "stream-time")?,
            running_time: time_field(s, "running-time")?,
            duration: time_field(s, "duration")?,
            quality: read_quality_fields(s)?,
            x: u("x")?,
            y: u("y")?,
            width: u("width")?,
            height: u("height")?,
            crop: (
                u("crop-x")?,
                u("crop-y")?,
                u("crop-width")?,
                u("crop-height")?,
            ),
            frames: u("frames")?,
            location: s.get::<String>("location").ok(),
            sample: s
                .get::<gst::Sample>("sample")
                .map_err(|e| err("facequality-keyframe.sample", e))?,
        })
    }
}

/// What is kept of a track's best face until its window closes: its key frame message is
/// made of it.
pub struct BestFace {
    pub region: Option<RegionCopy>,
    pub face: Face,
    pub marker: FrameMarker,
    pub quality: QualityScore,
    pub pts: Option<gst::ClockTime>,
    pub duration: Option<gst::ClockTime>,
    pub stream_time: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
}

impl BestFace {
    /// The key frame as a sample: the RGB `crop` with the face (in crop coordinates) in its
    /// metadata, and the `quality` param as its info.
    pub fn sample(&self, crop: &RgbCrop) -> Option<gst::Sample> {
        let best = self;
        let (w, h) = (crop.width as u32, crop.height as u32);
        let info = gst_video::VideoInfo::builder(gst_video::VideoFormat::Rgb, w, h)
            .build()
            .ok()?;
        let mut buffer = gst::Buffer::with_size(info.size()).ok()?;
        {
            let b = buffer.get_mut()?;
            b.set_pts(best.pts);
            b.set_duration(best.duration);
            {
                let mut map = b.map_writable().ok()?;
                let stride = info.stride()[0] as usize;
                let row = crop.width * 3;
                for (y, src) in crop.rgb.chunks_exact(row).enumerate() {
                    map[y * stride..y * stride + row].copy_from_slice(src);
                }
            }
            let mut face = best.face.clone();
            face.bbox = BoundingBox::new(
                face.bbox.x - crop.x as f32,
                face.bbox.y - crop.y as f32,
                face.bbox.width,
                face.bbox.height,
            );
            let marker = FrameMarker {
                faces: 1,
                ..best.marker.clone()
            };
            meta::write_frame(b, &marker, &[face], (w, h));
        }
        Some(
            gst::Sample::builder()
                .buffer(&buffer)
                .caps(&info.to_caps().ok()?)
                .info(quality_param(&best.quality))
                .build(),
        )
    }

    /// The key frame message of track `track_id` (`frames` faces seen in its window), with
    /// the file it was written to.
    pub fn message(
        &self,
        track_id: i32,
        frames: u32,
        crop: &RgbCrop,
        sample: gst::Sample,
        location: Option<String>,
    ) -> KeyframeMessage {
        let (x, y, width, height) = self.face.bbox.to_rect(u32::MAX, u32::MAX);
        KeyframeMessage {
            track_id,
            timestamp: self.pts,
            stream_time: self.stream_time,
            running_time: self.running_time,
            duration: self.duration,
            quality: self.quality,
            x,
            y,
            width,
            height,
            crop: (
                crop.x as u32,
                crop.y as u32,
                crop.width as u32,
                crop.height as u32,
            ),
            frames,
            location,
            sample,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quality() -> QualityScore {
        QualityScore {
            components: Components {
                symmetry: 0.7,
                sharpness: 0.6,
                illumination: 0.8,
                resolution: 0.5,
            },
            neutrality: 0.9,
            overall: 0.62,
            visible: 0.9,
            mask: MaskKind::Landmarks,
            status: Status::Ok,
        }
    }

    #[test]
    fn quality_param_round_trip() {
        gst::init().unwrap();
        let s = quality_param(&quality());
        assert_eq!(s.name(), QUALITY_PARAM);
        assert_eq!(read_quality_fields(&s).unwrap(), quality());
        let mut bad = s.clone();
        bad.set("mask", "square");
        assert!(read_quality_fields(&bad).is_err());
    }

    #[test]
    fn facequality_message_round_trip() {
        gst::init().unwrap();
        let m = FaceQualityMessage {
            timestamp: Some(gst::ClockTime::from_mseconds(40)),
            stream_time: Some(gst::ClockTime::from_mseconds(40)),
            running_time: Some(gst::ClockTime::from_mseconds(40)),
            duration: None,
            weights: [0.2, 0.3, 0.2, 0.3],
            faces: vec![QualityEntry {
                id: 3,
                x: 1,
                y: 2,
                width: 30,
                height: 40,
                quality: quality(),
            }],
        };
        let s = gst::Structure::from(&m);
        assert_eq!(FaceQualityMessage::try_from(s.as_ref()).unwrap(), m);
        assert!(FaceQualityMessage::try_from(gst::Structure::new_empty("x").as_ref()).is_err());
    }

    #[test]
    fn keyframe_message_round_trip() {
        gst::init().unwrap();
        let sample = gst::Sample::builder()
            .buffer(&gst::Buffer::with_size(12).unwrap())
            .build();
        let m = KeyframeMessage {
            track_id: 4,
            timestamp: Some(gst::ClockTime::from_mseconds(80)),
            stream_time: None,
            running_time: Some(gst::ClockTime::from_mseconds(80)),
            duration: Some(gst::ClockTime::from_mseconds(40)),
            quality: quality(),
            x: 10,
            y: 11,
            width: 12,
            height: 13,
            crop: (7, 8, 18, 19),
            frames: 25,
            location: Some("/tmp/f-4-80.png".into()),
            sample,
        };
        let s = gst::Structure::from(&m);
        let back = KeyframeMessage::try_from(s.as_ref()).unwrap();
        assert_eq!(back.track_id, 4);
        assert_eq!(back.quality, quality());
        assert_eq!((back.x, back.y, back.width, back.height), (10, 11, 12, 13));
        assert_eq!(back.crop, m.crop);
        assert_eq!(back.frames, 25);
        assert_eq!(back.location, m.location);
        assert_eq!(back.timestamp, m.timestamp);
        assert_eq!(back.sample.buffer().unwrap().size(), 12);
    }
}
