//! Core of `facecrop`, free of GStreamer: target sizes and camera tables, where the crop
//! window goes (shifted, never shrunk, to stay inside the frame), smoothing of its centre,
//! area-averaging resampling for `fit=scale`, and moving face boxes into crop coordinates.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::gst::meta::BoundingBox;

/// A frame or target size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// Smallest target side: below this a crop holds no usable face.
pub const MIN_SIDE: u32 = 8;
/// Largest target side accepted.
pub const MAX_SIDE: u32 = 8192;

impl Size {
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// Parses `WIDTHxHEIGHT` (e.g. `60x60`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("size '{text}' is not WIDTHxHEIGHT (e.g. 160x160)");
        let (w, h) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let width: u32 = w.trim().parse().map_err(|_| bad())?;
        let height: u32 = h.trim().parse().map_err(|_| bad())?;
        Self::new(width, height).validated()
    }

    /// Checks the size is within [`MIN_SIDE`]..=[`MAX_SIDE`].
    pub fn validated(self) -> Result<Self, String> {
        if (MIN_SIDE..=MAX_SIDE).contains(&self.width)
            && (MIN_SIDE..=MAX_SIDE).contains(&self.height)
        {
            Ok(self)
        } else {
            Err(format!(
                "size {self} is out of range: each side must be {MIN_SIDE}..{MAX_SIDE} pixels"
            ))
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// Where the target size came from (reported in `facecrop` messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeSource {
    /// The `size` property.
    Property,
    /// The camera table entry of `camera-model`.
    CameraModel,
    /// The camera table rule matching the capture resolution.
    Resolution,
    /// `fallback-size`, because the table could not give one.
    Fallback,
}

impl SizeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Property => "property",
            Self::CameraModel => "camera-model",
            Self::Resolution => "resolution",
            Self::Fallback => "fallback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Property,
            Self::CameraModel,
            Self::Resolution,
            Self::Fallback,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One row of a camera table: either a camera model (`type`) or a capture-resolution rule
/// (`min-width` .. `max-height`, each optional and inclusive), and the target size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraEntry {
    #[serde(rename = "type", default)]
    pub model: Option<String>,
    pub width: u32,
    pub height: u32,
    #[serde(rename = "min-width", default)]
    pub min_width: Option<u32>,
    #[serde(rename = "max-width", default)]
    pub max_width: Option<u32>,
    #[serde(rename = "min-height", default)]
    pub min_height: Option<u32>,
    #[serde(rename = "max-height", default)]
    pub max_height: Option<u32>,
}

impl CameraEntry {
    fn is_resolution_rule(&self) -> bool {
        self.min_width.is_some()
            || self.max_width.is_some()
            || self.min_height.is_some()
            || self.max_height.is_some()
    }

    fn matches_resolution(&self, capture: Size) -> bool {
        let within = |v: u32, lo: Option<u32>, hi: Option<u32>| {
            lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi)
        };
        self.is_resolution_rule()
            && within(capture.width, self.min_width, self.max_width)
            && within(capture.height, self.min_height, self.max_height)
    }

    fn describe(&self) -> String {
        match &self.model {
            Some(m) => format!("entry '{m}'"),
            None => format!(
                "rule {}..{} x {}..{}",
                self.min_width.map_or("*".into(), |v| v.to_string()),
                self.max_width.map_or("*".into(), |v| v.to_string()),
                self.min_height.map_or("*".into(), |v| v.to_string()),
                self.max_height.map_or("*".into(), |v| v.to_string()),
            ),
        }
    }
}

