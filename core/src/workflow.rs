//! The review procedure of 《涪陵区社会救助网上申请办理流程（试行）》 (附件 一–四; domain.md §2) as a
//! pure state machine.
//!
//! A [`Case`] is created by [`Case::submit`] and moved on by [`next`]`(case, event, now, calendar)`,
//! where an [`Event`] is an [`Action`] together with the [`Actor`] taking it; `next` returns the new case and the [`Effect`]s the caller carries out (notices, postings,
//! filings), or a [`WorkflowError`] that names the missing step or the required role. Nothing
//! here reads a clock or does I/O: `now` and the [`Calendar`] are parameters. Timers are the
//! [`Action::Tick`] the central service sends (at least daily) as [`Role::System`]; a tick
//! abandons a case whose missing-materials deadline has passed, closes a 公示 whose 7 days are
//! over and reports each missed deadline once ([`Effect::Overdue`]). [`deadlines`] lists the
//! running deadlines with their colour for staff screens.
//!
//! # The procedure
//!
//! ```text
//! submit ─▶ submitted ──accept──────────────────────────▶ accepted ──start_investigation──▶ investigating
//!              │  ▲                                                                          │
//!   notify_missing_materials (once)  supply/sign completes it                 record_findings│
//!              ▼  │                                                     ┌────────────────────┴──────────────┐
//!        awaiting_materials ──tick after the deadline──▶ abandoned      ▼ eligible             not eligible ▼
//!                                                                 investigated         findings_notified ──object_to_findings──▶ investigating (复查)
//!                                                                        └──────propose_initial_opinion (初审)───┘
//!                                                                                        ▼
//!   appraised ◀─record_appraisal── appraising ◀─start_democratic_appraisal── publicity_objected ◀─object_to_publicity── in_publicity (7 days)
//!       └────────propose_initial_opinion (new 初审, second 公示)───────▶ in_publicity    reinvestigate ─▶ investigating            │
//!                                                                                                       conclude_publicity / tick ▼
//!                               delegated township: confirm (township leader) ◀──────────────────────────────── publicity_ended
//!                               otherwise: report_to_district ─▶ awaiting_district ─▶ confirm (district bureau, 10 working days)
//!                                                   confirm ─▶ approved ──publish──▶ published        confirm(refuse) ─▶ refused
//! ```
//!
//! `withdraw` ends any case before the decision; `declare_staff_relative` may come at any time
//! before the decision and must be filed (`file_relatives_declaration`, 备案登记) before the
//! 初审 and before the decision; `extend_time_limit` records the reason for the 40-day limit.
//!
//! # Days
//!
//! "Within N working days of day D" means by the end of the Nth working day after D, D itself
//! not counted ([`Calendar::add_working_days`]); the Civil Code counts periods the same way
//! (民法典 第二百零一条: the starting day is not counted). The 7-day 公示 is in calendar days: posted
//! on D, it runs D+1 … D+7 and can be concluded from D+8; objections are taken from D to D+7.
//! Dates are China Standard Time dates of `now` ([`china_date`]).
//!
//! | rule (seed) | constant |
//! |---|---|
//! | 受理 within 2 working days of receiving the application (or the supplied materials) | [`ACCEPTANCE_WORKING_DAYS`] |
//! | 调查 starts within 2 working days of acceptance | [`INVESTIGATION_START_WORKING_DAYS`] |
//! | 公示 7 days | [`PUBLICITY_CALENDAR_DAYS`] |
//! | 区民政局 decides within 10 working days of receiving the report | [`DISTRICT_DECISION_WORKING_DAYS`] |
//! | whole 审核确认 within 20 (delegated) / 25 working days of acceptance, 40 when extended | [`TOTAL_LIMIT_DELEGATED`], [`TOTAL_LIMIT`], [`TOTAL_LIMIT_EXTENDED`] |
//!
//! # Modules
//!
//! `workflow/actors.rs` (roles, who may act), `states.rs` (steps, states, deadline kinds and
//! colours), `records.rs` (the [`Case`] and what each step records: notice, findings and their
//! methods, objections, opinions, 公示, appraisal, extension, decision), `events.rs` (actions,
//! effects, notices), `errors.rs`, `dates.rs` (what is due by when), `engine.rs` ([`next`], who
//! may take which step, shared checks) and the steps by the procedure's phases: `intake.rs` (受理,
//! 一次性告知, supply, signatures, 近亲属申明 and 备案, withdrawal), `investigation.rs` (入户调查,
//! 复查 objection), `review.rs` (初审, 公示, objections, 民主评议), `confirmation.rs` (report to the
//! district, 审核确认, 公布, extension) and `timers.rs` (the minute scan). The documents the effects
//! become are made by `crate::notices`. Everything public is re-exported here.
//!
//! # Storage
//!
//! `Case`, [`CaseState`], [`Event`] ([`Actor`] + [`Action`]) and [`Effect`] are serde types; the central service stores a
//! case as JSON and `state` as its snake_case name ([`CaseState::name`]). Identity numbers and
//! names are written in full in JSON (the stored case is the archive) and masked in `Debug`.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::application::{
    Application, ApplicationError, Material, StaffRelative, SuppliedMaterial, is_sha256_hex,
};
use crate::calendar::{Calendar, add_calendar_days, calendar_days_between};
use crate::household::{AssistanceType, Money, TypeAvailability};
use crate::id::{IdNumber, PersonName};

/// 受理: the township accepts, or sends the missing-materials notice, within this many working
/// days of receiving the application (附件 一(二)).
pub const ACCEPTANCE_WORKING_DAYS: u32 = 2;
/// 家庭经济状况调查 starts within this many working days of acceptance (附件 二).
pub const INVESTIGATION_START_WORKING_DAYS: u32 = 2;
/// 公示 lasts this many calendar days (附件 三(二)).
pub const PUBLICITY_CALENDAR_DAYS: u32 = 7;
/// The district bureau decides within this many working days of receiving the report (附件 三(三)2).
pub const DISTRICT_DECISION_WORKING_DAYS: u32 = 10;
/// The whole review, acceptance to decision, in a township with delegated authority (附件 四).
pub const TOTAL_LIMIT_DELEGATED: u32 = 20;
/// The whole review, acceptance to decision, otherwise (附件 四).
pub const TOTAL_LIMIT: u32 = 25;
/// The limit when extended for a recorded reason (附件 四).
pub const TOTAL_LIMIT_EXTENDED: u32 = 40;

/// The China Standard Time (UTC+8) date of an instant.
pub fn china_date(now: DateTime<Utc>) -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    now.with_timezone(&cst).date_naive()
}

mod actors;
pub use actors::*;
mod states;
pub use states::*;
mod records;
pub use records::*;
mod events;
pub use events::*;
mod errors;
pub use errors::*;
mod dates;
pub use dates::*;
mod engine;
pub use engine::*;
// The procedure's phases, each a module of the engine's steps.
mod confirmation;
mod intake;
mod investigation;
mod review;
mod timers;

#[cfg(test)]
mod tests;
