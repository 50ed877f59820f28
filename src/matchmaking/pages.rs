//! `/netwerk`: the 40 cities on a map of the Netherlands, readable at a glance. By default
//! one line per city to its strongest partner (a pair drawn once), dashed where the two
//! also share a named programme; `?stad={slug}` chooses a city, whose strongest partners
//! are highlighted on the map and listed beneath it with the reasons. The table under the
//! map is its text alternative.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::map::{network_map, Emphasis, MapCity, MapLink, MapText, NetworkMap};
use super::view::{partner_views, PartnerView};
use super::Network;
use crate::cities::model::City;
use crate::cities::model::CityRef;
use crate::error::{AppError, AppResult};
use crate::web::i18n::Lang;
use crate::web::params::given;
use crate::web::render::PageRequest;
use crate::web::AppState;

/// Partners per city in the table: the strongest (the one on the map) and the next ones.
const PARTNERS_LISTED: usize = 3;
/// Partners of a chosen city drawn on the map and listed with their reasons, as on the
/// city page.
const CHOSEN_PARTNERS: usize = 5;

#[derive(Deserialize)]
pub struct NetworkQuery {
    /// The slug of the chosen city; absent or blank for the whole network.
    stad: Option<String>,
}

/// A row of the table: the city, its strongest partner with the programmes both take
/// part in (what the map's line shows), and the next partners.
#[derive(Serialize)]
struct NetworkRow {
    slug: String,
    name: String,
    strongest: Option<CityRef>,
    /// The shared named programmes, listed for the reader ("City Deal, Talking Traffic").
    programmes: String,
    others: Vec<CityRef>,
}

/// A city in the form's list.
#[derive(Serialize)]
struct CityOption {
    slug: String,
    name: String,
    selected: bool,
}

/// The chosen city and its partners with the reasons.
#[derive(Serialize)]
struct ChosenCity {
    city: CityRef,
    partners: Vec<PartnerView>,
}

#[derive(Serialize)]
struct NetworkPage {
    rows: Vec<NetworkRow>,
    options: Vec<CityOption>,
    chosen: Option<ChosenCity>,
    /// The map, laid out by `map`, drawn by the template `matchmaking/network_map`.
    map: NetworkMap,
}

pub async fn show_network(
    state: web::Data<AppState>,
    matchmaking: web::Data<super::Matchmaking>,
    page: PageRequest,
    query: web::Query<NetworkQuery>,
) -> AppResult<HttpResponse> {
    let lang = page.lang;
    let slug = given(query.stad.as_deref()).map(str::to_owned);
    let shared = state.clone().into_inner();
    let reader = matchmaking.clone();
    // By slug, as every other list: 's-Hertogenbosch under s, not first.
    let (cities, chosen) = state
        .db
        .run(move |conn| {
            let cities = City::all(conn)?;
            let chosen = match slug {
                Some(slug) => {
                    let index = cities
                        .iter()
                        .position(|c| c.slug == slug)
                        .ok_or_else(|| AppError::not_found(format!("city {slug:?}")))?;
                    let catalogs = shared.renderer.catalogs();
                    let partners = partner_views(
                        conn,
                        &reader,
                        catalogs,
                        lang,
                        cities[index].id,
                        CHOSEN_PARTNERS,
                    )?;
                    Some((index, partners))
                }
                None => None,
            };
            Ok((cities, chosen))
        })
        .await?;
    let position: HashMap<i32, usize> = cities.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let network = matchmaking.read()?;
    let rows = table_rows(&network, &cities, &position);
    let (links, emphasis) = match &chosen {
        Some((index, partners)) => chosen_links(&network, &cities, *index, partners),
        None => (
            strongest_links(&network, &cities, &position),
            vec![Emphasis::Plain; cities.len()],
        ),
    };
    drop(network);

    let map_cities: Vec<MapCity> = cities
        .iter()
        .zip(&emphasis)
        .map(|(c, &emphasis)| MapCity::of(c, emphasis))
        .collect();
    let chosen_name = chosen.as_ref().map(|(i, _)| cities[*i].name.as_str());
    let (title, description) = map_text(&state, lang, chosen_name);
    let text = MapText {
        title: &title,
        description: &description,
    };
    // A dot chooses its city here; the city pages stay one click away in the table.
    let map = network_map(&map_cities, &links, &text, &|slug| {
        format!("/netwerk?stad={slug}#kaart")
    });
    let options = cities
        .iter()
        .enumerate()
        .map(|(i, c)| CityOption {
            slug: c.slug.clone(),
            name: c.name.clone(),
            selected: chosen.as_ref().is_some_and(|(index, _)| *index == i),
        })
        .collect();
    let chosen = chosen.map(|(index, partners)| ChosenCity {
        city: cities[index].reference(),
        partners,
    });
    let title = match &chosen {
        Some(chosen) => state.renderer.catalogs().format(
            lang,
            "network.title_chosen",
            &[("city", &chosen.city.name)],
        ),
        None => state.renderer.text(lang, "network.title").to_owned(),
    };
    let view = NetworkPage {
        rows,
        options,
        chosen,
        map,
    };
    state
        .renderer
        .page(&page, "matchmaking/network", &title, &view)
}