/// Why the camera table gave no size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The file could not be read.
    File { path: String, error: String },
    /// The service answered with an HTTP error status.
    HttpStatus { url: String, status: u16 },
    /// The service did not answer within the timeout.
    Timeout { url: String, millis: u64 },
    /// The service could not be reached.
    Unreachable { url: String, error: String },
    /// `https://` was asked for, but the plugin has no TLS stack.
    HttpsUnsupported { url: String },
    /// The table is not valid JSON of the documented shape.
    Malformed { location: String, error: String },
    /// `camera-model` is not in the table.
    UnknownModel { model: String, known: Vec<String> },
    /// No resolution rule matches the capture size.
    NoRule { capture: Size },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, error } => {
                write!(f, "cannot read camera table file '{path}': {error}")
            }
            Self::HttpStatus { url, status } => write!(
                f,
                "camera config service {url} answered HTTP {status}; check config-location"
            ),
            Self::Timeout { url, millis } => write!(
                f,
                "camera config service {url} did not answer within {millis} ms (config-timeout)"
            ),
            Self::Unreachable { url, error } => {
                write!(f, "camera config service {url} is unreachable: {error}")
            }
            Self::HttpsUnsupported { url } => write!(
                f,
                "{url}: https is not supported by this build (no TLS stack); serve the table over http on a trusted network, behind a local TLS proxy, or from a file"
            ),
            Self::Malformed { location, error } => write!(
                f,
                "malformed camera table from {location}: {error}; expected a JSON list (or {{\"cameras\": [...]}}) of {{\"type\": \"A100\", \"width\": 60, \"height\": 60}} entries or {{\"min-width\"/\"max-width\"/\"min-height\"/\"max-height\", \"width\", \"height\"}} rules"
            ),
            Self::UnknownModel { model, known } => write!(
                f,
                "camera model '{model}' is not in the camera table (models: {}); fix camera-model or add an entry, or set fallback-size",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
            Self::NoRule { capture } => write!(
                f,
                "no camera table rule matches the capture resolution {capture}; add a resolution rule, set camera-model or size, or set fallback-size"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The camera table: model entries and capture-resolution rules, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CameraTable {
    pub entries: Vec<CameraEntry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TableDocument {
    List(Vec<CameraEntry>),
    Object { cameras: Vec<CameraEntry> },
}

impl CameraTable {
    /// Parses a table: a JSON list of entries or `{"cameras": [...]}`. `location` names the
    /// source in errors.
    pub fn parse(json: &str, location: &str) -> Result<Self, ConfigError> {
        let malformed = |error: String| ConfigError::Malformed {
            location: location.to_string(),
            error,
        };
        let entries = match serde_json::from_str::<serde_json::Value>(json) {
            Err(e) => return Err(malformed(e.to_string())),
            Ok(value) => match serde_json::from_value::<TableDocument>(value.clone()) {
                Ok(TableDocument::List(e) | TableDocument::Object { cameras: e }) => e,
                // Untagged enums hide the real cause: parse the likely shape again for it.
                Err(_) => {
                    let list = value.get("cameras").cloned().unwrap_or(value);
                    return Err(malformed(
                        serde_json::from_value::<Vec<CameraEntry>>(list)
                            .err()
                            .map_or("not a list of entries".into(), |e| e.to_string()),
                    ));
                }
            },
        };
        for entry in &entries {
            Size::new(entry.width, entry.height)
                .validated()
                .map_err(|e| malformed(format!("{}: {e}", entry.describe())))?;
            if entry.model.is_none() && !entry.is_resolution_rule() {
                return Err(malformed(format!(
                    "an entry ({}x{}) has neither \"type\" nor a resolution range",
                    entry.width, entry.height
                )));
            }
            let inverted =
                |lo: Option<u32>, hi: Option<u32>| lo.zip(hi).is_some_and(|(l, h)| l > h);
            if inverted(entry.min_width, entry.max_width)
                || inverted(entry.min_height, entry.max_height)
            {
                return Err(malformed(format!("{} has min > max", entry.describe())));
            }
        }
        Ok(Self { entries })
    }

    /// The target size of camera `model` (exact, case-sensitive match of `type`).
    pub fn for_model(&self, model: &str) -> Result<Size, ConfigError> {
        self.entries
            .iter()
            .find(|e| e.model.as_deref() == Some(model))
            .map(|e| Size::new(e.width, e.height))
            .ok_or_else(|| ConfigError::UnknownModel {
                model: model.to_string(),
                known: self
                    .entries
                    .iter()
                    .filter_map(|e| e.model.clone())
                    .collect(),
            })
    }

    /// The target size of the first resolution rule containing `capture`.
    pub fn for_resolution(&self, capture: Size) -> Result<Size, ConfigError> {
        self.entries
            .iter()
            .find(|e| e.matches_resolution(capture))
            .map(|e| Size::new(e.width, e.height))
            .ok_or(ConfigError::NoRule { capture })
    }
}

/// The URL asked for: `location` with the camera model added as the `model` query parameter.
pub fn config_url(location: &str, model: Option<&str>) -> String {
    let Some(model) = model else {
        return location.to_string();
    };
    let mut encoded = String::new();
    for b in model.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(b as char)
            }
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}model={encoded}")
}

/// Loads the camera table from a file path (or `file://` URL) or an `http://` service, which
/// is asked with the camera model in the query (see [`config_url`]). Blocks up to `timeout`.
pub fn load_table(
    location: &str,
    model: Option<&str>,
    timeout: Duration,
) -> Result<CameraTable, ConfigError> {
    if location.starts_with("https://") {
        return Err(ConfigError::HttpsUnsupported {
            url: location.to_string(),
        });
    }
    if location.starts_with("http://") {
        let url = config_url(location, model);
        let agent = ureq::AgentBuilder::new().timeout(timeout).build();
        let started = Instant::now();
        let body = match agent.get(&url).call() {
            Ok(response) => response.into_string().map_err(|e| {
                if started.elapsed() >= timeout {
                    ConfigError::Timeout {
                        url: url.clone(),
                        millis: timeout.as_millis() as u64,
                    }
                } else {
                    ConfigError::Unreachable {
                        url: url.clone(),
                        error: e.to_string(),
                    }
                }
            })?,
            Err(ureq::Error::Status(status, _)) => {
                return Err(ConfigError::HttpStatus { url, status });
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(if started.elapsed() >= timeout {
                    ConfigError::Timeout {
                        url,
                        millis: timeout.as_millis() as u64,
                    }
                } else {
                    ConfigError::Unreachable {
                        url,
                        error: t.to_string(),
                    }
                });
            }
        };
        return CameraTable::parse(&body, &url);
    }
    let path = location.strip_prefix("file://").unwrap_or(location);
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_string(),
        error: e.to_string(),
    })?;
    CameraTable::parse(&text, path)
}

