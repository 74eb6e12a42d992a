//! Demo data for `make run`: a made-up township, staff accounts with known passwords, recipients
//! with valid (made-up) GB 11643 numbers, some certified this cycle and some not.

use chrono::{Days, NaiveDate};
use jiuzhu_core::api::{AssistanceType, StaffRole};
use jiuzhu_core::id::check_char;

use crate::store::{Recipient, Staff, Store, StoreError, Township};

/// Demo township code (made up; not a real administrative code).
pub const DEMO_TOWNSHIP: &str = "500102900";
/// Second demo township, to show the township scope.
pub const OTHER_TOWNSHIP: &str = "500102901";

/// A valid identity number for region 500102 (涪陵区), the given birth date and sequence.
pub fn demo_id(birth: &str, seq: u16) -> String {
    let first17 = format!("500102{birth}{seq:03}");
    let mut arr = [0u8; 17];
    arr.copy_from_slice(first17.as_bytes());
    format!("{first17}{}", check_char(&arr))
}

/// (name, identity number, type, household size, monthly amount in fen, certified days ago).
pub type DemoPerson = (
    &'static str,
    &'static str,
    AssistanceType,
    u32,
    i64,
    Option<u64>,
);

/// Recipients whose cards the kiosk's ID-card simulator holds (`drivers/sim/fixtures/idcards`),
/// so `make run` can certify someone end to end: (name, number, type, household size, amount in
/// fen, certified how many days ago).
pub const SIM_CARD_PEOPLE: &[DemoPerson] = &[
    (
        "陈淑芬",
        "500102195805202427",
        AssistanceType::Dibao,
        1,
        61_000,
        None,
    ),
    (
        "王德福",
        "500102194110020032",
        AssistanceType::Tekun,
        1,
        99_000,
        Some(380),
    ),
    (
        "冉光秀",
        "500102194603081546",
        AssistanceType::Dibao,
        2,
        118_000,
        Some(20),
    ),
];

/// A guardian registered by [`seed_demo`].
pub struct DemoGuardian {
    /// The recipient.
    pub recipient_id: &'static str,
    /// The guardian.
    pub guardian_id: &'static str,
    /// The guardian's name.
    pub name: &'static str,
    /// Relation to the recipient.
    pub relation: &'static str,
}

/// Guardians for `make run`: 谭永贵 (a card of the ID-card simulator, not a recipient himself) is
/// the registered guardian of 王德福 (due for his yearly check), so 监护人代认证 can be walked:
/// 谭永贵's card, then 王德福's, then 谭永贵's face, then the photo of 王德福.
pub const DEMO_GUARDIANS: &[DemoGuardian] = &[DemoGuardian {
    recipient_id: "500102194110020032",
    guardian_id: "500102193706110018",
    name: "谭永贵",
    relation: "sibling",
}];

/// Staff accounts created by [`seed_demo`]: (username, password, role, township).
pub const DEMO_STAFF: &[(&str, &str, StaffRole, Option<&str>)] = &[
    (
        "helper",
        "helper-demo-2026",
        StaffRole::VillageHelper,
        Some(DEMO_TOWNSHIP),
    ),
    (
        "clerk",
        "clerk-demo-2026",
        StaffRole::TownshipClerk,
        Some(DEMO_TOWNSHIP),
    ),
    (
        "leader",
        "leader-demo-2026",
        StaffRole::TownshipLeader,
        Some(DEMO_TOWNSHIP),
    ),
    (
        "bureau",
        "bureau-demo-2026",
        StaffRole::DistrictBureau,
        None,
    ),
    (
        "clerk2",
        "clerk2-demo-2026",
        StaffRole::TownshipClerk,
        Some(OTHER_TOWNSHIP),
    ),
];

/// Creates the demo data. `hash` turns a password into an argon2id hash.
pub fn seed_demo(
    store: &dyn Store,
    today: NaiveDate,
    hash: &dyn Fn(&str) -> String,
) -> Result<Vec<Recipient>, StoreError> {
    let actor = "admin:seed-demo";
    store.put_township(
        &Township {
            code: DEMO_TOWNSHIP.into(),
            name: "涪陵区江东街道（演示）".into(),
            hotline: "023-7222-0000".into(),
            report_phone: "023-7222-0001".into(),
            delegated: true,
        },
        actor,
    )?;
    store.put_township(
        &Township {
            code: OTHER_TOWNSHIP.into(),
            name: "涪陵区江北街道（演示）".into(),
            hotline: "023-7222-1000".into(),
            report_phone: "023-7222-1001".into(),
            delegated: false,
        },
        actor,
    )?;
    for (user, pw, role, township) in DEMO_STAFF {
        if store.staff_with_hash(user)?.is_none() {
            store.add_staff(
                &Staff {
                    username: (*user).into(),
                    role: *role,
                    township: township.map(str::to_string),
                },
                &hash(pw),
                actor,
            )?;
        }
    }
    let people = [
        (
            "王秀英",
            "19450312",
            21,
            AssistanceType::Dibao,
            1,
            62_000,
            Some(30),
        ),
        (
            "李德明",
            "19480705",
            33,
            AssistanceType::Tekun,
            1,
            98_000,
            Some(200),
        ),
        (
            "陈桂芳",
            "19520118",
            42,
            AssistanceType::Dibao,
            2,
            124_000,
            None,
        ),
        (
            "刘大勇",
            "19600923",
            57,
            AssistanceType::LowIncomeEdge,
            3,
            0,
            Some(400),
        ),
    ];
    let mut out = Vec::new();
    let people = people
        .into_iter()
        .map(|(name, birth, seq, ty, size, amount, cert)| {
            (name, demo_id(birth, seq), ty, size, amount, cert)
        })
        .chain(
            SIM_CARD_PEOPLE
                .iter()
                .map(|&(name, number, ty, size, amount, cert)| {
                    (name, number.to_string(), ty, size, amount, cert)
                }),
        );
    for (name, id_number, ty, size, amount, certified_days_ago) in people {
        let r = Recipient {
            id_number,
            name: name.into(),
            township: DEMO_TOWNSHIP.into(),
            assistance_type: ty,
            household_size: size,
            amount_fen: amount,
            since: today - Days::new(900),
            last_certified_on: certified_days_ago.map(|d| today - Days::new(d)),
        };
        store.put_recipient(&r, actor)?;
        out.push(r);
    }
    for g in DEMO_GUARDIANS {
        store.put_guardian(
            &crate::store::NewGuardian {
                recipient_id: g.recipient_id,
                guardian_id: g.guardian_id,
                name: g.name,
                relation: g.relation,
                now: chrono::Utc::now(),
            },
            actor,
        )?;
    }
    Ok(out)
}
