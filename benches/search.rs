//! The search benchmark: how well and how fast Stadsmaat's search answers, next to its
//! own ablations and SQLite FTS5. Run it with `cargo bench --bench search` (release
//! profile; single-threaded queries, about a minute or two on two cores).
//!
//! **Relevance.** The G40 inventory (`data/g40-2020.json`) is indexed the way
//! `search::documents` indexes the database: one document per project (title, body =
//! description, context = "<city name> <theme name>", url `/projecten/<n>` with n the
//! inventory position + 1) and one per city. Each of the 59 judged queries of
//! `data/eval/search-judgments.json` asks for the top 10 projects (`type=project`) and
//! is scored against its graded judgments (1..3):
//! - nDCG@10: gain = grade, discount log2(rank + 1), normalised by the ideal ranking of
//!   the judged grades;
//! - recall@10: judged-relevant projects in the top 10 divided by min(10, #judged), so a
//!   query with more than ten relevant projects can still reach 1.
//!
//! Projects tied in score are ranked by id: tantivy's own tie order follows how its
//! indexing threads happened to split the documents, which changed the scores from one
//! run to the next.
//!
//! Systems: "stadsmaat" (Dutch analysis + shipped thesaurus + compound trigrams +
//! feedback from the best hits, what the server runs); the ablations "no compound
//! handling" (neither the trigram field nor decompounding: the evidence for both), "no feedback" and "dutch,
//! no thesaurus" (no thesaurus, no feedback); "baseline" (tantivy's default tokenizer, no
//! thesaurus) and "sqlite fts5" (unicode61 with diacritics removed, the query's words
//! OR-ed, bm25 with Stadsmaat's own field weights; it holds the projects only,
//! city documents being filtered out of the tantivy results anyway).
//!
//! **Swing.** The index again with one more project, a Zwolle parking pilot that
//! mentions the LoRaWAN network its sensors report over: the queries (the judged ones and
//! three about parking) whose top 10 gained another project than it, which only a
//! corpus-dependent step such as feedback can cause (issue 16, item 6).
//!
//! **Performance.** On the G40 corpus and on a synthetic corpus of 100,000 projects made
//! from it (deterministic xorshift seed): build time of a fresh in-memory index (all
//! documents, one commit / one transaction), then the 59 judged queries repeated after
//! one untimed warm-up round, each timed on its own: p50/p90/p99/max and queries per
//! second on one thread. A Stadsmaat query is the full `Search::search` of the search
//! page (facet counts, snippets, "bedoelde u" suggestions, fuzzy second try); an FTS5
//! query returns the ten references only. Peak RSS is the process's VmHWM, reset before
//! each phase (via `/proc/self/clear_refs`), so it includes the corpus the bench holds.
//! Index size is the on-disk equivalent: a tantivy index written to a temporary
//! directory (untimed), SQLite's page count × page size.

mod support;
use support::{heading, sentences, Memory, Table, XorShift};

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use serde::Deserialize;

use stadsmaat::cities::model::CityRef;
use stadsmaat::inventory::{Inventory, InventoryCity, InventoryProject, SHIPPED_JSON};
use stadsmaat::search::analysis::Profile;
use stadsmaat::search::documents::{DocKind, SearchDoc};
use stadsmaat::search::engine::Hit;
use stadsmaat::search::index::SearchIndex;
use stadsmaat::search::query::{BODY_BOOST, CONTEXT_BOOST, TITLE_BOOST};
use stadsmaat::search::thesaurus::Thesaurus;
use stadsmaat::search::{Search, SearchRequest};
use stadsmaat::text::slugify;
use stadsmaat::themes::Theme;

type BenchResult<T> = Result<T, Box<dyn Error>>;

const JUDGMENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/eval/search-judgments.json"
);
/// Results per query, and the cut-off of both metrics.
const TOP: usize = 10;
/// Results fetched to put the projects tied at rank `TOP` in a stable order.
const TIE_WINDOW: usize = 100;
const WORST_SHOWN: usize = 8;
const SLOWEST_SHOWN: usize = 5;
const G40_ROUNDS: usize = 20;
const SYNTHETIC_ROUNDS: usize = 5;
const SYNTHETIC_PROJECTS: usize = 100_000;
const SYNTHETIC_CITIES: usize = 4_000;
const SEED: u64 = 0x5eed_6a40_2020;

// ---------------------------------------------------------------------------------------
// Corpora

