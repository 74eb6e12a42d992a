//! The Slint user interface: the generated components and one adapter per page global.
//! Adapters translate between controller state and the `.slint` globals; they never touch a
//! driver or the database.

#[allow(missing_docs, clippy::all, clippy::todo)]
mod generated {
    slint::include_modules!();
}

pub use generated::*;

pub mod app_adapter;
pub mod apply_adapter;
pub mod certify_adapter;
pub mod contrast;
pub mod headless;
pub mod help_calls_adapter;
pub mod home_adapter;
pub mod identify_adapter;
pub mod progress_adapter;
pub mod prompt_cache;
pub mod sign_adapter;
pub mod speech;
pub mod voice;

/// The UI languages, zh-CN first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// 简体中文 — the source language of every string.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Language {
    /// The tag kept in `AppAdapter.language`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }

    /// Parses `zh-CN`/`zh`/`en`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "zh-CN" | "zh" | "zh_CN" => Some(Language::ZhCn),
            "en" | "en-US" | "en_US" => Some(Language::En),
            _ => None,
        }
    }

    /// Makes this language current for every `@tr` string.
    pub fn select(self) -> anyhow::Result<()> {
        // The source strings are zh-CN: the empty tag selects them.
        let bundle = match self {
            Language::ZhCn => "",
            Language::En => "en",
        };
        slint::select_bundled_translation(bundle)
            .map_err(|e| anyhow::anyhow!("cannot select UI language {}: {e:?}", self.tag()))
    }
}
pub mod staff_adapter;
