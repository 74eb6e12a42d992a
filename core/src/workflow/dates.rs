//! The case's derived dates: what is due, by when, in which colour.

use super::*;

impl Case {
    /// Whether the 核对授权书 can still be signed on `today`: before acceptance (受理), and
    /// while a one-time notice runs, until its deadline (the rule of [`Action::SignAuthorization`]).
    pub fn takes_signatures(&self, today: NaiveDate) -> bool {
        match self.state {
            CaseState::Submitted => true,
            CaseState::AwaitingMaterials => self
                .missing_notice
                .as_ref()
                .is_some_and(|n| today <= n.deadline),
            _ => false,
        }
    }

    /// The household members who must sign the 核对授权书 and have not (adults and obligated
    /// persons on the day the application was received, in household order); empty when
    /// signatures are no longer taken. Who must sign is fixed on the day of receipt, so a member
    /// who comes of age while the case waits for 受理 does not make a complete application
    /// incomplete again (the one-time notice could not list them, and the case would hang).
    pub fn awaiting_signature(&self, today: NaiveDate) -> Vec<&crate::household::Member> {
        if !self.takes_signatures(today) {
            return vec![];
        }
        self.application
            .household
            .members
            .iter()
            .filter(|m| {
                m.must_sign(self.received_on) && !self.application.signatures.contains(&m.id_number)
            })
            .collect()
    }
}

impl Case {
    /// Opens a case for a submitted application. The applicant or the recorded agent submits;
    /// the application must be valid ([`Application::validate`]) but may lack materials, which
    /// the township lists in its single notice.
    pub fn submit(
        id: impl Into<String>,
        application: Application,
        delegated: bool,
        availability: &TypeAvailability,
        actor: &Actor,
        now: DateTime<Utc>,
        cal: &Calendar,
    ) -> Result<(Case, Vec<Effect>), WorkflowError> {
        let today = china_date(now);
        let event = "申请 (submit)".to_string();
        if !matches!(actor.role, Role::Applicant | Role::Agent) {
            return Err(WorkflowError::WrongRole {
                event,
                required: Roles(vec![Role::Applicant, Role::Agent]),
                actual: actor.role,
            });
        }
        if actor.role == Role::Agent && application.agent.is_none() {
            return Err(WorkflowError::NoAgent { event });
        }
        application.validate(availability, today)?;
        let case = Case {
            id: id.into(),
            application,
            delegated,
            state: CaseState::Submitted,
            received_on: today,
            missing_notice: None,
            accepted_on: None,
            relatives_filed: 0,
            investigation_started_on: None,
            findings: vec![],
            objections: vec![],
            appraisals: vec![],
            opinions: vec![],
            publicities: vec![],
            reported_on: None,
            extension: None,
            decision: None,
            published_on: None,
            closed_on: None,
            overdue_reported: BTreeSet::new(),
            history: vec![HistoryEntry {
                at: now,
                role: actor.role,
                account: actor.account.clone(),
                event: "submit".into(),
                from: CaseState::Submitted,
                to: CaseState::Submitted,
            }],
        };
        let acceptance_due = case.acceptance_due(cal);
        let mut effects = vec![Effect::Notify {
            to: Recipient::TownshipClerk,
            notice: Notice::ApplicationReceived { acceptance_due },
        }];
        if !case.application.staff_relatives.is_empty() || case.application.staff_relative_declared
        {
            effects.push(Effect::Notify {
                to: Recipient::TownshipClerk,
                notice: Notice::RelativeDeclarationToFile,
            });
        }
        Ok((case, effects))
    }

    /// The township code handling the case.
    pub fn township(&self) -> &str {
        &self.application.household.township
    }

    /// The day the acceptance period runs from: receipt, or the day the missing materials were
    /// completed.
    pub fn acceptance_from(&self) -> NaiveDate {
        self.missing_notice
            .as_ref()
            .and_then(|n| n.completed_on)
            .unwrap_or(self.received_on)
    }

    /// Last day for the acceptance review.
    pub fn acceptance_due(&self, cal: &Calendar) -> NaiveDate {
        cal.add_working_days(self.acceptance_from(), ACCEPTANCE_WORKING_DAYS)
            .value
    }

    /// The total limit in working days now in force: 20 / 25, or 40 once extended.
    pub fn total_limit(&self) -> u32 {
        match (&self.extension, self.delegated) {
            (Some(_), _) => TOTAL_LIMIT_EXTENDED,
            (None, true) => TOTAL_LIMIT_DELEGATED,
            (None, false) => TOTAL_LIMIT,
        }
    }

