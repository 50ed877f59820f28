//! The hits of a page of results: each document's stored fields, and a snippet of its
//! text with the matched words marked.

use tantivy::query::Query;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Score, Searcher, TantivyDocument};

use super::engine::{search_failed, Hit};
use super::index::SearchIndex;
use crate::error::AppResult;
use crate::text::escape_html;

const SNIPPET_CHARS: usize = 220;

/// The hits of `top_docs`, best first, with snippets of what `query` matched.
pub fn assemble(
    index: &SearchIndex,
    searcher: &Searcher,
    query: &dyn Query,
    top_docs: Vec<(Score, DocAddress)>,
) -> AppResult<Vec<Hit>> {
    let fields = &index.fields;
    let mut snippets =
        SnippetGenerator::create(searcher, query, fields.body).map_err(search_failed)?;
    snippets.set_max_num_chars(SNIPPET_CHARS);
    let mut results = Vec::with_capacity(top_docs.len());
    for (score, address) in top_docs {
        let doc: TantivyDocument = searcher.doc(address).map_err(search_failed)?;
        let snippet = snippets.snippet_from_doc(&doc);
        let stored = index.stored(&doc);
        results.push(Hit {
            snippet: render_snippet(&snippet, &stored.body),
            kind: stored.kind,
            id: stored.id,
            title: stored.title,
            url: stored.url,
            score,
            source_ref: stored.source_ref,
            city: stored.city,
            theme: stored.theme,
            stage: stored.stage,
        });
    }
    Ok(results)
}

/// The snippet as HTML: escaped text with the matched words in `<mark>`. Without a match
/// in the text, its beginning.
fn render_snippet(snippet: &tantivy::snippet::Snippet, body: &str) -> String {
    let fragment = snippet.fragment();
    if snippet.highlighted().is_empty() || fragment.is_empty() {
        let mut start: String = body.chars().take(SNIPPET_CHARS).collect();
        if start.len() < body.len() {
            start.push('…');
        }
        return escape_html(&start);
    }
    let mut html = String::new();
    let mut at = 0;
    for range in snippet.highlighted() {
        if range.start < at || range.end > fragment.len() {
            continue;
        }
        html.push_str(&escape_html(&fragment[at..range.start]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&fragment[range.clone()]));
        html.push_str("</mark>");
        at = range.end;
    }
    html.push_str(&escape_html(&fragment[at..]));
    html
}
