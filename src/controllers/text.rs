//! What each certification screen says, in both languages. The same words are shown and
//! spoken (zh-CN is spoken; the voice is Mandarin), so the screen and the voice cannot drift.

use chrono::NaiveDate;

use super::certify::{
    Alternative, CertifyFlow, Challenge, Choice, Device, FaceHint, FailedWhy, MAX_FAILURES,
    Modality, Role, Step,
};

/// The UI language of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

/// The words of one screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenText {
    /// The heading.
    pub title: String,
    /// What happened / what to do, in one or two short sentences.
    pub body: String,
}

impl ScreenText {
    /// What the voice says for the screen: the heading, then the body.
    pub fn speech(&self) -> String {
        format!("{}。{}", self.title, self.body)
    }
}

fn date(d: Option<NaiveDate>, lang: Lang) -> String {
    match (d, lang) {
        (Some(d), Lang::Zh) => d.format("%Y年%-m月%-d日").to_string(),
        (Some(d), Lang::En) => d.format("%-d %B %Y").to_string(),
        (None, Lang::Zh) => "（日期未登记）".into(),
        (None, Lang::En) => "(date not on record)".into(),
    }
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.into(),
        Lang::En => en.into(),
    }
}

/// The words of a liveness challenge.
pub fn challenge_text(c: Challenge, lang: Lang) -> String {
    match c {
        Challenge::LookStraight => t(lang, "请正对镜头", "Look straight at the camera"),
        Challenge::Blink => t(lang, "请眨眨眼", "Please blink"),
        Challenge::TurnLeft => t(lang, "请慢慢向左转头", "Slowly turn your head left"),
        Challenge::TurnRight => t(lang, "请慢慢向右转头", "Slowly turn your head right"),
        Challenge::OpenMouth => t(lang, "请张张嘴", "Open your mouth"),
        Challenge::Nod => t(lang, "请点点头", "Please nod"),
    }
}

/// The words of face-check guidance (shown and spoken).
pub fn face_hint_text(h: FaceHint, lang: Lang) -> String {
    match h {
        FaceHint::ComeCloser => t(
            lang,
            "请靠近一点，让脸填满圆圈。",
            "Please come a little closer, so that your face fills the oval.",
        ),
        FaceHint::TooDark => t(
            lang,
            "光线太暗，请工作人员开灯。",
            "It is too dark here. Please ask the staff to turn on the light.",
        ),
        FaceHint::TooBright => t(
            lang,
            "光线太强，请避开直射的灯光。",
            "There is too much light on your face. Please step out of the direct light.",
        ),
        FaceHint::FaceCamera => t(lang, "请正对摄像头。", "Please face the camera."),
        FaceHint::OneFaceOnly => t(
            lang,
            "镜头前请只留认证的人。",
            "Only the person being checked should be in front of the camera.",
        ),
        FaceHint::UncoverFace => t(
            lang,
            "请把手放下，露出整张脸，再做一次。",
            "Please lower your hand so that your whole face shows, then do it once more.",
        ),
        FaceHint::HoldStill => t(
            lang,
            "做得很好。请看着屏幕，保持不动，马上就好。",
            "Well done. Keep looking at the screen and hold still; almost done.",
        ),
        FaceHint::Bigger(c) => match (c, lang) {
            (Challenge::Blink, Lang::Zh) => "请把眼睛完全闭上，再睁开。".into(),
            (Challenge::Blink, Lang::En) => "Close your eyes fully, then open them.".into(),
            (Challenge::TurnLeft, Lang::Zh) => "头再往左转多一点。".into(),
            (Challenge::TurnLeft, Lang::En) => {
                "Turn your head a little further to the left.".into()
            }
            (Challenge::TurnRight, Lang::Zh) => "头再往右转多一点。".into(),
            (Challenge::TurnRight, Lang::En) => {
                "Turn your head a little further to the right.".into()
            }
            (Challenge::OpenMouth, Lang::Zh) => "嘴再张大一点。".into(),
            (Challenge::OpenMouth, Lang::En) => "Open your mouth a little wider.".into(),
            (Challenge::Nod, Lang::Zh) => "点头再低一点。".into(),
            (Challenge::Nod, Lang::En) => "Nod a little deeper.".into(),
            (Challenge::LookStraight, _) => challenge_text(c, lang),
        },
        FaceHint::Remind(c) => match lang {
            Lang::Zh => format!("{}。不着急，慢慢来。", challenge_text(c, lang)),
            Lang::En => format!("{}. Take your time.", challenge_text(c, lang)),
        },
    }
}

fn device_name(d: Device, lang: Lang) -> String {
    match d {
        Device::IdCard => t(lang, "身份证读卡器", "The ID-card reader"),
        Device::Camera => t(lang, "摄像头", "The camera"),
        Device::Fingerprint => t(lang, "指纹采集器", "The fingerprint reader"),
        Device::Central => t(lang, "救助通中心服务", "The central service"),
        Device::Printer => t(lang, "打印机", "The printer"),
    }
}

