//! The tantivy schema: one index holds a record per source and a record per passage.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

/// Name of the analyzer for text fields: words, lowercased, English-stemmed.
pub const ANALYZER: &str = "en_stem";

/// Record types, in the `record` field.
pub const RECORD_SOURCE: &str = "source";
pub const RECORD_PASSAGE: &str = "passage";

/// Bumped when the schema or stored layout changes; an index of another version is refused.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub record: Field,
    pub source_id: Field,
    pub passage_id: Field,
    pub title: Field,
    pub trail: Field,
    pub body: Field,
    pub kind: Field,
    pub audience: Field,
    /// Stored JSON: the source (for source records) or passage metadata (for passages).
    pub meta: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        record: b.add_text_field("record", STRING),
        // Columns too: a ranking reads its ids and kinds without the stored documents.
        source_id: b.add_text_field("source_id", STRING | STORED | FAST),
        passage_id: b.add_text_field("passage_id", STRING | STORED | FAST),
        title: b.add_text_field("title", text.clone()),
        trail: b.add_text_field("trail", text.clone()),
        body: b.add_text_field("body", text),
        kind: b.add_u64_field("kind", INDEXED | FAST | STORED),
        audience: b.add_u64_field("audience", FAST | STORED),
        meta: b.add_text_field("meta", STORED),
    };
    (b.build(), fields)
}

pub fn fields_of(schema: &Schema) -> Option<Fields> {
    Some(Fields {
        record: schema.get_field("record").ok()?,
        source_id: schema.get_field("source_id").ok()?,
        passage_id: schema.get_field("passage_id").ok()?,
        title: schema.get_field("title").ok()?,
        trail: schema.get_field("trail").ok()?,
        body: schema.get_field("body").ok()?,
        kind: schema.get_field("kind").ok()?,
        audience: schema.get_field("audience").ok()?,
        meta: schema.get_field("meta").ok()?,
    })
}
