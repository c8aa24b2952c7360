//! What a message sent back to us says: a bounce (an RFC 3464 DSN, or the
//! plain-text reports of Exim, Gmail and others), a complaint (an RFC 5965
//! ARF report), an auto-reply (not a bounce), or nothing we know.
//!
//! Pure functions of the bytes: no I/O, no panics on any input (fuzzed).

use mail_parser::{HeaderName, Message, MimeHeaders, PartType};

use replies::{self as reason, Reason};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    Bounce(Bounce),
    Complaint(Complaint),
    /// A mail client's unsubscribe message (Apple Mail's `X-Apple-Unsubscribe`).
    Unsubscribe,
    AutoReply,
    /// Parsed, but none of the above.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounce {
    pub failed: Vec<Failure>,
    /// The headers of the message that bounced, when the bounce has them.
    pub original: Original,
}

/// One recipient the bounce is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub recipient: String,
    /// `5.1.1`; empty when the bounce gives none.
    pub status: String,
    /// The receiver's words.
    pub diagnostic: String,
    /// A delay warning (DSN `Action: delayed`), not a failure yet.
    pub delayed: bool,
    pub reason: Reason,
}

/// What a bounce or complaint quotes of the original message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Original {
    pub message_id: Option<String>,
    pub return_path: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Complaint {
    /// `abuse`, `fraud`, `not-spam`, …
    pub feedback_type: String,
    pub user_agent: String,
    /// The complaining recipient, when the report names them.
    pub recipient: Option<String>,
    pub original_mail_from: Option<String>,
    pub source_ip: Option<String>,
    pub original: Original,
}

/// Reads a message sent to one of our addresses. No text in what it
/// returns holds a control character other than line breaks and tabs (a
/// NUL in a `Diagnostic-Code` would be refused by the database, every time
/// the sender tried again).
pub fn parse(raw: &[u8]) -> Feedback {
    let mut feedback = read(raw);
    match &mut feedback {
        Feedback::Bounce(b) => {
            for f in &mut b.failed {
                for text in [&mut f.recipient, &mut f.status, &mut f.diagnostic] {
                    tidy(text);
                }
            }
            tidy_original(&mut b.original);
        }
        Feedback::Complaint(c) => {
            for text in [&mut c.feedback_type, &mut c.user_agent] {
                tidy(text);
            }
            for text in [&mut c.recipient, &mut c.original_mail_from, &mut c.source_ip].into_iter().flatten() {
                tidy(text);
            }
            tidy_original(&mut c.original);
        }
        Feedback::Unsubscribe | Feedback::AutoReply | Feedback::Other => {}
    }
    feedback
}

fn tidy_original(original: &mut Original) {
    for text in [&mut original.message_id, &mut original.return_path, &mut original.to].into_iter().flatten() {
        tidy(text);
    }
}

/// Control characters but line breaks and tabs become spaces.
fn tidy(text: &mut String) {
    let unfit = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.contains(unfit) {
        *text = text.replace(unfit, " ");
    }
}

