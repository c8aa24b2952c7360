//! Campaign operations the dashboard and the API share: the blank draft,
//! the checks a draft must pass, template faults, scheduling after a trial
//! render, and one subscriber's rendered copy (preview, score, sandbox).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::CampaignStatus;
use message::{BodyFormat, Recipient};
use prepare::{self, PrepareError};
use store::{Campaign, CampaignFields};

use crate::error::{Invalid, request_language};
use crate::{AppError, AppState};

/// Recipients a campaign's templates are rendered for before scheduling.
const CHECK_SAMPLE: i64 = 50;

/// A new campaign's form: the defaults with a body to start from.
pub(crate) fn blank_campaign() -> Campaign {
    let lang = request_language();
    let name = format!("{{{{ subscriber.name | default(\"{}\") }}}}", lang.t("campaign-blank-default-name"));
    let body = format!("# {}\n\n{}\n", lang.t1("campaign-blank-greeting", "name", name), lang.t("campaign-blank-body"));
    Campaign::draft(CampaignFields { body, ..CampaignFields::default() })
}

/// Makes a campaign's language explicit: one chosen (a tag we have a
/// catalog for), else its first list's, else English. Err: why not, in the
/// request's language.
pub(crate) async fn settle_language(
    state: &AppState,
    fields: &mut CampaignFields,
) -> Result<Result<(), Invalid>, AppError> {
    let chosen = fields.language.trim();
    let language = if chosen.is_empty() {
        let first = match fields.list_ids.first() {
            Some(id) => state.store().list(*id).await?,
            None => None,
        };
        first.and_then(|l| i18n::Language::parse(&l.language)).unwrap_or_default()
    } else {
        match i18n::Language::parse(chosen) {
            Some(language) => language,
            None => {
                let why = request_language().t1("err-campaign-language", "value", format!("{chosen:?}"));
                return Ok(Err(why.into()));
            }
        }
    };
    fields.language = language.code().to_owned();
    Ok(Ok(()))
}

/// What is wrong with a campaign's fields, each fault with its field name
/// (for the API) and a sentence (for both, in the request's language).
pub(crate) fn check_fields(fields: &CampaignFields) -> Vec<(&'static str, String)> {
    check_fields_in(fields, request_language())
}

/// `check_fields` with its sentences in `lang`.
fn check_fields_in(fields: &CampaignFields, lang: i18n::Language) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if fields.name.is_empty() || fields.name.chars().count() > 200 {
        errors.push(("name", lang.t("err-campaign-name-length")));
    }
    // Subjects and the preheader are templates: compose checks them, part
    // by part (`template_errors`).
    for (field, key, value) in
        [("name", "err-campaign-name-fault", &fields.name), ("from_name", "err-from-name-fault", &fields.from_name)]
    {
        if let Err(e) = domain::text::check_line(value) {
            errors.push((field, lang.t1(key, "fault", crate::error::text_fault(lang, &e))));
        }
    }
    let quoted = |value: &str| format!("{value:?}");
    if !fields.from_address.is_empty() && domain::EmailAddress::parse(&fields.from_address).is_err() {
        errors.push(("from_address", lang.t1("err-campaign-from-address", "value", quoted(&fields.from_address))));
    }
    if !fields.reply_to.is_empty() && domain::EmailAddress::parse(&fields.reply_to).is_err() {
        errors.push(("reply_to", lang.t1("err-campaign-reply-to", "value", quoted(&fields.reply_to))));
    }
    if BodyFormat::parse(&fields.body_format).is_none() {
        errors.push(("body_format", lang.t("err-campaign-body-format")));
    }
    if fields.time_zone.parse::<chrono_tz::Tz>().is_err() {
        errors.push(("time_zone", lang.t1("err-campaign-time-zone", "value", quoted(&fields.time_zone))));
    }
    match (fields.window_start, fields.window_end) {
        (None, None) => {}
        (Some(start), Some(end)) if start < end => {}
        _ => errors.push(("window_start", lang.t("err-campaign-window"))),
    }
    if !(0..=100).contains(&fields.ab_sample_percent) {
        errors.push(("ab_sample_percent", lang.t("err-campaign-ab-sample")));
    }
    if fields.ab_subjects.len() > 4 {
        errors.push(("ab_subjects", lang.t("err-campaign-ab-subjects")));
    }
    if fields.ab_wait_minutes <= 0 {
        errors.push(("ab_metric", lang.t("err-campaign-ab-wait")));
    }
    errors
}

/// The most characters a charset fault lists one by one.
const MOST_CHARSET_FAULTS: usize = 20;

