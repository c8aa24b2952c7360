//! Transactional mail: a receipt, a password reset, a notice that an
//! application sends to one person at a time. Compiled once from a template
//! (stored, or given inline with the call) by the same path as campaigns,
//! then rendered per recipient with the data the application gave for them,
//! in the same sandbox. No list headers, no tracking and no list footer: the
//! reader asked for this message, and an application that wants an
//! unsubscribe header adds its own.
//!
//! Templates see `to.email`, `to.name`, `data` (the recipient's data, any
//! JSON), `subscriber` (the same as a campaign sees it: email, name and
//! `attributes`, which are the data) and `sender` (the domain's identity).

use i18n::Language;
use minijinja::{Value, context};

use crate::compose::{self, BodyFormat, Draft};
use crate::mime::{self, Attachment};
use crate::template::{TemplateError, Templates};
use crate::{Built, Rendered, Sender};

/// The layout a transactional template without one of its own renders in:
/// the campaign layout's look, without its footer.
const LAYOUT_SOURCE: &str = include_str!("tx_layout.html");

/// The built-in transactional layout in `language` (its `lang` attribute).
pub fn default_layout(language: Language) -> String {
    LAYOUT_SOURCE.replace("[[lang]]", language.code())
}

/// What the application (or the marketer who wrote the stored template)
/// wrote.
#[derive(Debug, Clone, Copy)]
pub struct TxDraft<'a> {
    pub subject: &'a str,
    pub format: BodyFormat,
    pub body: &'a str,
    /// A layout with one `{{ content }}`; None: the built-in one.
    pub layout: Option<&'a str>,
    /// A hand-written text part; empty: made from the HTML.
    pub text: &'a str,
    pub language: Language,
}

/// One recipient and the data their copy is rendered with.
#[derive(Debug, Clone, Copy)]
pub struct TxRecipient<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub data: &'a serde_json::Value,
}

/// What a message carries besides its rendered parts.
#[derive(Debug, Clone, Copy)]
pub struct TxEnvelope<'a> {
    /// Without angle brackets.
    pub message_id: &'a str,
    /// Unix time.
    pub date: i64,
    /// `Feedback-ID`, so that a provider's complaint loop names the stream.
    pub feedback_id: &'a str,
    /// Headers the application added, each name checked by
    /// [`mime::extra_header_name`] (others are left out).
    pub headers: &'a [(String, String)],
    pub attachments: &'a [Attachment],
}

/// A compiled transactional template: cheap to share between threads.
pub struct Transactional {
    sender: Sender,
    sender_value: Value,
    templates: Templates,
}

impl Transactional {
    /// Checks and compiles `draft`; every fault is reported at once, with its
    /// part, line and column, as for a campaign.
    pub fn compile(draft: &TxDraft<'_>, sender: Sender) -> Result<Self, Vec<TemplateError>> {
        let built_in;
        let layout = match draft.layout {
            Some(layout) => layout,
            None => {
                built_in = default_layout(draft.language);
                &built_in
            }
        };
        let compiled = compose::compile(&Draft {
            subject: draft.subject,
            alt_subjects: &[],
            preheader: "",
            format: draft.format,
            body: draft.body,
            layout,
            text: draft.text,
            track_clicks: false,
            track_opens: false,
            language: draft.language,
            charset: crate::jis::Charset::Utf8,
            text_footer: false,
        })?;
        let templates = Templates::compile(vec![
            ("subject.txt".to_owned(), compiled.subject),
            ("body.html".to_owned(), compiled.html),
            ("body.txt".to_owned(), compiled.text),
        ])
        .map_err(|e| vec![e])?;
        let identity = &sender.identity;
        let sender_value = context! {
            name => identity.name.clone(),
            postal_address => identity.postal_address.clone(),
            contact => identity.contact.clone(),
        };
        Ok(Self { sender, sender_value, templates })
    }

    /// Who it is from.
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// `to`'s subject, HTML and text.
    pub fn render(&self, to: &TxRecipient<'_>) -> Result<Rendered, TemplateError> {
        let data = Value::from(minijinja::value::Serde(to.data));
        let person = |data: &Value| {
            context! { email => to.email, name => to.name, attributes => data.clone() }
        };
        let head = context! {
            to => person(&data),
            subscriber => person(&data),
            data => data.clone(),
            sender => self.sender_value.clone(),
        };
        let subject = self.templates.render("subject.txt", &head)?.trim().to_owned();
        let full = context! { subject => subject.as_str(), preheader => "", ..head };
        let html = self.templates.render("body.html", &full)?;
        let text = self.templates.render("body.txt", &full)?;
        Ok(Rendered { subject, html, text })
    }

