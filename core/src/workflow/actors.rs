//! Roles and actors: who may take which step.

use super::*;

/// Who acts (domain.md §5), plus the system timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The applicant or a household member, identified at the kiosk.
    Applicant,
    /// The agent recorded on the application (委托代办).
    Agent,
    /// Any resident identified at the kiosk by card, lodging a named (实名) objection to a 公示.
    Resident,
    /// A village or community helper (村/社区) assisting at the kiosk.
    VillageHelper,
    /// A township clerk (乡镇/街道 民政办).
    TownshipClerk,
    /// The township leader in charge, or the section head (分管领导/业务科室负责人).
    TownshipLeader,
    /// The district civil-affairs bureau (区民政局).
    DistrictBureau,
    /// The timer of the central service.
    System,
}

impl Role {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Applicant => "申请人",
            Role::Agent => "受托代办人",
            Role::Resident => "实名反映群众",
            Role::VillageHelper => "村（社区）协办人员",
            Role::TownshipClerk => "乡镇（街道）民政经办人员",
            Role::TownshipLeader => "乡镇（街道）分管领导",
            Role::DistrictBureau => "区民政局",
            Role::System => "系统定时任务",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Agent => "agent",
            Role::Resident => "resident (named)",
            Role::VillageHelper => "village helper",
            Role::TownshipClerk => "township clerk",
            Role::TownshipLeader => "township leader",
            Role::DistrictBureau => "district bureau",
            Role::System => "system timer",
        }
    }

    pub(super) fn is_township_staff(self) -> bool {
        matches!(
            self,
            Role::VillageHelper | Role::TownshipClerk | Role::TownshipLeader
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.label_zh(), self.label_en())
    }
}

/// The roles allowed to take a step, for error messages: "A or B".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(pub Vec<Role>);

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Who sends an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The role they act in.
    pub role: Role,
    /// Staff account, kiosk session or `system`; recorded in the history.
    pub account: String,
    /// The township code the staff member belongs to (required for village and township roles,
    /// which may act only on cases of their own township).
    #[serde(default)]
    pub township: Option<String>,
}

impl Actor {
    /// An actor without a township (applicant, agent, district, system).
    pub fn new(role: Role, account: impl Into<String>) -> Actor {
        Actor {
            role,
            account: account.into(),
            township: None,
        }
    }

    /// A village or township staff member of `township`.
    pub fn staff(role: Role, account: impl Into<String>, township: impl Into<String>) -> Actor {
        Actor {
            role,
            account: account.into(),
            township: Some(township.into()),
        }
    }

    /// The timer.
    pub fn system() -> Actor {
        Actor::new(Role::System, "system")
    }
}
