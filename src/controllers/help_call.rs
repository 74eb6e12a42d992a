//! "呼叫工作人员": the resident's staff call as a state machine. Pressing the button raises a call
//! at central (which kiosk, which screen; no personal data); the kiosk then polls the call every
//! [`POLL_EVERY`] until a staff member acknowledges it, and tells the resident, on screen and
//! aloud, that someone is coming. The clock is injected (`now` in every event).

use std::time::{Duration, Instant};

use jiuzhu_core::help_call::HelpCall;

use super::text::Lang;

/// How often an open call is polled.
pub const POLL_EVERY: Duration = Duration::from_secs(3);
/// After this long without an answer from central the resident is sent to the counter (the
/// call stays raised and is still polled).
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(20);

/// Where the call stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum State {
    /// No call.
    #[default]
    Idle,
    /// Sent to central, no answer yet.
    Raising {
        /// When the button was pressed.
        since: Instant,
    },
    /// Central has the call; waiting for a staff member.
    Waiting {
        /// The call's id at central.
        call_id: String,
        /// When the next poll is due.
        next_poll: Instant,
        /// Whether a poll is out.
        polling: bool,
    },
    /// A staff member acknowledged it.
    Coming,
    /// Central could not be reached: the resident is sent to the counter.
    Unreachable {
        /// When the button was pressed (a later press tries again).
        since: Instant,
    },
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The resident pressed 呼叫工作人员 on `screen`.
    Pressed {
        /// The screen's name (see [`jiuzhu_core::help_call::valid_screen`]).
        screen: String,
        /// Now.
        now: Instant,
    },
    /// Central's answer to raising the call (`Err`: why it failed, for the log).
    Raised(Result<HelpCall, String>, Instant),
    /// Central's answer to a poll.
    Polled(Result<HelpCall, String>, Instant),
    /// The clock.
    Tick(Instant),
    /// The resident's session ended: the kiosk stops telling anyone about this call (staff
    /// still see it until acknowledged).
    SessionEnded,
}

/// What the kiosk must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Raise a call at central from `screen`.
    Raise {
        /// The screen.
        screen: String,
    },
    /// Ask central how the call stands.
    Poll {
        /// The call's id.
        call_id: String,
    },
    /// Show (and say) this notice.
    Notify(Notice),
    /// Take the notice down.
    Clear,
}

/// What the resident is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The call is being sent.
    Calling,
    /// Staff have the call.
    Waiting,
    /// A staff member acknowledged: someone is coming.
    Coming,
    /// Central cannot be reached.
    Unreachable,
}

impl Notice {
    /// The words, shown and (in Chinese) spoken.
    pub fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Notice::Calling, Lang::Zh) => "正在呼叫工作人员，请稍候。",
            (Notice::Calling, Lang::En) => "Calling a staff member, please wait.",
            (Notice::Waiting, Lang::Zh) => "已通知工作人员，请在原地稍候。",
            (Notice::Waiting, Lang::En) => "Staff have been told. Please wait here.",
            (Notice::Coming, Lang::Zh) => "工作人员已收到，正在赶来。",
            (Notice::Coming, Lang::En) => "A staff member got your call and is on the way.",
            (Notice::Unreachable, Lang::Zh) => "暂时联系不上工作人员，请到大厅服务窗口找工作人员。",
            (Notice::Unreachable, Lang::En) => {
                "Staff cannot be reached right now. Please ask at the service counter."
            }
        }
    }
}

/// The next state and effects.
pub fn next(state: &State, event: Event) -> (State, Vec<Effect>) {
    use Effect::*;
    match (state, event) {
        (_, Event::SessionEnded) => (State::Idle, vec![]),
        // a press while a call is raised or on its way answers with where it stands
        (State::Raising { .. }, Event::Pressed { .. }) => {
            (state.clone(), vec![Notify(Notice::Calling)])
        }
        (State::Waiting { .. }, Event::Pressed { .. }) => {
            (state.clone(), vec![Notify(Notice::Waiting)])
        }
        (State::Coming, Event::Pressed { .. }) => (State::Coming, vec![Notify(Notice::Coming)]),
        (State::Idle | State::Unreachable { .. }, Event::Pressed { screen, now }) => (
            State::Raising { since: now },
            vec![Raise { screen }, Notify(Notice::Calling)],
        ),
        (State::Raising { .. }, Event::Raised(Ok(call), now)) => answered(call, now),
        (State::Raising { since }, Event::Raised(Err(_), _)) => (
            State::Unreachable { since: *since },
            vec![Notify(Notice::Unreachable)],
        ),
        (
            State::Waiting {
                call_id, next_poll, ..
            },
            Event::Polled(Ok(call), now),
        ) if call.call_id == *call_id => {
            if call.acknowledged() {
                answered(call, now)
            } else {
                (
                    State::Waiting {
                        call_id: call_id.clone(),
                        next_poll: (*next_poll).max(now + POLL_EVERY),
                        polling: false,
                    },
                    vec![],
                )
            }
        }
        // a failed poll is tried again at the next tick
        (State::Waiting { call_id, .. }, Event::Polled(Err(_), now)) => (
            State::Waiting {
                call_id: call_id.clone(),
                next_poll: now + POLL_EVERY,
                polling: false,
            },
            vec![],
        ),
        (
            State::Waiting {
                call_id,
                next_poll,
                polling: false,
            },
            Event::Tick(now),
        ) if now >= *next_poll => (
            State::Waiting {
                call_id: call_id.clone(),
                next_poll: now + POLL_EVERY,
                polling: true,
            },
            vec![Poll {
                call_id: call_id.clone(),
            }],
        ),
        (State::Raising { since }, Event::Tick(now))
            if now.duration_since(*since) >= GIVE_UP_AFTER =>
        {
            (
                State::Unreachable { since: *since },
                vec![Notify(Notice::Unreachable)],
            )
        }
        // stale answers (after a reset or for another call) and idle ticks change nothing
        (s, _) => (s.clone(), vec![]),
    }
}