/// A project's search document, as `ProjectSource` builds it from the database.
fn project_doc(
    id: i32,
    project: &InventoryProject,
    title: String,
    body: String,
    city: CityRef,
) -> SearchDoc {
    let theme_name = project
        .theme
        .parse::<Theme>()
        .map(Theme::name)
        .unwrap_or_default();
    SearchDoc {
        kind: DocKind::Project,
        currency: None,
        id,
        url: stadsmaat::projects::view::project_url(id),
        context: format!("{} {theme_name}", city.name),
        title,
        body,
        city: Some(city),
        theme: Some(project.theme.clone()),
        stage: Some(project.stage.clone()),
        source_ref: Some(project.source_ref.clone()),
    }
}

/// A city's search document, as `CitySource` builds it: notes, then the programmes (one
/// per slug, by name).
fn city_doc(id: i32, city: &InventoryCity) -> SearchDoc {
    let mut seen = HashSet::new();
    let mut programmes: Vec<&str> = city
        .programmes
        .iter()
        .filter(|name| seen.insert(slugify(name)))
        .map(String::as_str)
        .collect();
    programmes.sort_unstable();
    let body = [city.notes.as_deref().unwrap_or(""), &programmes.join(", ")].join("\n");
    SearchDoc {
        kind: DocKind::City,
        currency: None,
        id,
        url: stadsmaat::cities::view::city_url(&city.slug),
        title: city.name.clone(),
        body,
        context: city.province.clone(),
        city: Some(city_ref(city)),
        theme: None,
        stage: None,
        source_ref: None,
    }
}

fn city_ref(city: &InventoryCity) -> CityRef {
    CityRef {
        slug: city.slug.clone(),
        name: city.name.clone(),
    }
}

/// Ids as a fresh import assigns them: inventory position + 1.
fn id_at(position: usize) -> BenchResult<i32> {
    Ok(i32::try_from(position + 1)?)
}

/// The G40 inventory's projects, then its cities.
fn g40_docs(inventory: &Inventory) -> BenchResult<Vec<SearchDoc>> {
    let cities: HashMap<&str, &InventoryCity> = inventory
        .cities
        .iter()
        .map(|c| (c.slug.as_str(), c))
        .collect();
    let mut docs = Vec::with_capacity(inventory.projects.len() + inventory.cities.len());
    for (position, project) in inventory.projects.iter().enumerate() {
        let city = cities
            .get(project.city.as_str())
            .ok_or_else(|| format!("project {} has unknown city", project.source_ref))?;
        let (title, body) = (project.title.clone(), project.description.clone());
        docs.push(project_doc(
            id_at(position)?,
            project,
            title,
            body,
            city_ref(city),
        ));
    }
    for (position, city) in inventory.cities.iter().enumerate() {
        docs.push(city_doc(id_at(position)?, city));
    }
    Ok(docs)
}

/// `count` projects made of inventory text: a random project's title (one in four with
/// a word of another title added), 2–4 random sentences of random descriptions, a random
/// city "Stad 1".."Stad 4000", and the theme and stage of the title's project.
fn synthetic_docs(inventory: &Inventory, count: usize, seed: u64) -> BenchResult<Vec<SearchDoc>> {
    let projects = &inventory.projects;
    let descriptions: Vec<Vec<&str>> = projects
        .iter()
        .map(|p| sentences(&p.description))
        .filter(|s| !s.is_empty())
        .collect();
    if projects.is_empty() || descriptions.is_empty() {
        return Err("the inventory has no projects with descriptions".into());
    }
    let mut rng = XorShift::new(seed);
    let mut docs = Vec::with_capacity(count);
    for position in 0..count {
        let base = rng.pick(projects);
        let mut title = base.title.clone();
        if rng.below(4) == 0 {
            let other: Vec<&str> = rng.pick(projects).title.split_whitespace().collect();
            if !other.is_empty() {
                let word = *rng.pick(&other);
                title.push(' ');
                title.push_str(word);
            }
        }
        let body: Vec<&str> = (0..2 + rng.below(3))
            .map(|_| {
                let description = rng.pick(&descriptions);
                *rng.pick(description)
            })
            .collect();
        let n = 1 + rng.below(SYNTHETIC_CITIES);
        let city = CityRef {
            slug: format!("stad-{n}"),
            name: format!("Stad {n}"),
        };
        let mut doc = project_doc(id_at(position)?, base, title, body.join(" "), city);
        doc.source_ref = Some(format!("synthetic-{}", position + 1));
        docs.push(doc);
    }
    Ok(docs)
}

// ---------------------------------------------------------------------------------------
// Judgments and metrics

#[derive(Deserialize)]
struct Judgments {
    queries: Vec<JudgedQuery>,
}

#[derive(Deserialize)]
struct JudgedQuery {
    id: String,
    lang: String,
    kind: String,
    query: String,
    /// source_ref → grade (1..3).
    relevant: HashMap<String, u8>,
}

