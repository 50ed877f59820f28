//! The matchmaking benchmark: how well Stadsmaat finds comparable pilots and partner
//! cities, next to a plain baseline, and how fast the network is computed at scale. Run
//! it with `cargo bench --bench matchmaking` (`STADSMAAT_BENCH=quality` stops after the
//! quality part; `STADSMAAT_BENCH_DEBUG` prints the worst projects to stderr).
//!
//! **Quality.** The G40 inventory is loaded into the network exactly as the server
//! loads its database (project ids = inventory position + 1). Ground truth is
//! `data/eval/similar-pairs.tsv` (660 judged pairs of comparable projects in different
//! cities) and `data/eval/partner-cities.tsv` (cities sharing at least two solution
//! groups), both described in `data/eval/README-similar.md`.
//! - hit@5: of a project's top 5 suggestions, how many are true comparable pilots,
//!   divided by min(5, number of true ones); averaged over projects that have any.
//! - MRR: 1 / rank of the first true comparable pilot (0 if none in the top 20).
//! - partner precision@5: share of a city's top 5 partner cities that are true partners,
//!   averaged over cities that have any. Several cities have fewer than 5 true partners,
//!   so its ceiling is the mean of min(5, true partners) / 5, printed as well; "P@5 norm"
//!   divides by min(5, true partners) instead (as hit@5 does), ceiling 1. A line below
//!   the table gives plain P@5 over only the cities with at least 5 true partners.
//!
//! **Members' judgments.** With `STADSMAAT_BENCH_JUDGMENTS=FILE` (what `stadsmaat
//! judgments` writes: `a`, `b`, verdict `yes`/`no`/`disputed`, answers) the same systems
//! are also measured on the pairs the cities judged, in a section of its own, beside
//! (never mixed into) the own ground truth: hit@5 over the projects with a pair judged
//! comparable (judged-yes suggestions in the top 5 / min(5, judged-yes)), and precision@5
//! over judged suggestions (of the top-5 suggestions that carry a verdict, the share
//! judged comparable). Pairs are directed (the project whose page it was, the
//! suggestion); disputed pairs and projects the inventory lacks (`id:N`, made on the
//! platform) are left out and counted. The network is measured as it computes, without
//! the answers applied: they would grade themselves.
//!
//! The baseline is BM25 more-like-this over raw title + description (an in-RAM tantivy
//! index, tantivy's "default" tokenizer, no Dutch analysis, no thesaurus; name-only
//! projects keep the text as given). A project's query is the Should-disjunction of its
//! own 25 highest tf-idf words (tf in title + description × ln(N / df), df from the
//! index); hits of its own city are dropped and the best 20 kept. A city's partners are
//! ranked by the sum, over its projects, of the best baseline score of any project of
//! the other city among that project's 20.
//!
//! **Scale** (skipped with `STADSMAAT_BENCH=quality`). Synthetic networks of 100
//! projects per city (deterministic xorshift seed): every synthetic city has a made-up
//! name and the programme list of a random G40 city; each of its projects is a random
//! inventory project with the real city's name replaced by the synthetic one and its
//! description varied a little (a sentence dropped, sentence order shuffled). The target
//! is 4,000 cities / 400,000 projects, measured after 100, 200 and 400 cities so the
//! growth shows. Each size runs in a child process (this binary with
//! `STADSMAAT_BENCH=scale-child`), so its peak RSS is its own: `Network::build`
//! (everything: features, candidates, similar lists, partners) with its peak RSS (VmHWM,
//! reset before; it includes the generated inputs), 20 new projects `upsert`ed one after
//! the other, then every partner list recomputed (`Network::update_cities`), which times
//! the partner phase on its own and shows which lists the upserts left stale. The parent
//! stops a child past 3 GB RSS or the bench's ~5-minute budget and prints that it did,
//! with the RSS seen meanwhile. For contrast: the full build on G40.
//! `STADSMAAT_BENCH_CITIES=n` measures n synthetic cities only (said so in the output),
//! for profiling.

mod support;
use support::{heading, sentences, Memory, Table, XorShift};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::{doc, Index, IndexWriter, Term};

use stadsmaat::inventory::{Inventory, SHIPPED_JSON};
use stadsmaat::matchmaking::{CityInput, Network, ProjectInput, SolutionLink};
use stadsmaat::search::thesaurus::Thesaurus;
use stadsmaat::solutions::catalogue::{self, Linker};
use stadsmaat::web::i18n::Bilingual;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Suggestions kept per project, as the network keeps them.
const KEEP: usize = 20;
/// Words of the baseline's more-like-this query.
const QUERY_WORDS: usize = 25;
const SYNTHETIC_CITIES: usize = 4_000;
const PROJECTS_PER_CITY: usize = 100;
const UPSERTS: usize = 20;
/// Smaller synthetic networks measured first (cities), to show how cost grows.
const LADDER: [usize; 3] = [100, 200, 400];
/// The whole bench should stay within about five minutes on two shared cores.
const BUDGET: Duration = Duration::from_secs(290);
/// A scale run gets at least this long, budget or not.
const MIN_DEADLINE: Duration = Duration::from_secs(30);
/// A scale run is stopped past this resident size (kB).
const RSS_LIMIT_KB: u64 = 3 * 1024 * 1024;
const G40_BUILDS: usize = 5;
const SEED: u64 = 0x5eed_6a40_2020;

/// A system under evaluation: similar projects (by inventory index) and partner cities.
trait Matcher {
    fn name(&self) -> &str;
    fn similar(&self, project: usize, limit: usize) -> Vec<usize>;
    fn partners(&self, city: &str, limit: usize) -> Vec<String>;
}

struct Corpus {
    inventory: Inventory,
    city_ids: HashMap<String, i32>,
}

