//! Plane geometry of regions: convex polygons in frame pixels, hulls, growth, turned boxes.

/// A convex polygon in frame pixels.
pub type Polygon = Vec<[f32; 2]>;

/// Convex hull (monotone chain), counter-clockwise in a y-up sense; fewer than 3 distinct
/// points give what there is.
pub fn convex_hull(points: &[[f32; 2]]) -> Polygon {
    let mut pts: Vec<[f32; 2]> = points
        .iter()
        .copied()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: [f32; 2], a: [f32; 2], b: [f32; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<[f32; 2]> = Vec::with_capacity(pts.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f32; 2]>> = if pass == 0 {
            Box::new(pts.iter())
        } else {
            Box::new(pts.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

pub fn centroid(poly: &[[f32; 2]]) -> [f32; 2] {
    let n = poly.len().max(1) as f32;
    let (sx, sy) = poly
        .iter()
        .fold((0.0, 0.0), |(sx, sy), p| (sx + p[0], sy + p[1]));
    [sx / n, sy / n]
}

/// Grows a convex polygon by `margin` pixels: each vertex moves away from the centroid.
pub fn grow(poly: &[[f32; 2]], margin: f32) -> Polygon {
    if margin == 0.0 {
        return poly.to_vec();
    }
    let c = centroid(poly);
    poly.iter()
        .map(|p| {
            let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
            let len = (dx * dx + dy * dy).sqrt();
            if len < 1e-3 {
                *p
            } else {
                let k = ((len + margin) / len).max(0.0);
                [c[0] + dx * k, c[1] + dy * k]
            }
        })
        .collect()
}

/// An ellipse as a 24-gon, `u` the unit direction of its first axis.
pub(super) fn ellipse(c: [f32; 2], u: [f32; 2], a: f32, b: f32) -> Polygon {
    crate::frame::polygon::ellipse(c, u, a, b, 24)
}

/// True when a box (`[x, y, width, height]`, pixels) reaches within a pixel of an edge.
pub fn touches_border(bbox: [f32; 4], width: usize, height: usize) -> bool {
    let [x, y, w, h] = bbox;
    x <= 1.0 || y <= 1.0 || x + w >= width as f32 - 1.0 || y + h >= height as f32 - 1.0
}

/// The centre and size of the smallest box turned by `roll` (radians) around `pts`.
pub fn oriented_box(pts: &[[f32; 2]], roll: f32) -> Option<([f32; 2], [f32; 2])> {
    if pts.is_empty() {
        return None;
    }
    let (s, c) = roll.sin_cos();
    // Coordinates in the face frame: along the eye line and down the face.
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in pts {
        let a = p[0] * c + p[1] * s;
        let b = -p[0] * s + p[1] * c;
        lo = [lo[0].min(a), lo[1].min(b)];
        hi = [hi[0].max(a), hi[1].max(b)];
    }
    let (ca, cb) = ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0);
    let centre = [ca * c - cb * s, ca * s + cb * c];
    Some((centre, [hi[0] - lo[0], hi[1] - lo[1]]))
}

/// The part of the convex polygon `poly` where `dot(p, dir) >= from` (a half-plane cut).
pub fn clip_beyond(poly: &[[f32; 2]], dir: [f32; 2], from: f32) -> Polygon {
    let side = |p: [f32; 2]| p[0] * dir[0] + p[1] * dir[1] - from;
    let mut out = Vec::with_capacity(poly.len() + 1);
    for (i, &a) in poly.iter().enumerate() {
        let b = poly[(i + 1) % poly.len()];
        let (sa, sb) = (side(a), side(b));
        if sa >= 0.0 {
            out.push(a);
        }
        if (sa >= 0.0) != (sb >= 0.0) {
            let t = sa / (sa - sb);
            out.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
        }
    }
    out
}
