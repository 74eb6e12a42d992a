//! The console's handlers: login and logout, the queue, a case with its step forms, the
//! phone visit with photo upload, documents, statistics and kiosks. Every read and step goes
//! through the [`Store`] and, for steps, core's `workflow::next` inside `Store::apply_event`,
//! as the `/v1/staff` API does; every read is audited like the API's.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Days, Utc};
use jiuzhu_core::api::{CaseSummary, DeadlineColour, NoticeEntry};
use jiuzhu_core::workflow::{self, Case, CaseState, Event, china_date};
use maud::{Markup, html};
use sha2::{Digest, Sha256};

use super::forms::{self, Fields};
use super::pdf::Document;
use super::session::{self, Console, ConsoleForm, LOGIN_COOKIE};
use super::views::{self, ConsoleError, colour_badge, csrf, page, state_label};
use super::{blocking, charts, see_other};
use crate::http::{AppState, check_scope, sniff, staff_actor};
use crate::store::{CaseFile, CaseSigner, Store, WorkflowStep};

/// The style sheet (large type, high contrast, print and phone layouts).
pub const STYLESHEET: &str = include_str!("console.css");

fn html_page(status: StatusCode, m: Markup) -> Response {
    (status, Html(m.into_string())).into_response()
}

fn scope(c: &Console, township: &str) -> Result<(), ConsoleError> {
    check_scope(&c.staff, township).map_err(|e| ConsoleError::from_api(&e))
}

/// A case id as the store makes them (UUID text); anything else is not found.
fn check_case_id(id: &str) -> Result<(), ConsoleError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(not_found());
    }
    Ok(())
}

fn not_found() -> ConsoleError {
    ConsoleError::new(StatusCode::NOT_FOUND, "没有这个案件", "No such case.")
}

/// The query string as checked fields.
fn query(q: Option<String>) -> Result<Fields, ConsoleError> {
    Fields::parse(q.unwrap_or_default().as_bytes())
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        STYLESHEET,
    )
        .into_response()
}

pub async fn home(c: Result<Console, ConsoleError>) -> Response {
    match c {
        Ok(_) => see_other("/console/queue"),
        Err(_) => see_other("/console/login"),
    }
}

// ------------------------------------------------------------------------------------------
// Login and logout
// ------------------------------------------------------------------------------------------

