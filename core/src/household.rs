//! Households applying for assistance: the assistance types of the seed (§二.1) and which of
//! them are open, the members (共同生活的家庭成员) and obligated persons (相关义务人员) with
//! their relationships, and the declared income and assets. Money is integer fen (分).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::{Add, Sub};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::id::{IdNumber, PersonName};

/// An amount of money in fen (1 元 = 100 分). Serialized as the integer number of fen.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// From whole 元.
    pub const fn yuan(yuan: i64) -> Money {
        Money(yuan * 100)
    }

    /// From fen.
    pub const fn fen(fen: i64) -> Money {
        Money(fen)
    }

    /// The amount in fen.
    pub const fn as_fen(self) -> i64 {
        self.0
    }

    /// Whether the amount is above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl fmt::Display for Money {
    /// `1234.50 元`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02} 元", abs / 100, abs % 100)
    }
}

/// The assistance types of the seed (§二.1). The first four are applied for online from the
/// start; the six special types (专项救助) join "as the functions open", which is configuration
/// ([`TypeAvailability`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssistanceType {
    /// 城乡最低生活保障 (低保).
    Dibao,
    /// 特困人员救助供养.
    Tekun,
    /// 临时救助.
    Temporary,
    /// 低保边缘家庭.
    LowIncomeEdge,
    /// 医疗救助 (special).
    Medical,
    /// 教育救助 (special).
    Education,
    /// 住房救助 (special).
    Housing,
    /// 就业救助 (special).
    Employment,
    /// 受灾人员救助 (special).
    Disaster,
    /// 司法救助 (special).
    Legal,
}

impl AssistanceType {
    /// Every type, the four basic ones first.
    pub const ALL: [AssistanceType; 10] = [
        AssistanceType::Dibao,
        AssistanceType::Tekun,
        AssistanceType::Temporary,
        AssistanceType::LowIncomeEdge,
        AssistanceType::Medical,
        AssistanceType::Education,
        AssistanceType::Housing,
        AssistanceType::Employment,
        AssistanceType::Disaster,
        AssistanceType::Legal,
    ];

    /// Whether this is one of the six special types (专项救助).
    pub fn is_special(self) -> bool {
        !matches!(
            self,
            AssistanceType::Dibao
                | AssistanceType::Tekun
                | AssistanceType::Temporary
                | AssistanceType::LowIncomeEdge
        )
    }

    /// Short Chinese label as on the kiosk's buttons.
    pub fn label_zh(self) -> &'static str {
        match self {
            AssistanceType::Dibao => "城乡低保",
            AssistanceType::Tekun => "特困供养",
            AssistanceType::Temporary => "临时救助",
            AssistanceType::LowIncomeEdge => "低保边缘家庭",
            AssistanceType::Medical => "医疗救助",
            AssistanceType::Education => "教育救助",
            AssistanceType::Housing => "住房救助",
            AssistanceType::Employment => "就业救助",
            AssistanceType::Disaster => "受灾人员救助",
            AssistanceType::Legal => "司法救助",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            AssistanceType::Dibao => "Minimum living allowance",
            AssistanceType::Tekun => "Support for persons in extreme poverty",
            AssistanceType::Temporary => "Temporary assistance",
            AssistanceType::LowIncomeEdge => "Near-minimum-income household",
            AssistanceType::Medical => "Medical assistance",
            AssistanceType::Education => "Education assistance",
            AssistanceType::Housing => "Housing assistance",
            AssistanceType::Employment => "Employment assistance",
            AssistanceType::Disaster => "Disaster relief",
            AssistanceType::Legal => "Judicial assistance",
        }
    }
}

/// Whether a type can be applied for at this kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Applications are accepted.
    Open,
    /// The function has not opened yet (相关功能尚未开放): shown, but not selectable.
    NotYetOpen,
}

impl Availability {
    /// 可申请 / 暂未开放.
    pub fn label_zh(self) -> &'static str {
        match self {
            Availability::Open => "可申请",
            Availability::NotYetOpen => "暂未开放",
        }
    }

    /// Open / Not yet open.
    pub fn label_en(self) -> &'static str {
        match self {
            Availability::Open => "Open",
            Availability::NotYetOpen => "Not yet open",
        }
    }
}

