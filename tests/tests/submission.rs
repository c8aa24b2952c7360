//! SMTP submission in the lab, driven by a foreign client (swaks): 587 with
//! STARTTLS and 465 with TLS from the start, AUTH only inside TLS, wrong
//! passwords refused and then throttled, no relay without a login, From
//! and envelope senders only in the credential's domains, a credential
//! only from its networks, a network credential without a login, hold and
//! release. Every accepted message reaches the lab's MX signed for its
//! author domain and passes the receiver's checks.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration as StdDuration;

use anyhow::{Context, Result};
use chrono::Utc;
use delivery::{Engine, EngineConfig};
use submission::{Config, Submission};
use tests::lab::{Dns, SOURCE, Sink, TestCa, TransportOptions, check, transport};
use tests::spawn_app;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const FROM_DOMAIN: &str = "news.lab.test";

/// The two listeners of the submission role: STARTTLS and implicit TLS.
struct Listeners {
    starttls: SocketAddr,
    tls: SocketAddr,
    _stop: tokio_util::sync::CancellationToken,
}

async fn listeners(store: &store::Store, ca: &TestCa) -> Result<Listeners> {
    let config = smtpd::ListenerConfig {
        hostname: "submit.lab.test".into(),
        tls: Some(ca.issue("submit.lab.test")?.server_config()?),
        ..Default::default()
    };
    let mailbox = Submission::new(
        store.clone(),
        Config {
            hostname: "submit.lab.test".into(),
            require_identity: false,
            failure_delay: StdDuration::from_millis(10),
        },
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let mut addrs = Vec::new();
    for implicit_tls in [false, true] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        addrs.push(listener.local_addr()?);
        let config = smtpd::ListenerConfig { implicit_tls, ..config.clone() };
        tokio::spawn(smtpd::serve(listener, config, mailbox.clone(), stop.clone()));
    }
    Ok(Listeners { starttls: addrs[0], tls: addrs[1], _stop: stop })
}

/// Runs swaks against `server` with `args`: whether it succeeded, and its
/// transcript (the server's replies are on lines starting with `<-` or `<~`).
async fn swaks<A: AsRef<std::ffi::OsStr>>(server: SocketAddr, args: &[A]) -> Result<(bool, String)> {
    let mut command = std::process::Command::new("swaks");
    command.arg("--server").arg(server.to_string()).args(["--timeout", "20"]).args(args);
    let output = tokio::task::spawn_blocking(move || command.output()).await?.context("running swaks")?;
    let transcript = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), transcript))
}

/// A credential made as the dashboard and the CLI make them: its password.
async fn credential(
    store: &store::Store,
    name: &str,
    networks: &[&str],
    hold: bool,
    with_password: bool,
) -> Result<Option<String>> {
    let networks: Vec<ipnet::IpNet> = networks.iter().map(|n| n.parse()).collect::<Result<_, _>>()?;
    let (new, password) = submission::new_credential(
        name,
        &[FROM_DOMAIN.to_owned()],
        &networks,
        600,
        10_000,
        hold,
        with_password,
        "lab",
    )?;
    store.create_credential(&new).await?;
    Ok(password)
}

/// A reply line of the server with `code` in a transcript.
fn replied(transcript: &str, code: &str) -> bool {
    // swaks marks a refusal with `*` after the arrow.
    transcript.lines().any(|l| {
        (l.starts_with("<-") || l.starts_with("<~")) && l[2..].trim_start_matches(['*', ' ']).starts_with(code)
    })
}