impl JudgedQuery {
    fn grade(&self, source_ref: &str) -> u8 {
        self.relevant.get(source_ref).copied().unwrap_or(0)
    }
}

fn load_judgments() -> BenchResult<Vec<JudgedQuery>> {
    let json =
        std::fs::read_to_string(JUDGMENTS).map_err(|e| format!("cannot read {JUDGMENTS}: {e}"))?;
    let judgments: Judgments = serde_json::from_str(&json)?;
    Ok(judgments.queries)
}

/// Discounted cumulative gain of grades in rank order.
fn dcg(grades: impl Iterator<Item = u8>) -> f64 {
    grades
        .enumerate()
        .map(|(rank, grade)| f64::from(grade) / (rank as f64 + 2.0).log2())
        .sum()
}

fn ndcg_at_top(ranked: &[String], query: &JudgedQuery) -> f64 {
    let actual = dcg(ranked.iter().take(TOP).map(|r| query.grade(r)));
    let mut ideal: Vec<u8> = query.relevant.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let ideal = dcg(ideal.into_iter().take(TOP));
    if ideal > 0.0 {
        actual / ideal
    } else {
        0.0
    }
}

fn recall_at_top(ranked: &[String], query: &JudgedQuery) -> f64 {
    let relevant = query.relevant.values().filter(|&&g| g >= 1).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(TOP)
        .filter(|r| query.grade(r) >= 1)
        .count();
    found as f64 / relevant.min(TOP) as f64
}

/// One system's answer to one query.
struct Scored {
    top: Vec<String>,
    ndcg: f64,
    recall: f64,
}

/// One system's answers to all queries, in the judgments' order.
struct Evaluation {
    system: &'static str,
    scores: Vec<Scored>,
}

/// Mean scores over a group of queries.
struct Means {
    ndcg: f64,
    recall: f64,
    queries: usize,
}

impl Evaluation {
    /// Mean nDCG and recall over the queries `keep` selects.
    fn mean(&self, queries: &[JudgedQuery], keep: impl Fn(&JudgedQuery) -> bool) -> Means {
        let kept: Vec<&Scored> = queries
            .iter()
            .zip(&self.scores)
            .filter(|(q, _)| keep(q))
            .map(|(_, s)| s)
            .collect();
        let n = kept.len().max(1) as f64;
        Means {
            ndcg: kept.iter().map(|s| s.ndcg).sum::<f64>() / n,
            recall: kept.iter().map(|s| s.recall).sum::<f64>() / n,
            queries: kept.len(),
        }
    }

    /// Means over the Dutch queries, the English ones and all.
    fn by_language(&self, queries: &[JudgedQuery]) -> [Means; 3] {
        [
            self.mean(queries, |q| q.lang == "nl"),
            self.mean(queries, |q| q.lang == "en"),
            self.mean(queries, |_| true),
        ]
    }
}

fn evaluate(engine: &mut dyn Engine, queries: &[JudgedQuery]) -> BenchResult<Evaluation> {
    let mut scores = Vec::with_capacity(queries.len());
    for query in queries {
        let top = engine.ranking(&query.query)?;
        scores.push(Scored {
            ndcg: ndcg_at_top(&top, query),
            recall: recall_at_top(&top, query),
            top,
        });
    }
    Ok(Evaluation {
        system: engine.name(),
        scores,
    })
}

// ---------------------------------------------------------------------------------------
// The systems

/// A search system under test: the source_refs of its top projects for a query.
trait Engine {
    fn name(&self) -> &'static str;

    /// The top projects exactly as a user gets them; what the latency runs time.
    fn top_projects(&mut self, text: &str) -> BenchResult<Vec<String>>;

    /// The top projects for the relevance scores: as `top_projects`, but with equal scores
    /// in a fixed order, so that every run scores the same ranking.
    fn ranking(&mut self, text: &str) -> BenchResult<Vec<String>> {
        self.top_projects(text)
    }
}

/// Stadsmaat's search (or an ablation of it) over an in-memory tantivy index.
struct Tantivy {
    name: &'static str,
    search: Search,
}

impl Tantivy {
    /// Builds the index in memory; the time covers creating it and the one commit.
    fn build(
        name: &'static str,
        profile: Profile,
        thesaurus: Thesaurus,
        docs: &[SearchDoc],
    ) -> BenchResult<(Self, Duration)> {
        let start = Instant::now();
        let index = SearchIndex::in_memory(profile)?;
        index.replace_all(docs.iter().cloned(), 0)?;
        let elapsed = start.elapsed();
        let search = Search::new(index, thesaurus);
        Ok((Tantivy { name, search }, elapsed))
    }

