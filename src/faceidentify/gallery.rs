//! The gallery of known faces: labelled descriptors, loaded from a folder of labelled
//! photos or a SQLite file, matched by Euclidean distance.
//!
//! * Folder: every `NAME.jpg|jpeg|png` directly in it is one photo of `NAME`, and every
//!   photo inside a sub-folder `NAME/` is one more photo of `NAME`. Each photo must show
//!   one clear face (the largest face is used).
//! * SQLite (a file, typically `*.sqlite` or `*.db`; created when missing): table `faces`
//!   (`label TEXT`, `descriptor BLOB` = 128 little-endian f32, `source TEXT`,
//!   `added INTEGER` unix seconds). Identities enrolled at run time are written to it.

use std::path::{Path, PathBuf};

use super::descriptor::{DESCRIPTOR_LEN, Descriptor, DescriptorModel, describe_photo, distance};
use crate::facedetect::analyzer::{AnalyzerConfig, FaceAnalyzer};

const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub label: String,
    pub descriptor: Descriptor,
    /// Where it came from: a photo's path, `sqlite`, or `track N` for run-time enrolments.
    pub source: String,
}

/// Best gallery match of one descriptor.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The closest identity; `None` with an empty gallery.
    pub label: Option<String>,
    /// Its distance (infinite with an empty gallery).
    pub distance: f64,
    /// `distance < threshold`.
    pub verified: bool,
}

/// Where the gallery lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Store {
    // Not built by any setting yet (the crate-private API made rustc see it).
    #[allow(dead_code)]
    Memory,
    Folder(PathBuf),
    Sqlite(PathBuf),
}

impl Store {
    /// A folder is a folder of photos; anything else is a SQLite file.
    pub fn from_path(path: &Path) -> Self {
        if path.is_dir() {
            Self::Folder(path.to_path_buf())
        } else {
            Self::Sqlite(path.to_path_buf())
        }
    }
}

#[derive(Debug, Default)]
pub struct Gallery {
    pub entries: Vec<Entry>,
    sqlite: Option<rusqlite::Connection>,
}

impl Gallery {
    /// The gallery at `location` (the `gallery` property): a folder of labelled photos
    /// (described with facedetect's models) or an SQLite file; none: an empty gallery.
    pub fn open(
        location: Option<&str>,
        env: &ort::environment::Environment,
        model: &DescriptorModel,
    ) -> Result<Gallery, String> {
        let Some(path) = location.map(PathBuf::from) else {
            return Ok(Gallery::default());
        };
        match Store::from_path(&path) {
            Store::Folder(dir) => {
                let mut analyzer = FaceAnalyzer::new(env, AnalyzerConfig::default())
                    .map_err(|e| format!("gallery folder needs facedetect's models: {e}"))?;
                Gallery::load_folder(&dir, |p| describe_photo(p, &mut analyzer, model))
            }
            Store::Sqlite(file) => Gallery::open_sqlite(&file),
            Store::Memory => Ok(Gallery::default()),
        }
    }

    /// The closest entry to `descriptor`, verified when under `threshold`.
    pub fn best_match(&self, descriptor: &Descriptor, threshold: f64) -> Match {
        let best = self
            .entries
            .iter()
            .map(|e| (e, distance(&e.descriptor, descriptor)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((e, d)) => Match {
                label: Some(e.label.clone()),
                distance: d,
                verified: d < threshold,
            },
            None => Match {
                label: None,
                distance: f64::INFINITY,
                verified: false,
            },
        }
    }

    /// Distinct labels, sorted.
    pub fn labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = self.entries.iter().map(|e| e.label.clone()).collect();
        labels.sort();
        labels.dedup();
        labels
    }