/// For an ISO-2022-JP campaign, each character the charset cannot carry in
/// what the marketer wrote, with its part, line and column and what to do
/// (in `lang`); nothing for UTF-8. An unknown charset is a fault of its own.
pub(crate) fn charset_faults(fields: &CampaignFields, lang: i18n::Language) -> Vec<(&'static str, String)> {
    use message::jis::{self, Charset};
    match Charset::parse(&fields.charset) {
        None => {
            return vec![("charset", lang.t1("campaign-charset-unknown", "value", format!("{:?}", fields.charset)))];
        }
        Some(Charset::Utf8) => return Vec::new(),
        Some(Charset::Iso2022Jp) => {}
    }
    let subjects = fields.ab_subjects.join("\n");
    let parts: [(&'static str, &str); 6] = [
        ("from_name", &fields.from_name),
        ("subject", &fields.subject),
        ("ab_subjects", &subjects),
        ("preheader", &fields.preheader),
        ("body", &fields.body),
        ("text_body", &fields.text_body),
    ];
    let mut faults = Vec::new();
    let mut more = 0;
    for (field, text) in parts {
        for found in jis::unencodable(text) {
            if faults.len() == MOST_CHARSET_FAULTS {
                more += 1;
                continue;
            }
            let args = [
                ("part", i18n::Arg::from(lang.tk("campaign-part", field))),
                ("line", i18n::Arg::from(found.line as i64)),
                ("column", i18n::Arg::from(found.column as i64)),
                ("character", i18n::Arg::from(found.character.to_string())),
                ("kind", i18n::Arg::from(lang.t(found.kind.key()))),
            ];
            faults.push((field, lang.t_with("campaign-charset-fault", &args)));
        }
    }
    if more > 0 {
        faults.push(("body", lang.tn("campaign-charset-more", more)));
    }
    faults
}

/// For an ISO-2022-JP campaign, half-width katakana made full-width in
/// everything the marketer wrote, as Japanese mailers do; the runs changed
/// and what they became, to show.
pub(crate) fn widen_katakana(fields: &mut CampaignFields) -> Vec<(String, String)> {
    use message::jis;
    if jis::Charset::parse(&fields.charset) != Some(jis::Charset::Iso2022Jp) {
        return Vec::new();
    }
    let mut changed: Vec<(String, String)> = Vec::new();
    let parts =
        [&mut fields.from_name, &mut fields.subject, &mut fields.preheader, &mut fields.body, &mut fields.text_body];
    for text in parts.into_iter().chain(fields.ab_subjects.iter_mut()) {
        for pair in jis::conversions(text) {
            if !changed.contains(&pair) {
                changed.push(pair);
            }
        }
        *text = jis::full_width_katakana(text).into_owned();
    }
    changed
}

/// The conversions `widen_katakana` made, in a sentence (empty: none).
pub(crate) fn widened_sentence(changed: &[(String, String)], lang: i18n::Language) -> String {
    if changed.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = changed.iter().map(|(from, to)| format!("{from} → {to}")).collect();
    lang.t1("campaign-katakana-widened", "pairs", pairs.join(", "))
}

/// A fault in what a marketer wrote, and where a template fault is, the
/// line in their own text with a caret under the place.
pub(crate) struct Fault {
    pub(crate) text: String,
    pub(crate) excerpt: Option<String>,
    /// The template part it is in, for a template fault.
    pub(crate) part: Option<String>,
    /// The API's `field` for a fault whose text does not start with it
    /// (a text in the request's language).
    own_field: Option<&'static str>,
}

impl Fault {
    /// The API's `field` for the fault: the first word of its text
    /// (`subject, line 1, …` is `subject`), unless it has its own.
    pub(crate) fn field(&self) -> String {
        let first = self.text.split(',').next().unwrap_or("body").split(' ').next().unwrap_or("body");
        self.own_field.unwrap_or(first).to_owned()
    }
}

impl From<String> for Fault {
    fn from(text: String) -> Self {
        Self { text, excerpt: None, part: None, own_field: None }
    }
}

impl From<Invalid> for Fault {
    fn from(invalid: Invalid) -> Self {
        String::from(invalid).into()
    }
}

/// Template faults of a draft, each located in the part the marketer wrote
/// (subject, preheader, body, text, layout, an A/B subject) and shown there.
pub(crate) async fn template_errors(state: &AppState, fields: &CampaignFields) -> Result<Vec<Fault>, AppError> {
    let probe = blank_campaign().with_fields(fields.clone());
    match prepare::layout(state.store(), &probe).await {
        Ok(layout) => Ok(located_faults(state, fields, &layout)),
        Err(PrepareError::Store(e)) => Err(e.into()),
        // The API has always named this fault's field so.
        Err(e) => Ok(vec![Fault {
            own_field: Some("Layout:"),
            ..Fault::from(request_language().t1("err-layout-fault", "error", e))
        }]),
    }
}

/// The faults of `fields` poured into `layout`, compiled and rendered for
/// an example subscriber; the part of each is in `Fault::part`.
pub(crate) fn located_faults(state: &AppState, fields: &CampaignFields, layout: &str) -> Vec<Fault> {
    let probe = blank_campaign().with_fields(fields.clone());
    let errors = match prepare::compile(&probe, layout)
        .and_then(|compiled| prepare::trial_render(&probe, layout, &compiled, state.key(), &state.config().public_url))
    {
        Ok(()) => return Vec::new(),
        Err(PrepareError::Template(errors)) => errors,
        Err(e) => return vec![e.to_string().into()],
    };
    let source = |part: &str| -> Option<&str> {
        match part {
            "subject" => Some(&fields.subject),
            "preheader" => Some(&fields.preheader),
            "body" => Some(&fields.body),
            "text" => Some(&fields.text_body),
            "layout" => Some(layout),
            other => {
                let n: usize = other.strip_prefix("subject ")?.parse().ok()?;
                fields.ab_subjects.get(n.checked_sub(2)?).map(String::as_str)
            }
        }
    };
    errors
        .iter()
        .map(|e| Fault {
            text: e.to_string(),
            excerpt: source(&e.part).and_then(|text| e.excerpt(text)),
            part: Some(e.part.clone()),
            own_field: None,
        })
        .collect()
}

/// The instant a `datetime-local` value names in `zone`, and the value;
/// Err: why not, in `lang`.
pub(crate) fn parse_local(
    value: &str,
    zone: &str,
    lang: i18n::Language,
) -> Result<(DateTime<Utc>, NaiveDateTime), Invalid> {
    let tz: chrono_tz::Tz = zone.parse().map_err(|_| lang.t1("err-not-a-zone", "zone", format!("{zone:?}")))?;
    let naive = NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| lang.t1("err-not-a-moment", "value", format!("{value:?}")))?;
    naive
        .and_local_timezone(tz)
        .earliest()
        .map(|t| (t.with_timezone(&Utc), naive))
        .ok_or_else(|| lang.t2("err-skipped-moment", "value", value, "zone", zone).into())
}

