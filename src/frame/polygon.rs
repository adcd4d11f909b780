//! Polygon scan conversion, the one used by every mask: the pixels whose centre lies inside
//! a polygon, as horizontal spans, clipped to a rectangle.

use std::ops::Range;

/// How a row's edge crossings become spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillRule {
    /// Between each pair of crossings (any simple or self-touching polygon).
    EvenOdd,
    /// Between the first and the last crossing: the row of a convex polygon, and at least
    /// that (never less) for a slightly concave one.
    Convex,
}

/// The frame rows whose pixel centres lie within the polygon's height, clipped to `rows`.
pub fn polygon_rows(poly: &[[f32; 2]], rows: Range<usize>) -> Range<usize> {
    if poly.len() < 3 || !finite(poly) {
        return rows.start..rows.start;
    }
    let (ymin, ymax) = poly
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let y0 = ((ymin - 0.5).ceil().max(rows.start as f32) as usize).min(rows.end);
    let y1 = (((ymax - 0.5).floor() + 1.0).max(0.0) as usize).clamp(y0, rows.end);
    y0..y1
}

/// Calls `span(y, x0, x1)` for every run `x0..x1` of pixels of row `y` whose centres lie
/// inside `poly` (a centre on an edge is inside), rows and columns clipped to `rows` and
/// `cols`. A polygon with fewer than three or with non-finite vertices covers nothing.
pub fn scan_polygon(
    poly: &[[f32; 2]],
    cols: Range<usize>,
    rows: Range<usize>,
    rule: FillRule,
    mut span: impl FnMut(usize, usize, usize),
) {
    let mut xs: Vec<f32> = Vec::with_capacity(8);
    for y in polygon_rows(poly, rows) {
        let yc = y as f32 + 0.5;
        xs.clear();
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            // Half-open in y so that a vertex on the row counts once.
            if (a[1] <= yc && yc < b[1]) || (b[1] <= yc && yc < a[1]) {
                xs.push(a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
            }
        }
        let mut emit = |xl: f32, xr: f32| {
            let c0 = (xl - 0.5).ceil().max(cols.start as f32) as usize;
            let c1 = (((xr - 0.5).floor() + 1.0).max(0.0) as usize).min(cols.end);
            if c0 < c1 {
                span(y, c0, c1);
            }
        };
        match rule {
            FillRule::Convex => {
                let (xl, xr) = xs
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
                if xl <= xr {
                    emit(xl, xr);
                }
            }
            FillRule::EvenOdd => {
                xs.sort_by(f32::total_cmp);
                for pair in xs.chunks_exact(2) {
                    emit(pair[0], pair[1]);
                }
            }
        }
    }
}

/// An ellipse as a `sides`-gon around `c`: semi-axis `a` along the unit direction `u`, `b`
/// across it, the first vertex at `c + a u`, turning towards `[-u[1], u[0]]`.
pub fn ellipse(c: [f32; 2], u: [f32; 2], a: f32, b: f32, sides: usize) -> Vec<[f32; 2]> {
    let v = [-u[1], u[0]];
    (0..sides)
        .map(|i| {
            let t = i as f32 * std::f32::consts::TAU / sides as f32;
            let (s, co) = t.sin_cos();
            [
                c[0] + u[0] * a * co + v[0] * b * s,
                c[1] + u[1] * a * co + v[1] * b * s,
            ]
        })
        .collect()
}

fn finite(poly: &[[f32; 2]]) -> bool {
    poly.iter().all(|p| p[0].is_finite() && p[1].is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipse_vertices_lie_on_the_turned_ellipse() {
        let u = [0.6f32, 0.8];
        let poly = ellipse([10.0, 20.0], u, 5.0, 2.0, 24);
        assert_eq!(poly.len(), 24);
        assert!((poly[0][0] - 13.0).abs() < 1e-5 && (poly[0][1] - 24.0).abs() < 1e-5);
        for p in &poly {
            let (dx, dy) = (p[0] - 10.0, p[1] - 20.0);
            let (along, across) = (dx * u[0] + dy * u[1], -dx * u[1] + dy * u[0]);
            let r = (along / 5.0).powi(2) + (across / 2.0).powi(2);
            assert!((r - 1.0).abs() < 1e-4, "{p:?}");
        }
    }

    fn pixels(poly: &[[f32; 2]], rule: FillRule) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        scan_polygon(poly, 0..20, 0..20, rule, |y, a, b| {
            out.extend((a..b).map(|x| (x, y)))
        });
        out
    }

    #[test]
    fn pixel_centres_inside_edges_included_clipped_to_the_rectangle() {
        // A square from 2 to 6: centres 2.5 .. 5.5, and 6.5 lies outside.
        let sq = [[2.0, 2.0], [6.0, 2.0], [6.0, 6.0], [2.0, 6.0]];
        let px = pixels(&sq, FillRule::Convex);
        assert_eq!(px.len(), 16);
        assert_eq!(px, pixels(&sq, FillRule::EvenOdd));
        // An edge through pixel centres keeps them.
        let half = [[2.5, 2.5], [5.5, 2.5], [5.5, 5.5], [2.5, 5.5]];
        assert_eq!(
            pixels(&half, FillRule::Convex).len(),
            12,
            "top row in, bottom row out (half-open in y)"
        );
        // Clipped, and nothing for degenerate or non-finite polygons.
        let big = [[-50.0, -50.0], [90.0, -50.0], [90.0, 90.0], [-50.0, 90.0]];
        assert_eq!(pixels(&big, FillRule::Convex).len(), 400);
        assert!(pixels(&[[0.0, 0.0], [5.0, 5.0]], FillRule::Convex).is_empty());
        assert!(
            pixels(
                &[[0.0, 0.0], [f32::NAN, 5.0], [5.0, 0.0]],
                FillRule::EvenOdd
            )
            .is_empty()
        );
        assert_eq!(polygon_rows(&sq, 0..20), 2..6);
        assert_eq!(polygon_rows(&big, 3..7), 3..7);
    }

    #[test]
    fn even_odd_leaves_a_notch_that_convex_fills() {
        // A "U": the notch between the arms is outside for even-odd, inside for convex.
        let u = [
            [1.0, 1.0],
            [3.0, 1.0],
            [3.0, 8.0],
            [7.0, 8.0],
            [7.0, 1.0],
            [9.0, 1.0],
            [9.0, 10.0],
            [1.0, 10.0],
        ];
        let (eo, cx) = (pixels(&u, FillRule::EvenOdd), pixels(&u, FillRule::Convex));
        assert!(!eo.contains(&(5, 4)) && cx.contains(&(5, 4)));
        assert!(eo.contains(&(5, 9)) && eo.contains(&(2, 4)));
    }
}