fn answered(call: HelpCall, now: Instant) -> (State, Vec<Effect>) {
    if call.acknowledged() {
        (State::Coming, vec![Effect::Notify(Notice::Coming)])
    } else {
        (
            State::Waiting {
                call_id: call.call_id,
                next_poll: now + POLL_EVERY,
                polling: false,
            },
            vec![Effect::Notify(Notice::Waiting)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn call(id: &str, acked: bool) -> HelpCall {
        HelpCall {
            call_id: id.into(),
            kiosk_id: "kiosk-1".into(),
            township: "500102900".into(),
            screen: "home".into(),
            raised_at: Utc::now(),
            acknowledged_at: acked.then(Utc::now),
            acknowledged_by: acked.then(|| "staff:clerk".into()),
        }
    }

    fn press(now: Instant) -> Event {
        Event::Pressed {
            screen: "home".into(),
            now,
        }
    }

    #[test]
    fn press_raise_poll_until_acknowledged() {
        let t0 = Instant::now();
        let (s, e) = next(&State::Idle, press(t0));
        assert_eq!(
            e,
            vec![
                Effect::Raise {
                    screen: "home".into()
                },
                Effect::Notify(Notice::Calling)
            ]
        );
        // a second press does not raise a second call
        let (s, e) = next(&s, press(t0));
        assert_eq!(e, vec![Effect::Notify(Notice::Calling)]);
        let (s, e) = next(&s, Event::Raised(Ok(call("c1", false)), t0));
        assert_eq!(e, vec![Effect::Notify(Notice::Waiting)]);
        // no poll before POLL_EVERY
        let (s, e) = next(&s, Event::Tick(t0 + Duration::from_secs(1)));
        assert!(e.is_empty());
        let t1 = t0 + POLL_EVERY;
        let (s, e) = next(&s, Event::Tick(t1));
        assert_eq!(
            e,
            vec![Effect::Poll {
                call_id: "c1".into()
            }]
        );
        // one poll at a time
        let (s, e) = next(&s, Event::Tick(t1 + POLL_EVERY));
        assert!(e.is_empty());
        let (s, e) = next(&s, Event::Polled(Ok(call("c1", false)), t1));
        assert!(e.is_empty());
        let (s, e) = next(&s, Event::Polled(Err("timeout".into()), t1));
        assert!(e.is_empty());
        let t2 = t1 + POLL_EVERY;
        let (s, e) = next(&s, Event::Tick(t2));
        assert_eq!(e.len(), 1);
        // an answer about another call is ignored
        let (s, e) = next(&s, Event::Polled(Ok(call("other", true)), t2));
        assert!(e.is_empty());
        let (s, e) = next(&s, Event::Polled(Ok(call("c1", true)), t2));
        assert_eq!(s, State::Coming);
        assert_eq!(e, vec![Effect::Notify(Notice::Coming)]);
        let (s, e) = next(&s, Event::Tick(t2 + POLL_EVERY * 5));
        assert!(e.is_empty(), "no polls once acknowledged");
        let (s, _) = next(&s, Event::SessionEnded);
        assert_eq!(s, State::Idle);
    }

    #[test]
    fn unreachable_central_sends_the_resident_to_the_counter_and_a_press_retries() {
        let t0 = Instant::now();
        let (s, _) = next(&State::Idle, press(t0));
        let (s, e) = next(&s, Event::Raised(Err("connect".into()), t0));
        assert_eq!(e, vec![Effect::Notify(Notice::Unreachable)]);
        let (s, e) = next(&s, press(t0 + Duration::from_secs(5)));
        assert!(matches!(e[0], Effect::Raise { .. }));
        // no answer at all: the resident is not left waiting forever
        let (s2, e) = next(&s, Event::Tick(t0 + Duration::from_secs(6)));
        assert!(e.is_empty());
        let (_, e) = next(
            &s2,
            Event::Tick(t0 + Duration::from_secs(5) + GIVE_UP_AFTER),
        );
        assert_eq!(e, vec![Effect::Notify(Notice::Unreachable)]);
        // an answer after the session ended is dropped
        let (s, _) = next(&s, Event::SessionEnded);
        let (s, e) = next(&s, Event::Raised(Ok(call("late", false)), t0));
        assert_eq!((s, e), (State::Idle, vec![]));
    }

    #[test]
    fn every_notice_has_both_languages() {
        for n in [
            Notice::Calling,
            Notice::Waiting,
            Notice::Coming,
            Notice::Unreachable,
        ] {
            assert!(!n.text(Lang::Zh).is_empty() && n.text(Lang::En).is_ascii());
        }
        assert_eq!(Notice::Coming.text(Lang::Zh), "工作人员已收到，正在赶来。");
    }
}
