//! An application for assistance (申请): the type, the household, the materials checklist of the
//! type, the verification authorizations signed (核对授权书), an agent applying on the
//! household's behalf (委托他人代为申请) and the declaration of close relatives among the staff
//! (近亲属申明). The review that follows is [`crate::workflow`].

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::household::{
    AssistanceType, Availability, Household, HouseholdError, Member, TypeAvailability,
};
use crate::id::{IdNumber, PersonName};

/// A kind of supporting material (申请材料).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Material {
    /// 家庭成员居民身份证.
    IdCards,
    /// 居民户口簿.
    HouseholdRegister,
    /// 家庭收入情况证明 (pay slips, pension statements, a written statement for farm income).
    IncomeProof,
    /// 丧失劳动能力证明 (残疾证, 疾病诊断, or age), for 特困供养.
    IncapacityProof,
    /// 无法定义务人或义务人无履行能力的证明, for 特困供养.
    NoSupporterProof,
    /// 遭遇突发事件、意外事故、重大疾病等导致基本生活困难的证明, for 临时救助.
    HardshipProof,
    /// 疾病诊断证明, for 医疗救助.
    DiagnosisCertificate,
    /// 医疗费用票据及医保结算单, for 医疗救助.
    MedicalBills,
    /// 学籍证明或录取通知书, for 教育救助.
    EnrollmentProof,
    /// 住房状况证明, for 住房救助.
    HousingProof,
    /// 失业登记证明, for 就业救助.
    UnemploymentRegistration,
    /// 受灾损失情况证明, for 受灾人员救助.
    DisasterLossProof,
    /// 裁判文书或执行文书, for 司法救助.
    JudicialDocuments,
    /// 委托书, when an agent applies.
    PowerOfAttorney,
    /// 受托人居民身份证, when an agent applies.
    AgentIdCard,
}

impl Material {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Material::IdCards => "家庭成员居民身份证",
            Material::HouseholdRegister => "居民户口簿",
            Material::IncomeProof => "家庭收入情况证明",
            Material::IncapacityProof => "丧失劳动能力证明",
            Material::NoSupporterProof => "无法定义务人或义务人无履行能力证明",
            Material::HardshipProof => "突发事件、意外事故或重大疾病致困证明",
            Material::DiagnosisCertificate => "疾病诊断证明",
            Material::MedicalBills => "医疗费用票据及结算单",
            Material::EnrollmentProof => "学籍证明或录取通知书",
            Material::HousingProof => "住房状况证明",
            Material::UnemploymentRegistration => "失业登记证明",
            Material::DisasterLossProof => "受灾损失情况证明",
            Material::JudicialDocuments => "裁判文书或执行文书",
            Material::PowerOfAttorney => "委托书",
            Material::AgentIdCard => "受托人居民身份证",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Material::IdCards => "identity cards of the household members",
            Material::HouseholdRegister => "household register (hukou booklet)",
            Material::IncomeProof => "proof of household income",
            Material::IncapacityProof => "proof of inability to work",
            Material::NoSupporterProof => "proof of no able legal supporter",
            Material::HardshipProof => "proof of the emergency, accident or illness",
            Material::DiagnosisCertificate => "medical diagnosis",
            Material::MedicalBills => "medical bills and insurance statements",
            Material::EnrollmentProof => "proof of school enrolment or admission",
            Material::HousingProof => "proof of housing conditions",
            Material::UnemploymentRegistration => "unemployment registration",
            Material::DisasterLossProof => "proof of disaster losses",
            Material::JudicialDocuments => "court judgment or enforcement documents",
            Material::PowerOfAttorney => "power of attorney",
            Material::AgentIdCard => "identity card of the agent",
        }
    }
}