fn login_form(error: Option<&ConsoleError>) -> Response {
    let secret = session::new_token();
    let token = session::csrf_of("login", &secret);
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let body = page(
        "登录",
        None,
        html! {
            section.login {
                h1 { "登录 " span.en { "Log in" } }
                @if let Some(e) = error { (e.block()) }
                form method="post" action="/console/login" {
                    (csrf(&token))
                    label for="username" { "用户名 " span.en { "Username" } }
                    input #username type="text" name="username" autocomplete="username" required maxlength="64" autofocus;
                    label for="password" { "密码 " span.en { "Password" } }
                    input #password type="password" name="password" autocomplete="current-password" required maxlength="256";
                    button.primary type="submit" { "登录 " span.en { "Log in" } }
                }
                p.hint { "与自助终端员工模式相同的账号。" span.en { "The same accounts as the kiosk's staff mode." } }
            }
        },
    );
    let mut res = html_page(status, body);
    if let Ok(v) = HeaderValue::from_str(&session::login_cookie(&secret)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page() -> Response {
    login_form(None)
}

pub async fn login(
    State(st): State<AppState>,
    crate::login_guard::ClientIp(ip): crate::login_guard::ClientIp,
    req: Request,
) -> Response {
    match login_inner(st, ip, req).await {
        Ok(r) => r,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => login_form(Some(&e)),
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            let mut res = login_form(Some(&e));
            *res.status_mut() = e.status;
            res
        }
        Err(e) => e.into_response(),
    }
}

async fn login_inner(
    st: AppState,
    ip: Option<std::net::IpAddr>,
    req: Request,
) -> Result<Response, ConsoleError> {
    let (parts, body) = req.into_parts();
    session::check_origin(&parts.headers)?;
    let secret = session::cookie(&parts, LOGIN_COOKIE).ok_or_else(session::csrf_refused)?;
    let mut f = Fields::read(&parts, body).await?;
    let sent = f.take(session::CSRF_FIELD).unwrap_or_default();
    if !session::same(&sent, &session::csrf_of("login", &secret)) {
        return Err(session::csrf_refused());
    }
    let user = f.req("username", "用户名")?.to_string();
    let password = f.req("password", "密码")?.to_string();
    if user.chars().count() > 64 || password.len() > 256 {
        return Err(ConsoleError::new(
            StatusCode::UNAUTHORIZED,
            "用户名或密码错误",
            "Unknown account or wrong password.",
        ));
    }
    let staff = crate::http::authenticate(&st, &user, &password, ip)
        .await
        .map_err(|res| match res.status() {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => ConsoleError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "登录尝试过多，请稍后再试",
                "Too many login attempts: wait a few minutes, then try again.",
            ),
            _ => ConsoleError::new(
                StatusCode::UNAUTHORIZED,
                "用户名或密码错误",
                "Unknown account or wrong password.",
            ),
        })?;
    let s = st.store.clone();
    let (token, _) = blocking(move || Ok(crate::http::open_session(s.as_ref(), &staff)?)).await?;
    let mut res = see_other("/console/queue");
    let h = res.headers_mut();
    for c in [
        session::session_cookie(&token, crate::http::SESSION_MINUTES),
        format!("{LOGIN_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

pub async fn logout(
    State(st): State<AppState>,
    form: ConsoleForm,
) -> Result<Response, ConsoleError> {
    let s = st.store.clone();
    let hash = form.console.token_hash.clone();
    blocking(move || Ok(s.end_session(&hash, Utc::now())?)).await?;
    let mut res = see_other("/console/login");
    if let Ok(v) = HeaderValue::from_str(&session::clear_session_cookie()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

// ------------------------------------------------------------------------------------------
// Queue
// ------------------------------------------------------------------------------------------

/// One line of the queue: the summary and what the workflow case adds.
struct QueueRow {
    summary: CaseSummary,
    applicant: String,
    village: String,
    overdue: bool,
}

/// The townships a request looks at: the account's own, or for the district bureau the one
/// asked for (all when none).
fn townships_in_view(
    s: &dyn Store,
    c: &Console,
    asked: Option<&str>,
) -> Result<Vec<crate::store::Township>, ConsoleError> {
    match asked {
        Some(code) => {
            scope(c, code)?;
            Ok(vec![s.township(code)?.ok_or_else(|| {
                ConsoleError::new(
                    StatusCode::NOT_FOUND,
                    "没有这个乡镇（街道）",
                    format!("No township '{}'.", code.escape_debug()),
                )
            })?])
        }
        None => match &c.staff.township {
            Some(t) => Ok(s.township(t)?.into_iter().collect()),
            None => Ok(s.townships()?),
        },
    }
}

pub async fn queue(
    State(st): State<AppState>,
    c: Console,
    RawQuery(q): RawQuery,
) -> Result<Response, ConsoleError> {
    let f = query(q)?;
    let s = st.store.clone();
    let c2 = c.clone();
    let f2 = f.clone();
    let (rows, villages, undelivered) = blocking(move || {
        let towns = townships_in_view(s.as_ref(), &c2, f2.get("township"))?;
        // The household documents not yet delivered in the townships shown (送达 to do).
        let mut undelivered = Vec::new();
        for t in &towns {
            undelivered.extend(s.township_notices(&t.code, true)?);
        }
        let mine: Option<BTreeSet<String>> = if f2.flag("mine") {
            Some(s.cases_touched_by(&c2.actor())?.into_iter().collect())
        } else {
            None
        };
        let mut rows = Vec::new();
        let mut villages = BTreeSet::new();
        for t in &towns {
            for summary in s.queue(&t.code)? {
                let case = s.case(&summary.case_id)?;
                let village = case
                    .as_ref()
                    .map(|k| k.application.household.village.clone())
                    .unwrap_or_default();
                villages.insert(village.clone());
                let applicant = case
                    .as_ref()
                    .and_then(|k| k.application.household.applicant())
                    .map(|a| a.name.as_unmasked_str().to_string())
                    .unwrap_or_default();
                let overdue = summary.colour == Some(DeadlineColour::Overdue);
                if f2.get("state").is_some_and(|v| v != summary.state)
                    || f2
                        .get("type")
                        .is_some_and(|v| v != views_type_name(&summary))
                    || f2.get("village").is_some_and(|v| v != village)
                    || (f2.flag("overdue") && !overdue)
                    || mine.as_ref().is_some_and(|m| !m.contains(&summary.case_id))
                {
                    continue;
                }
                rows.push(QueueRow {
                    summary,
                    applicant,
                    village,
                    overdue,
                });
            }
            s.record(
                &c2.actor(),
                "staff.view_queue",
                &format!("township:{}", t.code),
                Utc::now(),
            )?;
        }
        rows.sort_by_key(|r| {
            (
                match r.summary.colour {
                    Some(DeadlineColour::Overdue) => 0,
                    Some(DeadlineColour::Red) => 1,
                    Some(DeadlineColour::Amber) => 2,
                    Some(DeadlineColour::Green) => 3,
                    None => 4,
                },
                r.summary.due,
                r.summary.submitted_at,
            )
        });
        Ok((rows, villages, undelivered))
    })
    .await?;
    let sel = |name: &str, v: &str| f.get(name) == Some(v);
    let body = html! {
        h1 { "待办案件 " span.en { "Queue" } }
        p.hint { "按办理期限排序：" span.dl.dl-overdue { "✖ 已超期" } " " span.dl.dl-red { "■ 紧急" } " " span.dl.dl-amber { "▲ 临近" } " " span.dl.dl-green { "● 正常" } span.en { " Ordered by deadline: overdue, urgent, due soon, on track." } }
        form.filters method="get" action="/console/queue" {
            @if c.staff.township.is_none() {
                label { "乡镇 " span.en { "Township" }
                    select name="township" {
                        option value="" { "全部 All" }
                        @for t in &towns_all(&st).await { option value=(t.code) selected[sel("township", &t.code)] { (t.name) } }
                    }
                }
            }
            label { "状态 " span.en { "State" }
                select name="state" {
                    option value="" { "全部 All" }
                    @for s in views::STATES { option value=(s.name()) selected[sel("state", s.name())] { (s.label_zh()) " " (s.label_en()) } }
                }
            }
            label { "类型 " span.en { "Type" }
                select name="type" {
                    option value="" { "全部 All" }
                    @for t in [jiuzhu_core::api::AssistanceType::Dibao, jiuzhu_core::api::AssistanceType::Tekun, jiuzhu_core::api::AssistanceType::Temporary, jiuzhu_core::api::AssistanceType::LowIncomeEdge] {
                        @let n = type_name(t);
                        option value=(n) selected[sel("type", &n)] { (t.label_zh()) }
                    }
                }
            }
            label { "村（社区） " span.en { "Village" }
                select name="village" {
                    option value="" { "全部 All" }
                    @for v in &villages { option value=(v) selected[sel("village", v)] { (v) } }
                }
            }
            label.check { input type="checkbox" name="overdue" value="1" checked[f.flag("overdue")]; " 只看超期 " span.en { "Overdue only" } }
            label.check { input type="checkbox" name="mine" value="1" checked[f.flag("mine")]; " 我办理过的 " span.en { "Mine" } }
            button type="submit" { "筛选 " span.en { "Filter" } }
        }
        p { "共 " (rows.len()) " 件 " span.en { (rows.len()) " cases" } }
        table.queue {
            thead { tr {
                th { "期限 " span.en { "Deadline" } }
                th { "申请人 " span.en { "Applicant" } }
                th { "类型 " span.en { "Type" } }
                th { "村（社区） " span.en { "Village" } }
                th { "状态 " span.en { "State" } }
                th { "提交时间 " span.en { "Submitted" } }
                th {}
            } }
            tbody {
                @for r in &rows {
                    tr.overdue[r.overdue] {
                        td { (colour_badge(r.summary.colour)) @if let Some(d) = r.summary.due { br; (views::day(d)) } }
                        td { (r.applicant) }
                        td { (r.summary.assistance_type.label_zh()) }
                        td { (r.village) }
                        td { (state_label(&r.summary.state)) }
                        td { (views::time(r.summary.submitted_at)) }
                        td { a.button href={ "/console/cases/" (r.summary.case_id) } { "办理 " span.en { "Open" } } }
                    }
                }
                @if rows.is_empty() { tr { td colspan="7" { "没有符合条件的案件。 " span.en { "No cases match." } } } }
            }
        }
        h2 { "未送达的告知书 " span.en { "Documents not yet delivered" } }
        @if undelivered.is_empty() {
            p { "没有。 " span.en { "None." } }
        } @else {
            p { "共 " (undelivered.len()) " 份：打开案件打印后当面或经村（社区）送达，并登记。 "
                span.en { "Open the case, print and hand over, then record it." } }
            table {
                thead { tr {
                    th { "案号 " span.en { "Case" } } th { "文书 " span.en { "Document" } }
                    th { "出具 " span.en { "Issued" } } th { "期限 " span.en { "Deadline" } } th {}
                } }
                tbody { @for n in &undelivered { tr {
                    td { (n.case_no.clone().unwrap_or_default()) }
                    td { (n.kind.label_zh()) }
                    td { (views::day(n.issued_on)) }
                    td { @if let Some(d) = n.deadline { (views::day(d)) } }
                    td { a.button href={ "/console/cases/" (n.case_id) } { "办理 " span.en { "Open" } } }
                } } }
            }
        }
    };
    Ok(html_page(StatusCode::OK, page("待办", Some(&c), body)))
}

async fn towns_all(st: &AppState) -> Vec<crate::store::Township> {
    let s = st.store.clone();
    tokio::task::spawn_blocking(move || s.townships().unwrap_or_default())
        .await
        .unwrap_or_default()
}

fn type_name(t: jiuzhu_core::api::AssistanceType) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn views_type_name(s: &CaseSummary) -> String {
    type_name(s.assistance_type)
}

// ------------------------------------------------------------------------------------------
// Case
// ------------------------------------------------------------------------------------------

/// Everything the case page shows.
struct CaseView {
    summary: CaseSummary,
    case: Option<Case>,
    files: Vec<CaseFile>,
    signers: Vec<CaseSigner>,
    history: Vec<jiuzhu_core::api::HistoryEntry>,
    deadlines: Vec<workflow::Deadline>,
    township: crate::store::Township,
    /// The documents addressed to the household, oldest first, with their delivery.
    notices: Vec<jiuzhu_core::api::CaseNotice>,
}

fn load_case(st: &AppState, c: &Console, id: &str, audit: bool) -> Result<CaseView, ConsoleError> {
    check_case_id(id)?;
    let s = st.store.as_ref();
    let summary = s.case_summary(id)?.ok_or_else(not_found)?;
    scope(c, &summary.township)?;
    if audit {
        s.record(&c.actor(), "staff.view_case", id, Utc::now())?;
    }
    let case = s.case(id)?;
    let today = china_date((st.clock)());
    let deadlines = case
        .as_ref()
        .map(|k| workflow::deadlines(k, &st.calendar, today))
        .unwrap_or_default();
    let township = s.township(&summary.township)?.ok_or_else(not_found)?;
    Ok(CaseView {
        notices: s.household_notices(id)?,
        files: s.case_files(id)?,
        signers: s.case_signers(id)?,
        history: s.history(id)?,
        summary,
        case,
        deadlines,
        township,
    })
}

pub async fn case_page(
    State(st): State<AppState>,
    c: Console,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ConsoleError> {
    let f = query(q)?;
    let st2 = st.clone();
    let c2 = c.clone();
    let v = blocking(move || load_case(&st2, &c2, &id, true)).await?;
    let done = f.get("done").map(str::to_string);
    Ok(render_case(
        &st,
        &c,
        &v,
        None,
        done.as_deref(),
        StatusCode::OK,
    ))
}

pub async fn case_step(
    State(st): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, ConsoleError> {
    let c = form.console;
    let st2 = st.clone();
    let c2 = c.clone();
    let id2 = id.clone();
    let result = blocking(move || {
        let v = load_case(&st2, &c2, &id2, false)?;
        let action = match forms::action_for(&form.fields, v.case.as_ref()) {
            Ok(a) => a,
            Err(e) => return Ok((v, Err(e))),
        };
        let name = action.name();
        let step = WorkflowStep {
            event: Event::new(staff_actor(&c2.staff), action),
            now: (st2.clock)(),
            calendar: &st2.calendar,
        };
        match st2.store.apply_event(&id2, &c2.actor(), &step) {
            Ok(_) => Ok((v, Ok(name))),
            Err(e) => Ok((v, Err(ConsoleError::from(e)))),
        }
    })
    .await?;
    match result {
        (_, Ok(name)) => Ok(see_other(&format!("/console/cases/{id}?done={name}"))),
        (v, Err(e)) => Ok(render_case(&st, &c, &v, Some(&e), None, e.status)),
    }
}

fn member_name(case: &Case, id: &jiuzhu_core::id::IdNumber) -> String {
    case.application
        .household
        .member(id)
        .map(|m| m.name.as_unmasked_str().to_string())
        .unwrap_or_else(|| id.masked())
}

fn render_case(
    st: &AppState,
    c: &Console,
    v: &CaseView,
    error: Option<&ConsoleError>,
    done: Option<&str>,
    status: StatusCode,
) -> Response {
    let id = &v.summary.case_id;
    let state = views::state_of(&v.summary.state);
    let today = china_date((st.clock)());
    let app = v.case.as_ref().map(|k| &k.application);
    let applicant = app
        .and_then(|a| a.household.applicant())
        .map(|a| a.name.as_unmasked_str().to_string())
        .unwrap_or_default();
    let body = html! {
        p { a href="/console/queue" { "← 待办 " span.en { "Queue" } } }
        h1 { (applicant) " · " (v.summary.assistance_type.label_zh()) }
        @if let Some(d) = done {
            div.ok role="status" { p { "✔ 已办理：" (step_name_zh(d)) " " span.en { "Done: " (d) } } }
        }
        @if let Some(e) = error { (e.block()) }
        section.facts {
            dl {
                dt { "状态 " span.en { "State" } } dd { (state_label(&v.summary.state)) }
                dt { "期限 " span.en { "Deadline" } } dd { (colour_badge(v.summary.colour)) @if let Some(d) = v.summary.due { " " (views::day(d)) } }
                dt { "乡镇（街道） " span.en { "Township" } } dd { (v.township.name) @if v.township.delegated { "（审批权限已下放 delegated）" } }
                @if let Some(a) = app { dt { "村（社区） " span.en { "Village" } } dd { (a.household.village) } }
                dt { "提交时间 " span.en { "Submitted" } } dd { (views::time(v.summary.submitted_at)) }
                dt { "案件编号 " span.en { "Case id" } } dd.mono { (id) }
            }
        }
        @if !v.deadlines.is_empty() {
            section {
                h2 { "办理期限 " span.en { "Deadlines" } }
                ul.deadlines {
                    @for d in &v.deadlines {
                        li { (colour_badge(Some(d.colour))) " " (d.kind.label_zh()) "：" (views::day(d.due)) " "
                            @if d.overdue_by > 0 { "已超期 " (d.overdue_by) " 天" } @else { "剩 " (d.left) " 天" }
                            " " span.en { (d.kind.label_en()) } }
                    }
                }
            }
        }
        section {
            h2 { "办理 " span.en { "Next steps" } }
            (step_forms(c, v, state, today))
        }
        (household_documents(c, v))
        @if let Some(k) = &v.case {
            (household(k))
            (materials(k, v))
            (record(k))
        }
        section {
            h2 { "签字 " span.en { "Signatures" } }
            table {
                thead { tr { th { "姓名 " span.en { "Name" } } th { "身份 " span.en { "Role" } } th { "签字 " span.en { "Signed" } } } }
                tbody { @for p in &v.signers { tr {
                    td { (p.name) } td { (p.role) }
                    td { @if let Some(t) = p.signed_at { "✔ " (views::time(t)) " " (p.signed_by.clone().unwrap_or_default()) } @else { "✖ 未签 not signed" } }
                } } }
            }
        }
        section {
            h2 { "经办记录 " span.en { "History" } }
            table {
                thead { tr { th { "时间 " span.en { "When" } } th { "经办 " span.en { "Who" } } th { "事项 " span.en { "What" } } } }
                tbody { @for h in &v.history { tr { td { (views::time(h.at)) } td { (h.actor) } td { (history_label(&h.action)) } } } }
            }
        }
    };
    html_page(status, page(&applicant, Some(c), body))
}

fn step_name_zh(name: &str) -> String {
    match name {
        "accept" => "受理",
        "notify_missing_materials" => "一次性告知",
        "file_relatives_declaration" => "近亲属申明备案登记",
        "declare_staff_relative" => "登记近亲属申明",
        "start_investigation" => "启动调查",
        "record_findings" => "录入调查结果",
        "propose_initial_opinion" => "初审",
        "object_to_publicity" => "记录公示异议",
        "reinvestigate" => "重新调查",
        "start_democratic_appraisal" => "民主评议",
        "record_appraisal" => "民主评议结果",
        "conclude_publicity" => "公示期满",
        "report_to_district" => "报送区民政局",
        "confirm" => "审核确认",
        "publish" => "公布",
        "extend_time_limit" => "延长办理时限",
        "delivered" => "送达登记（当面或经村、社区）",
        _ => "",
    }
    .to_string()
}

/// The documents the household is owed: each printable (PDF) for delivery in person or through
/// the village, and, until delivered, a form recording that staff handed it over (送达).
fn household_documents(c: &Console, v: &CaseView) -> Markup {
    let id = &v.summary.case_id;
    html! {
        section {
            h2 { "告知书 " span.en { "Documents for the household" } }
            @if v.notices.is_empty() {
                p { "暂无 " span.en { "None yet" } }
            } @else {
                table {
                    thead { tr {
                        th { "文书 " span.en { "Document" } } th { "出具 " span.en { "Issued" } }
                        th { "期限 " span.en { "Deadline" } } th { "送达 " span.en { "Delivered" } } th { "" }
                    } }
                    tbody { @for n in &v.notices { tr {
                        td { (n.title) }
                        td { (views::day(n.issued_on)) }
                        td { @if let Some(d) = n.deadline { (views::day(d)) } }
                        td {
                            @if let Some(on) = n.delivered_on {
                                "✔ " (views::day(on)) " " (delivery_label(n.delivered_how))
                            } @else { "✖ 未送达 " span.en { "not yet" } }
                        }
                        td {
                            a.button href={ "/console/cases/" (id) "/documents/" (n.id) ".pdf" } { "打印 PDF " span.en { "Print" } }
                            @if n.delivered_on.is_none() {
                                form method="post" action={ "/console/cases/" (id) "/documents/" (n.id) "/delivered" } {
                                    (csrf(&c.csrf))
                                    button type="submit" { "已当面或经村（社区）送达 " span.en { "Handed over" } }
                                }
                            }
                        }
                    } } }
                }
            }
        }
    }
}

fn delivery_label(how: Option<jiuzhu_core::api::DeliveryMethod>) -> &'static str {
    use jiuzhu_core::api::DeliveryMethod as M;
    match how {
        Some(M::Kiosk) => "自助终端 kiosk",
        Some(M::Sms) => "短信 SMS",
        Some(M::InPerson) => "当面或经村（社区） in person",
        None => "",
    }
}

/// The case's household document `file` (`<id>.pdf`), after the case's scope check.
fn household_document(
    st: &AppState,
    c: &Console,
    id: &str,
    file: &str,
) -> Result<(CaseView, jiuzhu_core::api::CaseNotice), ConsoleError> {
    let nid: i64 = file
        .strip_suffix(".pdf")
        .unwrap_or(file)
        .parse()
        .map_err(|_| not_found())?;
    let v = load_case(st, c, id, false)?;
    let n = v
        .notices
        .iter()
        .find(|n| n.id == nid)
        .cloned()
        .ok_or_else(not_found)?;
    Ok((v, n))
}

/// `GET /console/cases/{id}/documents/{notice}.pdf`: a household document as issued, to print
/// and hand over; audited as `staff.print_notice`.
pub async fn document_pdf(
    State(st): State<AppState>,
    c: Console,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    if !file.ends_with(".pdf") {
        return Err(not_found());
    }
    let st2 = st.clone();
    let bytes = blocking(move || {
        let (v, n) = household_document(&st2, &c, &id, &file)?;
        st2.store.record(
            &c.actor(),
            "staff.print_notice",
            &format!("{id}:{}", n.id),
            Utc::now(),
        )?;
        Document {
            title: n.title.clone(),
            subtitle: v.township.name.clone(),
            // the stored text, line by line (its first line repeats the title)
            paragraphs: n.text.lines().skip(1).map(str::to_string).collect(),
            table: None,
            closing: vec![],
        }
        .pdf()
    })
    .await?;
    Ok(pdf_response(bytes, "notice.pdf"))
}

/// `POST /console/cases/{id}/documents/{notice}/delivered`: staff record that they handed the
/// document to the household (in person or through the village): delivered today, by staff.
pub async fn document_delivered(
    State(st): State<AppState>,
    Path((id, nid)): Path<(String, String)>,
    form: ConsoleForm,
) -> Result<Response, ConsoleError> {
    let c = form.console;
    let st2 = st.clone();
    let id2 = id.clone();
    blocking(move || {
        let (_, n) = household_document(&st2, &c, &id2, &nid)?;
        let actor = c.actor();
        st2.store.record_delivery(&crate::notices::Delivery {
            notice: n.id,
            how: jiuzhu_core::api::DeliveryMethod::InPerson,
            ok: true,
            detail: &actor,
            actor: &actor,
            now: (st2.clock)(),
        })?;
        Ok::<_, ConsoleError>(())
    })
    .await?;
    Ok(see_other(&format!("/console/cases/{id}?done=delivered")))
}

fn history_label(action: &str) -> String {
    match action.strip_prefix("case.") {
        Some(a) if !step_name_zh(a).is_empty() => format!("{} {a}", step_name_zh(a)),
        _ => match action {
            "staff.view_case" => "查看 viewed".into(),
            "case.material" => "上传材料 file uploaded".into(),
            other => other.to_string(),
        },
    }
}

/// 近亲属申明 waiting: its details (when it was declared at a kiosk, yes or no only), then 备案登记;
/// the initial opinion and the decision wait for both.
fn relatives_forms(c: &Console, id: &str, case: &Case) -> Markup {
    use jiuzhu_core::application::{CloseRelation as R, StaffPost as P};
    html! {
        div.warn {
            p { "申请人申明：家庭成员中有人是低保经办人员或村（居）委会成员的近亲属。须登记详情并备案后，才能初审。 "
                span.en { "The applicant declared a close relative among the staff: record the details and file it before the initial opinion." } }
            @if case.relative_details_missing() {
                form.step method="post" action={ "/console/cases/" (id) "/step" } {
                    h3 { "登记近亲属申明详情 " span.en { "Record the declaration's details" } }
                    (csrf(&c.csrf))
                    input type="hidden" name="action" value="declare_staff_relative";
                    label for="rel-member" { "哪位家庭成员 " span.en { "Which household member" } }
                    select #rel-member name="member" required {
                        @for (i, m) in case.application.household.members.iter().enumerate() {
                            option value=(i) { (m.name.as_unmasked_str()) }
                        }
                    }
                    label for="rel-staff" { "工作人员姓名 " span.en { "The staff member's name" } }
                    input #rel-staff type="text" name="staff_name" maxlength="20" required;
                    label for="rel-post" { "工作人员职务 " span.en { "Their post" } }
                    select #rel-post name="post" {
                        @for p in [P::CaseWorker, P::CommitteeMember] {
                            option value=(forms_name(&p)) { (p.label_zh()) }
                        }
                    }
                    label for="rel-relation" { "亲属关系 " span.en { "The tie" } }
                    select #rel-relation name="relation" {
                        @for r in [R::Spouse, R::Parent, R::Child, R::Sibling, R::Grandparent, R::Grandchild, R::Other] {
                            option value=(forms_name(&r)) { (r.label_zh()) }
                        }
                    }
                    button.primary type="submit" { "登记 " span.en { "Record" } }
                }
            } @else {
                (step_button(c, id, "file_relatives_declaration", "近亲属申明备案登记", "File the close-relative declaration"))
            }
        }
    }
}

fn step_button(c: &Console, id: &str, action: &str, zh: &str, en: &str) -> Markup {
    html! {
        form.step method="post" action={ "/console/cases/" (id) "/step" } {
            (csrf(&c.csrf))
            input type="hidden" name="action" value=(action);
            button.primary type="submit" { (zh) " " span.en { (en) } }
        }
    }
}

fn step_forms(
    c: &Console,
    v: &CaseView,
    state: Option<CaseState>,
    today: chrono::NaiveDate,
) -> Markup {
    use CaseState as S;
    let id = &v.summary.case_id;
    let Some(state) = state else {
        return html! { p { "此案件没有工作流记录。 " span.en { "This case has no workflow record." } } };
    };
    let case = v.case.as_ref();
    let supplied: Vec<jiuzhu_core::application::Material> = case
        .map(|k| k.application.materials.iter().map(|m| m.kind).collect())
        .unwrap_or_default();
    let default_deadline = today.checked_add_days(Days::new(15)).unwrap_or(today);
    html! {
        @if let Some(k) = case.filter(|k| k.relatives_pending() && !state.is_decided()) {
            (relatives_forms(c, id, k))
        }
        @if state.is_final() {
            p { "案件已办结。 " span.en { "The case is closed." } }
        }
        @match state {
            S::Submitted | S::AwaitingMaterials => {
                (step_button(c, id, "accept", "受理", "Accept"))
                @if state == S::Submitted {
                    form.step method="post" action={ "/console/cases/" (id) "/step" } {
                        h3 { "一次性告知补齐材料 " span.en { "One-time notice of missing materials" } }
                        (csrf(&c.csrf))
                        input type="hidden" name="action" value="notify_missing_materials";
                        label for="deadline" { "补齐期限 " span.en { "Deadline" } }
                        input #deadline type="date" name="deadline" value=(default_deadline) required;
                        @if !supplied.is_empty() {
                            fieldset { legend { "不能使用的材料 " span.en { "Unusable uploads" } }
                                @for m in &supplied {
                                    label.check { input type="checkbox" name="unusable" value=(forms_name(m)); " " (m.label_zh()) }
                                }
                            }
                        }
                        label for="note" { "说明 " span.en { "Note for the household" } }
                        textarea #note name="note" maxlength="2000" rows="3" {}
                        button.primary type="submit" { "发出一次性告知 " span.en { "Send the notice" } }
                    }
                }
            }
            S::Accepted => { (step_button(c, id, "start_investigation", "启动家庭经济状况调查", "Start the investigation")) }
            S::Investigating => {
                p { a.button.primary href={ "/console/cases/" (id) "/visit" } { "入户调查（手机） " span.en { "Home visit (phone)" } } }
            }
            S::Investigated | S::FindingsNotified | S::Appraised => {
                (opinion_form(c, id))
                @if state == S::Investigated {
                    (step_button(c, id, "start_democratic_appraisal", "争议较大，先民主评议", "Disputed: democratic appraisal first"))
                }
            }
            S::InPublicity => {
                (step_button(c, id, "conclude_publicity", "公示期满", "Conclude the publicity"))
                form.step method="post" action={ "/console/cases/" (id) "/step" } {
                    h3 { "记录公示异议 " span.en { "Record an objection to the publicity" } }
                    (csrf(&c.csrf))
                    input type="hidden" name="action" value="object_to_publicity";
                    textarea name="statement" maxlength="2000" rows="3" required {}
                    button type="submit" { "记录异议 " span.en { "Record" } }
                }
            }
            S::PublicityObjected => {
                (step_button(c, id, "reinvestigate", "重新调查", "Investigate again"))
                (step_button(c, id, "start_democratic_appraisal", "民主评议", "Democratic appraisal"))
            }
            S::Appraising => {
                form.step method="post" action={ "/console/cases/" (id) "/step" } {
                    h3 { "民主评议结果 " span.en { "Appraisal outcome" } }
                    (csrf(&c.csrf))
                    input type="hidden" name="action" value="record_appraisal";
                    textarea name="summary" maxlength="2000" rows="3" required {}
                    button.primary type="submit" { "记录 " span.en { "Record" } }
                }
            }
            S::PublicityEnded | S::AwaitingDistrict => {
                @if state == S::PublicityEnded && !v.township.delegated {
                    (step_button(c, id, "report_to_district", "报送区民政局", "Report to the district"))
                }
                (confirm_form(c, id))
                details {
                    summary { "确认结果与公示不同？修改初审意见并重新公示 " span.en { "Deciding otherwise than posted? Revise the opinion and post it again" } }
                    (opinion_form(c, id))
                }
            }
            S::Approved => { (step_button(c, id, "publish", "公布", "Publish")) }
            _ => {}
        }
        @if case.is_some_and(|k| k.missing_notice.is_some()) {
            p { a.button href={ "/console/cases/" (id) "/notice" } { "一次性告知书（打印） " span.en { "The notice (print)" } } " "
                a.button href={ "/console/cases/" (id) "/notice.pdf" } { "PDF" } }
        }
        @if !state.is_final() {
            details {
                summary { "其他步骤 " span.en { "Other steps" } }
                div.others {
                    @for (a, zh, en) in [
                        ("accept", "受理", "Accept"),
                        ("start_investigation", "启动调查", "Start the investigation"),
                        ("conclude_publicity", "公示期满", "Conclude the publicity"),
                        ("report_to_district", "报送区民政局", "Report to the district"),
                        ("publish", "公布", "Publish"),
                        ("file_relatives_declaration", "近亲属申明备案登记", "File the close-relative declaration"),
                    ] { (step_button(c, id, a, zh, en)) }
                }
                form.step method="post" action={ "/console/cases/" (id) "/step" } {
                    h3 { "延长办理时限（40个工作日） " span.en { "Extend the time limit (40 working days)" } }
                    (csrf(&c.csrf))
                    input type="hidden" name="action" value="extend_time_limit";
                    select name="reason" {
                        @for r in [workflow::ExtensionReason::PublicityObjection, workflow::ExtensionReason::SeparatedResidence, workflow::ExtensionReason::NonLocalApplication, workflow::ExtensionReason::DifficultInvestigation] {
                            option value=(forms_name(&r)) { (r.label_zh()) " " (r.label_en()) }
                        }
                    }
                    textarea name="note" maxlength="2000" rows="2" required {}
                    button type="submit" { "延长 " span.en { "Extend" } }
                }
            }
        }
    }
}

fn forms_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn opinion_form(c: &Console, id: &str) -> Markup {
    html! {
        form.step method="post" action={ "/console/cases/" (id) "/step" } {
            h3 { "初审意见 " span.en { "Initial opinion (初审)" } }
            (csrf(&c.csrf))
            input type="hidden" name="action" value="propose_initial_opinion";
            fieldset { legend { "意见 " span.en { "Opinion" } }
                label.check { input type="radio" name="include" value="yes" checked; " 拟纳入 " span.en { "include" } }
                label.check { input type="radio" name="include" value="no"; " 拟不纳入 " span.en { "exclude" } }
            }
            label for="amount" { "拟保障金额（元/月） " span.en { "Proposed amount (yuan/month)" } }
            input #amount type="text" inputmode="decimal" name="amount" maxlength="12";
            label for="method" { "评审方式 " span.en { "Method" } }
            select #method name="method" {
                option value="no_dispute" { "无争议，不召开评审会 undisputed" }
                option value="review_meeting" { "召开评审会 review meeting" }
            }
            label for="reviewers" { "评审人员（用顿号或换行分隔） " span.en { "Reviewers" } }
            textarea #reviewers name="reviewers" maxlength="2000" rows="2" required {}
            label for="reasons" { "理由（不纳入时必填） " span.en { "Reasons (required to exclude)" } }
            textarea #reasons name="reasons" maxlength="2000" rows="2" {}
            button.primary type="submit" { "提交初审并公示 " span.en { "Propose and post" } }
        }
    }
}

fn confirm_form(c: &Console, id: &str) -> Markup {
    html! {
        form.step method="post" action={ "/console/cases/" (id) "/step" } {
            h3 { "审核确认 " span.en { "Confirmation" } }
            (csrf(&c.csrf))
            input type="hidden" name="action" value="confirm";
            fieldset { legend { "结论 " span.en { "Decision" } }
                label.check { input type="radio" name="approve" value="yes" checked; " 确认同意 " span.en { "approve" } }
                label.check { input type="radio" name="approve" value="no"; " 不予确认 " span.en { "refuse" } }
            }
            label for="camount" { "保障金额（元/月） " span.en { "Amount (yuan/month)" } }
            input #camount type="text" inputmode="decimal" name="amount" maxlength="12";
            label for="creasons" { "理由（不予确认时必填） " span.en { "Reasons (required to refuse)" } }
            textarea #creasons name="reasons" maxlength="2000" rows="2" {}
            label.check { input type="checkbox" name="review_meeting" value="1"; " 经评审会决定 " span.en { "decided in a review meeting" } }
            button.primary type="submit" { "确认 " span.en { "Confirm" } }
        }
    }
}

fn household(k: &Case) -> Markup {
    let h = &k.application.household;
    html! {
        section {
            h2 { "家庭 " span.en { "Household" } " · " (h.size()) " 人" }
            table {
                thead { tr { th { "姓名 " span.en { "Name" } } th { "关系 " span.en { "Relation" } } th { "身份证号 " span.en { "ID number" } } } }
                tbody { @for m in &h.members { tr { td { (m.name.as_unmasked_str()) } td { (m.relationship.label_zh()) } td.mono { (m.id_number.masked()) } } } }
            }
            @if let Some(a) = &k.application.agent {
                p { "受托代办人 " span.en { "Agent" } "：" (a.name.as_unmasked_str()) "（" (a.relation.label_zh()) "）" }
            }
            h3 { "收入 " span.en { "Incomes" } }
            @if h.incomes.is_empty() { p { "未申报（由入户调查核实）。 " span.en { "None declared (the investigation records them)." } } }
            @else {
                table { tbody { @for i in &h.incomes { tr { td { (member_name(k, &i.earner)) } td { (i.kind.label_zh()) } td { (i.monthly.to_string()) " /月" } td { (i.note) } } } } }
            }
            h3 { "财产 " span.en { "Assets" } }
            @if h.assets.is_empty() { p { "未申报。 " span.en { "None declared." } } }
            @else {
                table { tbody { @for a in &h.assets { tr { td { (member_name(k, &a.owner)) } td { (a.kind.label_zh()) } td { (a.value.to_string()) } td { (a.description) } } } } }
            }
        }
    }
}

fn materials(k: &Case, v: &CaseView) -> Markup {
    let have: BTreeMap<_, _> = k
        .application
        .materials
        .iter()
        .map(|m| (m.kind, m.sha256.clone()))
        .collect();
    let id = &v.summary.case_id;
    html! {
        section {
            h2 { "材料 " span.en { "Materials" } }
            ul.checklist {
                @for m in k.application.checklist() {
                    li { @if have.contains_key(&m) { "✔ " } @else { "✖ 缺 " } (m.label_zh()) " " span.en { (m.label_en()) } }
                }
            }
            div.files {
                @for f in &v.files {
                    @let href = format!("/console/cases/{id}/files/{}", f.sha256);
                    figure {
                        @if f.content_type.starts_with("image/") {
                            a href=(href) { img src=(href) alt={ "材料 " (&f.sha256[..12]) } loading="lazy"; }
                        } @else {
                            a.button href=(href) { "PDF 文件 " span.en { "open" } }
                        }
                        figcaption.mono { (&f.sha256[..12]) " · " (f.size / 1024) " KiB · " (views::time(f.stored_at)) }
                    }
                }
                @if v.files.is_empty() { p { "尚未上传材料。 " span.en { "No files yet." } } }
            }
        }
    }
}

fn record(k: &Case) -> Markup {
    html! {
        @if let Some(n) = &k.missing_notice {
            section {
                h2 { "一次性告知 " span.en { "One-time notice" } }
                p { "发出：" (views::day(n.issued_on)) "；补齐期限：" (views::day(n.deadline))
                    @if let Some(d) = n.completed_on { "；已于 " (views::day(d)) " 补齐" } }
                p { "缺少：" (n.materials.iter().map(|m| m.label_zh()).collect::<Vec<_>>().join("、")) }
            }
        }
        @if !k.findings.is_empty() || !k.opinions.is_empty() || !k.publicities.is_empty() || k.decision.is_some() {
            section {
                h2 { "调查、初审、公示、确认 " span.en { "Investigation, opinion, publicity, decision" } }
                ul {
                    @for f in &k.findings { li { (views::day(f.recorded_on)) " 调查结论：" @if f.eligible { "符合条件" } @else { "不符合条件" } " — " (f.summary) } }
                    @for o in &k.opinions { li { (views::day(o.made_on)) " 初审：" @if o.include { "拟纳入" } @else { "拟不纳入" } @if let Some(a) = o.amount { " " (a.to_string()) "/月" } " （" (o.method.label_zh()) "）" } }
                    @for p in &k.publicities { li { "第 " (p.round) " 轮公示：" (views::day(p.posted_on)) " 至 " (views::day(p.ends_on)) @if p.objected { "（有异议）" } } }
                    @if let Some(d) = &k.decision { li { (views::day(d.decided_on)) " 确认：" @if d.approved { "同意" } @else { "不予确认" } @if let Some(a) = d.amount { " " (a.to_string()) "/月" } } }
                    @if let Some(d) = k.published_on { li { (views::day(d)) " 已公布" } }
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Files and the phone visit
// ------------------------------------------------------------------------------------------

pub async fn case_file(
    State(st): State<AppState>,
    c: Console,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    check_case_id(&id)?;
    if !forms::is_sha256(&sha) {
        return Err(not_found());
    }
    let s = st.store.clone();
    let (ct, data) = blocking(move || {
        let summary = s.case_summary(&id)?.ok_or_else(not_found)?;
        scope(&c, &summary.township)?;
        let file = s
            .case_material(&id, &sha.to_ascii_lowercase())?
            .ok_or_else(|| {
                ConsoleError::new(
                    StatusCode::NOT_FOUND,
                    "没有这个文件",
                    "No such file on this case.",
                )
            })?;
        s.record(&c.actor(), "staff.view_material", &id, Utc::now())?;
        Ok(file)
    })
    .await?;
    let ct = match ct.as_str() {
        "image/jpeg" | "image/png" | "application/pdf" => ct,
        _ => "application/octet-stream".to_string(),
    };
    let pdf = ct == "application/pdf";
    let mut res = (
        [
            (header::CONTENT_TYPE, ct),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Body::from(data),
    )
        .into_response();
    if pdf {
        // the browser's own PDF viewer needs its plugin frame; still nothing from elsewhere
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; object-src 'self'; frame-ancestors 'none'",
            ),
        );
    }
    Ok(res)
}

pub async fn visit_page(
    State(st): State<AppState>,
    c: Console,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ConsoleError> {
    let f = query(q)?;
    let st2 = st.clone();
    let c2 = c.clone();
    let v = blocking(move || load_case(&st2, &c2, &id, true)).await?;
    let uploaded: Option<u32> = f.get("uploaded").and_then(|u| u.parse().ok());
    Ok(render_visit(&c, &v, None, uploaded, StatusCode::OK))
}

fn render_visit(
    c: &Console,
    v: &CaseView,
    error: Option<&ConsoleError>,
    uploaded: Option<u32>,
    status: StatusCode,
) -> Response {
    let id = &v.summary.case_id;
    let name = v
        .case
        .as_ref()
        .and_then(|k| k.application.household.applicant())
        .map(|a| a.name.as_unmasked_str().to_string())
        .unwrap_or_default();
    let village = v
        .case
        .as_ref()
        .map(|k| k.application.household.village.clone())
        .unwrap_or_default();
    // the visit's photos: images on the case that are not the application's checklist materials
    let checklist: BTreeSet<&str> = v
        .case
        .iter()
        .flat_map(|k| k.application.materials.iter().map(|m| m.sha256.as_str()))
        .collect();
    let photos: Vec<&CaseFile> = v
        .files
        .iter()
        .filter(|f| f.content_type.starts_with("image/") && !checklist.contains(f.sha256.as_str()))
        .collect();
    let body = html! {
        p { a href={ "/console/cases/" (id) } { "← 案件 " span.en { "Case" } } }
        h1 { "入户调查 " span.en { "Home visit" } }
        p.big { (name) " · " (village) " · " (state_label(&v.summary.state)) }
        @if let Some(n) = uploaded { div.ok role="status" { p { "✔ 已上传 " (n) " 张照片 " span.en { (n) " photo(s) uploaded" } } } }
        @if let Some(e) = error { (e.block()) }
        section {
            h2 { "1. 拍照上传 " span.en { "Take and upload photos" } }
            form.step method="post" action={ "/console/cases/" (id) "/photos" } enctype="multipart/form-data" {
                (csrf(&c.csrf))
                label for="photo" { "照片（可多张，每次合计不超过 8 MB） " span.en { "Photos (several; up to 8 MB per upload)" } }
                input #photo type="file" name="photo" accept="image/*" capture="environment" multiple required;
                button.primary type="submit" { "上传 " span.en { "Upload" } }
            }
        }
        section {
            h2 { "2. 调查结论 " span.en { "Findings" } }
            form.step method="post" action={ "/console/cases/" (id) "/step" } {
                (csrf(&c.csrf))
                input type="hidden" name="action" value="record_findings";
                fieldset { legend { "是否符合条件 " span.en { "Eligible?" } }
                    label.check { input type="radio" name="eligible" value="yes" required; " 符合 " span.en { "yes" } }
                    label.check { input type="radio" name="eligible" value="no"; " 不符合 " span.en { "no" } }
                }
                fieldset { legend { "调查方式（可多选） " span.en { "Methods used" } }
                    @for m in workflow::InvestigationMethod::ALL {
                        label.check { input type="checkbox" name="method" value=(forms_name(&m)); " " (m.label_zh()) " " span.en { (m.label_en()) } }
                    }
                }
                label for="summary" { "调查情况 " span.en { "What was found" } }
                textarea #summary name="summary" maxlength="2000" rows="4" required {}
                label for="pci" { "家庭月人均收入（元） " span.en { "Monthly income per person (yuan)" } }
                input #pci type="text" inputmode="decimal" name="per_capita_income" maxlength="12";
                fieldset { legend { "调查照片 " span.en { "Photos as evidence" } }
                    @for p in &photos {
                        label.photo {
                            input type="checkbox" name="evidence" value=(p.sha256) checked;
                            img src={ "/console/cases/" (id) "/files/" (p.sha256) } alt={ "照片 " (&p.sha256[..12]) } loading="lazy";
                        }
                    }
                    @if photos.is_empty() { p { "还没有照片。 " span.en { "No photos yet." } } }
                }
                button.primary type="submit" { "提交调查结论 " span.en { "Record the findings" } }
            }
        }
    };
    html_page(status, page("入户调查", Some(c), body))
}

/// A checked photo: content type by its first bytes, a whole decodable JPEG or PNG of sane size.
fn check_photo(data: &[u8]) -> Result<&'static str, ConsoleError> {
    let refused = |zh: &str, en: &str| ConsoleError::new(StatusCode::UNPROCESSABLE_ENTITY, zh, en);
    let ct = match sniff(data) {
        Some(ct @ ("image/jpeg" | "image/png")) => ct,
        _ => {
            return Err(refused(
                "只能上传 JPEG 或 PNG 照片",
                "Only JPEG or PNG photos can be uploaded.",
            ));
        }
    };
    let damaged = || {
        refused(
            "照片已损坏或不完整，请重新拍摄",
            "The photo is damaged or incomplete; take it again.",
        )
    };
    // a JPEG decoder fills a cut-off picture with grey: a whole one ends with its EOI marker
    if ct == "image/jpeg" && !data.ends_with(&[0xFF, 0xD9]) {
        return Err(damaged());
    }
    let img = image::ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.decode().ok())
        .ok_or_else(damaged)?;
    let (w, h) = (img.width(), img.height());
    if !(64..=12_000).contains(&w) || !(64..=12_000).contains(&h) {
        return Err(refused(
            "照片尺寸不对（每边 64–12000 像素）",
            "The photo's sides must be 64–12000 pixels.",
        ));
    }
    Ok(ct)
}

pub async fn upload_photos(
    State(st): State<AppState>,
    headers: HeaderMap,
    c: Console,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ConsoleError> {
    session::check_origin(&headers)?;
    check_case_id(&id)?;
    let mut mp = Multipart::from_request(req, &st).await.map_err(|_| {
        ConsoleError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "请用页面上的表单上传照片",
            "Send the photos as multipart/form-data from the visit page.",
        )
    })?;
    let too_large = || {
        ConsoleError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "照片太大：每次合计不超过 8 MB，请分几次上传",
            "The photos are too large: at most 8 MB per upload; upload them in several goes.",
        )
    };
    // the CSRF token comes first in the form, so nothing is read before it is checked
    let first = mp.next_field().await.map_err(|_| too_large())?;
    let Some(first) = first else {
        return Err(session::csrf_refused());
    };
    if first.name() != Some(session::CSRF_FIELD) {
        return Err(session::csrf_refused());
    }
    let token = first.text().await.map_err(|_| session::csrf_refused())?;
    if !session::same(&token, &c.csrf) {
        return Err(session::csrf_refused());
    }
    let mut photos = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|_| too_large())? {
        if field.name() != Some("photo") {
            return Err(ConsoleError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "表单字段不对",
                "Unexpected field in the upload.",
            ));
        }
        let data = field.bytes().await.map_err(|_| too_large())?;
        if !data.is_empty() {
            photos.push(data);
        }
    }
    if photos.is_empty() {
        return Err(ConsoleError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有选择照片",
            "No photo was chosen.",
        ));
    }
    let st2 = st.clone();
    let c2 = c.clone();
    let id2 = id.clone();
    let n = photos.len();
    let result = blocking(move || {
        let summary = st2.store.case_summary(&id2)?.ok_or_else(not_found)?;
        scope(&c2, &summary.township)?;
        let mut checked = Vec::new();
        for p in &photos {
            checked.push(check_photo(p)?);
        }
        for (p, ct) in photos.iter().zip(checked) {
            let sha = hex::encode(Sha256::digest(p));
            st2.store
                .add_material(&id2, &sha, ct, p, &c2.actor(), (st2.clock)(), None)?;
        }
        Ok(())
    })
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/console/cases/{id}/visit?uploaded={n}"
        ))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let st2 = st.clone();
            let c2 = c.clone();
            let v = blocking(move || load_case(&st2, &c2, &id, false)).await?;
            Ok(render_visit(&c, &v, Some(&e), None, e.status))
        }
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------------------------------------
// Documents
// ------------------------------------------------------------------------------------------

