//! HTML character references: named and numeric entity decoding (`decode_entities`) and the
//! single-reference reader the Markdown reader shares (`decode_reference`).

/// Decodes HTML character references: named entities (`&nbsp;`, `&amp;`, `&ndash;`, `&rsquo;`,
/// `&ge;`, `&micro;`, …) and numeric ones (`&#176;`, `&#xB0;`). Unknown or unterminated
/// references are left as they are. `&nbsp;` becomes a plain space; invalid code points become
/// U+FFFD; `&#128;`–`&#159;` are read as Windows-1252, as browsers do.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match decode_reference(after) {
            Some((v, used)) => {
                out.push_str(&v);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The longest reference read, in bytes after the `&` and through the `;`.
pub(crate) const MAX_REFERENCE_BYTES: usize = 33;

/// The character reference at the start of `after` (the text just after an `&`), as
/// [`decode_entities`] reads it: its value and the bytes it takes through the `;`, or `None`
/// when it is not a reference we know. The Markdown reader decodes its entities with this too.
pub(crate) fn decode_reference(after: &str) -> Option<(String, usize)> {
    let semi = after
        .bytes()
        .take(MAX_REFERENCE_BYTES)
        .position(|b| b == b';')
        .filter(|&i| i > 0)?;
    let name = &after[..semi];
    let value = match name.strip_prefix('#') {
        Some(num) => decode_numeric(num),
        None => named_entity(name).map(str::to_string),
    }?;
    Some((value, semi + 1))
}

fn decode_numeric(num: &str) -> Option<String> {
    let (digits, radix) = match num.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16),
        None => (num, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let code = u32::from_str_radix(digits, radix).unwrap_or(u32::MAX);
    let c = match code {
        0 => '\u{FFFD}',
        0x80..=0x9F => windows_1252(code),
        _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
    };
    Some(c.to_string())
}

fn windows_1252(code: u32) -> char {
    const TABLE: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    TABLE[(code - 0x80) as usize]
}

fn named_entity(name: &str) -> Option<&'static str> {
    let v = match name {
        "nbsp" | "NBSP" | "ensp" | "emsp" | "thinsp" | "numsp" => " ",
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "ndash" => "–",
        "mdash" => "—",
        "minus" => "−",
        "hyphen" | "dash" => "‐",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "hellip" => "…",
        "bull" => "•",
        "middot" => "·",
        "prime" => "′",
        "Prime" => "″",
        "dagger" => "†",
        "Dagger" => "‡",
        "sect" => "§",
        "para" => "¶",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "micro" => "µ",
        "times" => "×",
        "divide" => "÷",
        "plusmn" => "±",
        "ge" => "≥",
        "le" => "≤",
        "ne" => "≠",
        "asymp" => "≈",
        "equiv" => "≡",
        "infin" => "∞",
        "sim" => "∼",
        "permil" => "‰",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "sup1" => "¹",
        "sup2" => "²",
        "sup3" => "³",
        "ordf" => "ª",
        "ordm" => "º",
        "larr" => "←",
        "rarr" => "→",
        "uarr" => "↑",
        "darr" => "↓",
        "harr" => "↔",
        "rArr" => "⇒",
        "lArr" => "⇐",
        "cent" => "¢",
        "pound" => "£",
        "euro" => "€",
        "yen" => "¥",
        "curren" => "¤",
        "iexcl" => "¡",
        "iquest" => "¿",
        "not" => "¬",
        "brvbar" => "|",
        "acute" => "´",
        "uml" => "¨",
        "cedil" => "¸",
        "macr" => "¯",
        "shy" | "zwj" | "zwnj" | "lrm" | "rlm" => "",
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "phi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "aacute" => "á",
        "agrave" => "à",
        "acirc" => "â",
        "auml" => "ä",
        "atilde" => "ã",
        "aring" => "å",
        "aelig" => "æ",
        "ccedil" => "ç",
        "eacute" => "é",
        "egrave" => "è",
        "ecirc" => "ê",
        "euml" => "ë",
        "iacute" => "í",
        "igrave" => "ì",
        "icirc" => "î",
        "iuml" => "ï",
        "ntilde" => "ñ",
        "oacute" => "ó",
        "ograve" => "ò",
        "ocirc" => "ô",
        "ouml" => "ö",
        "otilde" => "õ",
        "oslash" => "ø",
        "uacute" => "ú",
        "ugrave" => "ù",
        "ucirc" => "û",
        "uuml" => "ü",
        "yacute" => "ý",
        "yuml" => "ÿ",
        "szlig" => "ß",
        "Aacute" => "Á",
        "Agrave" => "À",
        "Acirc" => "Â",
        "Auml" => "Ä",
        "Aring" => "Å",
        "AElig" => "Æ",
        "Ccedil" => "Ç",
        "Eacute" => "É",
        "Egrave" => "È",
        "Ecirc" => "Ê",
        "Iacute" => "Í",
        "Ntilde" => "Ñ",
        "Oacute" => "Ó",
        "Ouml" => "Ö",
        "Oslash" => "Ø",
        "Uacute" => "Ú",
        "Uuml" => "Ü",
        _ => return None,
    };
    Some(v)
}
