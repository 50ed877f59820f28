//! Server-side SVG map of the Netherlands with the cities at their real coordinates and lines
//! between partner cities; no JavaScript, no inline styles (classes in `stadsmaat.css`).
//! Here the map is laid out, every number placed and formatted; the markup is the template
//! `matchmaking/network_map`, the country `data/netherlands-map.tsv` (read by `outline`),
//! and `labels` places the city names.

mod labels;
mod outline;

use std::fmt::Write as _;

use serde::Serialize;

use labels::place_labels;
use outline::{Shape, OUTLINE};

/// A city to draw; coordinates in decimal degrees (WGS84).
pub struct MapCity<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub emphasis: Emphasis,
}

impl<'a> MapCity<'a> {
    /// A city of the database, at its coordinates.
    pub fn of(city: &'a crate::cities::model::City, emphasis: Emphasis) -> Self {
        MapCity {
            slug: &city.slug,
            name: &city.name,
            latitude: city.latitude,
            longitude: city.longitude,
            emphasis,
        }
    }
}

/// How a city stands out when one city is chosen: the chosen one and its partners are
/// highlighted, the others dimmed. The label places do not depend on it, so labels stay
/// where the reader saw them when a city is chosen.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Emphasis {
    /// No city chosen: every city alike.
    #[default]
    Plain,
    Chosen,
    Partner,
    Dimmed,
}

impl Emphasis {
    /// The class in `stadsmaat.css` (`plain` has no rules of its own).
    fn class(self) -> &'static str {
        match self {
            Emphasis::Plain => "plain",
            Emphasis::Chosen => "chosen",
            Emphasis::Partner => "partner",
            Emphasis::Dimmed => "dimmed",
        }
    }
}

/// A line between two cities (indexes into the cities slice); strength in 0.0..=1.0 (1 = strongest).
pub struct MapLink {
    pub from: usize,
    pub to: usize,
    pub strength: f32,
    /// Both cities take part in a named programme: drawn dashed in its own colour.
    pub programme: bool,
}

/// The accessible name (`<title>`) and description (`<desc>`) of the map.
pub struct MapText<'a> {
    pub title: &'a str,
    pub description: &'a str,
}

/// Role of the `<svg>`. Not `img`: ARIA makes the descendants of an `img` presentational, so the
/// focusable city links inside would vanish from the accessibility tree (axe-core reports this as
/// `nested-interactive`, WCAG 4.1.2). A labelled `group` keeps the title, the description and
/// every link available to assistive technology.
pub const SVG_ROLE: &str = "group";

/// Width of the viewBox in user units; the height follows from the outline.
const WIDTH: f64 = 600.0;
/// Space around the outline inside the viewBox.
const MARGIN: f64 = 10.0;
/// Latitude whose cosine scales longitudes (equirectangular projection).
const REFERENCE_LATITUDE: f64 = 52.2;
/// Radius of a city dot.
const DOT_RADIUS: f64 = 4.5;
/// Label font size in user units; must match `.network-map .map-label` in `stadsmaat.css`.
const LABEL_SIZE: f64 = 12.0;
/// Gap between a dot and its label.
const LABEL_GAP: f64 = 2.5;

/// Equirectangular projection fitted to the land outline.
struct Projection {
    lon_min: f64,
    lat_max: f64,
    scale_x: f64,
    scale_y: f64,
    height: f64,
}

impl Projection {
    fn new() -> Self {
        let (mut lon_min, mut lon_max) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut lat_min, mut lat_max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(lon, lat) in OUTLINE
            .land
            .iter()
            .flat_map(|polygon| polygon.points.iter())
        {
            lon_min = lon_min.min(lon);
            lon_max = lon_max.max(lon);
            lat_min = lat_min.min(lat);
            lat_max = lat_max.max(lat);
        }
        let squeeze = REFERENCE_LATITUDE.to_radians().cos();
        let scale_y = (WIDTH - 2.0 * MARGIN) / ((lon_max - lon_min) * squeeze);
        let height = ((lat_max - lat_min) * scale_y + 2.0 * MARGIN).ceil();
        Projection {
            lon_min,
            lat_max,
            scale_x: scale_y * squeeze,
            scale_y,
            height,
        }
    }

    /// (x, y) in viewBox units; `None` for coordinates that are not finite numbers.
    fn project(&self, longitude: f64, latitude: f64) -> Option<(f64, f64)> {
        if !longitude.is_finite() || !latitude.is_finite() {
            return None;
        }
        Some((
            MARGIN + (longitude - self.lon_min) * self.scale_x,
            MARGIN + (self.lat_max - latitude) * self.scale_y,
        ))
    }
}