impl Corpus {
    fn load() -> BenchResult<Self> {
        let inventory = Inventory::parse(SHIPPED_JSON)?;
        let city_ids = inventory
            .cities
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.clone(), i as i32 + 1))
            .collect();
        Ok(Corpus {
            inventory,
            city_ids,
        })
    }

    /// Inventory index by report number (`source_ref`), as the judged files name projects.
    fn index_by_ref(&self) -> HashMap<&str, usize> {
        self.inventory
            .projects
            .iter()
            .enumerate()
            .map(|(i, p)| (p.source_ref.as_str(), i))
            .collect()
    }

    fn city_inputs(&self) -> Vec<CityInput> {
        self.inventory
            .cities
            .iter()
            .map(|c| CityInput {
                id: self.city_ids[&c.slug],
                name: c.name.clone(),
                programmes: c.programmes.clone(),
            })
            .collect()
    }

    fn project_inputs(&self) -> Vec<ProjectInput> {
        self.inventory
            .projects
            .iter()
            .enumerate()
            .map(|(i, p)| {
                ProjectInput::new(
                    i as i32 + 1,
                    self.city_ids[&p.city],
                    p.theme.parse().ok(),
                    p.stage.parse().ok(),
                    p.title.clone(),
                    p.description.clone(),
                    &p.description_origin,
                )
            })
            .collect()
    }

    /// The solutions the shipped catalogue's linker suggests for each project (by
    /// inventory index), with their confidence — what a fresh install starts with,
    /// before any city confirms or rejects one.
    fn suggested_solutions(&self) -> Vec<Vec<(String, f64)>> {
        let entries = catalogue::parse(catalogue::SHIPPED);
        let linker = Linker::new(
            entries
                .iter()
                .map(|e| (e.slug.as_str(), e.terms.as_str(), e.setting)),
            &Thesaurus::shipped(),
        );
        self.inventory
            .projects
            .iter()
            .map(|p| {
                if p.description_origin == "name_only" {
                    linker.suggest_from_name(&p.title)
                } else {
                    linker.suggest(&p.title, &p.description)
                }
            })
            .collect()
    }

    /// The projects as the server feeds them to the network: with the solutions that
    /// count (suggested with at least `COUNTS_FROM` confidence).
    fn project_inputs_with_solutions(&self) -> Vec<ProjectInput> {
        let names: HashMap<String, Bilingual> = catalogue::parse(catalogue::SHIPPED)
            .into_iter()
            .map(|e| {
                (
                    e.slug,
                    Bilingual {
                        nl: e.name,
                        en: e.name_en,
                    },
                )
            })
            .collect();
        self.project_inputs()
            .into_iter()
            .zip(self.suggested_solutions())
            .map(|(input, found)| {
                let links = found
                    .into_iter()
                    .filter(|(_, confidence)| *confidence >= catalogue::COUNTS_FROM)
                    .filter_map(|(slug, confidence)| {
                        Some(SolutionLink {
                            name: names.get(&slug)?.clone(),
                            slug,
                            weight: confidence as f32,
                        })
                    })
                    .collect();
                input.with_solutions(links)
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// The systems

struct Stadsmaat {
    name: &'static str,
    network: Network,
    slugs: HashMap<i32, String>,
    city_ids: HashMap<String, i32>,
}

impl Matcher for Stadsmaat {
    fn name(&self) -> &str {
        self.name
    }

    fn similar(&self, project: usize, limit: usize) -> Vec<usize> {
        self.network
            .similar(project as i32 + 1, limit)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.project_id as usize - 1)
            .collect()
    }

    fn partners(&self, city: &str, limit: usize) -> Vec<String> {
        self.network
            .partner_scores(self.city_ids[city], limit)
            .filter_map(|(id, _)| self.slugs.get(&id).cloned())
            .collect()
    }
}

/// Stadsmaat as a fresh install runs it (with the suggested solutions), or on the
/// projects' words alone (`with_solutions` false) to show what solutions add.
fn stadsmaat(corpus: &Corpus, with_solutions: bool) -> Stadsmaat {
    let projects = if with_solutions {
        corpus.project_inputs_with_solutions()
    } else {
        corpus.project_inputs()
    };
    let network = Network::build(
        Arc::new(Thesaurus::shipped()),
        corpus.city_inputs(),
        projects,
    );
    Stadsmaat {
        name: if with_solutions {
            "stadsmaat"
        } else {
            "stadsmaat without solutions"
        },
        network,
        slugs: corpus
            .city_ids
            .iter()
            .map(|(s, &id)| (id, s.clone()))
            .collect(),
        city_ids: corpus.city_ids.clone(),
    }
}

/// BM25 more-like-this over raw text, and partner cities as sums of best matches.
struct Baseline {
    /// Project index → (other project, BM25 score), best first, other cities only.
    similar: Vec<Vec<(usize, f32)>>,
    /// City slug → other cities, best first.
    partners: HashMap<String, Vec<String>>,
}

impl Baseline {
    fn build(corpus: &Corpus) -> BenchResult<Self> {
        let projects = &corpus.inventory.projects;
        let mut schema = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqs);
        let text = schema.add_text_field(
            "text",
            TextOptions::default().set_indexing_options(indexing),
        );
        let position = schema.add_u64_field("project", FAST);
        let index = Index::create_in_ram(schema.build());
        // One thread: one segment, documents in inventory order.
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
        let texts: Vec<String> = projects
            .iter()
            .map(|p| format!("{}\n{}", p.title, p.description))
            .collect();
        for (i, t) in texts.iter().enumerate() {
            writer.add_document(doc!(text => t.as_str(), position => i as u64))?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let mut project_at: Vec<Vec<usize>> = Vec::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("project")?;
            project_at.push(
                (0..segment.max_doc())
                    .map(|d| column.first(d).unwrap_or(u64::MAX) as usize)
                    .collect(),
            );
        }
        let mut analyzer = index
            .tokenizers()
            .get("default")
            .ok_or("tantivy has no default tokenizer")?;
        let documents = searcher.num_docs() as f64;
        let mut city_size: HashMap<&str, usize> = HashMap::new();
        for p in projects {
            *city_size.entry(p.city.as_str()).or_default() += 1;
        }
        let mut similar = Vec::with_capacity(projects.len());
        for (i, project) in projects.iter().enumerate() {
            let mut tf: BTreeMap<String, u32> = BTreeMap::new();
            let mut stream = analyzer.token_stream(&texts[i]);
            while stream.advance() {
                *tf.entry(stream.token().text.clone()).or_default() += 1;
            }
            let mut words: Vec<(f64, String)> = Vec::with_capacity(tf.len());
            for (word, count) in tf {
                let df = searcher
                    .doc_freq(&Term::from_field_text(text, &word))?
                    .max(1);
                words.push((f64::from(count) * (documents / df as f64).ln(), word));
            }
            words.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            let clauses: Vec<(Occur, Box<dyn Query>)> = words
                .into_iter()
                .take(QUERY_WORDS)
                .map(|(_, word)| {
                    let term = Term::from_field_text(text, &word);
                    let query: Box<dyn Query> =
                        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                    (Occur::Should, query)
                })
                .collect();
            if clauses.is_empty() {
                similar.push(Vec::new());
                continue;
            }
            // Enough hits that KEEP remain once the own city's projects are dropped.
            let limit = KEEP + city_size[project.city.as_str()];
            let hits = searcher.search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(limit).order_by_score(),
            )?;
            let mut found: Vec<(usize, f32)> = hits
                .into_iter()
                .map(|(score, address)| {
                    let at = project_at[address.segment_ord as usize][address.doc_id as usize];
                    (at, score)
                })
                .filter(|&(other, _)| projects.get(other).is_some_and(|o| o.city != project.city))
                .collect();
            found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            found.truncate(KEEP);
            similar.push(found);
        }
        let mut projects_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in projects.iter().enumerate() {
            projects_of.entry(p.city.as_str()).or_default().push(i);
        }
        let mut partners = HashMap::new();
        for city in &corpus.inventory.cities {
            let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
            for &a in projects_of.get(city.slug.as_str()).into_iter().flatten() {
                let mut best: BTreeMap<&str, f32> = BTreeMap::new();
                for &(b, score) in &similar[a] {
                    let slot = best.entry(projects[b].city.as_str()).or_insert(0.0);
                    *slot = slot.max(score);
                }
                for (other, score) in best {
                    *sums.entry(other).or_default() += f64::from(score);
                }
            }
            let mut ranked: Vec<(&str, f64)> = sums.into_iter().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            partners.insert(
                city.slug.clone(),
                ranked.into_iter().map(|(c, _)| c.to_owned()).collect(),
            );
        }
        Ok(Baseline { similar, partners })
    }
}