    /// Bytes of the same index written to disk (files of a fresh directory).
    fn disk_size(profile: Profile, docs: &[SearchDoc]) -> BenchResult<u64> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("index");
        let (index, _) = SearchIndex::open_in_dir(&path, profile)?;
        index.replace_all(docs.iter().cloned(), 0)?;
        drop(index);
        directory_bytes(&path)
    }
}

fn directory_bytes(dir: &Path) -> BenchResult<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            directory_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

impl Tantivy {
    fn projects(&self, text: &str, limit: usize) -> BenchResult<Vec<Hit>> {
        let request = SearchRequest {
            text: text.to_owned(),
            kind: Some(DocKind::Project),
            limit,
            ..SearchRequest::default()
        };
        Ok(self.search.search(&request)?.results)
    }
}

impl Engine for Tantivy {
    fn name(&self) -> &'static str {
        self.name
    }

    fn top_projects(&mut self, text: &str) -> BenchResult<Vec<String>> {
        let hits = self.projects(text, TOP)?;
        Ok(hits.into_iter().filter_map(|hit| hit.source_ref).collect())
    }

    /// tantivy breaks ties by document address, which depends on how the indexing
    /// threads happened to share out the documents; here ties go by id instead.
    fn ranking(&mut self, text: &str) -> BenchResult<Vec<String>> {
        let mut hits = self.projects(text, TIE_WINDOW)?;
        let cut_off = hits.get(TOP - 1).map(|hit| hit.score);
        if hits.len() == TIE_WINDOW && hits.last().map(|hit| hit.score) == cut_off {
            eprintln!("warning: {text:?} ties at rank {TOP} beyond {TIE_WINDOW} results");
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        Ok(hits
            .into_iter()
            .take(TOP)
            .filter_map(|hit| hit.source_ref)
            .collect())
    }
}

/// SQLite FTS5, the search a Rust web app on SQLite gets for free.
struct Fts5 {
    conn: SqliteConnection,
}

#[derive(QueryableByName)]
struct RefRow {
    #[diesel(sql_type = Text, column_name = "ref")]
    source_ref: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Fts5 {
    const NAME: &'static str = "sqlite fts5";

    /// Builds an in-memory FTS5 table of the projects among `docs`, in one transaction.
    fn build(docs: &[SearchDoc]) -> BenchResult<(Self, Duration)> {
        let start = Instant::now();
        let mut conn = SqliteConnection::establish(":memory:")?;
        sql_query(
            "CREATE VIRTUAL TABLE docs USING fts5(ref UNINDEXED, title, body, context, \
             tokenize = 'unicode61 remove_diacritics 2')",
        )
        .execute(&mut conn)?;
        conn.transaction(|conn| {
            for doc in docs.iter().filter(|d| d.kind == DocKind::Project) {
                sql_query("INSERT INTO docs (ref, title, body, context) VALUES (?, ?, ?, ?)")
                    .bind::<Text, _>(doc.source_ref.as_deref().unwrap_or_default())
                    .bind::<Text, _>(&doc.title)
                    .bind::<Text, _>(&doc.body)
                    .bind::<Text, _>(&doc.context)
                    .execute(conn)?;
            }
            diesel::QueryResult::Ok(())
        })?;
        Ok((Fts5 { conn }, start.elapsed()))
    }

    /// Page count × page size: what the database would take on disk.
    fn size(&mut self) -> BenchResult<u64> {
        let pages = sql_query(
            "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()",
        )
        .get_result::<CountRow>(&mut self.conn)?;
        Ok(u64::try_from(pages.n)?)
    }
}

/// The FTS5 query of a text: its words (alphanumeric runs, lower-cased), each quoted as
/// a string, joined with OR. `None` when there are no words.
fn fts5_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.to_lowercase().replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" OR "))
}

impl Engine for Fts5 {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn top_projects(&mut self, text: &str) -> BenchResult<Vec<String>> {
        let Some(query) = fts5_query(text) else {
            return Ok(Vec::new());
        };
        // The same field weights as Stadsmaat's title / description / context.
        let rows = sql_query(format!(
            "SELECT ref FROM docs WHERE docs MATCH ? \
             ORDER BY bm25(docs, 0, {TITLE_BOOST}, {BODY_BOOST}, {CONTEXT_BOOST}) LIMIT ?"
        ))
        .bind::<Text, _>(query)
        .bind::<BigInt, _>(TOP as i64)
        .load::<RefRow>(&mut self.conn)?;
        Ok(rows.into_iter().map(|r| r.source_ref).collect())
    }
}

// ---------------------------------------------------------------------------------------
// Latency and memory

/// Latencies of the judged queries, run round after round.
struct Latency {
    /// Every timed run, sorted.
    samples: Vec<Duration>,
    /// Each query's median, in the judgments' order.
    medians: Vec<Duration>,
}

