//! Golden tests of whole messages: the bytes of a rendered campaign are
//! compared with the files in `tests/golden/`, and parsed back to check what
//! a mail client would see. `NINSHO_BLESS=1 cargo test -p message` rewrites
//! the files after an intended change; review the diff before committing.

use std::path::PathBuf;

use mail_parser::{MessageParser, MimeHeaders};
use message::links::{self, Track};
use message::{BodyFormat, Campaign, Draft, Recipient, SecretKey, Sender, default_layout};

const DATE: i64 = 1_795_000_000;

fn key() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

fn campaign(draft: &Draft<'_>, from_name: &str) -> Campaign {
    let compiled = message::compose::compile(draft).expect("compiles");
    let sender = Sender {
        from_name: from_name.into(),
        from_address: "news@shop.example".into(),
        reply_to: Some("support@shop.example".into()),
        public_url: "https://news.shop.example".into(),
        identity: Default::default(),
    };
    Campaign::new(12, "November", sender, &compiled, false).expect("templates")
}

fn check_golden(name: &str, bytes: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("NINSHO_BLESS").is_some() {
        std::fs::write(&path, bytes).expect("write golden file");
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run with NINSHO_BLESS=1)", path.display()));
    assert!(expected == bytes, "{name} differs from its golden file:\n{}", String::from_utf8_lossy(bytes));
}

fn longest_line(bytes: &[u8]) -> usize {
    bytes.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l).len()).max().unwrap_or(0)
}

