//! From a campaign row to something that renders: the layout it uses, its
//! compiled templates, and the check against real subscribers that a
//! campaign must pass before it may be scheduled.

use domain::AbMetric;
use message::{BodyFormat, Compiled, Draft, Recipient, SecretKey, Sender, TemplateError};
use store::{Campaign, Filter, SenderIdentity, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", join(.0))]
    Template(Vec<TemplateError>),
    #[error("{0}")]
    Invalid(String),
    #[error("rendering for {email} fails: {error}")]
    Render { email: String, error: TemplateError },
    /// The From domain has a key whose record has not been seen yet.
    #[error(
        "{0:?} is not verified: its DKIM record has not been seen in DNS yet; publish the records \
         the domains page lists, then check them there (or `ninsho doctor {0}`)"
    )]
    Unverified(String),
    /// What production mode refuses to send from, and why.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// Why a campaign may not go out, for the page to word in its language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{0:?} is not a sending domain with a DKIM key; add it with `ninsho domain add {0}` and publish its DNS records"
    )]
    NotSendingDomain(String),
    /// The parts of the sender identity block still missing.
    #[error(
        "the sender identity of {domain:?} lacks {}: advertising mail must show the sender's name, postal \
         address and a contact for opting out (特定電子メール法, CAN-SPAM); fill it in on the domains page",
        missing.iter().map(|f| f.replace('_', " ")).collect::<Vec<_>>().join(", ")
    )]
    IdentityIncomplete { domain: String, missing: Vec<&'static str> },
    #[error("the From address is missing")]
    NoFrom,
    #[error("choose at least one list or a segment")]
    NoAudience,
    #[error("the audience is empty")]
    EmptyAudience,
}

