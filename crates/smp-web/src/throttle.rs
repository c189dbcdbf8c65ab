//! Slowing down password guessing without letting anyone lock a colleague
//! out: failures are counted per (client address, name) and per client
//! address. Someone guessing at "admin" from elsewhere slows only their own
//! tries at "admin"; someone trying many names from one address slows that
//! address. The table is bounded whatever the traffic.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins for one name from one address before each try waits.
const FREE_PER_NAME: u32 = 5;
/// Failed logins from one address, whatever the names, before each waits.
const FREE_PER_ADDRESS: u32 = 20;
/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(900);
/// Most entries kept; past this, entries whose wait has run out go first.
const MAX_ENTRIES: usize = 10_000;
/// Longest name kept as a key: no account has a longer one (64 characters).
pub(crate) const MAX_NAME_CHARS: usize = 64;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Name(IpAddr, String),
    Address(IpAddr),
}

impl Key {
    fn free(&self) -> u32 {
        match self {
            Key::Name(..) => FREE_PER_NAME,
            Key::Address(_) => FREE_PER_ADDRESS,
        }
    }
}

/// Failures and when the last one was.
#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// How long after the last failure the next try must wait: doubling
    /// from 1 s once the free tries are used, up to [`MAX_WAIT`].
    fn wait(&self, free: u32) -> Duration {
        if self.count < free {
            return Duration::ZERO;
        }
        Duration::from_secs(1u64 << (self.count - free).min(10)).min(MAX_WAIT)
    }

    fn remaining(&self, free: u32) -> Option<Duration> {
        self.wait(free).checked_sub(self.last.elapsed()).filter(|d| !d.is_zero())
    }
}

/// The failed-login table.
#[derive(Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
}

fn keys(address: IpAddr, name: &str) -> [Key; 2] {
    let name: String = name.trim().to_lowercase().chars().take(MAX_NAME_CHARS).collect();
    [Key::Name(address, name), Key::Address(address)]
}

impl LoginThrottle {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        // Nothing panics while the lock is held; a poisoned table is still sound.
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long a login for `name` from `address` must still wait, if at all.
    pub(crate) fn wait(&self, address: IpAddr, name: &str) -> Option<Duration> {
        let table = self.table();
        keys(address, name).iter().filter_map(|k| table.get(k).and_then(|f| f.remaining(k.free()))).max()
    }

    /// Counts a failed login.
    pub(crate) fn failed(&self, address: IpAddr, name: &str) {
        let mut table = self.table();
        if table.len() + 2 > MAX_ENTRIES {
            table.retain(|k, f| f.remaining(k.free()).is_some());
        }
        if table.len() + 2 > MAX_ENTRIES {
            // Still full of live waits: the per-name ones go; the
            // per-address ones still slow every address that earned one.
            table.retain(|k, _| matches!(k, Key::Address(_)));
        }
        for key in keys(address, name) {
            let entry = table.entry(key).or_insert(Failures { count: 0, last: Instant::now() });
            *entry = Failures { count: entry.count.saturating_add(1), last: Instant::now() };
        }
    }

    /// Forgets the failures for `name` from `address` after a login.
    pub(crate) fn succeeded(&self, address: IpAddr, name: &str) {
        let [per_name, _] = keys(address, name);
        self.table().remove(&per_name);
    }

    /// Entries kept (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_address_guessing_one_name_waits_and_others_do_not() {
        let throttle = LoginThrottle::default();
        let (attacker, colleague) = (ip("203.0.113.9"), ip("192.0.2.4"));
        for _ in 0..FREE_PER_NAME {
            assert!(throttle.wait(attacker, "admin").is_none());
            throttle.failed(attacker, "admin");
        }
        assert!(throttle.wait(attacker, "Admin ").is_some(), "names compare as typed, trimmed, any case");
        assert!(throttle.wait(colleague, "admin").is_none(), "the colleague is not locked out");
        assert!(throttle.wait(attacker, "pia").is_none(), "another name from the same address");
    }

    #[test]
    fn one_address_trying_many_names_waits() {
        let throttle = LoginThrottle::default();
        let attacker = ip("203.0.113.9");
        for i in 0..FREE_PER_ADDRESS {
            throttle.failed(attacker, &format!("name{i}"));
        }
        assert!(throttle.wait(attacker, "fresh-name").is_some());
        assert!(throttle.wait(ip("192.0.2.4"), "fresh-name").is_none());
    }

    #[test]
    fn the_table_stays_bounded_and_long_names_are_cut() {
        let throttle = LoginThrottle::default();
        let long = "x".repeat(60_000);
        for i in 0..(MAX_ENTRIES as u32 * 2) {
            let address = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            throttle.failed(address, &format!("{long}{i}"));
        }
        assert!(throttle.len() <= MAX_ENTRIES, "{}", throttle.len());
        let table = throttle.table();
        assert!(table.keys().all(|k| match k {
            Key::Name(_, n) => n.chars().count() <= MAX_NAME_CHARS,
            Key::Address(_) => true,
        }));
    }
}
