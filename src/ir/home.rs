//! Where a policy's rules and objects apply, and the namespace their names
//! live in (spec §3). A project policy's providers, budgets, caps, chains
//! and exceptions apply to that project's events only, and two projects may
//! use the same names; a tenant policy's (or a file's without `POLICY:`)
//! apply to every event. References resolve narrowest first: the home of
//! the thing that refers, then the tenant.

use super::enums::{PolicyStatus, Scope};
use super::model::Policy;

/// A namespace and the events it covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Home {
    /// Every event: a tenant or org policy, a `team`/`identity` scope whose
    /// key is not read yet (refused with GC101), or a file without a policy.
    Tenant,
    Project(String),
    Agent(String),
    /// No event: an inactive policy, or a project or agent policy that names
    /// none. Its names are its own (the policy's name).
    Off(String),
}

impl Home {
    /// The home of a policy's rules and objects (`None`: no policy).
    pub fn of(policy: Option<&Policy>) -> Home {
        let Some(p) = policy else {
            return Home::Tenant;
        };
        if p.effective_status() != PolicyStatus::Active {
            return Home::Off(p.name.value.clone());
        }
        let named =
            |v: &Option<crate::source::Spanned<String>>| v.as_ref().map(|x| x.value.clone());
        match p.scope.value {
            Scope::Project => {
                named(&p.project).map_or(Home::Off(p.name.value.clone()), Home::Project)
            }
            Scope::Agent => named(&p.agent).map_or(Home::Off(p.name.value.clone()), Home::Agent),
            Scope::Tenant | Scope::Org | Scope::Team | Scope::Identity => Home::Tenant,
        }
    }

    /// The scope key that names this home's events (`project: payments`).
    pub fn scope_key(&self) -> Option<(&'static str, &str)> {
        match self {
            Home::Project(p) => Some(("project", p)),
            Home::Agent(a) => Some(("agent", a)),
            Home::Tenant | Home::Off(_) => None,
        }
    }

    /// The homes a reference made from here looks in, narrowest first.
    pub fn lookup_order(&self) -> impl Iterator<Item = &Home> {
        let own = (self != &Home::Tenant).then_some(self);
        own.into_iter().chain(std::iter::once(&Home::Tenant))
    }

    /// For messages: `the tenant`, `project \`payments\``.
    pub fn describe(&self) -> String {
        match self {
            Home::Tenant => "the tenant".into(),
            Home::Project(p) => format!("project `{p}`"),
            Home::Agent(a) => format!("agent `{a}`"),
            Home::Off(p) => format!("inactive policy `{p}`"),
        }
    }
}
