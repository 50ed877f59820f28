//! Where the city names go on the network map: beside each dot, clear of the other dots,
//! the other names and the edges of the map where the country allows.

use super::{MapCity, DOT_RADIUS, LABEL_GAP, LABEL_SIZE, WIDTH};

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Where a label's baseline starts (`x` is interpreted through `anchor`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Label {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) anchor: Anchor,
}

#[derive(Clone, Copy, Debug)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Rect {
    fn overlap(&self, other: &Rect) -> f64 {
        let w = self.right.min(other.right) - self.left.max(other.left);
        let h = self.bottom.min(other.bottom) - self.top.max(other.top);
        if w > 0.0 && h > 0.0 {
            w * h
        } else {
            0.0
        }
    }

    /// Area of this rectangle outside `pad..width - pad × pad..height - pad`.
    fn outside(&self, width: f64, height: f64, pad: f64) -> f64 {
        let area = (self.right - self.left) * (self.bottom - self.top);
        let inside = Rect {
            left: pad,
            top: pad,
            right: width - pad,
            bottom: height - pad,
        };
        area - self.overlap(&inside)
    }
}

/// Rough rendered width of a label in a proportional sans-serif face.
fn text_width(text: &str) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '\'' | '’' | '.' | ',' | 'I' | '!' | '|' => 0.28,
            'f' | 't' | 'r' | ' ' | '-' => 0.36,
            'm' | 'w' => 0.85,
            'M' | 'W' => 0.9,
            c if c.is_uppercase() => 0.68,
            _ => 0.56,
        })
        .sum();
    em * LABEL_SIZE
}

fn label_rect(label: &Label, width: f64) -> Rect {
    let left = match label.anchor {
        Anchor::Start => label.x,
        Anchor::Middle => label.x - width / 2.0,
        Anchor::End => label.x - width,
    };
    Rect {
        left,
        top: label.y - 0.78 * LABEL_SIZE,
        right: left + width,
        bottom: label.y + 0.24 * LABEL_SIZE,
    }
}

/// Eight label positions around a dot, in order of preference: right, left, the four
/// diagonals, above, below.
fn label_candidates(x: f64, y: f64) -> [Label; 8] {
    let side = DOT_RADIUS + LABEL_GAP;
    let mid = 0.3 * LABEL_SIZE;
    let above = -(DOT_RADIUS + 1.0 + 0.24 * LABEL_SIZE);
    let below = DOT_RADIUS + 1.0 + 0.78 * LABEL_SIZE;
    let diagonal = 0.6 * DOT_RADIUS;
    let at = |x, y, anchor| Label { x, y, anchor };
    [
        at(x + side, y + mid, Anchor::Start),
        at(x - side, y + mid, Anchor::End),
        at(x + diagonal, y + above, Anchor::Start),
        at(x + diagonal, y + below, Anchor::Start),
        at(x - diagonal, y + above, Anchor::End),
        at(x - diagonal, y + below, Anchor::End),
        at(x, y + above - 1.0, Anchor::Middle),
        at(x, y + below + 1.0, Anchor::Middle),
    ]
}

