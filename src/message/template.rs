//! `{variable}` templates for the message text and the link. Unknown variables are config errors,
//! found when the config is read, not when the first customer gets a text with `{nmae}` in it.

use crate::message::Config;
use crate::model::Cart;
use anyhow::{Result, bail};
use std::borrow::Cow;

pub const MESSAGE_VARS: &[&str] = &["name", "total", "items_count", "link", "store"];
pub const LINK_VARS: &[&str] = &["cart_id", "campaign", "token", "customer_id"];

/// Checks that every `{var}` is known and braces are balanced (`{{` and `}}` are literal braces).
pub fn validate(template: &str, vars: &[&str]) -> Result<()> {
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let c = rest.as_bytes()[i];
        if rest[i + 1..].starts_with(c as char) {
            rest = &rest[i + 2..];
            continue;
        }
        if c == b'}' {
            bail!("`}}` without `{{` in \"{template}\"; write `}}}}` for a literal brace");
        }
        let Some(end) = rest[i..].find('}') else {
            bail!("`{{` is not closed in \"{template}\"");
        };
        let var = &rest[i + 1..i + end];
        if !vars.contains(&var) {
            bail!(
                "unknown variable `{{{var}}}` in \"{template}\"; known: {}",
                vars.iter()
                    .map(|v| format!("{{{v}}}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        rest = &rest[i + end + 1..];
    }
    Ok(())
}

/// Replaces each `{var}` with `value(var)`; templates were validated when the config was read.
pub fn fill<'v>(template: &str, value: impl Fn(&str) -> Option<Cow<'v, str>>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i] as char;
        if rest[i + 1..].starts_with(c) {
            out.push(c);
            rest = &rest[i + 2..];
            continue;
        }
        match rest[i..].find('}') {
            Some(end) if c == '{' => {
                let var = &rest[i + 1..i + end];
                if let Some(v) = value(var) {
                    out.push_str(&v);
                }
                rest = &rest[i + end + 1..];
            }
            _ => {
                out.push(c);
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The cart's link: its own recovery URL (with UTM parameters added) when the source has one,
/// else the link template with the cart id (and the token, when the source's link is a token).
pub fn link(cart: &Cart, m: &Config) -> String {
    let utm = format!(
        "utm_source=sms&utm_medium=abandoned_cart&utm_campaign={}",
        crate::net::encode(&m.campaign)
    );
    if let Some(url) = cart
        .link
        .as_deref()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
    {
        if url.contains("utm_source=") {
            return url.to_string();
        }
        let sep = if url.contains('?') { '&' } else { '?' };
        return format!("{url}{sep}{utm}");
    }
    fill(&m.link, |var| match var {
        "cart_id" => Some(crate::net::encode(&cart.cart_id).into()),
        "campaign" => Some(crate::net::encode(&m.campaign).into()),
        "token" => Some(crate::net::encode(cart.link.as_deref().unwrap_or("")).into()),
        "customer_id" => Some(crate::net::encode(cart.customer_id.as_deref().unwrap_or("")).into()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_variables() {
        assert!(validate("{name}, {total} {link}", MESSAGE_VARS).is_ok());
        assert!(validate("{{literal}} {name}", MESSAGE_VARS).is_ok());
        let e = validate("{nmae} hi", MESSAGE_VARS).unwrap_err().to_string();
        assert!(e.contains("unknown variable `{nmae}`"), "{e}");
        assert!(validate("{name", MESSAGE_VARS).is_err());
    }

    #[test]
    fn fills() {
        let out = fill("{a}-{{x}}-{b}", |v| Some(v.to_uppercase().into()));
        assert_eq!(out, "A-{x}-B");
        assert_eq!(crate::net::encode("a b/ц"), "a%20b%2F%D1%86");
    }
}
