//! The web app and JSON API: article pages, asking, follow-ups, personalisation, the reviewer
//! workspace. It knows nothing of SQL: articles come from `evident-store`.
