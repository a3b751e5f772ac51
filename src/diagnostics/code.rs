//! The central table of diagnostic codes (the contract's section 8).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    SyntaxError,
    UnreadableFile,
    UndefinedName,
    DuplicateDefinition,
    TypeMismatch,
    UnknownVariant,
    InvalidTarget,
    InvalidConfig,
    InvalidSuppression,
    UnusedDeclaration,
    Cycle,
    ConflictingOutcomes,
    OverlappingBranches,
    NonExhaustive,
    MissingEscalation,
    SlaExceeded,
    UnreachableStep,
    DeadBranch,
    ShadowedBranch,
    MissingTimeout,
    AnalysisIncomplete,
}

/// How a finding counts. `Allow` findings are not reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    /// Reported, never counted as a problem (exit code unchanged).
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// The level names of `sopflow.toml`.
    pub fn from_config(text: &str) -> Option<Level> {
        match text {
            "allow" => Some(Level::Allow),
            "note" => Some(Level::Note),
            "warn" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

impl Code {
    pub const ALL: [Code; 21] = [
        Code::SyntaxError,
        Code::UnreadableFile,
        Code::UndefinedName,
        Code::DuplicateDefinition,
        Code::TypeMismatch,
        Code::UnknownVariant,
        Code::InvalidTarget,
        Code::InvalidConfig,
        Code::InvalidSuppression,
        Code::UnusedDeclaration,
        Code::Cycle,
        Code::ConflictingOutcomes,
        Code::OverlappingBranches,
        Code::NonExhaustive,
        Code::MissingEscalation,
        Code::SlaExceeded,
        Code::UnreachableStep,
        Code::DeadBranch,
        Code::ShadowedBranch,
        Code::MissingTimeout,
        Code::AnalysisIncomplete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::SyntaxError => "syntax-error",
            Code::UnreadableFile => "unreadable-file",
            Code::UndefinedName => "undefined-name",
            Code::DuplicateDefinition => "duplicate-definition",
            Code::TypeMismatch => "type-mismatch",
            Code::UnknownVariant => "unknown-variant",
            Code::InvalidTarget => "invalid-target",
            Code::InvalidConfig => "invalid-config",
            Code::InvalidSuppression => "invalid-suppression",
            Code::UnusedDeclaration => "unused-declaration",
            Code::Cycle => "cycle",
            Code::ConflictingOutcomes => "conflicting-outcomes",
            Code::OverlappingBranches => "overlapping-branches",
            Code::NonExhaustive => "non-exhaustive",
            Code::MissingEscalation => "missing-escalation",
            Code::SlaExceeded => "sla-exceeded",
            Code::UnreachableStep => "unreachable-step",
            Code::DeadBranch => "dead-branch",
            Code::ShadowedBranch => "shadowed-branch",
            Code::MissingTimeout => "missing-timeout",
            Code::AnalysisIncomplete => "analysis-incomplete",
        }
    }

    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn default_level(self) -> Level {
        match self {
            Code::InvalidSuppression
            | Code::UnusedDeclaration
            | Code::OverlappingBranches
            | Code::UnreachableStep
            | Code::DeadBranch
            | Code::ShadowedBranch
            | Code::MissingTimeout => Level::Warning,
            Code::AnalysisIncomplete => Level::Note,
            _ => Level::Error,
        }
    }

    /// Whether `sopflow.toml` and suppression comments may change this
    /// code's level. Findings about the input itself cannot be silenced.
    pub fn configurable(self) -> bool {
        !matches!(self, Code::SyntaxError | Code::UnreadableFile | Code::InvalidConfig)
    }

    /// Codes whose finding in a flow or table stops its analysis (gating).
    pub fn gates_analysis(self) -> bool {
        matches!(self, Code::SyntaxError | Code::UndefinedName | Code::DuplicateDefinition | Code::TypeMismatch | Code::UnknownVariant | Code::InvalidTarget)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
