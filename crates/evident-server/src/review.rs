//! Sign-in and the reviewer workspace: the queue, the review page (the article beside its cited
//! passages, statement marks, comments, review actions), the editor's revise form, history and
//! diffs, merging, and the audit log for admins.

use axum::Router;

use crate::AppState;

pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
}
