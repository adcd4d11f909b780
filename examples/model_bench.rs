//! Milliseconds per inference of each model, through the plugin's own inference code.
//! Run through `bench/models.sh`, which runs it once per thread budget and explains the figures.
//!
//!   cargo run --release --example model_bench -- RUNS LABEL=FILE:HEIGHTxWIDTH ...
//!
//! FILE is relative to the model folder (`$FACEKIT_MODEL_DIR` or the set-up's). The thread
//! budget is the plugin's: `$FACEKIT_THREADS`, else one per core. Prints one line per model:
//! label, input size, threads, median and 10th/90th percentile of RUNS timed runs (after 10
//! untimed ones), and the process CPU time per run (user + system, all threads).

use std::time::Instant;

use gstfacekit::{OnnxModel, SessionOptions, THREADS_ENV, environment, model_dir, runtime_library};

fn cpu_seconds() -> f64 {
    // /proc/self/stat fields 14 and 15: utime and stime in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, s)| s);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .ok_or("usage: RUNS LABEL=FILE:HxW ...")?
        .parse()?;
    let runs = runs.max(1);
    let library = runtime_library(None);
    let env = environment(&library, 0)?;
    let threads = std::env::var(THREADS_ENV).ok().unwrap_or_else(|| {
        format!(
            "{} (cores)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )
    });
    for spec in args {
        let (label, rest) = spec.split_once('=').ok_or("spec is LABEL=FILE:HxW")?;
        let (file, size) = rest.rsplit_once(':').ok_or("spec is LABEL=FILE:HxW")?;
        let (h, w) = size.split_once('x').ok_or("size is HEIGHTxWIDTH")?;
        let (h, w): (usize, usize) = (h.parse()?, w.parse()?);
        let path = model_dir().join(file);
        let model = OnnxModel::load(&env, &path, &SessionOptions::default())?;
        // Deterministic, image-like input in 0..1 (the content does not change the cost).
        let input: Vec<f32> = (0..3 * h * w)
            .map(|i| ((i * 2_654_435_761usize) >> 7 & 255) as f32 / 255.0)
            .collect();
        let shape = [1, 3, h, w];
        for _ in 0..10 {
            model.run(&shape, &input)?;
        }
        let mut times = Vec::with_capacity(runs);
        let cpu0 = cpu_seconds();
        let wall0 = Instant::now();
        for _ in 0..runs {
            let t = Instant::now();
            model.run(&shape, &input)?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let wall = wall0.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        times.sort_by(f64::total_cmp);
        let pct = |p: usize| times[(times.len() - 1) * p / 100];
        println!(
            "{label:<28} {:>9} {threads:>10} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>6.0}%",
            format!("{w}x{h}"),
            pct(50),
            pct(10),
            pct(90),
            cpu * 1e3 / runs as f64,
            100.0 * cpu / wall
        );
    }
    Ok(())
}
