//! The cities' say on the suggestions, on the web: the comparable-pilots section of a
//! project page with an "Is dit vergelijkbaar?" form per suggestion (plain forms, no
//! JavaScript), `POST /projecten/{id}/vergelijkbaar` that takes an answer, and
//! `/beheer/suggesties`, the disputed suggestions for administrators. What the answers
//! do is `feedback`'s.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::feedback::{self, Answer, AnsweredPair, MAX_WHY};
use super::network::KEEP;
use super::view::{similar_views, SimilarView};
use super::Matchmaking;
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::{Action, SessionUser};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::projects::model::Project;
use crate::web::forms::see_other;
use crate::web::i18n::{Catalogs, Lang};
use crate::web::render::PageRequest;
use crate::web::AppState;

/// Suggestions shown on a project page.
const SHOWN: usize = 5;
/// Disputed pairs listed for administrators.
const DISPUTED_SHOWN: usize = 200;
/// Seconds before a page whose suggestions are being computed looks again.
pub const REFRESH_SECONDS: u32 = 3;

/// The comparable pilots of a project page.
#[derive(Serialize, Debug)]
pub struct SimilarSection {
    pub items: Vec<ShownSuggestion>,
    /// The network has not yet taken in the project (or its latest save): the page says
    /// the suggestions are being computed and looks again by itself.
    pub pending: bool,
    /// For visitors: the sign-in link that comes back here, to answer.
    pub sign_in: Option<String>,
}

/// A suggestion with the viewer's form, if they may answer.
#[derive(Serialize, Debug)]
pub struct ShownSuggestion {
    #[serde(flatten)]
    pub suggestion: SimilarView,
    pub judging: Option<Judging>,
}

/// The "Is dit vergelijkbaar?" form of one suggestion.
#[derive(Serialize, Debug)]
pub struct Judging {
    pub action: String,
    pub suggestion_id: i32,
    /// The viewer's earlier answer: "ja" or "nee".
    pub answer: Option<&'static str>,
    pub why: String,
    pub max_why: usize,
}

/// `?wijziging=N` on a project page: the change-log position of the save that led
/// there, whose suggestions the page waits for.
#[derive(Deserialize, Default)]
pub struct AfterSave {
    #[serde(default)]
    wijziging: Option<String>,
}

impl AfterSave {
    /// The position, if the parameter is one (anything else is ignored: it only makes
    /// a page wait).
    pub fn position(&self) -> Option<i64> {
        self.wijziging.as_deref()?.trim().parse().ok()
    }
}

/// Where a save of project `id` (at change-log position `seq`) leads: the project page,
/// once its suggestions reflect the save — waited for, at most [`super::SAVE_WAIT`] —
/// else the page with the save's position, which says they are being computed.
pub async fn landing(matchmaking: &Matchmaking, id: i32, seq: i64) -> String {
    let page = crate::projects::view::project_url(id);
    if matchmaking.wait_for(seq, super::SAVE_WAIT).await {
        page
    } else {
        format!("{page}?wijziging={seq}")
    }
}

/// The comparable-pilots section of `project`'s page for `viewer`; `after` is the
/// position of the save that led here, if any.
pub fn section(
    conn: &mut DbConnection,
    matchmaking: &Matchmaking,
    catalogs: &Catalogs,
    lang: Lang,
    project: &Project,
    viewer: Option<&SessionUser>,
    after: Option<i64>,
) -> AppResult<SimilarSection> {
    let known = matchmaking.read()?.contains(project.id);
    // A position past the log's head was not made by a save: no waiting for it.
    let waiting = match after {
        Some(seq) if !matchmaking.reflects(seq) => seq <= crate::changes::head(conn)?,
        _ => false,
    };
    let similar = similar_views(conn, matchmaking, catalogs, lang, project.id, SHOWN)?;
    let judge = viewer.filter(|u| u.may(Action::JudgeSuggestion));
    let answers = match judge {
        Some(user) => feedback::answers_of(conn, user.id, project.id)?,
        None => HashMap::new(),
    };
    let items = similar
        .into_iter()
        .map(|suggestion| {
            let judging = judge.map(|_| {
                let earlier = answers.get(&suggestion.project.id);
                Judging {
                    action: format!("/projecten/{}/vergelijkbaar", project.id),
                    suggestion_id: suggestion.project.id,
                    answer: earlier.map(|(yes, _)| if *yes { "ja" } else { "nee" }),
                    why: earlier.map(|(_, why)| why.clone()).unwrap_or_default(),
                    max_why: MAX_WHY,
                }
            });
            ShownSuggestion {
                suggestion,
                judging,
            }
        })
        .collect();
    let sign_in = viewer.is_none().then(|| {
        let back = crate::projects::view::project_url(project.id);
        format!(
            "/inloggen?{}",
            serde_urlencoded::to_string([("terug", back)]).unwrap_or_default()
        )
    });
    Ok(SimilarSection {
        items,
        pending: !known || waiting,
        sign_in,
    })
}

