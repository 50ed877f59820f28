//! What one person's digest holds: what is new since their last digest among what they
//! follow, grouped and ranked, each group capped with a link to the rest — and first,
//! "nieuw en vergelijkbaar met uw projecten": new or changed projects of other cities
//! that matchmaking finds comparable to their own city's, each with its reason. Items
//! they already opened on the site are left out; with nothing new there is no digest.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::changes::Kind;
use crate::db::schema::{adoptions, cities, notifications, projects, threads, toolkits, users};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::follows::{model as follows, Followed};
use crate::mail::unsubscribe::NotifyMail;
use crate::matchmaking::Matchmaking;
use crate::search::documents::DocKind;
use crate::search::engine::Hit;
use crate::search::Search;
use crate::visits;
use crate::web::i18n::{Catalogs, Lang};

/// Items shown per group; the rest is a link.
pub const PER_GROUP: usize = 5;
/// "Comparable to yours" items worded with their reason, per city: more than a reader
/// is shown even after leaving out what they opened.
const EXPLAINED: usize = 30;

/// Who a digest is for.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub lang: Lang,
    pub city: Option<(i32, String, String)>,
    /// Keeps their city's projects current: gets the monthly "klopt het nog?" prompt.
    pub editor: bool,
    pub notify: NotifyMail,
    /// Not seen on the site for three months: a monthly digest, saying why.
    pub inactive: bool,
    /// When they signed up: what came before is not news to them.
    pub joined: NaiveDateTime,
}

/// All who may get a digest: verified, digest on, address not failing.
pub fn recipients(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<Vec<Recipient>> {
    type Row = (
        i32,
        String,
        String,
        String,
        (Option<i32>, Option<String>),
        NotifyMail,
        (NaiveDateTime, Option<NaiveDateTime>),
    );
    let rows: Vec<Row> = users::table
        .filter(users::email_verified.eq(true))
        .filter(users::digest_mail.eq(true))
        .filter(users::email_failing_at.is_null())
        .order(users::id)
        .select((
            users::id,
            users::email,
            users::name,
            users::lang,
            (users::city_id, users::city_role),
            users::notify_mail,
            (users::created_at, users::last_seen_at),
        ))
        .load(conn)?;
    let city_names: HashMap<i32, (String, String)> = cities::table
        .select((cities::id, cities::slug, cities::name))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, slug, name)| (id, (slug, name)))
        .collect();
    let three_months = chrono::Duration::days(91);
    Ok(rows
        .into_iter()
        .map(
            |(id, email, name, lang, (city_id, role), notify, (created, seen))| {
                let last_seen = seen.unwrap_or(created);
                Recipient {
                    id,
                    email,
                    name,
                    lang: Lang::parse(&lang).unwrap_or_default(),
                    city: city_id
                        .and_then(|c| city_names.get(&c).map(|(s, n)| (c, s.clone(), n.clone()))),
                    editor: city_id.is_some() && role.as_deref() == Some("editor"),
                    notify,
                    inactive: now - last_seen > three_months,
                    joined: created,
                }
            },
        )
        .collect())
}