/// What scheduling a draft would do, checked and not yet done: when it
/// leaves, in words, and for how many recipients.
pub(crate) struct Plan {
    pub(crate) at: DateTime<Utc>,
    pub(crate) local: Option<NaiveDateTime>,
    /// When, in the campaign's zone (or "… in each recipient's time zone").
    pub(crate) when: String,
    pub(crate) recipients: i64,
}

/// Checks a draft for sending now (`local` None) or at a `YYYY-MM-DDTHH:MM`
/// in its time zone (each recipient's own, with a zone attribute): the
/// time, the sending domain in production, and a trial render for real
/// recipients. Err: what stops it. `lang`: the language of `when` and
/// of what stops it.
pub(crate) async fn plan(
    state: &AppState,
    campaign: &Campaign,
    local: Option<&str>,
    lang: i18n::Language,
) -> Result<Result<Plan, Invalid>, AppError> {
    let own_zones = !campaign.recipient_zone_attribute.is_empty();
    let send_at = match local {
        None => Ok((Utc::now(), None)),
        Some(value) => parse_local(value, &campaign.time_zone, lang).map(|(at, local)| {
            // In recipients' own zones the earliest is UTC+14.
            if own_zones { (local.and_utc() - chrono::Duration::hours(14), Some(local)) } else { (at, Some(local)) }
        }),
    };
    let (at, local) = match send_at {
        Err(e) => return Ok(Err(lang.t1("err-send-time", "reason", e).into())),
        Ok(_) if campaign.status != CampaignStatus::Draft => return Ok(Err(lang.t("err-only-draft").into())),
        Ok(planned) => planned,
    };
    if state.config().delivery_mode == domain::DeliveryMode::Production {
        match prepare::identity(state.store(), &campaign.from_address).await {
            Ok(()) => {}
            Err(PrepareError::Store(e)) => return Err(e.into()),
            Err(other) => return Ok(Err(lang.t1("err-cannot-schedule", "reason", prepared(&other, lang)).into())),
        }
    }
    let recipients =
        match prepare::check(state.store(), state.key(), campaign, &state.config().public_url, CHECK_SAMPLE).await {
            Ok(count) => count,
            Err(PrepareError::Store(e)) => return Err(e.into()),
            Err(other) => return Ok(Err(lang.t1("err-cannot-schedule", "reason", prepared(&other, lang)).into())),
        };
    let when = match local {
        Some(local) if own_zones => lang.t1("campaign-when-own-zones", "time", local.format("%Y-%m-%d %H:%M")),
        _ => local_moment(at, &campaign.time_zone, lang),
    };
    Ok(Ok(Plan { at, local, when, recipients }))
}