/// The materials every application of `t` needs, before anything that depends on the case
/// (an agent adds [`Material::PowerOfAttorney`] and [`Material::AgentIdCard`]; see
/// [`Application::checklist`]). The economic-status verification authorization is not a
/// material: it is signed at the kiosk by every required signer ([`Application::unsigned`]).
pub fn base_checklist(t: AssistanceType) -> &'static [Material] {
    use Material::*;
    match t {
        AssistanceType::Dibao | AssistanceType::LowIncomeEdge => {
            &[IdCards, HouseholdRegister, IncomeProof]
        }
        AssistanceType::Tekun => &[
            IdCards,
            HouseholdRegister,
            IncapacityProof,
            NoSupporterProof,
        ],
        AssistanceType::Temporary => &[IdCards, HouseholdRegister, HardshipProof],
        AssistanceType::Medical => &[
            IdCards,
            HouseholdRegister,
            DiagnosisCertificate,
            MedicalBills,
        ],
        AssistanceType::Education => &[IdCards, HouseholdRegister, EnrollmentProof],
        AssistanceType::Housing => &[IdCards, HouseholdRegister, HousingProof],
        AssistanceType::Employment => &[IdCards, HouseholdRegister, UnemploymentRegistration],
        AssistanceType::Disaster => &[IdCards, HouseholdRegister, DisasterLossProof],
        AssistanceType::Legal => &[IdCards, HouseholdRegister, JudicialDocuments],
    }
}

/// One uploaded material: its kind and the SHA-256 of the stored file (the electronic archive
/// keeps the bytes; see domain.md §1.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppliedMaterial {
    /// What it is.
    pub kind: Material,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
}

/// How an agent relates to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRelation {
    /// A relative who is not a household member.
    Relative,
    /// A legal guardian (监护人).
    Guardian,
    /// A village or community cadre helping (村/社区干部代办).
    VillageCadre,
    /// Anyone else the applicant trusts.
    Other,
}

impl AgentRelation {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            AgentRelation::Relative => "亲属",
            AgentRelation::Guardian => "监护人",
            AgentRelation::VillageCadre => "村（社区）干部",
            AgentRelation::Other => "其他受托人",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            AgentRelation::Relative => "relative",
            AgentRelation::Guardian => "guardian",
            AgentRelation::VillageCadre => "village cadre",
            AgentRelation::Other => "other trusted person",
        }
    }
}

/// Someone applying on the household's behalf (委托代办), recorded as such.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Name.
    pub name: PersonName,
    /// Identity number.
    pub id_number: IdNumber,
    /// Relation to the applicant.
    pub relation: AgentRelation,
}

/// The post of the staff member an applicant is related to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffPost {
    /// 低保经办人员 (township or district case worker).
    CaseWorker,
    /// 村（居）委会成员.
    CommitteeMember,
}

impl StaffPost {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            StaffPost::CaseWorker => "低保经办人员",
            StaffPost::CommitteeMember => "村（居）委会成员",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            StaffPost::CaseWorker => "assistance case worker",
            StaffPost::CommitteeMember => "village/community committee member",
        }
    }
}

/// A close-relative tie (近亲属).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseRelation {
    /// 配偶.
    Spouse,
    /// 父母.
    Parent,
    /// 子女.
    Child,
    /// 兄弟姐妹.
    Sibling,
    /// 祖父母、外祖父母.
    Grandparent,
    /// 孙子女、外孙子女.
    Grandchild,
    /// 其他近亲属 (e.g. in-laws).
    Other,
}

impl CloseRelation {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            CloseRelation::Spouse => "配偶",
            CloseRelation::Parent => "父母",
            CloseRelation::Child => "子女",
            CloseRelation::Sibling => "兄弟姐妹",
            CloseRelation::Grandparent => "祖父母/外祖父母",
            CloseRelation::Grandchild => "孙子女/外孙子女",
            CloseRelation::Other => "其他近亲属",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            CloseRelation::Spouse => "spouse",
            CloseRelation::Parent => "parent",
            CloseRelation::Child => "child",
            CloseRelation::Sibling => "sibling",
            CloseRelation::Grandparent => "grandparent",
            CloseRelation::Grandchild => "grandchild",
            CloseRelation::Other => "other close relative",
        }
    }
}

