//! Rate limits for strangers with the link: token buckets (governor's GCRA: up to `count` at once,
//! refilled evenly over `per`) keyed by client, address or room, and a cap on the uploads one
//! address runs at once. Each limit's size comes from the configuration.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::Duration,
};

use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock,
};

use crate::{client::ClientId, config::Config};

/// The address limits count by: an IPv4 address as it is, an IPv6 address by its /64 network (one
/// household's or one host's block: its owner can pick any address in it), and an IPv4 address
/// mapped into IPv6 as the IPv4 address.
pub fn network_of(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

/// `count` events per `per`, at most `count` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    pub fn new(count: u32, per_secs: u64) -> Self {
        Self {
            count,
            per: Duration::from_secs(per_secs),
        }
    }

    fn quota(self) -> Quota {
        let count = NonZeroU32::new(self.count).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.per / count.get())
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count)
    }
}

/// How long to wait before trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up (as `Retry-After` wants), at least 1.
    pub fn secs(self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// One token bucket per key.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn new(rate: Rate) -> Self {
        Self {
            limiter: RateLimiter::keyed(rate.quota()),
        }
    }

    /// Takes a token for `key`, or says how long until there is one.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        self.limiter
            .check_key(key)
            .map_err(|not_until| RetryAfter(not_until.wait_time_from(self.limiter.clock().now())))
    }

    /// Forgets keys whose buckets are full again, so the map holds only recent senders.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// One token bucket.
pub struct Limit {
    limiter: DefaultDirectRateLimiter,
}

impl Limit {
    pub fn new(rate: Rate) -> Self {
        Self {
            limiter: RateLimiter::direct(rate.quota()),
        }
    }

    pub fn check(&self) -> Result<(), RetryAfter> {
        self.limiter
            .check()
            .map_err(|not_until| RetryAfter(not_until.wait_time_from(self.limiter.clock().now())))
    }
}

/// Uploads running at once per address.
#[derive(Clone)]
pub struct UploadSlots {
    max: usize,
    running: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl UploadSlots {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            running: Arc::default(),
        }
    }

    /// A slot for an upload from `address` while the returned guard lives; None when the address
    /// runs its maximum already.
    pub fn take(&self, address: IpAddr) -> Option<UploadSlot> {
        let mut running = self.running.lock().unwrap();
        let count = running.entry(address).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(UploadSlot {
            slots: self.clone(),
            address,
        })
    }
}

pub struct UploadSlot {
    slots: UploadSlots,
    address: IpAddr,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut running = self.slots.running.lock().unwrap();
        if let Some(count) = running.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.address);
            }
        }
    }
}

/// The limits kept per address (and a few per client), shared by every request.
pub struct AddressLimits {
    /// New rooms.
    pub rooms: KeyedLimit<IpAddr>,
    /// New client IDs (cookies): a new cookie must not be a way around the per-client limits.
    pub clients: KeyedLimit<IpAddr>,
    /// Chat messages, all of the address's clients together.
    pub chat: KeyedLimit<IpAddr>,
    pub uploads: UploadSlots,
    /// Tries at a room's password, per address and per client.
    pub passwords: KeyedLimit<IpAddr>,
    pub password_clients: KeyedLimit<ClientId>,
}

impl AddressLimits {
    pub fn from_config(config: &Config) -> Self {
        Self {
            rooms: KeyedLimit::new(Rate::new(config.room_rate_count, config.room_rate_secs)),
            clients: KeyedLimit::new(Rate::new(config.client_rate_count, config.client_rate_secs)),
            chat: KeyedLimit::new(Rate::new(
                u32::try_from(config.chat_rate_address_messages).unwrap_or(u32::MAX),
                config.chat_rate_secs,
            )),
            uploads: UploadSlots::new(config.uploads_per_address),
            passwords: KeyedLimit::new(Rate::new(
                config.password_rate_count,
                config.password_rate_secs,
            )),
            password_clients: KeyedLimit::new(Rate::new(
                config.password_rate_count,
                config.password_rate_secs,
            )),
        }
    }

    /// Forgets addresses that have been quiet (called now and then by a background task).
    pub fn forget_idle(&self) {
        self.rooms.forget_idle();
        self.clients.forget_idle();
        self.chat.forget_idle();
        self.passwords.forget_idle();
        self.password_clients.forget_idle();
    }
}

/// How often addresses that went quiet are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Every so often forgets the addresses whose buckets are full again, until `shutdown`.
pub async fn forget_idle_addresses(
    limits: Arc<AddressLimits>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut ticker = tokio::time::interval(FORGET_EVERY);
    loop {
        tokio::select! {
            _ = ticker.tick() => limits.forget_idle(),
            () = shutdown.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_says_when_to_come_back() {
        let limit = KeyedLimit::new(Rate::new(3, 60));
        for _ in 0..3 {
            assert!(limit.check(&"a").is_ok());
        }
        let retry = limit.check(&"a").unwrap_err();
        // One token comes back every 20 s.
        assert!(retry.0 > Duration::from_secs(19) && retry.0 <= Duration::from_secs(20));
        assert_eq!(retry.secs(), 20);
        assert!(limit.check(&"b").is_ok(), "keys have their own buckets");
        let single = Limit::new(Rate::new(1, 3600));
        assert!(single.check().is_ok());
        assert!(single.check().unwrap_err().secs() > 3500);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_network() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert_eq!(network_of(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(network_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            network_of(ip("2001:db8:1:2::1")),
            network_of(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            network_of(ip("2001:db8:1:2::1")),
            network_of(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).secs(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1500)).secs(), 2);
        assert_eq!(RetryAfter(Duration::ZERO).secs(), 1);
    }

    #[test]
    fn upload_slots_are_per_address_and_come_back() {
        let slots = UploadSlots::new(2);
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        assert!(slots.take(a).is_none());
        assert!(slots.take(b).is_some());
        drop(first);
        assert!(slots.take(a).is_some());
    }
}