fn read(raw: &[u8]) -> Feedback {
    let Some(message) = message::parse::parse(raw) else { return Feedback::Other };
    let report_type = message
        .content_type()
        .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    if report_type.as_deref() == Some("feedback-report") || part_of_type(&message, "feedback-report").is_some() {
        return Feedback::Complaint(complaint(&message));
    }
    if let Some(c) = hotmail_complaint(&message) {
        return Feedback::Complaint(c);
    }
    if has_header(&message, "x-apple-unsubscribe") {
        return Feedback::Unsubscribe;
    }
    if is_auto_reply(&message) {
        return Feedback::AutoReply;
    }
    if let Some(status) = part_of_type(&message, "delivery-status") {
        let mut failed = dsn_fields(&status);
        // Many MTAs leave the receiver's words out of the report part
        // (no Diagnostic-Code, or only a program's exit code) and put
        // them in the notice beside it.
        let notice = notification_text(&message);
        for f in failed.iter_mut().filter(|f| !plausible(&f.recipient)) {
            // `Final-Recipient: rfc822; @mx.example.org`: the notice names it.
            if let Some(named) = addresses_in(&notice).into_iter().next() {
                f.recipient = named;
            }
        }
        for f in failed.iter_mut().filter(|f| !f.diagnostic.contains(char::is_alphabetic)) {
            let lower = notice.to_ascii_lowercase();
            if lower.contains(&f.recipient) {
                f.diagnostic = around(&notice, &f.recipient);
                f.status = settled_status(Some(f.status.clone()).filter(|s| !s.is_empty()), &f.diagnostic);
                f.reason = reason::reason(&f.status, &f.diagnostic);
            }
        }
        if failed.is_empty() {
            // A report without its per-recipient part: a bounce all the
            // same, its recipient known from the address it came to.
            failed.push(Failure {
                recipient: String::new(),
                status: String::new(),
                diagnostic: "a delivery report without recipient fields".into(),
                delayed: false,
                reason: Reason::Undefined,
            });
        }
        return Feedback::Bounce(Bounce { failed, original: original(&message) });
    }
    // A report whose parts lost their headers: its fields are in the text,
    // or quoted in a forward of it (`> Final-Recipient: …`).
    let text = String::from_utf8_lossy(raw);
    for text in [text.clone(), unquoted(&text).into()] {
        let failed = dsn_fields(&text);
        if !failed.is_empty() {
            return Feedback::Bounce(Bounce { failed, original: original(&message) });
        }
    }
    if let Some(failed) = ses_notification(&message) {
        return Feedback::Bounce(Bounce { failed, original: original(&message) });
    }
    match plain_bounce(&message) {
        Some(failed) if !failed.is_empty() => Feedback::Bounce(Bounce { failed, original: original(&message) }),
        _ => Feedback::Other,
    }
}

/// Whether a recipient field is more than a domain (`@mx.example.org`).
fn plausible(address: &str) -> bool {
    !address.is_empty() && !address.starts_with('@')
}

