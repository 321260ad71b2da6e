//! CEL: the expression language of `check`, `when` and `fix_expression`.
//! `parse` builds the syntax tree from `grammar/cel.pest`; `check` decides
//! which names a guardrail runtime defines; `types` checks the operands'
//! types against the declared variables.

pub mod aliases;
pub mod ast;
pub mod check;
pub mod cost;
pub mod eval;
pub mod parse;
pub mod print;
pub mod types;
pub mod value;

pub use ast::{Expr, ExprKind};
pub use parse::{CelError, parse};
