//! What the benchmarks share: percentiles, durations for people, and timing a streamed answer.
// Each benchmark is its own crate and uses only part of this.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The `q` quantile of sorted durations.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// A duration in milliseconds, two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Reads a streamed response until `marker` shows up; returns the time it took.
pub async fn time_to(mut response: reqwest::Response, marker: &str, started: Instant) -> Duration {
    let mut seen = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.contains(marker) {
            let elapsed = started.elapsed();
            while response.chunk().await.unwrap().is_some() {}
            return elapsed;
        }
    }
    panic!("{marker} never came in:\n{seen}");
}
