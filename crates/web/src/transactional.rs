//! Transactional mail as the API and the dashboard make it: a stored or
//! inline template compiled for its sender, the files an application sends
//! with it (types checked by their content), and each recipient's message
//! built and ready for the outbox.

use base64::Engine;
use i18n::Language;
use message::mime::Attachment;
use message::tx::{Transactional, TxDraft, TxEnvelope, TxRecipient};
use message::{BodyFormat, Sender, TemplateError};
use store::{NewTxMessage, TxTemplate};

use crate::error::request_language;
use crate::{AppError, AppState};

/// The most recipients one call may have.
pub(crate) const MAX_RECIPIENTS: usize = 1000;
/// The most files a message may carry, and their size together (decoded).
pub(crate) const MAX_ATTACHMENTS: usize = 10;
pub(crate) const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// The most bytes the messages of one call may come to: a call with files
/// for many recipients is split by its sender.
pub(crate) const MAX_CALL_BYTES: usize = 64 * 1024 * 1024;

/// Files that run code where they are opened: refused by name whatever
/// their declared type.
const RUNNABLE: [&str; 22] = [
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "js", "jse", "vbs", "vbe", "wsf", "hta",
    "ps1", "jar", "lnk", "reg", "sh", "iso",
];

/// The types a file may have, and the bytes its content must start with
/// (none: text, which must hold no NUL).
const TYPES: [(&str, &[&[u8]]); 14] = [
    ("application/pdf", &[b"%PDF-"]),
    ("image/png", &[b"\x89PNG\r\n\x1a\n"]),
    ("image/jpeg", &[b"\xff\xd8\xff"]),
    ("image/gif", &[b"GIF87a", b"GIF89a"]),
    ("image/webp", &[b"RIFF"]),
    ("application/zip", &[b"PK\x03\x04"]),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", &[b"PK\x03\x04"]),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &[b"PK\x03\x04"]),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", &[b"PK\x03\x04"]),
    ("text/plain", &[]),
    ("text/csv", &[]),
    ("text/calendar", &[]),
    ("text/vcard", &[]),
    ("application/json", &[]),
];

/// A file as a caller sends it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileInput {
    pub filename: String,
    /// One of: application/pdf, image/png, image/jpeg, image/gif,
    /// image/webp, application/zip, the Office Open XML types, text/plain,
    /// text/csv, text/calendar, text/vcard, application/json.
    pub content_type: String,
    /// The file's bytes in base64.
    pub content: String,
}

/// The files of a call, decoded and checked: each refused with its reason
/// (`attachments[1]`, "…").
pub(crate) fn attachments(files: &[FileInput]) -> Result<Vec<Attachment>, AppError> {
    let lang = request_language();
    if files.len() > MAX_ATTACHMENTS {
        return Err(AppError::field("attachments", lang.t1("err-tx-too-many-files", "max", MAX_ATTACHMENTS)));
    }
    let mut total = 0;
    let mut checked = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let field = format!("attachments[{i}]");
        let content = base64::engine::general_purpose::STANDARD
            .decode(file.content.trim())
            .map_err(|_| AppError::field(&format!("{field}.content"), lang.t("err-tx-file-base64")))?;
        total += content.len();
        if total > MAX_ATTACHMENT_BYTES {
            let max = MAX_ATTACHMENT_BYTES / (1024 * 1024);
            return Err(AppError::field(&field, lang.t1("err-tx-files-too-large", "max", max)));
        }
        let content_type = file.content_type.trim().to_ascii_lowercase();
        file_fault(&file.filename, &content_type, &content, lang).map_err(|why| AppError::field(&field, why))?;
        checked.push(Attachment { filename: file.filename.trim().to_owned(), content_type, content });
    }
    Ok(checked)
}

/// Why a file may not go, in `lang`: a name with a path or a control
/// character, a runnable file, a type not on the list, or content that is
/// not of its type.
fn file_fault(name: &str, content_type: &str, content: &[u8], lang: Language) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 200
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
        || name.starts_with('.')
    {
        return Err(lang.t("err-tx-file-name"));
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let runnable = content.starts_with(b"MZ") || content.starts_with(b"\x7fELF") || content.starts_with(b"#!");
    if RUNNABLE.contains(&extension.as_str()) || runnable {
        return Err(lang.t("err-tx-file-runnable"));
    }
    let Some((_, magic)) = TYPES.iter().find(|(kind, _)| *kind == content_type) else {
        return Err(lang.t1("err-tx-file-type", "value", format!("{content_type:?}")));
    };
    let fits = if magic.is_empty() {
        !content.contains(&0)
    } else {
        magic.iter().any(|m| content.starts_with(m))
            && (content_type != "image/webp" || content.get(8..12) == Some(b"WEBP".as_slice()))
    };
    if !fits {
        return Err(lang.t1("err-tx-file-content", "value", content_type.to_owned()));
    }
    Ok(())
}

/// What a message is made from: a stored template or the call's own.
pub(crate) struct Source<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    pub format: &'a str,
    pub text: &'a str,
    pub layout_id: Option<i64>,
    pub language: &'a str,
}

