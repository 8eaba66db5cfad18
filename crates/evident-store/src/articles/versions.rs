//! Reading an article's versions and who approved them.

use super::{Db, Mode, Row, Tx};
use crate::{Error, Result, Version};

const VERSION_COLUMNS: &str = "article_id, number, answers, author, note, created_at";

fn version_from_row(row: &Row) -> Result<Version> {
    let answers = serde_json::from_str(&row.text(2)?)
        .map_err(|e| Error::internal_from("corrupt answers JSON", e))?;
    Ok(Version {
        article_id: row.int(0)?,
        number: row.u32(1)?,
        answers,
        author: row.opt_text(3)?,
        note: row.opt_text(4)?,
        created_at: row.int(5)?,
    })
}

pub(crate) fn load_version(tx: &mut dyn Tx, article_id: i64, number: u32) -> Result<Version> {
    let row = tx
        .query_opt(
            &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE article_id = ? AND number = ?"),
            &[article_id.into(), number.into()],
        )?
        .ok_or_else(|| Error::NotFound(format!("version {number} of article {article_id}")))?;
    version_from_row(&row)
}

pub(crate) fn version(db: &Db, article_id: i64, number: u32) -> Result<Version> {
    db.run(Mode::Read, |tx| load_version(tx, article_id, number))
}

pub(crate) fn versions(db: &Db, article_id: i64) -> Result<Vec<Version>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE article_id = ? ORDER BY number"),
            &[article_id.into()],
        )?
        .iter()
        .map(version_from_row)
        .collect()
    })
}

pub(crate) fn approvals(db: &Db, article_id: i64) -> Result<Vec<crate::Approval>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            "SELECT number, approved_by, approved_at FROM versions \
             WHERE article_id = ? AND approved_by IS NOT NULL ORDER BY number",
            &[article_id.into()],
        )?
        .iter()
        .map(|row| {
            Ok(crate::Approval {
                version: row.u32(0)?,
                by: row.text(1)?,
                at: row
                    .opt_int(2)?
                    .ok_or_else(|| Error::internal("approved version without approval time"))?,
            })
        })
        .collect()
    })
}
