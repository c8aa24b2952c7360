//! No value can add a header or end the header block, whatever a subscriber,
//! a marketer or a stored row put into it: every header that carries a
//! rendered or stored value is tried with CR, LF, CRLF, NUL and other
//! control characters, in short and long values, and the raw message is read
//! back with a real MIME parser.

use mail_parser::MessageParser;
use message::{BodyFormat, Campaign, Draft, Recipient, SecretKey, Sender, default_layout};

/// What an attacker types between the words: each can end a header line for
/// some reader.
const BREAKS: [&str; 9] = ["\r", "\n", "\r\n", "\0", "\r\n\r\n", "\n\n", "\u{85}", "\u{2028}", "\x0b\x0c\x1b"];

/// Short and long values around each break: ASCII (written as it is), a
/// very long ASCII word (written as encoded words) and Japanese (encoded).
fn hostile_values() -> Vec<String> {
    let mut values = Vec::new();
    for b in BREAKS {
        values.push(format!("B{b}Reply-To: attacker@evil.example"));
        values.push(format!("Ann{b}X-Injected: yes{b}{b}<p>attacker body</p>"));
        values.push(format!("{}{b}X-Injected: yes", "a".repeat(1200)));
        values.push(format!("{}{b}X-Injected: yes{b}", "word ".repeat(60)));
        values.push(format!("{}{b}X-Injected: はい", "山田花子".repeat(40)));
    }
    values
}

/// The header block of `raw`: lines end in CRLF, continuation lines start
/// with a space or tab, every other line is `Name: value`, no control byte
/// but tab, and no line passes 998 octets.
fn check_header_block(raw: &[u8], value: &str) -> Vec<String> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block") + 2;
    let block = &raw[..end];
    let mut names = Vec::new();
    for line in block.split_inclusive(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r\n").unwrap_or_else(|| panic!("{value:?}: a line without CRLF: {line:?}"));
        assert!(line.len() <= 998, "{value:?}: a header line of {} octets", line.len());
        assert!(
            !line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f),
            "{value:?}: a control byte in {:?}",
            String::from_utf8_lossy(line)
        );
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        let colon = line.iter().position(|b| *b == b':').unwrap_or_else(|| {
            panic!("{value:?}: a line that is neither a header nor a continuation: {:?}", String::from_utf8_lossy(line))
        });
        names.push(String::from_utf8_lossy(&line[..colon]).into_owned());
    }
    names
}

/// Text with every run of white space as one space, for comparing text
/// that was folded.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn campaign(value: &str) -> Campaign {
    let draft = Draft {
        subject: "Hello {{ subscriber.name }} from {{ subscriber.attributes.city }}, {{ list.name }}: {{ campaign.name }}",
        alt_subjects: &[],
        preheader: "{{ subscriber.name }}",
        format: BodyFormat::Markdown,
        body: "Static body.",
        layout: default_layout(i18n::Language::English),
        text: "",
        track_clicks: true,
        track_opens: true,
        language: i18n::Language::English,
        charset: Default::default(),
        text_footer: true,
    };
    let compiled = message::compose::compile(&draft).expect("compiles");
    let sender = Sender {
        from_name: value.into(),
        from_address: "news@shop.example".into(),
        reply_to: Some("support@shop.example\r\nBcc: spy@evil.example".into()),
        public_url: "https://news.shop.example".into(),
        identity: Default::default(),
    };
    Campaign::new(12, value, sender, &compiled, false).expect("templates")
}

#[test]
fn no_value_adds_a_header_to_a_campaign_message() {
    let key = SecretKey::from_bytes([7; 32]);
    let expected = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Reply-To",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Id",
        "Feedback-ID",
        "MIME-Version",
        "Content-Type",
    ];
    for value in hostile_values() {
        let attributes = serde_json::json!({ "city": value });
        let to = Recipient {
            delivery_id: 1,
            subscriber_id: 2,
            email: "reader@example.jp",
            name: &value,
            attributes: &attributes,
            list_id: 3,
            list_name: &value,
            variant: 0,
        };
        let built = campaign(&value).build(&key, &to, 1_795_000_000).expect("builds");
        assert_eq!(check_header_block(&built.bytes, &value), expected, "{value:?}");

        let message = MessageParser::default().parse(&built.bytes).expect("parses");
        let names: Vec<String> = message.headers().iter().map(|h| h.name.as_str().to_ascii_lowercase()).collect();
        assert_eq!(names, expected.map(str::to_ascii_lowercase), "{value:?}");
        // The subscriber's words stay in the subject, as words.
        let subject = message.subject().expect("a subject");
        assert!(subject.starts_with("Hello "), "{subject:?}");
        assert!(!subject.contains(|c: char| c.is_control()), "{subject:?}");
        assert!(subject.contains("X-Injected") || subject.contains("Reply-To"), "{subject:?}");
        assert_eq!(words(subject), words(&message::mime::header_text(&built.subject)));
        // The one Reply-To is ours; the body is the campaign's.
        let reply_to = message.reply_to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default();
        assert!(reply_to.starts_with("support@shop.example"), "{reply_to:?}");
        // (The layout's footer names the list: as escaped text, after the body.)
        let text = message.body_text(0).expect("a text part");
        assert!(text.trim_start().starts_with("Static body."), "{value:?}: {text:?}");
        let html = message.body_html(0).expect("an HTML part");
        assert!(html.contains("Static body.") && !html.contains("<p>attacker body</p>"), "{value:?}");
    }
}

#[test]
fn no_value_adds_a_header_to_a_confirmation() {
    for value in hostile_values() {
        let subject = format!("Confirm your subscription to {value}");
        let from = format!("{value} <news@shop.example>");
        let raw =
            message::mime::plain(&from, "reader@example.jp", &subject, "Confirm:\nhttps://x", "1.2@shop.example", 0);
        let names = check_header_block(&raw, &value);
        let expected = [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "MIME-Version",
            "Content-Type",
            "Content-Transfer-Encoding",
        ];
        assert_eq!(names, expected, "{value:?}");
        let message = MessageParser::default().parse(&raw).expect("parses");
        let subject = message.subject().expect("a subject");
        assert!(subject.starts_with("Confirm your subscription to "), "{subject:?}");
        assert!(!subject.contains(|c: char| c.is_control()), "{subject:?}");
        let from = message.from().and_then(|a| a.first()).expect("From");
        assert_eq!(from.address(), Some("news@shop.example"));
        assert_eq!(message.body_text(0).as_deref(), Some("Confirm:\r\nhttps://x"));
    }
}
