//! Secrets out of every text that leaves a gateway: error messages reach stderr (cron mail), the
//! ledger's error_text and the audit.

/// Removes secret values from text in every encoding the program itself produces: raw,
/// percent-encoded, base64 (standard and URL-safe, with and without padding; pass `user:secret`
/// pairs to cover Basic credentials) and hex (HMAC keys). A provider that echoes the
/// `Authorization` header back in an error body leaks nothing.
#[derive(Clone, Default)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    pub fn new(secrets: &[&str]) -> Scrubber {
        let mut all = Vec::new();
        for s in secrets.iter().filter(|s| !s.is_empty()) {
            all.extend(encodings(s));
        }
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        // Longest first, so a secret containing another is removed whole.
        Scrubber { secrets: all }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[redacted]");
            }
        }
        out
    }
}

/// Every form of `secret` that could appear in a request or an echo of it.
pub fn encodings(secret: &str) -> Vec<String> {
    let b64 = crate::net::base64(secret.as_bytes());
    let url_safe = b64.replace('+', "-").replace('/', "_");
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let percent = crate::net::encode(secret);
    // application/x-www-form-urlencoded: a space is `+`; some encoders write lower-case hex.
    let form = percent.replace("%20", "+");
    let mut out = vec![
        secret.to_string(),
        percent.clone(),
        percent.to_lowercase(),
        form.clone(),
        form.to_lowercase(),
        secret.replace(' ', "+"),
        b64.trim_end_matches('=').to_string(),
        url_safe.trim_end_matches('=').to_string(),
        b64,
        url_safe,
        hex.to_uppercase(),
        hex,
    ];
    // Encodings too short to be specific would redact innocent text.
    out.retain(|e| e.len() >= 4 || e == secret);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubber_removes_basic_credentials_in_every_encoding() {
        let s = Scrubber::new(&["AC0123", "tok/s3cr3t+x", "AC0123:tok/s3cr3t+x"]);
        let b64 = crate::net::base64(b"AC0123:tok/s3cr3t+x");
        let url_safe = b64.replace('+', "-").replace('/', "_");
        let hex: String = b"tok/s3cr3t+x".iter().map(|b| format!("{b:02x}")).collect();
        for leak in [
            b64.clone(),
            b64.trim_end_matches('=').to_string(),
            url_safe.clone(),
            url_safe.trim_end_matches('=').to_string(),
            hex.clone(),
            hex.to_uppercase(),
            "tok%2Fs3cr3t%2Bx".to_string(),
        ] {
            let out = s.scrub(&format!("{{\"echo\":\"Basic {leak}\"}}"));
            assert!(!out.contains(&leak), "{leak} survived: {out}");
            assert!(out.contains("[redacted]"), "{out}");
        }
    }

    #[test]
    fn scrubber_removes_raw_and_encoded_secrets() {
        let s = Scrubber::new(&["k3y/+=", "AC123"]);
        assert_eq!(
            s.scrub("url ?api_id=k3y%2F%2B%3D&x /Accounts/AC123/ k3y/+="),
            "url ?api_id=[redacted]&x /Accounts/[redacted]/ [redacted]"
        );
    }
}
