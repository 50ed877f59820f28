//! Server-side SVG map of the Netherlands with the cities at their real coordinates and lines
//! between partner cities; no JavaScript, no inline styles (classes in `stadsmaat.css`).

use std::fmt::Write as _;

use crate::text::escape_html;

/// A city to draw; coordinates in decimal degrees (WGS84).
pub struct MapCity<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub latitude: f64,
    pub longitude: f64,
}

/// A line between two cities (indexes into the cities slice); strength in 0.0..=1.0 (1 = strongest).
pub struct MapLink {
    pub from: usize,
    pub to: usize,
    pub strength: f32,
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

/// Mainland Netherlands, including the Zeeland and South Holland islands joined by the Delta
/// dams and with the IJsselmeer inside (drawn as water on top), as (longitude, latitude).
/// Hand-simplified, accurate to a few kilometres; runs clockwise from Den Helder.
const MAINLAND: &[(f64, f64)] = &[
    (4.73, 52.955), // Den Helder
    (4.79, 52.965),
    (4.87, 52.925), // Balgzand
    (4.95, 52.945), // Wieringen
    (5.04, 52.94),  // Den Oever
    (5.20, 53.01),  // Afsluitdijk
    (5.33, 53.075), // Kornwerderzand
    (5.39, 53.10),  // Zurich
    (5.41, 53.17),  // Harlingen
    (5.45, 53.22),
    (5.53, 53.27),
    (5.63, 53.31), // Zwarte Haan
    (5.78, 53.36),
    (5.90, 53.40), // Holwerd
    (6.07, 53.41), // Moddergat
    (6.20, 53.41), // Lauwersoog
    (6.35, 53.42),
    (6.58, 53.44), // Noordpolderzijl
    (6.74, 53.465),
    (6.83, 53.45), // Eemshaven
    (6.89, 53.40),
    (6.93, 53.33), // Delfzijl
    (7.04, 53.30), // Termunten
    (7.12, 53.255),
    (7.20, 53.23), // Nieuw Statenzijl
    (7.21, 53.18), // Bad Nieuweschans
    (7.22, 53.10),
    (7.19, 53.01), // Bourtange
    (7.18, 52.95),
    (7.09, 52.85), // Ter Apel
    (7.08, 52.78),
    (7.06, 52.70),
    (7.05, 52.64), // Nieuw-Schoonebeek
    (6.88, 52.64),
    (6.75, 52.64), // Coevorden
    (6.71, 52.60),
    (6.72, 52.55),
    (6.80, 52.48),
    (6.93, 52.44), // Ootmarsum
    (7.04, 52.40),
    (7.07, 52.36), // Denekamp
    (7.05, 52.30),
    (7.03, 52.235), // Overdinkel
    (6.99, 52.21),  // Glanerbrug
    (6.93, 52.17),
    (6.85, 52.13),
    (6.76, 52.11), // Rekken
    (6.76, 52.04),
    (6.83, 51.98), // Winterswijk
    (6.75, 51.91),
    (6.60, 51.88),
    (6.49, 51.855), // Dinxperlo
    (6.40, 51.83),
    (6.27, 51.86), // 's-Heerenberg
    (6.16, 51.90),
    (6.12, 51.85), // Lobith
    (6.05, 51.84), // Millingen
    (5.97, 51.80), // Wyler
    (5.95, 51.75), // Groesbeek
    (6.03, 51.68), // Gennep
    (6.10, 51.60), // Bergen
    (6.20, 51.50), // Arcen
    (6.23, 51.38), // Venlo
    (6.17, 51.31), // Tegelen
    (6.16, 51.24),
    (6.17, 51.19),
    (6.09, 51.13), // Vlodrop
    (6.00, 51.09),
    (5.95, 51.05),  // Koningsbosch
    (5.87, 51.05),  // Selfkant
    (5.905, 51.00), // Sittard
    (5.98, 50.97),  // Schinveld
    (6.09, 50.92),
    (6.08, 50.87), // Kerkrade
    (6.03, 50.82),
    (6.02, 50.755), // Vaalserberg
    (5.90, 50.76),
    (5.80, 50.76),
    (5.73, 50.75), // Mesch
    (5.69, 50.77), // Eijsden
    (5.67, 50.81),
    (5.64, 50.85), // Maastricht
    (5.67, 50.89),
    (5.72, 50.92),
    (5.75, 50.96), // Stein
    (5.78, 51.03),
    (5.81, 51.08), // Roosteren
    (5.84, 51.14), // Thorn
    (5.77, 51.18),
    (5.70, 51.20), // Stramproy
    (5.64, 51.21),
    (5.56, 51.24), // Budel
    (5.49, 51.28),
    (5.42, 51.25),
    (5.33, 51.26), // Luyksgestel
    (5.23, 51.31),
    (5.14, 51.32), // Reusel
    (5.06, 51.40),
    (5.03, 51.46), // Poppel
    (4.93, 51.41), // Baarle
    (4.80, 51.46),
    (4.68, 51.42), // Zundert
    (4.55, 51.43),
    (4.47, 51.47), // Essen
    (4.43, 51.42),
    (4.39, 51.36),  // Putte
    (4.30, 51.365), // Zandvliet
    (4.21, 51.395), // Bath
    (4.10, 51.42),
    (4.00, 51.435), // Hansweert
    (3.90, 51.40),
    (3.82, 51.39),  // Ellewoutsdijk
    (3.70, 51.41),  // Borssele
    (3.57, 51.44),  // Vlissingen
    (3.48, 51.50),  // Zoutelande
    (3.44, 51.54),  // Westkapelle
    (3.50, 51.575), // Domburg
    (3.59, 51.60),
    (3.69, 51.615), // Oosterscheldekering
    (3.70, 51.665), // Westenschouwen
    (3.77, 51.73),  // Renesse
    (3.83, 51.75),  // Brouwersdam
    (3.85, 51.81),
    (3.93, 51.835), // Ouddorp
    (4.03, 51.835), // Haringvlietdam
    (4.05, 51.87),  // Rockanje
    (4.06, 51.91),  // Oostvoorne
    (4.00, 51.945),
    (3.98, 51.97), // Maasvlakte
    (4.03, 51.985),
    (4.12, 51.98),  // Hoek van Holland
    (4.16, 52.03),  // Ter Heijde
    (4.22, 52.075), // Kijkduin
    (4.28, 52.11),  // Scheveningen
    (4.39, 52.205), // Katwijk
    (4.42, 52.245), // Noordwijk
    (4.49, 52.32),
    (4.52, 52.37),  // Zandvoort
    (4.555, 52.46), // IJmuiden
    (4.59, 52.53),
    (4.62, 52.62),  // Egmond aan Zee
    (4.64, 52.72),  // Camperduin
    (4.655, 52.77), // Petten
    (4.68, 52.84),  // Callantsoog
    (4.70, 52.91),  // Julianadorp
];

/// Zeeuws-Vlaanderen, south of the Westerschelde, clockwise from the Zwin.
const ZEEUWS_VLAANDEREN: &[(f64, f64)] = &[
    (3.37, 51.375), // Cadzand
    (3.45, 51.39),
    (3.55, 51.40),  // Breskens
    (3.66, 51.385), // Hoofdplaat
    (3.75, 51.345),
    (3.85, 51.35), // Terneuzen
    (3.95, 51.39),
    (4.03, 51.385), // Walsoorden
    (4.15, 51.37),
    (4.24, 51.35), // Prosperpolder
    (4.17, 51.30), // Nieuw-Namen
    (4.10, 51.27), // Clinge
    (4.05, 51.24),
    (3.98, 51.22), // Koewacht
    (3.90, 51.20),
    (3.80, 51.21), // Sas van Gent
    (3.72, 51.28),
    (3.60, 51.29),
    (3.52, 51.25),
    (3.44, 51.25),  // Eede
    (3.39, 51.30),  // Sluis
    (3.36, 51.365), // Zwin
];

const TEXEL: &[(f64, f64)] = &[
    (4.71, 53.00),
    (4.70, 53.07),
    (4.75, 53.13),
    (4.85, 53.185),
    (4.91, 53.17),
    (4.88, 53.10),
    (4.83, 53.04),
    (4.77, 52.995),
];

const VLIELAND: &[(f64, f64)] = &[
    (4.92, 53.235),
    (5.02, 53.285),
    (5.11, 53.31),
    (5.12, 53.295),
    (5.03, 53.265),
    (4.94, 53.22),
];

const TERSCHELLING: &[(f64, f64)] = &[
    (5.18, 53.36),
    (5.23, 53.39),
    (5.40, 53.425),
    (5.58, 53.465),
    (5.60, 53.445),
    (5.40, 53.39),
    (5.23, 53.35),
];

const AMELAND: &[(f64, f64)] = &[
    (5.62, 53.445),
    (5.70, 53.47),
    (5.92, 53.48),
    (5.93, 53.46),
    (5.75, 53.43),
    (5.64, 53.43),
];

const SCHIERMONNIKOOG: &[(f64, f64)] = &[
    (6.10, 53.47),
    (6.15, 53.49),
    (6.30, 53.505),
    (6.32, 53.49),
    (6.20, 53.46),
    (6.12, 53.46),
];

/// Land polygons, drawn as one path.
const LAND: &[&[(f64, f64)]] = &[
    MAINLAND,
    ZEEUWS_VLAANDEREN,
    TEXEL,
    VLIELAND,
    TERSCHELLING,
    AMELAND,
    SCHIERMONNIKOOG,
];

/// The IJsselmeer, a little inside the Afsluitdijk and the Houtribdijk so the dams stay visible.
const IJSSELMEER: &[(f64, f64)] = &[
    (5.06, 52.925), // Den Oever
    (5.20, 52.995),
    (5.33, 53.06),
    (5.38, 53.08), // Zurich
    (5.40, 53.05), // Makkum
    (5.42, 52.98), // Workum
    (5.40, 52.94), // Hindeloopen
    (5.35, 52.89), // Stavoren
    (5.42, 52.85),
    (5.50, 52.86), // Gaasterland
    (5.60, 52.835),
    (5.70, 52.83), // Lemmer
    (5.64, 52.79),
    (5.60, 52.73),
    (5.595, 52.665), // Urk
    (5.68, 52.63),
    (5.80, 52.60), // Ketelmeer
    (5.73, 52.585),
    (5.60, 52.555),
    (5.445, 52.54), // Lelystad
    (5.30, 52.705), // Enkhuizen
    (5.22, 52.745), // Andijk
    (5.13, 52.77),  // Medemblik
    (5.10, 52.85),
];

/// The Markermeer and IJmeer, west of Flevoland.
const MARKERMEER: &[(f64, f64)] = &[
    (5.285, 52.695), // Enkhuizen
    (5.425, 52.53),  // Lelystad
    (5.33, 52.465),
    (5.22, 52.405),
    (5.13, 52.36),
    (5.08, 52.33), // Muiden
    (5.00, 52.36), // IJburg
    (4.99, 52.38),
    (5.05, 52.42),
    (5.05, 52.47), // Monnickendam
    (5.07, 52.50), // Volendam
    (5.06, 52.52), // Edam
    (5.09, 52.57),
    (5.08, 52.61),
    (5.075, 52.628), // Hoorn
    (5.15, 52.65),
    (5.23, 52.67),
];

/// Oosterschelde, between Schouwen-Duiveland, Tholen and the Bevelands.
const OOSTERSCHELDE: &[(f64, f64)] = &[
    (3.715, 51.63),
    (3.82, 51.655),
    (3.93, 51.645),
    (4.03, 51.635),
    (4.06, 51.60),
    (4.04, 51.565),
    (4.12, 51.53),
    (4.22, 51.515),
    (4.24, 51.50),
    (4.12, 51.505),
    (4.05, 51.51),
    (3.98, 51.54),
    (3.88, 51.575),
    (3.78, 51.59),
    (3.72, 51.605),
];

/// Grevelingen, Krammer and Volkerak.
const GREVELINGEN: &[(f64, f64)] = &[
    (3.845, 51.755),
    (3.95, 51.765),
    (4.05, 51.74),
    (4.12, 51.71),
    (4.22, 51.685),
    (4.33, 51.685),
    (4.42, 51.70),
    (4.40, 51.665),
    (4.30, 51.65),
    (4.20, 51.655),
    (4.12, 51.67),
    (4.05, 51.69),
    (3.95, 51.72),
    (3.85, 51.74),
];

/// Haringvliet and Hollands Diep.
const HARINGVLIET: &[(f64, f64)] = &[
    (4.035, 51.835),
    (4.13, 51.83),
    (4.25, 51.795),
    (4.35, 51.75),
    (4.45, 51.72),
    (4.55, 51.715),
    (4.63, 51.71),
    (4.64, 51.695),
    (4.50, 51.69),
    (4.42, 51.705),
    (4.33, 51.725),
    (4.22, 51.765),
    (4.12, 51.80),
    (4.04, 51.815),
];

/// Inland water polygons, drawn over the land.
const WATER: &[&[(f64, f64)]] = &[
    IJSSELMEER,
    MARKERMEER,
    OOSTERSCHELDE,
    GREVELINGEN,
    HARINGVLIET,
];

/// The Randmeren between Flevoland and the old land, as a line (Gooimeer to Ketelmeer).
const RANDMEREN: &[(f64, f64)] = &[
    (5.10, 52.335),
    (5.17, 52.32),
    (5.25, 52.30),
    (5.33, 52.28),
    (5.42, 52.27),
    (5.50, 52.30),
    (5.60, 52.34),
    (5.70, 52.40),
    (5.80, 52.46),
    (5.86, 52.52),
    (5.82, 52.57),
    (5.78, 52.59),
];

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
        for &(lon, lat) in LAND.iter().flat_map(|polygon| polygon.iter()) {
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

/// Renders the map as an inline `<svg>` element (no XML prolog). Cities with non-finite
/// coordinates are left out (with their links); other cities are clamped into the viewBox.
/// Links with an index out of range, or from a city to itself, are ignored. The same input
/// always gives the same string.
pub fn render_network_svg(
    cities: &[MapCity],
    links: &[MapLink],
    text: &MapText,
    href: &dyn Fn(&str) -> String,
) -> String {
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
    let id = format!("network-map-{:08x}", fingerprint(cities, text));

    let mut svg = String::with_capacity(16 * 1024);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"network-map\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" role=\"{SVG_ROLE}\" aria-labelledby=\"{id}-title\" \
         aria-describedby=\"{id}-desc\">",
        w = WIDTH,
        h = height,
    );
    let _ = write!(
        svg,
        "<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape_html(text.title),
        escape_html(text.description),
    );

    // Base map: sea, land, inland water.
    svg.push_str("<g class=\"map-base\" aria-hidden=\"true\">");
    let _ = write!(
        svg,
        "<rect class=\"map-sea\" x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\"/>"
    );
    let _ = write!(
        svg,
        "<path class=\"map-land\" d=\"{}\"/>",
        polygons_path(&projection, LAND)
    );
    let _ = write!(
        svg,
        "<path class=\"map-water\" d=\"{}\"/>",
        polygons_path(&projection, WATER)
    );
    let _ = write!(
        svg,
        "<polyline class=\"map-water-line\" points=\"{}\"/>",
        points_list(&projection, RANDMEREN)
    );
    svg.push_str("</g>");

    // Links beneath the cities, weakest first so stronger lines lie on top.
    let mut drawn: Vec<(f64, f64, f64, f64, f32)> = links
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
            Some((x1, y1, x2, y2, strength))
        })
        .collect();
    drawn.sort_by(|a, b| a.4.total_cmp(&b.4));
    svg.push_str("<g class=\"map-links\" aria-hidden=\"true\">");
    for (x1, y1, x2, y2, strength) in drawn {
        let bucket = if strength >= 0.67 {
            "strong"
        } else if strength >= 0.34 {
            "medium"
        } else {
            "weak"
        };
        let _ = write!(
            svg,
            "<line class=\"map-link {bucket}\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" \
             stroke-width=\"{:.1}\"/>",
            x1,
            y1,
            x2,
            y2,
            1.0 + 3.0 * f64::from(strength),
        );
    }
    svg.push_str("</g>");

    // Cities: a dot and a visible label inside one link each.
    let labels = place_labels(cities, &points, height);
    svg.push_str("<g class=\"map-cities\">");
    for ((city, point), label) in cities.iter().zip(&points).zip(&labels) {
        let (Some((x, y)), Some(label)) = (point, label) else {
            continue;
        };
        let name = escape_html(city.name);
        let _ = write!(
            svg,
            "<a class=\"map-city\" href=\"{}\" aria-label=\"{name}\">\
             <circle class=\"map-dot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{DOT_RADIUS}\"/>\
             <text class=\"map-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{name}</text></a>",
            escape_html(&href(city.slug)),
            label.x,
            label.y,
            label.anchor.as_str(),
        );
    }
    svg.push_str("</g></svg>");
    svg
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