fn notice_document(v: &CaseView) -> Result<Document, ConsoleError> {
    let k = v.case.as_ref().ok_or_else(no_notice)?;
    let n = k.missing_notice.as_ref().ok_or_else(no_notice)?;
    let applicant = k
        .application
        .household
        .applicant()
        .map(|a| a.name.as_unmasked_str().to_string())
        .unwrap_or_default();
    let unsigned: Vec<String> = n.unsigned.iter().map(|i| member_name(k, i)).collect();
    let mut rows: Vec<Vec<String>> = n
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| {
            vec![
                (i + 1).to_string(),
                m.label_zh().to_string(),
                m.label_en().to_string(),
            ]
        })
        .collect();
    for (i, who) in unsigned.iter().enumerate() {
        rows.push(vec![
            (n.materials.len() + i + 1).to_string(),
            format!("{who} 签署家庭经济状况核对授权书"),
            "signature of the verification authorization".to_string(),
        ]);
    }
    let mut paragraphs = vec![
        format!("{applicant}："),
        format!(
            "您于{}提交的{}申请，经审查材料不齐全。现一次性告知需补齐的全部材料如下，请于{}前（含当日）补齐。",
            views::day(k.received_on),
            v.summary.assistance_type.label_zh(),
            views::day(n.deadline)
        ),
    ];
    if !n.note.trim().is_empty() {
        paragraphs.push(format!("说明：{}", n.note.trim()));
    }
    Ok(Document {
        title: "社会救助申请材料一次性告知书".into(),
        subtitle: v.township.name.clone(),
        paragraphs,
        table: Some((
            vec!["序号".into(), "需补齐的材料".into(), "Material".into()],
            rows,
        )),
        closing: vec![
            "材料可在乡镇（街道）便民服务中心或村（社区）的自助终端补交。逾期未补齐的，视为自动放弃申请。".into(),
            format!(
                "咨询电话：{}　举报电话：{}",
                v.township.hotline, v.township.report_phone
            ),
            format!("{}　{}", v.township.name, views::day(n.issued_on)),
            format!("案件编号 Case: {}", v.summary.case_id),
        ],
    })
}