impl Latency {
    /// Runs every query `rounds` times after one untimed warm-up round.
    fn measure(
        engine: &mut dyn Engine,
        queries: &[JudgedQuery],
        rounds: usize,
    ) -> BenchResult<Self> {
        for query in queries {
            engine.top_projects(&query.query)?;
        }
        let mut by_query = vec![Vec::with_capacity(rounds); queries.len()];
        for _ in 0..rounds {
            for (query, runs) in queries.iter().zip(&mut by_query) {
                let start = Instant::now();
                std::hint::black_box(engine.top_projects(&query.query)?);
                runs.push(start.elapsed());
            }
        }
        let medians = by_query
            .iter_mut()
            .map(|runs| {
                runs.sort_unstable();
                nearest_rank(runs, 50.0)
            })
            .collect();
        let mut samples = by_query.concat();
        samples.sort_unstable();
        Ok(Latency { samples, medians })
    }

    fn percentile(&self, p: f64) -> Duration {
        nearest_rank(&self.samples, p)
    }

    fn max(&self) -> Duration {
        self.samples.last().copied().unwrap_or_default()
    }

    fn queries_per_second(&self) -> f64 {
        let total: Duration = self.samples.iter().sum();
        self.samples.len() as f64 / total.as_secs_f64().max(f64::EPSILON)
    }
}

/// Nearest-rank percentile of sorted samples, `p` in 0..=100.
fn nearest_rank(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1))
        .copied()
        .unwrap_or_default()
}

/// One system on one corpus.
struct Performance {
    corpus: &'static str,
    system: &'static str,
    docs: usize,
    build: Duration,
    size_bytes: u64,
    latency: Latency,
    before: Memory,
    after: Memory,
}

// ---------------------------------------------------------------------------------------
// Swing: what one added project changes in other queries' top 10

/// The example (issue 16, item 6): a new parking pilot that mentions the LoRaWAN
/// network its sensors report over; the integration spec adds the same project.
const PROBE_TITLE: &str = "Slim parkeren in de binnenstad";
const PROBE_BODY: &str = "Zwolle test in twee straten van de binnenstad sensoren in de \
    parkeervakken. Elke sensor meldt via het LoRaWAN-netwerk van de gemeente of de plek \
    bezet of vrij is. Automobilisten zien in een app waar nog plek is, zodat er minder \
    zoekverkeer door de binnenstad rijdt.";
/// The queries the probe is about, asked besides the judged ones.
const PROBE_QUERIES: [&str; 3] = ["smart parking", "parkeersensoren", "slim parkeren"];
const PROBE_REF: &str = "probe";