/// Which special types are open (configuration, e.g. the `[assistance]` table of the kiosk or
/// the central service). The four basic types are always open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeAvailability {
    /// Special types whose online application has opened.
    #[serde(default)]
    pub open_special: BTreeSet<AssistanceType>,
}

impl TypeAvailability {
    /// Whether `t` can be applied for.
    pub fn of(&self, t: AssistanceType) -> Availability {
        if !t.is_special() || self.open_special.contains(&t) {
            Availability::Open
        } else {
            Availability::NotYetOpen
        }
    }

    /// Every type with its availability, in display order.
    pub fn all(&self) -> Vec<(AssistanceType, Availability)> {
        AssistanceType::ALL
            .iter()
            .map(|t| (*t, self.of(*t)))
            .collect()
    }
}

/// A member's relationship to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// The applicant (申请人本人).
    #[serde(rename = "self")]
    Applicant,
    /// 配偶.
    Spouse,
    /// 子女.
    Child,
    /// 父母.
    Parent,
    /// 兄弟姐妹.
    Sibling,
    /// 祖父母、外祖父母.
    Grandparent,
    /// 孙子女、外孙子女.
    Grandchild,
    /// 儿媳、女婿.
    ChildInLaw,
    /// 公婆、岳父母.
    ParentInLaw,
    /// 其他共同生活人员.
    OtherCohabitant,
    /// 相关义务人员: an obligated person (e.g. a child supporting a parent) who does not live in
    /// the household but must sign the verification authorization.
    Obligated,
}

impl Relationship {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Relationship::Applicant => "本人",
            Relationship::Spouse => "配偶",
            Relationship::Child => "子女",
            Relationship::Parent => "父母",
            Relationship::Sibling => "兄弟姐妹",
            Relationship::Grandparent => "祖父母/外祖父母",
            Relationship::Grandchild => "孙子女/外孙子女",
            Relationship::ChildInLaw => "儿媳/女婿",
            Relationship::ParentInLaw => "公婆/岳父母",
            Relationship::OtherCohabitant => "其他共同生活人员",
            Relationship::Obligated => "相关义务人员",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Relationship::Applicant => "applicant",
            Relationship::Spouse => "spouse",
            Relationship::Child => "child",
            Relationship::Parent => "parent",
            Relationship::Sibling => "sibling",
            Relationship::Grandparent => "grandparent",
            Relationship::Grandchild => "grandchild",
            Relationship::ChildInLaw => "child-in-law",
            Relationship::ParentInLaw => "parent-in-law",
            Relationship::OtherCohabitant => "other household member",
            Relationship::Obligated => "obligated person",
        }
    }

    /// Whether a person with this relationship belongs to the household (lives together); the
    /// only exception is an obligated person.
    pub fn is_household_member(self) -> bool {
        self != Relationship::Obligated
    }
}

/// One person on an application: a household member or an obligated person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Name (masked in `Debug`).
    pub name: PersonName,
    /// Identity number (masked in `Debug`, full in JSON).
    pub id_number: IdNumber,
    /// Relationship to the applicant.
    pub relationship: Relationship,
}

impl Member {
    /// Whether this person must sign the economic-status verification authorization
    /// (核对授权书): every adult household member and every obligated person.
    pub fn must_sign(&self, today: NaiveDate) -> bool {
        self.relationship == Relationship::Obligated || self.id_number.age_on(today) >= 18
    }
}

/// Kinds of income (家庭收入) declared per month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomeKind {
    /// 工资性收入.
    Wages,
    /// 经营净收入 (including farming).
    Business,
    /// 财产净收入 (rent, interest).
    Property,
    /// 转移净收入 (pensions, support payments received).
    Transfer,
    /// 其他收入.
    Other,
}

impl IncomeKind {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            IncomeKind::Wages => "工资性收入",
            IncomeKind::Business => "经营净收入",
            IncomeKind::Property => "财产净收入",
            IncomeKind::Transfer => "转移净收入",
            IncomeKind::Other => "其他收入",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            IncomeKind::Wages => "wages",
            IncomeKind::Business => "net business income",
            IncomeKind::Property => "net property income",
            IncomeKind::Transfer => "net transfer income",
            IncomeKind::Other => "other income",
        }
    }
}

/// One declared monthly income of one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Income {
    /// Whose income (a member's identity number).
    pub earner: IdNumber,
    /// Kind of income.
    pub kind: IncomeKind,
    /// Average amount per month.
    pub monthly: Money,
    /// Free text, e.g. the employer.
    #[serde(default)]
    pub note: String,
}