/// A forwarded text without its quote marks (`> `).
fn unquoted(text: &str) -> String {
    text.lines()
        .map(|l| l.strip_prefix('>').map_or(l, |rest| rest.strip_prefix(' ').unwrap_or(rest)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Amazon SES's bounce notification, mailed by SNS as JSON (a relay's
/// report when mail goes out through SES): its bounced recipients.
fn ses_notification(message: &Message<'_>) -> Option<Vec<Failure>> {
    let text = message.body_text(0)?;
    let json = text.trim_start();
    if !json.starts_with('{') || !json.contains("notificationType") {
        return None;
    }
    // SNS folds the JSON into lines, even inside its strings, and ends the
    // notice with lines of its own after `--`.
    let json: String =
        json.split("\n--").next().unwrap_or(json).chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let mut value: serde_json::Value = serde_json::Deserializer::from_str(&json).into_iter().next()?.ok()?;
    // Raw SNS delivery wraps the notification in an envelope as a string.
    if let Some(inner) = value["Message"].as_str() {
        value = serde_json::from_str(inner).ok()?;
    }
    if value["notificationType"] != "Bounce" {
        return None;
    }
    let failed: Vec<Failure> = value["bounce"]["bouncedRecipients"]
        .as_array()?
        .iter()
        .take(10)
        .filter_map(|r| {
            let recipient = r["emailAddress"].as_str()?.trim().to_ascii_lowercase();
            let diagnostic = r["diagnosticCode"].as_str().map(diagnostic_text).unwrap_or_default();
            let given = r["status"].as_str().and_then(reason::status_in);
            let status = settled_status(given, &diagnostic);
            let reason = reason::reason(&status, &diagnostic);
            Some(Failure { recipient, status, diagnostic, delayed: false, reason })
        })
        .collect();
    (!failed.is_empty()).then_some(failed)
}

fn has_header(message: &Message<'_>, name: &str) -> bool {
    message.headers().iter().any(|h| h.name.as_str().eq_ignore_ascii_case(name))
}

/// Outlook.com's feedback loop (JMRP): not ARF, but the complained-of
/// message attached, its recipient in `X-HmXmrOriginalRecipient`.
fn hotmail_complaint(message: &Message<'_>) -> Option<Complaint> {
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    let attached = message.parts.iter().find_map(|part| match &part.body {
        PartType::Message(m) => Some(m),
        _ => None,
    })?;
    let recipient = attached
        .headers()
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case("x-hmxmroriginalrecipient"))
        .and_then(|h| h.value.as_text())
        .map(|r| r.trim().to_ascii_lowercase());
    if recipient.is_none() && !subject.contains("complaint about message") {
        return None;
    }
    Some(Complaint {
        feedback_type: "abuse".into(),
        user_agent: "Outlook.com JMRP".into(),
        recipient,
        original_mail_from: None,
        source_ip: None,
        original: original(message),
    })
}

/// RFC 3834 and the usual vacation markers. A bounce from a mailer daemon
/// also says `Auto-Submitted: auto-replied`, so only messages that do not
/// look like a failure report count.
fn is_auto_reply(message: &Message<'_>) -> bool {
    let header = |name: &str| {
        message
            .headers()
            .iter()
            .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
            .and_then(|h| h.value.as_text().map(str::to_ascii_lowercase))
    };
    let from =
        message.from().and_then(|f| f.first()).and_then(|a| a.address()).unwrap_or_default().to_ascii_lowercase();
    let daemon = from.starts_with("mailer-daemon") || from.starts_with("postmaster") || from.is_empty();
    if daemon || header("x-failed-recipients").is_some() {
        return false;
    }
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    header("auto-submitted").is_some_and(|v| v.starts_with("auto-replied"))
        || header("x-autoreply").is_some()
        || header("x-autorespond").is_some()
        || header("precedence").is_some_and(|v| v == "auto_reply")
        || ["out of office", "automatic reply", "auto reply", "autoreply", "vacation", "abwesenheit", "不在"]
            .iter()
            .any(|w| subject.contains(w))
}

/// The bytes of the first part whose type is `message/<subtype>` or
/// `text/<subtype>`.
fn part_of_type(message: &Message<'_>, subtype: &str) -> Option<String> {
    message.parts.iter().find_map(|part| {
        let ct = part.content_type()?;
        let wanted = ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case(subtype))
            && (ct.ctype().eq_ignore_ascii_case("message") || ct.ctype().eq_ignore_ascii_case("text"));
        if !wanted {
            return None;
        }
        Some(match &part.body {
            PartType::Text(t) => t.to_string(),
            PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b).into_owned(),
            PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
            _ => {
                String::from_utf8_lossy(message.raw_message().get(part.offset_body as usize..part.offset_end as usize)?)
                    .into_owned()
            }
        })
    })
}

