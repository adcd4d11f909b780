//! The camera config service: camera models and their target crop sizes in a SQLite table,
//! seeded from a camera table file, answered as `GET /camera-config?model=...`.

use std::path::Path;

use gstfacekit::{CameraEntry, CameraTable};
use serde_json::json;

pub struct CameraStore {
    db: rusqlite::Connection,
}

impl CameraStore {
    /// Opens (creating) the table in `db` (":memory:" for none) and upserts every record of
    /// the `seed` file (the camera table format facecrop reads: numbers or strings of digits).
    pub fn open(db: &str, seed: Option<&Path>) -> Result<Self, String> {
        let db =
            rusqlite::Connection::open(db).map_err(|e| format!("camera database '{db}': {e}"))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS cameras (
                 type TEXT PRIMARY KEY,
                 width INTEGER NOT NULL,
                 height INTEGER NOT NULL)",
        )
        .map_err(|e| format!("camera database: {e}"))?;
        let store = Self { db };
        if let Some(seed) = seed {
            let text = std::fs::read_to_string(seed)
                .map_err(|e| format!("cannot read camera seed file '{}': {e}", seed.display()))?;
            let table = CameraTable::parse(&text, &seed.display().to_string())
                .map_err(|e| e.to_string())?;
            for entry in &table.entries {
                store.upsert(entry)?;
            }
        }
        Ok(store)
    }

    fn upsert(&self, e: &CameraEntry) -> Result<(), String> {
        let Some(model) = &e.model else {
            return Err(format!(
                "seed record {}x{} has no \"type\": the service answers per camera model",
                e.width, e.height
            ));
        };
        self.db
            .execute(
                "INSERT INTO cameras (type, width, height) VALUES (?1, ?2, ?3)
                 ON CONFLICT(type) DO UPDATE SET width = ?2, height = ?3",
                rusqlite::params![model, e.width, e.height],
            )
            .map_err(|e| format!("camera database: {e}"))?;
        Ok(())
    }

    pub fn models(&self) -> Result<Vec<serde_json::Value>, String> {
        let mut stmt = self
            .db
            .prepare("SELECT type, width, height FROM cameras ORDER BY type")
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(json!({"type": r.get::<_, String>(0)?, "width": r.get::<_, u32>(1)?, "height": r.get::<_, u32>(2)?}))
            })
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
    }

    /// The answer to `GET /camera-config[?model=M]`: status and JSON body.
    pub fn answer(&self, model: Option<&str>) -> (u16, serde_json::Value) {
        let all = match self.models() {
            Ok(all) => all,
            Err(e) => return (500, json!({"error": e})),
        };
        match model {
            None => (200, json!({"cameras": all})),
            Some(m) => match all.iter().find(|r| r["type"] == m) {
                Some(record) => (200, record.clone()),
                None => (
                    404,
                    json!({"error": format!("camera model '{m}' is not configured"), "known": all.iter().map(|r| r["type"].clone()).collect::<Vec<_>>()}),
                ),
            },
        }
    }
}