/// Adds the probe project and counts the queries whose top 10 gained another project
/// than the probe: what feedback (or any corpus statistic) let one document swing.
fn swing(docs: &[SearchDoc], queries: &[JudgedQuery]) -> BenchResult<()> {
    let (mut before, _) = Tantivy::build("stadsmaat", Profile::Dutch, Thesaurus::shipped(), docs)?;
    let id = docs.iter().map(|d| d.id).max().unwrap_or(0) + 1;
    let mut with_probe = docs.to_vec();
    with_probe.push(SearchDoc {
        kind: DocKind::Project,
        currency: None,
        id,
        url: stadsmaat::projects::view::project_url(id),
        context: format!("Zwolle {}", Theme::Mobility.name()),
        title: PROBE_TITLE.to_owned(),
        body: PROBE_BODY.to_owned(),
        city: Some(CityRef {
            slug: "zwolle".to_owned(),
            name: "Zwolle".to_owned(),
        }),
        theme: Some("mobility".to_owned()),
        stage: Some("pilot".to_owned()),
        source_ref: Some(PROBE_REF.to_owned()),
    });
    let (mut after, _) = Tantivy::build(
        "stadsmaat",
        Profile::Dutch,
        Thesaurus::shipped(),
        &with_probe,
    )?;
    let texts = PROBE_QUERIES.iter().copied().chain(
        queries
            .iter()
            .map(|q| q.query.as_str())
            .filter(|q| !PROBE_QUERIES.contains(q)),
    );
    let mut table =
        Table::new(&["query", "probe rank", "entered besides the probe"]).text_columns(&[2]);
    let (mut asked, mut swung) = (0, 0);
    for text in texts {
        let old = before.ranking(text)?;
        let new = after.ranking(text)?;
        let entered: Vec<&str> = new
            .iter()
            .filter(|r| *r != PROBE_REF && !old.contains(r))
            .map(String::as_str)
            .collect();
        asked += 1;
        let rank = new.iter().position(|r| r == PROBE_REF);
        if !entered.is_empty() || PROBE_QUERIES.contains(&text) {
            swung += usize::from(!entered.is_empty());
            table.row(vec![
                text.to_owned(),
                rank.map_or("-".to_owned(), |r| (r + 1).to_string()),
                entered.join(" "),
            ]);
        }
    }
    heading(&format!(
        "Swing: one added parking pilot that mentions LoRaWAN; {swung} of {asked} queries' \
         top {TOP} gained another project than it"
    ));
    table.print();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Tables

fn score(x: f64) -> String {
    format!("{x:.3}")
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

// ---------------------------------------------------------------------------------------
// Report sections

fn relevance(docs: &[SearchDoc], queries: &[JudgedQuery]) -> BenchResult<Vec<Evaluation>> {
    // (name, profile, thesaurus, compound handling, feedback from the best hits)
    let systems: [(&'static str, Profile, Thesaurus, bool, bool); 5] = [
        (
            "stadsmaat",
            Profile::Dutch,
            Thesaurus::shipped(),
            true,
            true,
        ),
        (
            "no compound handling",
            Profile::Dutch,
            Thesaurus::shipped(),
            false,
            true,
        ),
        (
            "no feedback",
            Profile::Dutch,
            Thesaurus::shipped(),
            true,
            false,
        ),
        (
            "dutch, no thesaurus",
            Profile::Dutch,
            Thesaurus::default(),
            true,
            false,
        ),
        (
            "baseline",
            Profile::Baseline,
            Thesaurus::default(),
            false,
            false,
        ),
    ];
    let mut evaluations = Vec::new();
    for (name, profile, thesaurus, compounds, feedback) in systems {
        let (mut engine, _) = Tantivy::build(name, profile, thesaurus, docs)?;
        engine.search.compounds = compounds;
        engine.search.feedback = feedback;
        evaluations.push(evaluate(&mut engine, queries)?);
    }
    let (mut fts5, _) = Fts5::build(docs)?;
    evaluations.push(evaluate(&mut fts5, queries)?);
    Ok(evaluations)
}

fn print_relevance_summary(evaluations: &[Evaluation], queries: &[JudgedQuery]) {
    let count = |lang: &str| queries.iter().filter(|q| q.lang == lang).count();
    heading(&format!(
        "Relevance on the G40 corpus: mean over {} Dutch, {} English, {} queries; top {TOP} projects",
        count("nl"),
        count("en"),
        queries.len()
    ));
    println!(
        "nDCG@{TOP}: gain = grade (1..3), discount log2(rank + 1), ideal from the judged grades.\n\
         R@{TOP}: judged-relevant projects in the top {TOP} / min({TOP}, #judged-relevant).\n"
    );
    let mut table = Table::new(&[
        "system", "nDCG nl", "nDCG en", "nDCG all", "R@10 nl", "R@10 en", "R@10 all",
    ]);
    for evaluation in evaluations {
        table.row(language_row(evaluation, queries, score));
    }
    table.print();
}

/// A system's nDCG then recall for Dutch, English and all queries.
fn language_row(
    evaluation: &Evaluation,
    queries: &[JudgedQuery],
    format: fn(f64) -> String,
) -> Vec<String> {
    let means = evaluation.by_language(queries);
    let mut row = vec![evaluation.system.to_owned()];
    row.extend(means.iter().map(|m| format(m.ndcg)));
    row.extend(means.iter().map(|m| format(m.recall)));
    row
}

fn print_relevance_by_kind(evaluations: &[Evaluation], queries: &[JudgedQuery]) {
    let mut kinds: Vec<&str> = Vec::new();
    for query in queries {
        if !kinds.contains(&query.kind.as_str()) {
            kinds.push(&query.kind);
        }
    }
    print_kind_table("nDCG@10", evaluations, queries, &kinds, |m| m.ndcg);
    print_kind_table("R@10", evaluations, queries, &kinds, |m| m.recall);
}

/// One metric per query kind (rows) and system (columns).
fn print_kind_table(
    metric: &str,
    evaluations: &[Evaluation],
    queries: &[JudgedQuery],
    kinds: &[&str],
    value: fn(&Means) -> f64,
) {
    heading(&format!("{metric} per query kind"));
    let mut header = vec!["kind (queries)"];
    header.extend(evaluations.iter().map(|e| e.system));
    let mut table = Table::new(&header);
    for kind in kinds {
        let means: Vec<Means> = evaluations
            .iter()
            .map(|e| e.mean(queries, |q| q.kind == *kind))
            .collect();
        let count = means.first().map_or(0, |m| m.queries);
        let mut row = vec![format!("{kind} ({count})")];
        row.extend(means.iter().map(|m| score(value(m))));
        table.row(row);
    }
    table.print();
}

/// The stadsmaat queries with the lowest nDCG: what they returned and what they missed.
fn print_worst(evaluation: &Evaluation, queries: &[JudgedQuery]) {
    heading(&format!(
        "Worst {WORST_SHOWN} queries of \"{}\" by nDCG@10 (ref:grade, 0 = not judged relevant)",
        evaluation.system
    ));
    let mut ranked: Vec<(&JudgedQuery, &Scored)> = queries.iter().zip(&evaluation.scores).collect();
    ranked.sort_by(|a, b| a.1.ndcg.total_cmp(&b.1.ndcg));
    let mut table = Table::new(&["query", "kind", "nDCG", "R@10", "top 3", "missed grade 3"])
        .text_columns(&[1, 4, 5]);
    for (query, scored) in ranked.into_iter().take(WORST_SHOWN) {
        let top3: Vec<String> = scored
            .top
            .iter()
            .take(3)
            .map(|r| format!("{r}:{}", query.grade(r)))
            .collect();
        let mut missed: Vec<&str> = query
            .relevant
            .iter()
            .filter(|&(r, &g)| g == 3 && !scored.top.contains(r))
            .map(|(r, _)| r.as_str())
            .collect();
        missed.sort_by_key(|r| source_ref_order(r));
        table.row(vec![
            format!("{} {:?}", query.id, query.query),
            query.kind.clone(),
            score(scored.ndcg),
            score(scored.recall),
            top3.join(" "),
            missed.join(" "),
        ]);
    }
    table.print();
}

/// Sorts "2.10" after "2.9": a source_ref is city number '.' project number.
fn source_ref_order(source_ref: &str) -> Vec<u32> {
    source_ref
        .split('.')
        .map(|part| part.parse().unwrap_or(u32::MAX))
        .collect()
}

/// Builds, sizes and times Stadsmaat and FTS5 on one corpus.
fn performance(
    corpus: &'static str,
    docs: &[SearchDoc],
    queries: &[JudgedQuery],
    rounds: usize,
) -> BenchResult<Vec<Performance>> {
    let projects = docs.iter().filter(|d| d.kind == DocKind::Project).count();
    let stadsmaat = measure(
        corpus,
        docs.len(),
        queries,
        rounds,
        || Tantivy::build("stadsmaat", Profile::Dutch, Thesaurus::shipped(), docs),
        |engine| {
            drop(engine);
            Tantivy::disk_size(Profile::Dutch, docs)
        },
    )?;
    let fts5 = measure(
        corpus,
        projects,
        queries,
        rounds,
        || Fts5::build(docs),
        |mut fts5| fts5.size(),
    )?;
    Ok(vec![stadsmaat, fts5])
}

/// One system's phase: build, queries, then its index size (outside the memory window).
fn measure<E: Engine>(
    corpus: &'static str,
    docs: usize,
    queries: &[JudgedQuery],
    rounds: usize,
    build: impl FnOnce() -> BenchResult<(E, Duration)>,
    size: impl FnOnce(E) -> BenchResult<u64>,
) -> BenchResult<Performance> {
    Memory::reset_peak();
    let before = Memory::read();
    let (mut engine, build) = build()?;
    let latency = Latency::measure(&mut engine, queries, rounds)?;
    let after = Memory::read();
    Ok(Performance {
        corpus,
        system: engine.name(),
        docs,
        build,
        latency,
        before,
        after,
        size_bytes: size(engine)?,
    })
}

fn print_performance(rows: &[Performance], queries: usize, rounds: usize) {
    let Some(first) = rows.first() else { return };
    heading(&format!(
        "Performance on {}: {queries} queries × {rounds} rounds, one thread",
        first.corpus
    ));
    let mut table = Table::new(&[
        "system",
        "docs",
        "build s",
        "size MB",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "q/s",
        "RSS before MB",
        "peak RSS MB",
    ]);
    for row in rows {
        table.row(vec![
            row.system.to_owned(),
            row.docs.to_string(),
            format!("{:.2}", row.build.as_secs_f64()),
            mb(row.size_bytes),
            ms(row.latency.percentile(50.0)),
            ms(row.latency.percentile(90.0)),
            ms(row.latency.percentile(99.0)),
            ms(row.latency.max()),
            format!("{:.0}", row.latency.queries_per_second()),
            mb(row.before.current_kb * 1024),
            mb(row.after.peak_kb * 1024),
        ]);
    }
    table.print();
}

fn print_performance_notes() {
    println!(
        "Performance notes: a stadsmaat query is the whole search of the search page (facet \
         counts, snippets, suggestions, type=project; on G40 the index also holds the 40 \
         cities); an FTS5 query returns the ten references only. Size: on-disk equivalent. \
         RSS before: resident size as the phase starts (the bench's corpus and what the \
         allocator kept from earlier phases); peak RSS: VmHWM over build and queries.\n"
    );
}

/// The queries slowest for the first system, with every system's median.
fn print_slowest(rows: &[Performance], queries: &[JudgedQuery]) {
    let Some(first) = rows.first() else { return };
    heading(&format!(
        "Slowest {SLOWEST_SHOWN} queries of \"{}\" on {} (median ms)",
        first.system, first.corpus
    ));
    let mut order: Vec<usize> = (0..queries.len()).collect();
    order.sort_by_key(|&q| std::cmp::Reverse(first.latency.medians.get(q).copied()));
    let mut header = vec!["query"];
    header.extend(rows.iter().map(|r| r.system));
    let mut table = Table::new(&header);
    for q in order.into_iter().take(SLOWEST_SHOWN) {
        let mut row = vec![format!("{} {:?}", queries[q].id, queries[q].query)];
        row.extend(rows.iter().map(|r| {
            r.latency
                .medians
                .get(q)
                .copied()
                .map(ms)
                .unwrap_or_default()
        }));
        table.row(row);
    }
    table.print();
}

fn print_readme(evaluations: &[Evaluation], queries: &[JudgedQuery], performance: &[Performance]) {
    heading("README table");
    let mut table = Table::new(&[
        "system",
        "nDCG@10 nl",
        "nDCG@10 en",
        "nDCG@10 all",
        "R@10 nl",
        "R@10 en",
        "R@10 all",
    ]);
    for evaluation in evaluations {
        table.row(language_row(evaluation, queries, |x| format!("{x:.2}")));
    }
    table.print();
    let mut table = Table::new(&[
        "corpus",
        "system",
        "build",
        "index size",
        "p50",
        "p99",
        "queries/s",
    ])
    .text_columns(&[1]);
    for row in performance {
        table.row(vec![
            format!("{} ({} docs)", row.corpus, row.docs),
            row.system.to_owned(),
            format!("{:.2} s", row.build.as_secs_f64()),
            format!("{} MB", mb(row.size_bytes)),
            format!("{} ms", ms(row.latency.percentile(50.0))),
            format!("{} ms", ms(row.latency.percentile(99.0))),
            format!("{:.0}", row.latency.queries_per_second()),
        ]);
    }
    table.print();
}

fn main() -> BenchResult<()> {
    let started = Instant::now();
    let inventory = Inventory::parse(SHIPPED_JSON)?;
    let queries = load_judgments()?;
    let g40 = g40_docs(&inventory)?;
    println!("# Stadsmaat search benchmark");
    println!(
        "\nG40 corpus: {} projects + {} cities; {} judged queries. Peak RSS reset per phase: {}.\n",
        inventory.projects.len(),
        inventory.cities.len(),
        queries.len(),
        if Memory::reset_peak() {
            "yes"
        } else {
            "no (cumulative)"
        }
    );

    let evaluations = relevance(&g40, &queries)?;
    print_relevance_summary(&evaluations, &queries);
    print_relevance_by_kind(&evaluations, &queries);
    if let Some(stadsmaat) = evaluations.first() {
        print_worst(stadsmaat, &queries);
    }
    swing(&g40, &queries)?;
    println!("After relevance: {}.\n", Memory::read().describe());
    if std::env::var("STADSMAAT_BENCH").as_deref() == Ok("relevance") {
        return Ok(());
    }

    print_performance_notes();
    let mut performances = performance("G40", &g40, &queries, G40_ROUNDS)?;
    print_performance(&performances, queries.len(), G40_ROUNDS);

    Memory::reset_peak();
    let generating = Instant::now();
    let synthetic = synthetic_docs(&inventory, SYNTHETIC_PROJECTS, SEED)?;
    println!(
        "Synthetic corpus: {} projects generated in {:.2} s; {}.\n",
        synthetic.len(),
        generating.elapsed().as_secs_f64(),
        Memory::read().describe()
    );
    let synthetic_rows = performance("synthetic", &synthetic, &queries, SYNTHETIC_ROUNDS)?;
    print_performance(&synthetic_rows, queries.len(), SYNTHETIC_ROUNDS);
    print_slowest(&synthetic_rows, &queries);
    performances.extend(synthetic_rows);

    print_readme(&evaluations, &queries, &performances);
    println!("Total run time {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

impl Memory {
    fn describe(self) -> String {
        format!(
            "peak RSS {} MB, RSS now {} MB",
            mb(self.peak_kb * 1024),
            mb(self.current_kb * 1024)
        )
    }
}
