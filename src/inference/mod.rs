//! ONNX Runtime access shared by every element of the process.
//!
//! * The runtime library is loaded at run time (`ort` `load-dynamic`): the plugin never links
//!   it, so `gst-inspect-1.0` works without it. It is looked up in [`runtime_library`] order.
//! * One ORT environment per process, created on first use (not in `plugin_init`), with one
//!   global intra-op thread pool: every session shares the same thread budget.
//! * Sessions are cached per (model file, options): element instances share a loaded model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use ort::environment::{Environment, GlobalThreadPoolOptions};
use ort::session::Session;
use ort::value::TensorRef;

/// Environment variable naming the ONNX Runtime shared library (ort's own convention).
pub const RUNTIME_ENV: &str = "ORT_DYLIB_PATH";
/// Environment variable naming the folder models are read from.
pub const MODEL_DIR_ENV: &str = "FACEKIT_MODEL_DIR";
/// Environment variable setting the shared inference thread budget.
pub const THREADS_ENV: &str = "FACEKIT_THREADS";
/// The command that fetches the runtime and models, quoted in errors.
pub const SETUP_HINT: &str = "run `scripts/setup.sh` from the facekit source tree";

/// Where `scripts/setup.sh` installs things: the source tree the plugin was built from.
const INSTALL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models");

/// Error from loading the runtime, a model, or running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InferenceError {
    RuntimeMissing { path: PathBuf, detail: String },
    ModelMissing { path: PathBuf },
    ModelInvalid { path: PathBuf, detail: String },
    Run { model: PathBuf, detail: String },
}

impl std::fmt::Display for InferenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RuntimeMissing { path, detail } => write!(
                f,
                "cannot load the ONNX Runtime library '{}' ({detail}); {SETUP_HINT}, or point {RUNTIME_ENV} or the 'ort-library' property at libonnxruntime.so (1.31)",
                path.display()
            ),
            Self::ModelMissing { path } => write!(
                f,
                "model file '{}' not found; {SETUP_HINT}, or set {MODEL_DIR_ENV} to the folder holding the models",
                path.display()
            ),
            Self::ModelInvalid { path, detail } => write!(
                f,
                "model file '{}' cannot be loaded ({detail}); it may be corrupt: delete it and {SETUP_HINT}",
                path.display()
            ),
            Self::Run { model, detail } => {
                write!(f, "inference with '{}' failed: {detail}", model.display())
            }
        }
    }
}

impl std::error::Error for InferenceError {}

/// The runtime library: `$ORT_DYLIB_PATH`, then the element property, then the set-up's
/// install location.
pub fn runtime_library(property: Option<&Path>) -> PathBuf {
    if let Some(p) = std::env::var_os(RUNTIME_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = property {
        return p.to_path_buf();
    }
    Path::new(INSTALL_DIR).join("runtime/libonnxruntime.so")
}

/// The folder models are read from: `$FACEKIT_MODEL_DIR`, else the set-up's install location.
pub fn model_dir() -> PathBuf {
    std::env::var_os(MODEL_DIR_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(INSTALL_DIR))
}

/// Threads of the shared pool: `$FACEKIT_THREADS`, else `requested`, else the core count.
fn thread_budget(requested: usize) -> usize {
    std::env::var(THREADS_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or((requested > 0).then_some(requested))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

static ENVIRONMENT: Mutex<Option<Environment>> = Mutex::new(None);

/// The process's ORT environment, created on first call. `threads` (0 = all cores) only
/// matters for the first successful call: the pool is shared by every later session.
pub fn environment(library: &Path, threads: usize) -> Result<Environment, InferenceError> {
    let mut guard = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(env) = guard.as_ref() {
        return Ok(env.clone());
    }
    let missing = |detail: String| InferenceError::RuntimeMissing {
        path: library.to_path_buf(),
        detail,
    };
    if !library.exists() {
        return Err(missing("no such file".into()));
    }
    let builder = ort::init_from(library).map_err(|e| missing(e.to_string()))?;
    let pool = GlobalThreadPoolOptions::default()
        .with_intra_threads(thread_budget(threads))
        .and_then(|p| p.with_inter_threads(1))
        // Spinning burns the second core that the video pipeline needs.
        .and_then(|p| p.with_spin_control(false))
        .map_err(|e| missing(e.to_string()))?;
    let env = builder
        .with_name("facekit")
        .with_telemetry(false)
        .with_global_thread_pool(pool)
        .build()
        .map_err(|e| missing(e.to_string()))?;
    *guard = Some(env.clone());
    Ok(env)
}

/// Options a session is built with; part of the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SessionOptions {
    /// Fixed input dimensions (name, value) for models with symbolic dims.
    pub dimension_overrides: Vec<(String, i64)>,
}

type SessionKey = (PathBuf, SessionOptions);

static SESSIONS: Mutex<Option<HashMap<SessionKey, Weak<Mutex<Session>>>>> = Mutex::new(None);
static SESSION_LOADS: Mutex<Option<HashMap<PathBuf, usize>>> = Mutex::new(None);

/// How many times this process has loaded `model` into a new session (to check sharing).
pub fn session_loads(model: &Path) -> usize {
    let loads = SESSION_LOADS.lock().unwrap_or_else(|e| e.into_inner());
    loads
        .as_ref()
        .and_then(|m| m.get(model).copied())
        .unwrap_or(0)
}

/// One output tensor, copied out of the runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub shape: Vec<i64>,
    pub data: Vec<f32>,
}

/// A loaded model, shareable between threads and element instances.
#[derive(Clone)]
pub struct OnnxModel {
    path: PathBuf,
    session: Arc<Mutex<Session>>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("path", &self.path)
            .finish()
    }
}