fn no_notice() -> ConsoleError {
    ConsoleError::new(
        StatusCode::NOT_FOUND,
        "此案件没有一次性告知书",
        "This case has no one-time notice.",
    )
}

pub async fn notice_page(
    State(st): State<AppState>,
    c: Console,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let st2 = st.clone();
    let c2 = c.clone();
    let v = blocking(move || load_case(&st2, &c2, &id, true)).await?;
    let d = notice_document(&v)?;
    let link = format!("/console/cases/{}/notice.pdf", v.summary.case_id);
    Ok(html_page(
        StatusCode::OK,
        page(&d.title, Some(&c), d.html(&link)),
    ))
}

fn pdf_response(bytes: Vec<u8>, file: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}\""),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; object-src 'self'; frame-ancestors 'none'".to_string(),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub async fn notice_pdf(
    State(st): State<AppState>,
    c: Console,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let st2 = st.clone();
    let bytes = blocking(move || {
        let v = load_case(&st2, &c, &id, true)?;
        notice_document(&v)?.pdf()
    })
    .await?;
    Ok(pdf_response(bytes, "notice.pdf"))
}

/// A township's list (公示 or 公布) as a document, after the scope check and with the audit row.
fn list_document(
    st: &AppState,
    c: &Console,
    code: &str,
    publicity: bool,
) -> Result<Document, ConsoleError> {
    scope(c, code)?;
    let s = st.store.as_ref();
    let t = s.township(code)?.ok_or_else(|| {
        ConsoleError::new(
            StatusCode::NOT_FOUND,
            "没有这个乡镇（街道）",
            "No such township.",
        )
    })?;
    let (entries, action): (Vec<NoticeEntry>, &str) = if publicity {
        (s.publicity(code)?, "staff.view_publicity")
    } else {
        (s.publication(code)?, "staff.view_publication")
    };
    s.record(&c.actor(), action, &format!("township:{code}"), Utc::now())?;
    let amount = |e: &NoticeEntry| {
        e.amount_fen
            .map(|f| jiuzhu_core::household::Money::fen(f).to_string())
            .unwrap_or_else(|| "—".into())
    };
    let today = views::day(china_date((st.clock)()));
    Ok(if publicity {
        Document {
            title: "最低生活保障等社会救助初审结果公示".into(),
            subtitle: t.name.clone(),
            paragraphs: vec![
                "以下申请经入户调查和初审，现予公示，公示期为 7 天。对公示对象有异议的，请在公示期内向乡镇（街道）反映。".into(),
            ],
            table: Some((
                vec!["姓名".into(), "村（社区）".into(), "人数".into(), "类型".into(), "拟保障金额/月".into(), "意见".into(), "公示期".into()],
                entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.masked_name.clone(),
                            e.township.clone(),
                            e.household_size.to_string(),
                            e.assistance_type.label_zh().to_string(),
                            amount(e),
                            if e.inclusion { "拟纳入" } else { "拟不纳入" }.to_string(),
                            match (e.posted_on, e.until) {
                                (Some(a), Some(b)) => format!("{} 至 {}（第{}轮）", views::day(a), views::day(b), e.round.unwrap_or(1)),
                                _ => String::new(),
                            },
                        ]
                    })
                    .collect(),
            )),
            closing: vec![
                format!("监督电话：{}　举报电话：{}", t.hotline, t.report_phone),
                format!("{}　{}", t.name, today),
            ],
        }
    } else {
        Document {
            title: "社会救助对象公布名单".into(),
            subtitle: t.name.clone(),
            paragraphs: vec![
                "以下家庭经审核确认纳入社会救助，现予公布（仅公布姓名、家庭人数和保障金额）。"
                    .into(),
            ],
            table: Some((
                vec![
                    "姓名".into(),
                    "村（社区）".into(),
                    "家庭人数".into(),
                    "类型".into(),
                    "保障金额/月".into(),
                ],
                entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.masked_name.clone(),
                            e.township.clone(),
                            e.household_size.to_string(),
                            e.assistance_type.label_zh().to_string(),
                            amount(e),
                        ]
                    })
                    .collect(),
            )),
            closing: vec![
                format!("监督电话：{}　举报电话：{}", t.hotline, t.report_phone),
                format!("{}　{}", t.name, today),
            ],
        }
    })
}

