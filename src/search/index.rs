//! The tantivy index: its schema, opening (rebuilding when the on-disk schema version
//! differs), writing documents and reading stored hits back.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analysis::{self, Profile};
use super::documents::{DocKind, SearchDoc};
use crate::cities::model::CityRef;
use crate::error::{AppError, AppResult};

/// Bump when the schema or the analysis changes: an index of another version is rebuilt
/// from the database at start-up.
pub const SCHEMA_VERSION: u32 = 5;
const VERSION_FILE: &str = "stadsmaat-index-version";
const WRITER_HEAP: usize = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub title: Field,
    pub body: Field,
    pub context: Field,
    pub trigrams: Field,
    pub words: Field,
    pub facets: Field,
    pub city_slug: Field,
    pub city_name: Field,
    pub theme: Field,
    pub stage: Field,
    pub source_ref: Field,
    pub url: Field,
    /// A project's currency: the day number of its facts (`filters::day_number`), and
    /// 1 when archived, 0 when not.
    pub as_of: Field,
    pub archived: Field,
}

fn schema(profile: Profile) -> (Schema, Fields) {
    let text = |tokenizer: &str, positions: bool, stored: bool| {
        let option = if positions {
            IndexRecordOption::WithFreqsAndPositions
        } else {
            IndexRecordOption::WithFreqs
        };
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(option),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let words = profile.words_tokenizer();
    let mut b = Schema::builder();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_i64_field("id", INDEXED | STORED),
        title: b.add_text_field("title", text(words, true, true)),
        body: b.add_text_field("body", text(words, true, true)),
        context: b.add_text_field("context", text(words, false, false)),
        trigrams: b.add_text_field("trigrams", text(analysis::TRIGRAMS, false, false)),
        words: b.add_text_field("words", text(analysis::FOLDED, false, false)),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        city_slug: b.add_text_field("city_slug", STRING | STORED),
        city_name: b.add_text_field("city_name", STORED),
        theme: b.add_text_field("theme", STRING | STORED),
        stage: b.add_text_field("stage", STRING | STORED),
        source_ref: b.add_text_field("source_ref", STRING | STORED),
        url: b.add_text_field("url", STORED),
        as_of: b.add_u64_field("as_of", INDEXED | FAST),
        archived: b.add_u64_field("archived", INDEXED),
    };
    (b.build(), fields)
}

/// An index opened for reading and writing.
pub struct SearchIndex {
    index: Index,
    /// Where it lives on disk; `None` in memory.
    dir: Option<PathBuf>,
    pub(super) reader: IndexReader,
    /// Taken out when the index is replaced by a rebuilt one, so nothing writes to it
    /// (or to the directory that now holds its successor) again.
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
    pub(super) fields: Fields,
    pub(super) profile: Profile,
    version_file: Option<(PathBuf, String)>,
    /// The change-log position the index has taken in, kept in each commit's payload.
    position: AtomicI64,
}

/// Why an index could not be opened: held by another process (wait or stop it), or
/// broken (it is derived data: throw it away and rebuild).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the search index is in use by another stadsmaat process; stop the server first")]
    Locked,
    #[error("{0}")]
    Broken(String),
}

fn index_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("search index: {e}"))
}

/// What every commit records beside the documents.
#[derive(Serialize, Deserialize)]
struct Payload {
    /// Every change of the log up to here is in the index.
    through: i64,
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one there when it is missing or of
    /// another schema version. The flag says whether it must be filled from the database:
    /// also when no complete build was ever committed. An index whose files are missing
    /// or fail their checksums is `Broken`.
    pub fn open_in_dir(dir: &Path, profile: Profile) -> Result<(Self, bool), OpenError> {
        let broken = |what: &str, e: &dyn std::fmt::Display| {
            OpenError::Broken(format!("{what} {}: {e}", dir.display()))
        };
        let version = format!("{SCHEMA_VERSION} {}", profile.name());
        let version_path = dir.join(VERSION_FILE);
        let current = std::fs::read_to_string(&version_path).ok();
        let mut fresh = current.as_deref().map(str::trim) != Some(version.as_str());
        if fresh && dir.exists() {
            // Derived data of an older shape: start again.
            std::fs::remove_dir_all(dir).map_err(|e| broken("cannot clear", &e))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| broken("cannot create", &e))?;
        let (schema, fields) = schema(profile);
        let directory = MmapDirectory::open(dir).map_err(|e| broken("cannot open", &e))?;
        let index =
            Index::open_or_create(directory, schema).map_err(|e| broken("cannot open", &e))?;
        verify(&index, dir).map_err(|why| broken("damaged:", &why))?;
        let mut search = Self::from_index(index, fields, profile, true).map_err(|e| match e {
            WriterError::Locked => OpenError::Locked,
            WriterError::Other(e) => broken("cannot write to", &e),
        })?;
        // Without a recorded position no complete build was committed (or meta.json
        // was lost and tantivy started an empty index): fill it from the database.
        fresh |= search.position() < 0;
        search.version_file = Some((version_path, version));
        search.dir = Some(dir.to_owned());
        Ok((search, fresh))
    }

