//! `/netwerk`: the 40 cities on a map of the Netherlands with lines to their strongest
//! partners, and the same network as a table (the map's text alternative).

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::map::{network_map, Emphasis, MapCity, MapLink, MapText, NetworkMap};
use crate::cities::model::City;
use crate::cities::model::CityRef;
use crate::error::AppResult;
use crate::web::render::PageRequest;
use crate::web::AppState;

/// Partners per city drawn on the map and listed in the table.
const PARTNERS_SHOWN: usize = 3;

#[derive(Serialize)]
struct NetworkCity {
    slug: String,
    name: String,
    partners: Vec<CityRef>,
}

#[derive(Serialize)]
struct NetworkPage {
    cities: Vec<NetworkCity>,
    /// The map, laid out by `map`, drawn by the template `matchmaking/network_map`.
    map: NetworkMap,
}

pub async fn show_network(
    state: web::Data<AppState>,
    matchmaking: web::Data<super::Matchmaking>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    // By slug, as every other list: 's-Hertogenbosch under s, not first.
    let cities = state.db.run(City::all).await?;
    let position: HashMap<i32, usize> = cities.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let network = matchmaking.read()?;
    let mut strongest: HashMap<(usize, usize), f32> = HashMap::new();
    let mut rows = Vec::with_capacity(cities.len());
    for (i, city) in cities.iter().enumerate() {
        let mut partners = Vec::with_capacity(PARTNERS_SHOWN);
        for (partner_id, partner_score) in network.partner_scores(city.id, PARTNERS_SHOWN) {
            if let Some(&j) = position.get(&partner_id) {
                let key = (i.min(j), i.max(j));
                let score = strongest.entry(key).or_insert(0.0);
                *score = score.max(partner_score);
                partners.push(cities[j].reference());
            }
        }
        rows.push(NetworkCity {
            slug: city.slug.clone(),
            name: city.name.clone(),
            partners,
        });
    }
    drop(network);
    let max = strongest.values().copied().fold(0.0f32, f32::max);
    let mut links: Vec<MapLink> = strongest
        .into_iter()
        .map(|((from, to), score)| MapLink {
            from,
            to,
            strength: if max > 0.0 { score / max } else { 0.0 },
            programme: false,
        })
        .collect();
    links.sort_by_key(|l| (l.from, l.to));
    let map_cities: Vec<MapCity> = cities
        .iter()
        .map(|c| MapCity::of(c, Emphasis::Plain))
        .collect();
    let text = MapText {
        title: state.renderer.text(page.lang, "network.map_title"),
        description: state.renderer.text(page.lang, "network.map_description"),
    };
    let map = network_map(&map_cities, &links, &text, &|slug| {
        format!("/steden/{slug}")
    });
    let view = NetworkPage { cities: rows, map };
    let title = state.renderer.text(page.lang, "network.title").to_owned();
    state
        .renderer
        .page(&page, "matchmaking/network", &title, &view)
}
