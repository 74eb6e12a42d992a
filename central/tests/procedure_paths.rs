//! Every path of the procedure (附件 一–四 of the seed, `reference/domain.md` §2), each driven to
//! its end by a fresh household on a real central on loopback, with the SMS gateway simulator
//! beside it and the workflow clock moved by the test (the deadline timer runs as the server runs
//! it, `scan_deadlines`). At each step: which documents the household got (kind), their text and
//! reasons, their deadline against core's working-day calendar, their delivery by SMS (a message
//! with the case number, the title and the deadline, and no name) and at a kiosk (delivered_on and
//! the channel recorded); and the work notices for the township, its leader and the district.
//!
//! 1. complete → 受理 → 调查 (eligible) → 初审 → 公示 7 days → 确认 by the delegated township → 公布
//! 2. incomplete → 一次性告知 → supplied by its last day → 受理
//! 3. 一次性告知 → the deadline (moved off a holiday) passes → the timer: 视为自动放弃
//! 4. not eligible (methods, income, reasons) → 复查 asked at the kiosk → re-check → eligible
//! 5. 公示 objection → 重新调查 → second 公示 → objection → 民主评议 → third 公示, time limit extended
//! 6. a township not delegated: 报送 → the district bureau confirms within 10 working days
//! 7. 不予确认 with reasons and the periods for 行政复议 and 行政诉讼
//! 8. withdrawal by the applicant at a kiosk

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use jiuzhu_central::client::Conn;
use jiuzhu_central::seed::{DEMO_TOWNSHIP, OTHER_TOWNSHIP, demo_id};
use jiuzhu_central::sms::deliver_pending;
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::notices::{period_end_days, period_end_months};
use serde_json::{Value, json};

mod support;
use support::procedure::{Household, Server, cn, kinds, masked, server, server_at, text_has};
use support::{staff_get, step, working_days};

const PHONE: &str = "13800138000";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn hotline(township: &str) -> &'static str {
    if township == DEMO_TOWNSHIP {
        "023-7222-0000"
    } else {
        "023-7222-1000"
    }
}

/// A household with its case on a test central, and a connection to it.
struct Family {
    s: Server,
    c: Conn,
    h: Household,
    case: String,
    no: String,
    /// The kinds of the household's documents so far.
    letters: Vec<&'static str>,
}

impl Family {
    /// Household `seq` of `township` applies at its kiosk: both sign, ID cards and household
    /// register uploaded, and — when `complete` — the income proof too.
    async fn applies(s: Server, seq: u16, township: &'static str, complete: bool) -> Family {
        let mut c = s.conn();
        let h = Household::of(seq, township);
        let (case, no) = h.submit(&s, &mut c).await;
        if complete {
            h.upload(&s, &mut c, &case, "income_proof", "income").await;
        }
        Family {
            s,
            c,
            h,
            case,
            no,
            letters: vec![],
        }
    }

    fn today(&self) -> NaiveDate {
        self.s.today()
    }

    fn state(&self) -> String {
        let case = self.s.db(|store| store.case(&self.case)).unwrap().unwrap();
        case.state.name().to_string()
    }

    /// A staff step that must succeed; the new state.
    async fn step(&mut self, token: &str, action: Value) -> String {
        support::step_ok(&mut self.c, token, &self.case, action).await
    }

