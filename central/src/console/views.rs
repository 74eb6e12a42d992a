//! The page frame, the error page and small pieces every page shares (deadline badges with
//! words and symbols, labels in Chinese first and English second).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use jiuzhu_core::api::{DeadlineColour, StaffRole};
use jiuzhu_core::workflow::{CaseState, Step};
use maud::{DOCTYPE, Markup, html};

use super::session::{CSRF_FIELD, Console};
use crate::error::ApiError;

/// Every workflow state, in procedure order (the queue's filter).
pub const STATES: &[CaseState] = &[
    CaseState::Submitted,
    CaseState::AwaitingMaterials,
    CaseState::Accepted,
    CaseState::Investigating,
    CaseState::FindingsNotified,
    CaseState::Investigated,
    CaseState::InPublicity,
    CaseState::PublicityObjected,
    CaseState::Appraising,
    CaseState::Appraised,
    CaseState::PublicityEnded,
    CaseState::AwaitingDistrict,
    CaseState::Approved,
    CaseState::Published,
    CaseState::Refused,
    CaseState::Abandoned,
    CaseState::Withdrawn,
];

/// A state by its snake_case name.
pub fn state_of(name: &str) -> Option<CaseState> {
    STATES.iter().copied().find(|s| s.name() == name)
}

/// `中文 English` for a state name as stored.
pub fn state_label(name: &str) -> String {
    state_of(name)
        .map(|s| format!("{} {}", s.label_zh(), s.label_en()))
        .unwrap_or_else(|| name.to_string())
}

/// The symbol beside a deadline colour, so colour is never the only sign.
pub fn colour_symbol(c: DeadlineColour) -> &'static str {
    match c {
        DeadlineColour::Green => "●",
        DeadlineColour::Amber => "▲",
        DeadlineColour::Red => "■",
        DeadlineColour::Overdue => "✖",
    }
}

/// The CSS class of a deadline colour.
pub fn colour_class(c: DeadlineColour) -> &'static str {
    match c {
        DeadlineColour::Green => "dl dl-green",
        DeadlineColour::Amber => "dl dl-amber",
        DeadlineColour::Red => "dl dl-red",
        DeadlineColour::Overdue => "dl dl-overdue",
    }
}

/// A deadline badge: symbol, words in both languages.
pub fn colour_badge(c: Option<DeadlineColour>) -> Markup {
    match c {
        Some(c) => html! {
            span class=(colour_class(c)) { (colour_symbol(c)) " " (c.label_zh()) " " span.en { (c.label_en()) } }
        },
        None => html! { span.dl { "— 无期限 " span.en { "no deadline" } } },
    }
}

/// A role in both languages.
pub fn role_label(r: StaffRole) -> String {
    format!("{} {}", r.label_zh(), r.label_en())
}

/// A step name (snake_case) in both languages.
pub fn step_label(name: &str) -> String {
    serde_json::from_value::<Step>(serde_json::Value::String(name.to_string()))
        .map(|s| format!("{}（{}）", s.label_zh(), s.label_en()))
        .unwrap_or_else(|_| name.to_string())
}

