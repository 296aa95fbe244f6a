//! Text a person chooses for others to read (display names, status messages, room titles
//! and topics, file names) must read as what it is: no control characters, no bidi
//! controls that reorder what follows (`evil\u{202E}gnp.exe` shows as `evilexe.png`), and
//! no invisible characters that make two names that look the same differ. The joiners that
//! scripts and emoji need stay allowed where they join something.

/// Bidi controls (embeddings, overrides, isolates, marks) and invisible characters:
/// soft hyphen, the Mongolian vowel separator, zero-width space, word joiner, invisible
/// operators, the byte-order mark, and tag characters.
fn hides_or_reorders(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{206A}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Roughly Unicode's `Extended_Pictographic`, plus what follows a pictograph inside an
/// emoji (variation selector 16, skin tones): what a zero-width joiner may join.
fn pictographic(c: char) -> bool {
    matches!(
        c,
        '\u{2190}'..='\u{2BFF}' | '\u{FE0F}' | '\u{1F000}'..='\u{1FAFF}'
    )
}

/// Whether `text` holds a control character, a bidi control, an invisible character, or a
/// joiner that joins nothing: a zero-width joiner (U+200D) counts only between two parts
/// of an emoji (👩‍💻), a zero-width non-joiner (U+200C) only between two letters (as
/// Persian and Indic scripts use it).
pub fn is_deceptive(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        match c {
            '\u{200D}' => !(before.is_some_and(pictographic) && after.is_some_and(pictographic)),
            '\u{200C}' => {
                !(before.is_some_and(char::is_alphabetic) && after.is_some_and(char::is_alphabetic))
            }
            _ => c.is_control() || hides_or_reorders(c),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_in_any_script_and_emoji_is_fine() {
        for fine in [
            "Ann Lee",
            "Émile Zola",
            "مريم",
            "می\u{200C}خواهم",
            "שלום עולם",
            "李小龙",
            "👩‍💻 Dev",
            "👨‍👩‍👧 family",
            "❤️ love",
            "👍🏽",
        ] {
            assert!(!is_deceptive(fine), "{fine:?}");
        }
    }

    #[test]
    fn reordering_invisible_and_stray_joiners_are_caught() {
        for bad in [
            "evil\u{202E}gnp.exe",
            "ann\u{2066}x\u{2069}",
            "a\u{200F}b",
            "ann\u{200B}",
            "\u{FEFF}ann",
            "an\u{00AD}n",
            "ann\u{2060}lee",
            "ann\u{200D}",
            "\u{200D}ann",
            "a\u{200D}b",
            "a \u{200C}b",
            "flag\u{E0067}",
            "line\nbreak",
            "tab\there",
        ] {
            assert!(is_deceptive(bad), "{bad:?}");
        }
    }
}
