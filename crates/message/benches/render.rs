//! Renders a ~20 KB HTML campaign (template, tracking links, MIME; no
//! signature) for many subscribers on one thread and prints
//! `render: N msgs in S s = R msg/s`. `NINSHO_BENCH_MESSAGES` sets N.

use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use message::{BodyFormat, Campaign, DEFAULT_LAYOUT, Draft, Recipient, SecretKey, Sender};

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
        layout: DEFAULT_LAYOUT,
        text: "",
        track_clicks: true,
        track_opens: true,
    };
    let compiled = message::compose::compile(&draft).unwrap_or_else(|e| panic!("{e:?}"));
    let sender = Sender {
        from_name: "Shop".into(),
        from_address: "news@shop.example".into(),
        reply_to: None,
        public_url: "https://news.shop.example".into(),
    };
    let campaign = Campaign::new(1, "bench", sender, &compiled, false).unwrap_or_else(|e| panic!("{e}"));
    let key = SecretKey::random();
    let key_for_links = key.clone();
    let attributes = serde_json::json!({ "city": "Kyoto", "plan": "gold" });
    let names: Vec<String> = (0..1000).map(|i| format!("Subscriber {i}")).collect();
    let emails: Vec<String> = (0..1000).map(|i| format!("s{i}@example.org")).collect();

    let started = Instant::now();
    let mut bytes = 0usize;
    for n in 0..count {
        let to = Recipient {
            delivery_id: n as i64,
            subscriber_id: n as i64 + 1,
            email: &emails[n % 1000],
            name: &names[n % 1000],
            attributes: &attributes,
            list_id: 1,
            list_name: "Weekly",
            variant: 0,
        };
        bytes += campaign.build(&key, &to, 1_795_000_000).unwrap_or_else(|e| panic!("{e}")).bytes.len();
    }
    let secs = started.elapsed().as_secs_f64();
    let render_only = Instant::now();
    for n in 0..count / 4 {
        let to = Recipient {
            delivery_id: n as i64,
            subscriber_id: n as i64 + 1,
            email: &emails[n % 1000],
            name: &names[n % 1000],
            attributes: &attributes,
            list_id: 1,
            list_name: "Weekly",
            variant: 0,
        };
        std::hint::black_box(campaign.render(&key, &to).unwrap_or_else(|e| panic!("{e}")));
    }
    eprintln!("templates alone: {:.0} msg/s", (count / 4) as f64 / render_only.elapsed().as_secs_f64());

    // With the RSA-2048 DKIM signature every message gets.
    let key = message::dkim::generate_rsa().unwrap_or_else(|e| panic!("{e}"));
    let signer =
        message::dkim::Signer::new("shop.example", ("s1", &key.private_pkcs8), None).unwrap_or_else(|e| panic!("{e}"));
    let signed_count = count / 5;
    let signing = Instant::now();
    for n in 0..signed_count {
        let to = Recipient {
            delivery_id: n as i64,
            subscriber_id: n as i64 + 1,
            email: &emails[n % 1000],
            name: &names[n % 1000],
            attributes: &attributes,
            list_id: 1,
            list_name: "Weekly",
            variant: 0,
        };
        let built = campaign.build(&key_for_links, &to, 1_795_000_000).unwrap_or_else(|e| panic!("{e}"));
        std::hint::black_box(signer.sign(&built.bytes).unwrap_or_else(|e| panic!("{e}")));
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "render+dkim: {signed_count} msgs in {secs:.2} s = {:.0} msg/s (RSA-2048, one thread)",
        signed_count as f64 / secs
    );
    println!(
        "render: {count} msgs in {secs:.2} s = {:.0} msg/s ({} links, {:.1} KB HTML source, {:.1} KB per message)",
        count as f64 / secs,
        compiled.links.len(),
        body.len() as f64 / 1024.0,
        bytes as f64 / count as f64 / 1024.0
    );
}