fn join(errors: &[TemplateError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Production mode sends only from a verified domain: one with a DKIM key
/// whose record has been seen in DNS. Mail without the author domain's
/// signature fails DMARC at the big providers.
pub async fn identity(store: &Store, from_address: &str) -> Result<(), PrepareError> {
    let domain = from_domain(from_address);
    if store.active_dkim_keys(&domain).await?.is_empty() {
        return Err(Refusal::NotSendingDomain(domain).into());
    }
    if store.domain_verified_at(&domain).await?.is_none() {
        return Err(PrepareError::Unverified(domain));
    }
    let missing = store.sender_identity(&domain).await?.missing();
    if !missing.is_empty() {
        return Err(Refusal::IdentityIncomplete { domain, missing }.into());
    }
    Ok(())
}

/// The layout source a campaign renders with: its snapshot once sending,
/// else its chosen layout, else the built-in one.
pub async fn layout(store: &Store, campaign: &Campaign) -> Result<String, PrepareError> {
    if let Some(snapshot) = &campaign.layout_snapshot {
        return Ok(snapshot.clone());
    }
    match campaign.template_id {
        None => Ok(message::default_layout(language(campaign)).to_owned()),
        Some(id) => match store.template(id).await? {
            Some(t) => Ok(t.body),
            None => Err(PrepareError::Invalid(format!("its layout {id} no longer exists"))),
        },
    }
}

/// Compiles a campaign with `layout`.
pub fn compile(campaign: &Campaign, layout: &str) -> Result<Compiled, PrepareError> {
    message::compose::compile(&draft(campaign, layout)?).map_err(PrepareError::Template)
}

fn draft<'a>(campaign: &'a Campaign, layout: &'a str) -> Result<Draft<'a>, PrepareError> {
    let format = BodyFormat::parse(&campaign.body_format)
        .ok_or_else(|| PrepareError::Invalid(format!("unknown body format {:?}", campaign.body_format)))?;
    Ok(Draft {
        subject: &campaign.subject,
        alt_subjects: &campaign.ab_subjects,
        preheader: &campaign.preheader,
        format,
        body: &campaign.body,
        layout,
        text: &campaign.text_body,
        track_clicks: campaign.track_clicks,
        track_opens: campaign.track_opens,
        language: language(campaign),
        charset: message::jis::Charset::parse(&campaign.charset).unwrap_or_default(),
        text_footer: true,
    })
}

/// A campaign's language (English for a tag without a catalog).
pub fn language(campaign: &Campaign) -> i18n::Language {
    i18n::Language::parse(&campaign.language).unwrap_or_default()
}

/// Renders each part of a campaign that compiled (with `layout`) once for
/// an example subscriber ([`message::Campaign::trial`]): a template that
/// fails whoever it is for is refused when it is saved, not at send time.
pub fn trial_render(
    campaign: &Campaign,
    layout: &str,
    compiled: &Compiled,
    key: &SecretKey,
    public_url: &str,
) -> Result<(), PrepareError> {
    let example = SenderIdentity::default();
    let rendered =
        message::Campaign::new(campaign.id, &campaign.name, sender(campaign, &example, public_url), compiled, false)
            .map_err(|e| PrepareError::Template(vec![e]))?;
    rendered.trial(key, &draft(campaign, layout)?).map_err(|e| PrepareError::Template(vec![e]))
}

/// Who the campaign is from, with the From domain's identity block.
pub fn sender(campaign: &Campaign, identity: &SenderIdentity, public_url: &str) -> Sender {
    Sender {
        from_name: campaign.from_name.clone(),
        from_address: campaign.from_address.clone(),
        reply_to: Some(campaign.reply_to.clone()).filter(|r| !r.is_empty()),
        public_url: public_url.trim_end_matches('/').to_owned(),
        identity: message::Identity {
            name: identity.name.trim().to_owned(),
            postal_address: identity.postal_address.trim().to_owned(),
            contact: identity.contact.trim().to_owned(),
        },
    }
}

/// The identity block of the domain `from_address` sends from.
pub async fn sender_identity(store: &Store, from_address: &str) -> Result<SenderIdentity, PrepareError> {
    Ok(store.sender_identity(&from_domain(from_address)).await?)
}

/// The domain of a From address, lower-cased.
fn from_domain(from_address: &str) -> String {
    domain::domain_of(domain::bare_address(from_address)).to_ascii_lowercase()
}

/// The campaign's segment filter, if it has one.
pub async fn segment(store: &Store, campaign: &Campaign) -> Result<Option<Filter>, PrepareError> {
    match campaign.segment_id {
        None => Ok(None),
        Some(id) => match store.segment(id).await? {
            Some(s) => Ok(Some(s.definition.0)),
            None => Err(PrepareError::Invalid(format!("its segment {id} no longer exists"))),
        },
    }
}

/// Everything a campaign must pass before it may be scheduled: a sender,
/// an audience, templates that compile, and a render for up to `sample`
/// of its recipients without error. Returns the audience size.
pub async fn check(
    store: &Store,
    key: &SecretKey,
    campaign: &Campaign,
    public_url: &str,
    sample: i64,
) -> Result<i64, PrepareError> {
    if !campaign.from_address.contains('@') {
        return Err(Refusal::NoFrom.into());
    }
    if campaign.list_ids.is_empty() && campaign.segment_id.is_none() {
        return Err(Refusal::NoAudience.into());
    }
    if campaign.ab_sample_percent > 0 && !campaign.ab_subjects.is_empty() {
        let counted = if campaign.ab_metric == AbMetric::Clicks { campaign.track_clicks } else { campaign.track_opens };
        if !counted || campaign.anonymous_tracking {
            return Err(PrepareError::Invalid(format!(
                "an A/B test by {} needs them counted per subscriber (not anonymously)",
                campaign.ab_metric
            )));
        }
    }
    let layout = layout(store, campaign).await?;
    let compiled = compile(campaign, &layout)?;
    let segment = segment(store, campaign).await?;
    let count = store.audience_count(&campaign.list_ids, segment.as_ref()).await?;
    if count == 0 {
        return Err(Refusal::EmptyAudience.into());
    }
    render_sample(store, key, campaign, (&layout, &compiled), public_url, segment.as_ref(), sample).await?;
    Ok(count)
}

/// Renders the campaign for up to `sample` members of its audience; the
/// first failure names the subscriber it failed for.
async fn render_sample(
    store: &Store,
    key: &SecretKey,
    campaign: &Campaign,
    (layout, compiled): (&str, &Compiled),
    public_url: &str,
    segment: Option<&Filter>,
    sample: i64,
) -> Result<(), PrepareError> {
    let identity = sender_identity(store, &campaign.from_address).await?;
    let rendered =
        message::Campaign::new(campaign.id, &campaign.name, sender(campaign, &identity, public_url), compiled, false)
            .map_err(|e| PrepareError::Template(vec![e]))?;
    let members = store.audience_sample(&campaign.list_ids, segment, sample).await?;
    for s in members {
        let to = Recipient {
            delivery_id: 0,
            subscriber_id: s.id,
            email: &s.email,
            name: &s.name,
            attributes: &s.attributes,
            list_id: campaign.list_ids.first().copied().unwrap_or(0),
            list_name: "",
            variant: 0,
        };
        if let Err(e) = rendered.render(key, &to) {
            let error = locate(&rendered, key, campaign, layout, &to).unwrap_or(e);
            return Err(PrepareError::Render { email: s.email, error });
        }
    }
    Ok(())
}

/// Where in the marketer's own text (subject, body, layout …) a copy that
/// failed for `to` fails: each part rendered alone for them.
pub fn locate(
    rendered: &message::Campaign,
    key: &SecretKey,
    campaign: &Campaign,
    layout: &str,
    to: &Recipient<'_>,
) -> Option<message::TemplateError> {
    rendered.trial_as(key, &draft(campaign, layout).ok()?, to).err()
}

/// Checks every step of a sequence like a campaign about to be scheduled
/// (rendered for members of its list when there are any), then makes the
/// sequence live with each step's links and layout fixed.
pub async fn activate_sequence(
    store: &Store,
    key: &SecretKey,
    id: i64,
    public_url: &str,
) -> Result<usize, PrepareError> {
    let steps = store.sequence_steps(id).await?;
    if steps.is_empty() {
        return Err(PrepareError::Invalid("add a step first".into()));
    }
    let mut activations = Vec::with_capacity(steps.len());
    for step in &steps {
        let name = &step.name;
        if !step.from_address.contains('@') {
            return Err(PrepareError::Invalid(format!("step {name:?}: the From address is missing")));
        }
        let layout = layout(store, step).await?;
        let compiled = compile(step, &layout).map_err(|e| PrepareError::Invalid(format!("step {name:?}: {e}")))?;
        render_sample(store, key, step, (&layout, &compiled), public_url, None, SEQUENCE_SAMPLE)
            .await
            .map_err(|e| PrepareError::Invalid(format!("step {name:?}: {e}")))?;
        activations.push(store::StepActivation { campaign_id: step.id, links: compiled.links, layout });
    }
    store.activate_sequence(id, &activations).await?;
    Ok(steps.len())
}

/// Members a sequence step is test-rendered for before activation.
const SEQUENCE_SAMPLE: i64 = 20;
