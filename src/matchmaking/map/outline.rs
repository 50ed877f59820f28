//! The map of the Netherlands the network is drawn on: land, inland water and the
//! Randmeren, read once from `data/netherlands-map.tsv`.

use std::sync::LazyLock;

use crate::text::tsv_records;

const SHIPPED: &str = include_str!("../../../data/netherlands-map.tsv");

/// The shipped outline, parsed at first use.
pub static OUTLINE: LazyLock<Outline> = LazyLock::new(|| Outline::parse(SHIPPED));

/// Shapes as (longitude, latitude) points, each in drawing order.
#[derive(Debug, Default)]
pub struct Outline {
    /// Land polygons, drawn as one path: mainland Netherlands (with the Zeeland and South
    /// Holland islands joined by the Delta dams and with the IJsselmeer inside, drawn as
    /// water on top), Zeeuws-Vlaanderen and the Wadden Islands.
    pub land: Vec<Shape>,
    /// Inland water polygons, drawn over the land.
    pub water: Vec<Shape>,
    /// Lines: the Randmeren between Flevoland and the old land (Gooimeer to Ketelmeer).
    pub lines: Vec<Shape>,
}

/// One polygon or line of the outline.
#[derive(Debug)]
pub struct Shape {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Outline {
    /// Parses `layer<TAB>shape<TAB>longitude<TAB>latitude<TAB>place` lines. Malformed
    /// lines are skipped: the outline is curated data, checked by a test.
    pub fn parse(tsv: &str) -> Self {
        let mut outline = Outline::default();
        for mut fields in tsv_records(tsv) {
            let (Some(layer), Some(name), Some(longitude), Some(latitude)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let (Ok(longitude), Ok(latitude)) = (longitude.parse(), latitude.parse()) else {
                continue;
            };
            let shapes = match layer {
                "land" => &mut outline.land,
                "water" => &mut outline.water,
                "line" => &mut outline.lines,
                _ => continue,
            };
            match shapes.last_mut() {
                Some(shape) if shape.name == name => shape.points.push((longitude, latitude)),
                _ => shapes.push(Shape {
                    name: name.to_owned(),
                    points: vec![(longitude, latitude)],
                }),
            }
        }
        outline
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::g40;
    use super::super::{Projection, WIDTH};
    use super::*;

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
    fn every_line_of_the_shipped_outline_is_read() {
        let points = |shapes: &[Shape]| shapes.iter().map(|s| s.points.len()).sum::<usize>();
        let read = points(&OUTLINE.land) + points(&OUTLINE.water) + points(&OUTLINE.lines);
        assert_eq!(read, tsv_records(SHIPPED).count(), "every record a point");
        let names = |shapes: &[Shape]| shapes.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&OUTLINE.land),
            [
                "mainland",
                "zeeuws-vlaanderen",
                "texel",
                "vlieland",
                "terschelling",
                "ameland",
                "schiermonnikoog"
            ]
        );
        assert_eq!(
            names(&OUTLINE.water),
            [
                "ijsselmeer",
                "markermeer",
                "oosterschelde",
                "grevelingen",
                "haringvliet"
            ]
        );
        assert_eq!(names(&OUTLINE.lines), ["randmeren"]);
    }

    #[test]
    fn g40_cities_lie_inside_the_outline() {
        let projection = Projection::new();
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(lon, lat) in OUTLINE.land.iter().flat_map(|p| p.points.iter()) {
            let (x, y) = projection.project(lon, lat).expect("finite");
            min_x = min_x.min(x);
            min_y = min_y.min(y);
            max_x = max_x.max(x);
            max_y = max_y.max(y);
        }
        assert!(min_x >= 0.0 && min_y >= 0.0 && max_x <= WIDTH && max_y <= projection.height);
        let mainland = &OUTLINE.land[0];
        assert_eq!(mainland.name, "mainland");
        let data = g40();
        assert_eq!(data.len(), 40);
        for (_, name, lat, lon) in &data {
            let (x, y) = projection.project(*lon, *lat).expect("finite");
            assert!(
                x > min_x && x < max_x && y > min_y && y < max_y,
                "{name} outside the box"
            );
            assert!(
                inside(&mainland.points, *lon, *lat),
                "{name} not on the mainland"
            );
            assert!(
                OUTLINE
                    .water
                    .iter()
                    .all(|water| !inside(&water.points, *lon, *lat)),
                "{name} in the water"
            );
        }
    }
}
