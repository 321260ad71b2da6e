//! The CEL syntax tree. Spans are byte ranges into the expression text;
//! callers map them onto the file (see `ir::cel_text`).

use std::sync::Arc;

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    /// Shared, so evaluating the literal does not copy it.
    String(Arc<str>),
    Bytes(Vec<u8>),
    /// A name; `leading_dot` for `.name` (root-scoped resolution).
    Ident {
        name: String,
        leading_dot: bool,
    },
    /// `operand.field`; `optional` for `operand.?field`.
    Select {
        operand: Box<Expr>,
        field: String,
        optional: bool,
    },
    Index {
        operand: Box<Expr>,
        index: Box<Expr>,
        optional: bool,
    },
    /// A function call: global (`size(x)`) or receiver style (`x.size()`).
    Call {
        target: Option<Box<Expr>>,
        function: String,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    /// A message literal `pkg.Type{field: value}`.
    Struct {
        type_name: String,
        fields: Vec<(String, Expr)>,
    },
}

impl Expr {
    /// Direct children, in source order, to rewrite.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Uint(_)
            | ExprKind::Double(_)
            | ExprKind::String(_)
            | ExprKind::Bytes(_)
            | ExprKind::Ident { .. } => Vec::new(),
            ExprKind::Select { operand, .. } | ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Index { operand, index, .. } => vec![operand, index],
            ExprKind::Call { target, args, .. } => target
                .iter_mut()
                .map(|t| &mut **t)
                .chain(args.iter_mut())
                .collect(),
            ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => vec![cond, then, otherwise],
            ExprKind::List(items) => items.iter_mut().collect(),
            ExprKind::Map(entries) => entries.iter_mut().flat_map(|(k, v)| [k, v]).collect(),
            ExprKind::Struct { fields, .. } => fields.iter_mut().map(|(_, v)| v).collect(),
        }
    }

    /// Direct children, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Uint(_)
            | ExprKind::Double(_)
            | ExprKind::String(_)
            | ExprKind::Bytes(_)
            | ExprKind::Ident { .. } => Vec::new(),
            ExprKind::Select { operand, .. } | ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Index { operand, index, .. } => vec![operand, index],
            ExprKind::Call { target, args, .. } => {
                target.iter().map(|t| &**t).chain(args.iter()).collect()
            }
            ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => vec![cond, then, otherwise],
            ExprKind::List(items) => items.iter().collect(),
            ExprKind::Map(entries) => entries.iter().flat_map(|(k, v)| [k, v]).collect(),
            ExprKind::Struct { fields, .. } => fields.iter().map(|(_, v)| v).collect(),
        }
    }

    /// Height of the tree, computed without recursion.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            max = max.max(d);
            stack.extend(e.children().into_iter().map(|c| (c, d + 1)));
        }
        max
    }
}