    /// A staff step that must be refused with `status` and `code`, and change nothing.
    async fn refused(&mut self, token: &str, action: Value, status: u16, code: &str) {
        let before = self.s.count("notices");
        let r = step(&mut self.c, token, &self.case, action.clone()).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{action}: {:?}",
            r.json()
        );
        assert_eq!(
            self.s.count("notices"),
            before,
            "a refused step stores nothing"
        );
    }

    /// Uploads a material of `kind` at the household's kiosk.
    async fn upload(&mut self, kind: &str) {
        self.h
            .upload(&self.s, &mut self.c, &self.case, kind, kind)
            .await;
    }

    /// `who` signs the verification authorization at the household's kiosk.
    async fn sign(&mut self, who: &str) {
        self.h.sign(&self.s, &mut self.c, &self.case, who).await;
    }

    /// The 公示 postings the household's kiosk lists today.
    async fn postings(&self) -> Value {
        let r = self
            .s
            .get_as(self.h.kiosk(&self.s), "/v1/kiosk/publicity")
            .await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        r.json()["postings"].clone()
    }

    /// A signed POST of the household's kiosk.
    async fn kiosk(&mut self, path: &str, body: Value) -> Value {
        let r = self.h.post(&self.s, &mut self.c, path, &body).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.json());
        r.json()
    }

    /// A kiosk request on this case that must be refused with `status` and `code`.
    async fn kiosk_refused(&mut self, path: &str, body: Value, status: u16, code: &str) {
        let r = self.h.post(&self.s, &mut self.c, path, &body).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{path}: {:?}",
            r.json()
        );
    }

    /// The applicant asks at the kiosk to withdraw the application: refused, 409 `code`.
    async fn withdrawal_refused(&mut self, code: &str) {
        let path = format!("/v1/kiosk/applications/{}/withdrawal", self.case);
        let body = json!({"id_number": self.h.applicant});
        self.kiosk_refused(&path, body, 409, code).await;
    }

    /// The household's documents, read at its kiosk, oldest first.
    async fn notices(&mut self) -> Vec<Value> {
        self.h.notices(&self.s, &mut self.c, &self.case).await
    }

    /// The step just taken gave the household one new document, of `kind`, issued today with
    /// `deadline`, not delivered yet, titled and signed off as every document is.
    async fn newest(&mut self, kind: &'static str, deadline: Option<NaiveDate>) -> Value {
        let all = self.notices().await;
        self.letters.push(kind);
        assert_eq!(kinds(&all), self.letters);
        let n = all.last().unwrap().clone();
        assert_eq!(n["issued_on"], self.today().to_string());
        assert_eq!(n["deadline"], json!(deadline.map(|d| d.to_string())));
        assert_eq!(n["delivered_on"], Value::Null);
        let title = n["title"].as_str().unwrap();
        let received = self
            .s
            .db(|store| store.case(&self.case))
            .unwrap()
            .unwrap()
            .received_on;
        text_has(
            &n,
            &[
                &format!("{title}\n案号：{}\n{}：", self.no, masked("王德福")),
                &format!("您于{}提出的城乡低保申请", cn(received)),
                &format!("咨询电话：{}", hotline(self.h.township)),
                &cn(self.today()),
            ],
        );
        for secret in ["王德福", "李秀英", &self.h.applicant, &self.h.member] {
            assert!(!n["text"].as_str().unwrap().contains(secret), "{secret}");
        }
        n
    }

    /// The case's documents that are not the household's (work notices, 公示, 公布, 备案) as
    /// `token` lists them, oldest first.
    async fn staff_documents(&mut self, token: &str) -> Vec<Value> {
        let path = format!("/v1/staff/townships/{}/notices", self.h.township);
        let r = staff_get(&mut self.c, token, &path).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        r.json()["notices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["case_no"] == self.no.as_str() && n["audience"] != "household")
            .cloned()
            .collect()
    }

    /// The last of those documents: for `audience`, of `kind`, with `deadline`, saying `words`.
    async fn staff_document(
        &mut self,
        token: &str,
        audience: &str,
        kind: &str,
        deadline: Option<NaiveDate>,
        words: &str,
    ) -> Value {
        let docs = self.staff_documents(token).await;
        let n = docs.last().unwrap().clone();
        assert_eq!(
            (n["audience"].as_str(), n["kind"].as_str()),
            (Some(audience), Some(kind))
        );
        assert_eq!(n["issued_on"], self.today().to_string());
        assert_eq!(n["deadline"], json!(deadline.map(|d| d.to_string())));
        text_has(&n, &[words]);
        n
    }

    /// One SMS round: exactly the documents `sent` go out, one message each to the household's
    /// number with the case number, the title and the deadline and no name or identity number;
    /// each is then delivered by SMS today.
    async fn sms(&mut self, sent: &[&Value]) {
        let before = self.s.gateway.messages().len();
        let round = deliver_pending(&self.s.state, &self.s.sms).await.unwrap();
        assert_eq!((round.sent, round.failed), (sent.len(), 0));
        let got = self.s.gateway.messages();
        let all = self.notices().await;
        for (m, n) in got[before..].iter().zip(sent) {
            // The date says what it means for this document.
            let by = n["deadline"]
                .as_str()
                .map(|d| {
                    let d = cn(day(d));
                    match n["kind"].as_str().unwrap() {
                        "missing_materials" => format!("，请于{d}前补齐"),
                        "publicity_notice" => format!("，公示至{d}"),
                        "refusal" => format!("，如不服可于{d}前申请行政复议"),
                        _ => format!("，期限至{d}"),
                    }
                })
                .unwrap_or_default();
            assert_eq!(m.to, PHONE);
            assert_eq!(
                m.text,
                format!(
                    "【救助通】您的救助申请（案号{}）有一份{}{by}。请持身份证到救助通自助终端“进度查询”查看，或致电{}。",
                    self.no,
                    n["title"].as_str().unwrap(),
                    hotline(self.h.township)
                )
            );
            for secret in ["王", "李", &self.h.applicant, &self.h.member] {
                assert!(!m.text.contains(secret), "{secret} in {}", m.text);
            }
            let now = all.iter().find(|x| x["id"] == n["id"]).unwrap();
            assert_eq!(now["delivered_on"], self.today().to_string());
            assert_eq!(now["delivered_how"], "sms");
        }
    }

    /// Every document of the household is delivered: none left for an SMS round, none on the
    /// staff list of undelivered documents.
    async fn all_delivered(&mut self, token: &str) {
        self.sms(&[]).await;
        for n in self.notices().await {
            assert!(!n["delivered_on"].is_null(), "{n}");
        }
        let path = format!(
            "/v1/staff/townships/{}/notices?undelivered=true",
            self.h.township
        );
        let r = staff_get(&mut self.c, token, &path).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        assert_eq!(r.json()["notices"], json!([]));
    }

    /// The applicant reads document `n` at the kiosk and confirms: delivered at the kiosk today,
    /// unless it was delivered before (that first delivery is kept).
    async fn read_at_kiosk(&mut self, n: &Value) -> Value {
        let all = self.notices().await;
        let n = all.iter().find(|x| x["id"] == n["id"]).unwrap();
        let path = format!("/v1/kiosk/notices/{}/delivered", n["id"]);
        let r = self
            .kiosk(&path, json!({"id_number": self.h.applicant}))
            .await;
        let first = n["delivered_on"].is_null();
        assert_eq!(r["recorded"], first, "{r}");
        if first {
            assert_eq!(r["delivered_how"], "kiosk");
            assert_eq!(r["delivered_on"], self.today().to_string());
        } else {
            assert_eq!(r["delivered_how"], n["delivered_how"]);
            assert_eq!(r["delivered_on"], n["delivered_on"]);
        }
        r
    }

    /// The deadline timer runs as the server runs it; the case is then in `state`.
    fn timer(&self, state: &str) {
        self.s.scan_deadlines().unwrap();
        assert_eq!(self.state(), state);
    }

    /// The 初审 of a disputed case: as undisputed it is refused; reached in a review meeting it
    /// is posted for 7 calendar days and the household told (the document returned).
    async fn disputed_opinion_posted(&mut self, clerk: &str) -> Value {
        let undisputed = opinion(true, "no_dispute", "");
        self.refused(clerk, undisputed, 409, "disputed_case").await;
        let meeting = opinion(true, "review_meeting", "");
        assert_eq!(self.step(clerk, meeting).await, "in_publicity");
        let until = self.today() + chrono::Days::new(7);
        self.newest("publicity_notice", Some(until)).await
    }

    /// The township's 公布 list (its recipients) holds the family once, its name masked: 2
    /// people, 低保, 620.00 元 a month; it is a recipient since today.
    async fn on_publication_list(&mut self, token: &str) {
        let path = format!("/v1/staff/townships/{}/publication", self.h.township);
        let r = staff_get(&mut self.c, token, &path).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let ours: Vec<Value> = r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["household_size"] == 2 && e["amount_fen"] == 62000)
            .cloned()
            .collect();
        assert_eq!(ours.len(), 1, "{ours:?}");
        let name = ours[0]["masked_name"].as_str().unwrap();
        assert!(name.starts_with('王') && !name.contains("德福"), "{name}");
        assert_eq!(ours[0]["assistance_type"], "dibao");
        let recipient = self
            .s
            .db(|store| store.recipient(&self.h.applicant))
            .unwrap()
            .unwrap();
        assert_eq!(
            (recipient.township.as_str(), recipient.since),
            (self.h.township, self.today())
        );
    }

    /// The due days of the case's running deadlines, by kind, on the staff case view.
    async fn running(&mut self, token: &str) -> BTreeMap<String, NaiveDate> {
        let path = format!("/v1/staff/cases/{}", self.case);
        let r = staff_get(&mut self.c, token, &path).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let all = r.json()["deadlines"].as_array().unwrap().clone();
        all.iter()
            .map(|d| {
                (
                    d["kind"].as_str().unwrap().into(),
                    day(d["due"].as_str().unwrap()),
                )
            })
            .collect()
    }

    /// Moves the clock to `d`.
    fn on(&self, d: &str) {
        self.s.advance_to(day(d));
    }
}

