//! `StaffAdapter`: the staff entry's controller state (`controllers::staff`) on its page, in
//! zh-CN or English, and the words the voice says for each screen (always Mandarin).

use jiuzhu_core::api::AssistanceType;
use jiuzhu_core::workflow::CaseState;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{Language, MainWindow, StaffAdapter, StaffButton, StaffRow};
use crate::controllers::staff::{
    Busy, Field, Investigation, Screen, StaffFlow, colour_words, material_id,
};

fn pick<'a>(lang: Language, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Language::ZhCn => zh,
        Language::En => en,
    }
}

/// The label of a workflow state name (`submitted`, …).
pub fn state_label(name: &str, lang: Language) -> String {
    match serde_json::from_value::<CaseState>(serde_json::Value::String(name.into())) {
        Ok(s) => pick(lang, s.label_zh(), s.label_en()).to_string(),
        Err(_) => name.to_string(),
    }
}

/// The label of an assistance type name (`dibao`, …).
pub fn type_label(name: &str, lang: Language) -> String {
    match serde_json::from_value::<AssistanceType>(serde_json::Value::String(name.into())) {
        Ok(t) => match lang {
            Language::ZhCn => t.label_zh().to_string(),
            Language::En => match t {
                AssistanceType::Dibao => "Minimum living allowance (dibao)",
                AssistanceType::Tekun => "Support for people in extreme poverty (tekun)",
                AssistanceType::Temporary => "Temporary assistance",
                AssistanceType::LowIncomeEdge => "Low-income edge household",
            }
            .to_string(),
        },
        Err(_) => name.to_string(),
    }
}

fn row(id: &str, mark: &str, title: String, detail: String, tone: i32) -> StaffRow {
    StaffRow {
        id: id.into(),
        mark: mark.into(),
        title: title.into(),
        detail: detail.into(),
        tone,
    }
}

fn tone_of(c: Option<jiuzhu_core::api::DeadlineColour>) -> i32 {
    use jiuzhu_core::api::DeadlineColour as C;
    match c {
        Some(C::Green) => 1,
        Some(C::Amber) => 2,
        Some(C::Red) | Some(C::Overdue) => 3,
        None => 0,
    }
}