/// Header-style fields (`Name: value`, continuation lines folded) in
/// groups separated by blank lines.
fn field_groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups = Vec::new();
    let mut group: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !group.is_empty() {
                groups.push(std::mem::take(&mut group));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            group.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

fn field<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// `rfc822; user@example.org` → `user@example.org`.
fn address_of(value: &str) -> String {
    let value = value.split_once(';').map_or(value, |(_, a)| a);
    value.trim().trim_matches(['<', '>']).trim().to_owned()
}

/// The per-recipient fields of a `message/delivery-status` part.
fn dsn_fields(text: &str) -> Vec<Failure> {
    let mut failed = Vec::new();
    for group in field_groups(text) {
        let Some(recipient) = field(&group, "final-recipient").or_else(|| field(&group, "original-recipient")) else {
            continue;
        };
        let action = field(&group, "action").unwrap_or("failed").to_ascii_lowercase();
        if action.starts_with("delivered") || action.starts_with("relayed") || action.starts_with("expanded") {
            continue;
        }
        let diagnostic = field(&group, "diagnostic-code").map(diagnostic_text).unwrap_or_default();
        let given = field(&group, "status").and_then(reason::status_in);
        let status = settled_status(given, &diagnostic);
        let reason = reason::reason(&status, &diagnostic);
        // "Delayed" with 4.4.7, delivery time expired (OpenSMTPD): the
        // message was given up.
        let delayed = action.starts_with("delayed") && !status.ends_with(".4.7");
        failed.push(Failure {
            recipient: address_of(recipient).to_ascii_lowercase(),
            status,
            diagnostic,
            delayed,
            reason,
        });
    }
    failed
}

/// The status of a failure: the report's own, unless the receiver's words
/// hold a code of the same class that says more. A reporting MTA often puts
/// a generic 5.0.0, its own 4.4.7 (gave up) or a code of its choosing
/// beside the receiver's reply (`550 5.7.1 IP address blacklisted`).
fn settled_status(given: Option<String>, diagnostic: &str) -> String {
    match (given, last_status_in(diagnostic)) {
        (Some(given), Some(said))
            if said.get(..1) == given.get(..1) && !said.ends_with(".0.0") && !diagnostic.contains(&given) =>
        {
            said
        }
        (given, said) => given.or(said).unwrap_or_default(),
    }
}

/// The last enhanced status code in a text: a relay's report puts its own
/// category first and the receiver's reply after (Amazon SES: `5.1.0 -
/// Unknown address error 550-'5.2.2 … Mailbox Full'`).
fn last_status_in(text: &str) -> Option<String> {
    let mut last = None;
    let mut rest = text;
    while let Some(code) = reason::status_in(rest) {
        let Some(at) = rest.find(&code) else { break };
        rest = &rest[at + code.len()..];
        last = Some(code);
    }
    last
}

/// `smtp; 550 5.1.1 …` → `550 5.1.1 …`.
fn diagnostic_text(value: &str) -> String {
    let text = match value.split_once(';') {
        Some((kind, rest)) if !kind.contains(' ') => rest.trim(),
        _ => value.trim(),
    };
    jis_decoded(text)
}

/// A bounce without a delivery-status part: the failed recipients from
/// `X-Failed-Recipients` or the notification text, each with the text
/// around it as the diagnostic.
fn plain_bounce(message: &Message<'_>) -> Option<Vec<Failure>> {
    let from =
        message.from().and_then(|f| f.first()).and_then(|a| a.address()).unwrap_or_default().to_ascii_lowercase();
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    let listed: Vec<String> = message
        .headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case("x-failed-recipients"))
        .filter_map(|h| h.value.as_text())
        .flat_map(|v| v.split(',').map(|a| a.trim().to_ascii_lowercase()).collect::<Vec<_>>())
        // Exim lists pipes and files too (`|/usr/bin/x`, `/var/mail/x`).
        .filter(|a| a.contains('@') && !a.contains(char::is_whitespace) && !a.starts_with(['|', '/']))
        .collect();
    let daemon = from.starts_with("mailer-daemon") || from.starts_with("postmaster") || from.is_empty();
    let looks = ["undeliver", "delivery", "failure", "returned", "failed", "not delivered", "rejected", "delayed"]
        .iter()
        .any(|w| subject.contains(w));
    let text = notification_text(message);
    let lower = text.to_ascii_lowercase();
    // The standard sentences of MTAs' notices say it whoever sends them
    // (a carrier's no-reply address, a subject in Japanese).
    let says = [
        "could not be delivered to",
        "did not reach the following recipient",
        "wasn't able to deliver your message",
        "was not able to deliver your message",
        "unable to deliver your message",
        "delivery to the following recipient",
        "error has occurred while attempting to deliver a message",
    ]
    .iter()
    .any(|p| lower.contains(p));
    if listed.is_empty() && !(daemon && looks) && !says {
        return None;
    }
    let delayed = subject.contains("delayed")
        || subject.starts_with("warning")
        || lower.contains("has not yet been delivered")
        || lower.contains("warning only")
        || lower.contains("will be retried")
        || lower.contains("temporary failure");
    let mut recipients = if listed.is_empty() { addresses_in(&text) } else { listed };
    if recipients.is_empty() {
        // An old sendmail names no address: the returned copy's To does.
        recipients.extend(returned_to(message));
    }
    // A bounce is about one message to one of ours; a header listing
    // thousands would only cost time.
    recipients.dedup();
    recipients.truncate(10);
    Some(
        recipients
            .into_iter()
            .map(|recipient| {
                let diagnostic = around(&text, &recipient);
                let status = reason::status_in(&diagnostic).unwrap_or_default();
                let reason = reason::reason(&status, &diagnostic);
                Failure { recipient, status, diagnostic, delayed, reason }
            })
            .collect(),
    )
}