    /// Records that the index is complete for its schema version. Called after a full
    /// build, so a build interrupted by a crash is simply redone at the next start.
    pub fn mark_complete(&self) -> AppResult<()> {
        if let Some((path, version)) = &self.version_file {
            std::fs::write(path, version).map_err(index_error)?;
        }
        Ok(())
    }

    /// An index in memory, for benchmarks and tests of the analysis.
    pub fn in_memory(profile: Profile) -> AppResult<Self> {
        let (schema, fields) = schema(profile);
        Self::from_index(Index::create_in_ram(schema), fields, profile, true).map_err(|e| match e {
            WriterError::Locked => index_error("locked"),
            WriterError::Other(e) => index_error(e),
        })
    }

    /// Opens the index in `dir` for reading only, beside the server that writes it (a
    /// command such as `digest` while `serve` runs); it sees what the server committed.
    pub fn open_read_only(dir: &Path, profile: Profile) -> Result<Self, OpenError> {
        let broken = |what: &str, e: &dyn std::fmt::Display| {
            OpenError::Broken(format!("{what} {}: {e}", dir.display()))
        };
        let (_, fields) = schema(profile);
        let index = Index::open_in_dir(dir).map_err(|e| broken("cannot open", &e))?;
        let mut search = Self::from_index(index, fields, profile, false).map_err(|e| match e {
            WriterError::Locked => OpenError::Locked,
            WriterError::Other(e) => broken("cannot read", &e),
        })?;
        search.dir = Some(dir.to_owned());
        Ok(search)
    }

    fn from_index(
        index: Index,
        fields: Fields,
        profile: Profile,
        writable: bool,
    ) -> Result<Self, WriterError> {
        analysis::register(index.tokenizers());
        let position = index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .map_or(-1, |p| p.through);
        // One indexing thread: documents keep their insertion order, so equal scores rank
        // the same way after every rebuild.
        let writer =
            match writable {
                true => Some(index.writer_with_num_threads(1, WRITER_HEAP).map_err(
                    |e| match e {
                        tantivy::TantivyError::LockFailure(..) => WriterError::Locked,
                        other => WriterError::Other(other),
                    },
                )?),
                false => None,
            };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(WriterError::Other)?;
        Ok(SearchIndex {
            index,
            dir: None,
            reader,
            writer: Mutex::new(writer),
            fields,
            profile,
            version_file: None,
            position: AtomicI64::new(position),
        })
    }

    /// Checks the files on disk again (see [`verify`]): damage done under the running
    /// server that no search has run into yet.
    pub fn verify(&self) -> Result<(), String> {
        match &self.dir {
            Some(dir) => verify(&self.index, dir),
            None => Ok(()),
        }
    }

    /// The change-log position the index stands at; negative before its first build.
    pub fn position(&self) -> i64 {
        self.position.load(Ordering::Acquire)
    }

