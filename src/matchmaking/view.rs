//! Similar projects and partner cities ready to show: the network's ids turned into
//! project and city views with worded reasons, for the pages and the API alike.

use std::collections::HashMap;

use serde::Serialize;

use super::feedback;
use super::network::KEEP;
use super::reasons::{ReasonView, Wording};
use super::Matchmaking;
use crate::cities::model::CityRef;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::projects::model::Project;
use crate::projects::view::ProjectView;
use crate::web::i18n::{Catalogs, Lang};

#[derive(Serialize, Clone, Debug)]
pub struct SimilarView {
    pub project: ProjectView,
    pub score: f32,
    pub reasons: Vec<ReasonView>,
}

#[derive(Serialize, Clone, Debug)]
pub struct PartnerView {
    pub city: CityRef,
    pub score: f32,
    pub reasons: Vec<ReasonView>,
    /// The partner is further along with a comparable project.
    pub mentor: bool,
    /// The partner stopped a comparable project and can share lessons learned.
    pub lessons: bool,
}

/// Projects by id, with their cities, in one pair of queries.
fn project_views(conn: &mut DbConnection, ids: &[i32]) -> AppResult<HashMap<i32, ProjectView>> {
    let projects = Project::by_ids(conn, ids)?;
    let cities = CityRef::for_projects(conn, &projects)?;
    let mut views = ProjectView::many(projects, &cities);
    ProjectView::with_solutions(conn, &mut views)?;
    Ok(views.into_iter().map(|v| (v.id, v)).collect())
}

/// The comparable projects of other cities for a project that exists, with the cities'
/// answers applied (`feedback::adjust`): the one place pages and API read them through.
pub fn similar_views(
    conn: &mut DbConnection,
    matchmaking: &Matchmaking,
    catalogs: &Catalogs,
    lang: Lang,
    project_id: i32,
    limit: usize,
) -> AppResult<Vec<SimilarView>> {
    let tallies = feedback::tallies(conn, project_id)?;
    // With answers, the whole kept list is re-ranked: a removed suggestion makes room,
    // a confirmed one from further down may move up.
    let read = if tallies.is_empty() { limit } else { KEEP };
    // A project created a moment ago may not have reached the network yet: no matches.
    let similar = matchmaking
        .read()?
        .similar(project_id, read)
        .unwrap_or_default();
    let mut similar = feedback::adjust(similar, &tallies);
    similar.truncate(limit);
    let ids: Vec<i32> = similar.iter().map(|s| s.project_id).collect();
    let mut views = project_views(conn, &ids)?;
    let wording = Wording { catalogs, lang };
    Ok(similar
        .into_iter()
        .filter_map(|s| {
            let project = views.remove(&s.project_id)?;
            Some(SimilarView {
                reasons: wording.project_reasons(&s.reasons, &project),
                score: s.score,
                project,
            })
        })
        .collect())
}

/// The partner cities of a city that exists.
pub fn partner_views(
    conn: &mut DbConnection,
    matchmaking: &Matchmaking,
    catalogs: &Catalogs,
    lang: Lang,
    city_id: i32,
    limit: usize,
) -> AppResult<Vec<PartnerView>> {
    let partners = matchmaking.read()?.partners(city_id, limit);
    let ids: Vec<i32> = partners
        .iter()
        .flat_map(|p| p.pairs.iter().flat_map(|pair| [pair.ours, pair.theirs]))
        .collect();
    let views = project_views(conn, &ids)?;
    let cities = CityRef::by_ids(conn, partners.iter().map(|p| p.city_id).collect())?;
    let wording = Wording { catalogs, lang };
    Ok(partners
        .iter()
        .filter_map(|partner| {
            Some(PartnerView {
                city: cities.get(&partner.city_id)?.clone(),
                score: partner.score,
                reasons: wording.partner_reasons(partner, &|id| views.get(&id).cloned()),
                mentor: partner.is_mentor(),
                lessons: partner.has_lessons(),
            })
        })
        .collect())
}