/// The human-readable notice: the first text part, up to the copy of the
/// original message.
fn notification_text(message: &Message<'_>) -> String {
    let text = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let cut = [
        "------ This is a copy of the message",
        "----- Original message -----",
        "------ Original message ------",
        "----- Original Message -----",
        "--- Below this line is a copy of the message.",
        "----- Unsent message follows -----",
        "----- Original message follows -----",
        "Return-Path:",
        "Received:",
    ]
    .iter()
    .filter_map(|marker| text.find(marker))
    .min()
    .unwrap_or(text.len());
    jis_decoded(&text[..cut])
}

/// Text in ISO-2022-JP that came without its charset (old Japanese MTAs,
/// Lotus Notes) still holds its escape sequences: decoded here. Any other
/// text is returned as it is.
fn jis_decoded(text: &str) -> String {
    if text.is_ascii() && (text.contains("\x1b$B") || text.contains("\x1b$@")) {
        encoding_rs::ISO_2022_JP.decode_without_bom_handling(text.as_bytes()).0.into_owned()
    } else {
        text.to_owned()
    }
}

/// The recipient in the `To:` of the copy a bounce returns, when the notice
/// itself names none.
fn returned_to(message: &Message<'_>) -> Option<String> {
    let text = message.body_text(0)?;
    let copy = ["----- Unsent message follows -----", "----- Original message follows -----"]
        .iter()
        .find_map(|marker| text.find(marker).map(|at| &text[at..]))?;
    let line = copy
        .lines()
        .take_while(|l| !l.trim().is_empty() || l.contains("-----"))
        .find(|l| l.len() > 3 && l[..3].eq_ignore_ascii_case("to:"))?;
    addresses_in(&line[3..]).into_iter().next()
}

/// The recipients a notice lists one to a line in its MTA's form: a
/// sendmail transcript (`554 <a@b>... 550 Host unknown`), qmail (`<a@b>:`),
/// OpenSMTPD (`a@b: 550 …`), Exchange 2003 (`a@b on <date>` after "did not
/// reach the following recipient(s)").
fn transcript_recipients(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut add = |address: &str| {
        let address = address.to_ascii_lowercase();
        if address.contains('@') && !address.contains(char::is_whitespace) && !found.contains(&address) {
            found.push(address);
        }
    };
    let lower = text.to_ascii_lowercase();
    // sendmail and those that copy it: the addresses under "The following
    // addresses had …", up to the next "-----" line.
    if let Some(at) = lower.find("the following addresses had") {
        for line in text[at..].lines().skip(1).map(str::trim).take_while(|l| !l.starts_with("---")) {
            let line = line.trim_matches(['<', '>']);
            if !line.contains([' ', '(']) {
                add(line);
            }
        }
    }
    let exchange = ["did not reach the following recipient", "following recipient(s) could not be reached"];
    if let Some(at) = exchange.iter().find_map(|marker| lower.find(marker)) {
        for line in text[at..].lines().skip(1).map(str::trim) {
            if let Some((address, _)) = line.split_once(" on ") {
                add(address);
            }
        }
    }
    for line in text.lines().map(str::trim) {
        if let Some(address) = line.strip_prefix('<').and_then(|l| l.strip_suffix(">:")) {
            add(address);
            continue;
        }
        // OpenSMTPD: `a@b: 550 5.2.2 <a@b>... Mailbox Full`.
        if let Some((address, reply)) = line.split_once(": ")
            && reply.len() > 3
            && reply.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && reply.starts_with(['4', '5'])
            && !address.contains(['<', ' '])
        {
            add(address);
            continue;
        }
        let Some((code, rest)) = line.split_once(' ') else { continue };
        if code.len() != 3 || !code.starts_with(['4', '5']) || !code.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Some((address, _)) = rest.strip_prefix('<').and_then(|r| r.split_once(">...")) {
            add(address);
        }
    }
    found
}