/// Kinds of assets (家庭财产).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// 现金、存款.
    Deposits,
    /// 有价证券、理财产品.
    Securities,
    /// 房产.
    RealEstate,
    /// 机动车辆.
    Vehicle,
    /// 经营性资产 (a business, machinery).
    BusinessAssets,
    /// 商业保险.
    Insurance,
    /// 其他财产.
    Other,
}

impl AssetKind {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            AssetKind::Deposits => "现金及存款",
            AssetKind::Securities => "有价证券及理财",
            AssetKind::RealEstate => "房产",
            AssetKind::Vehicle => "机动车辆",
            AssetKind::BusinessAssets => "经营性资产",
            AssetKind::Insurance => "商业保险",
            AssetKind::Other => "其他财产",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            AssetKind::Deposits => "cash and deposits",
            AssetKind::Securities => "securities and investments",
            AssetKind::RealEstate => "real estate",
            AssetKind::Vehicle => "motor vehicles",
            AssetKind::BusinessAssets => "business assets",
            AssetKind::Insurance => "commercial insurance",
            AssetKind::Other => "other assets",
        }
    }
}

/// One declared asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// Owner (a member's identity number).
    pub owner: IdNumber,
    /// Kind of asset.
    pub kind: AssetKind,
    /// Estimated value.
    pub value: Money,
    /// Free text, e.g. "住房一套 60㎡".
    #[serde(default)]
    pub description: String,
}

/// Why a household declaration is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HouseholdError {
    /// No member is marked as the applicant.
    #[error("no member is the applicant: mark exactly one member as 本人")]
    NoApplicant,
    /// More than one member is marked as the applicant.
    #[error("{0} members are marked as the applicant: mark exactly one")]
    SeveralApplicants(usize),
    /// The same identity number twice.
    #[error("member {0} is listed twice: remove the duplicate")]
    DuplicateMember(IdNumber),
    /// An income or asset names someone who is not on the application.
    #[error("{what} names {who}, who is not listed as a member: add them or correct the number")]
    UnknownPerson {
        /// "an income" / "an asset".
        what: &'static str,
        /// The number given.
        who: IdNumber,
    },
    /// An income or asset with a negative amount.
    #[error("{what} of {who} has a negative amount ({amount}): enter zero or more")]
    NegativeAmount {
        /// "an income" / "an asset".
        what: &'static str,
        /// Whose.
        who: IdNumber,
        /// The amount.
        amount: Money,
    },
    /// The place of household registration is missing.
    #[error("the township of household registration (户籍所在地) is missing")]
    NoTownship,
}

/// The household applying: where it is registered, who belongs to it, and what it declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Household {
    /// Code of the township (乡镇/街道) of household registration (户籍所在地), which handles
    /// the application.
    pub township: String,
    /// The village or community (村/社区) where notices are posted.
    pub village: String,
    /// Members and obligated persons; exactly one is the applicant.
    pub members: Vec<Member>,
    /// Declared monthly incomes.
    #[serde(default)]
    pub incomes: Vec<Income>,
    /// Declared assets.
    #[serde(default)]
    pub assets: Vec<Asset>,
}

impl Household {
    /// Checks the declaration for consistency.
    pub fn validate(&self) -> Result<(), HouseholdError> {
        if self.township.trim().is_empty() {
            return Err(HouseholdError::NoTownship);
        }
        match self
            .members
            .iter()
            .filter(|m| m.relationship == Relationship::Applicant)
            .count()
        {
            0 => return Err(HouseholdError::NoApplicant),
            1 => {}
            n => return Err(HouseholdError::SeveralApplicants(n)),
        }
        let mut seen = BTreeSet::new();
        for m in &self.members {
            if !seen.insert(m.id_number.as_unmasked_str()) {
                return Err(HouseholdError::DuplicateMember(m.id_number.clone()));
            }
        }
        for i in &self.incomes {
            if !seen.contains(i.earner.as_unmasked_str()) {
                return Err(HouseholdError::UnknownPerson {
                    what: "an income",
                    who: i.earner.clone(),
                });
            }
            if i.monthly.0 < 0 {
                return Err(HouseholdError::NegativeAmount {
                    what: "an income",
                    who: i.earner.clone(),
                    amount: i.monthly,
                });
            }
        }
        for a in &self.assets {
            if !seen.contains(a.owner.as_unmasked_str()) {
                return Err(HouseholdError::UnknownPerson {
                    what: "an asset",
                    who: a.owner.clone(),
                });
            }
            if a.value.0 < 0 {
                return Err(HouseholdError::NegativeAmount {
                    what: "an asset",
                    who: a.owner.clone(),
                    amount: a.value,
                });
            }
        }
        Ok(())
    }

