//! The 256-byte text block of a read reply: UCS-2 little-endian ("GB 13000 UCS-2"), each field
//! right-padded with spaces, the card kind at offset 248.
//!
//! Resident layout (devices.md §2 [C]): name 0/30, sex 30/2, nation 32/4, birth 36/16,
//! address 52/70, number 122/36, issuer 158/30, valid from 188/16, valid until 204/16 (YYYYMMDD or
//! 长期), reserved 220/36.
//! 'I' 外国人永久居留证 [C, Android reader source]: EN name 0/120, sex 120/2, permit number 122/30,
//! nationality 152/6, CN name 158/30, from 188/16, until 204/16, birth 220/16, card version
//! 236/4, issuer code 240/8, type 248/2.
//! 'J' 港澳台居民居住证: the resident layout with no nation; 通行证号码 220/18 and 签发次数 238/4
//! in the reserved tail — these two offsets are unconfirmed (devices.md §8) and kept apart.
//! Nation codes: GB 3304-1991 (01 汉 … 56 基诺), 97 其他, 98 外国血统中国籍人士 (hev file).

use chrono::NaiveDate;
use jiuzhu_core::id::{IdNumber, PersonName};
use jiuzhu_drivers_api::idcard::{
    CardFingerprints, CardKind, DocumentNumber, ForeignPermitDetails, IdentityCard, MaskedText,
    Nation, ResidencePermitDetails, Sex, ValidUntil, WltPhoto,
};

/// Size of the text block.
pub const TEXT_BLOCK_LEN: usize = 256;

/// GB 3304 nation names by code 1..=56.
const NATIONS: [&str; 56] = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
];

/// The nation with this code (1..=56, 97, 98).
pub fn nation(code: u8) -> Option<Nation> {
    let name = match code {
        1..=56 => NATIONS[usize::from(code) - 1],
        97 => "其他",
        98 => "外国血统中国籍人士",
        _ => return None,
    };
    Some(Nation { code, name })
}

/// Why a text block does not decode into an identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Not 256 bytes.
    #[error("text block has {0} bytes, expected 256")]
    Size(usize),
    /// A UTF-16 unit that is not a character on its own (a surrogate).
    #[error("field {field}: byte offset {offset} is not a UCS-2 character")]
    Encoding {
        /// Field name.
        field: &'static str,
        /// Byte offset in the block.
        offset: usize,
    },
    /// A field's content is not what its layout allows.
    #[error("field {field}: {reason}")]
    Field {
        /// Field name.
        field: &'static str,
        /// What is wrong (never the personal value itself).
        reason: String,
    },
}

fn field_err(field: &'static str, reason: impl Into<String>) -> TextError {
    TextError::Field {
        field,
        reason: reason.into(),
    }
}

/// Decodes a UCS-2LE field and trims the padding (spaces and NULs).
fn ucs2(block: &[u8], field: &'static str, off: usize, len: usize) -> Result<String, TextError> {
    let mut s = String::with_capacity(len / 2);
    for (i, pair) in block[off..off + len].chunks_exact(2).enumerate() {
        let unit = u16::from_le_bytes([pair[0], pair[1]]);
        let c = char::from_u32(u32::from(unit)).ok_or(TextError::Encoding {
            field,
            offset: off + 2 * i,
        })?;
        s.push(c);
    }
    Ok(s.trim_end_matches([' ', '\0']).trim_start().to_string())
}

fn date(field: &'static str, s: &str) -> Result<NaiveDate, TextError> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_err(
            field,
            format!("expected YYYYMMDD, got {} chars", s.chars().count()),
        ));
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").map_err(|_| field_err(field, "not a calendar date"))
}

fn person_name(field: &'static str, s: &str) -> Result<PersonName, TextError> {
    PersonName::new(s).map_err(|e| field_err(field, e.to_string()))
}

fn sex(s: &str) -> Result<Sex, TextError> {
    let mut cs = s.chars();
    match (cs.next().and_then(Sex::from_code), cs.next()) {
        (Some(x), None) => Ok(x),
        _ => Err(field_err("sex", "expected one of 0, 1, 2, 9")),
    }
}

