//! Component weights: fixed (normalised) or automatic (damped by each component's spread
//! over the stream).

use super::score::Components;

/// Default component weights: symmetry, sharpness, illumination, resolution.
pub const DEFAULT_WEIGHTS: [f64; 4] = [0.2, 0.3, 0.2, 0.3];
/// Component names in weight order.
pub const COMPONENTS: [&str; 4] = ["symmetry", "sharpness", "illumination", "resolution"];

/// Component weights, non-negative and summing to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights(pub [f64; 4]);

impl Default for Weights {
    fn default() -> Self {
        Self(DEFAULT_WEIGHTS)
    }
}

impl Weights {
    /// Four finite, non-negative weights with a positive sum, divided by their sum.
    /// Anything else is rejected with a message saying what to give instead.
    pub fn normalised(raw: &[f64]) -> Result<Self, String> {
        const HINT: &str = "give four non-negative numbers for symmetry, sharpness, \
                            illumination, resolution, e.g. <0.2, 0.3, 0.2, 0.3>";
        if raw.len() != 4 {
            return Err(format!("weights: {} values given; {HINT}", raw.len()));
        }
        if let Some((i, w)) = raw
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(format!(
                "weights: {} = {w} is not allowed; {HINT}",
                COMPONENTS[i]
            ));
        }
        let sum: f64 = raw.iter().sum();
        if sum <= 0.0 {
            return Err(format!("weights: all zero; {HINT}"));
        }
        Ok(Self([
            raw[0] / sum,
            raw[1] / sum,
            raw[2] / sum,
            raw[3] / sum,
        ]))
    }

    pub fn combine(&self, c: &Components) -> f64 {
        self.0
            .iter()
            .zip(c.as_array())
            .map(|(w, v)| w * v)
            .sum::<f64>()
            .clamp(0.0, 1.0)
    }
}

/// Faces seen before automatic weights apply.
pub const AUTO_WARMUP: u64 = 10;
/// Smoothing of the running statistics: about the last 100 faces.
const AUTO_HORIZON: f64 = 100.0;
/// Spreads below this are treated as this: differences under ~0.02 are noise, and a
/// component that never changes must not get an unbounded weight.
const AUTO_SPREAD_FLOOR: f64 = 0.02;

/// Automatic weights: each base weight divided by its component's running standard
/// deviation over the stream, then renormalised. A component's pull on the ranking is its
/// weight times its spread; dividing by the spread makes the configured weights the
/// components' shares of that pull, so a component that swings widely in this stream (say
/// resolution when people walk towards the camera) cannot drown the others by scale alone.
#[derive(Debug, Clone, Default)]
pub struct AutoWeights {
    count: u64,
    mean: [f64; 4],
    var: [f64; 4],
}

impl AutoWeights {
    /// Adds one valid face's components to the running statistics.
    pub fn observe(&mut self, c: &Components) {
        self.count += 1;
        let alpha = (1.0 / self.count as f64).max(1.0 / AUTO_HORIZON);
        for (k, x) in c.as_array().into_iter().enumerate() {
            let d = x - self.mean[k];
            self.mean[k] += alpha * d;
            self.var[k] = (1.0 - alpha) * (self.var[k] + alpha * d * d);
        }
    }

    /// Running standard deviation of each component.
    pub fn spreads(&self) -> [f64; 4] {
        self.var.map(f64::sqrt)
    }

    /// The weights in effect: `base` until [`AUTO_WARMUP`] faces were seen.
    pub fn effective(&self, base: &Weights) -> Weights {
        if self.count < AUTO_WARMUP {
            return *base;
        }
        let spreads = self.spreads();
        let raw: Vec<f64> = base
            .0
            .iter()
            .zip(spreads)
            .map(|(w, s)| w / s.max(AUTO_SPREAD_FLOOR))
            .collect();
        Weights::normalised(&raw).unwrap_or(*base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_normalised_or_rejected() {
        assert_eq!(
            Weights::normalised(&[1.0, 1.0, 1.0, 1.0]).unwrap().0,
            [0.25; 4]
        );
        let w = Weights::normalised(&[2.0, 3.0, 2.0, 3.0]).unwrap();
        assert!((w.0[1] - 0.3).abs() < 1e-12);
        assert!(
            Weights::normalised(&[-0.1, 0.5, 0.3, 0.3])
                .unwrap_err()
                .contains("symmetry")
        );
        assert!(Weights::normalised(&[0.0; 4]).is_err());
        assert!(Weights::normalised(&[0.5, 0.5]).is_err());
        assert!(Weights::normalised(&[f64::NAN, 0.5, 0.3, 0.3]).is_err());
        let c = Components {
            symmetry: 1.0,
            sharpness: 0.5,
            illumination: 0.0,
            resolution: 1.0,
        };
        assert!((Weights::default().combine(&c) - (0.2 + 0.15 + 0.3)).abs() < 1e-12);
    }

    #[test]
    fn auto_weights_damp_the_component_with_the_widest_spread() {
        let base = Weights([0.25; 4]);
        let mut auto = AutoWeights::default();
        for i in 0..5 {
            auto.observe(&Components {
                symmetry: 0.5,
                sharpness: 0.5,
                illumination: 0.5,
                resolution: i as f64 / 5.0,
            });
        }
        assert_eq!(
            auto.effective(&base),
            base,
            "warm-up keeps the base weights"
        );
        for i in 0..200 {
            let t = (i % 10) as f64 / 10.0;
            auto.observe(&Components {
                symmetry: 0.6 + 0.05 * t,
                sharpness: 0.3 + 0.2 * t,
                illumination: 0.7,
                resolution: t,
            });
        }
        let w = auto.effective(&base);
        assert!((w.0.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // Resolution varies most, so it gets the least weight; constant illumination is
        // held at the floor and not blown up.
        assert!(w.0[3] < w.0[1] && w.0[1] < w.0[0], "{w:?}");
        assert!(w.0[2] <= w.0[0] + 1e-9, "{w:?}");
    }
}