    /// The applicant, if exactly one member is marked so.
    pub fn applicant(&self) -> Option<&Member> {
        let mut it = self
            .members
            .iter()
            .filter(|m| m.relationship == Relationship::Applicant);
        match (it.next(), it.next()) {
            (Some(a), None) => Some(a),
            _ => None,
        }
    }

    /// Finds a member or obligated person by identity number.
    pub fn member(&self, id: &IdNumber) -> Option<&Member> {
        self.members.iter().find(|m| &m.id_number == id)
    }

    /// Number of people living together (obligated persons excluded): the household size that
    /// is published and that income is divided by.
    pub fn size(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.relationship.is_household_member())
            .count()
    }

    /// The people who must sign the verification authorization on `today`.
    pub fn required_signers(&self, today: NaiveDate) -> Vec<&Member> {
        self.members.iter().filter(|m| m.must_sign(today)).collect()
    }

    /// Total declared monthly income of the household members (obligated persons' own income is
    /// assessed separately and not included).
    pub fn monthly_income(&self) -> Money {
        self.incomes
            .iter()
            .filter(|i| {
                self.member(&i.earner)
                    .is_some_and(|m| m.relationship.is_household_member())
            })
            .map(|i| i.monthly)
            .sum()
    }

    /// Monthly income per household member, rounded down to the fen; zero for an empty household.
    pub fn per_capita_monthly_income(&self) -> Money {
        match self.size() {
            0 => Money::ZERO,
            n => Money(self.monthly_income().0 / n as i64),
        }
    }

    /// Declared assets of the household members, summed by kind.
    pub fn assets_by_kind(&self) -> BTreeMap<AssetKind, Money> {
        let mut out = BTreeMap::new();
        for a in &self.assets {
            if self
                .member(&a.owner)
                .is_some_and(|m| m.relationship.is_household_member())
            {
                *out.entry(a.kind).or_insert(Money::ZERO) += a.value;
            }
        }
        out
    }

    /// Total declared assets of the household members.
    pub fn total_assets(&self) -> Money {
        self.assets_by_kind().values().copied().sum()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rstest::rstest;

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    }

    pub(crate) fn id(s: &str) -> IdNumber {
        IdNumber::parse_at(s, today()).unwrap()
    }

    /// Builds a valid number from region, birth date and sequence.
    pub(crate) fn make_id(region: &str, birth: &str, seq: u32) -> IdNumber {
        let body = format!("{region}{birth}{seq:03}");
        let mut d = [0u8; 17];
        d.copy_from_slice(body.as_bytes());
        id(&format!("{body}{}", crate::id::check_char(&d)))
    }

    pub(crate) fn member(name: &str, number: IdNumber, rel: Relationship) -> Member {
        Member {
            name: PersonName::new(name).unwrap(),
            id_number: number,
            relationship: rel,
        }
    }

    /// 冉光秀 (applicant, 1958), her husband (1955), a grandson aged 10 and a son living in
    /// 渝北 as obligated person.
    pub(crate) fn household() -> Household {
        Household {
            township: "500102001".into(),
            village: "荔枝街道 太极村".into(),
            members: vec![
                member(
                    "冉光秀",
                    make_id("500102", "19580304", 122),
                    Relationship::Applicant,
                ),
                member(
                    "李明德",
                    make_id("500102", "19550611", 131),
                    Relationship::Spouse,
                ),
                member(
                    "李小军",
                    make_id("500102", "20151020", 113),
                    Relationship::Grandchild,
                ),
                member(
                    "李建国",
                    make_id("500112", "19800101", 151),
                    Relationship::Obligated,
                ),
            ],
            incomes: vec![
                Income {
                    earner: make_id("500102", "19550611", 131),
                    kind: IncomeKind::Transfer,
                    monthly: Money::yuan(480),
                    note: "城乡居民养老金".into(),
                },
                Income {
                    earner: make_id("500102", "19580304", 122),
                    kind: IncomeKind::Business,
                    monthly: Money::fen(30_050),
                    note: "种菜".into(),
                },
                Income {
                    earner: make_id("500112", "19800101", 151),
                    kind: IncomeKind::Wages,
                    monthly: Money::yuan(4_000),
                    note: String::new(),
                },
            ],
            assets: vec![
                Asset {
                    owner: make_id("500102", "19580304", 122),
                    kind: AssetKind::Deposits,
                    value: Money::yuan(3_000),
                    description: String::new(),
                },
                Asset {
                    owner: make_id("500102", "19550611", 131),
                    kind: AssetKind::Deposits,
                    value: Money::yuan(1_500),
                    description: String::new(),
                },
                Asset {
                    owner: make_id("500112", "19800101", 151),
                    kind: AssetKind::Vehicle,
                    value: Money::yuan(60_000),
                    description: String::new(),
                },
            ],
        }
    }

    #[test]
    fn sizes_incomes_and_assets() {
        let h = household();
        h.validate().unwrap();
        assert_eq!(h.size(), 3);
        assert_eq!(h.monthly_income(), Money::fen(78_050));
        assert_eq!(h.per_capita_monthly_income(), Money::fen(26_016));
        assert_eq!(h.total_assets(), Money::yuan(4_500));
        assert_eq!(
            h.assets_by_kind(),
            BTreeMap::from([(AssetKind::Deposits, Money::yuan(4_500))])
        );
        assert_eq!(h.applicant().unwrap().name.as_unmasked_str(), "冉光秀");
    }

    #[test]
    fn adults_and_obligated_persons_sign() {
        let h = household();
        let signers: Vec<&str> = h
            .required_signers(today())
            .iter()
            .map(|m| m.name.as_unmasked_str())
            .collect();
        assert_eq!(signers, ["冉光秀", "李明德", "李建国"]);
    }

    #[rstest]
    #[case::no_applicant(|h: &mut Household| h.members[0].relationship = Relationship::Spouse, HouseholdError::NoApplicant)]
    #[case::two_applicants(|h: &mut Household| h.members[1].relationship = Relationship::Applicant, HouseholdError::SeveralApplicants(2))]
    #[case::duplicate(|h: &mut Household| { let m = h.members[1].clone(); h.members.push(m) }, HouseholdError::DuplicateMember(make_id("500102", "19550611", 131)))]
    #[case::unknown_earner(|h: &mut Household| h.incomes[0].earner = make_id("500101", "19700101", 111), HouseholdError::UnknownPerson { what: "an income", who: make_id("500101", "19700101", 111) })]
    #[case::negative(|h: &mut Household| h.assets[0].value = Money(-1), HouseholdError::NegativeAmount { what: "an asset", who: make_id("500102", "19580304", 122), amount: Money(-1) })]
    #[case::no_township(|h: &mut Household| h.township = " ".into(), HouseholdError::NoTownship)]
    fn inconsistent_declarations(#[case] change: fn(&mut Household), #[case] err: HouseholdError) {
        let mut h = household();
        change(&mut h);
        assert_eq!(h.validate(), Err(err));
    }

    #[rstest]
    #[case(Money::fen(123_456), "1234.56 元")]
    #[case(Money::fen(5), "0.05 元")]
    #[case(Money::fen(-250), "-2.50 元")]
    fn money_display(#[case] m: Money, #[case] text: &str) {
        assert_eq!(m.to_string(), text);
    }

    #[test]
    fn special_types_are_configuration() {
        let mut avail = TypeAvailability::default();
        assert_eq!(avail.of(AssistanceType::Dibao), Availability::Open);
        assert_eq!(avail.of(AssistanceType::Medical), Availability::NotYetOpen);
        avail.open_special.insert(AssistanceType::Medical);
        assert_eq!(avail.of(AssistanceType::Medical), Availability::Open);
        assert_eq!(avail.all().len(), 10);
        let parsed: TypeAvailability =
            toml::from_str("open_special = [\"medical\", \"education\"]").unwrap();
        assert_eq!(parsed.of(AssistanceType::Education), Availability::Open);
        assert_eq!(parsed.of(AssistanceType::Legal), Availability::NotYetOpen);
    }

    #[test]
    fn labels_exist_for_every_type() {
        for t in AssistanceType::ALL {
            assert!(!t.label_zh().is_empty() && !t.label_en().is_empty());
        }
        assert_eq!(AssistanceType::Dibao.label_zh(), "城乡低保");
        assert_eq!(
            serde_json::to_string(&AssistanceType::LowIncomeEdge).unwrap(),
            "\"low_income_edge\""
        );
        assert_eq!(
            serde_json::to_string(&Relationship::Applicant).unwrap(),
            "\"self\""
        );
    }

    #[test]
    fn debug_never_shows_a_full_number_or_name() {
        let h = household();
        let dbg = format!("{h:?}");
        for m in &h.members {
            assert!(!dbg.contains(m.id_number.as_unmasked_str()));
            assert!(!dbg.contains(m.name.as_unmasked_str()));
        }
        let json = serde_json::to_string(&h).unwrap();
        let back: Household = serde_json::from_str(&json).unwrap();
        assert_eq!(back, h);
    }
}