/// How a face larger than the target is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Cut the target size around the face centre (the face may be cut).
    #[default]
    Crop,
    /// Take a region of the target's aspect ratio holding the whole face box and scale it
    /// down to the target size.
    Scale,
}

/// A rectangle of the input frame in whole pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Window {
    pub fn center(&self) -> (f32, f32) {
        (
            self.x as f32 + self.width as f32 / 2.0,
            self.y as f32 + self.height as f32 / 2.0,
        )
    }

    /// True when the window touches a frame edge (where placement may shift it off-centre).
    pub fn touches_edge(&self, frame: Size) -> bool {
        self.x == 0
            || self.y == 0
            || self.x + self.width >= frame.width
            || self.y + self.height >= frame.height
    }
}

/// Places a `size` window centred on `center` inside `frame`, shifted (never shrunk) to stay
/// inside; offsets are multiples of `align` (2 for subsampled chroma), rounded to the nearest.
/// `None` when the window is larger than the frame.
pub fn place_window(center: (f32, f32), size: Size, frame: Size, align: u32) -> Option<Window> {
    if size.width > frame.width || size.height > frame.height {
        return None;
    }
    let align = align.max(1);
    let axis = |c: f32, len: u32, full: u32| {
        let max = (full - len) / align * align;
        let start = ((c - len as f32 / 2.0) / align as f32).round() * align as f32;
        (start.max(0.0) as u32).min(max)
    };
    Some(Window {
        x: axis(center.0, size.width, frame.width),
        y: axis(center.1, size.height, frame.height),
        width: size.width,
        height: size.height,
    })
}

/// Scale factor (source pixels per target pixel) the face needs: 1 when it fits, larger when
/// `fit=scale` must take a bigger region to hold the whole face box plus `margin` (a fraction
/// of the box's size) on each side. Detectors need that context to find the face again.
pub fn needed_scale(face: &BoundingBox, target: Size, fit: Fit, margin: f32) -> f32 {
    let grow = 1.0 + 2.0 * margin.max(0.0);
    match fit {
        Fit::Crop => 1.0,
        Fit::Scale => (face.width * grow / target.width as f32)
            .max(face.height * grow / target.height as f32)
            .max(1.0),
    }
}

