//! Every user-facing string of the `.slint` files (`@tr("…")`) has an English translation in
//! `ui/i18n/en/LC_MESSAGES/jiuzhu-kiosk.po`, and no translation is empty.

use std::collections::BTreeMap;
use std::path::Path;

/// The `@tr("…")` source strings of one `.slint` file (escapes kept as written).
fn tr_strings(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("@tr(\"") {
        rest = &rest[i + 5..];
        let mut s = String::new();
        let mut chars = rest.char_indices();
        let mut end = rest.len();
        while let Some((j, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        s.push('\\');
                        s.push(n);
                    }
                }
                '"' => {
                    end = j + 1;
                    break;
                }
                c => s.push(c),
            }
        }
        out.push(s);
        rest = &rest[end..];
    }
    out
}

/// msgid → msgstr of a `.po` file (single-line entries, as this catalogue is written).
fn catalogue(po: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut id: Option<String> = None;
    for line in po.lines() {
        if let Some(v) = line.strip_prefix("msgid \"") {
            id = Some(v.trim_end_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("msgstr \"")
            && let Some(k) = id.take()
        {
            map.insert(k, v.trim_end_matches('"').to_string());
        }
    }
    map
}

fn slint_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("ui/ is readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            slint_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "slint") {
            out.push(p);
        }
    }
}

#[test]
fn every_ui_string_has_an_english_translation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let po = std::fs::read_to_string(root.join("ui/i18n/en/LC_MESSAGES/jiuzhu-kiosk.po"))
        .expect("the English catalogue exists");
    let cat = catalogue(&po);
    let mut files = Vec::new();
    slint_files(&root.join("ui"), &mut files);
    assert!(files.len() >= 5, "found only {files:?}");
    let mut missing = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).expect("readable .slint");
        for s in tr_strings(&src) {
            match cat.get(&s) {
                Some(t) if !t.trim().is_empty() => {}
                _ => missing.push(format!("{}: {s}", f.display())),
            }
        }
    }
    assert!(
        missing.is_empty(),
        "strings without an English translation in ui/i18n/en/LC_MESSAGES/jiuzhu-kiosk.po:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_scanner_finds_strings_and_escapes() {
    let s = tr_strings(r#"a: @tr("一"); b: @tr("说\"好\"{}", x); c: "@tr"; d: @tr("二")"#);
    assert_eq!(s, vec!["一", "说\\\"好\\\"{}", "二"]);
    let c = catalogue("msgid \"一\"\nmsgstr \"one\"\n\nmsgid \"二\"\nmsgstr \"\"\n");
    assert_eq!(c.get("一").map(String::as_str), Some("one"));
    assert_eq!(c.get("二").map(String::as_str), Some(""));
}