fn valid_until(s: &str) -> Result<ValidUntil, TextError> {
    if s == "长期" {
        Ok(ValidUntil::LongTerm)
    } else {
        date("valid_until", s).map(ValidUntil::Date)
    }
}

/// The card kind from the discriminator at offset 248.
pub fn card_kind(block: &[u8]) -> Result<CardKind, TextError> {
    if block.len() != TEXT_BLOCK_LEN {
        return Err(TextError::Size(block.len()));
    }
    match [block[248], block[249]] {
        [b'I', 0] => Ok(CardKind::ForeignPermanentResident),
        [b'J', 0] => Ok(CardKind::HkMacaoTaiwanResidence),
        _ => Ok(CardKind::Resident),
    }
}

/// Parses a text block; photo and fingerprints are attached as given.
pub fn parse(
    block: &[u8],
    photo: Vec<u8>,
    fingerprints: Vec<u8>,
) -> Result<IdentityCard, TextError> {
    let kind = card_kind(block)?;
    let photo = WltPhoto(photo);
    let fingerprints = CardFingerprints(fingerprints);
    match kind {
        CardKind::ForeignPermanentResident => parse_foreign(block, photo, fingerprints),
        CardKind::Resident | CardKind::HkMacaoTaiwanResidence => {
            parse_citizen(block, kind, photo, fingerprints)
        }
    }
}

fn parse_citizen(
    b: &[u8],
    kind: CardKind,
    photo: WltPhoto,
    fingerprints: CardFingerprints,
) -> Result<IdentityCard, TextError> {
    let name = person_name("name", &ucs2(b, "name", 0, 30)?)?;
    let sex = sex(&ucs2(b, "sex", 30, 2)?)?;
    let nation_s = ucs2(b, "nation", 32, 4)?;
    let nation = if kind == CardKind::Resident {
        let code: u8 = nation_s
            .parse()
            .map_err(|_| field_err("nation", "expected a two-digit code"))?;
        Some(nation(code).ok_or_else(|| field_err("nation", format!("unknown code {code:02}")))?)
    } else {
        None
    };
    let birth_date = date("birth_date", &ucs2(b, "birth_date", 36, 16)?)?;
    let address = MaskedText::new(ucs2(b, "address", 52, 70)?);
    let number_s = ucs2(b, "number", 122, 36)?;
    let number = match IdNumber::parse(&number_s) {
        Ok(id) => {
            if id.birth_date() != birth_date {
                return Err(field_err(
                    "number",
                    "the birth date in the number differs from the birth date field",
                ));
            }
            DocumentNumber::Citizen(id)
        }
        // 830000 (台湾) residence permits carry a number the citizen validator does not know.
        Err(_)
            if kind == CardKind::HkMacaoTaiwanResidence
                && number_s.len() == 18
                && number_s.is_ascii() =>
        {
            DocumentNumber::Other(MaskedText::new(number_s))
        }
        Err(e) => return Err(field_err("number", e.to_string())),
    };
    let issuer = ucs2(b, "issuer", 158, 30)?;
    let valid_from = date("valid_from", &ucs2(b, "valid_from", 188, 16)?)?;
    let valid_until = valid_until(&ucs2(b, "valid_until", 204, 16)?)?;
    let residence = if kind == CardKind::HkMacaoTaiwanResidence {
        let count = ucs2(b, "issue_count", 238, 4)?;
        Some(ResidencePermitDetails {
            pass_number: MaskedText::new(ucs2(b, "pass_number", 220, 18)?),
            issue_count: count
                .parse()
                .map_err(|_| field_err("issue_count", "expected a number"))?,
        })
    } else {
        None
    };
    Ok(IdentityCard {
        kind,
        name,
        sex,
        nation,
        birth_date,
        address,
        number,
        issuer,
        valid_from,
        valid_until,
        photo,
        fingerprints,
        foreign: None,
        residence,
    })
}