/// 近亲属申明: a household member is a close relative of a case worker or committee member.
/// The township records it (备案登记) before the initial review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffRelative {
    /// The household member who is the relative.
    pub member: IdNumber,
    /// The staff member's name.
    pub staff_name: PersonName,
    /// The staff member's post.
    pub post: StaffPost,
    /// The tie.
    pub relation: CloseRelation,
}

/// Why an application cannot be submitted as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    /// The type's online application has not opened.
    #[error("{} cannot be applied for online yet (暂未开放): apply at the township office", .0.label_zh())]
    NotYetOpen(AssistanceType),
    /// The household declaration is inconsistent.
    #[error(transparent)]
    Household(#[from] HouseholdError),
    /// The applicant has not confirmed that the information is truthful (如实填报).
    #[error("the applicant has not confirmed that the information is truthful (如实填报)")]
    NotConfirmedTruthful,
    /// The agent is the applicant.
    #[error("the agent is the applicant: an agent applies for someone else")]
    AgentIsApplicant,
    /// A declaration or signature names someone not on the application.
    #[error("{what} names {who}, who is not a member of the household: correct the number")]
    NotAMember {
        /// "a close-relative declaration" / "a signature".
        what: &'static str,
        /// The number.
        who: IdNumber,
    },
    /// Someone signed who does not need to (e.g. a child).
    #[error(
        "{0} does not sign the verification authorization: only adults and obligated persons do"
    )]
    NotASigner(IdNumber),
    /// A material's digest is not 64 lower-case hex characters.
    #[error("the {} file has an invalid SHA-256 '{sha256}': upload it again", kind.label_zh())]
    BadDigest {
        /// Which material.
        kind: Material,
        /// The digest given.
        sha256: String,
    },
}

/// An application for assistance as submitted, and as completed during 受理.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The assistance applied for.
    pub assistance_type: AssistanceType,
    /// The household, its members, incomes and assets.
    pub household: Household,
    /// The agent, when someone applies on the household's behalf.
    #[serde(default)]
    pub agent: Option<Agent>,
    /// Close relatives among the staff (近亲属申明); empty when the applicant declared none.
    #[serde(default)]
    pub staff_relatives: Vec<StaffRelative>,
    /// The applicant answered yes to the 近亲属申明 where its details are not taken (the kiosk
    /// asks yes or no): the township records the details with the household
    /// ([`crate::workflow::Action::DeclareStaffRelative`]) and files them before the initial
    /// review, as for a declaration made with its details.
    #[serde(default)]
    pub staff_relative_declared: bool,
    /// Materials uploaded so far.
    #[serde(default)]
    pub materials: Vec<SuppliedMaterial>,
    /// Who has signed the economic-status verification authorization (核对授权书).
    #[serde(default)]
    pub signatures: BTreeSet<IdNumber>,
    /// The applicant confirmed the information is truthful (如实填报).
    pub confirmed_truthful: bool,
}

impl Application {
    /// The full checklist of this application: the type's materials plus the agent's.
    pub fn checklist(&self) -> Vec<Material> {
        let mut list = base_checklist(self.assistance_type).to_vec();
        if self.agent.is_some() {
            list.extend([Material::PowerOfAttorney, Material::AgentIdCard]);
        }
        list
    }

    /// Materials on the checklist with no upload yet, in checklist order.
    pub fn missing_materials(&self) -> Vec<Material> {
        let have: BTreeSet<Material> = self.materials.iter().map(|m| m.kind).collect();
        self.checklist()
            .into_iter()
            .filter(|m| !have.contains(m))
            .collect()
    }

    /// Required signers who have not signed the verification authorization.
    pub fn unsigned(&self, today: NaiveDate) -> Vec<&Member> {
        self.household
            .required_signers(today)
            .into_iter()
            .filter(|m| !self.signatures.contains(&m.id_number))
            .collect()
    }

