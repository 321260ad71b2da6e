//! The typed IR and its lowering from the spanned tree. One model for all
//! of spec §2–§6: rules, policy and runtime settings, providers, budgets,
//! caps, approval chains, exceptions and the agent layer.

pub mod cel_source;
pub mod cond;
pub mod enums;
pub mod fields;
pub mod home;
pub mod layers;
pub mod lower;
pub mod lower_governance;
pub mod lower_rule;
pub mod lower_sites;
pub mod model;
pub mod patterns;
pub mod project_index;
pub mod reader;
pub mod registry_providers;
pub mod templates;
pub mod values;

pub use home::Home;
pub use lower::lower_file;
pub use model::*;
