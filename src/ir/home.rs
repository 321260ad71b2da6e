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
    /// Every event: a tenant or org policy, or a file without a policy.
    Tenant,
    Project(String),
    /// Events of one team (`identity.team`), from a `scope: team` policy.
    Team(String),
    Agent(String),
    /// Events of one identity (`identity.id`), from a `scope: identity` policy.
    Identity(String),
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
        Home::written(p)
    }

    /// Where a policy's scope points, active or not (`Off` only when the
    /// scope names nothing).
    pub fn written(p: &Policy) -> Home {
        let named =
            |v: &Option<crate::source::Spanned<String>>| v.as_ref().map(|x| x.value.clone());
        match p.scope.value {
            Scope::Project => {
                named(&p.project).map_or(Home::Off(p.name.value.clone()), Home::Project)
            }
            Scope::Agent => named(&p.agent).map_or(Home::Off(p.name.value.clone()), Home::Agent),
            Scope::Team => named(&p.team).map_or(Home::Off(p.name.value.clone()), Home::Team),
            Scope::Identity => {
                named(&p.identity).map_or(Home::Off(p.name.value.clone()), Home::Identity)
            }
            Scope::Tenant | Scope::Org => Home::Tenant,
        }
    }

    /// The scope key that names this home's events (`project: payments`).
    pub fn scope_key(&self) -> Option<(&'static str, &str)> {
        match self {
            Home::Project(p) => Some(("project", p)),
            Home::Agent(a) => Some(("agent", a)),
            Home::Team(t) => Some(("team", t)),
            Home::Identity(i) => Some(("identity", i)),
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
            Home::Team(t) => format!("team `{t}`"),
            Home::Identity(i) => format!("identity `{i}`"),
            Home::Off(p) => format!("inactive policy `{p}`"),
        }
    }
}
