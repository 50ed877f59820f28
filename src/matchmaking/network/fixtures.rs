//! Small networks for the unit tests of every part: three cities, two of them in the
//! Talking Traffic programme, and two kinds of pilot.

use std::sync::Arc;

use super::{CityInput, Network, ProjectInput};
use crate::projects::model::Stage;
use crate::search::thesaurus::Thesaurus;
use crate::themes::Theme;

pub(super) fn city(id: i32, name: &str, programmes: &[&str]) -> CityInput {
    CityInput {
        id,
        name: name.into(),
        programmes: programmes.iter().map(|p| (*p).to_owned()).collect(),
    }
}

pub(super) fn project(
    id: i32,
    city_id: i32,
    title: &str,
    text: &str,
    stage: Stage,
) -> ProjectInput {
    ProjectInput::new(
        id,
        city_id,
        Some(Theme::Mobility),
        Some(stage),
        title.into(),
        text.into(),
        "report",
    )
}

pub(super) fn network(projects: Vec<ProjectInput>) -> Network {
    let cities = vec![
        city(1, "Apeldoorn", &["Talking Traffic"]),
        city(2, "Arnhem", &["Talking Traffic"]),
        city(3, "Breda", &[]),
    ];
    Network::build(Arc::new(Thesaurus::shipped()), cities, projects)
}

pub(super) fn traffic(id: i32, city_id: i32, stage: Stage) -> ProjectInput {
    project(
        id,
        city_id,
        "Talking Traffic",
        "Slimme verkeerslichten (iVRI's) geven fietsers voorrang.",
        stage,
    )
}

pub(super) fn parking(id: i32, city_id: i32) -> ProjectInput {
    project(
        id,
        city_id,
        "Slim parkeren",
        "Parkeersensoren in de binnenstad tonen vrije parkeerplaatsen.",
        Stage::Pilot,
    )
}

/// Two kinds of pilot over three cities, one city with both.
pub(super) fn mixed() -> Vec<ProjectInput> {
    vec![
        traffic(1, 1, Stage::Pilot),
        parking(2, 1),
        traffic(3, 2, Stage::Running),
        parking(4, 3),
    ]
}
