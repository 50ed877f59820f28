//! The six Smart City themes of the report: the vocabulary (`Theme`), their definitions
//! and the theme pages `/themas`.

pub mod model;
pub mod pages;

pub use model::Theme;