/// Why a campaign cannot be prepared, in `lang`: the prepare crate's own
/// English words, or the catalog's for the refusals a marketer can fix.
fn prepared(error: &PrepareError, lang: i18n::Language) -> String {
    use prepare::Refusal;
    if lang == i18n::Language::English {
        return error.to_string();
    }
    match error {
        PrepareError::Unverified(domain) => lang.t1("err-prepare-unverified", "domain", domain),
        PrepareError::Refused(Refusal::NotSendingDomain(domain)) => {
            lang.t1("err-prepare-not-sending", "domain", domain)
        }
        PrepareError::Refused(Refusal::IdentityIncomplete { domain, missing }) => {
            let parts: Vec<String> = missing.iter().map(|part| lang.tk("domain-identity-field", part)).collect();
            lang.t2("err-prepare-identity", "domain", domain, "missing", parts.join(&lang.t("err-list-separator")))
        }
        PrepareError::Refused(Refusal::NoFrom) => lang.t("err-prepare-no-from"),
        PrepareError::Refused(Refusal::NoAudience) => lang.t("err-prepare-no-audience"),
        PrepareError::Refused(Refusal::EmptyAudience) => lang.t("err-prepare-empty-audience"),
        other => other.to_string(),
    }
}

/// Schedules a draft as `plan` checked it. Ok: the sentence saying when and
/// for how many; Err: what stops it (both in the request's language).
pub(crate) async fn schedule(
    state: &AppState,
    campaign: &Campaign,
    local: Option<&str>,
) -> Result<Result<String, Invalid>, AppError> {
    schedule_as(state, campaign, local, request_language()).await
}

/// `schedule`, with the sentence saying when and for how many in `lang`.
pub(crate) async fn schedule_as(
    state: &AppState,
    campaign: &Campaign,
    local: Option<&str>,
    lang: i18n::Language,
) -> Result<Result<String, Invalid>, AppError> {
    let plan = match plan(state, campaign, local, lang).await? {
        Ok(plan) => plan,
        Err(stop) => return Ok(Err(stop)),
    };
    // "Now" is the moment of scheduling, not of the check.
    let at = if local.is_none() { Utc::now() } else { plan.at };
    if !state.store().schedule_campaign(campaign.id, at, plan.local).await? {
        return Ok(Err(lang.t("err-only-draft").into()));
    }
    Ok(Ok(lang.t2("campaign-scheduled", "count", plan.recipients, "when", plan.when)))
}

/// A new draft with `original`'s content and audience, whatever state
/// the original is in (a sequence step's copy is a campaign).
pub(crate) async fn copy(state: &AppState, original: &Campaign) -> Result<Campaign, AppError> {
    let mut fields = original.fields();
    fields.name = format!("Copy of {}", original.name).chars().take(200).collect();
    Ok(state.store().save_campaign(None, &fields).await?)
}

/// A subscriber's copy: what they see, their address, and with `build_at`
/// (Unix time, and addresses to deliver to) the message bytes for each;
/// with no addresses, the one addressed to the subscriber.
pub(crate) struct CopyFor {
    pub(crate) rendered: message::Rendered,
    pub(crate) email: String,
    pub(crate) bytes: Vec<Vec<u8>>,
    /// The URLs the campaign links to (behind its tracking redirects).
    pub(crate) links: Vec<String>,
}