async fn list_page(
    st: AppState,
    c: Console,
    code: String,
    publicity: bool,
) -> Result<Response, ConsoleError> {
    let st2 = st.clone();
    let c2 = c.clone();
    let code2 = code.clone();
    let d = blocking(move || list_document(&st2, &c2, &code2, publicity)).await?;
    let link = format!(
        "/console/townships/{code}/{}.pdf",
        if publicity {
            "publicity"
        } else {
            "publication"
        }
    );
    Ok(html_page(
        StatusCode::OK,
        page(&d.title, Some(&c), d.html(&link)),
    ))
}

async fn list_pdf(
    st: AppState,
    c: Console,
    code: String,
    publicity: bool,
) -> Result<Response, ConsoleError> {
    let bytes = blocking(move || list_document(&st, &c, &code, publicity)?.pdf()).await?;
    Ok(pdf_response(
        bytes,
        if publicity {
            "publicity.pdf"
        } else {
            "publication.pdf"
        },
    ))
}

pub async fn publicity_page(
    State(st): State<AppState>,
    c: Console,
    Path(code): Path<String>,
) -> Result<Response, ConsoleError> {
    list_page(st, c, code, true).await
}

pub async fn publicity_pdf(
    State(st): State<AppState>,
    c: Console,
    Path(code): Path<String>,
) -> Result<Response, ConsoleError> {
    list_pdf(st, c, code, true).await
}