/// The addresses a notice names (in angle brackets or alone on a line):
/// every recipient its MTA's list gives, else the first address.
fn addresses_in(text: &str) -> Vec<String> {
    let transcript = transcript_recipients(text);
    if !transcript.is_empty() {
        return transcript;
    }
    let mut found = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '"' | ',' | ';')) {
        let word = word.trim_end_matches([':', '.']).to_ascii_lowercase();
        let Some((local, domain)) = word.split_once('@') else { continue };
        if local.is_empty() || !domain.contains('.') || local.starts_with("mailer-daemon") || local == "postmaster" {
            continue;
        }
        if !found.contains(&word) {
            found.push(word);
        }
    }
    found.truncate(1);
    found
}

/// The notice's words about `recipient`: the lines from its first mention
/// to the next blank line, or the whole notice when it is not named.
fn around(text: &str, recipient: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let lines: Vec<&str> = text.lines().collect();
    let lower_lines: Vec<&str> = lower.lines().collect();
    let start = lower_lines.iter().position(|l| l.contains(recipient));
    let chosen: Vec<&str> = match start {
        Some(i) => {
            // The sentence about it may come first, in the same paragraph
            // (`The user(s) account is disabled.` then the address).
            let first = (0..i)
                .rev()
                .take_while(|&n| {
                    let line = lines[n].trim();
                    !line.is_empty() && !line.starts_with("---") && !line.contains('@')
                })
                .last()
                .unwrap_or(i);
            let mut out: Vec<&str> = lines[first..i].iter().map(|l| l.trim()).collect();
            for (n, line) in lines.iter().enumerate().skip(i) {
                let another = n > i && line.contains('@') && !lower_lines[n].contains(recipient);
                if (line.trim().is_empty() && n > i + 1) || another {
                    break;
                }
                out.push(line.trim());
            }
            // The receiver's reply often comes after a blank line (Gmail).
            if reason::status_in(&out.join(" ")).is_none() {
                out = lines[first..].iter().map(|l| l.trim()).collect();
            }
            out
        }
        None => lines.iter().map(|l| l.trim()).collect(),
    };
    let mut joined = chosen.into_iter().filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    // An address alone in its paragraph: the notice's sentences above or
    // below it are about it (`The user(s) account is disabled.`).
    if !joined.to_ascii_lowercase().replace(recipient, "").contains(char::is_alphabetic) {
        joined = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    }
    joined.chars().take(1000).collect()
}

/// The quoted original's Message-ID, Return-Path and To: from a
/// `message/rfc822` part, a `text/rfc822-headers` part, or the text after
/// a "copy of the message" line.
fn original(message: &Message<'_>) -> Original {
    let quoted = message.parts.iter().find_map(|part| match &part.body {
        PartType::Message(m) => Some(m.raw_message().to_vec()),
        _ => None,
    });
    let quoted = quoted.or_else(|| part_of_type(message, "rfc822-headers").map(String::into_bytes)).or_else(|| {
        let text = message.body_text(0)?;
        let at = ["Return-Path:", "Return-path:", "Received:"].iter().filter_map(|m| text.find(m)).min()?;
        Some(text[at..].as_bytes().to_vec())
    });
    let Some(quoted) = quoted else { return Original::default() };
    let Some(parsed) = message::parse::parse_headers(&quoted) else { return Original::default() };
    let text = |name: HeaderName<'_>| {
        parsed.header(name).and_then(|v| match v {
            mail_parser::HeaderValue::Text(t) => Some(t.to_string()),
            mail_parser::HeaderValue::Address(a) => a.first().and_then(|a| a.address()).map(str::to_owned),
            _ => None,
        })
    };
    Original {
        message_id: parsed.message_id().map(str::to_owned),
        return_path: text(HeaderName::ReturnPath).map(|r| r.trim_matches(['<', '>', ' ']).to_owned()),
        to: parsed.to().and_then(|t| t.first()).and_then(|a| a.address()).map(str::to_ascii_lowercase),
    }
}

