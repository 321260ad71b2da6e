//! Every closed set of names in the language (spec §2–§6), each with its
//! spelling, so lint can say "did you mean" and compile can emit names.

use serde::{Serialize, Serializer};

macro_rules! name_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Something that has a fixed set of spellings.
pub trait Named: Sized + Copy {
    const NAMES: &'static [&'static str];
    /// What the value is called in messages ("action").
    const WHAT: &'static str;
    fn parse(s: &str) -> Option<Self>;
}

macro_rules! named {
    ($($name:ident => $what:literal),+ $(,)?) => {
        $(impl Named for $name {
            const NAMES: &'static [&'static str] = $name::NAMES;
            const WHAT: &'static str = $what;
            fn parse(s: &str) -> Option<Self> { $name::from_name(s) }
        })+
    };
}

name_enum!(
    /// What a rule applies to ("Applies To").
    Kind { Input = "input", Output = "output", Both = "both", ToolInput = "tool_input", ToolOutput = "tool_output", Handoff = "handoff" }
);

name_enum!(
    /// What happens when a rule triggers. Declared in restrictiveness order.
    Action {
        Allow = "allow", Log = "log", Alert = "alert", Warn = "warn", Redact = "redact", Mask = "mask",
        Filter = "filter", Fix = "fix", Reask = "reask", Escalate = "escalate",
        RequireApproval = "require_approval", Block = "block",
    }
);

impl Action {
    /// allow < log < alert < warn < redact/mask/filter/fix < reask < escalate
    /// < require_approval < block. Equal ranks are equally restrictive.
    pub fn rank(self) -> u8 {
        match self {
            Action::Allow => 0,
            Action::Log => 1,
            Action::Alert => 2,
            Action::Warn => 3,
            Action::Redact | Action::Mask | Action::Filter | Action::Fix => 4,
            Action::Reask => 5,
            Action::Escalate => 6,
            Action::RequireApproval => 7,
            Action::Block => 8,
        }
    }
}

name_enum!(
    /// A rule's severity; `hard` and `soft` are KaireonAI's spellings.
    Severity { Safe = "safe", Low = "low", Medium = "medium", High = "high", Critical = "critical", Hard = "hard", Soft = "soft" }
);

impl Severity {
    /// Order used when comparing severities (hard = critical, soft = medium).
    pub fn rank(self) -> u8 {
        match self {
            Severity::Safe => 0,
            Severity::Low => 1,
            Severity::Medium | Severity::Soft => 2,
            Severity::High => 3,
            Severity::Critical | Severity::Hard => 4,
        }
    }
}