/// The words of a screen.
pub fn screen_text(step: &Step, lang: Lang) -> ScreenText {
    let (title, body) = match step {
        Step::ChooseMode => (
            t(lang, "资格认证", "Yearly check"),
            t(
                lang,
                "领救助的人自己来办，请点“本人认证”。您是他登记的监护人、替他认证，请点“我是监护人”。他本人在场、您只是帮他操作，请点“帮他操作”。",
                "The person who receives aid, doing it themselves: tap “Myself”. You are their registered guardian, certifying for them: tap “I am the guardian”. They are here and you only help with the machine: tap “Helping them”.",
            ),
        ),
        Step::Identify(role) => (
            match role {
                Role::Recipient => t(lang, "请放身份证", "Place the ID card"),
                Role::Guardian => t(lang, "请监护人放身份证", "Guardian: place your ID card"),
                Role::Helper => t(lang, "请协助人放身份证", "Helper: place your own ID card"),
            },
            match role {
                Role::Recipient => t(
                    lang,
                    "把领救助的人的身份证平放在下方感应区，或在右边输入身份证号码。",
                    "Lay the recipient's ID card flat on the reader below, or type the number on the right.",
                ),
                _ => t(
                    lang,
                    "把您自己的身份证平放在下方感应区，或在右边输入号码。",
                    "Lay your own ID card flat on the reader below, or type the number on the right.",
                ),
            },
        ),
        Step::Querying => (
            t(lang, "正在查询", "Checking your record"),
            t(
                lang,
                "正在查询今年是否已经认证，请稍候。",
                "Checking whether you are already certified this year. Please wait.",
            ),
        ),
        Step::AlreadyCertified { on, valid_until } => (
            t(lang, "今年已经认证过了", "Already certified this year"),
            match lang {
                Lang::Zh => format!(
                    "您已于{}完成认证，有效期到{}。不用再认证了。需要证明可以再打印一份。",
                    date(*on, lang),
                    date(*valid_until, lang)
                ),
                Lang::En => format!(
                    "You were certified on {}, valid until {}. Nothing more to do; you can print another copy of the proof.",
                    date(*on, lang),
                    date(*valid_until, lang)
                ),
            },
        ),
        Step::NotRecipient => (
            t(lang, "没有查到救助记录", "No aid record found"),
            t(
                lang,
                "这个身份证号码目前没有领取救助，不需要认证。如有疑问，请呼叫工作人员。",
                "This ID number is not receiving aid now, so no check is needed. Ask staff if this seems wrong.",
            ),
        ),
        Step::Consent => (
            t(
                lang,
                "刷脸认证需要您同意",
                "Your consent for the face check",
            ),
            t(
                lang,
                "认证要拍摄面部或采集指纹，只在本机比对，不上传照片，用完即删。您也可以不刷脸，改由工作人员见证或上门认证。",
                "The check uses your face or fingerprint. It is compared on this machine only, never uploaded, and deleted afterwards. You may instead have staff witness it or visit your home.",
            ),
        ),
        Step::GuardianConsent => (
            t(lang, "代认证需要您同意", "Your consent as guardian"),
            t(
                lang,
                "先核验您（监护人）本人的面部或指纹，只在本机比对。通过后给领救助的人拍一张现场照片，加密上报，证明他本人还在。您也可以改由工作人员见证或上门认证。",
                "First your own face or fingerprint is checked, on this machine only. Then one photo is taken of the person you certify for and sent encrypted as evidence. You may instead have staff witness it or visit their home.",
            ),
        ),
        Step::NotGuardian => (
            t(
                lang,
                "您不是登记的监护人",
                "You are not a registered guardian",
            ),
            t(
                lang,
                "中心没有登记您是这位领救助的人的监护人，不能替他认证。请到乡镇窗口登记监护关系，或请工作人员帮忙。",
                "The central service has no record of you as this person's guardian, so you cannot certify for them. Register at the township office, or ask staff.",
            ),
        ),
        Step::Photo => (
            t(
                lang,
                "请领救助的人看镜头",
                "The person who receives aid: look at the camera",
            ),
            t(
                lang,
                "请领救助的人站到镜头前，看着屏幕，脸在框里。准备好后点“拍照”。",
                "The person you certify for stands in front of the camera, face inside the frame. Tap “Take photo” when ready.",
            ),
        ),
        Step::TakingPhoto => (
            t(lang, "正在拍照", "Taking the photo"),
            t(lang, "请不要动。", "Please hold still."),
        ),
        Step::PhotoReview => (
            t(lang, "照片拍好了", "Photo taken"),
            t(
                lang,
                "请看照片：脸清楚吗？清楚请点“用这张”，不清楚请点“重拍”。",
                "Is the face clear? Tap “Use this photo”, or “Retake”.",
            ),
        ),
        Step::ChooseAlternative => (
            t(lang, "不刷脸的认证方式", "Certifying without a face check"),
            t(
                lang,
                "请选择：请工作人员现场见证，或登记上门认证。",
                "Choose: a staff member witnesses here, or staff visit your home.",
            ),
        ),
        Step::RecordingAlternative(_) => (
            t(lang, "正在登记", "Recording your request"),
            t(
                lang,
                "正在登记您的选择，请稍候。",
                "Recording your choice. Please wait.",
            ),
        ),
        Step::AlternativeRecorded(Alternative::StaffWitness) => (
            t(lang, "已登记：工作人员见证", "Recorded: staff witness"),
            t(
                lang,
                "已通知工作人员，请在这里稍候，工作人员会来帮您完成认证。",
                "Staff have been told. Please wait here; they will come and complete the check with you.",
            ),
        ),
        Step::AlternativeRecorded(Alternative::HomeVisit) => (
            t(lang, "已登记：上门认证", "Recorded: home visit"),
            t(
                lang,
                "已登记上门认证，工作人员会在近期联系您并上门。",
                "A home visit is recorded. Staff will contact you and visit soon.",
            ),
        ),
        Step::Face {
            challenge,
            hint: Some(h),
            ..
        } => (
            match challenge {
                Some(c) => challenge_text(*c, lang),
                None => t(lang, "请看摄像头", "Look at the camera"),
            },
            face_hint_text(*h, lang),
        ),
        Step::Face {
            challenge: Some(c),
            done,
            total,
            hint: None,
        } => (
            challenge_text(*c, lang),
            match lang {
                Lang::Zh => format!("请把脸放在圆圈里。已完成 {done} / {total} 个动作。"),
                Lang::En => format!("Keep your face inside the oval. {done} of {total} done."),
            },
        ),
        Step::Face {
            challenge: None, ..
        } => (
            t(lang, "请看摄像头", "Look at the camera"),
            t(
                lang,
                // hands away: a real person covering her face with a hand broke the identity
                // continuity of the check (vision/README.md, Real recordings)
                "请站好，把脸放在屏幕上的圆圈里，手不要挡住脸，跟着提示做动作。",
                "Stand still with your face inside the oval on the screen, keep your hands away from your face, and follow the prompts.",
            ),
        ),
        Step::Fingerprint { prompt } => (
            t(lang, "请按指纹", "Place your finger"),
            match prompt {
                Some(p) => p.clone(),
                None => t(
                    lang,
                    "请把手指平放在指纹采集器上，按住不动。",
                    "Lay your finger flat on the fingerprint reader and hold still.",
                ),
            },
        ),
        Step::Checking(_) => (
            t(lang, "正在核验", "Checking"),
            t(
                lang,
                "正在核验，请稍候，不要离开。",
                "Checking. Please wait and stay here.",
            ),
        ),
        Step::Failed {
            modality: Modality::Face,
            failures,
            why: FailedWhy::NotConfirmed,
        } => (
            t(lang, "没能确认是您本人", "We could not confirm it is you"),
            match lang {
                Lang::Zh => format!(
                    "刷脸的动作都做好了，但和登记的照片相比，还不能确定是您本人（第{failures}次，共{MAX_FAILURES}次机会）。请改用指纹，或呼叫工作人员核对身份。也可以摘下眼镜，到亮一点的地方再刷一次脸。"
                ),
                Lang::En => format!(
                    "You did every step, but your face is not close enough to your registered photo to be sure it is you (attempt {failures} of {MAX_FAILURES}). Please use your fingerprint, or call staff to check your ID. You can also take off your glasses and try your face again in good light."
                ),
            },
        ),
        Step::Failed {
            modality, failures, ..
        } => (
            match modality {
                Modality::Face => t(lang, "刷脸没有通过", "The face check did not pass"),
                Modality::Fingerprint => {
                    t(lang, "指纹没有通过", "The fingerprint check did not pass")
                }
            },
            match lang {
                Lang::Zh => format!(
                    "这是第{failures}次没有通过（共{MAX_FAILURES}次机会）。可以再刷一次脸，或改用指纹；光线要亮，摘下帽子和眼镜。"
                ),
                Lang::En => format!(
                    "Attempt {failures} of {MAX_FAILURES} did not pass. Try your face again or use a fingerprint; good light helps, take off hat and glasses."
                ),
            },
        ),
        Step::Submitting => (
            t(lang, "正在提交", "Sending the result"),
            t(
                lang,
                "正在提交认证结果，请稍候。",
                "Sending the result. Please wait.",
            ),
        ),
        Step::Certified(r) => (
            t(lang, "认证成功", "Certified"),
            match lang {
                Lang::Zh => format!(
                    "认证已完成，有效期到{}。{}",
                    date(Some(r.valid_until), lang),
                    if r.proof_code.is_some() {
                        "可以打印社会救助身份证明。请取走身份证和回执。"
                    } else {
                        "请取走身份证。"
                    }
                ),
                Lang::En => format!(
                    "You are certified until {}.{}",
                    date(Some(r.valid_until), lang),
                    if r.proof_code.is_some() {
                        " You can print the proof. Please take your ID card and the receipt."
                    } else {
                        " Please take your ID card."
                    }
                ),
            },
        ),
        Step::SavedForUpload => (
            t(lang, "认证结果已保存", "Result saved"),
            t(
                lang,
                "认证已通过，结果已安全保存在本机，网络恢复后自动上报，您不用再来。社会救助身份证明可以稍后在“进度查询”中打印。",
                "You passed. The result is kept safely on this kiosk and is sent automatically when the network is back; you need not come again. You can print the proof later under Track my case.",
            ),
        ),
        Step::RouteToStaff => (
            t(lang, "请工作人员帮您", "Staff will help you"),
            t(
                lang,
                "已呼叫工作人员，请在这里稍候。工作人员会帮您完成认证。",
                "Staff have been called. Please wait here; they will help you finish.",
            ),
        ),
        Step::Problem {
            device, timeout, ..
        } => (
            match (*timeout, lang) {
                (true, Lang::Zh) => format!("{}没有反应", device_name(*device, lang)),
                (true, Lang::En) => {
                    format!("{} did not respond in time", device_name(*device, lang))
                }
                (false, Lang::Zh) => format!("{}出了问题", device_name(*device, lang)),
                (false, Lang::En) => format!("{} has a problem", device_name(*device, lang)),
            },
            t(
                lang,
                "您的信息没有丢失。可以点“再试一次”，或呼叫工作人员。",
                "Nothing you entered is lost. Tap “Try again”, or call staff.",
            ),
        ),
    };
    ScreenText { title, body }
}