/// Bearer tokens of seeded staff accounts.
async fn logins<const N: usize>(s: &Server, users: [&str; N]) -> [String; N] {
    let mut out = [const { String::new() }; N];
    for (t, u) in out.iter_mut().zip(users) {
        *t = s.login(u).await;
    }
    out
}

fn findings(eligible: bool, summary: &str, income: i64, methods: &[&str]) -> Value {
    json!({"type": "record_findings", "eligible": eligible, "summary": summary,
           "per_capita_income": income, "methods": methods})
}

fn opinion(include: bool, method: &str, reasons: &str) -> Value {
    let mut o = json!({"type": "propose_initial_opinion", "include": include, "method": method,
                       "reviewers": ["分管领导", "民政办主任", "调查人员"]});
    if include {
        o["amount"] = json!(62000);
    } else {
        o["reasons"] = json!(reasons);
    }
    o
}

fn approve(meeting: bool) -> Value {
    json!({"type": "confirm", "approve": true, "amount": 62000, "review_meeting": meeting})
}

/// 受理 and the start of the investigation on the same day: the household's two documents.
async fn accept_and_investigate(f: &mut Family, clerk: &str, total_limit: u32) -> [Value; 2] {
    assert_eq!(f.step(clerk, json!({"type": "accept"})).await, "accepted");
    let today = f.today();
    let running = f.running(clerk).await;
    assert_eq!(running["investigation_start"], working_days(today, 2));
    assert_eq!(running["total"], working_days(today, total_limit));
    let acc = f.newest("acceptance", None).await;
    text_has(
        &acc,
        &[
            &format!("已于{}受理", cn(today)),
            &format!("将在{}前开始家庭经济状况调查", cn(working_days(today, 2))),
            &format!(
                "自受理之日起{total_limit}个工作日内办结（{}前）",
                cn(working_days(today, total_limit))
            ),
        ],
    );
    let start = json!({"type": "start_investigation"});
    assert_eq!(f.step(clerk, start).await, "investigating");
    let inv = f.newest("investigation_started", None).await;
    text_has(
        &inv,
        &[
            &format!("家庭经济状况调查已于{}开始", cn(today)),
            "入户调查",
        ],
    );
    [acc, inv]
}

