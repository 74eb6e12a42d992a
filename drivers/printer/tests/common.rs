//! Sample documents shared by the printer tests.
#![allow(dead_code)]

use chrono::{NaiveDate, NaiveDateTime};
use ed25519_dalek::SigningKey;
use jiuzhu_core::api::AssistanceType;
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::id::{IdNumber, PersonName};
use jiuzhu_core::proof::{self, ProofId, ProofPayload};
use jiuzhu_drivers_api::printer::{
    ApplicationReceipt, Document, IdentityProofDoc, ResidentNotice, SignatureReceipt, StaffSlip,
};
use jiuzhu_printer::documents::plan_next_steps;

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, 0).unwrap()
}

pub fn district_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

pub fn receipt() -> Document {
    let submitted = at(2026, 3, 2, 9, 30);
    let steps = plan_next_steps(submitted.date(), &Calendar::builtin(), false);
    Document::ApplicationReceipt(ApplicationReceipt::new(
        "SQ-500102-20260302-0017",
        submitted,
        "涪陵区江北街道",
        &PersonName::new("张三丰").unwrap(),
        vec![AssistanceType::Dibao, AssistanceType::Temporary],
        steps,
        "023-72222345",
        "023-12345",
    ))
}

pub fn signature_receipt() -> Document {
    Document::SignatureReceipt(SignatureReceipt {
        case_no: "0190f1c2-7d3a-7b6e-9c1d-0123456789ab".into(),
        signed_at: at(2026, 3, 4, 15, 5),
        township: "涪陵区江北街道".into(),
        applicant_masked: PersonName::new("张三丰").unwrap().masked(),
        signer_masked: PersonName::new("李秀兰").unwrap().masked(),
        types: vec![AssistanceType::Dibao],
        method: "身份证+指纹，手写签名".into(),
        queued: true,
        hotline: "023-72222345".into(),
    })
}

pub fn proof_code() -> String {
    let payload = ProofPayload::new(
        ProofId([
            0x01, 0x93, 0x8a, 0x10, 0x55, 0x21, 0x7c, 0x00, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55,
            0x66, 0x77,
        ]),
        &PersonName::new("欧阳春花").unwrap(),
        &IdNumber::parse_at("11010519491231002X", day(2026, 1, 1)).unwrap(),
        "500102001",
        day(2026, 3, 2),
        day(2027, 3, 1),
        AssistanceType::Dibao,
    );
    proof::issue(&payload, &district_key()).unwrap()
}

pub fn identity_proof() -> Document {
    Document::IdentityProof(IdentityProofDoc {
        code: proof_code(),
        township_name: "江北街道".into(),
        issuer: "重庆市涪陵区民政局".into(),
        verify_at: "https://jiuzhu.example.gov.cn/v1/public/proofs".into(),
        hotline: "023-72222345".into(),
    })
}

pub fn staff_slip() -> Document {
    Document::StaffSlip(StaffSlip {
        title: "一次性告知书".into(),
        reference: Some("SQ-500102-20260302-0017".into()),
        lines: vec![
            ("申请人".into(), "张*".into()),
            (
                "缺少材料".into(),
                "1. 户口簿复印件；2. 近六个月银行流水；3. 残疾证（如有）".into(),
            ),
            ("补交期限".into(), "2026-03-16 前".into()),
        ],
        printed_at: at(2026, 3, 2, 10, 5),
        kiosk: "FL-JB-01".into(),
    })
}

/// A 一次性告知书 as central issues it (core's `notices` text).
pub fn resident_notice() -> Document {
    Document::ResidentNotice(ResidentNotice {
        title: "一次性告知书".into(),
        case_no: "江北-2026-00017".into(),
        text: "一次性告知书\n案号：江北-2026-00017\n张*丰：\n　　您于2026年3月2日提出的城乡低保申请，经审查，申请材料尚不齐全。请在2026年3月16日（含当日）前补齐下列全部事项：\n　　1. 提交收入证明\n　　2. 李*兰签署家庭经济状况核对授权书\n　　逾期未补齐的，视为自动放弃申请。\n咨询电话：023-72222345　举报电话：023-12345\n涪陵区江北街道\n2026年3月3日".into(),
        printed_at: at(2026, 3, 3, 10, 5),
    })
}

pub fn test_page() -> Document {
    Document::TestPage {
        printed_at: at(2026, 3, 2, 8, 0),
    }
}