/// The network map laid out for the template `matchmaking/network_map`, every number
/// formatted as the SVG carries it; the template escapes the text.
#[derive(Serialize, Debug)]
pub struct NetworkMap {
    /// Unique per map: the ids of its title and description start with it.
    id: String,
    role: &'static str,
    width: String,
    height: String,
    title: String,
    description: String,
    /// The path of the land polygons, the path of the water polygons, the points of each
    /// water line.
    land: String,
    water: String,
    water_lines: Vec<String>,
    /// Weakest first, so stronger lines lie on top.
    links: Vec<LinkView>,
    dot_radius: String,
    cities: Vec<CityView>,
}

#[derive(Serialize, Debug)]
struct LinkView {
    /// `strong`, `medium` or `weak`.
    strength: &'static str,
    programme: bool,
    x1: String,
    y1: String,
    x2: String,
    y2: String,
    width: String,
}

#[derive(Serialize, Debug)]
struct CityView {
    href: String,
    name: String,
    /// `plain`, `chosen`, `partner` or `dimmed` (`Emphasis`).
    emphasis: &'static str,
    /// The chosen city's link leads to the page shown: `aria-current`.
    current: bool,
    x: String,
    y: String,
    label_x: String,
    label_y: String,
    anchor: &'static str,
}

/// Lays out the map for the template. Cities with non-finite coordinates are left out
/// (with their links); other cities are clamped into the viewBox. Links with an index out
/// of range, or from a city to itself, are ignored. The same input always gives the same
/// map.
pub fn network_map(
    cities: &[MapCity],
    links: &[MapLink],
    text: &MapText,
    href: &dyn Fn(&str) -> String,
) -> NetworkMap {
    let projection = Projection::new();
    let height = projection.height;
    let points: Vec<Option<(f64, f64)>> = cities
        .iter()
        .map(|city| {
            projection
                .project(city.longitude, city.latitude)
                .map(|(x, y)| (x.clamp(0.0, WIDTH), y.clamp(0.0, height)))
        })
        .collect();

    // Links beneath the cities, weakest first so stronger lines lie on top.
    let mut drawn: Vec<(f64, f64, f64, f64, f32, bool)> = links
        .iter()
        .filter(|link| link.from != link.to)
        .filter_map(|link| {
            let (x1, y1) = (*points.get(link.from)?)?;
            let (x2, y2) = (*points.get(link.to)?)?;
            let strength = if link.strength.is_nan() {
                0.0
            } else {
                link.strength.clamp(0.0, 1.0)
            };
            Some((x1, y1, x2, y2, strength, link.programme))
        })
        .collect();
    drawn.sort_by(|a, b| a.4.total_cmp(&b.4));
    let links = drawn
        .into_iter()
        .map(|(x1, y1, x2, y2, strength, programme)| LinkView {
            strength: if strength >= 0.67 {
                "strong"
            } else if strength >= 0.34 {
                "medium"
            } else {
                "weak"
            },
            programme,
            x1: format!("{x1:.1}"),
            y1: format!("{y1:.1}"),
            x2: format!("{x2:.1}"),
            y2: format!("{y2:.1}"),
            width: format!("{:.1}", 1.0 + 3.0 * f64::from(strength)),
        })
        .collect();

    // Cities: a dot and a visible label inside one link each.
    let labels = place_labels(cities, &points, height);
    let cities_drawn = cities
        .iter()
        .zip(&points)
        .zip(&labels)
        .filter_map(|((city, point), label)| {
            let ((x, y), label) = ((*point)?, (*label)?);
            Some(CityView {
                href: href(city.slug),
                name: city.name.to_owned(),
                emphasis: city.emphasis.class(),
                current: city.emphasis == Emphasis::Chosen,
                x: format!("{x:.1}"),
                y: format!("{y:.1}"),
                label_x: format!("{:.1}", label.x),
                label_y: format!("{:.1}", label.y),
                anchor: label.anchor.as_str(),
            })
        })
        .collect();

    NetworkMap {
        id: format!("network-map-{:08x}", fingerprint(cities, text)),
        role: SVG_ROLE,
        width: WIDTH.to_string(),
        height: height.to_string(),
        title: text.title.to_owned(),
        description: text.description.to_owned(),
        land: polygons_path(&projection, &OUTLINE.land),
        water: polygons_path(&projection, &OUTLINE.water),
        water_lines: OUTLINE
            .lines
            .iter()
            .map(|line| points_list(&projection, &line.points))
            .collect(),
        links,
        dot_radius: DOT_RADIUS.to_string(),
        cities: cities_drawn,
    }
}

/// A short stable hash of the input, so two different maps on one page get different ids.
fn fingerprint(cities: &[MapCity], text: &MapText) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for &byte in bytes.iter().chain(std::iter::once(&0xff)) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(text.title.as_bytes());
    for city in cities {
        feed(city.slug.as_bytes());
    }
    hash
}