/// 附件一, the main line in a delegated township: nothing missing, found eligible, posted 7
/// days without objection, confirmed by the township leader, filed with the district, published.
#[tokio::test]
async fn complete_application_is_confirmed_by_the_delegated_township_and_published() {
    let s = server().await;
    let [clerk, leader, bureau] = logins(&s, ["clerk", "leader", "bureau"]).await;
    // Received on a Thursday: the 2 working days of 受理 end after the weekend.
    s.advance_to(day("2026-03-05"));
    let mut f = Family::applies(s, 401, DEMO_TOWNSHIP, true).await;
    assert_eq!(f.no, "江东-2026-00001");
    assert!(f.notices().await.is_empty());
    let due = working_days(f.today(), 2);
    assert_eq!(due, day("2026-03-09"));
    f.staff_document(
        &clerk,
        "township",
        "staff_alert",
        Some(due),
        &format!("收到新申请，请在{}前受理", cn(due)),
    )
    .await;

    f.on("2026-03-06");
    let [acc, inv] = accept_and_investigate(&mut f, &clerk, 20).await;
    // The investigation notice is read at a kiosk before the SMS round: no message for it.
    f.read_at_kiosk(&inv).await;
    f.sms(&[&acc]).await;
    f.on("2026-03-09");
    let eligible = findings(
        true,
        "家庭人均收入低于当地低保标准",
        40000,
        &["information_check", "home_visit"],
    );
    assert_eq!(f.step(&clerk, eligible).await, "investigated");
    assert_eq!(f.notices().await.len(), 2, "eligible findings: no letter");

    // 初审 and 公示 for 7 calendar days.
    f.on("2026-03-10");
    assert_eq!(
        f.step(&clerk, opinion(true, "no_dispute", "")).await,
        "in_publicity"
    );
    let until = f.today() + chrono::Days::new(7);
    let posted = f.newest("publicity_notice", Some(until)).await;
    text_has(
        &posted,
        &[
            "初审意见为：拟纳入城乡低保，拟每月救助620.00 元",
            "在石佛村张榜公示（第1次）",
            &format!("公示期至{}", cn(until)),
            "实名提出异议",
        ],
    );
    let board = f
        .staff_document(
            &clerk,
            "public",
            "publicity",
            Some(until),
            "低保初审意见公示（第1次）",
        )
        .await;
    text_has(
        &board,
        &[
            &format!(
                "石佛村：{}，家庭人口2人，拟纳入，拟每月救助620.00 元",
                masked("王德福")
            ),
            &format!("公示期：{}至{}", cn(f.today()), cn(until)),
        ],
    );
    f.sms(&[&posted]).await;

    // The last day of the 公示 is still the 公示; the day after, the timer ends it.
    f.on("2026-03-17");
    f.timer("in_publicity");
    f.refused(
        &clerk,
        json!({"type": "conclude_publicity"}),
        409,
        "publicity_running",
    )
    .await;
    f.on("2026-03-18");
    f.timer("publicity_ended");
    f.staff_document(
        &leader,
        "township_leader",
        "staff_alert",
        None,
        "公示期满无异议，请审核确认",
    )
    .await;

    // 确认 by the township leader (delegated, undisputed: no meeting needed).
    f.refused(&clerk, approve(false), 403, "wrong_role").await;
    assert_eq!(f.step(&leader, approve(false)).await, "approved");
    let approval = f.newest("approval", None).await;
    text_has(
        &approval,
        &[
            "决定给予城乡低保，每月620.00 元，决定日期为2026年3月18日",
            "将在石佛村公布，只公布姓名、家庭人口和救助金额",
        ],
    );
    // Filed with the district (备案) per case, the district sees it.
    let filing = f
        .staff_document(
            &bureau,
            "district",
            "district_filing",
            None,
            "2026年3月18日审核确认石佛村",
        )
        .await;
    text_has(
        &filing,
        &[&masked("王德福"), "每月620.00 元", "报区民政局备案"],
    );
    // Decided: no withdrawal any more.
    f.withdrawal_refused("not_in_state").await;
    f.read_at_kiosk(&approval).await;

    // 公布: name (masked), household size and amount, nothing else.
    assert_eq!(
        f.step(&clerk, json!({"type": "publish"})).await,
        "published"
    );
    f.on_publication_list(&clerk).await;
    let public = f
        .staff_document(&clerk, "public", "publication", None, "低保公布")
        .await;
    text_has(
        &public,
        &[&format!(
            "石佛村：{}，家庭人口2人，每月620.00 元。",
            masked("王德福")
        )],
    );
    assert!(!public["text"].as_str().unwrap().contains("李"));
    // Every letter delivered (the approval at the kiosk: no SMS for it); nothing was late.
    f.all_delivered(&clerk).await;
    for d in f.staff_documents(&bureau).await {
        assert!(!d["text"].as_str().unwrap().contains("超过时限"), "{d}");
    }
}

/// 附件一, incomplete: the one-time notice lists everything missing (a material and a member's
/// signature) with a deadline of 10 working days; both come in time; the clerk accepts.
#[tokio::test]
async fn incomplete_application_gets_one_notice_is_supplied_in_time_and_accepted() {
    let s = server().await;
    let clerk = s.login("clerk").await;
    let mut c = s.conn();
    let h = Household::new(411);
    // The applicant signs; the spouse does not yet; no income proof.
    let (case, no) = h.apply(&s, &mut c, json!({})).await;
    let mut f = Family {
        s,
        c,
        h,
        case,
        no,
        letters: vec![],
    };
    f.sign(&f.h.applicant.clone()).await;
    for kind in ["id_cards", "household_register"] {
        f.upload(kind).await;
    }
    f.refused(&clerk, json!({"type": "accept"}), 409, "incomplete")
        .await;
    let notice = json!({"type": "notify_missing_materials", "working_days": 10, "note": "请补交近三个月工资流水"});
    assert_eq!(f.step(&clerk, notice.clone()).await, "awaiting_materials");
    let deadline = working_days(f.today(), 10);
    assert_eq!(deadline, day("2026-03-16"));
    let n = f.newest("missing_materials", Some(deadline)).await;
    text_has(
        &n,
        &[
            &format!("请在{}（含当日）前补齐下列全部事项", cn(deadline)),
            "1. 提交家庭收入情况证明",
            &format!("2. {}签署家庭经济状况核对授权书", masked("李秀英")),
            "说明：请补交近三个月工资流水",
            "本告知书已一次性列明全部所缺事项",
            "逾期未补齐的，视为自动放弃申请",
        ],
    );
    // One notice only.
    f.refused(&clerk, notice, 409, "second_missing_materials_notice")
        .await;
    f.sms(&[&n]).await;
    // The spouse, at a kiosk, sees the application waiting for the signature by the deadline.
    let pending = f
        .kiosk(
            "/v1/kiosk/signatures/pending",
            json!({"id_number": f.h.member}),
        )
        .await;
    assert_eq!(pending["cases"][0]["case_id"], f.case.as_str());
    assert_eq!(pending["cases"][0]["sign_by"], deadline.to_string());

    // The spouse signs before the deadline, the income proof comes on its last day: the case is
    // complete again and the acceptance period starts anew from that day.
    f.on("2026-03-12");
    f.sign(&f.h.member.clone()).await;
    assert_eq!(f.state(), "awaiting_materials");
    f.on("2026-03-16");
    f.timer("awaiting_materials");
    f.upload("income_proof").await;
    assert_eq!(f.state(), "submitted");
    let due = working_days(f.today(), 2);
    f.staff_document(
        &clerk,
        "township",
        "staff_alert",
        Some(due),
        &format!("所缺材料已补齐，请在{}前受理", cn(due)),
    )
    .await;
    // The notice read at the kiosk keeps its SMS delivery.
    f.read_at_kiosk(&n).await;

    f.on("2026-03-17");
    assert_eq!(f.step(&clerk, json!({"type": "accept"})).await, "accepted");
    let acc = f.newest("acceptance", None).await;
    text_has(&acc, &["已于2026年3月17日受理"]);
    f.read_at_kiosk(&acc).await;
    f.all_delivered(&clerk).await;
}