/// The screen's text: (title, body, list title), and what the voice says (zh).
fn words(flow: &StaffFlow, lang: Language) -> (String, String, String) {
    let p = |zh: &str, en: &str| pick(lang, zh, en).to_string();
    let who = flow
        .session()
        .map(|s| {
            format!(
                "{}{} · {}",
                p("已登录：", "Logged in: "),
                s.username,
                pick(lang, s.role.label_zh(), s.role.label_en())
            )
        })
        .unwrap_or_default();
    match flow.screen() {
        Screen::Login => (
            p("工作人员登录", "Staff login"),
            p(
                "请用下面的键盘输入账号和密码。点“账号”或“密码”切换输入框。",
                "Type the account and the PIN on the keyboard below. Tap \"Account\" or \"PIN\" to switch.",
            ),
            String::new(),
        ),
        Screen::Busy(b) => (
            p("请稍候", "Please wait"),
            match b {
                Busy::LoggingIn => p(
                    "正在向中心服务核对账号……",
                    "Checking the account with the central service…",
                ),
                Busy::Queue => p("正在读取本乡镇待办……", "Reading the township queue…"),
                Busy::Case => p("正在读取案件……", "Reading the case…"),
                Busy::Step => p("正在提交……", "Sending…"),
                Busy::Statistics => p("正在读取统计……", "Reading the statistics…"),
            },
            String::new(),
        ),
        Screen::Menu => (p("工作人员", "Staff"), who, String::new()),
        Screen::Assisting => (
            p("正在帮助群众办理", "Assisting an applicant"),
            format!(
                "{}\n{}",
                who,
                p(
                    "请回到首页，为群众选择要办理的事项。提交的申请会记录为工作人员协助办理。",
                    "Go to the home screen and choose the service for the applicant. Applications will be recorded as assisted by you.",
                )
            ),
            String::new(),
        ),
        Screen::Queue => (
            p("本乡镇待办", "Township queue"),
            p(
                "按办理期限排列，最紧急的在最上面。点一件案件打开。",
                "Sorted by deadline, most urgent first. Tap a case to open it.",
            ),
            format!("{} {}", p("案件数", "Cases:"), flow.queue().len()),
        ),
        Screen::Case => {
            let Some((d, _)) = flow.case() else {
                return (p("案件", "Case"), String::new(), String::new());
            };
            let s = &d.summary;
            let (mark, zh, en) = colour_words(s.colour);
            (
                format!("{} {}", p("案件", "Case"), short_id(&s.case_id)),
                format!(
                    "{}{}\n{}{}\n{}{} {} {}",
                    p("救助类型：", "Type: "),
                    type_label(&enum_name(&s.assistance_type), lang),
                    p("状态：", "State: "),
                    state_label(&s.state, lang),
                    p("期限：", "Due: "),
                    s.due
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| p("无", "none")),
                    mark,
                    pick(lang, zh, en),
                ),
                p("办理记录", "History"),
            )
        }
        Screen::Notice => (
            p("一次性告知", "One-time notice"),
            format!(
                "{}\n{}{}",
                p(
                    "未上传的材料会自动列入告知；已上传但不能用的材料，点一下标为“不能用”。",
                    "Materials not uploaded are on the notice; tap an uploaded one to mark it unusable.",
                ),
                p("补齐截止日期：", "Deadline: "),
                flow.deadline().map(|d| d.to_string()).unwrap_or_default()
            ),
            p("材料清单", "Checklist"),
        ),
        Screen::Investigation(i) => (
            p("入户调查", "Investigation"),
            match i {
                Investigation::Ready => format!(
                    "{}\n{}{}",
                    p(
                        "用终端摄像头拍摄现场照片，确认后上传；选好结论后保存。",
                        "Take photos with the kiosk camera and confirm each; choose the finding and save.",
                    ),
                    p("已上传照片：", "Photos stored: "),
                    flow.evidence().len()
                ),
                Investigation::Capturing => p("正在拍照……", "Taking the photo…"),
                Investigation::Confirm(_) => p("这张照片可以用吗？", "Use this photo?"),
                Investigation::Uploading => p("正在上传照片……", "Uploading the photo…"),
            },
            String::new(),
        ),
        Screen::Statistics => (
            p("本乡镇统计", "Township statistics"),
            p(
                "显示时每30秒自动刷新。",
                "Refreshed every 30 s while shown.",
            ),
            String::new(),
        ),
        Screen::Refused => (
            p("中心服务拒收的记录", "Records the central service refused"),
            p(
                "这些记录中心服务不接受，不会再自动发送。查明原因后，点一条记录重新发送。",
                "The central service refused these records; they are not retried. Fix the cause, then tap a record to send it again.",
            ),
            format!("{} {}", p("条数", "Records:"), flow.refused().len()),
        ),
    }
}

fn enum_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn short_id(id: &str) -> String {
    let n = id.chars().count();
    id.chars().skip(n.saturating_sub(8)).collect()
}