/// The fields of an ARF report and its quoted original.
fn complaint(message: &Message<'_>) -> Complaint {
    let report = part_of_type(message, "feedback-report").unwrap_or_default();
    let fields: Vec<(String, String)> = field_groups(&report).into_iter().flatten().collect();
    let get = |name: &str| field(&fields, name).map(str::to_owned);
    let original = original(message);
    let recipient = get("original-rcpt-to")
        .or_else(|| get("removal-recipient"))
        .map(|r| address_of(&r).to_ascii_lowercase())
        .or_else(|| original.to.clone());
    Complaint {
        feedback_type: get("feedback-type").unwrap_or_else(|| "abuse".into()).to_ascii_lowercase(),
        user_agent: get("user-agent").unwrap_or_default(),
        recipient,
        original_mail_from: get("original-mail-from").map(|r| address_of(&r)),
        source_ip: get("source-ip"),
        original,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "From: MAILER-DAEMON@mx.example.org\r\nTo: b-1-x@bounce.shop.example\r\nSubject: Undelivered Mail\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
        --B\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n\
        --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n\
        Final-Recipient: rfc822; Ann@Example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
        Diagnostic-Code: smtp; 550 5.1.1 <ann@example.org>: Recipient address\r\n rejected: User unknown\r\n\r\n\
        --B\r\nContent-Type: text/rfc822-headers\r\n\r\nReturn-Path: <b-1-x@bounce.shop.example>\r\n\
        Message-ID: <7.1.2@shop.example>\r\nTo: ann@example.org\r\n\r\n--B--\r\n";

    #[test]
    fn mail_that_makes_the_parser_panic_reads_as_unreadable_feedback() {
        // A nested message opened on the boundary line (mail-parser panics
        // on it; message::parse guards that).
        let nested = b"1. \nContent-Type:multipart/ed;boundary=B00\nN\n\n--B00Content-Type:message/rfc822\n\n\
Content-Type:message/rfc822\n\n\n--B00--\n";
        assert!(matches!(parse(nested), Feedback::Other | Feedback::Bounce(_)));
    }

    #[test]
    fn a_nul_in_a_bounce_never_reaches_what_is_kept() {
        let dsn = DSN.replace("Diagnostic-Code: smtp; 550", "Diagnostic-Code: smtp; 550\0 \x01");
        let Feedback::Bounce(b) = parse(dsn.as_bytes()) else { panic!("a bounce") };
        let f = &b.failed[0];
        assert!(!f.diagnostic.contains(|c: char| c.is_control() && c != '\n' && c != '\t'), "{:?}", f.diagnostic);
        assert_eq!(f.status, "5.1.1");
    }

    #[test]
    fn a_dsn_names_the_recipient_status_reason_and_original() {
        let Feedback::Bounce(b) = parse(DSN.as_bytes()) else { panic!("a bounce") };
        assert_eq!(b.failed.len(), 1);
        let f = &b.failed[0];
        assert_eq!(
            (f.recipient.as_str(), f.status.as_str(), f.reason),
            ("ann@example.org", "5.1.1", Reason::UserUnknown)
        );
        assert_eq!(f.diagnostic, "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown");
        assert_eq!(b.original.return_path.as_deref(), Some("b-1-x@bounce.shop.example"));
        assert_eq!(b.original.message_id.as_deref(), Some("7.1.2@shop.example"));
    }

    #[test]
    fn vacation_replies_are_not_bounces() {
        let raw = "From: ann@example.org\r\nTo: b-1-x@bounce.shop.example\r\nSubject: Out of Office: Autumn sale\r\n\
                   Auto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n";
        assert_eq!(parse(raw.as_bytes()), Feedback::AutoReply);
    }

    #[test]
    fn garbage_is_other() {
        assert_eq!(parse(b""), Feedback::Other);
        assert_eq!(parse(b"\x00\xff\xfe garbage"), Feedback::Other);
        assert_eq!(parse(b"Subject: hello\r\n\r\nhi"), Feedback::Other);
    }
}