/// 附件一, expired: the clerk's deadline falls on a holiday (清明, Monday 6 April 2026) and moves
/// to the next working day; nothing comes; the day after it the timer closes the case as
/// abandoned and the household is told.
#[tokio::test]
async fn one_time_notice_expires_and_the_timer_closes_the_case_as_abandoned() {
    let s = server().await;
    let clerk = s.login("clerk").await;
    s.advance_to(day("2026-03-23"));
    let mut f = Family::applies(s, 421, DEMO_TOWNSHIP, false).await;
    let holiday = day("2026-04-06");
    let moved = Calendar::builtin().working_day_on_or_after(holiday).value;
    assert_eq!(moved, day("2026-04-07"));
    let notice = json!({"type": "notify_missing_materials", "deadline": holiday});
    assert_eq!(f.step(&clerk, notice).await, "awaiting_materials");
    let n = f.newest("missing_materials", Some(moved)).await;
    assert_eq!(f.running(&clerk).await["supplement"], moved);
    text_has(
        &n,
        &[
            "请在2026年4月7日（含当日）前补齐",
            "1. 提交家庭收入情况证明",
        ],
    );
    f.sms(&[&n]).await;

    // The deadline day itself is still open.
    f.on("2026-04-07");
    f.timer("awaiting_materials");
    // The day after: too late to supply; the timer closes the case.
    f.on("2026-04-08");
    let path = format!(
        "/v1/kiosk/applications/{}/materials?kind=income_proof",
        f.case
    );
    let r =
        f.c.signed(
            f.h.kiosk(&f.s),
            "POST",
            &path,
            &support::png("late income"),
            &[("content-type", "image/png".into())],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "supplement_deadline_passed"),
        "{:?}",
        r.json()
    );
    f.timer("abandoned");
    let gone = f.newest("abandoned", None).await;
    assert_eq!(gone["title"], "视为自动放弃告知书");
    text_has(
        &gone,
        &[
            "一次性告知书所列事项未在2026年4月7日前补齐",
            "视为自动放弃申请，本案办结",
            "可以随时重新申请",
        ],
    );
    f.read_at_kiosk(&gone).await;
    f.all_delivered(&clerk).await;
    // Closed: the timer leaves it, nothing more can be done.
    f.on("2026-05-08");
    f.timer("abandoned");
    f.refused(&clerk, json!({"type": "accept"}), 409, "closed")
        .await;
    f.withdrawal_refused("closed").await;
    assert_eq!(f.notices().await.len(), 2);
}

/// 附件二: not eligible, with the methods used, the income established and the reasons; the
/// applicant objects at the kiosk while the window is open (before the 初审), asking for help with
/// the evidence; the re-check finds the household eligible; the case is disputed from then on.
#[tokio::test]
async fn not_eligible_findings_objected_at_the_kiosk_rechecked_and_found_eligible() {
    let s = server().await;
    let clerk = s.login("clerk").await;
    let mut f = Family::applies(s, 431, DEMO_TOWNSHIP, true).await;
    let [acc, inv] = accept_and_investigate(&mut f, &clerk, 20).await;
    f.on("2026-03-03");
    let not = findings(
        false,
        "儿子在外务工，月收入 6000 元，有赡养能力",
        98000,
        &["neighbour_visit", "information_check", "home_visit"],
    );
    assert_eq!(f.step(&clerk, not).await, "findings_notified");
    let ne = f.newest("not_eligible", None).await;
    assert_eq!(ne["title"], "调查结果告知书（不符合条件）");
    text_has(
        &ne,
        &[
            "经家庭经济状况调查（通过信息核对、入户调查、邻里访问），您的家庭目前不符合城乡低保条件",
            "理由：儿子在外务工，月收入 6000 元，有赡养能力。",
            "经核算，家庭月人均收入为980.00 元。",
            "提供相关证明材料申请复查",
            "在乡镇（街道）提出初审意见之前",
            "证明材料难以取得的，可以请乡镇（街道）协助",
        ],
    );
    f.sms(&[&acc, &inv, &ne]).await;

    // Only the applicant may object: the spouse gets the 404 of an unknown case.
    let path = format!("/v1/kiosk/applications/{}/objections", f.case);
    let objection = |who: &str| json!({"id_number": who, "statement": "儿子已于上月失业，无收入", "needs_help": true});
    f.kiosk_refused(&path, objection(&f.h.member), 404, "not_found")
        .await;
    f.on("2026-03-05");
    let done = f.kiosk(&path, objection(&f.h.applicant)).await;
    assert_eq!(
        (done["state"].as_str(), done["case_no"].as_str()),
        (Some("investigating"), Some(f.no.as_str()))
    );
    let receipt = done["receipt"].as_str().unwrap();
    assert!(
        receipt.starts_with(&format!("复查申请回执\n案号：{}", f.no)),
        "{receipt}"
    );
    for part in [
        &format!(
            "{}已于2026年3月5日对家庭经济状况调查结果提出异议并申请复查",
            masked("王德福")
        ),
        "乡镇（街道）将协助调取",
        "复查结果将书面告知",
    ] {
        assert!(receipt.contains(part), "{part} in {receipt}");
    }
    f.staff_document(&clerk, "township", "staff_alert", None, "申请人对调查结果提出异议，请审核其证明材料并组织复查；申请人称证明材料难以取得，请协助调取")
        .await;
    // Once is enough: the re-check is under way (its findings are the step still missing).
    f.kiosk_refused(&path, objection(&f.h.applicant), 409, "missing_step")
        .await;

    // The re-check: eligible.
    f.on("2026-03-09");
    let recheck = findings(
        true,
        "复查：儿子已失业，经信函索证核实，人均收入低于标准",
        40000,
        &["letter_enquiry"],
    );
    assert_eq!(f.step(&clerk, recheck).await, "investigated");
    let case = f.s.db(|store| store.case(&f.case)).unwrap().unwrap();
    assert_eq!(case.findings.len(), 2);
    assert!(case.findings[1].recheck && case.findings[1].eligible);
    // The re-check's result reaches the household in writing (复查结果告知书), as the receipt
    // promised, whichever way it goes.
    let rr = f.newest("recheck_result", None).await;
    assert_eq!(rr["title"], "复查结果告知书");
    text_has(
        &rr,
        &[
            "您于2026年3月5日对调查结果提出异议，经复查（通过信函索证），您的家庭符合城乡低保条件，申请转入乡镇（街道）初审。",
            "复查情况：复查：儿子已失业，经信函索证核实，人均收入低于标准。",
            "经核算，家庭月人均收入为400.00 元。",
            "初审意见将在",
            "另行书面告知",
        ],
    );
    f.sms(&[&rr]).await;
    // The re-check makes the case disputed: the 初审 needs a review meeting.
    let posted = f.disputed_opinion_posted(&clerk).await;
    text_has(
        &posted,
        &["初审意见为：拟纳入城乡低保，拟每月救助620.00 元"],
    );
    f.read_at_kiosk(&ne).await;
    f.read_at_kiosk(&posted).await;
    // The window is closed once the 初审 is made.
    f.kiosk_refused(&path, objection(&f.h.applicant), 409, "not_in_state")
        .await;
    f.all_delivered(&clerk).await;
}

