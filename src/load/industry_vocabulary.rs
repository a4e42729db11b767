//! The reviewed industry vocabulary of `geodata/sources/`: `industry_tags.csv`
//! (tag, English and Chinese labels) and `industry_terms.csv` (each printed Chinese term →
//! one or more tags, the primary first).

use super::csv::{Problem, read_csv_table};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One industry tag with its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryTag {
    /// Lowercase slug, e.g. `foundry`.
    pub tag: String,
    /// English label.
    pub label_en: String,
    /// Chinese label.
    pub label_zh: String,
}

/// The tags and the term → tags table.
#[derive(Debug, Clone, Default)]
pub struct IndustryVocabulary {
    /// Every tag, in file order.
    pub tags: Vec<IndustryTag>,
    /// Printed term → tags (primary first).
    pub terms: HashMap<String, Vec<String>>,
}

impl IndustryVocabulary {
    /// The tags of a printed term, if the table has it.
    #[must_use]
    pub fn tags_of(&self, term: &str) -> Option<&[String]> {
        self.terms.get(term).map(Vec::as_slice)
    }

    /// The tags of a list of printed terms, each tag once, in first-seen order; terms the
    /// table lacks are returned as the error.
    ///
    /// # Errors
    /// The terms without a row.
    pub fn tag_terms<'t>(&self, terms: &'t [String]) -> Result<Vec<String>, Vec<&'t str>> {
        let mut tags: Vec<String> = Vec::new();
        let mut missing = Vec::new();
        for term in terms {
            match self.tags_of(term) {
                Some(ts) => {
                    for t in ts {
                        if !tags.contains(t) {
                            tags.push(t.clone());
                        }
                    }
                }
                None => missing.push(term.as_str()),
            }
        }
        if missing.is_empty() { Ok(tags) } else { Err(missing) }
    }
}

/// Reads both tables from `dir` and checks that every term's tags exist.
///
/// # Errors
/// Every problem (file:line): wrong header, duplicate tag or term, unknown tag.
pub fn read_industry_vocabulary(dir: &Path) -> Result<IndustryVocabulary, Vec<Problem>> {
    let tags_path = dir.join("industry_tags.csv");
    let terms_path = dir.join("industry_terms.csv");
    let tags_table = read_csv_table(&tags_path)?;
    let terms_table = read_csv_table(&terms_path)?;
    let mut problems = Vec::new();
    if tags_table.headers != ["tag", "label_en", "label_zh"] {
        problems.push(Problem::new(
            &tags_path,
            Some(1),
            None,
            "expected the columns tag,label_en,label_zh",
        ));
    }
    if terms_table.headers != ["term_zh", "tags", "note"] {
        problems.push(Problem::new(&terms_path, Some(1), None, "expected the columns term_zh,tags,note"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut vocabulary = IndustryVocabulary::default();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for row in &tags_table.rows {
        let f = |i: usize| row.fields.get(i).map_or("", |s| s.trim()).to_owned();
        let tag = f(0);
        if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            problems.push(Problem::new(
                &tags_path,
                Some(row.line),
                Some(1),
                format!("'{tag}' is not a lowercase slug"),
            ));
        } else if let Some(first) = seen.insert(tag.clone(), row.line) {
            problems.push(Problem::new(
                &tags_path,
                Some(row.line),
                Some(1),
                format!("duplicate tag '{tag}' (first on line {first})"),
            ));
        }
        vocabulary.tags.push(IndustryTag {
            tag,
            label_en: f(1),
            label_zh: f(2),
        });
    }
    let mut terms_seen: HashMap<String, u64> = HashMap::new();
    for row in &terms_table.rows {
        let term = row.fields.first().map_or("", |s| s.trim()).to_owned();
        let tags: Vec<String> = row
            .fields
            .get(1)
            .map_or("", |s| s.trim())
            .split('|')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if term.is_empty() || tags.is_empty() {
            problems.push(Problem::new(&terms_path, Some(row.line), None, "empty term or tags"));
            continue;
        }
        for t in tags.iter().filter(|t| !seen.contains_key(*t)) {
            problems.push(Problem::new(&terms_path, Some(row.line), Some(2), format!("unknown tag '{t}'")));
        }
        if let Some(first) = terms_seen.insert(term.clone(), row.line) {
            problems.push(Problem::new(
                &terms_path,
                Some(row.line),
                Some(1),
                format!("duplicate term '{term}' (first on line {first})"),
            ));
        }
        vocabulary.terms.insert(term, tags);
    }
    if problems.is_empty() { Ok(vocabulary) } else { Err(problems) }
}
