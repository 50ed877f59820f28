//! Learning from the cities: members answer "Is dit vergelijkbaar?" on each suggested
//! comparable pilot (ja / nee, with an optional why), one answer per person and ordered
//! pair (the project whose page it is, the suggestion shown there); answering again
//! replaces the answer. The answers act when suggestions are read ([`adjust`], which the
//! pages and the API both go through), so an answer counts at once, without a rebuild of
//! the network: a "nee" from a member of the project's own city removes the suggestion
//! for everyone; "ja" answers lift it a bounded step. Administrators see the disputed
//! pairs ([`disputed`]); [`judged_pairs`] turns the answers into judged pairs for the
//! evaluation (`stadsmaat judgments`, read by the matchmaking bench).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::network::Similar;
use crate::db::schema::{cities, projects, similarity_answers, users};
use crate::db::DbConnection;
use crate::error::AppResult;

/// The longest "why" kept, in characters: a sentence or two is what helps a reader.
pub const MAX_WHY: usize = 500;
/// Each "ja" multiplies a suggestion's score by this much more ...
pub const BOOST_PER_YES: f32 = 0.15;
/// ... for at most this many answers (so by at most 1.6). Enough to move a confirmed
/// pilot a few places up, among suggestions of about its own strength; not enough for a
/// handful of answers to put a weak suggestion above clearly stronger ones, and every
/// person counts once per pair.
pub const MAX_BOOSTING_YES: u32 = 4;

/// What the answers on one ordered pair add up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub yes: u32,
    pub no: u32,
    /// A member of the project's own city said "nee": that city knows its pilot best,
    /// so the suggestion is gone for everyone.
    pub own_city_no: bool,
}

impl Tally {
    fn add(&mut self, comparable: bool, own_city: bool) {
        if comparable {
            self.yes += 1;
        } else {
            self.no += 1;
            self.own_city_no |= own_city;
        }
    }

    pub fn removed(&self) -> bool {
        self.own_city_no
    }

    /// The factor the network's score is multiplied by.
    pub fn boost(&self) -> f32 {
        1.0 + BOOST_PER_YES * self.yes.min(MAX_BOOSTING_YES) as f32
    }

    /// For the administrators' list: the cities disagree, or the own city took it away.
    pub fn disputed(&self) -> bool {
        self.own_city_no || (self.yes > 0 && self.no > 0)
    }

    /// The pair's judgement for the evaluation: the own city's "nee" decides (it is what
    /// the site acts on); otherwise the majority, and a tie is disputed.
    pub fn verdict(&self) -> Verdict {
        if self.own_city_no || self.no > self.yes {
            Verdict::No
        } else if self.yes > self.no {
            Verdict::Yes
        } else {
            Verdict::Disputed
        }
    }
}

/// A judged pair's verdict, as the exported file writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Yes,
    No,
    Disputed,
}

impl Verdict {
    pub fn slug(self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::Disputed => "disputed",
        }
    }
}