/// The source region for a target of `target` at scale `scale`, capped to the frame (then the
/// largest region of the target's aspect ratio that fits).
pub fn region_size(target: Size, scale: f32, frame: Size) -> Size {
    let cap =
        (frame.width as f32 / target.width as f32).min(frame.height as f32 / target.height as f32);
    let s = scale.min(cap);
    Size::new(
        ((target.width as f32 * s).round() as u32).clamp(1, frame.width),
        ((target.height as f32 * s).round() as u32).clamp(1, frame.height),
    )
}

/// Smooths the crop centre (and, for `fit=scale`, the region scale) over time.
///
/// The centre is an exponential moving average of the face centre (`smoothing` = weight of the
/// previous value, 0 = follow exactly), then kept within `max_lag` pixels of the face centre,
/// so the face is never left behind: small detector jitter is absorbed, real motion followed.
#[derive(Debug, Clone, Default)]
pub struct Smoother {
    centre: Option<(f32, f32)>,
    scale: Option<f32>,
    track: Option<i32>,
}

impl Smoother {
    /// Forgets the past (new stream, new size or another face).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The last smoothed centre, if any.
    pub fn centre(&self) -> Option<(f32, f32)> {
        self.centre
    }

    /// The smoothed centre for this frame's face centre. A change of `track` restarts.
    pub fn update(
        &mut self,
        face: (f32, f32),
        track: i32,
        smoothing: f32,
        max_lag: f32,
    ) -> (f32, f32) {
        if self.track != Some(track) {
            self.reset();
            self.track = Some(track);
        }
        let a = smoothing.clamp(0.0, 1.0);
        let follow = |prev: f32, now: f32| {
            let ema = prev * a + now * (1.0 - a);
            ema.clamp(now - max_lag, now + max_lag)
        };
        let c = match self.centre {
            None => face,
            Some(p) => (follow(p.0, face.0), follow(p.1, face.1)),
        };
        self.centre = Some(c);
        c
    }

    /// The smoothed region scale; never below `needed`, so the whole face stays in.
    pub fn update_scale(&mut self, needed: f32, smoothing: f32) -> f32 {
        let a = smoothing.clamp(0.0, 1.0);
        let s = match self.scale {
            None => needed,
            Some(p) => (p * a + needed * (1.0 - a)).max(needed),
        };
        self.scale = Some(s);
        s
    }
}

