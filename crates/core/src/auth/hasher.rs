//! Password hashing on dedicated worker threads: one per core, so at most one argon2id hash
//! per core runs at a time, and never on the async runtime. On Linux the workers run at a
//! lower scheduling priority, so session checks and other requests are served first when
//! the cores are busy hashing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// OWASP's argon2id parameters: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Niceness of the hashing threads (0 is normal, 19 the lowest priority).
#[cfg(target_os = "linux")]
const WORKER_NICENESS: libc::c_int = 10;

type Job = Box<dyn FnOnce() + Send>;

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verification {
    /// The password is right.
    pub(crate) matches: bool,
    /// The stored hash uses older parameters and should be replaced.
    pub(crate) needs_rehash: bool,
}

/// A pool of hashing threads.
#[derive(Debug)]
pub(crate) struct Hasher {
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified against when there is no real hash, so a login
    /// for an unknown email costs the same as one with a wrong password.
    dummy_hash: String,
    verifications: AtomicU64,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the calling thread (the workers, and benchmarks measuring one bare hash).
pub fn hash_blocking(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| Error::internal(anyhow::anyhow!("hashing a password: {err}")))
}

/// A PHC string with today's parameters, a random salt and a random output: verifying any
/// password against it costs one full argon2id hash, like a wrong password, and never
/// matches. Made without hashing, so that start-up does not wait for one: hashing it delayed
/// the desktop app's window by about 200 ms, on a low-priority thread among WebKit's).
fn dummy_hash() -> Result<String> {
    let mut output = [0u8; 32];
    getrandom::fill(&mut output).map_err(|err| Error::internal(anyhow::anyhow!("{err}")))?;
    let output = argon2::password_hash::Output::new(&output)
        .map_err(|err| Error::internal(anyhow::anyhow!("{err}")))?;
    let salt = SaltString::generate(&mut OsRng);
    Ok(format!(
        "$argon2id$v=19$m={MEMORY_KIB},t={PASSES},p={LANES}${}${output}",
        salt.as_str()
    ))
}

fn verify_blocking(phc: &str, password: &str) -> Result<Verification> {
    let parsed = PasswordHash::new(phc).map_err(|err| {
        Error::internal(anyhow::anyhow!(
            "a stored password hash is malformed: {err}"
        ))
    })?;
    let matches = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    Ok(Verification {
        matches,
        needs_rehash: matches && is_outdated(&parsed),
    })
}

fn is_outdated(hash: &PasswordHash<'_>) -> bool {
    let current = argon2();
    let current = current.params();
    let Ok(params) = Params::try_from(hash) else {
        return true;
    };
    hash.algorithm != Algorithm::Argon2id.ident()
        || hash.version != Some(Version::V0x13.into())
        || params.m_cost() != current.m_cost()
        || params.t_cost() != current.t_cost()
        || params.p_cost() != current.p_cost()
        || params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)
            != current.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)
}

impl Hasher {
    /// Starts one worker per available core.
    pub(crate) async fn start() -> Result<Self> {
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for index in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("docent-hasher-{index}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        let job = queue.lock().expect("hasher queue").recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break, // the Hasher was dropped
                        }
                    }
                })
                .map_err(Error::internal)?;
        }
        Ok(Self {
            jobs,
            dummy_hash: dummy_hash()?,
            verifications: AtomicU64::new(0),
        })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| Error::internal(anyhow::anyhow!("the hashing threads have stopped")))?;
        result
            .await
            .map_err(|_| Error::internal(anyhow::anyhow!("a hashing thread panicked")))
    }

    /// Hashes a password into an argon2id PHC string.
    pub(crate) async fn hash(&self, password: &str) -> Result<String> {
        let password = SecretString::from(password);
        self.run(move || hash_blocking(password.expose_secret()))
            .await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is none (then
    /// it never matches), so both cases cost one verification.
    pub(crate) async fn verify(
        &self,
        stored: Option<String>,
        password: &str,
    ) -> Result<Verification> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let password = SecretString::from(password);
        let real = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let outcome = self
            .run(move || verify_blocking(&phc, password.expose_secret()))
            .await??;
        Ok(if real {
            outcome
        } else {
            Verification {
                matches: false,
                needs_rehash: false,
            }
        })
    }

    /// How many verifications have run (to show that every login path does the same work).
    #[cfg(test)]
    pub(crate) fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // On Linux, setpriority(PRIO_PROCESS, tid) applies to one thread.
    // SAFETY: plain syscalls on the calling thread; failure only leaves the priority as is.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, WORKER_NICENESS);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_has_todays_parameters_and_matches_nothing() {
        let dummy = dummy_hash().unwrap();
        let parsed = PasswordHash::new(&dummy).unwrap();
        assert!(!is_outdated(&parsed), "{dummy}");
        assert_ne!(
            dummy,
            dummy_hash().unwrap(),
            "a new salt and output each time"
        );
        let outcome = verify_blocking(&dummy, "any password at all").unwrap();
        assert!(!outcome.matches);
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = Hasher::start().await.unwrap();
        let phc = hasher.hash("Tangerine-Orbit-Quietly-47").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let ok = hasher
            .verify(Some(phc.clone()), "Tangerine-Orbit-Quietly-47")
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
        let wrong = hasher.verify(Some(phc), "tangerine").await.unwrap();
        assert!(!wrong.matches);
        let none = hasher.verify(None, "anything").await.unwrap();
        assert!(!none.matches);
        assert_eq!(hasher.verifications(), 3);
    }

    #[tokio::test]
    async fn older_parameters_ask_for_a_rehash() {
        let hasher = Hasher::start().await.unwrap();
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = weak
            .hash_password(b"pass phrase", &salt)
            .unwrap()
            .to_string();
        let outcome = hasher.verify(Some(old), "pass phrase").await.unwrap();
        assert_eq!(
            outcome,
            Verification {
                matches: true,
                needs_rehash: true
            }
        );
    }
}
