//! Facet counts per dimension (type, theme, city, stage). tantivy's `FacetCollector`
//! translates every counted ordinal back to its facet on every query; with thousands of
//! cities that translation was most of a large search's time. Here each segment's
//! ordinal → (dimension, value) table is read once and kept while the segment lives.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

/// The facet dimensions, in the order of [`FacetCounts`].
pub const DIMENSIONS: [&str; 4] = ["type", "theme", "city", "stage"];

/// Counts per value, one map per dimension of [`DIMENSIONS`].
pub type FacetCounts = [BTreeMap<String, u64>; 4];

/// What each ordinal of a segment's facet column stands for, if it is a dimension value.
type OrdinalTable = Vec<Option<(usize, String)>>;

/// The per-segment tables, shared by all searches.
#[derive(Default)]
pub struct FacetTables {
    tables: Mutex<HashMap<SegmentId, Arc<OrdinalTable>>>,
}

impl FacetTables {
    /// A collector counting the facets of `field_name` with these tables.
    pub fn counter<'a>(&'a self, field_name: &'a str) -> FacetCounter<'a> {
        FacetCounter {
            tables: self,
            field_name,
        }
    }

    /// Forgets segments the searcher no longer has (merged away or deleted).
    pub fn retain_segments_of(&self, searcher: &Searcher) {
        if let Ok(mut tables) = self.tables.lock() {
            let live: Vec<SegmentId> = searcher
                .segment_readers()
                .iter()
                .map(SegmentReader::segment_id)
                .collect();
            tables.retain(|id, _| live.contains(id));
        }
    }

    fn table(
        &self,
        segment: &SegmentReader,
        facets: &FacetReader,
    ) -> tantivy::Result<Arc<OrdinalTable>> {
        if let Some(table) = self
            .tables
            .lock()
            .ok()
            .and_then(|t| t.get(&segment.segment_id()).cloned())
        {
            return Ok(table);
        }
        let mut table: OrdinalTable = vec![None; facets.num_facets()];
        let mut terms = facets.facet_dict().stream()?;
        while terms.advance() {
            // An encoded facet is its path parts joined by a zero byte: "city\0apeldoorn".
            let key = String::from_utf8_lossy(terms.key());
            let mut parts = key.split('\0');
            if let (Some(dimension), Some(value), None) = (parts.next(), parts.next(), parts.next())
            {
                if let Some(d) = DIMENSIONS.iter().position(|x| *x == dimension) {
                    if let Some(slot) = table.get_mut(terms.term_ord() as usize) {
                        *slot = Some((d, value.to_owned()));
                    }
                }
            }
        }
        let table = Arc::new(table);
        if let Ok(mut tables) = self.tables.lock() {
            tables.insert(segment.segment_id(), Arc::clone(&table));
        }
        Ok(table)
    }
}

pub struct FacetCounter<'a> {
    tables: &'a FacetTables,
    field_name: &'a str,
}

pub struct SegmentCounter {
    facets: FacetReader,
    table: Arc<OrdinalTable>,
    counts: Vec<u64>,
}

impl Collector for FacetCounter<'_> {
    type Fruit = FacetCounts;
    type Child = SegmentCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentCounter> {
        let facets = segment.facet_reader(self.field_name)?;
        let table = self.tables.table(segment, &facets)?;
        Ok(SegmentCounter {
            counts: vec![0; table.len()],
            facets,
            table,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged = FacetCounts::default();
        for fruit in fruits {
            for (total, counts) in merged.iter_mut().zip(fruit) {
                for (value, count) in counts {
                    *total.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentCounter {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        for ord in self.facets.facet_ords(doc) {
            if let Some(count) = self.counts.get_mut(ord as usize) {
                *count += 1;
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        let mut fruit = FacetCounts::default();
        for (ord, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            if let Some(Some((dimension, value))) = self.table.get(ord) {
                *fruit[*dimension].entry(value.clone()).or_default() += count;
            }
        }
        fruit
    }
}