impl Matcher for Baseline {
    fn name(&self) -> &str {
        "baseline (BM25 more-like-this)"
    }

    fn similar(&self, project: usize, limit: usize) -> Vec<usize> {
        self.similar
            .get(project)
            .map(|s| s.iter().take(limit).map(|&(p, _)| p).collect())
            .unwrap_or_default()
    }

    fn partners(&self, city: &str, limit: usize) -> Vec<String> {
        self.partners
            .get(city)
            .map(|p| p.iter().take(limit).cloned().collect())
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// Ground truth and quality

struct Truth {
    /// Project index → indexes of its true comparable projects.
    similar: HashMap<usize, HashSet<usize>>,
    partners: BTreeMap<String, HashSet<String>>,
}

impl Truth {
    /// The best partner P@5 any system can reach: mean of min(5, true partners) / 5.
    fn partner_ceiling(&self) -> f64 {
        let sum: f64 = self
            .partners
            .values()
            .map(|p| p.len().min(5) as f64 / 5.0)
            .sum();
        sum / self.partners.len().max(1) as f64
    }
}

fn load_truth(corpus: &Corpus) -> BenchResult<Truth> {
    let index = corpus.index_by_ref();
    let mut similar: HashMap<usize, HashSet<usize>> = HashMap::new();
    let pairs = std::fs::read_to_string("data/eval/similar-pairs.tsv")?;
    for line in pairs.lines().skip(1) {
        let mut fields = line.split('\t');
        let (Some(a), Some(b)) = (fields.next(), fields.next()) else {
            continue;
        };
        let (a, b) = (index[a], index[b]);
        similar.entry(a).or_default().insert(b);
        similar.entry(b).or_default().insert(a);
    }
    let mut partners: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let cities = std::fs::read_to_string("data/eval/partner-cities.tsv")?;
    for line in cities.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let mut fields = line.split('\t');
        let (Some(a), Some(b)) = (fields.next(), fields.next()) else {
            continue;
        };
        partners.entry(a.into()).or_default().insert(b.into());
    }
    Ok(Truth { similar, partners })
}

struct Quality {
    system: String,
    hit5: f64,
    mrr: f64,
    /// True partners in the top 5, divided by 5.
    partner_p5: f64,
    /// True partners in the top 5, divided by min(5, true partners).
    partner_p5_norm: f64,
    /// Partner P@5 over the cities with at least five true partners only, where a perfect
    /// system reaches 1.
    partner_p5_full: f64,
    worst_cities: Vec<(String, f64)>,
}

fn evaluate(matcher: &dyn Matcher, truth: &Truth) -> Quality {
    let (mut hit_sum, mut rr_sum) = (0.0, 0.0);
    for (&project, relevant) in &truth.similar {
        let top = matcher.similar(project, 20);
        let hits = top.iter().take(5).filter(|p| relevant.contains(p)).count();
        hit_sum += hits as f64 / relevant.len().min(5) as f64;
        if let Some(rank) = top.iter().position(|p| relevant.contains(p)) {
            rr_sum += 1.0 / (rank + 1) as f64;
        }
    }
    if std::env::var("STADSMAAT_BENCH_DEBUG").is_ok() {
        eprintln!("== {}: worst projects by hit@5", matcher.name());
        let mut worst: Vec<(usize, f64)> = truth
            .similar
            .iter()
            .map(|(&p, rel)| {
                let top = matcher.similar(p, 5);
                let hits = top.iter().filter(|x| rel.contains(x)).count();
                (p, hits as f64 / rel.len().min(5) as f64)
            })
            .collect();
        worst.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        for (p, h) in worst.iter().take(60) {
            let top = matcher.similar(*p, 5);
            eprintln!("{p} hit {h:.2} top {:?} truth {:?}", top, truth.similar[p]);
        }
    }
    let n = truth.similar.len() as f64;
    let (mut p5_sum, mut norm_sum) = (0.0, 0.0);
    let mut per_city = Vec::new();
    let (mut full_sum, mut full_cities) = (0.0, 0);
    for (city, partners) in &truth.partners {
        let top = matcher.partners(city, 5);
        let hits = top.iter().filter(|c| partners.contains(*c)).count() as f64;
        p5_sum += hits / 5.0;
        norm_sum += hits / partners.len().min(5) as f64;
        if partners.len() >= 5 {
            full_sum += hits / 5.0;
            full_cities += 1;
        }
        per_city.push((city.clone(), hits / 5.0));
    }
    per_city.sort_by(|a, b| a.1.total_cmp(&b.1));
    per_city.truncate(6);
    let cities = truth.partners.len() as f64;
    Quality {
        system: matcher.name().to_owned(),
        hit5: hit_sum / n,
        mrr: rr_sum / n,
        partner_p5: p5_sum / cities,
        partner_p5_norm: norm_sum / cities,
        partner_p5_full: full_sum / f64::from(full_cities.max(1)),
        worst_cities: per_city,
    }
}

// ---------------------------------------------------------------------------------------
// The members' judgments

/// Judged pairs, by the inventory index of the project whose suggestion was judged.
#[derive(Default)]
struct Judgments {
    yes: HashMap<usize, HashSet<usize>>,
    no: HashMap<usize, HashSet<usize>>,
    pairs: usize,
    disputed: usize,
    /// Pairs naming a project the inventory lacks.
    skipped: usize,
}

fn load_judgments(corpus: &Corpus, path: &str) -> BenchResult<Judgments> {
    let index = corpus.index_by_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("STADSMAAT_BENCH_JUDGMENTS={path}: {e}"))?;
    let mut judgments = Judgments::default();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [a, b, verdict, ..] = fields[..] else {
            return Err(format!("{path}: not a judged pair: {line:?}").into());
        };
        judgments.pairs += 1;
        let (Some(&a), Some(&b)) = (index.get(a), index.get(b)) else {
            judgments.skipped += 1;
            continue;
        };
        match verdict {
            "yes" => judgments.yes.entry(a).or_default().insert(b),
            "no" => judgments.no.entry(a).or_default().insert(b),
            "disputed" => {
                judgments.disputed += 1;
                continue;
            }
            other => return Err(format!("{path}: unknown verdict {other:?}").into()),
        };
    }
    Ok(judgments)
}

