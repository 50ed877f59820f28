//! The client behind a request — its address, and the scheme and host it asked for —
//! read from forwarding headers only when the connection comes from a trusted proxy.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{web, HttpRequest};

use crate::web::AppState;

/// A block of addresses such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a
/// block of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let wrong = || format!("{text:?} is not an address or CIDR block (such as 10.0.0.0/8)");
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| wrong())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(wrong)?,
            None => bits,
        };
        Ok(Cidr { network, prefix })
    }
}

impl Cidr {
    /// Every block of `values`, empty ones skipped (an empty setting trusts no proxy).
    pub fn parse_all(values: &[String]) -> Result<Vec<Cidr>, String> {
        values
            .iter()
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.parse())
            .collect()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // A v4 peer may arrive as ::ffff:a.b.c.d on a dual-stack socket.
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8, bits: u32) -> bool {
    let ignored = bits - u32::from(prefix);
    a.checked_shr(ignored).unwrap_or(0) == b.checked_shr(ignored).unwrap_or(0)
}

/// The client of a request as far as it can be believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client's address; `None` only when the connection has none (a test harness).
    pub ip: Option<IpAddr>,
    /// `http` or `https`: what the browser used, for the Origin check and `Secure`.
    pub scheme: String,
    /// The host (and port) the browser asked for.
    pub host: String,
}

impl Client {
    /// The client of `req`, with the trusted proxies of the configuration.
    pub fn of(req: &HttpRequest) -> Client {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map_or(&[][..], |s| &s.config.trusted_proxies[..]);
        let scheme = if req.app_config().secure() {
            "https"
        } else {
            "http"
        };
        let host = header_text(req.headers(), header::HOST)
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_else(|| req.app_config().host().to_owned());
        let direct = Client {
            ip: req.peer_addr().map(|a| a.ip().to_canonical()),
            scheme: scheme.to_owned(),
            host,
        };
        direct.through(req.headers(), trusted)
    }

    /// This connection's client, or — when it is a trusted proxy — the client its
    /// forwarding headers name. Anyone can send those headers, so they count only from
    /// a proxy we trust, and of the addresses only the right-most one that is not itself
    /// a trusted proxy: everything left of it came from the client.
    fn through(self, headers: &HeaderMap, trusted: &[Cidr]) -> Client {
        let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
        if !self.ip.is_some_and(is_trusted) {
            return self;
        }
        let forwarded = forwarded_elements(headers);
        let xff: Vec<&str> = list_values(headers, "x-forwarded-for");
        // A proxy that sets X-Forwarded-For is the common case; Forwarded only counts
        // without it (a client's own Forwarded passes through such a proxy untouched).
        let chain: Vec<&str> = if xff.is_empty() {
            forwarded.iter().filter_map(|e| e.get("for")).collect()
        } else {
            xff
        };
        let mut ip = self.ip;
        for hop in chain.iter().rev() {
            match parse_node(hop) {
                Some(hop) => {
                    ip = Some(hop);
                    if !is_trusted(hop) {
                        break;
                    }
                }
                // Unreadable: nothing left of it can be believed either.
                None => break,
            }
        }
        let last_of = |x_name: &str, key: &str| {
            list_values(headers, x_name)
                .last()
                .map(|v| v.to_string())
                .or_else(|| {
                    forwarded
                        .iter()
                        .rev()
                        .find_map(|e| e.get(key).map(str::to_owned))
                })
        };
        let scheme = last_of("x-forwarded-proto", "proto")
            .map(|s| s.to_ascii_lowercase())
            .filter(|s| s == "http" || s == "https")
            .unwrap_or(self.scheme);
        let host = last_of("x-forwarded-host", "host")
            .filter(|h| !h.is_empty())
            .unwrap_or(self.host);
        Client { ip, scheme, host }
    }

    /// The address as text, as sessions store it and throttles count it.
    pub fn ip_text(&self) -> String {
        self.ip
            .map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The comma-separated values of every `name` header, in order.
fn list_values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// One element of a `Forwarded` header (RFC 7239): `for=…;proto=…;host=…`.
struct Element<'a>(Vec<(String, &'a str)>);

impl Element<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

fn forwarded_elements(headers: &HeaderMap) -> Vec<Element<'_>> {
    list_values(headers, "forwarded")
        .into_iter()
        .map(|element| {
            Element(
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"')))
                    .collect(),
            )
        })
        .collect()
}

/// An address from X-Forwarded-For or `for=`: `192.0.2.1`, `192.0.2.1:8080`,
/// `2001:db8::1` or `[2001:db8::1]:8080`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    let host = match node.strip_prefix('[') {
        Some(rest) => rest.split(']').next()?,
        None => node.rsplit_once(':').map_or(node, |(h, _)| h),
    };
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn cidr(text: &str) -> Cidr {
        text.parse().expect("CIDR")
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    fn direct(ip: &str) -> Client {
        Client {
            ip: Some(ip.parse().expect("ip")),
            scheme: "http".into(),
            host: "intern:8080".into(),
        }
    }

    #[test]
    fn blocks_hold_their_addresses_and_no_others() {
        assert!(cidr("10.0.0.0/8").contains("10.200.3.4".parse().expect("ip")));
        assert!(!cidr("10.0.0.0/8").contains("11.0.0.1".parse().expect("ip")));
        assert!(cidr("127.0.0.1").contains("::ffff:127.0.0.1".parse().expect("ip")));
        assert!(cidr("2001:db8::/32").contains("2001:db8:1::5".parse().expect("ip")));
        assert!(cidr("0.0.0.0/0").contains("192.0.2.9".parse().expect("ip")));
        assert!(!cidr("::/0").contains("192.0.2.9".parse().expect("ip")));
        for wrong in ["", "10.0.0.0/33", "proxy", "10.0.0.0/x"] {
            assert!(wrong.parse::<Cidr>().is_err(), "{wrong}");
        }
        let listed = ["".to_owned(), " 10.0.0.0/8".to_owned()];
        assert_eq!(Cidr::parse_all(&listed), Ok(vec![cidr("10.0.0.0/8")]));
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let sent = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "stadsmaat.example"),
        ]);
        let client = direct("198.51.100.1").through(&sent, &[cidr("10.0.0.0/8")]);
        assert_eq!(client, direct("198.51.100.1"));
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted = [cidr("10.0.0.0/8")];
        let sent = headers(&[
            ("x-forwarded-for", "1.1.1.1, 203.0.113.7"),
            ("x-forwarded-for", "10.0.0.5"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "stadsmaat.example"),
        ]);
        let client = direct("10.0.0.2").through(&sent, &trusted);
        assert_eq!(client.ip_text(), "203.0.113.7");
        assert_eq!(client.scheme, "https");
        assert_eq!(client.host, "stadsmaat.example");
    }

    #[test]
    fn forwarded_counts_when_there_is_no_x_forwarded_for() {
        let sent = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https;host=stadsmaat.example",
        )]);
        let client = direct("10.0.0.2").through(&sent, &[cidr("10.0.0.0/8")]);
        assert_eq!(client.ip_text(), "2001:db8::7");
        assert!(client.is_https());
        assert_eq!(client.host, "stadsmaat.example");
    }
}
