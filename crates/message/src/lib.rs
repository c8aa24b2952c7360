//! One subscriber's copy of a campaign: compile once ([`compose`]), then
//! render per recipient into personalised text and HTML with signed links
//! ([`Campaign::render`]) and into the bytes to send ([`Campaign::build`]).
//! Also the server's secret key and the signed links derived from it.
//!
//! No sockets here: what leaves the machine is the delivery crate's job.

pub mod compose;
pub mod dkim;
pub mod jis;
pub mod links;
pub mod mime;
pub mod parse;
pub mod secret;
pub mod smime;
pub mod template;
pub mod tx;
pub mod verp;

use std::sync::Arc;

use minijinja::value::{Enumerator, Object};
use minijinja::{Value, context};

pub use compose::{BodyFormat, Compiled, Draft, default_layout};
pub use secret::SecretKey;
pub use template::TemplateError;

use links::{Track, TrackClaims};
use template::Templates;

/// Who a campaign is from and where its links point.
#[derive(Debug, Clone)]
pub struct Sender {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    /// The public base URL of ninsho's pages, without a trailing slash.
    pub public_url: String,
    /// Who sends, as the law wants it printed in the footer.
    pub identity: Identity,
}

/// The sender's identity block: the name, postal address and contact
/// that Japan's 特定電子メール法 (and CAN-SPAM's postal address) want in
/// advertising mail. Templates see it as `sender.name`,
/// `sender.postal_address` and `sender.contact`; the built-in layout
/// prints it when the name is there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub postal_address: String,
    /// An address or URL for opting out and for questions.
    pub contact: String,
}

impl Sender {
    /// The domain of the From address: the DKIM `d=` and the Message-ID's.
    pub fn domain(&self) -> &str {
        domain::domain_of(&self.from_address)
    }
}

/// One recipient of a campaign.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// Makes the Message-ID unique; 0 for previews.
    pub delivery_id: i64,
    pub subscriber_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub attributes: &'a serde_json::Value,
    /// The list the unsubscribe link leaves: one the recipient is on.
    pub list_id: i64,
    pub list_name: &'a str,
    /// Which subject line (A/B test): 0 the main one, 1… the others.
    pub variant: usize,
}

/// A subscriber's copy, before MIME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A message ready to sign and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub subject: String,
    pub bytes: Vec<u8>,
}

/// A compiled campaign, ready to render for any number of recipients; cheap
/// to share between threads.
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub sender: Sender,
    /// `sender` as templates see it (built once).
    sender_value: Value,
    /// How the message is encoded.
    charset: jis::Charset,
    /// Record opens and clicks without the subscriber (privacy setting).
    pub anonymous_tracking: bool,
    links: usize,
    /// Subject templates by variant.
    subjects: Vec<String>,
    templates: Templates,
}

impl Campaign {
    pub fn new(
        id: i64,
        name: &str,
        sender: Sender,
        compiled: &Compiled,
        anonymous_tracking: bool,
    ) -> Result<Self, TemplateError> {
        let mut parts = vec![
            ("subject.txt".to_owned(), compiled.subject.clone()),
            ("preheader.txt".to_owned(), compiled.preheader.clone()),
            ("body.html".to_owned(), compiled.html.clone()),
            ("body.txt".to_owned(), compiled.text.clone()),
        ];
        let mut subjects = vec!["subject.txt".to_owned()];
        for (i, alt) in compiled.alt_subjects.iter().enumerate() {
            let name = format!("subject {}.txt", i + 2);
            parts.push((name.clone(), alt.clone()));
            subjects.push(name);
        }
        let templates = Templates::compile(parts)?;
        let links = compiled.links.len();
        let identity = &sender.identity;
        let sender_value = context! {
            name => links::strip_marks(&identity.name),
            postal_address => links::strip_marks(&identity.postal_address),
            contact => links::strip_marks(&identity.contact),
        };
        Ok(Self {
            id,
            name: name.to_owned(),
            sender,
            sender_value,
            charset: compiled.charset,
            anonymous_tracking,
            links,
            subjects,
            templates,
        })
    }

    /// The subscriber's subject, HTML and text, with every link signed.
    pub fn render(&self, key: &SecretKey, to: &Recipient<'_>) -> Result<Rendered, TemplateError> {
        let copy = self.render_marked(key, to)?;
        Ok(Rendered {
            subject: copy.subject,
            html: links::fill_marks(&copy.html, &copy.links),
            text: links::fill_marks(&copy.text, &copy.links),
        })
    }

    /// Renders each part of `draft`, as the marketer wrote it (this
    /// campaign's source), once for an example subscriber without a name or
    /// attributes. A part that fails for everyone, one that does too much
    /// work say, is found before the campaign is saved, and its error gives
    /// the line and column in that part rather than in the compiled message.
    pub fn trial(&self, key: &SecretKey, draft: &Draft<'_>) -> Result<(), TemplateError> {
        let attributes = serde_json::Value::Object(Default::default());
        let example = Recipient {
            delivery_id: 0,
            subscriber_id: 0,
            email: "example@example.com",
            name: "",
            attributes: &attributes,
            list_id: 0,
            list_name: "",
            variant: 0,
        };
        self.trial_as(key, draft, &example)
    }

