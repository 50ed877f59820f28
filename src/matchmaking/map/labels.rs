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
    fn grown(&self, by: f64) -> Rect {
        Rect {
            left: self.left - by,
            top: self.top - by,
            right: self.right + by,
            bottom: self.bottom + by,
        }
    }

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

/// Advance widths (em) of `a`..=`z` and `A`..=`Z` in DejaVu Sans, the widest face
/// `system-ui` commonly resolves to (Linux); Segoe UI, San Francisco and Roboto are
/// narrower, so a label is never wider than the room kept for it.
const LOWER: [f64; 26] = [
    0.613, 0.635, 0.550, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974,
    0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525,
];
const UPPER: [f64; 26] = [
    0.684, 0.686, 0.698, 0.770, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863,
    0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685,
];
/// The text box above and below the baseline (em), as browsers measure it (`getBBox`):
/// the face's ascent and descent, accents and descenders included.
const ASCENT: f64 = 0.93;
const DESCENT: f64 = 0.26;
/// Room kept between a label and any other label or dot (a dot counted with the 1 unit its
/// ring may add), so that writing the coordinates to a tenth cannot make them touch.
const CLEARANCE: f64 = 0.5;

/// Rendered width of a label: at most this wide in the common sans-serif faces.
fn text_width(text: &str) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'a'..='z' => LOWER[c as usize - 'a' as usize],
            'A'..='Z' => UPPER[c as usize - 'A' as usize],
            ' ' | '\'' | '’' | '.' | ',' => 0.32,
            '-' => 0.37,
            '0'..='9' => 0.64,
            // Accented letters and anything else: as wide as the wide capitals.
            _ => 0.8,
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
        top: label.y - ASCENT * LABEL_SIZE,
        right: left + width,
        bottom: label.y + DESCENT * LABEL_SIZE,
    }
}

/// Twelve label positions around a dot, in order of preference: right, left, the four
/// diagonals, above, below, and last right and left again, raised or lowered by a quarter
/// of the text's height: still beside the dot, they slip past a neighbour's dot just above
/// or below (Hengelo between Almelo and Enschede).
fn label_candidates(x: f64, y: f64) -> [Label; 12] {
    let side = DOT_RADIUS + LABEL_GAP;
    // The baseline that centres the text box on the dot.
    let mid = (ASCENT - DESCENT) / 2.0 * LABEL_SIZE;
    let nudge = 0.25 * LABEL_SIZE;
    let above = -(DOT_RADIUS + 1.0 + CLEARANCE + DESCENT * LABEL_SIZE);
    let below = DOT_RADIUS + 1.0 + CLEARANCE + ASCENT * LABEL_SIZE;
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
        at(x + side, y + mid - nudge, Anchor::Start),
        at(x + side, y + mid + nudge, Anchor::Start),
        at(x - side, y + mid - nudge, Anchor::End),
        at(x - side, y + mid + nudge, Anchor::End),
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
            left: x - DOT_RADIUS - 1.0 - CLEARANCE,
            top: y - DOT_RADIUS - 1.0 - CLEARANCE,
            right: x + DOT_RADIUS + 1.0 + CLEARANCE,
            bottom: y + DOT_RADIUS + 1.0 + CLEARANCE,
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

    // A label as placement sees it: with half the clearance around it, so two labels
    // keep the whole clearance between them.
    let placed = |label: &Label, width: f64| label_rect(label, width).grown(CLEARANCE / 2.0);
    let mut labels: Vec<Option<Label>> = vec![None; cities.len()];
    let mut rects: Vec<Option<Rect>> = vec![None; cities.len()];
    let cost = |i: usize, label: &Label, rects: &[Option<Rect>]| -> f64 {
        let rect = placed(label, widths[i]);
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
        rects[i] = Some(placed(&label, widths[i]));
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
                rects[i] = Some(placed(&label, widths[i]));
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
    use super::super::{network_map, Emphasis, MapLink, MapText, NetworkMap, Projection};
    use super::*;

    /// Each drawn city's name, label rectangle and dot rectangle, read back from the map
    /// as the template gets it. The dot counts with the ring a chosen city gets (half its
    /// stroke outside the radius).
    fn drawn(map: &NetworkMap) -> Vec<(String, Rect, Rect)> {
        let number = |s: &str| s.parse::<f64>().expect("number");
        map.cities
            .iter()
            .map(|c| {
                let anchor = match c.anchor {
                    "start" => Anchor::Start,
                    "end" => Anchor::End,
                    _ => Anchor::Middle,
                };
                let label = Label {
                    x: number(&c.label_x),
                    y: number(&c.label_y),
                    anchor,
                };
                let (x, y) = (number(&c.x), number(&c.y));
                let r = DOT_RADIUS + 1.0;
                let dot = Rect {
                    left: x - r,
                    top: y - r,
                    right: x + r,
                    bottom: y + r,
                };
                (c.name.clone(), label_rect(&label, text_width(&c.name)), dot)
            })
            .collect()
    }

    fn assert_readable(map: &NetworkMap, view: &str) {
        let height = Projection::new().height;
        let drawn = drawn(map);
        assert_eq!(drawn.len(), 40, "{view}: every city drawn");
        for (i, (name, label, _)) in drawn.iter().enumerate() {
            assert!(
                label.outside(WIDTH, height, 0.0) <= 0.0,
                "{view}: {name} off the map"
            );
            for (other, other_label, _) in drawn.iter().skip(i + 1) {
                assert!(
                    label.overlap(other_label) <= 0.0,
                    "{view}: labels of {name} and {other} overlap"
                );
            }
            for (other, _, dot) in &drawn {
                assert!(
                    label.overlap(dot) <= 0.0,
                    "{view}: label of {name} covers the dot of {other}"
                );
            }
        }
    }

    /// The real 40 cities: no label overlaps another label or any dot, nor leaves the
    /// map, in the default view and with each city chosen (its five neighbours in the
    /// list as partners, the rest dimmed).
    #[test]
    fn g40_labels_overlap_no_label_and_no_dot_in_the_default_and_every_chosen_view() {
        let data = g40();
        let text = MapText {
            title: "Partner cities",
            description: "Lines join partner cities.",
        };
        let href = |slug: &str| format!("/netwerk?stad={slug}#kaart");
        let cities = |emphasis: &dyn Fn(usize) -> Emphasis| -> Vec<MapCity> {
            data.iter()
                .enumerate()
                .map(|(i, (slug, name, lat, lon))| MapCity {
                    emphasis: emphasis(i),
                    ..city(slug, name, *lat, *lon)
                })
                .collect()
        };
        let plain = cities(&|_| Emphasis::Plain);
        assert_readable(&network_map(&plain, &[], &text, &href), "default");
        let n = data.len();
        for (chosen, (_, chosen_name, ..)) in data.iter().enumerate() {
            let partners: Vec<usize> = (1..=5).map(|k| (chosen + k) % n).collect();
            let emphasised = cities(&|i| {
                if i == chosen {
                    Emphasis::Chosen
                } else if partners.contains(&i) {
                    Emphasis::Partner
                } else {
                    Emphasis::Dimmed
                }
            });
            let links: Vec<MapLink> = partners
                .iter()
                .map(|&to| MapLink {
                    from: chosen,
                    to,
                    strength: 1.0,
                    programme: to % 2 == 0,
                })
                .collect();
            let map = network_map(&emphasised, &links, &text, &href);
            assert_readable(&map, &format!("{chosen_name} chosen"));
        }
    }
}
