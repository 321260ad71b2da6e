//! Governance objects by the project they are confined to, so an event
//! looks only at its own project's objects and at those that can cover any
//! project: with thousands of project caps or budgets, the work per event
//! stays with the objects that can apply to it.

use std::collections::HashMap;

use super::{Home, ScopeGlobs};

#[derive(Debug, Clone, Default)]
pub struct ProjectIndex {
    by_project: HashMap<String, Vec<usize>>,
    /// Objects not confined to one project (tenant-wide, or a project glob).
    rest: Vec<usize>,
}

impl ProjectIndex {
    /// Indexes objects given as (home, scope) in index order; an object
    /// whose home is off (it never applies) is left out.
    pub fn build<'a>(objects: impl Iterator<Item = (&'a Home, &'a ScopeGlobs)>) -> ProjectIndex {
        Self::of(objects.enumerate().map(|(i, (h, s))| (i, h, s)))
    }

    /// Indexes objects given as (index, home, scope).
    pub fn of<'a>(
        objects: impl Iterator<Item = (usize, &'a Home, &'a ScopeGlobs)>,
    ) -> ProjectIndex {
        let mut ix = ProjectIndex::default();
        for (i, home, scope) in objects {
            let project = match home {
                Home::Off(_) => continue,
                Home::Project(p) => Some(p.as_str()),
                _ => scope
                    .iter()
                    .find(|(k, _)| k == "project")
                    .and_then(|(_, g)| g.literal()),
            };
            match project {
                Some(p) => ix.by_project.entry(p.to_string()).or_default().push(i),
                None => ix.rest.push(i),
            }
        }
        ix
    }

    /// The objects an event of `project` may be in (a superset: scopes
    /// and dates still decide), each once.
    pub fn candidates<'s>(&'s self, project: Option<&str>) -> impl Iterator<Item = usize> + 's {
        let own = project
            .and_then(|p| self.by_project.get(p))
            .map_or(&[][..], Vec::as_slice);
        own.iter().chain(&self.rest).copied()
    }
}