name_enum!(RuleStatus { Draft = "draft", Active = "active", Paused = "paused", Archived = "archived" });
name_enum!(FixStrategy { Truncate = "truncate", StripHtml = "strip_html", RedactPii = "redact_pii", Normalize = "normalize", Custom = "custom" });
name_enum!(StreamInterval { Token = "token", Sentence = "sentence", ChunkSize = "chunk_size" });
name_enum!(PolicyType { Dlp = "dlp", ShadowAi = "shadow_ai", AccessControl = "access_control", Safety = "safety", Other = "other" });
name_enum!(
    /// Where a policy applies. Tenant is the widest layer, agent the narrowest.
    Scope { Tenant = "tenant", Org = "org", Project = "project", Team = "team", Agent = "agent", Identity = "identity" }
);
name_enum!(
    /// A policy's status; `disabled` is Kairro's (kept, never applied).
    PolicyStatus { Draft = "draft", Active = "active", Archived = "archived", Disabled = "disabled" }
);
name_enum!(FailMode { Open = "open", Closed = "closed" });
name_enum!(OverspendAction { Downgrade = "downgrade", DisableModelChecks = "disable_model_checks", AlertOnly = "alert_only" });
name_enum!(
    /// What a `check` means (spec §2 Polarity): content must satisfy it to
    /// pass, or it describes a violation.
    Polarity { Pass = "pass", Violation = "violation" }
);
name_enum!(
    /// How one event's triggered rules decide: the most restrictive action,
    /// the first by priority, or the most severe rule's action (Kairro).
    Combine { MostRestrictive = "most_restrictive", FirstMatch = "first_match", StrongestSeverity = "strongest_severity" }
);
name_enum!(
    /// Where a policy is deployed (spec §8): picks the runtime's defaults
    /// and decision rules, and the default compile target.
    Runtime { Guardctl = "guardctl", Kore = "kore", Kaireon = "kaireon", Orq = "orq", Kairro = "kairro" }
);
name_enum!(Adapter {
    OpenaiCompatible = "openai_compatible", OpenaiModeration = "openai_moderation", CustomHttp = "custom_http",
    CustomWebhook = "custom_webhook", CustomLlm = "custom_llm", HuggingfaceInference = "huggingface_inference",
    Anthropic = "anthropic", GoogleCloud = "google_cloud", VertexAi = "vertex_ai", Bedrock = "bedrock",
    AzureContentSafety = "azure_content_safety", Lakera = "lakera", Aporia = "aporia", BuiltinPii = "builtin_pii", Other = "other",
});
name_enum!(Hosting { CloudApi = "cloud_api", SelfHosted = "self_hosted", ManagedService = "managed_service" });
name_enum!(Backoff { Fixed = "fixed", Exponential = "exponential" });
name_enum!(Window { Hour = "hour", Day = "day", Week = "week", Month = "month" });
name_enum!(CapAction { Block = "block", RequireApproval = "require_approval", Alert = "alert" });
name_enum!(OnTimeout { Reject = "reject", Approve = "approve", Escalate = "escalate" });
name_enum!(ExceptionStatus { Draft = "draft", Submitted = "submitted", Approved = "approved", Revoked = "revoked" });
name_enum!(Tier { Local = "local", Model = "model", Llm = "llm" });
name_enum!(
    /// Condition-tree operators (spec §4).
    Operator {
        Eq = "eq", Neq = "neq", Gt = "gt", Gte = "gte", Lt = "lt", Lte = "lte", In = "in", NotIn = "not_in",
        Contains = "contains", StartsWith = "starts_with", EndsWith = "ends_with", Matches = "matches", Exists = "exists",
    }
);
name_enum!(
    /// Built-in detector entities (Presidio names), PII and secrets (spec §5).
    Entity {
        EmailAddress = "EMAIL_ADDRESS", PhoneNumber = "PHONE_NUMBER", CreditCard = "CREDIT_CARD", UsSsn = "US_SSN",
        IbanCode = "IBAN_CODE", IpAddress = "IP_ADDRESS", Url = "URL", UsBankNumber = "US_BANK_NUMBER",
        Crypto = "CRYPTO", DateOfBirth = "DATE_OF_BIRTH", ApiKey = "API_KEY", PrivateKey = "PRIVATE_KEY", Jwt = "JWT",
    }
);

impl Entity {
    /// Each entity's documented severity (spec §5), read by
    /// `min_severity`, Kairro's DLP summary and its severity fallback:
    /// credentials and card or social-security numbers are critical,
    /// account numbers and tokens high, contact and birth data medium,
    /// addresses on the network low.
    pub fn severity(self) -> Severity {
        match self {
            Entity::CreditCard | Entity::UsSsn | Entity::ApiKey | Entity::PrivateKey => {
                Severity::Critical
            }
            Entity::IbanCode | Entity::UsBankNumber | Entity::Crypto | Entity::Jwt => {
                Severity::High
            }
            Entity::EmailAddress | Entity::PhoneNumber | Entity::DateOfBirth => Severity::Medium,
            Entity::IpAddress | Entity::Url => Severity::Low,
        }
    }
}

named!(
    Kind => "kind", Action => "action", Severity => "severity", RuleStatus => "status",
    FixStrategy => "fix strategy", StreamInterval => "streaming interval", PolicyType => "policy type",
    Scope => "scope", PolicyStatus => "status", FailMode => "fail mode", OverspendAction => "overspend action",
    Combine => "combine mode", Adapter => "adapter", Hosting => "hosting", Backoff => "backoff", Window => "window",
    CapAction => "action", OnTimeout => "on_timeout", ExceptionStatus => "status", Operator => "operator",
    Entity => "entity", Polarity => "check polarity", Runtime => "runtime",
);
