//! The append-only outbox: every record the central service must receive, with its UUIDv7 id
//! (also the `Idempotency-Key`), a sequence, a kind and version tag, the sealed payload, and the
//! delivery bookkeeping (attempts, next attempt, acknowledged-at). Rows are never deleted or
//! rewritten (SQL triggers enforce it); after acknowledgement the payload and any captured
//! material are purged, because the kiosk keeps nothing the central service already holds.

use std::fmt;

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Store, StoreError, UnixMillis, audit};

/// What an outbox record is; decides the endpoint it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxKind {
    /// A `SubmitApplication`.
    Application,
    /// A `SignAuthorization` for the application it depends on.
    Signature,
    /// A captured material (photo, scan) for the application it depends on.
    Material,
    /// A `CertificationResult`.
    Certification,
}

impl OutboxKind {
    /// All kinds.
    pub const ALL: [OutboxKind; 4] = [
        OutboxKind::Application,
        OutboxKind::Signature,
        OutboxKind::Material,
        OutboxKind::Certification,
    ];

    /// The stored tag.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Application => "application",
            OutboxKind::Signature => "signature",
            OutboxKind::Material => "material",
            OutboxKind::Certification => "certification",
        }
    }

    /// Parses a stored tag.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Payload format version written today.
    pub fn current_version(self) -> u32 {
        match self {
            // 2: the payload is JSON with the content type and the checklist item.
            OutboxKind::Material => 2,
            _ => 1,
        }
    }

    /// Whether records of this kind must name the application they belong to.
    pub fn needs_application(self) -> bool {
        matches!(self, OutboxKind::Signature | OutboxKind::Material)
    }
}

impl fmt::Display for OutboxKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of the record a pending record depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// No dependency.
    None,
    /// The dependency was acknowledged; this record can go.
    Acknowledged,
    /// The dependency is still pending.
    Waiting,
    /// The dependency failed permanently; this record cannot go either.
    Failed,
}

/// A pending record, without its payload: what the sync planner sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// Sequence (enqueue order).
    pub seq: i64,
    /// Id and idempotency key.
    pub id: Uuid,
    /// Kind.
    pub kind: OutboxKind,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be tried before this time.
    pub next_attempt_at: UnixMillis,
    /// The dependency's state.
    pub dependency: Dependency,
}

/// A record ready to upload, payload opened.
pub struct OutboxEntry {
    /// Sequence.
    pub seq: i64,
    /// Id and idempotency key.
    pub id: Uuid,
    /// Kind.
    pub kind: OutboxKind,
    /// Payload format version.
    pub version: u32,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The opened payload.
    pub payload: Vec<u8>,
    /// The central service's answer to the record this one depends on.
    pub dependency_ack: Option<Vec<u8>>,
    /// The case a record for an application submitted elsewhere belongs to (签署授权).
    pub case_id: Option<String>,
    /// For materials: content type and bytes.
    pub material: Option<(String, Vec<u8>)>,
}

impl fmt::Debug for OutboxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OutboxEntry({} #{} {} v{}, {} payload bytes, attempts {})",
            self.id,
            self.seq,
            self.kind,
            self.version,
            self.payload.len(),
            self.attempts
        )
    }
}

/// A record that failed permanently, for the staff screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    /// Id.
    pub id: Uuid,
    /// Kind.
    pub kind: OutboxKind,
    /// When it was enqueued.
    pub created_at: UnixMillis,
    /// The central service's reason.
    pub error: String,
}

/// Counts by delivery state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Not yet acknowledged, still being tried.
    pub pending: u64,
    /// Failed permanently (shown to staff).
    pub failed: u64,
    /// Acknowledged by the central service.
    pub acknowledged: u64,
}

const LAST_CONTACT: &str = "sync.last_contact_at";
const LAST_ACK: &str = "sync.last_ack_at";

fn parse_id(s: &str) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn parse_kind(s: &str) -> rusqlite::Result<OutboxKind> {
    OutboxKind::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown outbox kind '{s}' (written by a newer kiosk version?)").into(),
        )
    })
}

/// A record that travels with an application (see [`Store::enqueue_application`]).
#[derive(Clone, PartialEq, Eq)]
pub enum BundleItem<'a> {
    /// A `SignAuthorization` body.
    Signature(&'a [u8]),
    /// A captured page or a handwritten signature.
    Material {
        /// The checklist item (`core::application::Material`, snake_case), or `None` for a file
        /// that is not a checklist item (a handwritten signature).
        kind: Option<String>,
        /// `image/jpeg`, `image/png` or `application/pdf`.
        content_type: &'a str,
        /// The bytes.
        content: &'a [u8],
    },
}