    /// As [`trial`](Self::trial), for one subscriber: where a copy failed
    /// for them, this finds the part and the line and column in it that the
    /// marketer wrote (the compiled message's own position means nothing to
    /// them). Ok when each part alone renders for them.
    pub fn trial_as(&self, key: &SecretKey, draft: &Draft<'_>, to: &Recipient<'_>) -> Result<(), TemplateError> {
        let unsubscribe = links::unsubscribe_url(key, &self.sender.public_url, to.subscriber_id, to.list_id);
        let mut scope = self.scope(key, to, &unsubscribe);
        let head = Value::from_object(scope.clone());
        scope.body = Some(BodyScope { subject: Value::from(""), preheader: Value::from(""), open: Value::from("") });
        let full = Value::from_object(scope);
        let mut parts = vec![
            ("subject.txt".to_owned(), draft.subject, &head),
            ("preheader.txt".to_owned(), draft.preheader, &head),
            ("body.html".to_owned(), draft.body, &full),
            ("layout.html".to_owned(), draft.layout, &full),
            ("text.txt".to_owned(), draft.text, &full),
        ];
        for (i, alt) in draft.alt_subjects.iter().enumerate() {
            parts.push((format!("subject {}.txt", i + 2), alt, &head));
        }
        let templates =
            Templates::compile(parts.iter().map(|(name, source, _)| (name.clone(), (*source).to_owned())).collect())?;
        for (name, _, context) in &parts {
            templates.render(name, context)?;
        }
        Ok(())
    }

    /// What the subject and preheader of `to`'s copy see.
    fn scope(&self, key: &SecretKey, to: &Recipient<'_>, unsubscribe: &str) -> Scope {
        let public = &self.sender.public_url;
        // Our own URLs hold only URL-safe characters: no need to escape them.
        let url = Value::from_safe_string;
        Scope {
            subscriber: Value::from_object(SubscriberScope {
                email: Value::from(links::strip_marks(to.email)),
                name: Value::from(links::strip_marks(to.name)),
                attributes: Value::from(minijinja::value::Serde(&*without_marks(to.attributes))),
            }),
            list: context! { id => to.list_id, name => links::strip_marks(to.list_name) },
            campaign: context! { id => self.id, name => links::strip_marks(&self.name) },
            sender: self.sender_value.clone(),
            unsubscribe_url: url(unsubscribe.to_owned()),
            profile_url: url(links::profile_url(key, public, to.subscriber_id)),
            view_in_browser_url: url(links::track_url(
                key,
                public,
                Track::View,
                TrackClaims { campaign_id: self.id, link: 0, subscriber_id: to.subscriber_id },
            )),
            body: None,
        }
    }

    /// The subscriber's copy with the marks of tracked links still in place,
    /// and the links that go there.
    fn render_marked(&self, key: &SecretKey, to: &Recipient<'_>) -> Result<Marked, TemplateError> {
        let public = &self.sender.public_url;
        let tracked = if self.anonymous_tracking { 0 } else { to.subscriber_id };
        let track = |kind, link| {
            links::track_url(key, public, kind, TrackClaims { campaign_id: self.id, link, subscriber_id: tracked })
        };
        let url = Value::from_safe_string;
        let unsubscribe = links::unsubscribe_url(key, public, to.subscriber_id, to.list_id);
        let mut scope = self.scope(key, to, &unsubscribe);
        let head = Value::from_object(scope.clone());
        let subject_template = self.subjects.get(to.variant).unwrap_or(&self.subjects[0]);
        let subject = self.templates.render(subject_template, &head)?;
        let preheader = self.templates.render("preheader.txt", &head)?;
        scope.body = Some(BodyScope {
            subject: Value::from(subject.as_str()),
            preheader: Value::from(preheader),
            open: url(track(Track::Open, 0)),
        });
        let full = Value::from_object(scope);
        let html = self.templates.render("body.html", &full)?;
        let text = self.templates.render("body.txt", &full)?;
        let links: Vec<String> = (0..self.links as i64).map(|i| track(Track::Click, i)).collect();
        for (part, copy) in [("body", &html), ("text", &text)] {
            check_filled_size(part, copy, &links)?;
        }
        Ok(Marked { subject: subject.trim().to_owned(), html, text, links, unsubscribe })
    }