/// 附件三: a named objection to the 公示 → 重新调查 → a second 公示; an objection to that one by
/// the same resident → 民主评议 → a third 公示, with the time limit extended to 40 working days;
/// the leader confirms in a review meeting.
#[tokio::test]
async fn publicity_objections_lead_to_reinvestigation_appraisal_and_new_postings() {
    let s = server().await;
    let [clerk, leader] = logins(&s, ["clerk", "leader"]).await;
    let mut f = Family::applies(s, 441, DEMO_TOWNSHIP, true).await;
    let accepted = f.today();
    let [acc, inv] = accept_and_investigate(&mut f, &clerk, 20).await;
    let eligible = findings(true, "人均收入低于标准", 40000, &["home_visit"]);
    f.step(&clerk, eligible).await;
    f.step(&clerk, opinion(true, "no_dispute", "")).await;
    let first = f.newest("publicity_notice", Some(day("2026-03-09"))).await;
    f.sms(&[&acc, &inv, &first]).await;

    let neighbour = json!({"id_number": demo_id("19600101", 442), "name": "赵大山"});
    let object = |statement: &str| json!({"objector": neighbour, "statement": statement});
    let path = format!("/v1/kiosk/publicity/{}/objections", f.no);
    let mut rounds = vec![first];
    // The first posting is objected to on its third day, the second on its last.
    for (round, on, statement) in [
        (1, "2026-03-05", "其家中有一辆经营性货车"),
        (2, "2026-03-12", "其儿子仍在外务工"),
    ] {
        f.on(on);
        let postings = f.postings().await;
        assert_eq!(postings.as_array().unwrap().len(), 1, "{postings}");
        assert_eq!(postings[0]["case_no"], f.no.as_str());
        let r = f.kiosk(&path, object(statement)).await;
        assert_eq!(
            (r["case_id"].as_str(), r["state"].as_str()),
            (Some(""), Some("recorded"))
        );
        assert!(r["receipt"].as_str().unwrap().starts_with("公示异议回执"));
        assert!(r["receipt"].as_str().unwrap().contains(&masked("赵大山")));
        assert_eq!(f.state(), "publicity_objected");
        assert_eq!(f.postings().await, json!([]));
        f.staff_document(
            &clerk,
            "township",
            "staff_alert",
            None,
            "公示期内有人实名提出异议，请重新组织调查或开展民主评议",
        )
        .await;
        // The same resident, again on this round: refused (the posting is interrupted).
        f.kiosk_refused(&path, object(statement), 409, "not_in_state")
            .await;
        if round == 1 {
            assert_eq!(
                f.step(&clerk, json!({"type": "reinvestigate"})).await,
                "investigating"
            );
            let again = findings(
                true,
                "货车为其亲戚所有，已核实",
                40000,
                &["neighbour_visit"],
            );
            assert_eq!(f.step(&clerk, again).await, "investigated");
        } else {
            let start = json!({"type": "start_democratic_appraisal"});
            assert_eq!(f.step(&clerk, start).await, "appraising");
            let outcome =
                json!({"type": "record_appraisal", "summary": "村民代表评议：儿子去年起失业在家"});
            assert_eq!(f.step(&clerk, outcome).await, "appraised");
            let extend = json!({"type": "extend_time_limit", "reason": "publicity_objection", "note": "公示期间两次有群众实名反映"});
            f.step(&clerk, extend).await;
            let total = working_days(accepted, 40);
            assert_eq!(f.running(&clerk).await["total"], total);
            let ext = f.newest("extension", None).await;
            text_has(
                &ext,
                &[&format!(
                    "因公示有异议，审核确认办理时限依照规定延长至40个工作日，将于{}前办结",
                    cn(total)
                )],
            );
            rounds.push(ext);
        }
        // The opinion, even unchanged, is posted again.
        let posted = f.disputed_opinion_posted(&clerk).await;
        let until = f.today() + chrono::Days::new(7);
        text_has(
            &posted,
            &[&format!(
                "张榜公示（第{}次），公示期至{}",
                round + 1,
                cn(until)
            )],
        );
        f.staff_document(
            &clerk,
            "public",
            "publicity",
            Some(until),
            &format!("低保初审意见公示（第{}次）", round + 1),
        )
        .await;
        rounds.push(posted);
    }
    f.sms(&rounds[1..].iter().collect::<Vec<_>>()).await;

    // The third posting runs its 7 days, its last day included; the day after, an objection is
    // too late, before and after the timer ends the posting.
    f.on("2026-03-20");
    let late = object("其家中有一辆经营性货车");
    f.kiosk_refused(&path, late.clone(), 409, "publicity_over")
        .await;
    f.timer("publicity_ended");
    f.kiosk_refused(&path, late, 409, "publicity_over").await;
    // The leader must decide in a review meeting.
    f.refused(&leader, approve(false), 409, "meeting_required")
        .await;
    assert_eq!(f.step(&leader, approve(true)).await, "approved");
    let approval = f.newest("approval", None).await;
    f.read_at_kiosk(&approval).await;
    assert_eq!(
        f.step(&clerk, json!({"type": "publish"})).await,
        "published"
    );
    assert_eq!(
        kinds(&f.notices().await),
        [
            "acceptance",
            "investigation_started",
            "publicity_notice",
            "publicity_notice",
            "extension",
            "publicity_notice",
            "approval"
        ]
    );
    assert_eq!(
        f.s.count_sql("SELECT count(*) FROM publicity_objectors"),
        2,
        "one objection per round"
    );
    f.all_delivered(&clerk).await;
}

