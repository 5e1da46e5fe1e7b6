//! The `file` gateway: appends one JSON object per message to an outbox (JSON Lines). It is the
//! default in the examples, so the whole job runs with no credentials; each line is flushed and
//! fsynced before `send` returns, so a crash never loses a line that the ledger calls `sent`.

use super::{Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use crate::model::utc_string;
use anyhow::{Context, Result};
use std::fs::File;
use std::path::PathBuf;

pub struct FileGateway {
    path: PathBuf,
    file: File,
}

impl FileGateway {
    pub fn open(cfg: &Config) -> Result<FileGateway> {
        let path = cfg.path.clone().context("gateway.path is missing; the file gateway needs an outbox file, e.g. path = \"outbox.jsonl\"")?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create outbox folder {}", dir.display()))?;
        }
        let (file, repair) = crate::fsutil::open_lines(&path)
            .with_context(|| format!("cannot open outbox {}", path.display()))?;
        if repair.cut > 0 {
            eprintln!(
                "cartnudge: {}: cut a partial last line ({} bytes) left by an interrupted run",
                path.display(),
                repair.cut
            );
        }
        Ok(FileGateway { path, file })
    }
}

impl Gateway for FileGateway {
    fn name(&self) -> &'static str {
        "file"
    }

    fn paced(&self) -> bool {
        false
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        let id = format!("file-{}", sms.idempotency_key);
        let line = serde_json::json!({
            "id": id,
            "to": sms.to.as_str(),
            "text": sms.text,
            "cart_id": sms.cart_id,
            "encoding": sms.encoding.as_str(),
            "segments": sms.segments,
            "at": utc_string(sms.at),
        });
        let mut buf = line.to_string();
        buf.push('\n');
        // Written whole or cut back: a failed write leaves nothing, so it is not processed.
        crate::fsutil::append_whole(&mut self.file, buf.as_bytes()).map_err(|e| {
            GatewayError::fatal(
                "io",
                format!("cannot write outbox {}: {e}", self.path.display()),
            )
        })?;
        // The line is in the file; if it cannot be made durable it may or may not survive.
        self.file.sync_data().map_err(|e| {
            GatewayError::unknown(
                "fsync",
                format!("cannot fsync outbox {}: {e}", self.path.display()),
            )
        })?;
        Ok(Receipt {
            provider_id: Some(id),
            segments: Some(sms.segments),
            price: None,
        })
    }
}