    /// Stops writing to this index for good (it is being replaced); waits for merges.
    pub fn close(&self) {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.wait_merging_threads();
        }
    }

    fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.key, key(doc.kind, doc.id));
        d.add_text(f.kind, doc.kind.slug());
        d.add_i64(f.id, i64::from(doc.id));
        d.add_text(f.title, &doc.title);
        d.add_text(f.body, &doc.body);
        d.add_text(f.context, &doc.context);
        if self.profile == Profile::Dutch {
            d.add_text(
                f.trigrams,
                analysis::trigram_source(&format!("{} {}", doc.title, doc.body)),
            );
        }
        d.add_text(
            f.words,
            format!("{} {} {}", doc.title, doc.body, doc.context),
        );
        d.add_text(f.url, &doc.url);
        d.add_facet(
            f.facets,
            tantivy::schema::Facet::from_path(["type", doc.kind.slug()]),
        );
        if let Some(city) = &doc.city {
            d.add_text(f.city_slug, &city.slug);
            d.add_text(f.city_name, &city.name);
            d.add_facet(
                f.facets,
                tantivy::schema::Facet::from_path(["city", city.slug.as_str()]),
            );
        }
        if let Some(theme) = &doc.theme {
            d.add_text(f.theme, theme);
            d.add_facet(
                f.facets,
                tantivy::schema::Facet::from_path(["theme", theme.as_str()]),
            );
        }
        if let Some(stage) = &doc.stage {
            d.add_text(f.stage, stage);
            d.add_facet(
                f.facets,
                tantivy::schema::Facet::from_path(["stage", stage.as_str()]),
            );
        }
        if let Some(source_ref) = &doc.source_ref {
            d.add_text(f.source_ref, source_ref);
        }
        if let Some(currency) = doc.currency {
            d.add_u64(f.as_of, super::filters::day_number(currency.as_of));
            d.add_u64(f.archived, u64::from(currency.archived));
        }
        d
    }

    /// Replaces the documents of `records` with `docs` (records without a document are
    /// deleted) and commits, standing at change `through`, so the change is visible to
    /// the next search.
    pub fn replace(
        &self,
        records: &[(DocKind, i32)],
        docs: &[SearchDoc],
        through: i64,
    ) -> AppResult<()> {
        self.write(through, |writer, index| {
            for &(kind, id) in records {
                writer.delete_term(key_term(&index.fields, kind, id));
            }
            for doc in docs {
                writer
                    .add_document(index.document(doc))
                    .map_err(index_error)?;
            }
            Ok(())
        })
    }

    /// Empties the index and fills it with `docs`, in one commit standing at `through`.
    pub fn replace_all(
        &self,
        docs: impl IntoIterator<Item = SearchDoc>,
        through: i64,
    ) -> AppResult<()> {
        self.write(through, |writer, index| {
            writer.delete_all_documents().map_err(index_error)?;
            for doc in docs {
                writer
                    .add_document(index.document(&doc))
                    .map_err(index_error)?;
            }
            Ok(())
        })
    }

    /// Runs `change` on the writer and commits it with the position in its payload.
    fn write(
        &self,
        through: i64,
        change: impl FnOnce(&mut IndexWriter<TantivyDocument>, &Self) -> AppResult<()>,
    ) -> AppResult<()> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| index_error("writer poisoned"))?;
        let writer = guard
            .as_mut()
            .ok_or_else(|| index_error("replaced by a rebuilt index"))?;
        change(writer, self)?;
        let payload = serde_json::to_string(&Payload { through }).map_err(index_error)?;
        let mut commit = writer.prepare_commit().map_err(index_error)?;
        commit.set_payload(&payload);
        commit.commit().map_err(index_error)?;
        self.position.store(through, Ordering::Release);
        drop(guard);
        self.reader.reload().map_err(index_error)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Reads the stored fields of a hit back into a document (body included).
    pub(super) fn stored(&self, doc: &TantivyDocument) -> SearchDoc {
        let f = &self.fields;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let kind = text(f.kind)
            .as_deref()
            .and_then(DocKind::parse)
            .unwrap_or(DocKind::Project);
        let city = match (text(f.city_slug), text(f.city_name)) {
            (Some(slug), Some(name)) => Some(CityRef { slug, name }),
            _ => None,
        };
        SearchDoc {
            kind,
            id: doc
                .get_first(f.id)
                .and_then(|v| v.as_i64())
                .and_then(|id| i32::try_from(id).ok())
                .unwrap_or_default(),
            title: text(f.title).unwrap_or_default(),
            body: text(f.body).unwrap_or_default(),
            context: String::new(),
            city,
            theme: text(f.theme),
            stage: text(f.stage),
            source_ref: text(f.source_ref),
            url: text(f.url).unwrap_or_default(),
            // Not stored: only searched on (`filters::currency_filter`).
            currency: None,
        }
    }
}

/// Checks an opened index as far as can be done without searching: every file its
/// segments need is there, each passes its checksum, and each segment opens.
fn verify(index: &Index, dir: &Path) -> Result<(), String> {
    let metas = index.load_metas().map_err(|e| e.to_string())?;
    use tantivy::index::SegmentComponent as Part;
    let parts = [
        Part::Postings,
        Part::Positions,
        Part::Terms,
        Part::Store,
        Part::FastFields,
        Part::FieldNorms,
    ];
    for segment in &metas.segments {
        let deletes = segment.has_deletes().then_some(Part::Delete);
        for part in parts.iter().cloned().chain(deletes) {
            let file = segment.relative_path(part);
            if !dir.join(&file).exists() {
                return Err(format!("{} is missing", file.display()));
            }
        }
    }
    let damaged = index.validate_checksum().map_err(|e| e.to_string())?;
    if let Some(file) = damaged.iter().next() {
        return Err(format!("{} fails its checksum", file.display()));
    }
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map(|_: IndexReader| ())
        .map_err(|e| e.to_string())
}

enum WriterError {
    Locked,
    Other(tantivy::TantivyError),
}

/// The term that names one record's document.
pub(super) fn key_term(fields: &Fields, kind: DocKind, id: i32) -> Term {
    Term::from_field_text(fields.key, &key(kind, id))
}

fn key(kind: DocKind, id: i32) -> String {
    format!("{}:{id}", kind.slug())
}