#[tokio::test]
async fn applications_submit_with_a_credential_and_nothing_else_gets_through() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let ca = TestCa::new()?;
    let sink = Sink::start([127, 0, 0, 13], 0, ca.issue("mx.example.org")?, Default::default()).await?;
    let zone = tests::lab::sender_zone(store, &app.key, FROM_DOMAIN, false, &[(SOURCE, "mta.lab.test")])
        .await?
        .mx("example.org", 10, "mx.example.org")
        .a("mx.example.org", [127, 0, 0, 13]);
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, sink.addr.port(), TransportOptions::default()).await?;
    let config = EngineConfig { public_url: app.url.clone(), batch: 100, ..Default::default() };
    let mut engine = Engine::new(store.clone(), app.key.clone(), config, smtp);
    let submit = listeners(store, &ca).await?;

    let app_password = credential(store, "app", &[], false, true).await?.context("a password")?;
    let office_password = credential(store, "office", &["127.0.0.1/32"], false, true).await?.context("a password")?;
    let review_password = credential(store, "review", &[], true, true).await?.context("a password")?;
    let victim_password = credential(store, "victim", &[], false, true).await?.context("a password")?;
    credential(store, "printer", &["127.0.0.60/32"], false, false).await?;
    let from = format!("orders@{FROM_DOMAIN}");
    let login = |user: &'static str, password: &str| {
        ["--auth", "PLAIN", "--auth-user", user, "--auth-password"]
            .map(str::to_owned)
            .into_iter()
            .chain([password.to_owned()])
    };

    // 587: STARTTLS, then AUTH PLAIN. Bcc and an old signature of ours go,
    // a third party's signature stays.
    let mut sent: Vec<String> = login("app", &app_password).collect();
    sent.extend(
        [
            "--tls",
            "--from",
            &from,
            "--to",
            "ann@example.org",
            "--header",
            "Subject: Your order 1",
            "--add-header",
            "Bcc: hidden@example.org",
            "--add-header",
            "DKIM-Signature: v=1; a=rsa-sha256; d=news.lab.test; s=stale; h=from; bh=x; b=y",
            "--add-header",
            "DKIM-Signature: v=1; a=rsa-sha256; d=esp.example; s=k1; h=from; bh=x; b=y",
            "--body",
            "Thank you for your order.",
        ]
        .map(str::to_owned),
    );
    let (ok, transcript) = swaks(submit.starttls, &sent).await?;
    assert!(ok && replied(&transcript, "250 2.0.0 queued as m"), "{transcript}");

    // 465: TLS from the first byte, AUTH LOGIN.
    let mut on_465: Vec<String> =
        ["--tlsc", "--auth", "LOGIN", "--auth-user", "app", "--auth-password"].map(str::to_owned).to_vec();
    on_465.push(app_password.clone());
    on_465.extend(["--from", &from, "--to", "bob@example.org", "--header", "Subject: Your order 2"].map(str::to_owned));
    let (ok, transcript) = swaks(submit.tls, &on_465).await?;
    assert!(ok && replied(&transcript, "250 2.0.0 queued as m"), "{transcript}");

    // AUTH is not offered before TLS, and refused if tried.
    let stream = tokio::net::TcpStream::connect(submit.starttls).await?;
    let mut io = BufReader::new(stream);
    let mut said = String::new();
    for line in ["EHLO client.example\r\n", "AUTH PLAIN AGFwcABzZWNyZXQ=\r\n", "QUIT\r\n"] {
        io.get_mut().write_all(line.as_bytes()).await?;
    }
    while io.read_line(&mut said).await? > 0 {}
    assert!(!said.contains("AUTH PLAIN LOGIN"), "no AUTH in the clear: {said}");
    assert!(said.contains("538 5.7.11"), "{said}");

    // No login, no relay.
    let (ok, transcript) = swaks(submit.starttls, &["--tls", "--from", &from, "--to", "carol@example.org"]).await?;
    assert!(!ok && replied(&transcript, "530 5.7.0"), "{transcript}");

    // Senders outside the credential's domains: the envelope, then the From.
    let mut outside: Vec<String> = login("app", &app_password).collect();
    outside.extend(["--tls", "--from", "boss@evil.example", "--to", "carol@example.org"].map(str::to_owned));
    let (ok, transcript) = swaks(submit.starttls, &outside).await?;
    assert!(!ok && replied(&transcript, "553 5.7.1"), "{transcript}");
    let mut forged: Vec<String> = login("app", &app_password).collect();
    forged.extend(
        ["--tls", "--from", &from, "--to", "carol@example.org", "--header", "From: CEO <ceo@evil.example>"]
            .map(str::to_owned),
    );
    let (ok, transcript) = swaks(submit.starttls, &forged).await?;
    assert!(!ok && replied(&transcript, "550 5.7.1"), "{transcript}");

    // A credential only from its network.
    let mut elsewhere: Vec<String> = login("office", &office_password).collect();
    elsewhere.extend(["--tls", "-li", "127.0.0.77", "--from", &from, "--to", "carol@example.org"].map(str::to_owned));
    let (ok, transcript) = swaks(submit.starttls, &elsewhere).await?;
    assert!(!ok && replied(&transcript, "535 5.7.8") && transcript.contains("127.0.0.77"), "{transcript}");
    let mut at_home: Vec<String> = login("office", &office_password).collect();
    at_home.extend(
        [
            "--tls",
            "-li",
            "127.0.0.1",
            "--from",
            &from,
            "--to",
            "dave@example.org",
            "--header",
            "Subject: From the office",
        ]
        .map(str::to_owned),
    );
    let (ok, transcript) = swaks(submit.starttls, &at_home).await?;
    assert!(ok, "{transcript}");

    // Wrong passwords are refused, then the user is throttled: even the
    // right password waits.
    for _ in 0..submission::MAX_USER_FAILURES {
        let mut wrong: Vec<String> = login("victim", "not-the-password").collect();
        wrong.extend(["--tls", "--from", &from, "--to", "carol@example.org"].map(str::to_owned));
        let (ok, transcript) = swaks(submit.starttls, &wrong).await?;
        assert!(!ok && replied(&transcript, "535 5.7.8"), "{transcript}");
    }
    let mut right: Vec<String> = login("victim", &victim_password).collect();
    right.extend(["--tls", "--from", &from, "--to", "carol@example.org"].map(str::to_owned));
    let (ok, transcript) = swaks(submit.starttls, &right).await?;
    assert!(!ok && replied(&transcript, "454 4.7.0"), "{transcript}");

    // A device on a trusted network sends without a login.
    let (ok, transcript) = swaks(
        submit.starttls,
        &["-li", "127.0.0.60", "--from", &from, "--to", "erin@example.org", "--header", "Subject: Toner low"],
    )
    .await?;
    assert!(ok, "{transcript}");

    // Hold: kept until an operator lets it go.
    let mut held: Vec<String> = login("review", &review_password).collect();
    held.extend(
        ["--tls", "--from", &from, "--to", "fay@example.org", "--header", "Subject: Needs a look"].map(str::to_owned),
    );
    let (ok, transcript) = swaks(submit.starttls, &held).await?;
    assert!(ok && transcript.contains("held for an operator"), "{transcript}");

    let now = Utc::now();
    engine.tick(now).await?;
    let received = sink.received();
    let mut to: Vec<&str> = received.iter().map(|r| r.rcpt.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        ["ann@example.org", "bob@example.org", "dave@example.org", "erin@example.org"],
        "the held one waits"
    );

    let query = store::LogQuery { status: Some("held".into()), ..Default::default() };
    let waiting = store.search_log(&query, 10, 0).await?;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let id = store::LogId::parse(&waiting[0].id).context("a log id")?;
    let store::LogId::Message(n) = id else { anyhow::bail!("a held message is an outbox message") };
    assert!(store.settle_held(n, true).await?);
    engine.tick(now + chrono::Duration::seconds(1)).await?;
    let received = sink.received();
    assert_eq!(received.len(), 5);

    for r in &received {
        let verdict = check(dns.addr, r).await?;
        assert!(verdict.dkim_pass.contains(&FROM_DOMAIN.to_owned()), "signed for the author domain: {verdict:?}");
        assert_eq!(verdict.spf, "pass", "{verdict:?}");
        assert!(verdict.dmarc_dkim && verdict.dmarc_spf, "{verdict:?}");
        assert!(r.mail_from.ends_with(&format!("@bounce.{FROM_DOMAIN}")), "a VERP envelope: {}", r.mail_from);
        assert_eq!(r.peer, IpAddr::from(SOURCE));
    }
    let first = received.iter().find(|r| r.rcpt == "ann@example.org").context("ann's message")?;
    let text = String::from_utf8_lossy(&first.data);
    assert!(!text.contains("hidden@example.org"), "Bcc is removed: {text}");
    assert!(!text.contains("s=stale"), "our old signature is replaced: {text}");
    assert!(text.contains("d=esp.example"), "a third party's signature stays: {text}");
    assert!(text.starts_with("DKIM-Signature:") && text.contains("Received: from"), "{text}");
    Ok(())
}
