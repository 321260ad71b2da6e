//! Providers a Kore tenant has without declaring them: the adapters its
//! guardrail registry ships (`openai_moderation`, spelt
//! `openai-moderation` in the registry, and `builtin_pii` /
//! `builtin-pii`). A rule may name one with no `PROVIDERS:` entry in the
//! repository; it gets the registry's documented defaults: threshold 0.5,
//! category `general` (OpenAI's overall flag; a rule names a category to
//! read one of its scores) or `pii` (1.0 when PII is found). A
//! `PROVIDERS:` entry of the same name wins.

use std::sync::{Arc, LazyLock};

use super::enums::Adapter;
use super::home::Home;
use super::model::Provider;
use crate::source::{SourceFile, Span, Spanned};

/// Shown as where such a provider is defined.
pub const SOURCE: &str = "<Kore tenant registry>";

/// (name, adapter, default category).
const ENTRIES: &[(&str, Adapter, &str)] = &[
    ("openai_moderation", Adapter::OpenaiModeration, "general"),
    ("openai-moderation", Adapter::OpenaiModeration, "general"),
    ("builtin_pii", Adapter::BuiltinPii, "pii"),
    ("builtin-pii", Adapter::BuiltinPii, "pii"),
];

static PROVIDERS: LazyLock<Vec<Provider>> = LazyLock::new(|| {
    let file = SourceFile::new(SOURCE, "");
    let at = Span::point(0);
    ENTRIES
        .iter()
        .map(|(name, adapter, category)| Provider {
            file: Arc::clone(&file),
            name: Spanned::new((*name).to_string(), at),
            policy: None,
            home: Home::Tenant,
            adapter: Some(Spanned::new(*adapter, at)),
            hosting: None,
            endpoint: None,
            model: None,
            auth_profile: None,
            default_category: Some(Spanned::new((*category).to_string(), at)),
            default_threshold: Some(Spanned::new(0.5, at)),
            supported_categories: None,
            circuit_breaker: None,
            retry: None,
            cost_per_eval_usd: None,
            evaluator_id: None,
        })
        .collect()
});

/// The registry provider named `name`.
pub fn find(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name.value == name)
}

/// The registry's names, for help texts.
pub fn names() -> impl Iterator<Item = &'static str> {
    ENTRIES.iter().map(|e| e.0)
}