    /// Last day of the whole review, once accepted.
    pub fn total_due(&self, cal: &Calendar) -> Option<NaiveDate> {
        self.accepted_on
            .map(|d| cal.add_working_days(d, self.total_limit()).value)
    }

    /// Whether any close-relative declaration is waiting to be filed — including one declared
    /// without its details ([`crate::application::Application::staff_relative_declared`]), whose
    /// details are still to be recorded.
    pub fn relatives_pending(&self) -> bool {
        self.relatives_filed < self.application.staff_relatives.len()
            || self.relative_details_missing()
    }

    /// The applicant declared a close relative among the staff, but which member, which staff
    /// member and the tie are not recorded yet.
    pub fn relative_details_missing(&self) -> bool {
        self.application.staff_relative_declared && self.application.staff_relatives.is_empty()
    }

    /// Whether the case drew an objection, a re-check or an appraisal (then a delegated
    /// township confirms in a review meeting).
    pub fn is_disputed(&self) -> bool {
        !self.objections.is_empty() || !self.appraisals.is_empty()
    }

    /// The current 公示, if one is posted.
    pub fn current_publicity(&self) -> Option<&Publicity> {
        self.publicities.last()
    }
}

/// The deadlines running for `case` on `today`, most urgent first.
pub fn deadlines(case: &Case, cal: &Calendar, today: NaiveDate) -> Vec<Deadline> {
    let mut out = Vec::new();
    let mut working = |kind: DeadlineKind, from: NaiveDate, due_n: Option<u32>, due: NaiveDate| {
        let mut years = BTreeSet::new();
        let due = match due_n {
            Some(n) => {
                let a = cal.add_working_days(from, n);
                years.extend(a.unpublished_years);
                a.value
            }
            None => due,
        };
        let allowed = cal.working_days_between(from, due);
        years.extend(allowed.unpublished_years);
        let left = cal.working_days_between(today, due);
        years.extend(left.unpublished_years);
        let (colour, overdue_by) = if today > due {
            let over = cal.working_days_between(due, today);
            years.extend(over.unpublished_years);
            (DeadlineColour::Overdue, over.value)
        } else {
            (DeadlineColour::of(allowed.value, left.value), 0)
        };
        out.push(Deadline {
            kind,
            from,
            due,
            unit: DayUnit::Working,
            allowed: allowed.value,
            left: left.value,
            overdue_by,
            colour,
            unpublished_years: years,
        });
    };
    match case.state {
        CaseState::Submitted => working(
            DeadlineKind::Acceptance,
            case.acceptance_from(),
            Some(ACCEPTANCE_WORKING_DAYS),
            today,
        ),
        CaseState::AwaitingMaterials => {
            if let Some(n) = &case.missing_notice {
                working(DeadlineKind::Supplement, n.issued_on, None, n.deadline);
            }
        }
        _ => {}
    }
    if let Some(accepted) = case.accepted_on
        && !case.state.is_decided()
    {
        if case.state == CaseState::Accepted {
            working(
                DeadlineKind::InvestigationStart,
                accepted,
                Some(INVESTIGATION_START_WORKING_DAYS),
                today,
            );
        }
        if case.state == CaseState::AwaitingDistrict
            && let Some(reported) = case.reported_on
        {
            working(
                DeadlineKind::DistrictDecision,
                reported,
                Some(DISTRICT_DECISION_WORKING_DAYS),
                today,
            );
        }
        working(
            DeadlineKind::Total,
            accepted,
            Some(case.total_limit()),
            today,
        );
    }
    if case.state == CaseState::InPublicity
        && let Some(p) = case.current_publicity()
    {
        let allowed = calendar_days_between(p.posted_on, p.ends_on);
        let left = calendar_days_between(today, p.ends_on);
        let (colour, overdue_by) = if today > p.ends_on {
            (
                DeadlineColour::Overdue,
                calendar_days_between(p.ends_on, today),
            )
        } else {
            (DeadlineColour::of(allowed, left), 0)
        };
        out.push(Deadline {
            kind: DeadlineKind::PublicityEnd,
            from: p.posted_on,
            due: p.ends_on,
            unit: DayUnit::Calendar,
            allowed,
            left,
            overdue_by,
            colour,
            unpublished_years: BTreeSet::new(),
        });
    }
    out.sort_by_key(|d| (std::cmp::Reverse(d.colour), d.due, d.kind));
    out
}