/// Resamples `region` of one plane into a `dst_w` x `dst_h` plane with `channels`
/// interleaved bytes per pixel. Equal sizes copy; otherwise each output pixel is the area
/// average of the source pixels it covers (exact box filter: no aliasing when shrinking).
pub fn resample_plane(
    src: &[u8],
    src_stride: usize,
    channels: usize,
    region: Window,
    dst: &mut [u8],
    dst_stride: usize,
    dst_w: usize,
    dst_h: usize,
) {
    let (rx, ry) = (region.x as usize, region.y as usize);
    let (rw, rh) = (region.width as usize, region.height as usize);
    if rw == dst_w && rh == dst_h {
        for row in 0..dst_h {
            let s = (ry + row) * src_stride + rx * channels;
            let d = row * dst_stride;
            dst[d..d + dst_w * channels].copy_from_slice(&src[s..s + dst_w * channels]);
        }
        return;
    }
    let xs = box_weights(rw, dst_w);
    let ys = box_weights(rh, dst_h);
    // Horizontal pass over the region's rows, then vertical.
    let mut rows = vec![0f32; rh * dst_w * channels];
    for y in 0..rh {
        let line = &src[(ry + y) * src_stride..];
        for (ox, taps) in xs.iter().enumerate() {
            for c in 0..channels {
                let mut acc = 0.0;
                for &(sx, w) in taps {
                    acc += line[(rx + sx) * channels + c] as f32 * w;
                }
                rows[(y * dst_w + ox) * channels + c] = acc;
            }
        }
    }
    for (oy, taps) in ys.iter().enumerate() {
        let out = &mut dst[oy * dst_stride..];
        for i in 0..dst_w * channels {
            let mut acc = 0.0;
            for &(sy, w) in taps {
                acc += rows[sy * dst_w * channels + i] * w;
            }
            out[i] = acc.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// For each of `dst` output pixels, the source pixels it covers and their normalised weights.
fn box_weights(src: usize, dst: usize) -> Vec<Vec<(usize, f32)>> {
    let step = src as f64 / dst as f64;
    (0..dst)
        .map(|i| {
            let (start, end) = (i as f64 * step, (i as f64 + 1.0) * step);
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(src);
            (first..last.max(first + 1).min(src))
                .map(|p| {
                    let cover = end.min(p as f64 + 1.0) - start.max(p as f64);
                    (p, (cover / step).max(0.0) as f32)
                })
                .collect()
        })
        .collect()
}

/// A face box moved into the coordinates of a crop of `region` scaled to `target`; `None`
/// when the box lies wholly outside the crop. Landmarks are normalised to the box, so they
/// follow it without change.
pub fn box_to_crop(face: &BoundingBox, region: Window, target: Size) -> Option<BoundingBox> {
    let sx = target.width as f32 / region.width as f32;
    let sy = target.height as f32 / region.height as f32;
    let b = BoundingBox::new(
        (face.x - region.x as f32) * sx,
        (face.y - region.y as f32) * sy,
        face.width * sx,
        face.height * sy,
    );
    let inside = b.x < target.width as f32
        && b.y < target.height as f32
        && b.x + b.width > 0.0
        && b.y + b.height > 0.0;
    inside.then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_parsing() {
        assert_eq!(Size::parse("60x60"), Ok(Size::new(60, 60)));
        assert_eq!(Size::parse(" 160 X 120 "), Ok(Size::new(160, 120)));
        assert!(Size::parse("60").unwrap_err().contains("WIDTHxHEIGHT"));
        assert!(Size::parse("ax5").is_err());
        assert!(Size::parse("4x60").unwrap_err().contains("out of range"));
    }

    const TABLE: &str = r#"[
        {"type": "A100", "width": 60, "height": 60},
        {"type": "B200", "width": 160, "height": 120},
        {"max-width": 640, "width": 80, "height": 80},
        {"min-width": 641, "max-height": 1080, "width": 160, "height": 160}
    ]"#;

    #[test]
    fn table_models_and_rules() {
        let t = CameraTable::parse(TABLE, "t.json").unwrap();
        assert_eq!(t.for_model("A100"), Ok(Size::new(60, 60)));
        assert_eq!(t.for_model("B200"), Ok(Size::new(160, 120)));
        let err = t.for_model("a100").unwrap_err();
        assert!(
            err.to_string()
                .contains("'a100' is not in the camera table (models: A100, B200)")
        );
        assert_eq!(t.for_resolution(Size::new(640, 480)), Ok(Size::new(80, 80)));
        assert_eq!(
            t.for_resolution(Size::new(1280, 720)),
            Ok(Size::new(160, 160))
        );
        assert_eq!(
            t.for_resolution(Size::new(3840, 2160)),
            Err(ConfigError::NoRule {
                capture: Size::new(3840, 2160)
            })
        );
        // Model entries never act as resolution rules.
        let only_models = CameraTable::parse(
            r#"{"cameras": [{"type": "A100", "width": 60, "height": 60}]}"#,
            "x",
        )
        .unwrap();
        assert!(only_models.for_resolution(Size::new(640, 480)).is_err());
    }

    #[test]
    fn malformed_tables_say_why() {
        let msg = |json: &str| {
            CameraTable::parse(json, "cfg.json")
                .unwrap_err()
                .to_string()
        };
        assert!(msg("{not json").contains("malformed camera table from cfg.json"));
        assert!(msg(r#"[{"type": "A100", "width": 60}]"#).contains("height"));
        assert!(
            msg(r#"[{"type": "A100", "width": 60, "height": 60, "widht": 3}]"#).contains("widht")
        );
        assert!(
            msg(r#"{"cameras": [{"type": "A100", "width": "60", "height": 60}]}"#)
                .contains("invalid type")
        );
        assert!(msg(r#"[{"width": 60, "height": 60}]"#).contains("neither"));
        assert!(msg(r#"[{"type": "A", "width": 2, "height": 60}]"#).contains("out of range"));
        assert!(
            msg(r#"[{"min-width": 9, "max-width": 3, "width": 60, "height": 60}]"#)
                .contains("min > max")
        );
        assert!(msg("42").contains("not a list") || msg("42").contains("invalid type"));
    }

    #[test]
    fn config_url_carries_the_model() {
        assert_eq!(config_url("http://h/c.json", None), "http://h/c.json");
        assert_eq!(
            config_url("http://h/c", Some("A100")),
            "http://h/c?model=A100"
        );
        assert_eq!(
            config_url("http://h/c?v=2", Some("X 1/2")),
            "http://h/c?v=2&model=X%201%2F2"
        );
    }

    #[test]
    fn table_from_file_and_errors() {
        let path = std::env::temp_dir().join(format!("facecrop-unit-{}.json", std::process::id()));
        std::fs::write(&path, TABLE).unwrap();
        let p = path.to_str().unwrap();
        let t = load_table(p, Some("A100"), Duration::from_secs(1)).unwrap();
        assert_eq!(t.for_model("A100"), Ok(Size::new(60, 60)));
        let t = load_table(&format!("file://{p}"), None, Duration::from_secs(1)).unwrap();
        assert_eq!(t.entries.len(), 4);
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            load_table(p, None, Duration::from_secs(1)),
            Err(ConfigError::File { .. })
        ));
        let e = load_table(
            "https://example.invalid/t.json",
            None,
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(e.to_string().contains("https is not supported"));
    }

    #[test]
    fn window_is_centred_then_shifted_not_shrunk() {
        let frame = Size::new(640, 480);
        let s = Size::new(160, 160);
        let w = place_window((320.0, 240.0), s, frame, 1).unwrap();
        assert_eq!((w.x, w.y, w.width, w.height), (240, 160, 160, 160));
        assert_eq!(w.center(), (320.0, 240.0));
        // Near the top-left corner: shifted to 0, same size.
        let w = place_window((10.0, 30.0), s, frame, 1).unwrap();
        assert_eq!((w.x, w.y, w.width, w.height), (0, 0, 160, 160));
        assert!(w.touches_edge(frame));
        // Near the bottom-right corner.
        let w = place_window((639.0, 479.0), s, frame, 1).unwrap();
        assert_eq!((w.x, w.y), (480, 320));
        // Subsampled formats: even offsets, at most one pixel off the centre.
        let w = place_window((321.0, 241.0), Size::new(61, 61), frame, 2).unwrap();
        assert_eq!((w.x % 2, w.y % 2), (0, 0));
        assert!((w.center().0 - 321.0).abs() <= 1.0 && (w.center().1 - 241.0).abs() <= 1.0);
        // Odd room at the far edge stays inside with an even offset.
        let w = place_window((1000.0, 1000.0), Size::new(61, 61), Size::new(176, 144), 2).unwrap();
        assert!(
            w.x + 61 <= 176 && w.y + 61 <= 144 && w.x.is_multiple_of(2) && w.y.is_multiple_of(2)
        );
        assert!(place_window((5.0, 5.0), Size::new(700, 10), frame, 1).is_none());
    }

    #[test]
    fn smoothing_absorbs_jitter_and_never_lags_behind() {
        let mut s = Smoother::default();
        assert_eq!(s.update((100.0, 100.0), 1, 0.8, 2.0), (100.0, 100.0));
        // +-1.5 px jitter: the centre moves far less than the face.
        let mut moved = 0.0f32;
        let mut prev = 100.0;
        for i in 0..20 {
            let x = if i % 2 == 0 { 101.5 } else { 98.5 };
            let c = s.update((x, 100.0), 1, 0.8, 2.0);
            moved += (c.0 - prev).abs();
            prev = c.0;
            assert!((c.0 - x).abs() <= 2.0);
        }
        assert!(moved < 0.5 * 20.0 * 3.0, "moved {moved}");
        // A fast move: the centre stays within max-lag of the face.
        let c = s.update((200.0, 100.0), 1, 0.8, 2.0);
        assert!((c.0 - 200.0).abs() <= 2.0 + 1e-4);
        // No smoothing follows exactly; another track restarts at its face.
        assert_eq!(s.update((150.0, 90.0), 1, 0.0, 2.0), (150.0, 90.0));
        assert_eq!(s.update((10.0, 10.0), 2, 0.9, 2.0), (10.0, 10.0));
    }

    #[test]
    fn scale_smoothing_keeps_the_face_in() {
        let mut s = Smoother::default();
        assert_eq!(s.update_scale(2.0, 0.8), 2.0);
        assert_eq!(s.update_scale(3.0, 0.8), 3.0);
        let shrinking = s.update_scale(1.0, 0.8);
        assert!(shrinking > 2.0 && shrinking < 3.0);
    }

    #[test]
    fn needed_scale_and_region() {
        let t = Size::new(60, 60);
        let frame = Size::new(640, 480);
        let face = BoundingBox::new(100.0, 100.0, 150.0, 120.0);
        assert_eq!(needed_scale(&face, t, Fit::Crop, 0.25), 1.0);
        assert_eq!(needed_scale(&face, t, Fit::Scale, 0.0), 2.5);
        assert_eq!(needed_scale(&face, t, Fit::Scale, 0.25), 3.75);
        assert_eq!(
            needed_scale(&BoundingBox::new(0.0, 0.0, 30.0, 30.0), t, Fit::Scale, 0.25),
            1.0
        );
        assert_eq!(region_size(t, 2.5, frame), Size::new(150, 150));
        // Capped by the frame height: the largest square that fits.
        assert_eq!(region_size(t, 20.0, frame), Size::new(480, 480));
    }

    #[test]
    fn resample_copies_and_area_averages() {
        // 4x2 single-channel source, stride 5.
        let src = [10, 20, 30, 40, 0, 50, 60, 70, 80, 0];
        let mut dst = [0u8; 4];
        resample_plane(
            &src,
            5,
            1,
            Window {
                x: 1,
                y: 0,
                width: 2,
                height: 2,
            },
            &mut dst,
            2,
            2,
            2,
        );
        assert_eq!(dst, [20, 30, 60, 70]);
        let mut one = [0u8; 2];
        resample_plane(
            &src,
            5,
            1,
            Window {
                x: 0,
                y: 0,
                width: 4,
                height: 2,
            },
            &mut one,
            1,
            1,
            1,
        );
        assert_eq!(one[0], 45);
        // Two channels, 2:1 horizontally: each output is the mean of its two source pixels.
        let rgb = [0, 100, 10, 200, 20, 0, 40, 50];
        let mut out = [0u8; 4];
        resample_plane(
            &rgb,
            8,
            2,
            Window {
                x: 0,
                y: 0,
                width: 4,
                height: 1,
            },
            &mut out,
            4,
            2,
            1,
        );
        assert_eq!(out, [5, 150, 30, 25]);
        // 3 -> 2: fractional coverage, weights sum to one.
        let mut frac = [0u8; 2];
        resample_plane(
            &[0, 90, 180],
            3,
            1,
            Window {
                x: 0,
                y: 0,
                width: 3,
                height: 1,
            },
            &mut frac,
            2,
            2,
            1,
        );
        assert_eq!(frac, [30, 150]);
    }

    #[test]
    fn boxes_move_into_crop_coordinates() {
        let region = Window {
            x: 100,
            y: 50,
            width: 200,
            height: 200,
        };
        let b = box_to_crop(
            &BoundingBox::new(150.0, 100.0, 100.0, 80.0),
            region,
            Size::new(100, 100),
        )
        .unwrap();
        assert_eq!(b, BoundingBox::new(25.0, 25.0, 50.0, 40.0));
        let same = box_to_crop(
            &BoundingBox::new(150.0, 100.0, 10.0, 10.0),
            region,
            Size::new(200, 200),
        )
        .unwrap();
        assert_eq!(same, BoundingBox::new(50.0, 50.0, 10.0, 10.0));
        assert!(
            box_to_crop(
                &BoundingBox::new(0.0, 0.0, 50.0, 40.0),
                region,
                Size::new(200, 200)
            )
            .is_none()
        );
    }

    #[test]
    fn size_source_names_round_trip() {
        for s in [
            SizeSource::Property,
            SizeSource::CameraModel,
            SizeSource::Resolution,
            SizeSource::Fallback,
        ] {
            assert_eq!(SizeSource::parse(s.as_str()), Some(s));
        }
    }
}