fn rows(flow: &StaffFlow, lang: Language) -> (Vec<StaffRow>, bool) {
    let p = |zh: &str, en: &str| pick(lang, zh, en).to_string();
    match flow.screen() {
        Screen::Queue => (
            flow.queue()
                .iter()
                .map(|c| {
                    let (mark, zh, en) = colour_words(c.colour);
                    row(
                        &c.case_id,
                        mark,
                        format!(
                            "{} · {} · {}",
                            c.due
                                .map(|d| d.to_string())
                                .unwrap_or_else(|| p("无期限", "no deadline")),
                            type_label(&enum_name(&c.assistance_type), lang),
                            short_id(&c.case_id)
                        ),
                        format!("{} · {}", pick(lang, zh, en), state_label(&c.state, lang)),
                        tone_of(c.colour),
                    )
                })
                .collect(),
            true,
        ),
        Screen::Case => {
            let Some((d, _)) = flow.case() else {
                return (vec![], false);
            };
            let mut out: Vec<StaffRow> = d
                .deadlines
                .iter()
                .map(|v| {
                    let colour = v
                        .get("colour")
                        .and_then(|c| serde_json::from_value(c.clone()).ok());
                    let (mark, zh, en) = colour_words(colour);
                    let kind = v
                        .get("kind")
                        .and_then(|k| {
                            serde_json::from_value::<jiuzhu_core::workflow::DeadlineKind>(k.clone())
                                .ok()
                        })
                        .map(|k| pick(lang, k.label_zh(), k.label_en()).to_string())
                        .or_else(|| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
                        .unwrap_or_default();
                    let due = v.get("due").and_then(|k| k.as_str()).unwrap_or("");
                    row(
                        "",
                        mark,
                        format!("{}{kind}{}{due}", p("期限：", "Deadline: "), p("　", " — ")),
                        pick(lang, zh, en).to_string(),
                        tone_of(colour),
                    )
                })
                .collect();
            out.extend(d.history.iter().rev().map(|h| {
                row(
                    "",
                    "·",
                    history_label(&h.action, lang),
                    format!(
                        "{} · {}",
                        h.at.with_timezone(&super::app_adapter::china_offset())
                            .format("%Y-%m-%d %H:%M"),
                        h.actor
                    ),
                    0,
                )
            }));
            (out, false)
        }
        Screen::Notice => (
            flow.notice_items()
                .into_iter()
                .map(|(m, have, unusable)| {
                    let (mark, detail, tone) = match (have, unusable) {
                        (false, _) => (
                            "✗",
                            p(
                                "缺：未上传，将列入告知",
                                "Missing: not uploaded, on the notice",
                            ),
                            3,
                        ),
                        (true, true) => {
                            ("✗", p("不能用：将列入告知", "Unusable: on the notice"), 3)
                        }
                        (true, false) => ("✓", p("已上传", "Uploaded"), 1),
                    };
                    row(
                        &material_id(m),
                        mark,
                        pick(lang, m.label_zh(), m.label_en()).to_string(),
                        detail,
                        tone,
                    )
                })
                .collect(),
            true,
        ),
        Screen::Statistics => {
            let Some(s) = flow.statistics() else {
                return (vec![], false);
            };
            let mut out = Vec::new();
            let colon = p("：", ": ");
            for c in ["overdue", "red", "amber", "green"] {
                let Some(n) = s.by_colour.get(c) else {
                    continue;
                };
                let colour = serde_json::from_value(serde_json::Value::String(c.into())).ok();
                let (mark, zh, en) = colour_words(colour);
                out.push(row(
                    "",
                    mark,
                    format!("{}{colon}{n}", pick(lang, zh, en)),
                    p("未办结案件", "open cases"),
                    tone_of(colour),
                ));
            }
            for (t, n) in &s.by_type {
                out.push(row(
                    "",
                    "#",
                    format!("{}{colon}{n}", type_label(t, lang)),
                    p("按救助类型", "by type"),
                    0,
                ));
            }
            for (st, n) in &s.by_state {
                out.push(row(
                    "",
                    "#",
                    format!("{}{colon}{n}", state_label(st, lang)),
                    p("按办理状态", "by state"),
                    0,
                ));
            }
            (out, false)
        }
        Screen::Refused => (
            flow.refused()
                .iter()
                .map(|r| {
                    row(
                        &r.id,
                        "⚠",
                        format!("{} · {} · {}", r.when, r.kind, short_id(&r.id)),
                        r.reason.clone(),
                        2,
                    )
                })
                .collect(),
            true,
        ),
        _ => (vec![], false),
    }
}

/// A line of a case's history in words (central's action names; unknown ones as they are).
pub fn history_label(action: &str, lang: Language) -> String {
    let (zh, en) = match action.strip_prefix("event:").unwrap_or(action) {
        "submitted" => ("提交申请", "application submitted"),
        "assisted_submission" => ("工作人员协助提交", "submitted with a staff member's help"),
        "accept" => ("受理", "accepted"),
        "notify_missing_materials" => {
            ("一次性告知补齐材料", "one-time notice of missing materials")
        }
        "supply_materials" => ("补充材料", "materials supplied"),
        "sign_authorization" => ("签署核对授权书", "authorization signed"),
        "start_investigation" => ("启动家庭经济状况调查", "investigation started"),
        "record_findings" => ("录入调查结果", "findings recorded"),
        "staff.view_case" => ("查看案件", "case viewed"),
        _ => return action.to_string(),
    };
    pick(lang, zh, en).to_string()
}

/// Shows `flow` in `lang`. Returns the Mandarin words to speak for the screen.
pub fn render(ui: &MainWindow, flow: &StaffFlow, lang: Language) -> String {
    let a = ui.global::<StaffAdapter>();
    let (title, body, list_title) = words(flow, lang);
    a.set_seq(i32::try_from(flow.seq() % (i32::MAX as u64)).unwrap_or(0));
    a.set_title(title.into());
    a.set_body(body.into());
    a.set_list_title(list_title.into());
    let msg = flow.message();
    a.set_message(
        msg.map(|m| pick(lang, &m.zh, &m.en).to_string())
            .unwrap_or_default()
            .into(),
    );
    a.set_message_problem(msg.is_some_and(|m| m.problem));
    let login = flow.screen() == &Screen::Login;
    a.set_login(login);
    a.set_username_text(flow.username().into());
    a.set_pin_text("●".repeat(flow.pin_len()).into());
    a.set_pin_focused(flow.field() == Field::Pin);
    let (list, pickable) = rows(flow, lang);
    a.set_rows(ModelRc::new(VecModel::from(list)));
    a.set_rows_pickable(pickable);
    a.set_list_page(0);
    a.set_per_page(rows_per_page(
        ui.global::<super::Theme>().get_elder_mode(),
        flow.message().is_some(),
    ));
    let actions = flow.actions();
    // 返回 sits top right beside 回到首页, as on every page
    a.set_can_back(actions.iter().any(|(id, ..)| *id == "back"));
    let buttons: Vec<StaffButton> = actions
        .into_iter()
        .filter(|(id, ..)| *id != "back")
        .map(|(id, zh, en, primary)| StaffButton {
            id: id.into(),
            label: pick(lang, zh, en).into(),
            primary,
        })
        .collect();
    a.set_buttons(ModelRc::new(VecModel::from(buttons)));
    match flow.screen() {
        Screen::Investigation(Investigation::Confirm(p)) => {
            a.set_photo(photo_image(&p.jpeg).unwrap_or_default());
            a.set_has_photo(true);
        }
        _ => {
            a.set_photo(slint::Image::default());
            a.set_has_photo(false);
        }
    }
    let (t, b, _) = words(flow, Language::ZhCn);
    let m = msg.map(|m| m.zh.clone()).unwrap_or_default();
    format!("{m}{t}。{b}")
}

/// How many list lines fit one page at 1920×1080 under the screen's heading, body, list title,
/// a message, a waiting staff call and the action row (`tests/ui_layout.rs` checks that they
/// do).
pub fn rows_per_page(elder: bool, message: bool) -> i32 {
    match (elder, message) {
        (false, false) => 2,
        (false, true) => 1,
        (true, _) => 1,
    }
}

/// Clears every model of the page (nothing personal left in the UI).
pub fn clear(ui: &MainWindow) {
    let a = ui.global::<StaffAdapter>();
    a.set_body(SharedString::new());
    a.set_message(SharedString::new());
    a.set_username_text(SharedString::new());
    a.set_pin_text(SharedString::new());
    a.set_rows(ModelRc::new(VecModel::<StaffRow>::default()));
    a.set_buttons(ModelRc::new(VecModel::<StaffButton>::default()));
    a.set_photo(slint::Image::default());
    a.set_has_photo(false);
}

fn photo_image(jpeg: &[u8]) -> Option<slint::Image> {
    let img = image::load_from_memory(jpeg).ok()?.to_rgb8();
    let (w, h) = img.dimensions();
    let buf = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(img.as_raw(), w, h);
    Some(slint::Image::from_rgb8(buf))
}
