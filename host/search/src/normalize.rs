//! Normalisation shared by names and queries: lowercase, fold common Latin diacritics
//! to ASCII, split on anything that is not alphanumeric.

/// Longest token kept, in bytes; longer runs are cut (on a char boundary).
pub const MAX_TOKEN_BYTES: usize = 64;
/// Most tokens kept per name or query; the rest are ignored.
pub const MAX_TOKENS: usize = 16;

/// The normalised tokens of `text`, in order, duplicates kept.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() && out.len() < MAX_TOKENS {
            out.push(std::mem::take(cur));
        }
        cur.clear();
    };
    for c in text.chars() {
        for l in c.to_lowercase() {
            if let Some(f) = fold(l) {
                for fc in f.chars() {
                    push_char(&mut cur, fc);
                }
            } else if l.is_alphanumeric() {
                push_char(&mut cur, l);
            } else {
                flush(&mut cur, &mut out);
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn push_char(cur: &mut String, c: char) {
    if cur.len() + c.len_utf8() <= MAX_TOKEN_BYTES {
        cur.push(c);
    }
}

/// ASCII spelling of a lowercase Latin letter with a diacritic (or a ligature).
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ǒ' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ǔ' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'þ' => "th",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::tokens;

    #[test]
    fn folds_and_splits() {
        assert_eq!(tokens("Épée de Ñoño—Straße"), ["epee", "de", "nono", "strasse"]);
        assert_eq!(tokens("  Iron-Harbor KINGS!! "), ["iron", "harbor", "kings"]);
        assert!(tokens(" \t -- ").is_empty());
        assert_eq!(tokens("Æther Œuvre"), ["aether", "oeuvre"]);
    }
}
