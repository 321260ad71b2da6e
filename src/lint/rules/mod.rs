//! One module per cross-file check.

pub mod agent_loosens_rule;
pub mod dangling_reference;
pub mod dead_llm_check;
pub mod duplicate_name;
pub mod expired_exception;
pub mod inactive_rule;
pub mod incomplete_rule;
pub mod inexpressible_on_runtime;
pub mod never_takes_effect;
pub mod scope_outside_home;
pub mod several_active_policies;
pub mod suspect_check_polarity;