/// 附件四: a township not delegated reports the case to the district bureau, which confirms
/// within 10 working days (over 清明); no 备案 (the district decided).
#[tokio::test]
async fn a_township_not_delegated_reports_and_the_district_confirms() {
    let s = server().await;
    let [clerk2, leader, bureau] = logins(&s, ["clerk2", "leader", "bureau"]).await;
    s.advance_to(day("2026-03-19"));
    let mut f = Family::applies(s, 451, OTHER_TOWNSHIP, true).await;
    assert_eq!(f.no, "江北-2026-00001");
    // The other township's kiosk answers for this household, the home kiosk does not.
    let r =
        f.s.post_as(
            &f.s.kiosk,
            "/v1/kiosk/status",
            &json!({"id_number": f.h.applicant}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "outside_kiosk_scope")
    );
    let [acc, inv] = accept_and_investigate(&mut f, &clerk2, 25).await;
    // Nor can it record a delivery (送达) of a document it cannot show.
    let path = format!("/v1/kiosk/notices/{}/delivered", acc["id"]);
    let body = json!({"id_number": f.h.applicant});
    let r = f.s.post_as(&f.s.kiosk, &path, &body).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "outside_kiosk_scope"),
        "{:?}",
        r.json()
    );
    assert_eq!(f.s.count("notice_deliveries"), 0);
    f.step(
        &clerk2,
        findings(true, "人均收入低于标准", 40000, &["home_visit"]),
    )
    .await;
    f.step(&clerk2, opinion(true, "no_dispute", "")).await;
    let posted = f.newest("publicity_notice", Some(day("2026-03-26"))).await;
    f.sms(&[&acc, &inv, &posted]).await;

    f.on("2026-03-27");
    f.timer("publicity_ended");
    f.staff_document(
        &clerk2,
        "township",
        "staff_alert",
        None,
        "公示期满无异议，请将初审意见及材料报送区民政局",
    )
    .await;
    // Not the township's to confirm; and the district only after the report.
    let r = step(&mut f.c, &leader, &f.case, approve(false)).await;
    assert_eq!(r.status, 403, "{:?}", r.json());
    f.refused(&clerk2, approve(false), 403, "wrong_role").await;
    f.refused(&bureau, approve(false), 409, "missing_step")
        .await;

    f.on("2026-03-30");
    let report = json!({"type": "report_to_district"});
    assert_eq!(f.step(&clerk2, report).await, "awaiting_district");
    let due = working_days(f.today(), 10);
    assert_eq!(due, day("2026-04-14"), "清明 (4–6 April) is not counted");
    assert_eq!(f.running(&bureau).await["district_decision"], due);
    f.staff_document(
        &bureau,
        "district",
        "staff_alert",
        Some(due),
        "收到乡镇（街道）报送，请在2026年4月14日前审核确认",
    )
    .await;
    assert_eq!(f.notices().await.len(), 3, "the report is no letter");

    f.on("2026-04-13");
    assert_eq!(f.step(&bureau, approve(false)).await, "approved");
    let approval = f.newest("approval", None).await;
    text_has(
        &approval,
        &["决定给予城乡低保，每月620.00 元，决定日期为2026年4月13日"],
    );
    assert_eq!(
        f.s.count_sql("SELECT count(*) FROM notices WHERE kind = 'district_filing'"),
        0
    );
    f.sms(&[&approval]).await;
    f.read_at_kiosk(&approval).await;
    f.refused(&bureau, json!({"type": "publish"}), 403, "wrong_role")
        .await;
    assert_eq!(
        f.step(&clerk2, json!({"type": "publish"})).await,
        "published"
    );
    f.on_publication_list(&clerk2).await;
    f.staff_document(
        &clerk2,
        "public",
        "publication",
        None,
        &format!("石佛村：{}，家庭人口2人，每月620.00 元", masked("王德福")),
    )
    .await;
    f.all_delivered(&clerk2).await;
}

