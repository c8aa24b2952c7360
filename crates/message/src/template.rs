//! The runtime engine for marketers' templates, in a sandbox.
//!
//! Templates are minijinja source. The environment has no loader (no
//! `include` or `import` can reach a file), no function that touches the
//! network or the clock, and a fuel budget that bounds both the steps of a
//! render and the memory it may allocate: minijinja charges fuel for every
//! instruction and for every byte of every string, list and output it
//! makes, and checks a value it can size beforehand (`'x' * n`) before it
//! allocates it. So one render never holds more than about
//! [`MAX_RENDER_BYTES`], however the template builds its text. Missing values are chainable
//! undefineds, so `subscriber.attributes.city | default("there")` works for a
//! subscriber without that attribute.

use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior, Value};

/// The work one render may do. An instruction costs one fuel and every 64
/// bytes of data made cost one more; a message of a 20 KB layout with its
/// links needs about 2,000.
const FUEL: u64 = 160_000;
/// What [`FUEL`] allows in data, were a render to do nothing but allocate.
pub const MAX_RENDER_BYTES: usize = 10 * 1024 * 1024;
/// The largest output of one render.
pub const MAX_OUTPUT: usize = 4 * 1024 * 1024;

/// A template fault, located in the part the marketer wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}, line {line}, column {column}: {message}")]
pub struct TemplateError {
    /// Which field: "subject", "body", "layout", …
    pub part: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl TemplateError {
    pub fn new(part: &str, message: impl Into<String>) -> Self {
        Self { part: part.into(), line: 1, column: 1, message: message.into() }
    }

    /// The faulty line of `source` (the part's text) with a caret under the
    /// column, as an editor would show it; a long line is cut to the 80
    /// characters around the place. None when the line is not in `source`.
    pub fn excerpt(&self, source: &str) -> Option<String> {
        let line = source.lines().nth(self.line.checked_sub(1)?)?;
        let chars: Vec<char> = line.chars().collect();
        let at = self.column.saturating_sub(1).min(chars.len());
        let start = at.saturating_sub(40);
        let end = (start + 80).min(chars.len());
        let shown: String = chars[start..end].iter().map(|&c| if c.is_control() { ' ' } else { c }).collect();
        let (before, after) = (if start > 0 { "…" } else { "" }, if end < chars.len() { "…" } else { "" });
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        let lead: String = chars[start..at].iter().map(|&c| if c == '\t' { '\t' } else { ' ' }).collect();
        let lead = if start > 0 { format!(" {lead}") } else { lead };
        Some(format!("{number} | {before}{shown}{after}\n{pad} | {lead}^"))
    }

    fn from_engine(part: &str, source: &str, err: &minijinja::Error) -> Self {
        let line = err.line().unwrap_or(1).max(1);
        let column = match err.range() {
            Some(range) => {
                let before = &source[..range.start.min(source.len())];
                before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1
            }
            None => 1,
        };
        let message = match (err.kind(), err.detail()) {
            (ErrorKind::OutOfFuel, _) => format!(
                "the template does too much work: it would take more than {} steps or build more than {} MB of text",
                FUEL,
                MAX_RENDER_BYTES / (1024 * 1024)
            ),
            (kind, Some(detail)) => format!("{kind}: {detail}"),
            (kind, None) => kind.to_string(),
        };
        Self { part: part.into(), line, column, message }
    }
}

/// The sandboxed environment all campaign templates run in. Names ending in
/// `.html` are HTML-escaped.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    env.add_filter("default", default);
    env.add_filter("d", default);
    env
}

/// Jinja's `default(value, other = "", boolean = false)`: `other` when the
/// value is undefined (or, with `boolean`, false). The same as the builtin,
/// which gathers its arguments into a new list on every call; campaign
/// templates call it for nearly every attribute, so this one borrows them.
/// (An undefined `other` is passed on as it is, so defaults chain.)
fn default(value: &Value, args: &[Value]) -> Result<Value, Error> {
    let (other, boolean) = match args {
        [] => (None, false),
        [other] => (Some(other), false),
        [other, boolean] => (Some(other), boolean.is_true()),
        _ => return Err(Error::from(ErrorKind::TooManyArguments)),
    };
    if value.is_undefined() || (boolean && !value.is_true()) {
        Ok(other.cloned().unwrap_or_else(|| Value::from("")))
    } else {
        Ok(value.clone())
    }
}

/// Parses `source` as the template `part`, reporting its first fault.
pub fn check(part: &str, source: &str) -> Result<(), TemplateError> {
    let env = environment();
    env.template_from_str(source).map(|_| ()).map_err(|e| TemplateError::from_engine(part, source, &e))
}

/// A set of named templates compiled once and rendered many times.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// `parts` are (name, source); a name ending in `.html` autoescapes.
    pub fn compile(parts: Vec<(String, String)>) -> Result<Self, TemplateError> {
        let mut env = environment();
        for (name, source) in parts {
            let checked = env.template_from_str(&source).map(|_| ());
            let part = part_name(&name).to_owned();
            checked.map_err(|e| TemplateError::from_engine(&part, &source, &e))?;
            env.add_template_owned(name, source).map_err(|e| TemplateError::new(&part, e.to_string()))?;
        }
        Ok(Self { env })
    }

    pub fn render(&self, name: &str, context: &Value) -> Result<String, TemplateError> {
        let template = self.env.get_template(name).map_err(|e| TemplateError::new(part_name(name), e.to_string()))?;
        let source = template.source();
        let out = template.render(context).map_err(|e| TemplateError::from_engine(part_name(name), source, &e))?;
        if out.len() > MAX_OUTPUT {
            return Err(TemplateError::new(
                part_name(name),
                format!("the output is larger than {} MB", MAX_OUTPUT / (1024 * 1024)),
            ));
        }
        Ok(out)
    }
}

