//! Fixed prompts are synthesised once: the WAV of a prompt is kept in a folder under a key made
//! of the voice, the rate, the loudness and the words, and the next time the same prompt is due
//! it is played from there instead of running the synthesiser again.
//!
//! Only fixed prompts are kept ([`is_fixed`]): words with a number or a masked name in them
//! (a date, an amount, 陈**) are made afresh each time and never written to disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

/// Whether `text` is a fixed prompt: no digits, no masked name, nothing that changes from one
/// resident to the next.
pub fn is_fixed(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_ascii_digit() || c == '*' || c == '＊' || c == '某')
}

/// What a cached prompt is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptKey<'a> {
    /// The synthesiser's voice.
    pub voice: &'a str,
    /// The speaking rate.
    pub rate: u32,
    /// The loudness the audio was made at (espeak-ng amplitude).
    pub amplitude: u32,
    /// The words, as given to the synthesiser.
    pub text: &'a str,
}

impl PromptKey<'_> {
    /// The file name of this prompt: a SHA-256 of its parts.
    pub fn file_name(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.voice.as_bytes(),
            &self.rate.to_le_bytes(),
            &self.amplitude.to_le_bytes(),
            self.text.as_bytes(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        format!("{}.wav", hex::encode(h.finalize()))
    }
}

/// A folder of synthesised prompts.
#[derive(Debug)]
pub struct PromptCache {
    dir: PathBuf,
    max_files: usize,
    syntheses: AtomicU64,
    hits: AtomicU64,
}

impl PromptCache {
    /// A cache in `dir` (created when missing) keeping at most `max_files` prompts.
    pub fn open(dir: impl Into<PathBuf>, max_files: usize) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            max_files: max_files.max(1),
            syntheses: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The WAV of `key`: from the folder, or made now by `synthesise` (which writes the file it
    /// is given) and kept. A failed synthesis keeps nothing.
    pub fn get_or_make<E>(
        &self,
        key: &PromptKey<'_>,
        synthesise: impl FnOnce(&Path) -> Result<(), E>,
    ) -> Result<PathBuf, E> {
        let path = self.dir.join(key.file_name());
        if path.is_file() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(path);
        }
        // written beside and renamed, so a half-written file is never played
        let part = path.with_extension(format!("part{}", std::process::id()));
        self.syntheses.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = synthesise(&part) {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        if std::fs::rename(&part, &path).is_err() {
            let _ = std::fs::remove_file(&part);
        }
        self.trim();
        Ok(path)
    }

    /// How many times the synthesiser ran.
    pub fn syntheses(&self) -> u64 {
        self.syntheses.load(Ordering::Relaxed)
    }

    /// How many prompts came from the folder.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Drops the oldest prompts beyond the limit.
    fn trim(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "wav"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        if files.len() <= self.max_files {
            return;
        }
        files.sort();
        let excess = files.len() - self.max_files;
        for (_, p) in files.into_iter().take(excess) {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> PromptKey<'_> {
        PromptKey {
            voice: "cmn-latn-pinyin",
            rate: 170,
            amplitude: 160,
            text,
        }
    }

    #[test]
    fn a_prompt_is_made_once_and_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = PromptCache::open(dir.path().join("voice"), 10).unwrap();
        let mut runs = 0;
        for _ in 0..3 {
            let p = c
                .get_or_make(&key("qing3 fang4 shen1 fen4 zheng4"), |out| {
                    runs += 1;
                    std::fs::write(out, b"RIFF-one")
                })
                .unwrap();
            assert_eq!(std::fs::read(&p).unwrap(), b"RIFF-one");
        }
        assert_eq!((runs, c.syntheses(), c.hits()), (1, 1, 2));
    }

    #[test]
    fn voice_rate_loudness_and_words_each_make_a_new_entry() {
        let base = key("qing3");
        let names: std::collections::HashSet<String> = [
            base,
            PromptKey {
                voice: "other",
                ..base
            },
            PromptKey { rate: 130, ..base },
            PromptKey {
                amplitude: 100,
                ..base
            },
            key("qing3 "),
        ]
        .iter()
        .map(PromptKey::file_name)
        .collect();
        assert_eq!(names.len(), 5);
    }

    #[test]
    fn a_failed_synthesis_keeps_nothing_and_the_oldest_go_first() {
        let dir = tempfile::tempdir().unwrap();
        let c = PromptCache::open(dir.path(), 2).unwrap();
        let failed: Result<PathBuf, &str> = c.get_or_make(&key("a"), |out| {
            std::fs::write(out, b"half").unwrap();
            Err("espeak-ng failed")
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let first = c
            .get_or_make(&key("a"), |o| std::fs::write(o, b"a"))
            .unwrap();
        // distinct modification times on coarse file systems
        std::thread::sleep(std::time::Duration::from_millis(20));
        c.get_or_make(&key("b"), |o| std::fs::write(o, b"b"))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        c.get_or_make(&key("c"), |o| std::fs::write(o, b"c"))
            .unwrap();
        assert!(!first.exists(), "the oldest prompt is dropped");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[rstest::rstest]
    #[case("请放身份证", true)]
    #[case("正在查询，请稍候。", true)]
    #[case("认证已完成，有效期到2027年11月27日。", false)]
    #[case("请陈**用手指写下名字", false)]
    #[case("请陈某某签名", false)]
    fn only_fixed_words_are_kept(#[case] text: &str, #[case] fixed: bool) {
        assert_eq!(is_fixed(text), fixed);
    }
}