impl OnnxModel {
    /// Loads `path` (or returns the cached session for it) in `env`.
    pub fn load(
        env: &Environment,
        path: &Path,
        options: &SessionOptions,
    ) -> Result<Self, InferenceError> {
        if !path.is_file() {
            return Err(InferenceError::ModelMissing {
                path: path.to_path_buf(),
            });
        }
        let key = (path.to_path_buf(), options.clone());
        let mut cache = SESSIONS.lock().unwrap_or_else(|e| e.into_inner());
        let cache = cache.get_or_insert_with(HashMap::new);
        if let Some(session) = cache.get(&key).and_then(Weak::upgrade) {
            return Ok(Self {
                path: path.to_path_buf(),
                session,
            });
        }
        let invalid = |detail: String| InferenceError::ModelInvalid {
            path: path.to_path_buf(),
            detail,
        };
        let mut builder = Session::builder(env).map_err(|e| invalid(e.to_string()))?;
        for (name, value) in &options.dimension_overrides {
            builder = builder
                .with_dimension_override(name, *value)
                .map_err(|e| invalid(e.to_string()))?;
        }
        let session = builder
            .commit_from_file(path)
            .map_err(|e| invalid(e.to_string()))?;
        let session = Arc::new(Mutex::new(session));
        cache.insert(key, Arc::downgrade(&session));
        let mut loads = SESSION_LOADS.lock().unwrap_or_else(|e| e.into_inner());
        *loads
            .get_or_insert_with(HashMap::new)
            .entry(path.to_path_buf())
            .or_default() += 1;
        Ok(Self {
            path: path.to_path_buf(),
            session,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Input and output names, for error messages and checks.
    pub fn io_names(&self) -> (Vec<String>, Vec<String>) {
        let session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        (
            session
                .inputs()
                .iter()
                .map(|i| i.name().to_string())
                .collect(),
            session
                .outputs()
                .iter()
                .map(|o| o.name().to_string())
                .collect(),
        )
    }

    /// Runs the model on one f32 input; returns every output in the model's order.
    pub fn run(&self, shape: &[usize], data: &[f32]) -> Result<Vec<Output>, InferenceError> {
        let fail = |detail: String| InferenceError::Run {
            model: self.path.clone(),
            detail,
        };
        let input =
            TensorRef::from_array_view((shape.to_vec(), data)).map_err(|e| fail(e.to_string()))?;
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session
            .run(ort::inputs![input])
            .map_err(|e| fail(e.to_string()))?;
        outputs
            .values()
            .map(|v| {
                let (shape, data) = v
                    .try_extract_tensor::<f32>()
                    .map_err(|e| fail(e.to_string()))?;
                Ok(Output {
                    shape: shape.iter().copied().collect(),
                    data: data.to_vec(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_runtime_names_path_and_fix() {
        let err = InferenceError::RuntimeMissing {
            path: "/nowhere/libonnxruntime.so".into(),
            detail: "no such file".into(),
        };
        let text = err.to_string();
        assert!(text.contains("/nowhere/libonnxruntime.so"));
        assert!(text.contains("scripts/setup.sh"));
    }

    #[test]
    fn property_is_used_when_env_is_unset() {
        if std::env::var_os(RUNTIME_ENV).is_none() {
            assert_eq!(
                runtime_library(Some(Path::new("/x/lib.so"))),
                PathBuf::from("/x/lib.so")
            );
            assert!(runtime_library(None).ends_with("models/runtime/libonnxruntime.so"));
        }
    }

    #[test]
    fn thread_budget_prefers_request_then_cores() {
        if std::env::var_os(THREADS_ENV).is_none() {
            assert_eq!(thread_budget(3), 3);
            assert!(thread_budget(0) >= 1);
        }
    }
}
