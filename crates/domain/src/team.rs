//! Who may do what: the roles of admin accounts and the permissions they
//! grant. A permission is an area of the product, read or written; an API
//! token can be narrowed to some of its owner's permissions.

use std::fmt;
use std::str::FromStr;

/// What an admin account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including people, the audit log and webhooks.
    Owner,
    /// Audience, templates and campaigns; reads reports.
    Marketer,
    /// Reads reports and DMARC analysis; changes nothing.
    Analyst,
    /// Sending domains, IP addresses and the delivery side; reads reports.
    Operator,
}

/// A part of the product, as permissions see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Subscribers, lists, segments, imports, exports, suppression.
    Audience,
    /// Layouts, campaigns, sequences, test sends, the sandbox mailbox.
    Campaigns,
    /// Campaign reports, DMARC and TLS reports.
    Reports,
    /// Sending domains, keys, source addresses, report uploads.
    Delivery,
    /// Admin accounts, roles, the audit log, webhooks.
    Team,
}

/// An area, read or written (writing includes reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    pub area: Area,
    pub write: bool,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Marketer, Role::Analyst, Role::Operator];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Marketer => "marketer",
            Self::Analyst => "analyst",
            Self::Operator => "operator",
        }
    }

    /// Whether this role may read (or, with `write`, change) `area`.
    pub fn allows(self, area: Area, write: bool) -> bool {
        match self {
            Self::Owner => true,
            Self::Marketer => matches!(area, Area::Audience | Area::Campaigns) || (area == Area::Reports && !write),
            Self::Analyst => area == Area::Reports && !write,
            Self::Operator => area == Area::Delivery || (area == Area::Reports && !write),
        }
    }

    /// Whether the role sees subscribers' addresses wherever they appear
    /// (the audience's pages, a campaign's recipients, the API): only with
    /// access to the audience. Others see them masked ([`crate::masked`]).
    pub fn sees_addresses(self) -> bool {
        self.allows(Area::Audience, false)
    }

    /// Every permission of the role, the most a token of its holder can have.
    pub fn permissions(self) -> Vec<Permission> {
        Area::ALL
            .iter()
            .flat_map(|&area| [Permission { area, write: false }, Permission { area, write: true }])
            .filter(|p| self.allows(p.area, p.write))
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("{s:?} is not a role (owner, marketer, analyst or operator)"))
    }
}

impl Area {
    pub const ALL: [Area; 5] = [Area::Audience, Area::Campaigns, Area::Reports, Area::Delivery, Area::Team];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Audience => "audience",
            Self::Campaigns => "campaigns",
            Self::Reports => "reports",
            Self::Delivery => "delivery",
            Self::Team => "team",
        }
    }
}

impl Permission {
    /// Whether holding `self` grants `wanted`.
    pub fn grants(self, wanted: Permission) -> bool {
        self.area == wanted.area && (self.write || !wanted.write)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.area.as_str(), if self.write { "write" } else { "read" })
    }
}

impl FromStr for Permission {
    type Err = String;

    /// `audience:read`, `campaigns:write` …
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a permission (like audience:read or campaigns:write)");
        let (area, access) = s.trim().split_once(':').ok_or_else(bad)?;
        let area = Area::ALL.into_iter().find(|a| a.as_str() == area).ok_or_else(bad)?;
        let write = match access {
            "read" => false,
            "write" => true,
            _ => return Err(bad()),
        };
        Ok(Self { area, write })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_they_are_for() {
        use Area::*;
        let table = [
            (Role::Owner, [true, true, true, true, true, true, true, true, true, true]),
            (Role::Marketer, [true, true, true, true, true, false, false, false, false, false]),
            (Role::Analyst, [false, false, false, false, true, false, false, false, false, false]),
            (Role::Operator, [false, false, false, false, true, false, true, true, false, false]),
        ];
        for (role, expected) in table {
            let got: Vec<bool> = [Audience, Campaigns, Reports, Delivery, Team]
                .iter()
                .flat_map(|&a| [role.allows(a, false), role.allows(a, true)])
                .collect();
            assert_eq!(got, expected, "{role}");
        }
    }

    #[test]
    fn permissions_parse_print_and_grant() {
        let write: Permission = "campaigns:write".parse().unwrap_or_else(|e| panic!("{e}"));
        let read: Permission = "campaigns:read".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(write.to_string(), "campaigns:write");
        assert!(write.grants(read));
        assert!(!read.grants(write));
        assert!(!read.grants("audience:read".parse().unwrap_or_else(|e| panic!("{e}"))));
        for bad in ["campaigns", "campaigns:delete", "people:read", ""] {
            assert!(bad.parse::<Permission>().is_err(), "{bad}");
        }
        assert_eq!(Role::Analyst.permissions().len(), 1);
        assert_eq!("operator".parse::<Role>(), Ok(Role::Operator));
        assert!("root".parse::<Role>().is_err());
    }
}