struct JudgedQuality {
    system: String,
    hit5: f64,
    precision5: f64,
    /// Judged suggestions among the top 5 of the judged projects: what precision
    /// rests on.
    judged_in_top5: usize,
}

fn evaluate_judged(matcher: &dyn Matcher, judgments: &Judgments) -> JudgedQuality {
    let mut hit_sum = 0.0;
    for (&project, yes) in &judgments.yes {
        let top = matcher.similar(project, 5);
        let hits = top.iter().filter(|p| yes.contains(p)).count();
        hit_sum += hits as f64 / yes.len().min(5) as f64;
    }
    let projects: HashSet<usize> = judgments
        .yes
        .keys()
        .chain(judgments.no.keys())
        .copied()
        .collect();
    let (mut judged, mut right) = (0, 0);
    for project in projects {
        for suggestion in matcher.similar(project, 5) {
            if judgments
                .yes
                .get(&project)
                .is_some_and(|y| y.contains(&suggestion))
            {
                judged += 1;
                right += 1;
            } else if judgments
                .no
                .get(&project)
                .is_some_and(|n| n.contains(&suggestion))
            {
                judged += 1;
            }
        }
    }
    JudgedQuality {
        system: matcher.name().to_owned(),
        hit5: hit_sum / judgments.yes.len().max(1) as f64,
        precision5: f64::from(right) / f64::from(judged.max(1)),
        judged_in_top5: judged as usize,
    }
}

fn print_judged(path: &str, systems: &[&dyn Matcher], judgments: &Judgments) {
    heading("Quality on the members' judgments");
    let yes: usize = judgments.yes.values().map(HashSet::len).sum();
    let no: usize = judgments.no.values().map(HashSet::len).sum();
    println!(
        "{path}: {} judged pairs — {yes} comparable, {no} not, {} disputed (left out), {} \
         naming a project the inventory lacks (left out). hit@5 over the {} projects with a \
         pair judged comparable; precision@5 over the judged suggestions in the top 5.\n",
        judgments.pairs,
        judgments.disputed,
        judgments.skipped,
        judgments.yes.len()
    );
    let mut table = Table::new(&[
        "system",
        "hit@5 (judged)",
        "precision@5 (judged)",
        "judged in top 5",
    ]);
    for system in systems {
        let q = evaluate_judged(*system, judgments);
        table.row(vec![
            q.system,
            format!("{:.3}", q.hit5),
            format!("{:.3}", q.precision5),
            q.judged_in_top5.to_string(),
        ]);
    }
    table.print();
    println!();
}

// ---------------------------------------------------------------------------------------
// Synthetic network

/// A made-up, Dutch-sounding city name, unique for n < 4,000 (a number is added beyond).
fn city_name(n: usize) -> String {
    const HEADS: [&str; 20] = [
        "Ber", "Dal", "Eem", "Gor", "Har", "Kol", "Lin", "Mor", "Nor", "Ost", "Ren", "Sas", "Tel",
        "Ulf", "Vel", "Wes", "Zan", "Bro", "Dre", "Hul",
    ];
    const MIDDLES: [&str; 20] = [
        "ke", "de", "ne", "ve", "lo", "ma", "ri", "te", "se", "wi", "ga", "bo", "ku", "da", "mi",
        "no", "pe", "ra", "so", "tu",
    ];
    const TAILS: [&str; 10] = [
        "dam", "dorp", "veen", "wijk", "hoven", "rode", "lo", "meer", "burg", "zijl",
    ];
    let name = format!(
        "{}{}{}",
        HEADS[n % 20],
        MIDDLES[n / 20 % 20],
        TAILS[n / 400 % 10]
    );
    if n < 4_000 {
        name
    } else {
        format!("{name} {}", n / 4_000 + 1)
    }
}

struct Synthetic {
    cities: Vec<CityInput>,
    projects: Vec<ProjectInput>,
    /// New projects for the upserts, ids after the last project.
    new_projects: Vec<ProjectInput>,
}

struct Generator<'a> {
    corpus: &'a Corpus,
    real_names: HashMap<&'a str, &'a str>,
    rng: XorShift,
}