/// The words of the flow's screen: [`screen_text`], and on success with a printer, that the
/// proof is coming out of the printer now.
pub fn flow_text(flow: &CertifyFlow, lang: Lang) -> ScreenText {
    match flow.step() {
        Step::Certified(r) if r.proof_code.is_some() && flow.prints_on_success() => ScreenText {
            title: t(lang, "认证成功", "Certified"),
            body: match lang {
                Lang::Zh => format!(
                    "认证已完成，有效期到{}。社会救助身份证明正在打印，请从出纸口取。请取走身份证和回执。",
                    date(Some(r.valid_until), lang)
                ),
                Lang::En => format!(
                    "You are certified until {}. The proof is printing now: take it from the slot. Please take your ID card and the receipt.",
                    date(Some(r.valid_until), lang)
                ),
            },
        },
        step => screen_text(step, lang),
    }
}

/// The label of a button on the flow's screen: [`choice_label`], with 再打印一份 where the
/// proof has printed already.
pub fn flow_choice_label(flow: &CertifyFlow, c: Choice, lang: Lang) -> String {
    match (flow.step(), c) {
        (Step::Certified(_), Choice::Print) if flow.prints_on_success() => {
            t(lang, "再打印一份", "Print another copy")
        }
        _ => choice_label(c, lang),
    }
}