/// "body.html" → "body".
fn part_name(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn an_excerpt_shows_the_line_with_a_caret_under_the_column() {
        let error = TemplateError { part: "body".into(), line: 2, column: 7, message: "x".into() };
        let excerpt = error.excerpt("first\nHello {{ x | nope }}\nlast").expect("line 2 exists");
        assert_eq!(excerpt, "2 | Hello {{ x | nope }}\n  |       ^");
        let far = TemplateError { part: "body".into(), line: 1, column: 101, message: "x".into() };
        let long = format!("{}{{{{ y }}}}{}", "a".repeat(100), "b".repeat(100));
        let excerpt = far.excerpt(&long).expect("line 1 exists");
        let (shown, caret) = excerpt.split_once('\n').expect("two lines");
        assert!(shown.starts_with("1 | …") && shown.ends_with('…'), "{shown}");
        let column = |text: &str, what: &str| text.find(what).map(|at| text[..at].chars().count());
        assert_eq!(column(caret, "^"), column(shown, "{{"), "{excerpt}");
        assert_eq!(TemplateError { line: 9, ..error }.excerpt("one line"), None);
    }

    #[test]
    fn no_template_builds_more_text_than_the_budget() {
        let bombs = [
            // Repeats that minijinja itself would allow up to 100 MB.
            "{% set a = 'x' * 100000000 %}{% set b = a ~ a ~ a ~ a %}{{ b|length }}",
            "{{ ('x' * 20000000)|length }}",
            // Doubling in a loop: 27 steps make 134 MB.
            "{% set ns = namespace(a='x') %}{% for i in range(27) %}{% set ns.a = ns.a ~ ns.a %}{% endfor %}{{ ns.a|length }}",
            "{% set ns = namespace(a=['x']) %}{% for i in range(27) %}{% set ns.a = ns.a + ns.a %}{% endfor %}{{ ns.a|join|length }}",
            "{% set ns = namespace(a='xy') %}{% for i in range(27) %}{% set ns.a = ns.a|replace('x', 'xx') %}{% endfor %}{{ ns.a|length }}",
            "{{ ('ab\\n' * 1000)|indent(100000)|length }}",
            "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
        ];
        for (i, bomb) in bombs.iter().enumerate() {
            let t = Templates::compile(vec![("body.html".into(), format!("line one\n{bomb}"))]).expect("compiles");
            let err = t.render("body.html", &context! {}).expect_err(bomb);
            assert_eq!((err.part.as_str(), err.line), ("body", 2), "{i}: {err}");
            assert!(err.message.contains("too much work") || err.message.contains("too large"), "{i}: {err}");
        }
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = check("body", "Hello\n  {{ subscriber.name | default('x') }\n").expect_err("must fail");
        assert_eq!(err.part, "body");
        assert_eq!(err.line, 2);
        assert!(err.column > 1, "{err}");
        let err = check("subject", "{% if x %}open").expect_err("must fail");
        assert_eq!(err.line, 1);
        assert!(err.message.contains("syntax"), "{err}");
    }

    #[test]
    fn missing_attributes_take_their_default_and_html_is_escaped() {
        let t = Templates::compile(vec![(
            "body.html".into(),
            "Hi {{ s.attributes.city | default('there') }} {{ s.name }}".into(),
        )])
        .expect("ok");
        let out =
            t.render("body.html", &context! { s => context! { name => "<b>", attributes => context!{} } }).expect("ok");
        assert_eq!(out, "Hi there &lt;b&gt;");
    }

    #[test]
    fn default_behaves_like_jinja() {
        let source = "[{{ none_here | default }}|{{ none_here | d('d') }}|{{ s.empty | default('x') }}|\
                      {{ s.empty | default('x', true) }}|{{ s.zero | default(5, false) }}|{{ s.name | default('y') }}]";
        let t = Templates::compile(vec![("body.txt".into(), source.into())]).expect("ok");
        let out =
            t.render("body.txt", &context! { s => context! { empty => "", zero => 0, name => "Ann" } }).expect("ok");
        assert_eq!(out, "[|d||x|0|Ann]");
        // An undefined or none default is passed on: defaults chain.
        let source = "{{ s.nick | default(s.first) | default('friend') }} {{ (s.x | default(none)) is none }}";
        let t = Templates::compile(vec![("body.txt".into(), source.into())]).expect("ok");
        assert_eq!(t.render("body.txt", &context! { s => context! {} }).expect("ok"), "friend True");
        let t = Templates::compile(vec![("body.txt".into(), "{{ x | default(1, true, 3) }}".into())]).expect("ok");
        let err = t.render("body.txt", &context! {}).expect_err("must fail");
        assert!(err.message.contains("too many arguments"), "{err}");
    }

    #[test]
    fn endless_loops_run_out_of_fuel_and_files_are_unreachable() {
        let t = Templates::compile(vec![(
            "body.txt".into(),
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}".into(),
        )])
        .expect("ok");
        let err = t.render("body.txt", &context! {}).expect_err("must fail");
        assert!(err.message.contains("too much work"), "{err}");
        let t = Templates::compile(vec![("body.txt".into(), "{% include '/etc/passwd' %}".into())]).expect("ok");
        assert!(t.render("body.txt", &context! {}).is_err());
    }
}
