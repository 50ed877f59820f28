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

/// A project of the 2020 inventory as the report words it.
fn reported(id: i32, city_id: i32, theme: Theme, title: &str, text: &str) -> ProjectInput {
    ProjectInput::new(
        id,
        city_id,
        Some(theme),
        Some(Stage::Running),
        title.into(),
        text.into(),
        "report",
    )
}

/// Project ids of `inventory`, named for their report numbers.
pub(super) const DEVENTER_PARKING_SENSORS: i32 = 11;
pub(super) const APELDOORN_SMART_PARKING: i32 = 12;
pub(super) const HAARLEMMERMEER_SMART_PARKING: i32 = 13;
pub(super) const ZOETERMEER_FREE_PARKING: i32 = 14;
pub(super) const HAARLEM_TALKING_TRAFFIC: i32 = 15;
pub(super) const NIJMEGEN_ANPR: i32 = 16;
pub(super) const ENSCHEDE_NUMBER_PLATES: i32 = 17;

/// Real projects of the 2020 inventory, in their own words: the parking pilots of
/// issue 16 (Deventer's sensors that feed Talking Traffic, Apeldoorn's detectors without
/// cameras), the traffic-light and number-plate projects they were confused with, and
/// projects of every theme that say "op basis van" or "informatie".
pub(super) fn inventory() -> Network {
    use Theme::*;
    let cities = vec![
        city(1, "Apeldoorn", &["Talking Traffic"]),
        city(2, "Arnhem", &["Talking Traffic"]),
        city(3, "Breda", &[]),
        city(4, "Deventer", &["Talking Traffic"]),
        city(5, "Haarlemmermeer", &[]),
        city(6, "Zoetermeer", &[]),
        city(7, "Haarlem", &["Talking Traffic"]),
        city(8, "Nijmegen", &[]),
        city(9, "Enschede", &[]),
        city(10, "Almere", &[]),
        city(11, "Groningen", &["Talking Traffic"]),
        city(12, "Alkmaar", &[]),
        city(13, "Zwolle", &[]),
        city(14, "Almelo", &[]),
    ];
    let projects =
        vec![
        reported(DEVENTER_PARKING_SENSORS, 4, Mobility, "Parkeersensoren",
            "In de Deventer binnenstad liggen sensoren op de parkeervakken. Deze sensoren zijn \
             verbonden via het LoRa netwerk en kunnen daardoor informatie geven over de \
             bezetting van een parkeervak en de turnover. Dit levert ook weer input voor het \
             project Talking traffic (voor bijv. de verwijzing)."),
        reported(APELDOORN_SMART_PARKING, 1, Mobility, "Smart Parking",
            "We experimenteren met detectoren op parkeerplaatsen. Op de parkeerterreinen aan de \
             Rosariumstraat en aan de Stationsstraat zijn de detectoren aangebracht en worden ze \
             getest. De detectoren signaleren de auto op basis van massa en de verandering in \
             het magnetisch veld. Er komen geen camera’s. Kenteken en gebruiker worden beide \
             niet bekend."),
        reported(HAARLEMMERMEER_SMART_PARKING, 5, Mobility, "Smart Parking",
            "Het doel is een betere benutting van de parkeercapaciteit door slim navigeren: met \
             het aanbieden van intelligente parkeernavigatie is efficiënter parkeerbeleid, een \
             veiligere binnenstad en lagere CO2-uitstoot bereikt. Tegelijkertijd biedt de data \
             een inzicht in de specifieke parkeerdruk."),
        reported(ZOETERMEER_FREE_PARKING, 6, Mobility, "Vrije Parkeerplaatsen",
            "Een dynamisch verkeersverwijssysteem toont parkeerders de vrije parkeerplaatsen in \
             het stadscentrum van Zoetermeer. Hierdoor kan een vrije parkeerplek sneller \
             gevonden worden zodat de CO2-uitstoot vermindert."),
        reported(HAARLEM_TALKING_TRAFFIC, 7, Mobility, "Talking Traffic",
            "De provincie Noord-Holland heeft ruim 4,7 miljoen euro uitgetrokken voor een \
             versnelde uitrol van 260 'slimme verkeerslichten'. Talking Traffic is een \
             landelijke samenwerking van regionale overheden, het Rijk en marktpartijen. Naast \
             het herkennen van de bestuurders en fietsers, moet de iVRI rijtaakondersteuning \
             bieden. Al deze informatie komt straks binnen op een navigatiesysteem."),
        reported(NIJMEGEN_ANPR, 8, Mobility, "Sensoren in de stad",
            "Gebruik sensoren voor parkeergarage metingen voor beschikbaarheid. Data wordt \
             bewaard, maar kenteken wordt verwijderd na betaling. Gebruik van een camera voor \
             lezen van kentekens (ANPR: automatic number plate recognition)."),
        reported(ENSCHEDE_NUMBER_PLATES, 9, Mobility, "Geautomatiseerd uitrit van parkeergarages",
            "Nummerbordregistratie met camera’s door het gemeentelijk parkeerbedrijf"),
        reported(18, 11, Mobility, "Talking Traffic",
            "Verder uitrollen van het initiële project in 2017 over het gebruik van iVRI’s \
             (intelligente verkeerregel-installaties) om real-time informatie-uitwisseling \
             tussen weggebruikers en verkeerssystemen mogelijk te maken."),
        reported(19, 3, Mobility, "Parkeerreserveringssyteem",
            "Met het parkeerreserveringssysteem wordt op basis van de route en beschikbaarheid \
             automatisch een parkeerplaats toegewezen. Hiermee worden lange wachtrijen voor \
             parkeergarages vermeden."),
        reported(20, 10, Governance, "Slimme Camera’s",
            "In Almere zijn slimme camera´s in de stad opgesteld waar we pilots uitvoeren mbt \
             handhaving in de openbare ruimte."),
        reported(21, 10, Governance, "Digital Twin",
            "De digital twin van Almere is een 3D kaart van Almere waar burgers en bedrijven \
             informatie kunnen ophalen over bijv vergunningverlening, ondergrond, wateroverlast \
             en energievraagstukken."),
        reported(22, 12, Governance, "Datagedreven woningbouwanalyse",
            "Op basis van data kan de woningbouwbehoefte in Heerhugowaard en Alkmaar (beter) in \
             kaart worden gebracht."),
        reported(23, 3, Living, "Druktemeter",
            "Op basis van diverse waarnemingen is een druktemeter ontwikkeld die gevuld wordt \
             met data en gebruikt wordt als instrument richting bezoekers."),
        reported(24, 3, Environment, "Afvalbakken voorzien van sensoren",
            "Diverse containers in de stad zijn voorzien van sensoren. Met de informatie die \
             hiermee wordt verkregen, voorkomen we overvolle containers."),
        reported(25, 13, Citizen, "CoronaHub",
            "Samenwerking met stakeholders in de stad rond het thema zorg en welzijn. Hoe breng \
             je informatie rondom corona bij elkaar?"),
        reported(26, 14, Mobility, "Interactieve verkeerslichten",
            "De afgelopen jaren zijn in Almelo 23 interactieve verkeerslichten geplaatst. Deze \
             opereren als een van de eerste verkeerslichten van Nederland op Cloud-basis."),
        reported(27, 3, Economy, "brabantvoormekaar.nl",
            "Vraag en aanbod van werk matchen, informatie verschaffen."),
    ];
    Network::build(Arc::new(Thesaurus::shipped()), cities, projects)
}