/// The label of a button.
pub fn choice_label(c: Choice, lang: Lang) -> String {
    match c {
        Choice::SelfCheck => t(lang, "本人认证", "Myself"),
        Choice::Guardian => t(lang, "我是监护人", "I am the guardian"),
        Choice::Assisted => t(lang, "帮他操作", "Helping them"),
        Choice::Consent => t(lang, "同意，开始认证", "I agree, start"),
        Choice::Decline => t(lang, "不同意，用其他方式", "No, another way"),
        Choice::StaffWitness => t(lang, "工作人员现场见证", "Staff witness here"),
        Choice::HomeVisit => t(lang, "登记上门认证", "Request a home visit"),
        Choice::Face => t(lang, "再刷一次脸", "Face again"),
        Choice::Fingerprint => t(lang, "改用指纹", "Use fingerprint"),
        Choice::Retry => t(lang, "再试一次", "Try again"),
        Choice::CallStaff => t(lang, "请工作人员帮忙", "Get staff help"),
        Choice::Home => t(lang, "回到首页", "Back to home"),
        Choice::Print => t(lang, "打印证明", "Print the proof"),
        Choice::TakePhoto => t(lang, "拍照", "Take photo"),
        Choice::Retake => t(lang, "重拍", "Retake"),
        Choice::UsePhoto => t(lang, "用这张", "Use this photo"),
    }
}
