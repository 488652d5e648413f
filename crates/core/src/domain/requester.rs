use std::fmt;
use std::net::IpAddr;

/// Who sent a request that may send an email: the allowance of emails per address is kept per
/// requester too, so a stranger asking for someone else's emails uses up only their own share.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    /// The desktop app's own window: one person, on this machine.
    Local,
    /// A client of docent-server, by the address its connection came from.
    Network(IpAddr),
}

impl Requester {
    /// The key its email allowance is kept under. An IPv6 client is counted by its /64, the
    /// block one subscriber usually holds (any address in it is theirs to use); an IPv4-mapped
    /// IPv6 address counts as the IPv4 address it is.
    pub(crate) fn allowance_key(&self) -> String {
        match self {
            Self::Local => "local".to_owned(),
            Self::Network(IpAddr::V4(ip)) => format!("ip4:{ip}"),
            Self::Network(IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
                Some(v4) => format!("ip4:{v4}"),
                None => {
                    let s = ip.segments();
                    format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

impl fmt::Debug for Requester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local => f.write_str("Requester::Local"),
            Self::Network(ip) => write!(f, "Requester::Network({ip})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_counted_by_address_and_ipv6_by_its_64_block() {
        let v4 = Requester::Network("192.0.2.7".parse().unwrap());
        assert_eq!(v4.allowance_key(), "ip4:192.0.2.7");
        let mapped = Requester::Network("::ffff:192.0.2.7".parse().unwrap());
        assert_eq!(mapped.allowance_key(), v4.allowance_key());
        let a = Requester::Network("2001:db8:1:2::1".parse().unwrap());
        let b = Requester::Network("2001:db8:1:2:ffff::9".parse().unwrap());
        let other = Requester::Network("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a.allowance_key(), b.allowance_key());
        assert_ne!(a.allowance_key(), other.allowance_key());
        assert_eq!(Requester::Local.allowance_key(), "local");
    }
}
