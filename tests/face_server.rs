//! examples/face-server: the camera config service facecrop asks (`config-location=http://...`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct FaceServer {
    child: Child,
    pub url: String,
}

impl FaceServer {
    pub fn start(args: &[&str]) -> Result<Self, String> {
        let mut child = Command::new(common::example_binary("face-server"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start face-server");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        match lines.next() {
            Some(Ok(line)) if line.starts_with("LISTENING ") => {
                std::thread::spawn(move || lines.for_each(drop));
                Ok(Self {
                    url: line["LISTENING ".len()..].to_string(),
                    child,
                })
            }
            _ => {
                let out = child.wait_with_output().unwrap();
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        }
    }
}

impl Drop for FaceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("facekit-server-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

fn astronaut_crop_size(props: &str) -> Result<(i32, i32), String> {
    let description = format!(
        "{} ! videoconvert ! facedetect landmarks=false ! facecrop {props} ! fakesink name=sink",
        common::astronaut_source()
    );
    if let Some(e) = common::first_error(&description.replace("fakesink name=sink", "fakesink")) {
        return Err(e);
    }
    let samples = common::pull_all(&description.replace("fakesink name=sink", "appsink name=sink"));
    let s = samples[0].caps().unwrap().structure(0).unwrap().to_owned();
    Ok((
        s.get::<i32>("width").unwrap(),
        s.get::<i32>("height").unwrap(),
    ))
}

#[test]
fn facecrop_gets_its_size_from_the_camera_config_service() {
    // Records as a calibration tool writes them (numbers as strings) and as numbers.
    let seed = temp_file(
        "seed.json",
        r#"[{"type":"A100","width":"60","height":"60"},{"type":"B200","width":96,"height":128}]"#,
    );
    let db = std::env::temp_dir().join(format!(
        "facekit-server-{}-cameras.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&db);
    let server = FaceServer::start(&[
        "--cameras",
        seed.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ])
    .unwrap();
    let location = format!("{}/camera-config", server.url);
    assert_eq!(
        astronaut_crop_size(&format!("config-location={location} camera-model=A100")),
        Ok((60, 60))
    );
    assert_eq!(
        astronaut_crop_size(&format!("config-location={location} camera-model=B200")),
        Ok((96, 128))
    );
    let e =
        astronaut_crop_size(&format!("config-location={location} camera-model=Z9")).unwrap_err();
    assert!(e.contains("answered HTTP 404"), "{e}");
    drop(server);

    // The table lives in SQLite: a server started on the same file without a seed answers.
    let server = FaceServer::start(&["--db", db.to_str().unwrap()]).unwrap();
    let location = format!("{}/camera-config", server.url);
    assert_eq!(
        astronaut_crop_size(&format!("config-location={location} camera-model=A100")),
        Ok((60, 60))
    );
    drop(server);

    // A malformed seed record stops the server with an error naming the file and the field.
    let bad = temp_file(
        "bad.json",
        r#"[{"type":"A100","width":"sixty","height":"60"}]"#,
    );
    let e = FaceServer::start(&["--cameras", bad.to_str().unwrap()])
        .err()
        .expect("refused");
    assert!(
        e.contains("bad.json") && e.contains("'sixty' is not a whole number"),
        "{e}"
    );
}