impl<'a> Generator<'a> {
    fn new(corpus: &'a Corpus, seed: u64) -> Self {
        let real_names = corpus
            .inventory
            .cities
            .iter()
            .map(|c| (c.slug.as_str(), c.name.as_str()))
            .collect();
        Generator {
            corpus,
            real_names,
            rng: XorShift::new(seed),
        }
    }

    /// A random inventory project moved to `city`: its city's name replaced, one sentence
    /// of the description dropped (half the time) and the order shuffled (half the time).
    fn project(&mut self, id: i32, city: &CityInput) -> ProjectInput {
        let projects = &self.corpus.inventory.projects;
        let base = &projects[self.rng.below(projects.len())];
        let real = self
            .real_names
            .get(base.city.as_str())
            .copied()
            .unwrap_or("");
        let rename = |text: &str| {
            if real.is_empty() {
                text.to_owned()
            } else {
                text.replace(real, &city.name)
            }
        };
        let mut description = rename(&base.description);
        if base.description_origin != "name_only" {
            let mut parts = sentences(&description);
            if parts.len() >= 2 && self.rng.below(2) == 0 {
                parts.remove(self.rng.below(parts.len()));
            }
            if parts.len() >= 2 && self.rng.below(2) == 0 {
                for i in (1..parts.len()).rev() {
                    parts.swap(i, self.rng.below(i + 1));
                }
            }
            description = parts.join(" ");
        }
        ProjectInput::new(
            id,
            city.id,
            base.theme.parse().ok(),
            base.stage.parse().ok(),
            rename(&base.title),
            description,
            &base.description_origin,
        )
    }

    fn network(&mut self, cities: usize, per_city: usize, new: usize) -> Synthetic {
        let real = &self.corpus.inventory.cities;
        let cities: Vec<CityInput> = (0..cities)
            .map(|n| CityInput {
                id: n as i32 + 1,
                name: city_name(n),
                programmes: real[self.rng.below(real.len())].programmes.clone(),
            })
            .collect();
        let mut projects = Vec::with_capacity(cities.len() * per_city);
        for city in &cities {
            for _ in 0..per_city {
                let id = projects.len() as i32 + 1;
                projects.push(self.project(id, city));
            }
        }
        let new_projects = (0..new)
            .map(|k| {
                let city = &cities[self.rng.below(cities.len())];
                self.project((projects.len() + k) as i32 + 1, city)
            })
            .collect();
        Synthetic {
            cities,
            projects,
            new_projects,
        }
    }
}

/// One scale run, measured in a child process: its own peak RSS, and time and memory
/// limits the parent enforces by stopping it.
#[derive(Default)]
struct ScaleRun {
    cities: usize,
    projects: usize,
    generate: Option<Duration>,
    /// `Network::build`: time, peak RSS (VmHWM, kB) and RSS before it (kB).
    build: Option<(Duration, u64, u64)>,
    /// Each upsert's time and the number of cities whose partners it recomputed.
    upserts: Vec<(Duration, usize)>,
    /// Recomputing every partner list afterwards (`Network::update_cities`).
    partners: Option<Duration>,
    /// CPU time of the build and of the partner lists: what growth is computed from, as
    /// other load on the machine does not inflate it.
    cpu: Option<(Duration, Duration)>,
    /// Cities whose partner lists that recomputation changed: any change, top 5 changed.
    stale: Option<(usize, usize)>,
    /// Why the parent stopped the run.
    stopped: Option<String>,
    /// Largest RSS the parent saw (kB).
    max_rss_kb: u64,
    /// RSS (kB) the parent saw every ten seconds.
    timeline: Vec<(Duration, u64)>,
    wall: Duration,
}

impl ScaleRun {
    fn upsert_times(&self) -> Vec<Duration> {
        let mut times: Vec<Duration> = self.upserts.iter().map(|u| u.0).collect();
        times.sort_unstable();
        times
    }

    fn upsert_median(&self) -> Option<Duration> {
        let times = self.upsert_times();
        times.get(times.len().saturating_sub(1) / 2).copied()
    }

    fn upsert_max(&self) -> Option<Duration> {
        self.upsert_times().last().copied()
    }

    fn label(&self) -> String {
        format!(
            "{} cities, {} projects",
            thousands(self.cities),
            thousands(self.projects)
        )
    }
}

/// The child's side: generates the synthetic network, builds it, upserts the new
/// projects and recomputes all partner lists, printing each figure as soon as it has it
/// (the parent may stop it at any moment).
fn scale_child(corpus: &Corpus, cities: usize) -> BenchResult<()> {
    use std::io::Write;
    let mut out = std::io::stdout();
    let thesaurus = Arc::new(Thesaurus::shipped());
    let started = Instant::now();
    let synthetic = Generator::new(corpus, SEED).network(cities, PROJECTS_PER_CITY, UPSERTS);
    let city_inputs = synthetic.cities.clone();
    writeln!(
        out,
        "generated {} {} {}",
        synthetic.cities.len(),
        synthetic.projects.len(),
        started.elapsed().as_secs_f64()
    )?;
    out.flush()?;

    Memory::reset_peak();
    let before = Memory::read();
    let (started, cpu) = (Instant::now(), cpu_time());
    let mut network = Network::build(thesaurus, synthetic.cities, synthetic.projects);
    let (build, build_cpu) = (started.elapsed(), cpu_time().saturating_sub(cpu));
    let after = Memory::read();
    writeln!(
        out,
        "built {} {} {} {}",
        build.as_secs_f64(),
        after.peak_kb,
        before.current_kb,
        build_cpu.as_secs_f64()
    )?;
    out.flush()?;

    for project in synthetic.new_projects {
        let started = Instant::now();
        let refreshed = network.upsert(project);
        writeln!(
            out,
            "upsert {} {}",
            started.elapsed().as_secs_f64(),
            refreshed.len()
        )?;
        out.flush()?;
    }

    // Recomputing every partner list from the same state shows which ones the upserts
    // left stale.
    let partners_of = |network: &Network, city: i32| -> Vec<(i32, f32)> {
        network.partner_scores(city, usize::MAX).collect()
    };
    let before: Vec<(i32, Vec<(i32, f32)>)> = city_inputs
        .iter()
        .map(|c| (c.id, partners_of(&network, c.id)))
        .collect();
    let (started, cpu) = (Instant::now(), cpu_time());
    network.update_cities(city_inputs);
    writeln!(
        out,
        "partners {} {}",
        started.elapsed().as_secs_f64(),
        cpu_time().saturating_sub(cpu).as_secs_f64()
    )?;
    let (mut lists, mut top5) = (0, 0);
    for (city, old) in &before {
        let new = partners_of(&network, *city);
        let ids = |list: &[(i32, f32)]| list.iter().take(5).map(|p| p.0).collect::<Vec<_>>();
        let same = old.len() == new.len()
            && old
                .iter()
                .zip(&new)
                .all(|(a, b)| a.0 == b.0 && (a.1 - b.1).abs() < 1e-5);
        lists += usize::from(!same);
        top5 += usize::from(ids(old) != ids(&new));
    }
    writeln!(out, "stale {lists} {top5}")?;
    out.flush()?;
    Ok(())
}