    /// Whether every material is there and everyone has signed.
    pub fn is_complete(&self, today: NaiveDate) -> bool {
        self.missing_materials().is_empty() && self.unsigned(today).is_empty()
    }

    /// Checks what can be checked before submission: the type is open, the household is
    /// consistent, the declarations name members, the agent is someone else, the digests are
    /// well formed and the truthfulness confirmation is given. Missing materials are *not* an
    /// error here: the township tells the applicant about them in one single notice.
    pub fn validate(
        &self,
        availability: &TypeAvailability,
        today: NaiveDate,
    ) -> Result<(), ApplicationError> {
        if availability.of(self.assistance_type) == Availability::NotYetOpen {
            return Err(ApplicationError::NotYetOpen(self.assistance_type));
        }
        self.household.validate()?;
        if !self.confirmed_truthful {
            return Err(ApplicationError::NotConfirmedTruthful);
        }
        if let (Some(agent), Some(applicant)) = (&self.agent, self.household.applicant())
            && agent.id_number == applicant.id_number
        {
            return Err(ApplicationError::AgentIsApplicant);
        }
        for r in &self.staff_relatives {
            if self.household.member(&r.member).is_none() {
                return Err(ApplicationError::NotAMember {
                    what: "a close-relative declaration",
                    who: r.member.clone(),
                });
            }
        }
        for s in &self.signatures {
            self.check_signer(s, today)?;
        }
        for m in &self.materials {
            if !is_sha256_hex(&m.sha256) {
                return Err(ApplicationError::BadDigest {
                    kind: m.kind,
                    sha256: m.sha256.clone(),
                });
            }
        }
        Ok(())
    }

    /// Whether `who` may sign the verification authorization of this application.
    pub fn check_signer(&self, who: &IdNumber, today: NaiveDate) -> Result<(), ApplicationError> {
        match self.household.member(who) {
            None => Err(ApplicationError::NotAMember {
                what: "a signature",
                who: who.clone(),
            }),
            Some(m) if !m.must_sign(today) => Err(ApplicationError::NotASigner(who.clone())),
            Some(_) => Ok(()),
        }
    }
}