/// The township of household registration (户籍所在地) that an ID card's address names, among
/// `townships` (code, name): the index of the one whose name the address contains. A name is
/// compared without spaces and without a parenthesised remark ("涪陵区江东街道（演示）" →
/// "涪陵区江东街道"); when the name begins with its district (…区 / …县) the address must name
/// both. `None` when no township or more than one matches (the resident then chooses on screen).
pub fn township_of_address(address: &str, townships: &[(String, String)]) -> Option<usize> {
    let address: String = address.chars().filter(|c| !c.is_whitespace()).collect();
    let hits: Vec<usize> = townships
        .iter()
        .enumerate()
        .filter(|(_, (_, name))| {
            let name = bare_township_name(name);
            if name.is_empty() {
                return false;
            }
            if address.contains(&name) {
                return true;
            }
            // "涪陵区江东街道" in "重庆市涪陵区江东街道…", or the district written apart.
            match split_district(&name) {
                Some((district, place)) => {
                    !place.is_empty() && address.contains(district) && address.contains(place)
                }
                None => false,
            }
        })
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// A township's name without spaces and without a parenthesised remark.
fn bare_township_name(name: &str) -> String {
    let mut out = String::new();
    let mut depth = 0u32;
    for c in name.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            c if depth == 0 && !c.is_whitespace() => out.push(c),
            _ => {}
        }
    }
    out
}