    /// Adds an identity; with a SQLite store it is written to the file too.
    pub fn enrol(&mut self, entry: Entry) -> Result<(), String> {
        if entry.label.trim().is_empty() {
            return Err("an identity needs a non-empty label".into());
        }
        if let Some(db) = &self.sqlite {
            let blob = descriptor_to_blob(&entry.descriptor);
            let added = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            db.execute(
                "INSERT INTO faces (label, descriptor, source, added) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![entry.label, blob, entry.source, added],
            )
            .map_err(|e| {
                format!(
                    "cannot write identity '{}' to the gallery: {e}",
                    entry.label
                )
            })?;
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Opens (creating when missing) a SQLite gallery and loads every row.
    pub fn open_sqlite(path: &Path) -> Result<Self, String> {
        let fail = |e: rusqlite::Error| format!("gallery '{}': {e}", path.display());
        let db = rusqlite::Connection::open(path).map_err(fail)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS faces (
                 id INTEGER PRIMARY KEY,
                 label TEXT NOT NULL,
                 descriptor BLOB NOT NULL,
                 source TEXT NOT NULL DEFAULT '',
                 added INTEGER NOT NULL DEFAULT 0)",
        )
        .map_err(|e| {
            format!(
                "gallery '{}' is not a usable SQLite file ({e}); give a SQLite file or a folder of photos",
                path.display()
            )
        })?;
        let mut entries = Vec::new();
        {
            let mut stmt = db
                .prepare("SELECT id, label, descriptor FROM faces ORDER BY id")
                .map_err(fail)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .map_err(fail)?;
            for row in rows {
                let (id, label, blob) = row.map_err(fail)?;
                let descriptor = blob_to_descriptor(&blob).ok_or_else(|| {
                    format!(
                        "gallery '{}': row {id} ('{label}') has a {}-byte descriptor, expected {} (128 little-endian f32)",
                        path.display(),
                        blob.len(),
                        4 * DESCRIPTOR_LEN
                    )
                })?;
                entries.push(Entry {
                    label,
                    descriptor,
                    source: "sqlite".into(),
                });
            }
        }
        Ok(Self {
            entries,
            sqlite: Some(db),
        })
    }

    /// Loads a folder of labelled photos; `embed` gives the descriptor of a photo's face
    /// (or says why there is none).
    pub fn load_folder(
        dir: &Path,
        mut embed: impl FnMut(&Path) -> Result<Descriptor, String>,
    ) -> Result<Self, String> {
        let photos = labelled_photos(dir)?;
        if photos.is_empty() {
            return Err(format!(
                "gallery folder '{}' holds no photos (NAME.jpg, NAME.png or NAME/*.jpg)",
                dir.display()
            ));
        }
        let mut entries = Vec::with_capacity(photos.len());
        for (label, path) in photos {
            let descriptor =
                embed(&path).map_err(|e| format!("gallery photo '{}': {e}", path.display()))?;
            entries.push(Entry {
                label,
                descriptor,
                source: path.display().to_string(),
            });
        }
        Ok(Self {
            entries,
            sqlite: None,
        })
    }
}

fn is_photo(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// (label, photo) pairs of a gallery folder, sorted by path.
pub fn labelled_photos(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let read = |d: &Path| {
        std::fs::read_dir(d)
            .map_err(|e| format!("cannot read gallery folder '{}': {e}", d.display()))
            .map(|it| {
                let mut v: Vec<PathBuf> = it.filter_map(|e| e.ok().map(|e| e.path())).collect();
                v.sort();
                v
            })
    };
    let mut out = Vec::new();
    for path in read(dir)? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.is_dir() {
            for photo in read(&path)?.into_iter().filter(|p| is_photo(p)) {
                out.push((name.to_string(), photo));
            }
        } else if is_photo(&path) {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or(name);
            out.push((stem.to_string(), path));
        }
    }
    Ok(out)
}

pub fn descriptor_to_blob(d: &Descriptor) -> Vec<u8> {
    d.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn blob_to_descriptor(blob: &[u8]) -> Option<Descriptor> {
    if blob.len() != 4 * DESCRIPTOR_LEN {
        return None;
    }
    let mut d = [0.0f32; DESCRIPTOR_LEN];
    for (v, b) in d.iter_mut().zip(blob.chunks_exact(4)) {
        *v = f32::from_le_bytes(b.try_into().ok()?);
    }
    d.iter().all(|v| v.is_finite()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(v: f32) -> Descriptor {
        let mut d = [0.0; DESCRIPTOR_LEN];
        d[0] = v;
        d
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("facekit-gallery-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn best_match_is_the_nearest_and_threshold_decides() {
        let mut g = Gallery::default();
        assert_eq!(g.best_match(&desc(0.0), 0.6).label, None);
        g.enrol(Entry {
            label: "a".into(),
            descriptor: desc(0.0),
            source: String::new(),
        })
        .unwrap();
        g.enrol(Entry {
            label: "b".into(),
            descriptor: desc(1.0),
            source: String::new(),
        })
        .unwrap();
        let m = g.best_match(&desc(0.8), 0.6);
        assert_eq!(m.label.as_deref(), Some("b"));
        assert!((m.distance - 0.2).abs() < 1e-6 && m.verified);
        let m = g.best_match(&desc(-0.7), 0.6);
        assert_eq!(m.label.as_deref(), Some("a"));
        assert!(!m.verified, "0.7 is not under 0.6");
        assert!(
            g.enrol(Entry {
                label: " ".into(),
                descriptor: desc(0.0),
                source: String::new()
            })
            .is_err()
        );
    }

    #[test]
    fn sqlite_round_trip_keeps_enrolments() {
        let dir = temp_dir("sqlite");
        let path = dir.join("gallery.sqlite");
        let mut g = Gallery::open_sqlite(&path).unwrap();
        assert!(g.entries.is_empty());
        g.enrol(Entry {
            label: "ann".into(),
            descriptor: desc(0.25),
            source: "track 3".into(),
        })
        .unwrap();
        drop(g);
        let g = Gallery::open_sqlite(&path).unwrap();
        assert_eq!(g.labels(), vec!["ann".to_string()]);
        assert_eq!(g.entries[0].descriptor, desc(0.25));
    }

    #[test]
    fn malformed_sqlite_rows_and_files_are_named() {
        let dir = temp_dir("bad");
        let path = dir.join("gallery.sqlite");
        {
            let g = Gallery::open_sqlite(&path).unwrap();
            g.sqlite
                .as_ref()
                .unwrap()
                .execute(
                    "INSERT INTO faces (label, descriptor) VALUES ('bob', x'0102')",
                    [],
                )
                .unwrap();
        }
        let err = Gallery::open_sqlite(&path).unwrap_err();
        assert!(err.contains("'bob'") && err.contains("2-byte"), "{err}");
        let not_db = dir.join("notes.sqlite");
        std::fs::write(
            &not_db,
            b"this is not a database, just some text that is long enough",
        )
        .unwrap();
        let err = Gallery::open_sqlite(&not_db).unwrap_err();
        assert!(err.contains("notes.sqlite"), "{err}");
    }

    #[test]
    fn folder_labels_come_from_file_and_folder_names() {
        let dir = temp_dir("folder");
        std::fs::write(dir.join("ann.jpg"), b"x").unwrap();
        std::fs::create_dir_all(dir.join("bob")).unwrap();
        std::fs::write(dir.join("bob/1.png"), b"x").unwrap();
        std::fs::write(dir.join("bob/2.JPG"), b"x").unwrap();
        std::fs::write(dir.join("readme.txt"), b"x").unwrap();
        let photos = labelled_photos(&dir).unwrap();
        let labels: Vec<&str> = photos.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["ann", "bob", "bob"]);
        let g = Gallery::load_folder(&dir, |_| Ok(desc(1.0))).unwrap();
        assert_eq!(g.labels(), ["ann", "bob"]);
        let err =
            Gallery::load_folder(&dir, |p| Err(format!("no face in {}", p.display()))).unwrap_err();
        assert!(err.contains("ann.jpg"), "{err}");
        let empty = temp_dir("empty");
        assert!(
            Gallery::load_folder(&empty, |_| Ok(desc(0.0)))
                .unwrap_err()
                .contains("no photos")
        );
    }
}