/// The hidden CSRF field of a form.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// A page in the console frame.
pub fn page(title: &str, who: Option<&Console>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 救助通乡镇工作台" }
                link rel="stylesheet" href="/console/static/console.css";
            }
            body {
                header.top {
                    div.brand { "救助通 · 乡镇工作台 " span.en { "Township office console" } }
                    @if let Some(c) = who {
                        nav {
                            a href="/console/queue" { "待办 " span.en { "Queue" } }
                            a href="/console/statistics" { "统计 " span.en { "Statistics" } }
                            @if let Some(t) = &c.staff.township {
                                a href={ "/console/townships/" (t) "/publicity" } { "公示 " span.en { "Publicity" } }
                                a href={ "/console/townships/" (t) "/publication" } { "公布 " span.en { "Publication" } }
                            }
                            a href="/console/kiosks" { "自助终端 " span.en { "Kiosks" } }
                        }
                        div.who {
                            span { (c.staff.username) " · " (role_label(c.staff.role)) }
                            form method="post" action="/console/logout" {
                                (csrf(&c.csrf))
                                button.link type="submit" { "退出 " span.en { "Log out" } }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// An error shown as a page, with the status that says what kind it is.
#[derive(Debug, Clone)]
pub struct ConsoleError {
    /// HTTP status.
    pub status: StatusCode,
    /// What happened and what to do, in Chinese.
    pub zh: String,
    /// The same in English (or core's own reason).
    pub en: String,
    /// Send the browser to the login page instead.
    pub login: bool,
}

impl ConsoleError {
    /// An error page.
    pub fn new(status: StatusCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ConsoleError {
            status,
            zh: zh.into(),
            en: en.into(),
            login: false,
        }
    }

    /// A page that needs a session: the browser goes to the login form.
    pub fn login_required() -> Self {
        ConsoleError {
            login: true,
            ..Self::new(StatusCode::SEE_OTHER, "请先登录", "Log in first.")
        }
    }

    /// An API error in words: Chinese for its code, core's or the store's reason in English.
    pub fn from_api(e: &ApiError) -> Self {
        let zh = match e.code {
            "wrong_role" => "您的角色不能办理这一步".to_string(),
            "forbidden" | "wrong_township" => {
                "这是其他乡镇（街道）的案件或名单，您的账号无权查看或办理".to_string()
            }
            "missing_step" => format!(
                "这一步还不能办理：须先完成“{}”",
                e.missing_step
                    .as_deref()
                    .map(step_label)
                    .unwrap_or_default()
            ),
            "not_in_state" => "案件当前的状态不能办理这一步".to_string(),
            "closed" => "案件已办结，不能再办理".to_string(),
            "incomplete" => "申请材料或授权签字不全：请先一次性告知补齐".to_string(),
            "nothing_missing" => "材料齐全，无需告知：请直接受理".to_string(),
            "second_missing_materials_notice" => "一次性告知只能发一次".to_string(),
            "deadline_not_after_today" => "补齐期限必须在今天之后".to_string(),
            "publicity_running" => "公示期（7天）尚未届满".to_string(),
            "publicity_over" => "公示期已满，不能再提出公示异议".to_string(),
            "amount_required" => "请填写金额".to_string(),
            "amount_not_allowed" => "这一项不应填写金额".to_string(),
            "text_required" => "请填写说明或理由".to_string(),
            "meeting_required" => "有争议的案件须召开评审会决定".to_string(),
            "disputed_case" => "有争议的案件不能以“无争议”方式初审".to_string(),
            "delegated_township" => "本乡镇已下放审批权限，不需报送区民政局".to_string(),
            "already_extended" => "办理时限已经延长过".to_string(),
            "extension_not_justified" => "延期理由不成立".to_string(),
            "not_found" => "没有找到".to_string(),
            "invalid_request" => "提交的内容不对".to_string(),
            _ => "无法办理".to_string(),
        };
        ConsoleError::new(e.status, zh, e.reason.clone())
    }

    /// The message as a block inside a page.
    pub fn block(&self) -> Markup {
        html! {
            div.error role="alert" {
                p.zh { "✖ " (self.zh) }
                p.en { (self.en) }
            }
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if self.login {
            return super::see_other("/console/login");
        }
        let body = page(
            "出错了",
            None,
            html! {
                h1 { "无法完成 " span.en { "Could not do that" } }
                (self.block())
                p { a href="/console/queue" { "回到待办 " span.en { "Back to the queue" } } }
            },
        );
        (self.status, Html(body.into_string())).into_response()
    }
}

/// A date for people: `2026年3月2日`.
pub fn day(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A time in China (UTC+8) for people: `2026-03-02 09:30`.
pub fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
