//! Chinese place-name helpers: administrative suffixes and toneless pinyin.

use pinyin::ToPinyin;

/// Administrative suffixes stripped before romanising, longest first so that
/// `自治县` wins over `县`.
const SUFFIXES: [&str; 16] = [
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "林区",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
];

/// Ethnic-group names that precede 自治州/县/旗 (`白沙黎族自治县` → `白沙`).
const ETHNIC: [&str; 44] = [
    "土家族",
    "蒙古族",
    "布依族",
    "哈尼族",
    "傈僳族",
    "拉祜族",
    "纳西族",
    "景颇族",
    "仫佬族",
    "毛南族",
    "仡佬族",
    "朝鲜族",
    "锡伯族",
    "哈萨克族",
    "柯尔克孜族",
    "塔吉克族",
    "达斡尔族",
    "鄂温克族",
    "鄂伦春族",
    "撒拉族",
    "保安族",
    "东乡族",
    "裕固族",
    "普米族",
    "独龙族",
    "德昂族",
    "黎族",
    "苗族",
    "回族",
    "藏族",
    "彝族",
    "壮族",
    "侗族",
    "瑶族",
    "白族",
    "傣族",
    "佤族",
    "水族",
    "羌族",
    "满族",
    "土族",
    "畲族",
    "怒族",
    "各族",
];

/// The proper name of an admin unit without its administrative suffix
/// (`泊头市` → `泊头`, `白沙黎族自治县` → `白沙`); names that would become a single
/// character keep their suffix (`沙县区` → `沙县`).
///
/// # Examples
/// ```
/// use cluster_atlas::names::strip_admin_suffix;
/// assert_eq!(strip_admin_suffix("泊头市"), "泊头");
/// assert_eq!(strip_admin_suffix("白沙黎族自治县"), "白沙");
/// assert_eq!(strip_admin_suffix("新疆维吾尔自治区"), "新疆");
/// assert_eq!(strip_admin_suffix("沙县区"), "沙县");
/// assert_eq!(strip_admin_suffix("湘西土家族苗族自治州"), "湘西");
/// ```
#[must_use]
pub fn strip_admin_suffix(name: &str) -> &str {
    let Some(suffix) = SUFFIXES.iter().find(|s| name.ends_with(*s)) else {
        return name;
    };
    let mut stem = &name[..name.len() - suffix.len()];
    if suffix.starts_with("自治") {
        while let Some(e) = ETHNIC.iter().find(|e| stem.ends_with(*e)) {
            stem = &stem[..stem.len() - e.len()];
        }
    }
    if stem.chars().count() < 2 { name } else { stem }
}

/// Place names whose reading differs from the everyday reading of their characters
/// (`六安` is Lu'an, `乐亭` is Laoting). The `pinyin` crate knows single characters only,
/// so these phrase readings are listed here; checked before [`CHAR_READINGS`].
const PHRASE_READINGS: [(&str, &str); 27] = [
    ("六安", "luan"),
    ("六合", "luhe"),
    ("番禺", "panyu"),
    ("乐清", "yueqing"),
    ("乐亭", "laoting"),
    ("单县", "shanxian"),
    ("铅山", "yanshan"),
    ("蔚县", "yuxian"),
    ("浚县", "xunxian"),
    ("尉犁", "yuli"),
    ("筠连", "junlian"),
    ("枞阳", "zongyang"),
    ("洪洞", "hongtong"),
    ("中牟", "zhongmu"),
    ("牟平", "muping"),
    ("大埔", "dabu"),
    ("什邡", "shifang"),
    ("覃塘", "qintang"),
    ("会稽", "kuaiji"),
    ("涡阳", "guoyang"),
    ("东阿", "dong'e"),
    ("繁峙", "fanshi"),
    ("长子", "zhangzi"),
    ("解州", "xiezhou"),
    ("莘县", "shenxian"),
    ("秭归", "zigui"),
    ("蚌埠", "bengbu"),
];

/// Characters whose reading in place names differs from the `pinyin` crate's default
/// (`长沙` is Changsha, not Zhangsha; `重庆` Chongqing; `成都` Chengdu; `泊头` Botou).
const CHAR_READINGS: [(char, &str); 7] = [
    ('长', "chang"),
    ('重', "chong"),
    ('厦', "xia"),
    ('都', "du"),
    ('泊', "bo"),
    ('藏', "zang"),
    ('蚌', "beng"),
];

/// Toneless pinyin, syllables joined and the first letter capitalised (`泊头` → `Botou`);
/// non-Chinese characters are kept as they are. Place-name readings
/// ([`PHRASE_READINGS`], [`CHAR_READINGS`]) take precedence over everyday ones.
///
/// # Examples
/// ```
/// use cluster_atlas::names::to_pinyin;
/// assert_eq!(to_pinyin("石家庄"), "Shijiazhuang");
/// assert_eq!(to_pinyin("东城"), "Dongcheng");
/// ```
#[must_use]
pub fn to_pinyin(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(ch) = rest.chars().next() {
        if let Some((phrase, reading)) = PHRASE_READINGS.iter().find(|(p, _)| rest.starts_with(p)) {
            out.push_str(reading);
            rest = &rest[phrase.len()..];
            continue;
        }
        match (CHAR_READINGS.iter().find(|(c, _)| *c == ch), ch.to_pinyin()) {
            (Some((_, r)), _) => out.push_str(r),
            (None, Some(p)) => out.push_str(p.plain()),
            (None, None) => out.push(ch),
        }
        rest = &rest[ch.len_utf8()..];
    }
    let mut chars = out.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The romanised proper name of an admin unit: `泊头市` → `Botou`.
#[must_use]
pub fn admin_name_pinyin(name_zh: &str) -> String {
    to_pinyin(strip_admin_suffix(name_zh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn romanises_cluster_counties() {
        for (zh, py) in [
            ("泊头市", "Botou"),
            ("高要区", "Gaoyao"),
            ("嘉禾县", "Jiahe"),
            ("溧阳市", "Liyang"),
            ("宁国市", "Ningguo"),
            ("邹平市", "Zouping"),
            ("浏阳市", "Liuyang"),
            ("醴陵市", "Liling"),
            ("临湘市", "Linxiang"),
            ("内蒙古自治区", "Neimenggu"),
            ("长沙市", "Changsha"),
            ("重庆市", "Chongqing"),
            ("厦门市", "Xiamen"),
            ("成都市", "Chengdu"),
            ("六安市", "Luan"),
            ("六盘水市", "Liupanshui"),
            ("长子县", "Zhangzi"),
            ("西藏自治区", "Xizang"),
            ("蚌埠市", "Bengbu"),
        ] {
            assert_eq!(admin_name_pinyin(zh), py, "{zh}");
        }
    }
}