    /// The message to sign and send.
    pub fn build(&self, to: &TxRecipient<'_>, envelope: &TxEnvelope<'_>) -> Result<Built, TemplateError> {
        let copy = self.render(to)?;
        let headers = mime::Headers {
            from_name: &self.sender.from_name,
            from_address: &self.sender.from_address,
            reply_to: self.sender.reply_to.as_deref(),
            to_name: to.name,
            to_address: to.email,
            message_id: envelope.message_id,
            date: envelope.date,
            list: None,
            feedback_id: envelope.feedback_id,
            extra: envelope.headers,
            charset: crate::jis::Charset::Utf8,
        };
        let bytes = mime::build_with(&headers, &copy.subject, &copy.text, &copy.html, &[], envelope.attachments);
        Ok(Built { subject: copy.subject, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MimeHeaders;

    fn sender() -> Sender {
        Sender {
            from_name: "Shop".into(),
            from_address: "orders@shop.example".into(),
            reply_to: None,
            public_url: "https://news.shop.example".into(),
            identity: Default::default(),
        }
    }

    fn receipt() -> Transactional {
        let draft = TxDraft {
            subject: "Order {{ data.order }} received",
            format: BodyFormat::Markdown,
            body: "# Thank you, {{ to.name }}\n\n{% for item in data.items %}- {{ item }}\n{% endfor %}",
            layout: None,
            text: "",
            language: Language::English,
        };
        Transactional::compile(&draft, sender()).expect("compiles")
    }

    #[test]
    fn each_recipient_gets_their_own_data_and_no_list_headers() {
        let data = serde_json::json!({ "order": "A-17", "items": ["boots", "<scarf>"] });
        let to = TxRecipient { email: "mika@example.jp", name: "Mika", data: &data };
        let headers = [("X-Order".to_owned(), "A-17".to_owned()), ("DKIM-Signature".to_owned(), "v=1".to_owned())];
        let envelope = TxEnvelope {
            message_id: "t1.abc@shop.example",
            date: 1_795_000_000,
            feedback_id: "receipt:tx:ninsho",
            headers: &headers,
            attachments: &[],
        };
        let built = receipt().build(&to, &envelope).expect("builds");
        assert_eq!(built.subject, "Order A-17 received");
        let text = String::from_utf8_lossy(&built.bytes);
        assert!(text.contains("X-Order: A-17\r\n"), "{text}");
        // A header ninsho writes itself is not the sender's to add.
        assert!(!text.contains("DKIM-Signature"), "{text}");
        assert!(!text.contains("List-Unsubscribe"), "{text}");
        assert!(!text.contains("List-Id"), "{text}");
        let message = mail_parser::MessageParser::default().parse(&built.bytes).expect("parses");
        let html = message.body_html(0).expect("html");
        assert!(html.contains("Thank you, Mika"), "{html}");
        // Data is escaped in HTML, as a subscriber's attributes are.
        assert!(html.contains("&lt;scarf&gt;"), "{html}");
        let plain = message.body_text(0).expect("text");
        assert!(plain.contains("boots"), "{plain}");
        // No list footer in the text part.
        assert!(!plain.to_lowercase().contains("unsubscribe"), "{plain}");
    }

    #[test]
    fn files_go_in_a_mixed_message_and_come_out_intact() {
        let data = serde_json::json!({ "order": "A-18", "items": [] });
        let to = TxRecipient { email: "ken@example.jp", name: "", data: &data };
        let pdf: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
        let files = [
            Attachment {
                filename: "領収書.pdf".into(), content_type: "application/pdf".into(), content: pdf.clone()
            },
            Attachment { filename: "note.txt".into(), content_type: "text/plain".into(), content: b"hello\n".to_vec() },
        ];
        let envelope = TxEnvelope {
            message_id: "t2.abc@shop.example",
            date: 1_795_000_000,
            feedback_id: "tx",
            headers: &[],
            attachments: &files,
        };
        let built = receipt().build(&to, &envelope).expect("builds");
        let message = mail_parser::MessageParser::default().parse(&built.bytes).expect("parses");
        assert_eq!(message.attachment_count(), 2);
        let first = message.attachment(0).expect("the pdf");
        assert_eq!(first.attachment_name(), Some("領収書.pdf"));
        assert_eq!(first.contents(), pdf.as_slice());
        assert_eq!(message.attachment(1).expect("the note").contents(), b"hello\n");
        assert!(message.body_html(0).expect("html").contains("Thank you"));
        for line in built.bytes.split(|&b| b == b'\n') {
            assert!(line.len() <= 998, "a line of {} octets", line.len());
        }
    }

    #[test]
    fn faults_name_their_part_line_and_column() {
        let draft = TxDraft {
            subject: "Hi",
            format: BodyFormat::Html,
            body: "<p>ok</p>\n<p>{{ data.x </p>",
            layout: None,
            text: "",
            language: Language::Japanese,
        };
        let errors = Transactional::compile(&draft, sender()).err().expect("refused");
        assert_eq!(errors[0].part, "body");
        assert_eq!(errors[0].line, 2);
    }
}