fn polygons_path(projection: &Projection, polygons: &[&[(f64, f64)]]) -> String {
    let mut d = String::new();
    for polygon in polygons {
        for (i, &(lon, lat)) in polygon.iter().enumerate() {
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

#[derive(Clone, Copy, PartialEq, Debug)]
enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Where a label's baseline starts (`x` is interpreted through `anchor`).
#[derive(Clone, Copy, Debug)]
struct Label {
    x: f64,
    y: f64,
    anchor: Anchor,
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
fn place_labels(
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
    use super::*;

    fn g40() -> Vec<(String, String, f64, f64)> {
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

    fn city<'a>(slug: &'a str, name: &'a str, latitude: f64, longitude: f64) -> MapCity<'a> {
        MapCity {
            slug,
            name,
            latitude,
            longitude,
        }
    }

    /// Value of the first `name="…"` attribute after `from`.
    fn attribute(svg: &str, from: usize, name: &str) -> f64 {
        let needle = format!(" {name}=\"");
        let start = svg[from..].find(&needle).expect("attribute") + from + needle.len();
        let end = svg[start..].find('"').expect("closing quote") + start;
        svg[start..end].parse().expect("number")
    }

    fn inside(polygon: &[(f64, f64)], lon: f64, lat: f64) -> bool {
        let mut inside = false;
        let mut j = polygon.len() - 1;
        for i in 0..polygon.len() {
            let (xi, yi) = polygon[i];
            let (xj, yj) = polygon[j];
            if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                inside = !inside;
            }
            j = i;
        }
        inside
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
            },
            MapLink {
                from: 0,
                to: 7,
                strength: 1.0,
            },
            MapLink {
                from: usize::MAX,
                to: 1,
                strength: 0.5,
            },
            MapLink {
                from: 1,
                to: 1,
                strength: 0.5,
            },
            MapLink {
                from: 1,
                to: 2,
                strength: 0.5,
            },
            MapLink {
                from: 1,
                to: 0,
                strength: f32::NAN,
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
    fn g40_cities_lie_inside_the_outline() {
        let projection = Projection::new();
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(lon, lat) in LAND.iter().flat_map(|p| p.iter()) {
            let (x, y) = projection.project(lon, lat).expect("finite");
            min_x = min_x.min(x);
            min_y = min_y.min(y);
            max_x = max_x.max(x);
            max_y = max_y.max(y);
        }
        assert!(min_x >= 0.0 && min_y >= 0.0 && max_x <= WIDTH && max_y <= projection.height);
        let data = g40();
        assert_eq!(data.len(), 40);
        for (_, name, lat, lon) in &data {
            let (x, y) = projection.project(*lon, *lat).expect("finite");
            assert!(
                x > min_x && x < max_x && y > min_y && y < max_y,
                "{name} outside the box"
            );
            assert!(inside(MAINLAND, *lon, *lat), "{name} not on the mainland");
            assert!(
                WATER.iter().all(|water| !inside(water, *lon, *lat)),
                "{name} in the water"
            );
        }
    }

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

    #[test]
    fn output_is_deterministic_and_ids_differ_between_maps() {
        let cities = [city("a", "A", 52.0, 5.0), city("b", "B", 52.5, 6.0)];
        let links = [MapLink {
            from: 0,
            to: 1,
            strength: 0.4,
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