impl fmt::Debug for BundleItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleItem::Signature(p) => write!(f, "Signature({} B)", p.len()),
            BundleItem::Material {
                kind,
                content_type,
                content,
            } => write!(f, "Material({kind:?}, {content_type}, {} B)", content.len()),
        }
    }
}

/// The payload of a material record (version 2): its content type and checklist item.
pub fn material_payload(content_type: &str, kind: Option<&str>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "content_type": content_type, "kind": kind }))
        .unwrap_or_default()
}

/// The checklist item named by a material record's payload (version 2; version 1 payloads are
/// the bare content type and name none).
pub fn material_kind(version: u32, payload: &[u8]) -> Option<String> {
    if version < 2 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    v.get("kind")?.as_str().map(str::to_string)
}

/// What a signature or material record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent<'a> {
    /// Nothing (applications, certification results).
    None,
    /// An application in this outbox: sent once it is acknowledged, to the case it became.
    Application(Uuid),
    /// A case central already has (签署授权 for an application submitted elsewhere).
    Case(&'a str),
}

/// Whether `id` can be central's case id in a path (UUID text: letters, digits, dashes).
pub fn valid_case_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn insert_record(
    tx: &rusqlite::Transaction<'_>,
    cipher: &super::crypto::FieldCipher,
    id: Uuid,
    (kind, payload): (OutboxKind, &[u8]),
    parent: Parent<'_>,
    material: Option<(&str, &[u8])>,
    now: UnixMillis,
) -> Result<(), StoreError> {
    if kind.needs_application() == (parent == Parent::None) {
        return Err(StoreError::State(format!(
            "a {kind} record {} name the application or case it belongs to",
            if kind.needs_application() {
                "must"
            } else {
                "must not"
            }
        )));
    }
    let (depends_on, case_id) = match parent {
        Parent::None => (None, None),
        Parent::Application(a) => (Some(a), None),
        Parent::Case(c) if valid_case_id(c) => (None, Some(c)),
        Parent::Case(_) => {
            return Err(StoreError::State(
                "the case id is not a case id of the central service".into(),
            ));
        }
    };
    let ids = id.to_string();
    let sealed = cipher.seal("outbox.payload", &ids, payload);
    if let Some(dep) = depends_on {
        let k: Option<String> = tx
            .query_row(
                "SELECT kind FROM outbox WHERE id = ?1",
                params![dep.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if k.as_deref() != Some(OutboxKind::Application.as_str()) {
            return Err(StoreError::State(format!(
                "{dep} is not an application in the outbox; enqueue the application first"
            )));
        }
    }
    tx.execute(
        "INSERT INTO outbox (id, kind, version, depends_on, payload, created_at, next_attempt_at, case_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
        params![
            ids,
            kind.as_str(),
            kind.current_version(),
            depends_on.map(|d| d.to_string()),
            sealed,
            now,
            case_id
        ],
    )?;
    if let Some((ct, bytes)) = material {
        let sealed = cipher.seal("materials.content", &ids, bytes);
        tx.execute(
            "INSERT INTO materials (outbox_id, content_type, size, content, captured_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![ids, ct, bytes.len() as i64, sealed, now],
        )?;
    }
    audit::append(
        tx,
        cipher,
        now,
        "kiosk",
        "outbox.enqueue",
        Some(&format!("{kind} {ids}")),
    )?;
    Ok(())
}

impl Store {
    /// Durably appends a record (committed and synced when this returns) and returns its id.
    pub fn enqueue(
        &mut self,
        kind: OutboxKind,
        payload: &[u8],
        depends_on: Option<Uuid>,
        now: UnixMillis,
    ) -> Result<Uuid, StoreError> {
        let parent = depends_on.map_or(Parent::None, Parent::Application);
        let (head, _) = self.enqueue_bundle(Some((kind, payload)), parent, &[], now)?;
        head.ok_or_else(|| StoreError::State("the record was not stored".into()))
    }

    /// Durably appends a captured material for the application `application` and keeps its bytes
    /// (sealed) until the upload is acknowledged.
    pub fn enqueue_material(
        &mut self,
        application: Uuid,
        content_type: &str,
        content: &[u8],
        now: UnixMillis,
    ) -> Result<Uuid, StoreError> {
        self.enqueue_page(application, None, content_type, content, now)
    }

    /// Durably appends a page for checklist item `kind` (snake_case, e.g. `income_proof`) of the
    /// application `application` — a material supplied after a one-time notice, say.
    pub fn enqueue_material_for(
        &mut self,
        application: Uuid,
        kind: &str,
        content_type: &str,
        content: &[u8],
        now: UnixMillis,
    ) -> Result<Uuid, StoreError> {
        self.enqueue_page(application, Some(kind.into()), content_type, content, now)
    }

    fn enqueue_page(
        &mut self,
        application: Uuid,
        kind: Option<String>,
        content_type: &str,
        content: &[u8],
        now: UnixMillis,
    ) -> Result<Uuid, StoreError> {
        let page = BundleItem::Material {
            kind,
            content_type,
            content,
        };
        let (_, ids) = self.enqueue_bundle(None, Parent::Application(application), &[page], now)?;
        ids.first()
            .copied()
            .ok_or_else(|| StoreError::State("the material was not stored".into()))
    }

    /// Durably appends an application together with its signatures and materials, all or none
    /// (one transaction): a crash can never leave an application without the signatures and
    /// pages the resident saw accepted. Returns the application's id and the items' ids in order.
    pub fn enqueue_application(
        &mut self,
        application: &[u8],
        items: &[BundleItem<'_>],
        now: UnixMillis,
    ) -> Result<(Uuid, Vec<Uuid>), StoreError> {
        let (head, items) = self.enqueue_bundle(
            Some((OutboxKind::Application, application)),
            Parent::None,
            items,
            now,
        )?;
        let app = head.ok_or_else(|| StoreError::State("the application was not stored".into()))?;
        Ok((app, items))
    }

    /// 签署授权: durably appends signatures and materials (a handwritten signature) for a case
    /// central already has — an application submitted at another kiosk or at another time — all
    /// or none. They go out at once (nothing to wait for) to `/v1/kiosk/applications/{case_id}/…`.
    pub fn enqueue_for_case(
        &mut self,
        case_id: &str,
        items: &[BundleItem<'_>],
        now: UnixMillis,
    ) -> Result<Vec<Uuid>, StoreError> {
        if items.is_empty() {
            return Err(StoreError::State("nothing to enqueue for the case".into()));
        }
        Ok(self
            .enqueue_bundle(None, Parent::Case(case_id), items, now)?
            .1)
    }

    /// One transaction: an optional head record (with `head_parent`), then `items`, which belong
    /// to the head when there is one and to `head_parent` otherwise. Returns the head's id (when
    /// there is a head) and the items' ids.
    fn enqueue_bundle(
        &mut self,
        head: Option<(OutboxKind, &[u8])>,
        head_parent: Parent<'_>,
        items: &[BundleItem<'_>],
        now: UnixMillis,
    ) -> Result<(Option<Uuid>, Vec<Uuid>), StoreError> {
        let mut head_id = None;
        let mut ids = Vec::with_capacity(items.len());
        let r = (|| -> Result<(), StoreError> {
            let tx = self.conn.transaction()?;
            let mut parent = head_parent;
            if let Some((kind, payload)) = head {
                let id = Uuid::now_v7();
                insert_record(
                    &tx,
                    &self.cipher,
                    id,
                    (kind, payload),
                    head_parent,
                    None,
                    now,
                )?;
                head_id = Some(id);
                parent = Parent::Application(id);
            }
            for item in items {
                let id = Uuid::now_v7();
                match item {
                    BundleItem::Signature(payload) => insert_record(
                        &tx,
                        &self.cipher,
                        id,
                        (OutboxKind::Signature, payload),
                        parent,
                        None,
                        now,
                    )?,
                    BundleItem::Material {
                        kind,
                        content_type,
                        content,
                    } => {
                        let payload = material_payload(content_type, kind.as_deref());
                        insert_record(
                            &tx,
                            &self.cipher,
                            id,
                            (OutboxKind::Material, &payload),
                            parent,
                            Some((content_type, content)),
                            now,
                        )?
                    }
                }
                ids.push(id);
            }
            tx.commit()?;
            Ok(())
        })();
        r.map_err(|e| self.map_full(e))?;
        Ok((head_id, ids))
    }

    /// Every record not yet acknowledged and not failed, in enqueue order.
    pub fn pending(&self) -> Result<Vec<PendingEntry>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT o.seq, o.id, o.kind, o.attempts, o.next_attempt_at,
                    d.id, d.acknowledged_at, d.permanent_error
             FROM outbox o LEFT JOIN outbox d ON d.id = o.depends_on
             WHERE o.acknowledged_at IS NULL AND o.permanent_error IS NULL
             ORDER BY o.seq",
        )?;
        let rows = st.query_map([], |r| {
            let dep_id: Option<String> = r.get(5)?;
            let dep_ack: Option<i64> = r.get(6)?;
            let dep_err: Option<String> = r.get(7)?;
            let dependency = match (dep_id, dep_ack, dep_err) {
                (None, _, _) => Dependency::None,
                (Some(_), Some(_), _) => Dependency::Acknowledged,
                (Some(_), None, Some(_)) => Dependency::Failed,
                (Some(_), None, None) => Dependency::Waiting,
            };
            Ok(PendingEntry {
                seq: r.get(0)?,
                id: parse_id(&r.get::<_, String>(1)?)?,
                kind: parse_kind(&r.get::<_, String>(2)?)?,
                attempts: r.get(3)?,
                next_attempt_at: r.get(4)?,
                dependency,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Loads one record with its payload (and its dependency's answer, and its material).
    pub fn load(&self, id: Uuid) -> Result<OutboxEntry, StoreError> {
        let ids = id.to_string();
        let row = self
            .conn
            .query_row(
                "SELECT o.seq, o.kind, o.version, o.attempts, o.payload, o.acknowledged_at, d.id, d.ack,
                        o.case_id
                 FROM outbox o LEFT JOIN outbox d ON d.id = o.depends_on WHERE o.id = ?1",
                params![ids],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        parse_kind(&r.get::<_, String>(1)?)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<Vec<u8>>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(ids.clone()))?;
        let (seq, kind, version, attempts, sealed, acked, dep_id, dep_ack, case_id) = row;
        if acked.is_some() {
            return Err(StoreError::State(format!(
                "{ids} is already acknowledged; its payload was purged"
            )));
        }
        let payload = self.cipher.open("outbox.payload", &ids, &sealed)?;
        let dependency_ack = match (dep_id, dep_ack) {
            (Some(d), Some(a)) => Some(self.cipher.open("outbox.ack", &d, &a)?),
            _ => None,
        };
        let material = if kind == OutboxKind::Material {
            let (ct, content): (String, Option<Vec<u8>>) = self.conn.query_row(
                "SELECT content_type, content FROM materials WHERE outbox_id = ?1",
                params![ids],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let content =
                content.ok_or_else(|| StoreError::State(format!("material {ids} was purged")))?;
            Some((ct, self.cipher.open("materials.content", &ids, &content)?))
        } else {
            None
        };
        Ok(OutboxEntry {
            seq,
            id,
            kind,
            version,
            attempts,
            payload,
            dependency_ack,
            case_id,
            material,
        })
    }

    /// Records the central service's acknowledgement: keeps its answer (sealed), purges the
    /// payload and any material. Returns `false` when the record was already acknowledged (a
    /// duplicate acknowledgement changes nothing).
    pub fn mark_acknowledged(
        &mut self,
        id: Uuid,
        answer: &[u8],
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        let ids = id.to_string();
        let sealed = self.cipher.seal("outbox.ack", &ids, answer);
        let r = (|| -> Result<bool, StoreError> {
            let tx = self.conn.transaction()?;
            let state: Option<Option<i64>> = tx
                .query_row(
                    "SELECT acknowledged_at FROM outbox WHERE id = ?1",
                    params![ids],
                    |r| r.get(0),
                )
                .optional()?;
            match state {
                None => return Err(StoreError::NotFound(ids.clone())),
                Some(Some(_)) => return Ok(false),
                Some(None) => {}
            }
            tx.execute(
                "UPDATE outbox SET acknowledged_at = ?2, ack = ?3, payload = x'', permanent_error = NULL WHERE id = ?1",
                params![ids, now, sealed],
            )?;
            tx.execute(
                "UPDATE materials SET content = NULL, purged_at = ?2 WHERE outbox_id = ?1",
                params![ids, now],
            )?;
            for k in [LAST_CONTACT, LAST_ACK] {
                tx.execute(
                    "INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = max(CAST(v AS INTEGER), excluded.v)",
                    params![k, now],
                )?;
            }
            audit::append(
                &tx,
                &self.cipher,
                now,
                "sync",
                "outbox.acknowledged",
                Some(&ids),
            )?;
            tx.commit()?;
            Ok(true)
        })();
        r.map_err(|e| self.map_full(e))
    }

    /// Records a transient failure: one more attempt, not before `next_attempt_at`.
    pub fn mark_retry(
        &mut self,
        id: Uuid,
        error: &str,
        next_attempt_at: UnixMillis,
    ) -> Result<(), StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
                 WHERE id = ?1 AND acknowledged_at IS NULL",
                params![id.to_string(), next_attempt_at, error],
            )
            .map_err(|e| self.map_full(e.into()))?;
        if n == 0 {
            return Err(StoreError::NotFound(id.to_string()));
        }
        Ok(())
    }

    /// Records a permanent failure: never retried automatically, shown to staff.
    pub fn mark_permanent(
        &mut self,
        id: Uuid,
        error: &str,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        let ids = id.to_string();
        let r = (|| -> Result<(), StoreError> {
            let tx = self.conn.transaction()?;
            let n = tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, permanent_error = ?2
                 WHERE id = ?1 AND acknowledged_at IS NULL",
                params![ids, error],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(ids.clone()));
            }
            audit::append(
                &tx,
                &self.cipher,
                now,
                "sync",
                "outbox.failed",
                Some(&format!("{ids}: {error}")),
            )?;
            tx.commit()?;
            Ok(())
        })();
        r.map_err(|e| self.map_full(e))
    }

    /// Puts a permanently failed record back in the queue (staff fixed the cause); audited.
    pub fn retry_failed(&mut self, id: Uuid, now: UnixMillis) -> Result<(), StoreError> {
        let ids = id.to_string();
        let r = (|| -> Result<(), StoreError> {
            let tx = self.conn.transaction()?;
            let n = tx.execute(
                "UPDATE outbox SET permanent_error = NULL, next_attempt_at = ?2
                 WHERE id = ?1 AND permanent_error IS NOT NULL AND acknowledged_at IS NULL",
                params![ids, now],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(ids.clone()));
            }
            audit::append(&tx, &self.cipher, now, "staff", "outbox.retry", Some(&ids))?;
            tx.commit()?;
            Ok(())
        })();
        r.map_err(|e| self.map_full(e))
    }

    /// Records that failed permanently, oldest first.
    pub fn failed(&self) -> Result<Vec<FailedEntry>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT id, kind, created_at, permanent_error FROM outbox
             WHERE acknowledged_at IS NULL AND permanent_error IS NOT NULL ORDER BY seq",
        )?;
        let rows = st.query_map([], |r| {
            Ok(FailedEntry {
                id: parse_id(&r.get::<_, String>(0)?)?,
                kind: parse_kind(&r.get::<_, String>(1)?)?,
                created_at: r.get(2)?,
                error: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Counts by state.
    pub fn counts(&self) -> Result<OutboxCounts, StoreError> {
        self.counts_where("1", [])
    }

    /// Counts of one kind of record.
    pub fn counts_of(&self, kind: OutboxKind) -> Result<OutboxCounts, StoreError> {
        self.counts_where("kind = ?1", [kind.as_str()])
    }

    fn counts_where<P: rusqlite::Params>(
        &self,
        filter: &str,
        params: P,
    ) -> Result<OutboxCounts, StoreError> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT
                   coalesce(sum(acknowledged_at IS NULL AND permanent_error IS NULL), 0),
                   coalesce(sum(acknowledged_at IS NULL AND permanent_error IS NOT NULL), 0),
                   coalesce(sum(acknowledged_at IS NOT NULL), 0)
                 FROM outbox WHERE {filter}"
            ),
            params,
            |r| {
                Ok(OutboxCounts {
                    pending: r.get(0)?,
                    failed: r.get(1)?,
                    acknowledged: r.get(2)?,
                })
            },
        )?)
    }

    /// The opened acknowledgement of a record, once acknowledged.
    pub fn acknowledgement(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        let ids = id.to_string();
        let ack: Option<Option<Vec<u8>>> = self
            .conn
            .query_row("SELECT ack FROM outbox WHERE id = ?1", params![ids], |r| {
                r.get(0)
            })
            .optional()?;
        match ack {
            None => Err(StoreError::NotFound(ids)),
            Some(None) => Ok(None),
            Some(Some(a)) => Ok(Some(self.cipher.open("outbox.ack", &ids, &a)?)),
        }
    }

    /// Records that the central service answered successfully (the staleness clock restarts).
    pub fn record_contact(&self, now: UnixMillis) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = max(CAST(v AS INTEGER), excluded.v)",
                params![LAST_CONTACT, now],
            )
            .map_err(|e| self.map_full(e.into()))?;
        Ok(())
    }

    /// When the central service last answered this kiosk.
    pub fn last_contact(&self) -> Result<Option<UnixMillis>, StoreError> {
        self.meta_i64(LAST_CONTACT)
    }

    /// When a record was last acknowledged.
    pub fn last_acknowledgement(&self) -> Result<Option<UnixMillis>, StoreError> {
        self.meta_i64(LAST_ACK)
    }

    /// Whether the material of record `id` still holds its bytes.
    pub fn material_present(&self, id: Uuid) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT content IS NOT NULL FROM materials WHERE outbox_id = ?1",
                params![id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }
}