fn parse_foreign(
    b: &[u8],
    photo: WltPhoto,
    fingerprints: CardFingerprints,
) -> Result<IdentityCard, TextError> {
    let name = person_name("name", &ucs2(b, "name", 0, 120)?)?;
    let sex = sex(&ucs2(b, "sex", 120, 2)?)?;
    let number_s = ucs2(b, "number", 122, 30)?;
    if number_s.is_empty() || !number_s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(field_err("number", "expected letters and digits"));
    }
    let nationality = ucs2(b, "nationality", 152, 6)?;
    let cn = ucs2(b, "chinese_name", 158, 30)?;
    let chinese_name = if cn.is_empty() {
        None
    } else {
        Some(person_name("chinese_name", &cn)?)
    };
    let valid_from = date("valid_from", &ucs2(b, "valid_from", 188, 16)?)?;
    let valid_until = valid_until(&ucs2(b, "valid_until", 204, 16)?)?;
    let birth_date = date("birth_date", &ucs2(b, "birth_date", 220, 16)?)?;
    let card_version = ucs2(b, "card_version", 236, 4)?;
    let issuer_code = ucs2(b, "issuer_code", 240, 8)?;
    Ok(IdentityCard {
        kind: CardKind::ForeignPermanentResident,
        name,
        sex,
        nation: None,
        birth_date,
        address: MaskedText::default(),
        number: DocumentNumber::Other(MaskedText::new(number_s)),
        issuer: String::new(),
        valid_from,
        valid_until,
        photo,
        fingerprints,
        foreign: Some(ForeignPermitDetails {
            chinese_name,
            nationality,
            card_version,
            issuer_code,
        }),
        residence: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    /// Writes `s` as UCS-2LE at `off`, space-padded to `len` bytes.
    fn put(b: &mut [u8], off: usize, len: usize, s: &str) {
        let units: Vec<u16> = s.encode_utf16().collect();
        assert!(units.len() * 2 <= len, "{s} does not fit {len}");
        for i in 0..len / 2 {
            let u = units.get(i).copied().unwrap_or(0x20);
            b[off + 2 * i..off + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
    }

    fn blank() -> Vec<u8> {
        let mut b = vec![0u8; 256];
        put(&mut b, 0, 256, "");
        b
    }

    fn resident() -> Vec<u8> {
        let mut b = blank();
        put(&mut b, 0, 30, "冉光秀");
        put(&mut b, 30, 2, "2");
        put(&mut b, 32, 4, "15");
        put(&mut b, 36, 16, "19491231");
        put(&mut b, 52, 70, "重庆市涪陵区敦仁街道人民东路88号");
        put(&mut b, 122, 36, "11010519491231002X");
        put(&mut b, 158, 30, "重庆市公安局涪陵区分局");
        put(&mut b, 188, 16, "20120502");
        put(&mut b, 204, 16, "长期");
        b
    }

    #[test]
    fn resident_card() {
        let c = parse(&resident(), vec![1; 1024], vec![]).unwrap();
        assert_eq!(c.kind, CardKind::Resident);
        assert_eq!(c.name.as_unmasked_str(), "冉光秀");
        assert_eq!(c.sex, Sex::Female);
        assert_eq!(c.nation.unwrap().name, "土家");
        assert_eq!(c.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(
            c.address.as_unmasked_str(),
            "重庆市涪陵区敦仁街道人民东路88号"
        );
        assert_eq!(c.number.as_unmasked_str(), "11010519491231002X");
        assert_eq!(c.issuer, "重庆市公安局涪陵区分局");
        assert_eq!(c.valid_until, ValidUntil::LongTerm);
        assert_eq!(c.photo.0.len(), 1024);
        assert!(c.residence.is_none() && c.foreign.is_none());
    }

    #[test]
    fn foreign_card() {
        let mut b = blank();
        put(&mut b, 0, 120, "ZHANG, MARIA ELENA");
        put(&mut b, 120, 2, "2");
        put(&mut b, 122, 30, "CAN500102650101");
        put(&mut b, 152, 6, "CAN");
        put(&mut b, 158, 30, "张玛丽");
        put(&mut b, 188, 16, "20180301");
        put(&mut b, 204, 16, "20280301");
        put(&mut b, 220, 16, "19650101");
        put(&mut b, 236, 4, "01");
        put(&mut b, 240, 8, "5000");
        put(&mut b, 248, 2, "I");
        let c = parse(&b, vec![], vec![]).unwrap();
        assert_eq!(c.kind, CardKind::ForeignPermanentResident);
        assert_eq!(c.name.as_unmasked_str(), "ZHANG, MARIA ELENA");
        assert_eq!(c.number.as_unmasked_str(), "CAN500102650101");
        let f = c.foreign.unwrap();
        assert_eq!(f.nationality, "CAN");
        assert_eq!(f.chinese_name.unwrap().as_unmasked_str(), "张玛丽");
        assert_eq!(c.birth_date, NaiveDate::from_ymd_opt(1965, 1, 1).unwrap());
        assert_eq!(f.issuer_code, "5000");
    }

    #[test]
    fn residence_permit() {
        let mut b = resident();
        put(&mut b, 32, 4, "");
        put(&mut b, 122, 36, "830000194912310026");
        put(&mut b, 220, 18, "T12345678");
        put(&mut b, 238, 4, "03");
        put(&mut b, 248, 2, "J");
        let c = parse(&b, vec![], vec![]).unwrap();
        assert_eq!(c.kind, CardKind::HkMacaoTaiwanResidence);
        assert_eq!(c.nation, None);
        assert!(matches!(c.number, DocumentNumber::Other(_)));
        let r = c.residence.unwrap();
        assert_eq!(r.pass_number.as_unmasked_str(), "T12345678");
        assert_eq!(r.issue_count, 3);
    }

    #[rstest]
    #[case(1, "汉")]
    #[case(15, "土家")]
    #[case(37, "仡佬")]
    #[case(56, "基诺")]
    #[case(97, "其他")]
    #[case(98, "外国血统中国籍人士")]
    fn nations(#[case] code: u8, #[case] name: &str) {
        assert_eq!(nation(code).unwrap().name, name);
    }

    #[rstest]
    #[case(0)]
    #[case(57)]
    #[case(99)]
    fn unknown_nations(#[case] code: u8) {
        assert_eq!(nation(code), None);
    }

    #[rstest]
    #[case(30, 2, "3", "sex")]
    #[case(32, 4, "77", "nation")]
    #[case(36, 16, "19491331", "birth_date")]
    #[case(122, 36, "110105194912310021", "number")]
    #[case(122, 36, "110105194912300023", "number")]
    #[case(204, 16, "永久", "valid_until")]
    #[case(0, 30, "", "name")]
    fn bad_fields_are_named(
        #[case] off: usize,
        #[case] len: usize,
        #[case] value: &str,
        #[case] field: &str,
    ) {
        let mut b = resident();
        put(&mut b, off, len, value);
        match parse(&b, vec![], vec![]) {
            Err(TextError::Field { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn surrogates_are_rejected() {
        let mut b = resident();
        b[2] = 0x00;
        b[3] = 0xD8;
        assert_eq!(
            parse(&b, vec![], vec![]),
            Err(TextError::Encoding {
                field: "name",
                offset: 2
            })
        );
        assert_eq!(parse(&b[..200], vec![], vec![]), Err(TextError::Size(200)));
    }

    proptest! {
        #[test]
        fn parser_never_panics(block in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&block, vec![], vec![]);
        }

        #[test]
        fn parser_never_panics_on_mutated_cards(flips in proptest::collection::vec((0usize..256, any::<u8>()), 1..12),
                                                kind in prop_oneof![Just(' '), Just('I'), Just('J')]) {
            let mut b = resident();
            put(&mut b, 248, 2, &kind.to_string());
            for (i, v) in flips {
                b[i] = v;
            }
            let _ = parse(&b, vec![], vec![]);
        }

        #[test]
        fn names_round_trip(name in "[\u{4E00}-\u{9FA5}]{1,15}") {
            let mut b = resident();
            put(&mut b, 0, 30, &name);
            let c = parse(&b, vec![], vec![]).unwrap();
            prop_assert_eq!(c.name.as_unmasked_str(), name.as_str());
        }
    }
}