/// CPU time of the calling thread so far (zero where the kernel does not tell).
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

/// Resident size of a process in kB (0 once it is gone).
fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs the scale part for `cities` synthetic cities in a child process (this bench
/// binary again), stopping it past `deadline` or `rss_limit_kb`.
fn run_scale(cities: usize, deadline: Duration, rss_limit_kb: u64) -> BenchResult<ScaleRun> {
    use std::process::{Command, Stdio};
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .env("STADSMAAT_BENCH", "scale-child")
        .env("STADSMAAT_BENCH_CITIES", cities.to_string())
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut max_rss_kb = 0;
    let mut timeline = Vec::new();
    let stopped = loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                return Err(format!("scale run with {cities} cities failed: {status}").into());
            }
            break None;
        }
        let rss = rss_of(pid);
        max_rss_kb = max_rss_kb.max(rss);
        let elapsed = started.elapsed();
        if elapsed.as_secs() >= 10 * (timeline.len() as u64 + 1) {
            timeline.push((elapsed, rss));
        }
        let reason = if rss > rss_limit_kb {
            Some(format!("RSS over the {} limit", mb(rss_limit_kb)))
        } else if elapsed > deadline {
            Some(format!("over the {} time limit", seconds(deadline)))
        } else {
            None
        };
        if let Some(reason) = reason {
            child.kill()?;
            child.wait()?;
            break Some(format!(
                "stopped after {} at RSS {}: {reason}",
                seconds(elapsed),
                mb(rss)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut output = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        std::io::Read::read_to_string(&mut stdout, &mut output)?;
    }
    let mut run = ScaleRun {
        cities,
        projects: cities * PROJECTS_PER_CITY,
        stopped,
        max_rss_kb,
        timeline,
        wall: started.elapsed(),
        ..ScaleRun::default()
    };
    let secs = |s: &str| -> BenchResult<Duration> { Ok(Duration::from_secs_f64(s.parse()?)) };
    for line in output.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["generated", c, p, t] => {
                run.cities = c.parse()?;
                run.projects = p.parse()?;
                run.generate = Some(secs(t)?);
            }
            ["built", t, peak, before, cpu] => {
                run.build = Some((secs(t)?, peak.parse()?, before.parse()?));
                run.cpu = Some((secs(cpu)?, Duration::ZERO));
            }
            ["upsert", t, refreshed] => run.upserts.push((secs(t)?, refreshed.parse()?)),
            ["partners", t, cpu] => {
                run.partners = Some(secs(t)?);
                if let Some((_, partners)) = run.cpu.as_mut() {
                    *partners = secs(cpu)?;
                }
            }
            ["stale", lists, top5] => run.stale = Some((lists.parse()?, top5.parse()?)),
            _ => {}
        }
    }
    Ok(run)
}