/// The tallies of the pairs suggested on `project_id`'s page, by suggested project.
pub fn tallies(conn: &mut DbConnection, project_id: i32) -> AppResult<HashMap<i32, Tally>> {
    let rows: Vec<(i32, bool, Option<i32>)> = similarity_answers::table
        .inner_join(users::table)
        .filter(similarity_answers::project_id.eq(project_id))
        .select((
            similarity_answers::suggested_id,
            similarity_answers::comparable,
            users::city_id,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    // The answerer's city as it is now: who left the city no longer speaks for it.
    let own_city: Option<i32> = projects::table
        .find(project_id)
        .select(projects::city_id)
        .first(conn)
        .optional()?;
    let mut tallies: HashMap<i32, Tally> = HashMap::new();
    for (suggested, comparable, city) in rows {
        let own = city.is_some() && city == own_city;
        tallies.entry(suggested).or_default().add(comparable, own);
    }
    Ok(tallies)
}

/// The network's suggestions with the cities' answers applied: those the own city said
/// "nee" to are left out, the others' scores lifted by their "ja" answers
/// ([`Tally::boost`]); best first again (equal scores keep the network's order).
pub fn adjust(mut similar: Vec<Similar>, tallies: &HashMap<i32, Tally>) -> Vec<Similar> {
    similar.retain(|s| !tallies.get(&s.project_id).is_some_and(Tally::removed));
    for suggestion in &mut similar {
        if let Some(tally) = tallies.get(&suggestion.project_id) {
            suggestion.score *= tally.boost();
        }
    }
    similar.sort_by(|a, b| b.score.total_cmp(&a.score));
    similar
}

/// One person's answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub project_id: i32,
    pub suggested_id: i32,
    pub user_id: i32,
    pub comparable: bool,
    pub why: String,
}

/// Stores an answer, replacing the person's earlier one on the same pair.
pub fn answer(conn: &mut DbConnection, answer: &Answer) -> AppResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        // Update, else insert: an upsert clause is not portable across the two backends.
        let updated = diesel::update(similarity_answers::table.find((
            answer.project_id,
            answer.suggested_id,
            answer.user_id,
        )))
        .set((
            similarity_answers::comparable.eq(answer.comparable),
            similarity_answers::why.eq(&answer.why),
            similarity_answers::answered_at.eq(now),
        ))
        .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(similarity_answers::table)
                .values((
                    similarity_answers::project_id.eq(answer.project_id),
                    similarity_answers::suggested_id.eq(answer.suggested_id),
                    similarity_answers::user_id.eq(answer.user_id),
                    similarity_answers::comparable.eq(answer.comparable),
                    similarity_answers::why.eq(&answer.why),
                    similarity_answers::answered_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// `user_id`'s answers on `project_id`'s suggestions: suggested project → (ja?, why).
pub fn answers_of(
    conn: &mut DbConnection,
    user_id: i32,
    project_id: i32,
) -> AppResult<HashMap<i32, (bool, String)>> {
    let rows: Vec<(i32, bool, String)> = similarity_answers::table
        .filter(similarity_answers::user_id.eq(user_id))
        .filter(similarity_answers::project_id.eq(project_id))
        .select((
            similarity_answers::suggested_id,
            similarity_answers::comparable,
            similarity_answers::why,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, comparable, why)| (id, (comparable, why)))
        .collect())
}

/// An answer as the person's data export lists it.
#[derive(Serialize, Queryable, Debug)]
pub struct ExportedAnswer {
    pub project_id: i32,
    pub suggested_id: i32,
    pub comparable: bool,
    pub why: String,
    pub answered_at: NaiveDateTime,
}

/// Every answer `user_id` gave, oldest first (for the AVG export).
pub fn of_user(conn: &mut DbConnection, user_id: i32) -> AppResult<Vec<ExportedAnswer>> {
    Ok(similarity_answers::table
        .filter(similarity_answers::user_id.eq(user_id))
        .order((
            similarity_answers::answered_at,
            similarity_answers::project_id,
        ))
        .select((
            similarity_answers::project_id,
            similarity_answers::suggested_id,
            similarity_answers::comparable,
            similarity_answers::why,
            similarity_answers::answered_at,
        ))
        .load(conn)?)
}

/// One end of a pair, as the administrators' list names it.
#[derive(Serialize, Clone, Debug)]
pub struct PairEnd {
    pub id: i32,
    pub title: String,
    pub city: String,
    /// Its report number, where it has one.
    pub source_ref: Option<String>,
}

/// One answer on the administrators' list.
#[derive(Serialize, Clone, Debug)]
pub struct AnswerRow {
    pub name: String,
    pub city: Option<String>,
    pub comparable: bool,
    /// From a member of the project's own city.
    pub own_city: bool,
    pub why: String,
    /// RFC 3339, as the pages' `date` helper reads it.
    pub answered_at: String,
}

/// A pair with all its answers.
#[derive(Serialize, Clone, Debug)]
pub struct AnsweredPair {
    pub project: PairEnd,
    pub suggested: PairEnd,
    pub tally: Tally,
    pub answers: Vec<AnswerRow>,
    pub last_answered_at: NaiveDateTime,
}

type AnswerRecord = (i32, i32, bool, String, NaiveDateTime, String, Option<i32>);

/// Every answered pair with its answers, most recently answered first. Answers are
/// human work, counted in hundreds or thousands, so they are read whole.
fn answered_pairs(conn: &mut DbConnection) -> AppResult<Vec<AnsweredPair>> {
    let rows: Vec<AnswerRecord> = similarity_answers::table
        .inner_join(users::table)
        .order(similarity_answers::answered_at)
        .select((
            similarity_answers::project_id,
            similarity_answers::suggested_id,
            similarity_answers::comparable,
            similarity_answers::why,
            similarity_answers::answered_at,
            users::name,
            users::city_id,
        ))
        .load(conn)?;
    let mut ids: Vec<i32> = rows.iter().flat_map(|r| [r.0, r.1]).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut ends: HashMap<i32, (PairEnd, i32)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<(i32, String, Option<String>, i32, String)> = projects::table
            .inner_join(cities::table)
            .filter(projects::id.eq_any(chunk))
            .select((
                projects::id,
                projects::title,
                projects::source_ref,
                projects::city_id,
                cities::name,
            ))
            .load(conn)?;
        for (id, title, source_ref, city_id, city) in found {
            let end = PairEnd {
                id,
                title,
                city,
                source_ref,
            };
            ends.insert(id, (end, city_id));
        }
    }
    let city_names: HashMap<i32, String> = cities::table
        .select((cities::id, cities::name))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect();
    let mut pairs: BTreeMap<(i32, i32), AnsweredPair> = BTreeMap::new();
    for (project_id, suggested_id, comparable, why, answered_at, name, city) in rows {
        let (Some((project, own_city)), Some((suggested, _))) =
            (ends.get(&project_id), ends.get(&suggested_id))
        else {
            continue;
        };
        let own = city == Some(*own_city);
        let pair = pairs
            .entry((project_id, suggested_id))
            .or_insert_with(|| AnsweredPair {
                project: project.clone(),
                suggested: suggested.clone(),
                tally: Tally::default(),
                answers: Vec::new(),
                last_answered_at: answered_at,
            });
        pair.tally.add(comparable, own);
        pair.last_answered_at = pair.last_answered_at.max(answered_at);
        pair.answers.push(AnswerRow {
            name,
            city: city.and_then(|c| city_names.get(&c).cloned()),
            comparable,
            own_city: own,
            why,
            answered_at: answered_at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
    }
    let mut pairs: Vec<AnsweredPair> = pairs.into_values().collect();
    pairs.sort_by_key(|p| std::cmp::Reverse(p.last_answered_at));
    Ok(pairs)
}

/// The disputed pairs ([`Tally::disputed`]), most recently answered first, at most
/// `limit`.
pub fn disputed(conn: &mut DbConnection, limit: usize) -> AppResult<Vec<AnsweredPair>> {
    Ok(answered_pairs(conn)?
        .into_iter()
        .filter(|p| p.tally.disputed())
        .take(limit)
        .collect())
}

/// A judged pair for the evaluation: the projects by report number (`source_ref`), or
/// `id:N` for a project the platform made, which has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgedPair {
    pub a: String,
    pub b: String,
    pub verdict: Verdict,
    pub yes: u32,
    pub no: u32,
}

impl PairEnd {
    fn label(&self) -> String {
        self.source_ref
            .clone()
            .unwrap_or_else(|| format!("id:{}", self.id))
    }
}

/// Every answered pair as a judged pair, by project and suggestion.
pub fn judged_pairs(conn: &mut DbConnection) -> AppResult<Vec<JudgedPair>> {
    let mut pairs: Vec<JudgedPair> = answered_pairs(conn)?
        .into_iter()
        .map(|p| JudgedPair {
            a: p.project.label(),
            b: p.suggested.label(),
            verdict: p.tally.verdict(),
            yes: p.tally.yes,
            no: p.tally.no,
        })
        .collect();
    pairs.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    Ok(pairs)
}

/// Writes judged pairs as TSV: a header, then `a`, `b`, the verdict (`yes`, `no`,
/// `disputed`) and the answers behind it (`yes=2 no=1`).
pub fn write_tsv(pairs: &[JudgedPair], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "a\tb\tverdict\tanswers")?;
    for pair in pairs {
        writeln!(
            out,
            "{}\t{}\t{}\tyes={} no={}",
            pair.a,
            pair.b,
            pair.verdict.slug(),
            pair.yes,
            pair.no
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestion(project_id: i32, score: f32) -> Similar {
        Similar {
            project_id,
            score,
            reasons: Vec::new(),
        }
    }

    fn tally(yes: u32, no: u32, own_city_no: bool) -> Tally {
        Tally {
            yes,
            no,
            own_city_no,
        }
    }

    fn order(similar: &[Similar]) -> Vec<i32> {
        similar.iter().map(|s| s.project_id).collect()
    }

    #[test]
    fn a_no_from_the_own_city_removes_the_suggestion_and_other_cities_no_does_not() {
        let list = vec![suggestion(1, 0.9), suggestion(2, 0.8), suggestion(3, 0.7)];
        let tallies = HashMap::from([(1, tally(0, 1, false)), (2, tally(3, 1, true))]);
        assert_eq!(order(&adjust(list, &tallies)), [1, 3]);
    }

    #[test]
    fn yes_answers_move_a_suggestion_up_past_ones_of_about_its_strength() {
        let list = vec![suggestion(1, 0.9), suggestion(2, 0.8), suggestion(3, 0.7)];
        let tallies = HashMap::from([(3, tally(1, 0, false))]);
        let adjusted = adjust(list, &tallies);
        assert_eq!(order(&adjusted), [1, 3, 2]);
        assert!((adjusted[1].score - 0.7 * 1.15).abs() < 1e-6);
    }

    #[test]
    fn the_lift_is_bounded_however_many_say_yes() {
        let list = vec![suggestion(1, 0.9), suggestion(2, 0.5)];
        let tallies = HashMap::from([(2, tally(40, 0, false))]);
        assert_eq!(order(&adjust(list, &tallies)), [1, 2]);
        assert!((tally(40, 0, false).boost() - 1.6).abs() < 1e-6);
    }

    #[test]
    fn verdicts_follow_the_own_city_then_the_majority() {
        assert_eq!(tally(5, 1, true).verdict(), Verdict::No);
        assert_eq!(tally(2, 1, false).verdict(), Verdict::Yes);
        assert_eq!(tally(1, 2, false).verdict(), Verdict::No);
        assert_eq!(tally(1, 1, false).verdict(), Verdict::Disputed);
        assert!(tally(1, 1, false).disputed() && tally(0, 1, true).disputed());
        assert!(!tally(3, 0, false).disputed() && !tally(0, 2, false).disputed());
    }

    #[test]
    fn judged_pairs_are_written_as_tsv_with_a_header() {
        let pairs = [JudgedPair {
            a: "11.4".into(),
            b: "id:501".into(),
            verdict: Verdict::Yes,
            yes: 2,
            no: 0,
        }];
        let mut out = Vec::new();
        write_tsv(&pairs, &mut out).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "a\tb\tverdict\tanswers\n11.4\tid:501\tyes\tyes=2 no=0\n"
        );
    }
}