crate::slug_enum! {
    /// The groups of a digest, in the order shown.
    pub enum GroupKind ("digest group", "invalid_group") {
        Similar = "similar",
        Notifications = "notifications",
        Outdated = "outdated",
        Searches = "searches",
        Projects = "projects",
        Threads = "threads",
        Toolkits = "toolkits",
        Adoptions = "adoptions",
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct Item {
    pub title: String,
    pub url: String,
    /// Where it is from (a city, a pool).
    pub context: String,
    /// Why it is here (the matchmaking reason, the kind of news).
    pub reason: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct Group {
    pub kind: GroupKind,
    pub items: Vec<Item>,
    /// Items left out of the list.
    pub more: usize,
    pub more_url: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct Digest {
    pub name: String,
    pub city: Option<String>,
    pub groups: Vec<Group>,
    pub inactive: bool,
    pub items: usize,
}

/// An item with its score and the project it stands for.
type Ranked = (f32, i32, Item);

/// What the composer needs besides the database, shared over a run.
pub struct Context<'a> {
    pub matchmaking: &'a Matchmaking,
    pub catalogs: &'a Catalogs,
    /// The site's search, for saved searches.
    pub search: &'a Search,
    pub public_url: String,
    /// Per city and language: the "comparable to yours" items, computed once.
    similar: HashMap<(i32, Lang), Vec<Ranked>>,
    /// The records changed in the longest window a digest looks back over, and when;
    /// read once, when the first reader with a saved search comes.
    changed: Option<HashMap<(DocKind, i32), NaiveDateTime>>,
    /// Per saved search (its query string): what it finds among those records, best
    /// first, with when each changed. Readers following the same search share it.
    found: HashMap<String, Vec<(Hit, NaiveDateTime)>>,
}

/// How deep a saved search looks among the records changed in the window; each reader
/// then keeps those changed since their last digest.
const SEARCH_DEPTH: usize = 100;

impl<'a> Context<'a> {
    pub fn new(
        matchmaking: &'a Matchmaking,
        catalogs: &'a Catalogs,
        search: &'a Search,
        public_url: String,
    ) -> Self {
        Context {
            matchmaking,
            catalogs,
            search,
            public_url,
            similar: HashMap::new(),
            changed: None,
            found: HashMap::new(),
        }
    }

    /// What the saved search `params` finds among the records changed in the window
    /// ending at `until`, computed once per run and search.
    fn found_for(
        &mut self,
        conn: &mut DbConnection,
        params: &str,
        request: &crate::search::SearchRequest,
        until: NaiveDateTime,
    ) -> AppResult<Vec<(Hit, NaiveDateTime)>> {
        if let Some(found) = self.found.get(params) {
            return Ok(found.clone());
        }
        self.load_changed(conn, until)?;
        let changed = self.changed.get_or_insert_default();
        let among: Vec<(DocKind, i32)> = changed.keys().copied().collect();
        let found: Vec<(Hit, NaiveDateTime)> = self
            .search
            .found_among(request, &among)?
            .into_iter()
            .filter_map(|hit| {
                let at = *changed.get(&(hit.kind, hit.id))?;
                Some((hit, at))
            })
            .collect();
        self.found.insert(params.to_owned(), found.clone());
        Ok(found)
    }

    /// Reads the projects, discussions and toolkits changed in `(until - MONTHLY,
    /// until]`, once.
    fn load_changed(&mut self, conn: &mut DbConnection, until: NaiveDateTime) -> AppResult<()> {
        if self.changed.is_none() {
            let from = until - super::MONTHLY;
            let mut all: HashMap<(DocKind, i32), NaiveDateTime> = HashMap::new();
            // The same query over three tables, each with its own "last changed" column.
            macro_rules! changed_in {
                ($table:ident, $at:ident, $kind:expr) => {
                    all.extend(
                        $table::table
                            .filter($table::$at.gt(from))
                            .filter($table::$at.le(until))
                            .select(($table::id, $table::$at))
                            .load::<(i32, NaiveDateTime)>(conn)?
                            .into_iter()
                            .map(|(id, at)| (($kind, id), at)),
                    )
                };
            }
            changed_in!(projects, updated_at, DocKind::Project);
            changed_in!(threads, last_post_at, DocKind::Thread);
            changed_in!(toolkits, updated_at, DocKind::Toolkit);
            self.changed = Some(all);
        }
        Ok(())
    }
}

fn group(kind: GroupKind, mut items: Vec<Item>, more_url: String) -> Option<Group> {
    if items.is_empty() {
        return None;
    }
    let more = items.len().saturating_sub(PER_GROUP);
    items.truncate(PER_GROUP);
    Some(Group {
        kind,
        items,
        more,
        more_url,
    })
}

/// The digest of `who` for what changed in `(since, until]`, or `None` when nothing is
/// new for them. With `mark`, the notifications it holds are marked mailed (call in the
/// transaction that queues it).
pub fn compose(
    conn: &mut DbConnection,
    context: &mut Context,
    who: &Recipient,
    since: NaiveDateTime,
    until: NaiveDateTime,
    mark: bool,
) -> AppResult<Option<Digest>> {
    let base = context.public_url.clone();
    let t = |key: &str| context.catalogs.text(who.lang, key).to_owned();
    let followed = follows::of_user(conn, who.id)?;
    let keys = |kind: Followed| -> Vec<String> {
        followed
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.key.clone())
            .collect()
    };
    let (cities_followed, themes_followed) = (keys(Followed::City), keys(Followed::Theme));

    // Comparable to the reader's city's projects, first.
    let mut similar = Vec::new();
    if let Some((city_id, _, _)) = &who.city {
        let found = similar_for_city(conn, context, *city_id, who.lang, since, until)?;
        let opened = visits::opened(
            conn,
            who.id,
            Kind::Project,
            &found.iter().map(|f| f.1).collect::<Vec<_>>(),
        )?;
        similar = found
            .into_iter()
            .filter(|(_, id, _)| !opened.contains_key(id))
            .map(|(_, _, item)| item)
            .collect();
    }
    let shown_similar: HashSet<String> = similar.iter().map(|i| i.url.clone()).collect();

    // Projects of followed cities and themes.
    let city_ids: Vec<i32> = cities::table
        .filter(cities::slug.eq_any(&cities_followed))
        .select(cities::id)
        .load(conn)?;
    type Changed = (
        i32,
        String,
        i32,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<i32>,
    );
    let changed: Vec<Changed> = projects::table
        .filter(projects::updated_at.gt(since))
        .filter(projects::updated_at.le(until))
        .filter(
            projects::city_id
                .eq_any(&city_ids)
                .or(projects::theme.eq_any(&themes_followed)),
        )
        .order(projects::updated_at.desc())
        .limit(200)
        .select((
            projects::id,
            projects::title,
            projects::city_id,
            projects::theme,
            projects::created_at,
            projects::updated_at,
            projects::created_by,
        ))
        .load(conn)?;
    let opened = visits::opened(
        conn,
        who.id,
        Kind::Project,
        &changed.iter().map(|p| p.0).collect::<Vec<_>>(),
    )?;
    let names = city_names(conn)?;
    let project_items: Vec<Item> = changed
        .into_iter()
        .filter(|(id, _, _, _, _, updated, _)| opened.get(id).is_none_or(|seen| seen < updated))
        // Their own new project is not news to them.
        .filter(|(_, _, _, _, created, updated, by)| !(*by == Some(who.id) && created == updated))
        .map(|(id, title, city_id, theme, created, updated, _)| Item {
            url: format!("{base}/projecten/{id}"),
            title,
            context: names.get(&city_id).cloned().unwrap_or_default(),
            reason: if created == updated {
                t("digest.reason.new_project")
            } else {
                t("digest.reason.changed_project")
            }
            .replace("{theme}", &t(&format!("theme.{theme}"))),
        })
        .filter(|item| !shown_similar.contains(&item.url))
        .collect();

    // Discussions: new ones about what they follow, and replies in followed threads.
    let thread_items = threads_for(conn, who, &followed, since, until, &base, &t)?;
    let (toolkit_items, adoption_items) =
        toolkits_for(conn, who, &followed, since, until, &base, &t)?;

    // Notifications the reader wants only in the digest.
    let mut notification_items = Vec::new();
    if who.notify == NotifyMail::Digest {
        let rows: Vec<(i32, i32, String, String)> = notifications::table
            .inner_join(threads::table)
            .filter(notifications::user_id.eq(who.id))
            .filter(notifications::mailed_at.is_null())
            .filter(notifications::read_at.is_null())
            .order(notifications::id)
            .select((
                notifications::id,
                notifications::post_id,
                notifications::kind,
                threads::title,
            ))
            .load(conn)?;
        for (id, _, kind, title) in &rows {
            notification_items.push(Item {
                url: format!("{base}/meldingen/{id}"),
                title: title.clone(),
                context: String::new(),
                reason: t(&format!("digest.reason.notification.{kind}")),
            });
        }
        if mark {
            diesel::update(
                notifications::table.filter(notifications::id.eq_any(rows.iter().map(|r| r.0))),
            )
            .set(notifications::mailed_at.eq(chrono::Utc::now().naive_utc()))
            .execute(conn)?;
        }
    }

    // City editors, in the first digest of each month: their city's projects unconfirmed
    // the longest, to confirm or update.
    let outdated_items = match &who.city {
        Some((city_id, _, name)) if who.editor && first_of_month(since, until) => {
            outdated_for(conn, *city_id, name, &base, &t, who.lang)?
        }
        _ => Vec::new(),
    };

    // What is new for their saved searches, unless another group has it already.
    let shown: HashSet<String> = project_items
        .iter()
        .chain(&thread_items)
        .chain(&toolkit_items)
        .map(|i| i.url.clone())
        .chain(shown_similar)
        .collect();
    let search_items: Vec<Item> = searches_for(conn, context, who, &followed, since, until)?
        .into_iter()
        .filter(|item| !shown.contains(&item.url))
        .collect();

    let city_slug = who.city.as_ref().map(|c| c.1.clone()).unwrap_or_default();
    let groups: Vec<Group> = [
        group(
            GroupKind::Similar,
            similar,
            format!("{base}/steden/{city_slug}"),
        ),
        group(
            GroupKind::Notifications,
            notification_items,
            format!("{base}/meldingen"),
        ),
        group(
            GroupKind::Outdated,
            outdated_items,
            format!("{base}/steden/{city_slug}/actualiteit"),
        ),
        group(
            GroupKind::Searches,
            search_items,
            format!("{base}/account/volgen"),
        ),
        group(
            GroupKind::Projects,
            project_items,
            format!("{base}/account/volgen"),
        ),
        group(
            GroupKind::Threads,
            thread_items,
            format!("{base}/discussies"),
        ),
        group(
            GroupKind::Toolkits,
            toolkit_items,
            format!("{base}/toolkits"),
        ),
        group(
            GroupKind::Adoptions,
            adoption_items,
            format!("{base}/toolkits"),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if groups.is_empty() {
        return Ok(None);
    }
    let items = groups.iter().map(|g| g.items.len() + g.more).sum();
    Ok(Some(Digest {
        name: who.name.clone(),
        city: who.city.as_ref().map(|c| c.2.clone()),
        groups,
        inactive: who.inactive,
        items,
    }))
}

/// Whether a digest covering `since`..`until` is the first of a calendar month.
fn first_of_month(since: NaiveDateTime, until: NaiveDateTime) -> bool {
    use chrono::Datelike;
    (since.year(), since.month()) != (until.year(), until.month())
}

/// A city's projects possibly outdated, unconfirmed the longest first.
fn outdated_for(
    conn: &mut DbConnection,
    city_id: i32,
    city_name: &str,
    base: &str,
    t: &impl Fn(&str) -> String,
    lang: Lang,
) -> AppResult<Vec<Item>> {
    use crate::projects::currency::{today, Currency};
    let today = today();
    let mut stale: Vec<(Currency, crate::projects::model::Project)> =
        crate::projects::model::Project::of_city(conn, city_id)?
            .into_iter()
            .filter(|p| p.archived_at.is_none())
            .map(|p| (Currency::of(&p, city_name, today), p))
            .filter(|(c, _)| c.stale)
            .collect();
    stale.sort_by_key(|(c, p)| (c.as_of, p.id));
    Ok(stale
        .into_iter()
        .map(|(currency, p)| Item {
            url: format!("{base}/projecten/{}", p.id),
            title: p.title,
            context: city_name.to_owned(),
            reason: if currency.source == "report" {
                t("digest.reason.outdated_report")
            } else {
                t("digest.reason.outdated_since").replace("{date}", &lang.day(currency.as_of))
            },
        })
        .collect())
}

fn city_names(conn: &mut DbConnection) -> AppResult<HashMap<i32, String>> {
    Ok(cities::table
        .select((cities::id, cities::name))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect())
}

/// "Nieuw en vergelijkbaar met uw projecten" for a city: the projects of other cities,
/// changed in `(since, until]`, that matchmaking lists among the comparable pilots of
/// one of the city's own projects — best match first, each with the reason of that pair.
/// Ranking reads the network's lists (ids and scores) only; reasons are worded for the
/// first [`EXPLAINED`], more than a reader is ever shown, so a city of a thousand
/// projects costs no more than its lists.
fn similar_for_city(
    conn: &mut DbConnection,
    context: &mut Context,
    city_id: i32,
    lang: Lang,
    since: NaiveDateTime,
    until: NaiveDateTime,
) -> AppResult<Vec<Ranked>> {
    if let Some(found) = context.similar.get(&(city_id, lang)) {
        return Ok(found.clone());
    }
    let own: Vec<i32> = projects::table
        .filter(projects::city_id.eq(city_id))
        .select(projects::id)
        .load(conn)?;
    // The best match of each candidate among the city's projects.
    let mut best: HashMap<i32, (f32, i32)> = HashMap::new();
    {
        let network = context.matchmaking.read()?;
        for &ours in &own {
            let list = network
                .similar_ids(ours, crate::matchmaking::MAX_LIMIT as usize)
                .unwrap_or_default();
            for (theirs, score) in list {
                let slot = best.entry(theirs).or_insert((score, ours));
                if score > slot.0 {
                    *slot = (score, ours);
                }
            }
        }
    }
    let candidates: Vec<i32> = best.keys().copied().collect();
    let mut changed: Vec<(i32, String, i32)> = Vec::new();
    for chunk in candidates.chunks(1_000) {
        changed.extend(
            projects::table
                .filter(projects::id.eq_any(chunk))
                .filter(projects::updated_at.gt(since))
                .filter(projects::updated_at.le(until))
                .select((projects::id, projects::title, projects::city_id))
                .load::<(i32, String, i32)>(conn)?,
        );
    }
    let score = |id: &i32| best.get(id).map_or(0.0, |b| b.0);
    changed.sort_by(|a, b| score(&b.0).total_cmp(&score(&a.0)).then(a.0.cmp(&b.0)));
    let names = city_names(conn)?;
    // The reasons of each pair, from the own project's list, worded once per project.
    let mut lists: HashMap<i32, Vec<crate::matchmaking::view::SimilarView>> = HashMap::new();
    let mut found = Vec::with_capacity(changed.len());
    for (rank, (id, title, their_city)) in changed.into_iter().enumerate() {
        let (score, ours) = best.get(&id).copied().unwrap_or((0.0, 0));
        let mut reason = String::new();
        if rank < EXPLAINED {
            if let std::collections::hash_map::Entry::Vacant(slot) = lists.entry(ours) {
                slot.insert(crate::matchmaking::view::similar_views(
                    conn,
                    context.matchmaking,
                    context.catalogs,
                    lang,
                    ours,
                    crate::matchmaking::MAX_LIMIT as usize,
                )?);
            }
            if let Some(view) = lists
                .get(&ours)
                .and_then(|views| views.iter().find(|v| v.project.id == id))
            {
                let because = view
                    .reasons
                    .iter()
                    .map(|r| r.text.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                let yours = crate::projects::model::Project::find(conn, ours)?.title;
                reason = context.catalogs.format(
                    lang,
                    "digest.reason.similar",
                    &[("yours", &yours), ("why", &because)],
                );
            }
        }
        found.push((
            score,
            id,
            Item {
                url: format!("{}/projecten/{id}", context.public_url),
                title,
                context: names.get(&their_city).cloned().unwrap_or_default(),
                reason,
            },
        ));
    }
    context.similar.insert((city_id, lang), found.clone());
    Ok(found)
}

/// For each search the reader follows, what it finds among the projects, discussions
/// and toolkits changed in `(since, until]` that the reader has not opened since, best
/// first, each saying which search found it.
fn searches_for(
    conn: &mut DbConnection,
    context: &mut Context,
    who: &Recipient,
    followed: &[crate::follows::Following],
    since: NaiveDateTime,
    until: NaiveDateTime,
) -> AppResult<Vec<Item>> {
    use crate::follows::saved_search;
    let ids: Vec<i32> = followed
        .iter()
        .filter(|f| f.kind == Followed::Search)
        .filter_map(|f| f.key.parse().ok())
        .collect();
    // Each search's finds changed since this reader's last digest, with its reason.
    let mut found: Vec<(Hit, NaiveDateTime, String)> = Vec::new();
    for id in ids {
        // Only one's own saved searches are one's to follow.
        let Some(saved) = saved_search::owned(conn, who.id, id)? else {
            continue;
        };
        let params = saved.search_params();
        let Ok(mut request) = params.request(None) else {
            continue;
        };
        request.limit = SEARCH_DEPTH;
        let label = saved_search::label(conn, context.catalogs, who.lang, &params)?;
        let reason =
            context
                .catalogs
                .format(who.lang, "digest.reason.search", &[("search", &label)]);
        for (hit, at) in context.found_for(conn, &saved.params, &request, until)? {
            let known = found
                .iter()
                .any(|(h, _, _)| (h.kind, h.id) == (hit.kind, hit.id));
            if at > since && !known {
                found.push((hit, at, reason.clone()));
            }
        }
    }
    // Left out: what the reader opened since it changed.
    let mut opened: HashMap<(DocKind, i32), NaiveDateTime> = HashMap::new();
    for (doc, log) in [
        (DocKind::Project, Kind::Project),
        (DocKind::Thread, Kind::Thread),
        (DocKind::Toolkit, Kind::Toolkit),
    ] {
        let ids: Vec<i32> = found
            .iter()
            .filter(|(h, _, _)| h.kind == doc)
            .map(|(h, _, _)| h.id)
            .collect();
        if !ids.is_empty() {
            opened.extend(
                visits::opened(conn, who.id, log, &ids)?
                    .into_iter()
                    .map(|(id, seen)| ((doc, id), seen)),
            );
        }
    }
    Ok(found
        .into_iter()
        .filter(|(hit, at, _)| opened.get(&(hit.kind, hit.id)).is_none_or(|seen| seen < at))
        .map(|(hit, _, reason)| Item {
            url: format!("{}{}", context.public_url, hit.url),
            title: hit.title,
            context: hit.city.map(|c| c.name).unwrap_or_default(),
            reason,
        })
        .collect())
}

fn threads_for(
    conn: &mut DbConnection,
    who: &Recipient,
    followed: &[crate::follows::Following],
    since: NaiveDateTime,
    until: NaiveDateTime,
    base: &str,
    t: &impl Fn(&str) -> String,
) -> AppResult<Vec<Item>> {
    let about: Vec<(String, String)> = followed
        .iter()
        .filter(|f| f.kind != Followed::Thread)
        .map(|f| (f.kind.slug().to_owned(), f.key.clone()))
        .collect();
    let thread_ids: Vec<i32> = followed
        .iter()
        .filter(|f| f.kind == Followed::Thread)
        .filter_map(|f| f.key.parse().ok())
        .collect();
    // Following a city or a theme brings the discussions about everything in it too.
    let city_slugs: Vec<&str> = followed
        .iter()
        .filter(|f| f.kind == Followed::City)
        .map(|f| f.key.as_str())
        .collect();
    let city_ids: Vec<i32> = cities::table
        .filter(cities::slug.eq_any(&city_slugs))
        .select(cities::id)
        .load(conn)?;
    let themes: Vec<&str> = followed
        .iter()
        .filter(|f| f.kind == Followed::Theme)
        .map(|f| f.key.as_str())
        .collect();
    let rows: Vec<ThreadRow> = threads::table
        .filter(threads::last_post_at.gt(since))
        .filter(threads::last_post_at.le(until))
        .order(threads::last_post_at.desc())
        .limit(500)
        .select(ThreadRow::as_select())
        .load(conn)?;
    let opened = visits::opened(
        conn,
        who.id,
        Kind::Thread,
        &rows.iter().map(|r| r.id).collect::<Vec<_>>(),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            if opened
                .get(&row.id)
                .is_some_and(|seen| *seen >= row.last_post_at)
            {
                return None;
            }
            let in_followed = about
                .iter()
                .any(|(k, v)| *k == row.about_kind && *v == row.about_key)
                || row.city_id.is_some_and(|c| city_ids.contains(&c))
                || row.theme.as_deref().is_some_and(|th| themes.contains(&th));
            // Their own new discussion is not news to them; replies to it are.
            let new_about_followed =
                row.created_at > since && in_followed && row.author_id != Some(who.id);
            let reply_in_followed =
                thread_ids.contains(&row.id) && row.last_post_at > row.created_at;
            let reason = if new_about_followed {
                t("digest.reason.new_thread")
            } else if reply_in_followed {
                t("digest.reason.replies")
            } else {
                return None;
            };
            Some(Item {
                url: format!("{base}/discussies/{}", row.id),
                title: row.title,
                context: String::new(),
                reason,
            })
        })
        .collect())
}

/// What the digest reads of a discussion.
#[derive(Queryable, Selectable)]
#[diesel(table_name = threads)]
struct ThreadRow {
    id: i32,
    title: String,
    about_kind: String,
    about_key: String,
    city_id: Option<i32>,
    theme: Option<String>,
    author_id: Option<i32>,
    created_at: NaiveDateTime,
    last_post_at: NaiveDateTime,
}

/// New toolkits and new versions in followed pools and toolkits and those the reader's
/// city uses; and other cities' adoptions of the toolkits their city uses.
fn toolkits_for(
    conn: &mut DbConnection,
    who: &Recipient,
    followed: &[crate::follows::Following],
    since: NaiveDateTime,
    until: NaiveDateTime,
    base: &str,
    t: &impl Fn(&str) -> String,
) -> AppResult<(Vec<Item>, Vec<Item>)> {
    use crate::db::schema::pools;
    let pool_slugs: Vec<String> = followed
        .iter()
        .filter(|f| f.kind == Followed::Pool)
        .map(|f| f.key.clone())
        .collect();
    let mut toolkit_ids: Vec<i32> = followed
        .iter()
        .filter(|f| f.kind == Followed::Toolkit)
        .filter_map(|f| f.key.parse().ok())
        .collect();
    let used: Vec<i32> = match &who.city {
        Some((city_id, _, _)) => adoptions::table
            .filter(adoptions::city_id.eq(city_id))
            .filter(adoptions::status.ne("gestopt"))
            .select(adoptions::toolkit_id)
            .load(conn)?,
        None => Vec::new(),
    };
    toolkit_ids.extend(&used);
    type Row = (i32, String, i32, String, NaiveDateTime, NaiveDateTime);
    let rows: Vec<Row> = toolkits::table
        .inner_join(pools::table)
        .filter(toolkits::updated_at.gt(since))
        .filter(toolkits::updated_at.le(until))
        .filter(
            pools::slug
                .eq_any(&pool_slugs)
                .or(toolkits::id.eq_any(&toolkit_ids)),
        )
        .order(toolkits::updated_at.desc())
        .select((
            toolkits::id,
            toolkits::title,
            toolkits::version,
            pools::name,
            toolkits::created_at,
            toolkits::updated_at,
        ))
        .load(conn)?;
    let opened = visits::opened(
        conn,
        who.id,
        Kind::Toolkit,
        &rows.iter().map(|r| r.0).collect::<Vec<_>>(),
    )?;
    let toolkit_items = rows
        .into_iter()
        .filter(|(id, _, _, _, _, updated)| opened.get(id).is_none_or(|seen| seen < updated))
        .map(|(id, title, version, pool, created, _)| Item {
            url: format!("{base}/toolkits/{id}"),
            title,
            context: pool,
            reason: if created > since {
                t("digest.reason.new_toolkit")
            } else {
                t("digest.reason.new_version").replace("{n}", &version.to_string())
            },
        })
        .collect();
    let mut adoption_items = Vec::new();
    if let Some((city_id, _, _)) = &who.city {
        let rows: Vec<(i32, String, String, String)> = adoptions::table
            .inner_join(toolkits::table)
            .inner_join(cities::table)
            .filter(adoptions::toolkit_id.eq_any(&used))
            .filter(adoptions::city_id.ne(city_id))
            .filter(adoptions::updated_at.gt(since))
            .filter(adoptions::updated_at.le(until))
            .order(adoptions::updated_at.desc())
            .select((
                toolkits::id,
                toolkits::title,
                cities::name,
                adoptions::status,
            ))
            .load(conn)?;
        adoption_items = rows
            .into_iter()
            .map(|(id, title, city, status)| Item {
                url: format!("{base}/toolkits/{id}#gebruik"),
                title,
                reason: t(&format!("digest.reason.adoption.{status}")).replace("{city}", &city),
                context: city,
            })
            .collect();
    }
    Ok((toolkit_items, adoption_items))
}