pub async fn publication_page(
    State(st): State<AppState>,
    c: Console,
    Path(code): Path<String>,
) -> Result<Response, ConsoleError> {
    list_page(st, c, code, false).await
}

pub async fn publication_pdf(
    State(st): State<AppState>,
    c: Console,
    Path(code): Path<String>,
) -> Result<Response, ConsoleError> {
    list_pdf(st, c, code, false).await
}

// ------------------------------------------------------------------------------------------
// Statistics and kiosks
// ------------------------------------------------------------------------------------------

/// Counts of the townships in view, summed, and the monthly counts.
struct Stats {
    label: String,
    by_type: BTreeMap<String, u64>,
    by_state: BTreeMap<String, u64>,
    by_colour: BTreeMap<String, u64>,
    months: Vec<crate::store::MonthCount>,
    code: Option<String>,
}

fn load_stats(st: &AppState, c: &Console, asked: Option<&str>) -> Result<Stats, ConsoleError> {
    let s = st.store.as_ref();
    let towns = townships_in_view(s, c, asked)?;
    let mut out = Stats {
        label: if towns.len() == 1 {
            towns[0].name.clone()
        } else {
            "全区 All townships".into()
        },
        by_type: BTreeMap::new(),
        by_state: BTreeMap::new(),
        by_colour: BTreeMap::new(),
        months: Vec::new(),
        code: (towns.len() == 1).then(|| towns[0].code.clone()),
    };
    for t in &towns {
        let one = s.statistics(&t.code)?;
        for (from, to) in [
            (one.by_type, &mut out.by_type),
            (one.by_state, &mut out.by_state),
            (one.by_colour, &mut out.by_colour),
        ] {
            for (k, v) in from {
                let e = to.entry(k).or_insert(0);
                *e = e.saturating_add(v);
            }
        }
        s.record(
            &c.actor(),
            "staff.view_statistics",
            &format!("township:{}", t.code),
            Utc::now(),
        )?;
    }
    out.months = s.monthly_counts(out.code.as_deref().or(c.staff.township.as_deref()))?;
    Ok(out)
}