/// "涪陵区江东街道" → ("涪陵区", "江东街道").
fn split_district(name: &str) -> Option<(&str, &str)> {
    let at = name
        .char_indices()
        .find(|(_, c)| *c == '区' || *c == '县')?
        .0;
    let end = at + '区'.len_utf8();
    Some((&name[..end], &name[end..]))
}

#[cfg(test)]
mod township_tests {
    use super::township_of_address;

    fn list(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("50010290{i}"), (*n).to_string()))
            .collect()
    }

    #[test]
    fn the_card_address_names_its_township() {
        let t = list(&["涪陵区江东街道（演示）", "涪陵区 江北街道"]);
        assert_eq!(
            township_of_address("重庆市涪陵区江东街道太白路12号3单元502", &t),
            Some(0)
        );
        assert_eq!(
            township_of_address("重庆市涪陵区江北街道二渡村3组45号", &t),
            Some(1)
        );
        // Another township of the district, or a street named like one: none.
        assert_eq!(
            township_of_address("重庆市涪陵区崇义街道太白路12号", &t),
            None
        );
        assert_eq!(township_of_address("", &t), None);
        assert_eq!(township_of_address("重庆市涪陵区江东街道", &[]), None);
    }

    #[test]
    fn the_district_must_match_when_the_name_has_one() {
        let t = list(&["涪陵区江北街道"]);
        // 江北街道 of another district is not this one.
        assert_eq!(township_of_address("重庆市巴南区江北街道某路1号", &t), None);
        // A name without its district matches on the place alone.
        let t = list(&["江北街道"]);
        assert_eq!(
            township_of_address("重庆市涪陵区江北街道某路1号", &t),
            Some(0)
        );
    }

    #[test]
    fn two_matches_are_no_answer() {
        let t = list(&["江北街道", "涪陵区江北街道"]);
        assert_eq!(township_of_address("重庆市涪陵区江北街道1号", &t), None);
    }
}
