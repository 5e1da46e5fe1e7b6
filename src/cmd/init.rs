//! `cartnudge init`: writes a commented config that lists every option with its default, to the
//! `--config` path (default `./cartnudge.toml`). Refuses to overwrite without `--force`.

use super::Global;
use crate::model::Exit;
use anyhow::{Context, Result, bail};

pub const TEMPLATE: &str = include_str!("../../examples/cartnudge.full.toml");

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &Args, g: &Global) -> Result<Exit> {
    let path = &g.config_file();
    if path.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        );
    }
    std::fs::write(path, TEMPLATE).with_context(|| format!("cannot write {}", path.display()))?;
    if !g.quiet {
        crate::outln!(
            "wrote {}; edit [source] and [gateway], then run `cartnudge check`",
            path.display()
        )?;
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::TEMPLATE;

    /// Every key the config accepts (each field of the raw TOML structs) is shown in `init`'s
    /// template, commented or not, so "lists every option" stays true as keys are added.
    #[test]
    fn template_lists_every_config_key() {
        let raw = [
            include_str!("../settings/raw.rs"),
            include_str!("../source/config.rs"),
            include_str!("../rules/config.rs"),
            include_str!("../message/config.rs"),
            include_str!("../gateway/config.rs"),
            include_str!("../report/config.rs"),
        ]
        .join("\n");
        let mut missing = Vec::new();
        let mut inside = false;
        for line in raw.lines() {
            let t = line.trim();
            if t.starts_with("pub(super) struct Raw") || t.starts_with("pub struct Raw") {
                inside = true;
                continue;
            }
            if inside && t == "}" {
                inside = false;
                continue;
            }
            let field = t
                .strip_prefix("pub(super) ")
                .or_else(|| t.strip_prefix("pub "));
            if let (true, Some(f)) = (inside, field)
                && let Some((name, _)) = f.split_once(':')
            {
                let shown = [
                    format!("{name} ="),
                    format!("[{name}]"),
                    format!(".{name}]"),
                ]
                .iter()
                .any(|p| TEMPLATE.contains(p.as_str()));
                if !shown {
                    missing.push(name.to_string());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from examples/cartnudge.full.toml: {missing:?}"
        );
    }

    #[test]
    fn template_is_a_valid_config() {
        let s =
            crate::settings::Settings::from_toml(TEMPLATE, std::path::Path::new("cartnudge.toml"));
        assert!(s.is_ok(), "{:#}", s.err().unwrap());
    }
}