fn type_label(name: &str) -> String {
    serde_json::from_value::<jiuzhu_core::api::AssistanceType>(serde_json::Value::String(
        name.to_string(),
    ))
    .map(|t| t.label_zh().to_string())
    .unwrap_or_else(|_| name.to_string())
}

fn colour_label(name: &str) -> String {
    serde_json::from_value::<DeadlineColour>(serde_json::Value::String(name.to_string()))
        .map(|c| {
            format!(
                "{} {} {}",
                views::colour_symbol(c),
                c.label_zh(),
                c.label_en()
            )
        })
        .unwrap_or_else(|_| name.to_string())
}

pub async fn statistics_page(
    State(st): State<AppState>,
    c: Console,
    RawQuery(q): RawQuery,
) -> Result<Response, ConsoleError> {
    let f = query(q)?;
    let st2 = st.clone();
    let c2 = c.clone();
    let asked = f.get("township").map(str::to_string);
    let stats = blocking(move || load_stats(&st2, &c2, asked.as_deref())).await?;
    let towns = if c.staff.township.is_none() {
        towns_all(&st).await
    } else {
        Vec::new()
    };
    let months: Vec<String> = stats
        .months
        .iter()
        .map(|m| m.month.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let types: BTreeSet<_> = stats.months.iter().map(|m| m.assistance_type).collect();
    let series: Vec<(String, Vec<u64>)> = types
        .iter()
        .map(|t| {
            (
                t.label_zh().to_string(),
                months
                    .iter()
                    .map(|mo| {
                        stats
                            .months
                            .iter()
                            .filter(|m| &m.month == mo && m.assistance_type == *t)
                            .map(|m| m.count)
                            .sum()
                    })
                    .collect(),
            )
        })
        .collect();
    let csv_link = match &stats.code {
        Some(code) => format!("/console/statistics.csv?township={code}"),
        None => "/console/statistics.csv".to_string(),
    };
    let body = html! {
        h1 { "统计 " span.en { "Statistics" } " · " (stats.label) }
        @if c.staff.township.is_none() {
            form.filters method="get" action="/console/statistics" {
                label { "乡镇 " span.en { "Township" }
                    select name="township" {
                        option value="" { "全区 All" }
                        @for t in &towns { option value=(t.code) selected[stats.code.as_deref() == Some(t.code.as_str())] { (t.name) } }
                    }
                }
                button type="submit" { "查看 " span.en { "Show" } }
            }
        }
        p { a.button href=(csv_link) { "导出 CSV " span.en { "Export CSV" } } }
        div.charts {
            (charts::bars("按类型 By type", &stats.by_type.iter().map(|(k, v)| (type_label(k), *v)).collect::<Vec<_>>(), charts::PALETTE[0]))
            (charts::bars("按状态 By state", &stats.by_state.iter().map(|(k, v)| (views::state_of(k).map(|s| s.label_zh().to_string()).unwrap_or(k.clone()), *v)).collect::<Vec<_>>(), charts::PALETTE[1]))
            (charts::bars("按期限 By deadline", &stats.by_colour.iter().map(|(k, v)| (colour_label(k), *v)).collect::<Vec<_>>(), charts::PALETTE[2]))
            (charts::stacked("每月新申请（按类型） New applications per month, by type", &months, &series))
        }
    };
    Ok(html_page(StatusCode::OK, page("统计", Some(&c), body)))
}

/// A CSV cell: quoted, and a leading formula character neutralised.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub async fn statistics_csv(
    State(st): State<AppState>,
    c: Console,
    RawQuery(q): RawQuery,
) -> Result<Response, ConsoleError> {
    let f = query(q)?;
    let asked = f.get("township").map(str::to_string);
    let stats = blocking(move || load_stats(&st, &c, asked.as_deref())).await?;
    let scope_name = stats.code.clone().unwrap_or_else(|| "all".into());
    let mut out = String::from("\u{feff}scope,dimension,key,label,count\r\n");
    let mut line = |dim: &str, key: &str, label: &str, n: u64| {
        out.push_str(&format!(
            "{},{},{},{},{n}\r\n",
            csv_cell(&scope_name),
            csv_cell(dim),
            csv_cell(key),
            csv_cell(label)
        ));
    };
    for (k, v) in &stats.by_type {
        line("type", k, &type_label(k), *v);
    }
    for (k, v) in &stats.by_state {
        line("state", k, &state_label(k), *v);
    }
    for (k, v) in &stats.by_colour {
        line("deadline", k, &colour_label(k), *v);
    }
    for m in &stats.months {
        line(
            "month",
            &format!("{}:{}", m.month, type_name(m.assistance_type)),
            m.assistance_type.label_zh(),
            m.count,
        );
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"statistics-{scope_name}.csv\""),
            ),
        ],
        out,
    )
        .into_response())
}

