//! Sealing in Rust for the PostgreSQL store: what the SQLite connections' SQL functions do
//! (`jz_seal`, `jz_open`, `jz_open_blob`, `jz_bidx`; [`crate::crypto_at_rest`]), done on a
//! value before it is bound and after it is read, with the same keys, labels and scheme. A
//! personal column is `BYTEA` holding the sealed value; an identity number looked up is stored
//! as its blind index ([`AtRestKeys::blind_index`]). The tests below hold the two backends to
//! one format: what one seals, the other opens.

use crate::crypto_at_rest::{AtRestKeys, OpenError};

/// Seals text for column `label` (`jz_seal(value, label)`).
pub fn seal(keys: &AtRestKeys, label: &str, value: &str) -> Vec<u8> {
    keys.seal(label, value.as_bytes())
}

/// Seals optional text (`NULL` stays `NULL`).
pub fn seal_opt(keys: &AtRestKeys, label: &str, value: Option<&str>) -> Option<Vec<u8>> {
    value.map(|v| seal(keys, label, v))
}

/// Opens text sealed for column `label` (`jz_open(value, label)`; `NULL` stays `NULL`).
pub fn open(
    keys: &AtRestKeys,
    label: &str,
    sealed: Option<&[u8]>,
) -> Result<Option<String>, OpenError> {
    sealed
        .map(|s| {
            String::from_utf8(keys.open(label, s)?)
                .map_err(|_| OpenError(format!("{label} (not text)")))
        })
        .transpose()
}

/// Opens bytes sealed for column `label` (`jz_open_blob(value, label)`).
pub fn open_blob(
    keys: &AtRestKeys,
    label: &str,
    sealed: Option<&[u8]>,
) -> Result<Option<Vec<u8>>, OpenError> {
    sealed.map(|s| keys.open(label, s)).transpose()
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn sqlite(keys: &AtRestKeys) -> Connection {
        let c = Connection::open_in_memory().unwrap();
        crate::crypto_at_rest::register(&c, keys).unwrap();
        c
    }

    #[test]
    fn what_rust_seals_sqlite_opens_and_back() {
        let keys = AtRestKeys::from_bytes([3; 32], [4; 32]);
        let c = sqlite(&keys);
        let sealed = seal(&keys, "case_people.name", "张三");
        let opened: String = c
            .query_row("SELECT jz_open(?1, 'case_people.name')", [&sealed], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(opened, "张三");
        let by_sqlite: Vec<u8> = c
            .query_row("SELECT jz_seal('李四', 'recipients.name')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            open(&keys, "recipients.name", Some(&by_sqlite)).unwrap(),
            Some("李四".to_string())
        );
        assert_eq!(
            open_blob(&keys, "recipients.name", Some(&by_sqlite)).unwrap(),
            Some("李四".as_bytes().to_vec())
        );
        let bidx: String = c
            .query_row("SELECT jz_bidx('500102199001011234')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bidx, keys.blind_index("500102199001011234"));
        // another column, another key, or an edit does not open
        assert!(open(&keys, "recipients.id_number", Some(&by_sqlite)).is_err());
        let other = AtRestKeys::from_bytes([3; 32], [5; 32]);
        assert!(open(&other, "recipients.name", Some(&by_sqlite)).is_err());
        let mut edited = sealed.clone();
        edited[20] ^= 1;
        assert!(open(&keys, "case_people.name", Some(&edited)).is_err());
        assert_eq!(seal_opt(&keys, "x", None), None);
        assert_eq!(open(&keys, "x", None).unwrap(), None);
        let binary = keys.seal("blob", &[0xff, 0xfe]);
        assert!(open(&keys, "blob", Some(&binary)).is_err(), "not text");
    }
}