/// 附件一–四, refused: found not eligible, no 复查 asked; the exclusion is posted; the leader
/// refuses in writing with the reasons and the periods for 行政复议 (60 days) and 行政诉讼 (six
/// months), each moved to the next working day when it ends on a day off.
#[tokio::test]
async fn refusal_states_its_reasons_and_the_periods_for_review_and_lawsuit() {
    // Tuesday 24 February 2026, the first working day after 春节.
    let s = server_at(Utc.with_ymd_and_hms(2026, 2, 24, 2, 0, 0).unwrap()).await;
    let [clerk, leader] = logins(&s, ["clerk", "leader"]).await;
    let mut f = Family::applies(s, 461, DEMO_TOWNSHIP, true).await;
    let [acc, inv] = accept_and_investigate(&mut f, &clerk, 20).await;
    let not = findings(
        false,
        "名下有商品房两套，家庭财产超过规定标准",
        150000,
        &["information_check"],
    );
    assert_eq!(f.step(&clerk, not).await, "findings_notified");
    let ne = f.newest("not_eligible", None).await;
    text_has(
        &ne,
        &[
            "（通过信息核对）",
            "理由：名下有商品房两套，家庭财产超过规定标准。",
        ],
    );

    // No 复查: the exclusion is posted with its reasons.
    f.on("2026-02-25");
    let exclusion = opinion(false, "review_meeting", "家庭财产超过规定标准");
    assert_eq!(f.step(&clerk, exclusion).await, "in_publicity");
    let posted = f.newest("publicity_notice", Some(day("2026-03-04"))).await;
    text_has(
        &posted,
        &["初审意见为：拟不纳入城乡低保，理由：家庭财产超过规定标准"],
    );
    f.staff_document(
        &clerk,
        "public",
        "publicity",
        Some(day("2026-03-04")),
        "拟不纳入",
    )
    .await;
    let path = format!("/v1/kiosk/applications/{}/objections", f.case);
    let late = json!({"id_number": f.h.applicant, "statement": "房屋已出售", "needs_help": true});
    f.kiosk_refused(&path, late, 409, "not_in_state").await;

    f.on("2026-03-05");
    f.timer("publicity_ended");
    f.on("2026-03-06");
    // What was posted was an exclusion: no approval without a new 公示; no refusal without
    // reasons.
    f.refused(&leader, approve(false), 409, "differs_from_publicity")
        .await;
    let refuse = |reasons: &str| json!({"type": "confirm", "approve": false, "reasons": reasons});
    f.refused(&leader, refuse(" "), 422, "text_required").await;
    assert_eq!(
        f.step(&leader, refuse("经审核，家庭财产超过规定标准"))
            .await,
        "refused"
    );
    let cal = Calendar::builtin();
    let review_by = period_end_days(&cal, f.today(), 60);
    let suit_by = period_end_months(&cal, f.today(), 6);
    // 6 March + 60 days is 5 May (劳动节), + 6 months is Sunday 6 September.
    assert_eq!((review_by, suit_by), (day("2026-05-06"), day("2026-09-07")));
    let refusal = f.newest("refusal", Some(review_by)).await;
    assert_eq!(refusal["title"], "不予确认决定书");
    text_has(
        &refusal,
        &[
            "经审核确认，决定不予确认城乡低保",
            "理由：经审核，家庭财产超过规定标准。",
            "自收到本决定书之日起六十日内向区人民政府申请行政复议（今日收到的，至2026年5月6日止）",
            "自收到之日起六个月内依法向人民法院提起行政诉讼（今日收到的，至2026年9月7日止）",
            "可以重新申请",
        ],
    );
    f.sms(&[&acc, &inv, &ne, &posted, &refusal]).await;
    f.read_at_kiosk(&refusal).await;
    // Closed.
    f.refused(&clerk, json!({"type": "publish"}), 409, "closed")
        .await;
    f.withdrawal_refused("closed").await;
    f.all_delivered(&clerk).await;
}

/// 附件一: the applicant withdraws at a kiosk during the investigation: a receipt, the 撤回申请
/// 确认书 for the household, a work notice for the township; the case is closed and the timer
/// leaves it.
#[tokio::test]
async fn the_applicant_withdraws_at_a_kiosk_during_the_investigation() {
    let s = server().await;
    let clerk = s.login("clerk").await;
    let mut f = Family::applies(s, 471, DEMO_TOWNSHIP, true).await;
    let [acc, inv] = accept_and_investigate(&mut f, &clerk, 20).await;
    f.sms(&[&acc, &inv]).await;

    f.on("2026-03-04");
    let path = format!("/v1/kiosk/applications/{}/withdrawal", f.case);
    f.kiosk_refused(&path, json!({"id_number": f.h.member}), 404, "not_found")
        .await;
    let done = f
        .kiosk(
            &path,
            json!({"id_number": f.h.applicant, "reason": "家庭情况好转"}),
        )
        .await;
    assert_eq!(done["state"], "withdrawn");
    assert_eq!(
        done["receipt"],
        format!(
            "撤回申请回执\n案号：{}\n{}已于2026年3月4日撤回申请，本案办结。如仍有困难，可以随时重新申请。\n咨询电话：023-7222-0000　举报电话：023-7222-0001\n涪陵区江东街道（演示）\n2026年3月4日",
            f.no,
            masked("王德福")
        )
    );
    let w = f.newest("withdrawal", None).await;
    assert_eq!(w["title"], "撤回申请确认书");
    text_has(&w, &["已于2026年3月4日按您的要求撤回，本案办结"]);
    f.staff_document(
        &clerk,
        "township",
        "staff_alert",
        None,
        "申请人已撤回申请，本案办结。",
    )
    .await;
    f.read_at_kiosk(&w).await;
    f.all_delivered(&clerk).await;

    // Closed: no step, and the timer raises nothing on it, even long after every deadline.
    f.refused(
        &clerk,
        findings(true, "人均收入低于标准", 40000, &[]),
        409,
        "closed",
    )
    .await;
    let before = f.s.count("notices");
    f.on("2026-06-01");
    f.timer("withdrawn");
    assert_eq!(f.s.count("notices"), before);
}