pub async fn kiosks_page(State(st): State<AppState>, c: Console) -> Result<Response, ConsoleError> {
    let s = st.store.clone();
    let c2 = c.clone();
    let kiosks = blocking(move || {
        let k = s.kiosk_activity(c2.staff.township.as_deref())?;
        s.record(
            &c2.actor(),
            "staff.view_kiosks",
            &format!("township:{}", c2.staff.township.as_deref().unwrap_or("all")),
            Utc::now(),
        )?;
        Ok(k)
    })
    .await?;
    let body = html! {
        h1 { "自助终端 " span.en { "Kiosks" } }
        table {
            thead { tr {
                th { "终端 " span.en { "Kiosk" } }
                th { "乡镇 " span.en { "Township" } }
                th { "最近联系 " span.en { "Last contact" } }
                th { "下发比对模板 " span.en { "Reference releases" } }
                th { "待处理呼叫 " span.en { "Open staff calls" } }
                th { "状态 " span.en { "Status" } }
            } }
            tbody {
                @for k in &kiosks { tr {
                    td.mono { (k.id) }
                    td { (k.township) }
                    td { @if let Some(t) = k.last_contact { (views::time(t)) } @else { "— 从未 never" } }
                    td { (k.releases) @if let Some(t) = k.last_release { "（最近 " (views::time(t)) "）" } }
                    td { @if k.open_help_calls == 0 { "0" } @else {
                        strong { "▲ " (k.open_help_calls) }
                        @if let Some(t) = k.waiting_since { "（自 " (views::time(t)) " 起等待 waiting since）" }
                    } }
                    td { @if k.revoked { "✖ 已吊销 revoked" } @else { "✔ 在用 active" } }
                } }
                @if kiosks.is_empty() { tr { td colspan="6" { "没有登记的自助终端。 " span.en { "No kiosks registered." } } } }
            }
        }
        p.hint {
            "被中心拒收的待发记录保存在各终端上（员工模式“拒收记录”可见），中心没有记录，因此此处不显示。"
            span.en { " Outbox refusals stay on each kiosk (its staff mode lists them); central keeps no record of them, so they are not shown here." }
        }
    };
    Ok(html_page(StatusCode::OK, page("自助终端", Some(&c), body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_cell("=1+1"), "\"'=1+1\"");
    }

    #[test]
    fn photos_are_checked_by_content() {
        assert!(check_photo(b"GIF89a....").is_err());
        assert!(check_photo(b"\xFF\xD8\xFF\xE0 not really").is_err());
        let img = image::RgbImage::from_pixel(80, 80, image::Rgb([200, 10, 10]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(check_photo(&png).unwrap(), "image/png");
        assert!(check_photo(&png[..png.len() / 2]).is_err());
        let tiny = image::RgbImage::from_pixel(10, 10, image::Rgb([0, 0, 0]));
        let mut small = Vec::new();
        image::DynamicImage::ImageRgb8(tiny)
            .write_to(&mut Cursor::new(&mut small), image::ImageFormat::Png)
            .unwrap();
        assert!(check_photo(&small).is_err());
    }
}