fn polygons_path(projection: &Projection, polygons: &[Shape]) -> String {
    let mut d = String::new();
    for polygon in polygons {
        for (i, &(lon, lat)) in polygon.points.iter().enumerate() {
            if let Some((x, y)) = projection.project(lon, lat) {
                let command = if i == 0 { 'M' } else { 'L' };
                let _ = write!(d, "{command}{x:.1} {y:.1}");
            }
        }
        d.push('Z');
    }
    d
}

fn points_list(projection: &Projection, line: &[(f64, f64)]) -> String {
    let mut out = String::new();
    for &(lon, lat) in line {
        if let Some((x, y)) = projection.project(lon, lat) {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{x:.1},{y:.1}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::render::Renderer;

    /// The map as the page shows it: laid out here, drawn by the template (without the
    /// line end the template file closes with).
    fn render_network_svg(
        cities: &[MapCity],
        links: &[MapLink],
        text: &MapText,
        href: &dyn Fn(&str) -> String,
    ) -> String {
        let renderer = Renderer::new().expect("templates");
        let map = network_map(cities, links, text, href);
        let svg = renderer
            .fragment("matchmaking/network_map", &map)
            .expect("rendered");
        svg.trim_end().to_owned()
    }

    pub(super) fn g40() -> Vec<(String, String, f64, f64)> {
        let data: serde_json::Value =
            serde_json::from_str(include_str!("../../data/g40-2020.json")).expect("valid JSON");
        data["cities"]
            .as_array()
            .expect("cities array")
            .iter()
            .map(|c| {
                (
                    c["slug"].as_str().expect("slug").to_string(),
                    c["name"].as_str().expect("name").to_string(),
                    c["latitude"].as_f64().expect("latitude"),
                    c["longitude"].as_f64().expect("longitude"),
                )
            })
            .collect()
    }

    fn text() -> MapText<'static> {
        MapText {
            title: "Partner cities",
            description: "Lines join partner cities.",
        }
    }

    fn href(slug: &str) -> String {
        format!("/steden/{slug}")
    }

    pub(super) fn city<'a>(
        slug: &'a str,
        name: &'a str,
        latitude: f64,
        longitude: f64,
    ) -> MapCity<'a> {
        MapCity {
            slug,
            name,
            latitude,
            longitude,
            emphasis: Emphasis::Plain,
        }
    }

    /// Value of the first `name="…"` attribute after `from`.
    fn attribute(svg: &str, from: usize, name: &str) -> f64 {
        let needle = format!(" {name}=\"");
        let start = svg[from..].find(&needle).expect("attribute") + from + needle.len();
        let end = svg[start..].find('"').expect("closing quote") + start;
        svg[start..end].parse().expect("number")
    }

    #[test]
    fn one_link_per_city_and_labelled_root() {
        let data = g40();
        let cities: Vec<MapCity> = data
            .iter()
            .map(|(slug, name, lat, lon)| city(slug, name, *lat, *lon))
            .collect();
        let svg = render_network_svg(&cities, &[], &text(), &href);
        assert_eq!(svg.matches("<a ").count(), cities.len());
        assert_eq!(svg.matches("<circle ").count(), cities.len());
        assert!(svg.contains("href=\"/steden/apeldoorn\" aria-label=\"Apeldoorn\""));
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("style="));
        assert!(!svg.contains("<?xml"));
        let start = svg.find("aria-labelledby=\"").expect("labelledby") + 17;
        let id = &svg[start..svg[start..].find('"').expect("quote") + start];
        assert!(svg.contains(&format!("<title id=\"{id}\">Partner cities</title>")));
        let start = svg.find("aria-describedby=\"").expect("describedby") + 18;
        let id = &svg[start..svg[start..].find('"').expect("quote") + start];
        assert!(svg.contains(&format!(
            "<desc id=\"{id}\">Lines join partner cities.</desc>"
        )));
    }

    #[test]
    fn escapes_hostile_text() {
        let cities = [city("x\"><script>", "<script>&\"'", 52.0, 5.0)];
        let hostile = MapText {
            title: "</title><script>",
            description: "a & b",
        };
        let svg = render_network_svg(&cities, &[], &hostile, &href);
        assert!(!svg.contains("<script"));
        assert!(svg.contains(">&lt;script&gt;&amp;&quot;&#x27;</text>"));
        assert!(svg.contains("aria-label=\"&lt;script&gt;&amp;&quot;&#x27;\""));
        assert!(svg.contains("href=\"/steden/x&quot;&gt;&lt;script&gt;\""));
        assert!(svg.contains("&lt;/title&gt;&lt;script&gt;</title>"));
        assert!(svg.contains("<desc id=") && svg.contains(">a &amp; b</desc>"));
    }

    #[test]
    fn drops_out_of_range_and_self_links() {
        let cities = [
            city("a", "A", 52.0, 5.0),
            city("b", "B", 52.5, 6.0),
            city("c", "C", f64::NAN, 6.0),
        ];
        let links = [
            MapLink {
                from: 0,
                to: 1,
                strength: 0.9,
                programme: false,
            },
            MapLink {
                from: 0,
                to: 7,
                strength: 1.0,
                programme: false,
            },
            MapLink {
                from: usize::MAX,
                to: 1,
                strength: 0.5,
                programme: false,
            },
            MapLink {
                from: 1,
                to: 1,
                strength: 0.5,
                programme: false,
            },
            MapLink {
                from: 1,
                to: 2,
                strength: 0.5,
                programme: false,
            },
            MapLink {
                from: 1,
                to: 0,
                strength: f32::NAN,
                programme: false,
            },
        ];
        let svg = render_network_svg(&cities, &links, &text(), &href);
        assert_eq!(svg.matches("<line ").count(), 2);
        assert_eq!(svg.matches("map-link strong").count(), 1);
        assert_eq!(svg.matches("map-link weak").count(), 1);
        // The weak line comes first so the strong one lies on top, and all lines precede the cities.
        assert!(svg.find("map-link weak") < svg.find("map-link strong"));
        assert!(svg.rfind("<line ") < svg.find("<circle "));
        // A city without usable coordinates is left out.
        assert_eq!(svg.matches("<a ").count(), 2);
    }

    #[test]
    fn strength_sets_class_and_width() {
        let cities = [city("a", "A", 52.0, 5.0), city("b", "B", 52.5, 6.0)];
        let render = |strength| {
            render_network_svg(
                &cities,
                &[MapLink {
                    from: 0,
                    to: 1,
                    strength,
                    programme: false,
                }],
                &text(),
                &href,
            )
        };
        assert!(render(1.0).contains("class=\"map-link strong\""));
        assert!(render(1.0).contains("stroke-width=\"4.0\""));
        assert!(render(0.5).contains("class=\"map-link medium\""));
        assert!(render(0.5).contains("stroke-width=\"2.5\""));
        assert!(render(0.0).contains("class=\"map-link weak\""));
        assert!(render(-3.0).contains("stroke-width=\"1.0\""));
    }

    #[test]
    fn places_a_city_at_its_coordinates() {
        let projection = Projection::new();
        // Amersfoort lies near the middle of the country.
        let cities = [city("amersfoort", "Amersfoort", 52.1557, 5.3876)];
        let svg = render_network_svg(&cities, &[], &text(), &href);
        let circle = svg.find("<circle ").expect("circle");
        let (cx, cy) = (attribute(&svg, circle, "cx"), attribute(&svg, circle, "cy"));
        let (x, y) = projection.project(5.3876, 52.1557).expect("finite");
        assert!((cx - x).abs() < 0.06 && (cy - y).abs() < 0.06);
        assert!(cx > 0.4 * WIDTH && cx < 0.6 * WIDTH, "cx {cx}");
        assert!(
            cy > 0.4 * projection.height && cy < 0.7 * projection.height,
            "cy {cy}"
        );
        assert!(svg.contains(&format!("viewBox=\"0 0 {} {}\"", WIDTH, projection.height)));
        // North is up and east is right: Groningen lies above and right of Maastricht.
        let (gx, gy) = projection.project(6.5676, 53.2187).expect("finite");
        let (mx, my) = projection.project(5.6909, 50.8513).expect("finite");
        assert!(gx > mx && gy < my);
        // One degree of latitude is longer than one degree of longitude at this latitude.
        let ratio = projection.scale_x / projection.scale_y;
        assert!((ratio - REFERENCE_LATITUDE.to_radians().cos()).abs() < 1e-9);
    }

    #[test]
    fn output_is_deterministic_and_ids_differ_between_maps() {
        let cities = [city("a", "A", 52.0, 5.0), city("b", "B", 52.5, 6.0)];
        let links = [MapLink {
            from: 0,
            to: 1,
            strength: 0.4,
            programme: false,
        }];
        let first = render_network_svg(&cities, &links, &text(), &href);
        let second = render_network_svg(&cities, &links, &text(), &href);
        assert_eq!(first, second);
        let other = render_network_svg(&cities[..1], &[], &text(), &href);
        let id = |svg: &str| {
            let start = svg.find("<title id=\"").expect("title") + 11;
            svg[start..svg[start..].find('"').expect("quote") + start].to_string()
        };
        assert_ne!(id(&first), id(&other));
    }

    #[test]
    fn empty_input_still_draws_the_country() {
        let svg = render_network_svg(&[], &[], &text(), &href);
        assert!(svg.contains("class=\"map-land\""));
        assert!(!svg.contains("<a "));
    }
}