    /// The message to send, unsigned, and its subject. `date` is Unix time.
    pub fn build(&self, key: &SecretKey, to: &Recipient<'_>, date: i64) -> Result<Built, TemplateError> {
        let copy = self.render_marked(key, to)?;
        let domain = self.sender.domain();
        let message_id = format!("{}.{}.{}@{domain}", self.id, to.delivery_id, date);
        let unsubscribe = &copy.unsubscribe;
        let token = unsubscribe.rsplit('/').next().unwrap_or_default();
        let headers = mime::Headers {
            from_name: &self.sender.from_name,
            from_address: &self.sender.from_address,
            reply_to: self.sender.reply_to.as_deref(),
            to_name: to.name,
            to_address: to.email,
            message_id: &message_id,
            date,
            list: Some(mime::ListHeaders {
                unsubscribe_https: unsubscribe,
                unsubscribe_mailto: &format!("mailto:unsubscribe@bounce.{domain}?subject=unsubscribe%20{token}"),
                list_name: to.list_name,
                list_id: &format!("list-{}.{domain}", to.list_id),
            }),
            feedback_id: &format!("{}:{}:newsletter:ninsho", self.id, to.list_id),
            extra: &[],
            charset: self.charset,
        };
        let bytes = mime::build(&headers, &copy.subject, &copy.text, &copy.html, &copy.links);
        Ok(Built { subject: copy.subject, bytes })
    }
}

/// A subscriber's copy before its link marks are filled.
struct Marked {
    subject: String,
    html: String,
    text: String,
    links: Vec<String>,
    /// The one-click unsubscribe URL, for the header too.
    unsubscribe: String,
}

/// The output limit, applied to a copy as it will be once its marks (three
/// bytes or more) are filled with links: only a copy that could pass it if it
/// were all marks has its marks counted.
fn check_filled_size(part: &str, copy: &str, links: &[String]) -> Result<(), TemplateError> {
    let longest = links.iter().map(String::len).max().unwrap_or(0);
    if copy.len().saturating_mul(longest.div_ceil(3).max(1)) <= template::MAX_OUTPUT {
        return Ok(());
    }
    let marks = memchr::memchr_iter(1, copy.as_bytes()).count();
    if copy.len() + marks * longest > template::MAX_OUTPUT {
        return Err(TemplateError::new(
            part,
            format!("the output is larger than {} MB", template::MAX_OUTPUT / (1024 * 1024)),
        ));
    }
    Ok(())
}

/// Subscribers' attributes without the bytes of link marks (rarely any:
/// then a cleaned copy).
fn without_marks(attributes: &serde_json::Value) -> std::borrow::Cow<'_, serde_json::Value> {
    use serde_json::Value as Json;
    fn has_marks(value: &Json) -> bool {
        match value {
            Json::String(s) => links::has_mark_bytes(s),
            Json::Array(items) => items.iter().any(has_marks),
            Json::Object(map) => map.iter().any(|(k, v)| links::has_mark_bytes(k) || has_marks(v)),
            _ => false,
        }
    }
    fn clean(value: &Json) -> Json {
        match value {
            Json::String(s) => Json::String(links::strip_marks(s).into_owned()),
            Json::Array(items) => Json::Array(items.iter().map(clean).collect()),
            Json::Object(map) => {
                Json::Object(map.iter().map(|(k, v)| (links::strip_marks(k).into_owned(), clean(v))).collect())
            }
            other => other.clone(),
        }
    }
    if has_marks(attributes) {
        std::borrow::Cow::Owned(clean(attributes))
    } else {
        std::borrow::Cow::Borrowed(attributes)
    }
}

/// What a campaign's templates see at the top level. Looked up by name in a
/// `match`, as a message's templates do hundreds of lookups.
#[derive(Debug, Clone)]
struct Scope {
    subscriber: Value,
    list: Value,
    campaign: Value,
    sender: Value,
    unsubscribe_url: Value,
    profile_url: Value,
    view_in_browser_url: Value,
    /// Only for the body, which comes after the subject and preheader.
    body: Option<BodyScope>,
}

#[derive(Debug, Clone)]
struct BodyScope {
    subject: Value,
    preheader: Value,
    open: Value,
}

impl Object for Scope {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let value = match key {
            "subscriber" => &self.subscriber,
            "list" => &self.list,
            "campaign" => &self.campaign,
            "sender" => &self.sender,
            "unsubscribe_url" => &self.unsubscribe_url,
            "profile_url" => &self.profile_url,
            "view_in_browser_url" => &self.view_in_browser_url,
            "subject" => &self.body.as_ref()?.subject,
            "preheader" => &self.body.as_ref()?.preheader,
            "_open" => &self.body.as_ref()?.open,
            _ => return None,
        };
        Some(value.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        const HEAD: [&str; 7] =
            ["subscriber", "list", "campaign", "sender", "unsubscribe_url", "profile_url", "view_in_browser_url"];
        const BODY: [&str; 9] = [
            "subscriber",
            "list",
            "campaign",
            "sender",
            "unsubscribe_url",
            "profile_url",
            "view_in_browser_url",
            "subject",
            "preheader",
        ];
        Enumerator::Str(if self.body.is_some() { &BODY } else { &HEAD })
    }
}

#[derive(Debug)]
struct SubscriberScope {
    email: Value,
    name: Value,
    attributes: Value,
}

impl Object for SubscriberScope {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            "email" => Some(self.email.clone()),
            "name" => Some(self.name.clone()),
            "attributes" => Some(self.attributes.clone()),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["email", "name", "attributes"])
    }
}