#[test]
fn japanese_markdown_campaign() {
    let body = "# {{ subscriber.name | default(\"お客様\") }}さん、こんにちは\n\n\
                {{ subscriber.attributes.city | default(\"全国\") }}の冬のセールが始まりました。\n\n\
                [セール会場へ](https://shop.example/sale?utm=nl&id=7)\n\n\
                {% if subscriber.attributes.vip %}VIP 会員様には送料無料。{% endif %}\n";
    let draft = Draft {
        subject: "【冬のセール】{{ subscriber.name }}さんへのご案内",
        alt_subjects: &[],
        preheader: "最大50%オフ",
        format: BodyFormat::Markdown,
        body,
        layout: default_layout(i18n::Language::English),
        text: "",
        track_clicks: true,
        track_opens: true,
        language: i18n::Language::English,
        charset: Default::default(),
        text_footer: true,
    };
    let campaign = campaign(&draft, "ショップ通信");
    let attributes = serde_json::json!({ "city": "大阪", "vip": true });
    let to = Recipient {
        delivery_id: 345,
        subscriber_id: 77,
        email: "hanako@example.jp",
        name: "山田 花子",
        attributes: &attributes,
        list_id: 3,
        list_name: "Weekly",
        variant: 0,
    };
    let bytes = campaign.build(&key(), &to, DATE).expect("builds").bytes;
    check_golden("japanese-markdown.eml", &bytes);

    assert!(longest_line(&bytes) <= 998);
    assert!(bytes.is_ascii(), "8-bit bytes on the wire");
    let message = MessageParser::default().parse(&bytes).expect("parses");
    assert_eq!(message.subject(), Some("【冬のセール】山田 花子さんへのご案内"));
    let from = message.from().and_then(|a| a.first()).expect("From");
    assert_eq!((from.name(), from.address()), (Some("ショップ通信"), Some("news@shop.example")));
    assert_eq!(message.to().and_then(|a| a.first()).and_then(|a| a.name()), Some("山田 花子"));
    assert_eq!(message.message_id(), Some("12.345.1795000000@shop.example"));
    assert!(message.date().is_some());
    assert_eq!(message.reply_to().and_then(|a| a.first()).and_then(|a| a.address()), Some("support@shop.example"));
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    assert_eq!(header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert_eq!(header("List-Id"), "\"Weekly\" <list-3.shop.example>");
    assert_eq!(header("Feedback-ID"), "12:3:newsletter:ninsho");
    let unsubscribe = header("List-Unsubscribe");
    assert!(unsubscribe.starts_with("<https://news.shop.example/u/77.3.0."), "{unsubscribe}");
    assert!(unsubscribe.contains("<mailto:unsubscribe@bounce.shop.example?subject=unsubscribe%2077.3.0."));
    assert_eq!(message.content_type().map(|c| c.c_subtype.as_deref()), Some(Some("alternative")));

    let text = message.body_text(0).expect("text part");
    let html = message.body_html(0).expect("html part");
    for part in [&text, &html] {
        assert!(part.contains("山田 花子さん、こんにちは"), "{part}");
        assert!(part.contains("大阪の冬のセール"));
        assert!(part.contains("VIP 会員様には送料無料"));
        assert!(!part.contains("shop.example/sale"), "an untracked link: {part}");
    }
    assert!(html.contains("最大50%オフ"));
    // Every tracking link in the HTML is signed for this campaign, link and subscriber.
    let clicks: Vec<&str> = html.split("https://news.shop.example/t/c/").skip(1).collect();
    assert!(!clicks.is_empty());
    for rest in clicks {
        let token = &rest[..rest.find('"').expect("quoted")];
        let claims = links::verify_track(&key(), Track::Click, token).expect("signed");
        assert_eq!((claims.campaign_id, claims.link, claims.subscriber_id), (12, 0, 77));
    }
    let open = html.split("https://news.shop.example/t/o/").nth(1).expect("open pixel");
    assert!(links::verify_track(&key(), Track::Open, &open[..open.find('"').expect("quoted")]).is_some());
}

#[test]
fn html_campaign_with_long_lines_and_a_hand_written_text() {
    let long_paragraph = format!("<p>{}</p>", "word ".repeat(600));
    let body =
        format!("<h1>Hello {{{{ subscriber.name }}}}</h1>{long_paragraph}<a href=\"https://example.org/x\">x</a>");
    let draft = Draft {
        subject: "Plain ASCII subject",
        alt_subjects: &[],
        preheader: "",
        format: BodyFormat::Html,
        body: &body,
        layout: default_layout(i18n::Language::English),
        text: "Hello {{ subscriber.name }}, read it at {{ view_in_browser_url }}",
        track_clicks: false,
        track_opens: false,
        language: i18n::Language::English,
        charset: Default::default(),
        text_footer: true,
    };
    let campaign = campaign(&draft, "Shop");
    let attributes = serde_json::json!({});
    let to = Recipient {
        delivery_id: 1,
        subscriber_id: 5,
        email: "ann@example.org",
        name: "",
        attributes: &attributes,
        list_id: 9,
        list_name: "Ünïcode list",
        variant: 0,
    };
    let bytes = campaign.build(&key(), &to, DATE).expect("builds").bytes;
    check_golden("html-long-lines.eml", &bytes);
    assert!(longest_line(&bytes) <= 998);
    let message = MessageParser::default().parse(&bytes).expect("parses");
    assert_eq!(message.header_raw("List-Id").map(str::trim), Some("<list-9.shop.example>"));
    let text = message.body_text(0).expect("text");
    assert!(text.starts_with("Hello , read it at https://news.shop.example/t/v/12.0.5."), "{text}");
    let html = message.body_html(0).expect("html");
    assert!(html.contains("href=\"https://example.org/x\""), "untracked when click tracking is off");
    assert!(!html.contains("/t/o/"));
    assert_eq!(html.matches("word ").count(), 600);
}

/// Tracked links in a quoted-printable message go where compose marked them,
/// each signed for its own index; the preview shows the same copy; and a
/// subscriber whose data holds the bytes of a mark adds no link.
#[test]
fn links_are_filled_while_encoding_and_subscribers_cannot_add_any() {
    let body = "<p>Hi {{ subscriber.name }} from {{ subscriber.attributes.city }}</p>\n\
                <p><a href=\"https://example.org/a?x=1&amp;y=2\">A</a> and \
                <a href=\"https://example.org/b\">B</a> then <a href=\"https://example.org/a?x=1&amp;y=2\">A again</a></p>\n\
                {% for i in [1, 2] %}<a href=\"https://example.org/loop\">loop {{ i }}</a>\n{% endfor %}";
    let draft = Draft {
        subject: "Links",
        alt_subjects: &[],
        preheader: "",
        format: BodyFormat::Html,
        body,
        layout: default_layout(i18n::Language::English),
        text: "",
        track_clicks: true,
        track_opens: true,
        language: i18n::Language::English,
        charset: Default::default(),
        text_footer: true,
    };
    let campaign = campaign(&draft, "Shop");
    let attributes = serde_json::json!({ "city": "Na\u{1}1\u{2}ra" });
    let to = Recipient {
        delivery_id: 2,
        subscriber_id: 8,
        email: "kim@example.org",
        name: "Kim \u{1}0\u{2}",
        attributes: &attributes,
        list_id: 4,
        list_name: "Weekly",
        variant: 0,
    };
    let bytes = campaign.build(&key(), &to, DATE).expect("builds").bytes;
    let body_at = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a body");
    assert!(longest_line(&bytes[body_at..]) <= 76, "quoted-printable lines are short");
    let message = MessageParser::default().parse(&bytes).expect("parses");
    let html = message.body_html(0).expect("html").into_owned();
    let text = message.body_text(0).expect("text").into_owned();
    assert!(html.contains("Hi Kim 0 from Na1ra"), "{html}");
    for (part, expected) in [(&html, &[0, 1, 0, 2, 2][..]), (&text, &[0, 1, 0, 2][..])] {
        assert!(!part.contains('\u{1}') && !part.contains('\u{2}'), "{part}");
        let indexes: Vec<i64> = part
            .split("https://news.shop.example/t/c/")
            .skip(1)
            .map(|rest| {
                let token: String =
                    rest.chars().take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect();
                let claims = links::verify_track(&key(), Track::Click, &token).expect("signed");
                assert_eq!((claims.campaign_id, claims.subscriber_id), (12, 8));
                claims.link
            })
            .collect();
        // a, b, a again, then the loop's link (twice in the HTML; the text
        // lists the loop's link once): no more, no fewer.
        assert_eq!(indexes, expected, "{part}");
    }
    let preview = campaign.render(&key(), &to).expect("renders");
    assert_eq!(html.replace("\r\n", "\n"), preview.html);
    assert_eq!(text.replace("\r\n", "\n"), preview.text);
}

/// A Japanese campaign in the built-in layout prints the sender's identity
/// block (特定電子メール法) in Japanese words, in both parts, escaped.
#[test]
fn japanese_layout_prints_the_sender_identity() {
    let draft = Draft {
        subject: "お知らせ",
        alt_subjects: &[],
        preheader: "",
        format: BodyFormat::Markdown,
        body: "本文です。",
        layout: default_layout(i18n::Language::Japanese),
        text: "",
        track_clicks: false,
        track_opens: false,
        language: i18n::Language::Japanese,
        charset: Default::default(),
        text_footer: true,
    };
    let compiled = message::compose::compile(&draft).expect("compiles");
    let sender = Sender {
        from_name: "ショップ通信".into(),
        from_address: "news@shop.example".into(),
        reply_to: None,
        public_url: "https://news.shop.example".into(),
        identity: message::Identity {
            name: "株式会社ショップ <b>".into(),
            postal_address: "〒530-0001 大阪府大阪市北区梅田1-1-1".into(),
            contact: "support@shop.example".into(),
        },
    };
    let campaign = Campaign::new(12, "November", sender, &compiled, false).expect("templates");
    let attributes = serde_json::json!({});
    let to = Recipient {
        delivery_id: 2,
        subscriber_id: 8,
        email: "taro@example.jp",
        name: "",
        attributes: &attributes,
        list_id: 3,
        list_name: "週刊ニュース",
        variant: 0,
    };
    let bytes = campaign.build(&key(), &to, DATE).expect("builds").bytes;
    check_golden("japanese-identity.eml", &bytes);
    let message = MessageParser::default().parse(&bytes).expect("parses");
    let html = message.body_html(0).expect("html");
    assert!(html.contains("<html lang=\"ja\">"), "{html}");
    assert!(
        html.contains("発行：株式会社ショップ &lt;b&gt;<br>住所：〒530-0001 大阪府大阪市北区梅田1-1-1<br>"),
        "{html}"
    );
    assert!(html.contains("配信停止・お問い合わせ：support@shop.example</p>"), "{html}");
    assert!(html.contains("このメールは週刊ニュースにご登録いただいた方にお送りしています。"));
    let text = message.body_text(0).expect("text");
    assert!(
        text.trim_end().ends_with(
            "\n発行：株式会社ショップ <b>\n住所：〒530-0001 大阪府大阪市北区梅田1-1-1\n配信停止・お問い合わせ：support@shop.example"
        ),
        "{text}"
    );
}

/// Without an identity the built-in layout prints no empty block.
#[test]
fn no_identity_no_block() {
    let layout = default_layout(i18n::Language::English);
    assert!(layout.contains("{% if sender.name %}<p>Sent by {{ sender.name }}<br>"), "{layout}");
}

/// An ISO-2022-JP campaign: 7bit JIS text and HTML parts whose HTML says
/// its charset, the subject and names in ISO-2022-JP encoded words, and a
/// subscriber's character outside JIS X 0208 sent as 〓.
#[test]
fn iso_2022_jp_campaign() {
    let draft = Draft {
        subject: "【冬のセール】{{ subscriber.name }}様へのご案内",
        alt_subjects: &[],
        preheader: "最大50%オフ",
        format: BodyFormat::Markdown,
        body: "# 冬のセール\n\n大阪の冬のセールが始まりました。\n\n[会場へ](https://shop.example/sale)\n",
        layout: default_layout(i18n::Language::Japanese),
        text: "",
        track_clicks: true,
        track_opens: false,
        language: i18n::Language::Japanese,
        charset: message::jis::Charset::Iso2022Jp,
        text_footer: true,
    };
    let campaign = campaign(&draft, "ショップ通信");
    let attributes = serde_json::json!({});
    let to = Recipient {
        delivery_id: 3,
        subscriber_id: 9,
        email: "takako@example.jp",
        name: "山田 髙子",
        attributes: &attributes,
        list_id: 3,
        list_name: "週刊ニュース",
        variant: 0,
    };
    let bytes = campaign.build(&key(), &to, DATE).expect("builds").bytes;
    check_golden("iso-2022-jp.eml", &bytes);
    assert!(bytes.is_ascii(), "7bit");
    assert!(longest_line(&bytes) <= 998);
    let raw = String::from_utf8_lossy(&bytes);
    assert!(raw.contains("Content-Transfer-Encoding: 7bit\r\n"), "{raw}");
    assert!(!raw.contains("utf-8"), "no part or header says UTF-8: {raw}");
    let message = MessageParser::default().parse(&bytes).expect("parses");
    assert_eq!(message.subject(), Some("【冬のセール】山田 〓子様へのご案内"));
    let from = message.from().and_then(|a| a.first()).expect("From");
    assert_eq!((from.name(), from.address()), (Some("ショップ通信"), Some("news@shop.example")));
    assert_eq!(message.to().and_then(|a| a.first()).and_then(|a| a.name()), Some("山田 〓子"));
    let text = message.body_text(0).expect("text");
    assert!(text.contains("大阪の冬のセールが始まりました。"), "{text}");
    assert!(text.contains("配信停止: https://news.shop.example/u/9.3.0."), "{text}");
    let html = message.body_html(0).expect("html");
    assert!(html.contains("<meta charset=\"iso-2022-jp\">"), "{html}");
    assert!(html.contains("最大50%オフ") && html.contains("https://news.shop.example/t/c/12.0.9."), "{html}");
    // The layout's · goes out as ・; the one 〓 is the subscriber's 髙 in the title.
    assert!(html.contains("</a> ・") && html.matches('〓').count() == 1, "{html}");
}
