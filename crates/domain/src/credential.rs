//! What a submission credential may be: its user name, its domains, and
//! the rules between its fields. The dashboard and `ninsho credential
//! create` check the same way.

/// What is wrong with a credential someone asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialFault {
    #[error("the user name must be 1 to 100 lower-case letters, digits or . _ @ + -, starting with a letter or digit")]
    Username,
    #[error("name at least one domain its From may use")]
    NoDomain,
    #[error("{0:?} is not a domain name")]
    Domain(String),
    #[error("a credential without a password needs the networks it sends from")]
    NoNetwork,
    #[error("limits are 0 (none) or more")]
    Limit,
    #[error("the description has more than 200 characters or a control character")]
    Description,
}

/// A credential's user name and domains, checked: lower-cased, each domain
/// in its ASCII form, once. `networks` is how many networks it names.
pub fn check(
    username: &str,
    domains: &[String],
    networks: usize,
    with_password: bool,
    limits: [i32; 2],
    description: &str,
) -> Result<(String, Vec<String>), CredentialFault> {
    let username = username.trim().to_lowercase();
    let valid = !username.is_empty()
        && username.len() <= 100
        && username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._@+-".contains(&b))
        && username.as_bytes()[0].is_ascii_alphanumeric();
    if !valid {
        return Err(CredentialFault::Username);
    }
    let mut checked = Vec::new();
    for d in domains.iter().map(|d| d.trim().trim_end_matches('.').to_lowercase()).filter(|d| !d.is_empty()) {
        let ascii = crate::ascii_domain(&d).filter(|a| a.contains('.')).ok_or(CredentialFault::Domain(d))?;
        if !checked.contains(&ascii) {
            checked.push(ascii);
        }
    }
    if checked.is_empty() {
        return Err(CredentialFault::NoDomain);
    }
    if !with_password && networks == 0 {
        return Err(CredentialFault::NoNetwork);
    }
    if limits.iter().any(|l| *l < 0) {
        return Err(CredentialFault::Limit);
    }
    if description.chars().count() > 200 || crate::text::check_line(description).is_err() {
        return Err(CredentialFault::Description);
    }
    Ok((username, checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_domains_are_checked_and_made_plain() {
        let domains = vec!["Shop.Example.".into(), "ショップ.jp".into(), "shop.example".into()];
        let (user, checked) = check(" App-1 ", &domains, 0, true, [600, 0], "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(user, "app-1");
        // Lower-cased, the trailing dot gone, once; the Japanese name in its ASCII form.
        assert_eq!(checked.len(), 2, "{checked:?}");
        assert_eq!(checked[0], "shop.example");
        assert!(checked[1].starts_with("xn--") && checked[1].ends_with(".jp"), "{checked:?}");
        assert_eq!(check("-x", &domains, 0, true, [0, 0], ""), Err(CredentialFault::Username));
        assert_eq!(check("x", &[], 0, true, [0, 0], ""), Err(CredentialFault::NoDomain));
        assert_eq!(
            check("x", &["localhost".into()], 0, true, [0, 0], ""),
            Err(CredentialFault::Domain("localhost".into()))
        );
        assert_eq!(check("x", &domains, 0, false, [0, 0], ""), Err(CredentialFault::NoNetwork));
        assert!(check("x", &domains, 1, false, [0, 0], "").is_ok());
        assert_eq!(check("x", &domains, 0, true, [-1, 0], ""), Err(CredentialFault::Limit));
        assert_eq!(check("x", &domains, 0, true, [0, 0], "a\nb"), Err(CredentialFault::Description));
    }
}