/// Median time of a full build on G40 (inputs prepared outside the timing).
fn g40_build(corpus: &Corpus) -> Duration {
    let thesaurus = Arc::new(Thesaurus::shipped());
    let (cities, projects) = (corpus.city_inputs(), corpus.project_inputs());
    let mut times: Vec<Duration> = (0..G40_BUILDS)
        .map(|_| {
            let (c, p) = (cities.clone(), projects.clone());
            let started = Instant::now();
            std::hint::black_box(Network::build(thesaurus.clone(), c, p));
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[G40_BUILDS / 2]
}

// ---------------------------------------------------------------------------------------
// Memory and tables

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

// ---------------------------------------------------------------------------------------
// Report

fn quality_table(qualities: &[Quality], truth: &Truth, digits: usize) -> Table {
    let mut table = Table::new(&["system", "hit@5", "MRR", "partner P@5", "partner P@5 norm"]);
    let f = |x: f64| format!("{x:.digits$}");
    for q in qualities {
        table.row(vec![
            q.system.clone(),
            f(q.hit5),
            f(q.mrr),
            f(q.partner_p5),
            f(q.partner_p5_norm),
        ]);
    }
    table.row(vec![
        "ceiling (perfect system)".into(),
        f(1.0),
        f(1.0),
        f(truth.partner_ceiling()),
        f(1.0),
    ]);
    table
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn scale_table(runs: &[ScaleRun], g40: Duration) -> Table {
    let mut table = Table::new(&[
        "network",
        "full build",
        "peak RSS",
        "per project",
        "upsert median",
        "upsert max",
        "all partner lists",
    ]);
    let dash = || "–".to_owned();
    for run in runs {
        let mut row = vec![run.label()];
        match run.build {
            Some((build, peak_kb, _)) => {
                row.push(seconds(build));
                row.push(mb(peak_kb));
                row.push(format!(
                    "{:.1} kB",
                    peak_kb as f64 / run.projects.max(1) as f64
                ));
            }
            None => {
                row.push(format!("> {} (stopped)", seconds(run.wall)));
                row.push(format!("> {}", mb(run.max_rss_kb)));
                row.push(dash());
            }
        }
        row.push(run.upsert_median().map_or_else(dash, ms));
        row.push(run.upsert_max().map_or_else(dash, ms));
        row.push(run.partners.map_or_else(dash, seconds));
        table.row(row);
    }
    table.row(vec![
        "G40: 40 cities, 434 projects".into(),
        ms(g40),
        dash(),
        dash(),
        dash(),
        dash(),
        dash(),
    ]);
    table
}

/// How the cost grows between consecutive complete runs, split into the partner lists
/// (timed on their own) and the rest of the build (features, postings, similar lists),
/// and where each growth rate would put the largest requested size.
fn print_growth(runs: &[ScaleRun]) {
    // (projects, rest of the build s, partner lists s, peak RSS kB)
    let complete: Vec<(usize, f64, f64, f64)> = runs
        .iter()
        .filter_map(|r| {
            let (_, peak, _) = r.build?;
            let (build, partners) = r.cpu.filter(|c| !c.1.is_zero())?;
            let partners = partners.as_secs_f64();
            let rest = (build.as_secs_f64() - partners).max(1e-3);
            Some((r.projects, rest, partners, peak as f64))
        })
        .collect();
    if complete.len() < 2 {
        return;
    }
    println!(
        "Growth with n projects, in CPU time (\"rest\" = full build minus the partner lists \
         timed on their own: features, postings, similar lists):\n"
    );
    let mut rates = (0.0, 0.0, 0.0);
    for pair in complete.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let n = (b.0 as f64 / a.0 as f64).ln();
        let rate = |x: f64, y: f64| (y / x).ln() / n;
        rates = (rate(a.1, b.1), rate(a.2, b.2), rate(a.3, b.3));
        println!(
            "- {} → {} projects: rest of the build ∝ n^{:.2}, partner lists ∝ n^{:.2}, peak RSS ∝ n^{:.2}",
            thousands(a.0),
            thousands(b.0),
            rates.0,
            rates.1,
            rates.2
        );
    }
    let target = runs.iter().map(|r| r.projects).max().unwrap_or(0);
    let last = complete[complete.len() - 1];
    if last.0 < target {
        let ratio = target as f64 / last.0 as f64;
        let (rest, partners) = (last.1 * ratio.powf(rates.0), last.2 * ratio.powf(rates.1));
        println!(
            "- rough extrapolation of the last step to {} projects: rest of the build ≈ {:.0} s \
             + partner lists ≈ {:.0} s = {:.0} min; peak RSS ≈ {}. Likely low: a project's \
             candidates still grow with n (up to 16 features × 400 postings), and each city \
             scores every city it has pairs with or shares a programme with (one city pair in \
             five here), counting each programme's holders over all cities.",
            thousands(target),
            rest,
            partners,
            (rest + partners) / 60.0,
            mb((last.3 * ratio.powf(rates.2)) as u64)
        );
    }
    println!();
}

/// Solution linking measured against the solution groups of `README-similar.md`
/// (members judged by reading), through `solution-groups.tsv` (which groups each
/// catalogue solution stands for): precision of the suggested links and recall of the
/// groups' members, at each confidence level the linker gives.
fn solution_linking(corpus: &Corpus) -> BenchResult<Table> {
    let eval = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eval");
    let readme = std::fs::read_to_string(eval.join("README-similar.md"))?;
    let mapping = std::fs::read_to_string(eval.join("solution-groups.tsv"))?;
    // group → member source_refs
    let mut groups: HashMap<String, HashSet<String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        if let Some(rest) = line.strip_prefix("### `") {
            current = rest.split('`').next().map(str::to_owned);
        } else if line.starts_with("## ") {
            current = None;
        } else if let (Some(group), Some(item)) = (&current, line.strip_prefix("- ")) {
            if let Some(source_ref) = item.split_whitespace().next() {
                groups
                    .entry(group.clone())
                    .or_default()
                    .insert(source_ref.to_owned());
            }
        }
    }
    let solution_groups: HashMap<String, Vec<String>> = mapping
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .filter_map(|l| {
            let (solution, groups) = l.split_once('\t')?;
            Some((
                solution.to_owned(),
                groups.split_whitespace().map(str::to_owned).collect(),
            ))
        })
        .collect();
    let suggested = corpus.suggested_solutions();
    let refs: Vec<&str> = corpus
        .inventory
        .projects
        .iter()
        .map(|p| p.source_ref.as_str())
        .collect();
    let mut table = Table::new(&["links from confidence", "links", "precision", "recall"]);
    for threshold in [
        catalogue::IN_TITLE,
        catalogue::IN_OPENING,
        catalogue::COUNTS_FROM,
        catalogue::MENTIONED,
    ] {
        let (mut links, mut right) = (0usize, 0usize);
        let mut found: HashSet<(String, String)> = HashSet::new();
        for (index, suggestions) in suggested.iter().enumerate() {
            for (slug, confidence) in suggestions {
                let Some(mapped) = solution_groups.get(slug) else {
                    continue;
                };
                if *confidence < threshold {
                    continue;
                }
                links += 1;
                let mut is_member = false;
                for group in mapped {
                    if groups.get(group).is_some_and(|m| m.contains(refs[index])) {
                        is_member = true;
                        found.insert((group.clone(), refs[index].to_owned()));
                    }
                }
                right += usize::from(is_member);
            }
        }
        let mapped_groups: HashSet<&String> = solution_groups.values().flatten().collect();
        let members: usize = mapped_groups
            .iter()
            .filter_map(|g| groups.get(*g))
            .map(HashSet::len)
            .sum();
        table.row(vec![
            format!("{threshold:.2}"),
            links.to_string(),
            format!("{:.3}", right as f64 / links.max(1) as f64),
            format!("{:.3}", found.len() as f64 / members.max(1) as f64),
        ]);
        if std::env::var_os("STADSMAAT_BENCH_DEBUG").is_some()
            && threshold == catalogue::COUNTS_FROM
        {
            for (index, suggestions) in suggested.iter().enumerate() {
                for (slug, confidence) in suggestions {
                    let wrong = solution_groups.get(slug).is_some_and(|mapped| {
                        !mapped
                            .iter()
                            .any(|g| groups.get(g).is_some_and(|m| m.contains(refs[index])))
                    });
                    if wrong && *confidence >= threshold {
                        eprintln!("wrong link: {} {slug} {confidence:.2}", refs[index]);
                    }
                }
            }
            for group in &mapped_groups {
                for member in groups.get(*group).into_iter().flatten() {
                    if !found.contains(&((*group).clone(), member.clone())) {
                        eprintln!("missed: {member} {group}");
                    }
                }
            }
        }
    }
    Ok(table)
}

fn main() -> BenchResult<()> {
    let bench_started = Instant::now();
    let corpus = Corpus::load()?;
    if std::env::var("STADSMAAT_BENCH").as_deref() == Ok("scale-child") {
        let cities = std::env::var("STADSMAAT_BENCH_CITIES")?.parse()?;
        return scale_child(&corpus, cities);
    }
    let truth = load_truth(&corpus)?;
    println!("# Stadsmaat matchmaking benchmark\n");
    println!(
        "G40 corpus: {} projects in {} cities; {} projects with a true comparable pilot, {} cities with a true partner.\n",
        corpus.inventory.projects.len(),
        corpus.inventory.cities.len(),
        truth.similar.len(),
        truth.partners.len()
    );
    let started = Instant::now();
    let ours = stadsmaat(&corpus, true);
    let build = started.elapsed();
    let words_only = stadsmaat(&corpus, false);
    let started = Instant::now();
    let baseline = Baseline::build(&corpus)?;
    let baseline_build = started.elapsed();
    let systems: Vec<&dyn Matcher> = vec![&ours, &words_only, &baseline];
    let qualities: Vec<Quality> = systems.iter().map(|s| evaluate(*s, &truth)).collect();

    heading("Quality on the G40 corpus");
    println!(
        "hit@5: true comparable pilots in the top 5 / min(5, true ones), mean over {} projects. \
         MRR: first true one in the top 20. partner P@5: true partners in the top 5 / 5, mean \
         over {} cities (ceiling {:.3}: several cities have fewer than 5 true partners); \
         partner P@5 norm: divided by min(5, true partners) instead.\n",
        truth.similar.len(),
        truth.partners.len(),
        truth.partner_ceiling()
    );
    quality_table(&qualities, &truth, 3).print();
    println!(
        "partner P@5 over the {} cities with at least 5 true partners (ceiling 1): {}\n",
        truth.partners.values().filter(|p| p.len() >= 5).count(),
        qualities
            .iter()
            .map(|q| format!("{} {:.3}", q.system, q.partner_p5_full))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for q in &qualities {
        println!("worst cities ({}): {:?}", q.system, q.worst_cities);
    }
    println!(
        "\nstadsmaat full build on G40: {:.1} ms",
        build.as_secs_f64() * 1e3
    );
    println!(
        "baseline on G40 (index, {} more-like-this queries, partners): {:.1} ms\n",
        corpus.inventory.projects.len(),
        baseline_build.as_secs_f64() * 1e3
    );
    heading("Solution linking on the G40 corpus");
    let linking = solution_linking(&corpus)?;
    linking.print();
    if let Ok(path) = std::env::var("STADSMAAT_BENCH_JUDGMENTS") {
        print_judged(&path, &systems, &load_judgments(&corpus, &path)?);
    }
    if std::env::var("STADSMAAT_BENCH").as_deref() == Ok("quality") {
        heading("README table");
        quality_table(&qualities, &truth, 2).print();
        println!(
            "Total run time {:.1} s.",
            bench_started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    drop(ours);
    drop(words_only);
    drop(baseline);

    let sizes: Vec<usize> = match std::env::var("STADSMAAT_BENCH_CITIES") {
        Ok(n) => vec![n.parse()?],
        Err(_) => LADDER.iter().copied().chain([SYNTHETIC_CITIES]).collect(),
    };
    let mut runs = Vec::new();
    for &cities in &sizes {
        let left = BUDGET
            .saturating_sub(bench_started.elapsed())
            .max(MIN_DEADLINE);
        eprintln!("scale: {cities} cities (time limit {})", seconds(left));
        runs.push(run_scale(cities, left, RSS_LIMIT_KB)?);
    }
    let g40 = g40_build(&corpus);

    heading(&format!(
        "Scale: synthetic networks of {PROJECTS_PER_CITY} projects per city"
    ));
    println!(
        "Each size runs in a child process (this bench again): full build (`Network::build`), \
         its peak RSS (VmHWM reset before the build; the generated inputs included), {UPSERTS} new \
         projects upserted one after the other, then every partner list recomputed \
         (`Network::update_cities`, the partner phase of a build on its own). A run is stopped \
         past {} RSS or the bench's time budget ({}), and the table says so.\n",
        mb(RSS_LIMIT_KB),
        seconds(BUDGET)
    );
    if !sizes.contains(&SYNTHETIC_CITIES) {
        println!(
            "**Reduced** by STADSMAAT_BENCH_CITIES: {} cities instead of {}.\n",
            sizes[0], SYNTHETIC_CITIES
        );
    }
    let table = scale_table(&runs, g40);
    table.print();
    for run in &runs {
        if let Some(stopped) = &run.stopped {
            println!(
                "**{} not measured completely** — {stopped}; {}.",
                run.label(),
                match (run.generate, run.build) {
                    (Some(g), None) => format!(
                        "generated in {}, then `Network::build` did not finish",
                        seconds(g)
                    ),
                    (None, _) => "not even generated".to_owned(),
                    (_, Some(_)) => "the build finished, the rest did not".to_owned(),
                }
            );
            let timeline: Vec<String> = run
                .timeline
                .iter()
                .map(|(t, rss)| format!("{:.0} s {}", t.as_secs_f64(), mb(*rss)))
                .collect();
            println!("  RSS while it ran: {}.", timeline.join(", "));
        }
        if let Some((_, _, before)) = run.build {
            let cpu = run.cpu.map_or_else(String::new, |(build, partners)| {
                format!(
                    "CPU time: build {}, partner lists {}; ",
                    seconds(build),
                    seconds(partners)
                )
            });
            println!(
                "- {}: {cpu}RSS before the build {}; cities whose partners each upsert recomputed: {:?}",
                run.label(),
                mb(before),
                run.upserts.iter().map(|u| u.1).collect::<Vec<_>>()
            );
        }
        if let Some((lists, top5)) = run.stale {
            println!(
                "  - after the upserts, recomputing all partner lists changed {lists} of {} \
                 cities' lists ({top5} in their top 5): lists the upserts left stale",
                thousands(run.cities)
            );
        }
    }
    println!();
    print_growth(&runs);

    heading("README table");
    quality_table(&qualities, &truth, 2).print();
    table.print();
    println!(
        "Total run time {:.1} s.",
        bench_started.elapsed().as_secs_f64()
    );
    Ok(())
}