/// The campaign compiled once and rendered for one subscriber (`who`, or
/// the first of its audience, or an example one).
pub(crate) async fn render_for(
    state: &AppState,
    campaign: &Campaign,
    who: &str,
    build_at: Option<(i64, &[domain::EmailAddress])>,
) -> Result<Result<CopyFor, Invalid>, AppError> {
    let layout = match prepare::layout(state.store(), campaign).await {
        Ok(l) => l,
        Err(e) => return Ok(Err(e.to_string().into())),
    };
    let compiled = match prepare::compile(campaign, &layout) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string().into())),
    };
    let identity = match prepare::sender_identity(state.store(), &campaign.from_address).await {
        Ok(identity) => identity,
        Err(e) => return Ok(Err(e.to_string().into())),
    };
    let sender = prepare::sender(campaign, &identity, &state.config().public_url);
    let rendered = match message::Campaign::new(campaign.id, &campaign.name, sender, &compiled, false) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string().into())),
    };
    let subscriber = match domain::EmailAddress::parse(who) {
        Ok(email) => state.store().subscriber_by_email(&email).await?,
        Err(_) => {
            let segment = prepare::segment(state.store(), campaign).await.ok().flatten();
            state.store().audience_sample(&campaign.list_ids, segment.as_ref(), 1).await?.into_iter().next()
        }
    };
    let example = serde_json::json!({});
    let (id, email, name, attributes) = match &subscriber {
        Some(s) => (s.id, s.email.as_str(), s.name.as_str(), &s.attributes),
        None => (0, "example@example.com", "Example Subscriber", &example),
    };
    let list_id = campaign.list_ids.first().copied().unwrap_or(0);
    let list_name = match state.store().list(list_id).await? {
        Some(l) => l.name,
        None => String::new(),
    };
    let to = Recipient {
        delivery_id: 0,
        subscriber_id: id,
        email,
        name,
        attributes,
        list_id,
        list_name: &list_name,
        variant: 0,
    };
    let copy = rendered
        .render(state.key(), &to)
        .map_err(|e| prepare::locate(&rendered, state.key(), campaign, &layout, &to).unwrap_or(e))
        .and_then(|r| {
            let bytes = match build_at {
                None => Vec::new(),
                // No addresses given: the subscriber's own copy.
                Some((date, [])) => vec![rendered.build(state.key(), &to, date)?.bytes],
                Some((date, addresses)) => addresses
                    .iter()
                    .map(|a| Ok(rendered.build(state.key(), &Recipient { email: a.as_str(), ..to }, date)?.bytes))
                    .collect::<Result<Vec<_>, message::TemplateError>>()?,
            };
            Ok(CopyFor { rendered: r, email: email.to_owned(), bytes, links: compiled.links.clone() })
        });
    Ok(copy.map_err(|e| e.to_string().into()))
}

/// One subscriber's HTML copy as a page that cannot run scripts or reach
/// anything but images.
pub(crate) async fn sandboxed_copy(state: &AppState, campaign: &Campaign, who: &str) -> Result<Response, AppError> {
    let html = match render_for(state, campaign, who, None).await? {
        // Looking at a preview is not an open: the pixel goes nowhere.
        Ok(copy) => {
            let pixel = format!("{}/t/o/", state.config().public_url.trim_end_matches('/'));
            copy.rendered.html.replace(&pixel, "data:,")
        }
        Err(e) => format!("<p>{}</p>", askama_escape(&e.to_string())),
    };
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
        )],
        axum::response::Html(html),
    )
        .into_response())
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A time as the campaign's time zone shows it, written as `lang` writes
/// moments (`2026-12-04 09:30 JST`, `2026年12月4日(金) 09:30 JST`).
pub(crate) fn local_moment(t: DateTime<Utc>, zone: &str, lang: i18n::Language) -> String {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => lang.moment(&t.with_timezone(&tz)),
        Err(_) => lang.moment(&t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use i18n::Language::{English, Japanese};

    #[test]
    fn a_campaigns_faults_are_said_in_the_requests_language() {
        let fields = CampaignFields {
            name: "Spring\nsale".into(),
            from_address: "not an address".into(),
            time_zone: "Mars/Olympus".into(),
            ..CampaignFields::default()
        };
        let english = check_fields_in(&fields, English);
        let japanese = check_fields_in(&fields, Japanese);
        assert_eq!(
            english,
            vec![
                ("name", "The name contains a line break (U+000A) at character 7.".to_owned()),
                ("from_address", "From address: \"not an address\" is not an email address.".to_owned()),
                ("time_zone", "Time zone: \"Mars/Olympus\" is not a time zone name such as Asia/Tokyo.".to_owned()),
            ]
        );
        assert_eq!(
            japanese,
            vec![
                ("name", "キャンペーン名の7文字目に改行 (U+000A)が含まれています。".to_owned()),
                ("from_address", "差出人アドレス: \"not an address\" はメールアドレスではありません。".to_owned()),
                (
                    "time_zone",
                    "タイムゾーン: \"Mars/Olympus\" は Asia/Tokyo のようなタイムゾーン名ではありません。".to_owned()
                ),
            ]
        );
        // Outside a request, English.
        assert_eq!(check_fields(&fields), english);
        let empty = check_fields_in(&CampaignFields::default(), Japanese);
        assert_eq!(empty, vec![("name", "キャンペーン名は1〜200文字で入力してください。".to_owned())]);
    }
}