impl<'a> From<&'a TxTemplate> for Source<'a> {
    fn from(t: &'a TxTemplate) -> Self {
        Self {
            subject: &t.subject,
            body: &t.body,
            format: &t.body_format,
            text: &t.text_body,
            layout_id: t.layout_id,
            language: &t.language,
        }
    }
}

/// Compiles a template for `sender`: its faults (each with part, line and
/// column) as the API's field errors.
pub(crate) async fn compile(state: &AppState, source: &Source<'_>, sender: Sender) -> Result<Transactional, AppError> {
    let lang = request_language();
    let format = BodyFormat::parse(source.format)
        .ok_or_else(|| AppError::field("body_format", lang.t("err-campaign-body-format")))?;
    let language = Language::parse(source.language)
        .ok_or_else(|| AppError::field("language", lang.t1("err-campaign-language", "value", source.language)))?;
    let layout = match source.layout_id {
        None => None,
        Some(id) => Some(state.store().template(id).await?.ok_or_else(|| AppError::not_found("layout"))?.body),
    };
    let draft = TxDraft {
        subject: source.subject,
        format,
        body: source.body,
        layout: layout.as_deref(),
        text: source.text,
        language,
    };
    Transactional::compile(&draft, sender).map_err(|errors| fault(&errors[0]))
}

/// A template fault as a field error: `body, line 2, column 5: …`.
pub(crate) fn fault(e: &TemplateError) -> AppError {
    let field = match e.part.as_str() {
        "text" => "text_body",
        other => other,
    };
    AppError::field(field, e.to_string())
}

/// Who the messages are from: `from` (`Name <address>` or an address), the
/// reply address and the domain's identity block.
pub(crate) async fn sender(
    state: &AppState,
    from_name: &str,
    from_address: &str,
    reply_to: &str,
) -> Result<Sender, AppError> {
    let identity = prepare::sender_identity(state.store(), from_address).await.map_err(|e| match e {
        prepare::PrepareError::Store(e) => AppError::from(e),
        other => AppError::internal(other),
    })?;
    Ok(Sender {
        from_name: from_name.trim().to_owned(),
        from_address: from_address.trim().to_owned(),
        reply_to: Some(reply_to.trim().to_owned()).filter(|r| !r.is_empty()),
        public_url: state.config().public_url.trim_end_matches('/').to_owned(),
        identity: message::Identity {
            name: identity.name.trim().to_owned(),
            postal_address: identity.postal_address.trim().to_owned(),
            contact: identity.contact.trim().to_owned(),
        },
    })
}

/// In production, mail goes only from a domain with an active DKIM key
/// whose record has been seen: the reason otherwise.
pub(crate) async fn sending_domain_fault(state: &AppState, from_address: &str) -> Result<Option<String>, AppError> {
    if state.config().delivery_mode != domain::DeliveryMode::Production {
        return Ok(None);
    }
    let lang = request_language();
    let domain = domain::domain_of(from_address).to_ascii_lowercase();
    if state.store().active_dkim_keys(&domain).await?.is_empty() {
        return Ok(Some(lang.t1("err-tx-not-sending-domain", "domain", domain)));
    }
    if state.store().domain_verified_at(&domain).await?.is_none() {
        return Ok(Some(lang.t1("err-tx-unverified-domain", "domain", domain)));
    }
    Ok(None)
}

/// One recipient of a call, checked.
pub(crate) struct To {
    pub email: String,
    pub name: String,
    pub data: serde_json::Value,
}

/// Each recipient's message, built on the blocking pool (rendering is CPU
/// work): the message ready for the outbox, or why theirs cannot be made.
pub(crate) async fn build_all(
    template: std::sync::Arc<Transactional>,
    to: Vec<To>,
    template_id: Option<i64>,
    feedback_id: String,
    headers: Vec<(String, String)>,
    attachments: Vec<Attachment>,
    date: i64,
) -> Result<Vec<Result<NewTxMessage, TemplateError>>, AppError> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let share = to.len().div_ceil(cores).max(1);
    let shared = std::sync::Arc::new((feedback_id, headers, attachments));
    let mut tasks = Vec::new();
    let mut rest = to.into_iter();
    loop {
        let part: Vec<To> = rest.by_ref().take(share).collect();
        if part.is_empty() {
            break;
        }
        let (template, shared) = (template.clone(), shared.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            let (feedback_id, headers, attachments) = &*shared;
            part.iter()
                .map(|to| {
                    let domain = template.sender().domain().to_ascii_lowercase();
                    let id: String = message::secret::random_bytes::<12>().iter().map(|b| format!("{b:02x}")).collect();
                    let message_id = format!("tx.{id}@{domain}");
                    let envelope = TxEnvelope { message_id: &message_id, date, feedback_id, headers, attachments };
                    let recipient = TxRecipient { email: &to.email, name: &to.name, data: &to.data };
                    let built = template.build(&recipient, &envelope)?;
                    Ok(NewTxMessage {
                        to_address: to.email.clone(),
                        from_address: template.sender().from_address.clone(),
                        subject: built.subject,
                        message_id,
                        raw: built.bytes,
                        tx_template_id: template_id,
                    })
                })
                .collect::<Vec<_>>()
        }));
    }
    let mut built = Vec::new();
    for task in tasks {
        built.extend(task.await.map_err(AppError::internal)?);
    }
    Ok(built)
}