/// Whether `s` is 64 lower-case hex characters.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::household::tests::{household, make_id, today};
    use rstest::rstest;

    pub(crate) fn digest(n: u8) -> String {
        format!("{n:02x}").repeat(32)
    }

    pub(crate) fn supplied(kind: Material) -> SuppliedMaterial {
        SuppliedMaterial {
            kind,
            sha256: digest(kind as u8),
        }
    }

    /// A 低保 application with every material and signature.
    pub(crate) fn complete_application() -> Application {
        let h = household();
        let signatures = h
            .required_signers(today())
            .iter()
            .map(|m| m.id_number.clone())
            .collect();
        Application {
            assistance_type: AssistanceType::Dibao,
            household: h,
            agent: None,
            staff_relatives: vec![],
            staff_relative_declared: false,
            materials: base_checklist(AssistanceType::Dibao)
                .iter()
                .map(|k| supplied(*k))
                .collect(),
            signatures,
            confirmed_truthful: true,
        }
    }

    pub(crate) fn agent() -> Agent {
        Agent {
            name: PersonName::new("周桂兰").unwrap(),
            id_number: make_id("500102", "19700505", 222),
            relation: AgentRelation::VillageCadre,
        }
    }

    #[rstest]
    #[case(AssistanceType::Dibao, &[Material::IdCards, Material::HouseholdRegister, Material::IncomeProof])]
    #[case(AssistanceType::LowIncomeEdge, &[Material::IdCards, Material::HouseholdRegister, Material::IncomeProof])]
    #[case(AssistanceType::Tekun, &[Material::IdCards, Material::HouseholdRegister, Material::IncapacityProof, Material::NoSupporterProof])]
    #[case(AssistanceType::Temporary, &[Material::IdCards, Material::HouseholdRegister, Material::HardshipProof])]
    #[case(AssistanceType::Medical, &[Material::IdCards, Material::HouseholdRegister, Material::DiagnosisCertificate, Material::MedicalBills])]
    #[case(AssistanceType::Education, &[Material::IdCards, Material::HouseholdRegister, Material::EnrollmentProof])]
    #[case(AssistanceType::Housing, &[Material::IdCards, Material::HouseholdRegister, Material::HousingProof])]
    #[case(AssistanceType::Employment, &[Material::IdCards, Material::HouseholdRegister, Material::UnemploymentRegistration])]
    #[case(AssistanceType::Disaster, &[Material::IdCards, Material::HouseholdRegister, Material::DisasterLossProof])]
    #[case(AssistanceType::Legal, &[Material::IdCards, Material::HouseholdRegister, Material::JudicialDocuments])]
    fn checklist_per_type(#[case] t: AssistanceType, #[case] list: &[Material]) {
        assert_eq!(base_checklist(t), list);
    }

    #[test]
    fn an_agent_adds_the_power_of_attorney() {
        let mut a = complete_application();
        assert!(a.is_complete(today()));
        a.agent = Some(agent());
        assert_eq!(
            a.missing_materials(),
            [Material::PowerOfAttorney, Material::AgentIdCard]
        );
        assert!(!a.is_complete(today()));
    }

    #[test]
    fn unsigned_members_are_listed() {
        let mut a = complete_application();
        let husband = make_id("500102", "19550611", 131);
        a.signatures.remove(&husband);
        let names: Vec<&str> = a
            .unsigned(today())
            .iter()
            .map(|m| m.name.as_unmasked_str())
            .collect();
        assert_eq!(names, ["李明德"]);
    }

    #[rstest]
    #[case::not_open(|a: &mut Application| a.assistance_type = AssistanceType::Housing, ApplicationError::NotYetOpen(AssistanceType::Housing))]
    #[case::untruthful(|a: &mut Application| a.confirmed_truthful = false, ApplicationError::NotConfirmedTruthful)]
    #[case::agent_is_applicant(|a: &mut Application| { let mut ag = agent(); ag.id_number = a.household.members[0].id_number.clone(); a.agent = Some(ag) }, ApplicationError::AgentIsApplicant)]
    #[case::relative_not_member(|a: &mut Application| a.staff_relatives.push(StaffRelative { member: make_id("500101", "19700101", 111), staff_name: PersonName::new("赵六").unwrap(), post: StaffPost::CaseWorker, relation: CloseRelation::Sibling }), ApplicationError::NotAMember { what: "a close-relative declaration", who: make_id("500101", "19700101", 111) })]
    #[case::child_signed(|a: &mut Application| { a.signatures.insert(make_id("500102", "20151020", 113)); }, ApplicationError::NotASigner(make_id("500102", "20151020", 113)))]
    #[case::bad_digest(|a: &mut Application| a.materials[0].sha256 = "abc".into(), ApplicationError::BadDigest { kind: Material::IdCards, sha256: "abc".into() })]
    #[case::household(|a: &mut Application| a.household.members.clear(), ApplicationError::Household(HouseholdError::NoApplicant))]
    fn invalid_applications(#[case] change: fn(&mut Application), #[case] err: ApplicationError) {
        let mut a = complete_application();
        change(&mut a);
        assert_eq!(a.validate(&TypeAvailability::default(), today()), Err(err));
    }

    #[test]
    fn messages_say_what_to_do() {
        assert_eq!(
            ApplicationError::NotYetOpen(AssistanceType::Housing).to_string(),
            "住房救助 cannot be applied for online yet (暂未开放): apply at the township office"
        );
    }

    #[test]
    fn round_trips_through_json() {
        let mut a = complete_application();
        a.agent = Some(agent());
        let json = serde_json::to_string(&a).unwrap();
        let back: Application = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert!(!format!("{a:?}").contains("周桂兰"));
    }
}