/// Every city with its strongest partners, strongest first, and the named programmes it
/// shares with the strongest.
fn table_rows(
    network: &Network,
    cities: &[City],
    position: &HashMap<i32, usize>,
) -> Vec<NetworkRow> {
    cities
        .iter()
        .map(|city| {
            let mut partners = network
                .partner_scores(city.id, PARTNERS_LISTED)
                .filter_map(|(id, _)| Some((id, position.get(&id)?)))
                .map(|(id, &j)| (id, cities[j].reference()));
            let strongest = partners.next();
            let programmes = strongest
                .as_ref()
                .map(|(id, _)| network.shared_programmes(city.id, *id).join(", "))
                .unwrap_or_default();
            NetworkRow {
                slug: city.slug.clone(),
                name: city.name.clone(),
                others: partners.map(|(_, city)| city).collect(),
                strongest: strongest.map(|(_, city)| city),
                programmes,
            }
        })
        .collect()
}

/// The default map's lines: each city to its strongest partner, a pair that is both
/// cities' choice drawn once; width by score relative to the strongest pair.
fn strongest_links(
    network: &Network,
    cities: &[City],
    position: &HashMap<i32, usize>,
) -> Vec<MapLink> {
    let mut strongest: HashMap<(usize, usize), f32> = HashMap::new();
    for (i, city) in cities.iter().enumerate() {
        for (partner_id, score) in network.partner_scores(city.id, 1) {
            if let Some(&j) = position.get(&partner_id) {
                let pair = strongest.entry((i.min(j), i.max(j))).or_insert(0.0);
                *pair = pair.max(score);
            }
        }
    }
    let mut pairs: Vec<((usize, usize), f32)> = strongest.into_iter().collect();
    pairs.sort_by_key(|&(pair, _)| pair);
    scaled_links(network, cities, pairs)
}

/// The chosen city's map: lines to its partners, the city and its partners highlighted,
/// the others dimmed.
fn chosen_links(
    network: &Network,
    cities: &[City],
    chosen: usize,
    partners: &[PartnerView],
) -> (Vec<MapLink>, Vec<Emphasis>) {
    let slugs: HashMap<&str, usize> = cities
        .iter()
        .enumerate()
        .map(|(i, c)| (c.slug.as_str(), i))
        .collect();
    let mut emphasis = vec![Emphasis::Dimmed; cities.len()];
    emphasis[chosen] = Emphasis::Chosen;
    let mut pairs = Vec::with_capacity(partners.len());
    for partner in partners {
        if let Some(&j) = slugs.get(partner.city.slug.as_str()) {
            emphasis[j] = Emphasis::Partner;
            pairs.push(((chosen, j), partner.score));
        }
    }
    (scaled_links(network, cities, pairs), emphasis)
}

/// Lines for pairs of cities (indexes) with their scores: strength relative to the
/// strongest, marked where both cities share a named programme.
fn scaled_links(
    network: &Network,
    cities: &[City],
    pairs: Vec<((usize, usize), f32)>,
) -> Vec<MapLink> {
    let max = pairs.iter().map(|p| p.1).fold(0.0f32, f32::max);
    pairs
        .into_iter()
        .map(|((from, to), score)| MapLink {
            from,
            to,
            strength: if max > 0.0 { score / max } else { 0.0 },
            programme: !network
                .shared_programmes(cities[from].id, cities[to].id)
                .is_empty(),
        })
        .collect()
}

/// The map's accessible name and description, naming the chosen city if there is one.
fn map_text(state: &AppState, lang: Lang, chosen: Option<&str>) -> (String, String) {
    let catalogs = state.renderer.catalogs();
    match chosen {
        Some(city) => (
            catalogs.format(lang, "network.map_title_chosen", &[("city", city)]),
            catalogs.format(lang, "network.map_description_chosen", &[("city", city)]),
        ),
        None => (
            catalogs.text(lang, "network.map_title").to_owned(),
            catalogs.text(lang, "network.map_description").to_owned(),
        ),
    }
}