/// The form as posted; every field optional so a missing one is a clear 400.
#[derive(Deserialize)]
pub struct JudgeInput {
    #[serde(default)]
    suggestion: String,
    /// "ja" or "nee".
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    why: String,
}

impl JudgeInput {
    /// The suggested project, the verdict and the why, or what is wrong with them.
    fn parse(&self) -> AppResult<(i32, bool, String)> {
        let suggested = self.suggestion.trim().parse().map_err(|_| {
            AppError::bad_request("invalid_form", "suggestion must be a project id")
        })?;
        let comparable = match self.verdict.as_str() {
            "ja" => true,
            "nee" => false,
            other => {
                return Err(AppError::bad_request(
                    "invalid_form",
                    format!("verdict must be ja or nee, got {other:?}"),
                ))
            }
        };
        let why = self.why.trim();
        if why.chars().count() > MAX_WHY {
            return Err(AppError::bad_request(
                "too_long",
                format!("the why is at most {MAX_WHY} characters"),
            ));
        }
        Ok((suggested, comparable, why.to_owned()))
    }
}

/// `POST /projecten/{id}/vergelijkbaar`: stores the signed-in member's answer on one of
/// the project's suggestions (replacing an earlier one) and returns to the suggestions.
pub async fn judge(
    state: web::Data<AppState>,
    matchmaking: web::Data<Matchmaking>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<JudgeInput>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::JudgeSuggestion)?.id;
    let project_id = crate::projects::parse_id(&id)?;
    let (suggested_id, comparable, why) = input.parse()?;
    state
        .db
        .run(move |conn| {
            Project::find(conn, project_id)?;
            // Only what the network suggests (its whole kept list, so also what an
            // answer moved out of the first five) can be answered.
            let suggested = matchmaking
                .read()?
                .similar_ids(project_id, KEEP)
                .unwrap_or_default()
                .iter()
                .any(|&(id, _)| id == suggested_id);
            if !suggested {
                return Err(AppError::bad_request(
                    "not_suggested",
                    format!("project {suggested_id} is not suggested for project {project_id}"),
                ));
            }
            feedback::answer(
                conn,
                &Answer {
                    project_id,
                    suggested_id,
                    user_id,
                    comparable,
                    why,
                },
            )
        })
        .await?;
    Ok(see_other(&format!(
        "{}#vergelijkbaar",
        crate::projects::view::project_url(project_id)
    )))
}

#[derive(Serialize)]
struct DisputedPage {
    pairs: Vec<AnsweredPair>,
}

/// `/beheer/suggesties`: the suggestions the cities disagree on, or that the own city
/// took away, with every answer and why.
pub async fn show_disputed(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    // The administration's pages share this gate (see `accounts::admin`).
    authorize(&page.visitor, Action::ReadAuditLog)?;
    let pairs = state
        .db
        .run(|conn| feedback::disputed(conn, DISPUTED_SHOWN))
        .await?;
    let title = state
        .renderer
        .text(page.lang, "judge.admin_title")
        .to_owned();
    state.renderer.page(
        &page,
        "matchmaking/disputed",
        &title,
        &DisputedPage { pairs },
    )
}
