//! Renders a ~20 KB HTML campaign (template, tracking links, MIME; no
//! signature) for many subscribers on one thread and prints
//! `render: N msgs in S s = R msg/s`. `NINSHO_BENCH_MESSAGES` sets N.

use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use message::{BodyFormat, Campaign, Draft, Recipient, SecretKey, Sender, default_layout};

fn main() {
    let count: usize = std::env::var("NINSHO_BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let mut body = String::from("<h1>Hello {{ subscriber.name | default('there') }}</h1>\n");
    let mut i = 0;
    while body.len() < 20_000 {
        body.push_str(&format!(
            "<h2>Story {i}</h2><p>{} <a href=\"https://shop.example/item/{i}?utm_source=newsletter\">Read more</a> \
             {{{{ subscriber.attributes.city | default('your town') }}}}.</p>\n",
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. ".repeat(4)
        ));
        i += 1;
    }
    let draft = Draft {
        subject: "News for {{ subscriber.name }}",
        alt_subjects: &[],
        preheader: "This week's picks",
        format: BodyFormat::Html,
        body: &body,
        layout: default_layout(i18n::Language::English),
        text: "",
        track_clicks: true,
        track_opens: true,
        language: i18n::Language::English,
        charset: Default::default(),
        text_footer: true,
    };
    let compiled = message::compose::compile(&draft).unwrap_or_else(|e| panic!("{e:?}"));
    let sender = Sender {
        from_name: "Shop".into(),
        from_address: "news@shop.example".into(),
        reply_to: None,
        public_url: "https://news.shop.example".into(),
        identity: Default::default(),
    };
    let campaign = Campaign::new(1, "bench", sender, &compiled, false).unwrap_or_else(|e| panic!("{e}"));
    let key = SecretKey::random();
    let attributes = serde_json::json!({ "city": "Kyoto", "plan": "gold" });
    let names: Vec<String> = (0..1000).map(|i| format!("Subscriber {i}")).collect();
    let emails: Vec<String> = (0..1000).map(|i| format!("s{i}@example.org")).collect();

    let recipient = |n: usize| Recipient {
        delivery_id: n as i64,
        subscriber_id: n as i64 + 1,
        email: &emails[n % 1000],
        name: &names[n % 1000],
        attributes: &attributes,
        list_id: 1,
        list_name: "Weekly",
        variant: 0,
    };

    let started = Instant::now();
    let mut bytes = 0usize;
    for n in 0..count {
        bytes += campaign.build(&key, &recipient(n), 1_795_000_000).unwrap_or_else(|e| panic!("{e}")).bytes.len();
    }
    let secs = started.elapsed().as_secs_f64();

    let templates = Instant::now();
    for n in 0..count / 4 {
        std::hint::black_box(campaign.render(&key, &recipient(n)).unwrap_or_else(|e| panic!("{e}")));
    }
    let templates_rate = (count / 4) as f64 / templates.elapsed().as_secs_f64();

    // With the RSA-2048 DKIM signature every message gets.
    let dkim = message::dkim::generate_rsa().unwrap_or_else(|e| panic!("{e}"));
    let signer =
        message::dkim::Signer::new("shop.example", ("s1", &dkim.private_pkcs8), None).unwrap_or_else(|e| panic!("{e}"));
    let signed_count = count / 5;
    let signing = Instant::now();
    for n in 0..signed_count {
        let built = campaign.build(&key, &recipient(n), 1_795_000_000).unwrap_or_else(|e| panic!("{e}"));
        std::hint::black_box(signer.sign(&built.bytes).unwrap_or_else(|e| panic!("{e}")));
    }
    let signed_secs = signing.elapsed().as_secs_f64();

    println!("templates alone: {templates_rate:.0} msg/s (subject, preheader, HTML and text with signed links)");
    println!(
        "render+dkim: {signed_count} msgs in {signed_secs:.2} s = {:.0} msg/s (RSA-2048 signature, one thread)",
        signed_count as f64 / signed_secs
    );
    println!(
        "render: {count} msgs in {secs:.2} s = {:.0} msg/s ({} links, {:.1} KB HTML source, {:.1} KB per message)",
        count as f64 / secs,
        compiled.links.len(),
        body.len() as f64 / 1024.0,
        bytes as f64 / count as f64 / 1024.0
    );
}