/// Label placement: the most crowded cities choose first, each taking the first candidate
/// position that overlaps no dot, no other label and no edge (or else the least overlapping
/// one); then a few passes let every label move to a position that overlaps less, or back
/// to a more preferred one that has become free.
pub(super) fn place_labels(
    cities: &[MapCity],
    points: &[Option<(f64, f64)>],
    height: f64,
) -> Vec<Option<Label>> {
    let dots: Vec<Rect> = points
        .iter()
        .flatten()
        .map(|&(x, y)| Rect {
            left: x - DOT_RADIUS - 1.0,
            top: y - DOT_RADIUS - 1.0,
            right: x + DOT_RADIUS + 1.0,
            bottom: y + DOT_RADIUS + 1.0,
        })
        .collect();
    let crowding = |i: usize| -> usize {
        let Some((x, y)) = points[i] else { return 0 };
        points
            .iter()
            .flatten()
            .filter(|&&(ox, oy)| (ox - x).hypot(oy - y) < 60.0)
            .count()
    };
    let mut order: Vec<usize> = (0..cities.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(crowding(i)), i));
    let widths: Vec<f64> = cities.iter().map(|city| text_width(city.name)).collect();

    let mut labels: Vec<Option<Label>> = vec![None; cities.len()];
    let mut rects: Vec<Option<Rect>> = vec![None; cities.len()];
    let cost = |i: usize, label: &Label, rects: &[Option<Rect>]| -> f64 {
        let rect = label_rect(label, widths[i]);
        let labels: f64 = rects
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .filter_map(|(_, other)| other.as_ref())
            .map(|other| rect.overlap(other))
            .sum();
        let dots: f64 = dots.iter().map(|dot| rect.overlap(dot)).sum();
        labels + dots + 4.0 * rect.outside(WIDTH, height, 3.0)
    };
    let best = |i: usize, x: f64, y: f64, rects: &[Option<Rect>]| -> (Label, f64) {
        let mut best = (label_candidates(x, y)[0], f64::INFINITY);
        for candidate in label_candidates(x, y) {
            let c = cost(i, &candidate, rects);
            if c < best.1 {
                best = (candidate, c);
            }
            if c <= 0.0 {
                break;
            }
        }
        best
    };
    for &i in &order {
        let Some((x, y)) = points[i] else { continue };
        let (label, _) = best(i, x, y, &rects);
        rects[i] = Some(label_rect(&label, widths[i]));
        labels[i] = Some(label);
    }
    for _ in 0..4 {
        let mut moved = false;
        for &i in &order {
            let (Some((x, y)), Some(current)) = (points[i], labels[i]) else {
                continue;
            };
            // Moves to a less overlapping position, or to a more preferred one that has
            // become free.
            let now = cost(i, &current, &rects);
            let (label, c) = best(i, x, y, &rects);
            let changed = label.x != current.x || label.y != current.y;
            if changed && c <= now {
                rects[i] = Some(label_rect(&label, widths[i]));
                labels[i] = Some(label);
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::super::tests::{city, g40};
    use super::super::Projection;
    use super::*;

    #[test]
    fn g40_labels_do_not_collide() {
        let projection = Projection::new();
        let data = g40();
        let cities: Vec<MapCity> = data
            .iter()
            .map(|(slug, name, lat, lon)| city(slug, name, *lat, *lon))
            .collect();
        let points: Vec<Option<(f64, f64)>> = cities
            .iter()
            .map(|c| projection.project(c.longitude, c.latitude))
            .collect();
        let labels = place_labels(&cities, &points, projection.height);
        let rects: Vec<Rect> = labels
            .iter()
            .zip(&cities)
            .map(|(label, city)| label_rect(&label.expect("placed"), text_width(city.name)))
            .collect();
        for (i, a) in rects.iter().enumerate() {
            assert!(
                a.outside(WIDTH, projection.height, 0.0) <= 0.0,
                "{} off the map",
                cities[i].name
            );
            for (j, b) in rects.iter().enumerate().skip(i + 1) {
                assert!(
                    a.overlap(b) <= 0.0,
                    "labels of {} and {} overlap",
                    cities[i].name,
                    cities[j].name
                );
            }
            for (j, point) in points.iter().enumerate() {
                let Some((x, y)) = point else { continue };
                let dot = Rect {
                    left: x - DOT_RADIUS,
                    top: y - DOT_RADIUS,
                    right: x + DOT_RADIUS,
                    bottom: y + DOT_RADIUS,
                };
                assert!(
                    a.overlap(&dot) <= 0.0,
                    "label of {} covers {}",
                    cities[i].name,
                    cities[j].name
                );
            }
        }
    }
}
